/**
 * Bounds the connection handshakes in flight across many clients (a fleet shares one).
 *
 * Thousands of handshakes at once compete for the event loop: 5,000 wss:// targets started
 * at once on two cores had 825 to 2,375 of them time out (each then retried), where 100 at a
 * time had none and were all up sooner (bench/README.md, the connection storm). Their objects
 * also live at the same time, and the heap keeps that peak: 1,000 targets settled at a median
 * of 143 MB of RSS opened at once, 129 MB a hundred at a time.
 *
 * A slot is held from the start of an attempt until its handshake ends, but never longer
 * than `holdLimitMs`: a host that swallows packets keeps its attempt waiting for the connect
 * timeout, and must not keep healthy targets waiting behind it. At worst, `limit` attempts
 * start per `holdLimitMs`.
 *
 * Written by hand: semaphore packages queue promises, and neither give a waiting entry up
 * when its client stops nor free a slot after a time.
 */
import type { Clock, TimerHandle } from './clock.js';

/** A place in the queue, then a slot: release() gives it up either way (idempotent). */
export interface ConnectSlot {
  release(): void;
}

interface Entry extends ConnectSlot {
  readonly admit: (slot: ConnectSlot) => void;
  state: 'waiting' | 'holding' | 'released';
  timer: TimerHandle | undefined;
}

export class ConnectSlots {
  readonly #limit: number;
  readonly #holdLimitMs: number;
  readonly #clock: Clock;
  /** Waiting entries in arrival order; released ones are skipped when reached. */
  readonly #queue: Entry[] = [];
  #holding = 0;

  constructor(limit: number, holdLimitMs: number, clock: Clock) {
    this.#limit = limit;
    this.#holdLimitMs = holdLimitMs;
    this.#clock = clock;
  }

  /** Slots in use. */
  get holding(): number {
    return this.#holding;
  }

  /** Attempts waiting for a slot. */
  get waiting(): number {
    return this.#queue.filter((entry) => entry.state === 'waiting').length;
  }

  /**
   * Calls `admit` with the slot once one is free: at once (synchronously) when one is.
   * The caller releases the returned slot when its handshake ends, or to leave the queue.
   */
  acquire(admit: (slot: ConnectSlot) => void): ConnectSlot {
    const entry: Entry = {
      admit,
      state: 'waiting',
      timer: undefined,
      release: () => this.#release(entry),
    };
    this.#queue.push(entry);
    this.#admitWaiting();
    return entry;
  }

  #release(entry: Entry): void {
    const was = entry.state;
    entry.state = 'released';
    if (was !== 'holding') return;
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    this.#holding--;
    this.#admitWaiting();
  }

  #admitWaiting(): void {
    while (this.#holding < this.#limit) {
      const entry = this.#queue.shift();
      if (entry === undefined) return;
      if (entry.state !== 'waiting') continue;
      entry.state = 'holding';
      this.#holding++;
      entry.timer = this.#clock.setTimeout(() => {
        entry.timer = undefined;
        this.#release(entry);
      }, this.#holdLimitMs);
      entry.admit(entry);
    }
  }
}
