/**
 * Keeps secrets (tokens, passwords, API keys, private keys) out of everything the client
 * itself writes: logs, notices and errors, statistics, usage errors.
 *
 * One rule for every form a secret takes: the values the user handed in are collected once
 * ({@link collectSecrets}: sensitive header values and their credential part, the userinfo of
 * the URI and the Basic credential built from it, tokens, private keys), and every text
 * bound for an output goes through one redactor ({@link createSecretRedactor}) that replaces
 * each of them, plus two patterns that need no list: a URI's password (`scheme://user:pw@`)
 * and a PEM private key block.
 */

const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|key|secret|password|auth/i;

/** True for a header whose value is a credential: Authorization, Cookie, or any name with token/key/secret/password/auth. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

export const REDACTED = '[redacted]';

/** A copy of `headers` with the values of sensitive headers replaced by `[redacted]`. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    copy[name] = isSensitiveHeader(name) ? REDACTED : value;
  return copy;
}

// `scheme://user:password@`: the password part, whoever wrote the URI (a server's message too).
const URI_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#@]*@/gi;
const PEM_PRIVATE_KEY =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** Secrets shorter than this are not replaced: it would mangle ordinary words without protecting anything. */
const MIN_SECRET_LENGTH = 4;

/**
 * A function that replaces, in any text, every occurrence of the given secrets, every
 * password of a URI and every PEM private key with `[redacted]`.
 */
export function createSecretRedactor(secrets: Iterable<string>): (text: string) => string {
  const list = [...new Set(secrets)]
    .filter((secret) => typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const secret of list) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    if (result.includes('://')) result = result.replace(URI_PASSWORD, `$1${REDACTED}@`);
    if (result.includes('PRIVATE KEY-----')) result = result.replace(PEM_PRIVATE_KEY, REDACTED);
    return result;
  };
}

/** What the user handed in that may hold a secret. */
export interface SecretSources {
  /** Handshake headers (from `-H`, a token, or the `headers` option). */
  headers?: Record<string, string>;
  /** URIs that may carry `user:password@`. */
  uris?: readonly (string | undefined)[];
  /** Bearer tokens and other bare secrets. */
  tokens?: readonly (string | undefined)[];
  /** Private keys (PEM): every line of the key is a secret. */
  keys?: readonly (string | Buffer | undefined)[];
}

/** Every secret value of `sources`, in each form it can take in a text. */
export function collectSecrets(sources: SecretSources): string[] {
  const secrets: string[] = [...secretsOfHeaders(sources.headers ?? {})];
  for (const uri of sources.uris ?? []) if (uri !== undefined) secrets.push(...secretsOfUri(uri));
  for (const token of sources.tokens ?? []) if (token) secrets.push(token);
  for (const key of sources.keys ?? []) {
    if (key === undefined) continue;
    for (const line of String(key).split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed !== '' && !trimmed.startsWith('-----')) secrets.push(trimmed);
    }
  }
  return secrets;
}

/**
 * The secret values among `headers`: the values of sensitive headers, their credential part
 * (`Bearer x` gives x), and for `Basic` the decoded `user:password` and password.
 */
export function secretsOfHeaders(headers: Record<string, string>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (isSensitiveHeader(name)) secrets.push(...secretsOfHeaderValue(value));
  }
  return secrets;
}

function secretsOfHeaderValue(value: string): string[] {
  const secrets = [value];
  const space = value.indexOf(' ');
  if (space <= 0) return secrets;
  const credential = value.slice(space + 1).trim();
  secrets.push(credential);
  if (value.slice(0, space).toLowerCase() === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) secrets.push(decoded, decoded.slice(colon + 1));
  }
  return secrets;
}

/**
 * The secrets of a URI's userinfo: the password as written and decoded, `user:password`, and
 * the `Basic` credential that the WebSocket library builds from them and sends as the
 * Authorization header (a server that echoes it must not reveal it). None when it has none.
 */
export function secretsOfUri(uri: string): string[] {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return [];
  }
  if (url.password === '') return [];
  const secrets = new Set<string>();
  for (const [user, password] of [
    [url.username, url.password],
    [safeDecode(url.username), safeDecode(url.password)],
  ] as const) {
    secrets.add(password);
    secrets.add(`${user}:${password}`);
    secrets.add(Buffer.from(`${user}:${password}`).toString('base64'));
  }
  return [...secrets];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `uri` with the password of its userinfo replaced by `[redacted]`, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(URI_PASSWORD, `$1${REDACTED}@`);
}

const HEADER_FLAGS = new Set(['-H', '--header']);
const URI_FLAGS = new Set(['-u', '--uri']);

/**
 * The secrets found in a command line and its environment before they are parsed, so that
 * a usage error (which may quote an argument) shows none: the values of sensitive `-H`
 * headers (with or without their colon), the userinfo of `-u` and `MONITORING_WEBSOCKET_URI`,
 * and `MONITORING_TOKEN`.
 */
export function secretsOfArguments(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const headers: string[] = [];
  const uris: (string | undefined)[] = [env.MONITORING_WEBSOCKET_URI];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const equals = arg.indexOf('=');
    const flag = arg.startsWith('--') && equals > 0 ? arg.slice(0, equals) : arg;
    const inline = flag !== arg ? arg.slice(equals + 1) : undefined;
    if (HEADER_FLAGS.has(flag) || URI_FLAGS.has(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined) continue;
      (HEADER_FLAGS.has(flag) ? headers : uris).push(value);
    } else if (arg.startsWith('-H') && arg.length > 2) {
      headers.push(arg.slice(2));
    } else if (arg.startsWith('-u') && arg.length > 2) {
      uris.push(arg.slice(2));
    }
  }
  const secrets = collectSecrets({ uris, tokens: [env.MONITORING_TOKEN?.trim()] });
  for (const header of headers) {
    // 'Name: value', or a malformed 'Name value' whose rest may still be a credential.
    const colon = header.indexOf(':');
    const split = colon > 0 ? colon : header.search(/\s/);
    if (split <= 0) continue;
    if (isSensitiveHeader(header.slice(0, split).trim())) {
      secrets.push(...secretsOfHeaderValue(header.slice(split + 1).trim()));
    }
  }
  return secrets;
}
