/**
 * `fleet.records()`: the records as an async iterator, for code that prefers `for await` to
 * callbacks. It is a sink with a bounded queue, so a slow consumer never grows memory:
 * with `overflow: 'drop-oldest'` (default) the oldest queued record is dropped and counted;
 * with `'pause'` the pipeline stops reading every socket while the queue is full (and drops,
 * counted, only what was already in flight past twice the size).
 */
import { InvalidOptionError } from '../errors.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink } from '../pipeline/sink.js';

export interface RecordStreamOptions {
  /** Records queued at most. @default 1000 */
  bufferSize?: number;
  /** What a full queue does. @default 'drop-oldest' */
  overflow?: 'drop-oldest' | 'pause';
}

export class RecordStream implements Sink, AsyncIterableIterator<MonitoringRecord> {
  readonly name = 'records';
  readonly #capacity: number;
  readonly #pause: boolean;
  readonly #detach: (stream: RecordStream) => void;
  #queue: MonitoringRecord[] = [];
  #head = 0;
  #waiting: ((result: IteratorResult<MonitoringRecord>) => void) | undefined;
  #done = false;
  #dropped = 0;
  #delivered = 0;
  #congested = false;
  readonly #congestionListeners = new Set<(congested: boolean) => void>();

  constructor(options: RecordStreamOptions, detach: (stream: RecordStream) => void) {
    const size = options.bufferSize ?? 1000;
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new InvalidOptionError('bufferSize', size, 'a positive integer');
    }
    if (
      options.overflow !== undefined &&
      options.overflow !== 'drop-oldest' &&
      options.overflow !== 'pause'
    ) {
      throw new InvalidOptionError('overflow', options.overflow, "'drop-oldest' or 'pause'");
    }
    this.#capacity = size;
    this.#pause = options.overflow === 'pause';
    this.#detach = detach;
  }

  write(record: MonitoringRecord): void {
    if (this.#done) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      this.#delivered++;
      waiting({ value: record, done: false });
      return;
    }
    this.#queue.push(record);
    const queued = this.#queue.length - this.#head;
    const limit = this.#pause ? this.#capacity * 2 : this.#capacity;
    if (queued > limit) {
      this.#head++;
      this.#dropped++;
    }
    if (this.#pause && !this.#congested && queued >= this.#capacity) this.#setCongested(true);
  }

  next(): Promise<IteratorResult<MonitoringRecord>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head]!;
      this.#head++;
      // Compact now and then instead of shifting on every read (O(1) amortized).
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#delivered++;
      if (this.#congested && this.#queue.length - this.#head <= this.#capacity / 2) this.#setCongested(false);
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** Ends the iteration (a `break` out of `for await` calls it) and leaves the pipeline. */
  return(): Promise<IteratorResult<MonitoringRecord>> {
    this.#end();
    this.#queue = [];
    this.#head = 0;
    this.#detach(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MonitoringRecord> {
    return this;
  }

  onCongestion(listener: (congested: boolean) => void): () => void {
    this.#congestionListeners.add(listener);
    return () => this.#congestionListeners.delete(listener);
  }

  stats(): Record<string, unknown> {
    return {
      queued: this.#queue.length - this.#head,
      capacity: this.#capacity,
      delivered: this.#delivered,
      dropped: this.#dropped,
    };
  }

  /** The fleet stopped: the records queued are still delivered, then the iteration ends. */
  async close(): Promise<void> {
    this.#end();
  }

  #end(): void {
    this.#done = true;
    this.#setCongested(false);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  #setCongested(congested: boolean): void {
    if (this.#congested === congested) return;
    this.#congested = congested;
    for (const listener of this.#congestionListeners) listener(congested);
  }
}
