/**
 * The server's token: every connection must present `Authorization: Bearer TOKEN`.
 *
 * Both sides are hashed (SHA-256) before `timingSafeEqual`, so the comparison takes the same
 * time whatever the presented token's length or its first differing byte. The token itself
 * is kept only as its digest: it cannot end up in a log or an error message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** What a presented `Authorization` header is worth. */
export type TokenVerdict = 'ok' | 'missing' | 'wrong';

/** Visible ASCII, inner spaces allowed: what fits in an HTTP header and survives a trim. */
const TOKEN_SHAPE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** What a token may be, as error messages say it. */
export const TOKEN_ALLOWED = 'a token of visible ASCII characters on one line';

/** True when `value` can serve as a token (see {@link TOKEN_ALLOWED}). */
export function isValidToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SHAPE.test(value);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class BearerToken {
  readonly #digest: Buffer;

  /** `token` must satisfy {@link isValidToken}. */
  constructor(token: string) {
    this.#digest = digest(token);
  }

  /** Checks the value of an `Authorization` header (the scheme is case-insensitive). */
  check(authorization: string | undefined): TokenVerdict {
    const match = authorization === undefined ? null : /^bearer[ \t]+(.*)$/i.exec(authorization);
    const presented = match?.[1]?.trim();
    if (!presented) return 'missing';
    return timingSafeEqual(digest(presented), this.#digest) ? 'ok' : 'wrong';
  }
}
