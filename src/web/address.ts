/**
 * Where the dashboard listens: `[HOST:]PORT` as typed on the command line, and whether that
 * address is private to this machine's own user sessions (then no token is needed).
 */
import { isIP } from 'node:net';
import { InvalidOptionError } from '../errors.js';

export const DEFAULT_WEB_HOST = '127.0.0.1';

export interface WebAddress {
  /** An IP address or a host name, without brackets. */
  readonly host: string;
  /** 0 lets the system choose a free port. */
  readonly port: number;
}

/**
 * The addresses that need no token: the loopback address the dashboard uses by default, its
 * IPv6 twin and `localhost`. Any other, even 127.0.0.2, is treated as reachable by others
 * (containers, port forwards and other users share the wider loopback range).
 */
export function isPrivateBind(host: string): boolean {
  const lower = host.toLowerCase();
  return lower === '127.0.0.1' || lower === '::1' || lower === 'localhost';
}

/**
 * Reads `PORT`, `HOST:PORT` or `[IPv6]:PORT`.
 * @throws InvalidOptionError naming `option`, the value and what is allowed.
 */
export function parseWebAddress(text: string, option = '--web'): WebAddress {
  const allowed = '[HOST:]PORT with PORT 0-65535, e.g. 8080, 0.0.0.0:8080 or [::1]:8080';
  const value = text.trim();
  let host = DEFAULT_WEB_HOST;
  let port = value;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2]!;
    if (isIP(host) !== 6) throw new InvalidOptionError(option, text, allowed);
  } else if (value.includes(':')) {
    const colon = value.lastIndexOf(':');
    host = value.slice(0, colon);
    port = value.slice(colon + 1);
    // A bare IPv6 address is ambiguous with its port: ask for brackets.
    if (host.includes(':') || !/^[A-Za-z0-9.-]+$/.test(host))
      throw new InvalidOptionError(option, text, allowed);
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new InvalidOptionError(option, text, allowed);
  return { host, port: Number(port) };
}

/** `host:port` for a URL (IPv6 in brackets). */
export function formatHostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
