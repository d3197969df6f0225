import type { Clock, TimerHandle } from '../../src/transport/clock.js';

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** A clock whose time moves only when a test calls `tick()`. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(startMs = Date.UTC(2026, 10, 25, 12, 0, 0)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, delayMs), callback };
    this.#timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== (handle as unknown as number));
  }

  /** Timers still pending. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Delay until the next timer fires, or undefined when none is pending. */
  nextDelay(): number | undefined {
    if (this.#timers.length === 0) return undefined;
    return Math.min(...this.#timers.map((t) => t.at)) - this.#now;
  }

  /** Moves time forward by `ms`, firing due timers in order (including ones they schedule). */
  tick(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.callback();
    }
    this.#now = target;
  }
}
