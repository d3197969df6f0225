/**
 * The URL of a webhook or an Alertmanager, and how it appears in logs. Such URLs often hold
 * a secret: a password (`https://user:secret@host/`), a token in the query (`?token=...`), or
 * a secret path (Slack, Discord and Teams webhooks). Logs therefore name a URL by its scheme,
 * host and port only, and every message about it goes through a redactor that knows each
 * secret part. A password in the URL is sent as HTTP Basic authentication, in a header
 * of its own.
 */
import { InvalidOptionError } from '../errors.js';
import { createSecretRedactor } from '../redact.js';

export interface DeliveryUrl {
  /** What is requested: the URL without its user and password. */
  readonly url: URL;
  /** `Basic ...` from the URL's user and password, when it has them. */
  readonly authorization: string | undefined;
  /** How logs name it: `https://hooks.example.com/…` (scheme, host, port). */
  readonly display: string;
  /** Replaces every secret part of the URL in a text by `[redacted]`. */
  readonly redact: (text: string) => string;
}

/**
 * @param option names the URL in errors (`--webhook`, `url`).
 * @throws InvalidOptionError when `text` is not an http:// or https:// URL.
 */
export function parseDeliveryUrl(text: string, option: string): DeliveryUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidOptionError(option, redactWhole(text), 'an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidOptionError(option, redactWhole(text), 'an http:// or https:// URL');
  const secrets: string[] = [];
  const addSecret = (value: string): void => {
    if (value === '') return;
    secrets.push(value);
    try {
      secrets.push(decodeURIComponent(value));
    } catch {
      // Not percent-encoded text: the raw form is enough.
    }
  };
  addSecret(url.username);
  addSecret(url.password);
  for (const [, value] of url.searchParams) addSecret(value);
  // A secret path is redacted whole, where it appears whole: its segments alone (`alerts`,
  // `v2`) are ordinary words.
  if (url.pathname !== '/') addSecret(`${url.pathname}${url.search}`);
  addSecret(url.search.slice(1));
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    secrets.push(authorization.slice('Basic '.length));
  }
  const request = new URL(url.href);
  request.username = '';
  request.password = '';
  const hidden = url.pathname !== '/' || url.search !== '' || url.hash !== '';
  // The whole URL first: the longest secret is replaced first, so no fragment of it stays.
  const redactParts = createSecretRedactor([text, url.href, request.href, ...secrets]);
  return {
    url: request,
    authorization,
    display: `${url.protocol}//${url.host}${hidden ? '/…' : ''}`,
    redact: redactParts,
  };
}

/** A URL that cannot even be parsed is shown by its scheme and host at most. */
function redactWhole(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)?([^/@?#]*@)?([^/?#]*)/i.exec(text);
  if (match === null) return '[redacted]';
  return `${match[1] ?? ''}${match[2] ? '[redacted]@' : ''}${match[3] ?? ''}${text.length > match[0].length ? '/…' : ''}`;
}
