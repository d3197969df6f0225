/**
 * How long to wait before a reconnection attempt. A pure function of the attempt number and
 * the policy (plus a random source), so it is tested without sockets or clocks.
 */

/** The reconnection delay policy, in milliseconds. */
export interface ReconnectPolicy {
  /** Wait before the first retry, in ms. */
  baseMs: number;
  /** Growth factor between consecutive retries; 1 keeps the wait fixed. */
  multiplier: number;
  /** Longest wait, in ms, however many attempts failed. */
  maxMs: number;
  /** Fraction (0 to {@link MAX_JITTER}) by which a wait may be randomly shortened. */
  jitter: number;
}

/**
 * Largest jitter fraction: a wait is never shortened by more than a fifth, so retries from
 * many clients spread out without hammering a server that just restarted.
 */
export const MAX_JITTER = 0.2;

/**
 * Milliseconds to wait before retry number `attempt` (1 for the first retry).
 *
 * The wait is `baseMs * multiplier^(attempt - 1)`, capped at `maxMs`, then shortened by a
 * random fraction of at most `jitter`. Jitter only ever shortens, so the configured interval
 * (or the cap) is an upper bound that a caller can rely on.
 *
 * @param random source of numbers in [0, 1); `Math.random` by default.
 */
export function reconnectDelay(
  attempt: number,
  policy: ReconnectPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // Math.min first: the product overflows to Infinity for large attempts, which min() absorbs.
  const grown = Math.min(policy.baseMs * policy.multiplier ** exponent, policy.maxMs);
  const jitter = Math.min(Math.max(policy.jitter, 0), MAX_JITTER);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(grown * (1 - jitter * r));
}
