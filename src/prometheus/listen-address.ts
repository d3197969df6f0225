/**
 * Where the endpoint listens: `[HOST:]PORT` as the command line takes it, and whether an
 * address is this machine only. Anything that listens binds 127.0.0.1 unless told otherwise,
 * and wider only with a token (see endpoint.ts).
 */
import { isIP } from 'node:net';

export const DEFAULT_LISTEN_HOST = '127.0.0.1';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `9464` (on 127.0.0.1), `0.0.0.0:9464`, `myhost:9464`, `[::1]:9464`. Port 0 picks a free
 * one. `undefined` for anything else.
 */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const trimmed = text.trim();
  let host = DEFAULT_LISTEN_HOST;
  let port = trimmed;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2]!;
    if (isIP(host) !== 6) return undefined;
  } else if (trimmed.includes(':')) {
    const colon = trimmed.lastIndexOf(':');
    host = trimmed.slice(0, colon);
    port = trimmed.slice(colon + 1);
    // A bare IPv6 address is ambiguous with its port: it must be in brackets.
    if (host === '' || host.includes(':') || /\s/.test(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(port)) return undefined;
  const number = Number(port);
  return number <= 65535 ? { host, port: number } : undefined;
}

/** True for an address that only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower === '::1' || lower === '::ffff:127.0.0.1') return true;
  return isIP(lower) === 4 && lower.startsWith('127.');
}
