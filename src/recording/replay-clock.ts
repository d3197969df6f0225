/**
 * The time of a replay: the recording's own time, so that everything a pipeline computes from
 * its clock (a target's age and staleness, an alert's `for 30s`, a dashboard's clock) sees the
 * recorded session as it was, and records keep their recorded receive times.
 *
 * - At a pace (`speed` N): recorded time runs N times as fast as the base clock from the
 *   moment the replay starts; a timer of d ms fires after d / N real ms.
 * - At full speed: time is virtual. It moves only when the replay hands over an item
 *   (`advanceTo`), and the timers due on the way fire then, in order, each seeing its own
 *   due time as now (as with a fake clock in tests).
 */
import { type Clock, systemClock, type TimerHandle } from '../transport/clock.js';

export type ReplaySpeed = number | 'max';

interface VirtualTimer {
  id: number;
  at: number;
  callback: () => void;
}

export class ReplayClock implements Clock {
  readonly speed: ReplaySpeed;
  readonly #base: Clock;
  /** Recorded time at the start of the replay. */
  #origin: number;
  /** Base time at the start of the replay; undefined before it. */
  #realStart: number | undefined;
  /** Full speed: the current recorded time. */
  #virtualNow: number;
  #timers: VirtualTimer[] = [];
  #nextId = 1;

  /** @param origin recorded time before the replay starts (its first item's time). */
  constructor(speed: ReplaySpeed, origin: number, base: Clock = systemClock) {
    this.speed = speed;
    this.#base = base;
    this.#origin = origin;
    this.#virtualNow = origin;
  }

  now(): number {
    if (this.speed === 'max') return this.#virtualNow;
    if (this.#realStart === undefined) return this.#origin;
    return this.#origin + (this.#base.now() - this.#realStart) * this.speed;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (this.speed !== 'max') return this.#base.setTimeout(callback, Math.max(0, delayMs) / this.speed);
    const timer = { id: this.#nextId++, at: this.#virtualNow + Math.max(0, delayMs), callback };
    this.#timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    if (this.speed !== 'max') {
      this.#base.clearTimeout(handle);
      return;
    }
    const index = this.#timers.findIndex((timer) => timer.id === (handle as unknown as number));
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /** Starts recorded time at `origin`, now. */
  begin(origin: number): void {
    this.#origin = origin;
    this.#virtualNow = origin;
    this.#realStart = this.#base.now();
  }

  /** At a pace: base milliseconds until recorded time `at` (0 when it has passed). */
  delayUntil(at: number): number {
    if (this.speed === 'max') return 0;
    return Math.max(0, (at - this.now()) / this.speed);
  }

  /** At full speed: moves time to `at` (never back), firing the timers due on the way. */
  advanceTo(at: number): void {
    if (this.speed !== 'max') return;
    for (;;) {
      let due: VirtualTimer | undefined;
      for (const timer of this.#timers) {
        if (timer.at <= at && (due === undefined || timer.at < due.at)) due = timer;
      }
      if (due === undefined) break;
      this.#timers.splice(this.#timers.indexOf(due), 1);
      if (due.at > this.#virtualNow) this.#virtualNow = due.at;
      due.callback();
    }
    if (at > this.#virtualNow) this.#virtualNow = at;
  }

  /** Timers waiting for virtual time (full speed). */
  get pendingTimers(): number {
    return this.#timers.length;
  }
}
