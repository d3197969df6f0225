/**
 * Which browser pages may connect. A browser always names the page's origin in the `Origin`
 * header of a WebSocket handshake, and a page cannot forge it; clients that are not browsers
 * (ours, the Python one, scripts) send none. So a connection with an `Origin` is served only
 * when that origin is allowed, and one without is not a browser's and is served whatever
 * `Host` it names.
 *
 * Origins are not matched against `Host`: under DNS rebinding a hostile page's origin *is* the
 * host it connects to (`http://rebind.evil.example:8765`), so "same origin" proves nothing.
 */

/** What an allowed origin may be, as error messages say it. */
export const ORIGIN_ALLOWED =
  'an origin such as https://dashboard.example:8443 (http or https, host and optional port, no path)';

/**
 * The canonical form of an origin to allow: `scheme://host[:port]`, lower case, without the
 * scheme's default port; undefined when `value` is not such an origin.
 */
export function canonicalOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
  return url.origin;
}

export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>;

  /** `allowed` must be canonical (see {@link canonicalOrigin}). */
  constructor(allowed: readonly string[]) {
    this.#allowed = new Set(allowed);
  }

  /** True when a handshake whose `Origin` header is `origin` may be served. */
  allows(origin: string | undefined): boolean {
    // Browsers never send an empty Origin: absent and empty both mean "not a browser".
    if (origin === undefined || origin.trim() === '') return true;
    let canonical: string;
    try {
      canonical = new URL(origin.trim()).origin;
    } catch {
      return false;
    }
    // "null" (sandboxed frames, file: pages) is never allowed: it names no one.
    return canonical !== 'null' && this.#allowed.has(canonical);
  }
}
