/**
 * Who may read the dashboard. Two checks on every request, the live stream included:
 *
 * - **Host.** A page of another site can make its own name resolve to 127.0.0.1 (DNS
 *   rebinding) and then read a loopback server as if it were that site. The browser still
 *   sends the attacker's name in `Host`, so only names known to mean this server are served:
 *   IP literals, `localhost`, and the names the user allows (plus this machine's name when
 *   the dashboard listens beyond loopback).
 * - **Token** (required beyond loopback). Given as `Authorization: Bearer TOKEN` (scripts), as
 *   the cookie that `?token=TOKEN` sets once (browsers: the URL printed at start), compared in
 *   constant time. The cookie is HttpOnly (no script reads it) and SameSite=Strict (no other
 *   site's page sends it).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export const TOKEN_COOKIE = 'mwc_web_token';
const TOKEN_QUERY = 'token';
/** Characters a token may hold: printable ASCII that is safe in a cookie and a URL query. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{16,512}$/;

/** A new random token: 32 bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Why `token` cannot be used, or undefined when it can. */
export function tokenProblem(token: string): string | undefined {
  return TOKEN_PATTERN.test(token)
    ? undefined
    : 'expected 16 to 512 characters among A-Z a-z 0-9 . _ ~ + / = -';
}

/** Compares in time independent of where the strings differ (digests have equal length). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export type AccessVerdict =
  | { readonly kind: 'allow' }
  /** A valid `?token=`: set the cookie and send the browser to `location` (the URL without it). */
  | { readonly kind: 'set-cookie'; readonly location: string; readonly cookie: string }
  | { readonly kind: 'deny'; readonly status: 400 | 401 | 421; readonly reason: string };

export interface AccessPolicyOptions {
  /** Required on every request when set. */
  readonly token: string | undefined;
  /** Host names (lower case, without port) besides IP literals and `localhost`. */
  readonly allowedHosts: readonly string[];
}

export class AccessPolicy {
  readonly #token: string | undefined;
  readonly #allowedHosts: ReadonlySet<string>;

  constructor(options: AccessPolicyOptions) {
    this.#token = options.token;
    this.#allowedHosts = new Set(options.allowedHosts.map((name) => name.toLowerCase()));
  }

  get requiresToken(): boolean {
    return this.#token !== undefined;
  }

  /** `url` is the request's URL, already parsed. */
  check(request: IncomingMessage, url: URL): AccessVerdict {
    const host = hostName(request.headers.host);
    if (host === undefined) return { kind: 'deny', status: 400, reason: 'missing or malformed Host header' };
    if (!this.#hostAllowed(host)) {
      return { kind: 'deny', status: 421, reason: 'this server does not answer to that host name' };
    }
    const token = this.#token;
    if (token === undefined) return { kind: 'allow' };

    const fromQuery = url.searchParams.get(TOKEN_QUERY);
    if (fromQuery !== null) {
      if (!tokensEqual(fromQuery, token)) return { kind: 'deny', status: 401, reason: 'wrong token' };
      const clean = new URL(url.href);
      clean.searchParams.delete(TOKEN_QUERY);
      return {
        kind: 'set-cookie',
        // One leading slash only: `//host` would send the browser to another site.
        location: `/${clean.pathname.replace(/^\/+/, '')}${clean.search}`,
        cookie: `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      };
    }
    const given =
      bearerToken(request.headers.authorization) ?? cookieValue(request.headers.cookie, TOKEN_COOKIE);
    if (given === undefined) return { kind: 'deny', status: 401, reason: 'this dashboard needs its token' };
    if (!tokensEqual(given, token)) return { kind: 'deny', status: 401, reason: 'wrong token' };
    return { kind: 'allow' };
  }

  #hostAllowed(host: string): boolean {
    return isIP(host) !== 0 || host === 'localhost' || this.#allowedHosts.has(host);
  }
}

/** The host name of a Host header, lower case, without port and brackets; undefined if malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const lower = header.toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(lower);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1] : undefined;
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(lower);
  return plain ? plain[1] : undefined;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
