/**
 * How many messages a client may send: a token bucket that holds up to `burst` tokens and
 * refills at `ratePerSecond`; each message takes one. A client that sends a burst now and
 * then is never refused, one that sends faster than the rate for long runs out. Pure
 * arithmetic on the times it is given, so it is tested without a clock.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #lastMs: number;

  /** Starts full at `nowMs`. */
  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  /** Takes one token at `nowMs`; false when none is left: the caller is over its rate. */
  take(nowMs: number): boolean {
    // A clock that steps back refills nothing rather than draining the bucket.
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = Math.max(this.#lastMs, nowMs);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.ratePerSecond) / 1000);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
