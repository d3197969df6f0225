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
 * - After the end (`hold`): recorded time stands still at the end of the recording, so what
 *   is shown stays the final state (no target turns stale, no `for` elapses), but timers
 *   fire after their delay in real time: a dashboard still redraws on a key, a writer still
 *   flushes, a hung alert command is still killed.
 */
import { type Clock, systemClock, type TimerHandle } from '../transport/clock.js';

export type ReplaySpeed = number | 'max';

interface VirtualTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** A handle of this clock once held: the base clock's timer behind it. */
interface HeldTimer {
  readonly held: TimerHandle;
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
  /** Set by `hold()`: recorded time stands still here. */
  #heldAt: number | undefined;
  /** Virtual timers moved to the base clock by `hold()`, by their id. */
  readonly #moved = new Map<number, TimerHandle>();

  /** @param origin recorded time before the replay starts (its first item's time). */
  constructor(speed: ReplaySpeed, origin: number, base: Clock = systemClock) {
    this.speed = speed;
    this.#base = base;
    this.#origin = origin;
    this.#virtualNow = origin;
  }

  now(): number {
    if (this.#heldAt !== undefined) return this.#heldAt;
    if (this.speed === 'max') return this.#virtualNow;
    if (this.#realStart === undefined) return this.#origin;
    return this.#origin + (this.#base.now() - this.#realStart) * this.speed;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (this.#heldAt !== undefined) return heldHandle(this.#base.setTimeout(callback, Math.max(0, delayMs)));
    if (this.speed !== 'max') return this.#base.setTimeout(callback, Math.max(0, delayMs) / this.speed);
    const timer = { id: this.#nextId++, at: this.#virtualNow + Math.max(0, delayMs), callback };
    this.#timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    if (isHeld(handle)) {
      this.#base.clearTimeout(handle.held);
      return;
    }
    if (this.speed !== 'max') {
      this.#base.clearTimeout(handle);
      return;
    }
    const id = handle as unknown as number;
    const moved = this.#moved.get(id);
    if (moved !== undefined) {
      this.#moved.delete(id);
      this.#base.clearTimeout(moved);
      return;
    }
    const index = this.#timers.findIndex((timer) => timer.id === id);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /** Starts recorded time at `origin`, now. */
  begin(origin: number): void {
    this.#heldAt = undefined;
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

  /**
   * The replay is over: recorded time stops where it is, and from now on timers run on the
   * base clock, at their delay in real time. Virtual timers still waiting (full speed) are
   * moved there, with what was left of their delay in recorded time; their handles keep
   * working with `clearTimeout`.
   */
  hold(): void {
    if (this.#heldAt !== undefined) return;
    const at = this.now();
    this.#heldAt = at;
    const waiting = this.#timers;
    this.#timers = [];
    for (const timer of waiting) {
      const handle = this.#base.setTimeout(timer.callback, Math.max(0, timer.at - at));
      this.#moved.set(timer.id, handle);
    }
  }

  /** True once `hold()` stopped recorded time. */
  get held(): boolean {
    return this.#heldAt !== undefined;
  }

  /** Timers waiting for virtual time (full speed). */
  get pendingTimers(): number {
    return this.#timers.length;
  }
}

function heldHandle(held: TimerHandle): TimerHandle {
  return { held } satisfies HeldTimer as unknown as TimerHandle;
}

function isHeld(handle: TimerHandle): handle is TimerHandle & HeldTimer {
  return typeof handle === 'object' && handle !== null && 'held' in handle;
}
