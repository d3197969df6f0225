/**
 * The headers of the WebSocket opening handshake: those the handshake owns (a user's value
 * would break it or smuggle a second request), and those that carry credentials (which must
 * not cross a network in clear text unnoticed).
 */
import { isSensitiveHeader } from '../redact.js';

const RESERVED = new Set([
  'host',
  'upgrade',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'te',
  'trailer',
]);

/** The reserved names, as written in messages. */
export const RESERVED_HANDSHAKE_HEADERS =
  'Host, Upgrade, Connection, Sec-WebSocket-*, Content-Length, Transfer-Encoding';

/**
 * True for a header that the handshake sets itself and a user may not replace: `Host`,
 * `Upgrade`, `Connection`, every `Sec-WebSocket-*` (key, version, extensions, protocol), and
 * the HTTP framing headers.
 */
export function isReservedHandshakeHeader(name: string): boolean {
  const lower = name.trim().toLowerCase();
  return RESERVED.has(lower) || lower.startsWith('sec-websocket-');
}

/** True for `localhost`, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * What credentials a connection to `uri` would send unencrypted (`ws://` to a host other
 * than this machine): the names of the sensitive headers, and the URI's user name and
 * password (sent as a Basic Authorization header). Empty when none, or when the link is
 * encrypted or local.
 */
export function credentialsSentInClear(uri: string, headers: Record<string, string>): string[] {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return [];
  }
  if (url.protocol !== 'ws:' || isLoopbackHost(url.hostname)) return [];
  const sent = Object.keys(headers).filter((name) => isSensitiveHeader(name) && headers[name] !== '');
  if (url.username !== '' || url.password !== '') sent.push('the user name and password of the URI');
  return sent;
}

/**
 * Why `value` cannot be sent as a header value, without quoting it (it may be a credential):
 * a control character, or a character beyond Latin-1. Undefined when it can.
 */
export function headerValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
      return `it holds a control character at position ${i + 1}`;
    }
    if (code > 0xff) {
      return `it holds a character beyond Latin-1 at position ${i + 1}, which HTTP headers cannot carry`;
    }
  }
  return undefined;
}
