/**
 * Time as the transport sees it. Injected so that reconnection delays and heartbeat timeouts
 * are tested with a fake clock instead of sleeps.
 */
export type TimerHandle = { readonly __timer: unique symbol } | ReturnType<typeof setTimeout>;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's longest timer (2^31 - 1 ms, about 24.8 days): a longer delay fires at once. */
export const MAX_NODE_TIMER_MS = 2 ** 31 - 1;

/**
 * A timer longer than one Node timer can hold: a chain of timers, each re-armed for what
 * remains until the deadline (measured on the monotonic clock, so a change of the wall
 * clock neither shortens nor stretches it).
 */
class ChainedTimer {
  readonly #callback: () => void;
  readonly #deadline: number;
  readonly #step: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #unref = false;

  constructor(callback: () => void, delayMs: number, step: number) {
    this.#callback = callback;
    this.#deadline = performance.now() + delayMs;
    this.#step = step;
    this.#arm();
  }

  // Node counts a timer from the event loop's cached time, which can lag the real time by a
  // millisecond or more: the last link may fire that much early. So every link ends here,
  // and the callback runs only once the deadline has passed on the monotonic clock.
  readonly #onLink = (): void => {
    this.#timer = undefined;
    if (this.#deadline - performance.now() <= 0) this.#callback();
    else this.#arm();
  };

  #arm(): void {
    const remaining = this.#deadline - performance.now();
    this.#timer = setTimeout(this.#onLink, Math.min(Math.ceil(remaining), this.#step));
    if (this.#unref) this.#timer.unref();
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Like a Node timer's unref(): the chain does not keep the process alive. */
  unref(): this {
    this.#unref = true;
    this.#timer?.unref();
    return this;
  }
}

/**
 * The system's clock. `maxTimerMs` is the longest single Node timer it sets (tests lower it
 * to check the chaining); a longer delay is chained, so that every user of the clock (the
 * `--duration` of the command line, reconnection waits, heartbeats) may wait any time.
 */
export function createSystemClock(maxTimerMs = MAX_NODE_TIMER_MS): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (callback, delayMs) =>
      delayMs > maxTimerMs
        ? (new ChainedTimer(callback, delayMs, maxTimerMs) as unknown as TimerHandle)
        : setTimeout(callback, delayMs),
    clearTimeout: (handle) => {
      if (handle instanceof ChainedTimer) handle.clear();
      else clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}

export const systemClock: Clock = createSystemClock();

/**
 * Lets the process exit while `handle` is pending, when the clock's timers support it (the
 * system clock's do; a fake clock's need not). For background checks that must not keep a
 * process alive that forgot to close what it opened.
 */
export function unrefTimer(handle: TimerHandle): void {
  const unref = (handle as { unref?: unknown }).unref;
  if (typeof unref === 'function') unref.call(handle);
}
