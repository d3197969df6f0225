/**
 * A bounded, first-in first-out buffer: the message history. Adding is O(1) whatever the
 * capacity, because a full buffer overwrites its oldest slot instead of shifting an array
 * (O(n) in general; a history may hold many entries and a server may be fast).
 */
import { InvalidOptionError } from '../errors.js';

export class RingBuffer<T> {
  readonly #capacity: number;
  // Grows up to `capacity`, then is reused in place.
  #items: T[] = [];
  // Index of the oldest item.
  #start = 0;
  #size = 0;

  /**
   * @param capacity Items kept; the oldest is dropped first when a new one arrives. A
   *   positive integer.
   * @throws InvalidOptionError when `capacity` is not a positive integer.
   */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new InvalidOptionError('capacity', capacity, 'a positive integer');
    }
    this.#capacity = capacity;
  }

  /** Items the buffer holds at most. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Items the buffer holds now. */
  get size(): number {
    return this.#size;
  }

  /** Adds `item` as the newest; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    if (this.#size < this.#capacity) {
      this.#items[(this.#start + this.#size) % this.#capacity] = item;
      this.#size++;
      return undefined;
    }
    const dropped = this.#items[this.#start];
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.#capacity;
    return dropped;
  }

  /** The items, oldest first, as a new array. */
  toArray(): T[] {
    const out = new Array<T>(this.#size);
    for (let i = 0; i < this.#size; i++) {
      out[i] = this.#items[(this.#start + i) % this.#capacity] as T;
    }
    return out;
  }

  /** Removes every item (and lets them be garbage-collected). */
  clear(): void {
    this.#items = [];
    this.#start = 0;
    this.#size = 0;
  }

  /** Iterates oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#size; i++) {
      yield this.#items[(this.#start + i) % this.#capacity] as T;
    }
  }
}
