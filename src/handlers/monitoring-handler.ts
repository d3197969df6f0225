/**
 * The history: it keeps the last accepted record and (when asked) a bounded history of them.
 * In a client it is the `history` sink of the pipeline, which has already filtered the
 * records; used on its own, as the documentation does, it picks the `monitoring_data`
 * messages out of the frames given to `handleMessage`, applies its own filter, and hands each
 * accepted record to `onRecord`.
 *
 * It does not format or print: that is the display sink's job.
 */
import { MAX_HISTORY_SIZE } from '../config.js';
import { HistoryDisabledError, InvalidOptionError } from '../errors.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink } from '../pipeline/sink.js';
import type { ParsedMessage } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import type { IncomingMessage, MessageHandler } from './handler.js';
import { RingBuffer } from './history.js';

export type { MonitoringRecord } from '../pipeline/record.js';

/** Where accepted records go, one call per record; the client supplies it. */
export type RecordSink = (record: MonitoringRecord) => void;

export interface MonitoringHandlerOptions {
  /** Keep accepted records in memory for `getHistory()`. Default `false`. */
  storeHistory?: boolean;
  /**
   * Records kept when `storeHistory` is on; the oldest is dropped first. A positive integer.
   * Default {@link MAX_HISTORY_SIZE} (1000).
   */
  maxHistorySize?: number;
  /**
   * Decides which records are kept: a record it rejects (or throws on) is neither passed to
   * `onRecord`, nor stored, nor remembered as the last data. Default: every record is kept.
   */
  filter?: (record: MonitoringRecord) => boolean;
  /** Called with each accepted record (the client formats and prints it). Default: none. */
  onRecord?: RecordSink;
  /** Told of an error thrown by `filter` or `onRecord`; the handler goes on. Default: none. */
  onError?: (error: Error) => void;
}

/** Counters of a {@link MonitoringHandler}. */
export interface MonitoringHandlerStats {
  /** `monitoring_data` messages seen (accepted or filtered out). */
  messagesHandled: number;
  /** Messages the filter rejected (or threw on). */
  filtered: number;
  /** Messages accepted: passed to `onRecord` and stored (`messagesHandled - filtered`). */
  recordsAccepted: number;
  /** Errors thrown by `filter` or `onRecord`. */
  callbackErrors: number;
  /** Records in the history now (0 when history is off). */
  historySize: number;
  /** Records the history keeps at most (0 when history is off). */
  historyCapacity: number;
}

export class MonitoringHandler implements MessageHandler, Sink {
  readonly name = 'history';
  /** True when the handler keeps a history (`storeHistory`). */
  readonly historyEnabled: boolean;
  readonly #history: RingBuffer<MonitoringRecord> | undefined;
  readonly #filter: ((record: MonitoringRecord) => boolean) | undefined;
  readonly #onRecord: RecordSink | undefined;
  readonly #onError: ((error: Error) => void) | undefined;
  #lastRecord: MonitoringRecord | undefined;
  #messagesHandled = 0;
  #filtered = 0;
  #callbackErrors = 0;
  #closed = false;

  /** @throws InvalidOptionError when `maxHistorySize` is not a positive integer. */
  constructor(options: MonitoringHandlerOptions = {}) {
    const maxHistorySize = options.maxHistorySize ?? MAX_HISTORY_SIZE;
    if (!Number.isSafeInteger(maxHistorySize) || maxHistorySize < 1) {
      throw new InvalidOptionError('maxHistorySize', maxHistorySize, 'a positive integer');
    }
    this.historyEnabled = options.storeHistory === true;
    this.#history = this.historyEnabled ? new RingBuffer(maxHistorySize) : undefined;
    this.#filter = options.filter;
    this.#onRecord = options.onRecord;
    this.#onError = options.onError;
  }

  /** Acts on `monitoring_data` messages that have a snapshot; ignores every other frame. */
  handleMessage(incoming: IncomingMessage): void {
    if (this.#closed || incoming?.type !== 'monitoring_data') return;
    const { snapshot, message, frame } = incoming;
    if (snapshot === undefined || message === undefined) return;
    this.write({ target: snapshot.source ?? '', snapshot, message, frame });
  }

  /** One record of the pipeline (already filtered by it; this handler's own filter still applies). */
  write(record: MonitoringRecord): void {
    if (this.#closed) return;
    this.#messagesHandled++;
    if (this.#filter !== undefined) {
      let keep: boolean;
      try {
        keep = Boolean(this.#filter(record));
      } catch (error) {
        // A filter that throws on a record (say, on a message without GPU data) does not
        // match it; the error is still reported, since it is usually a bug.
        this.#report('filter', error);
        keep = false;
      }
      if (!keep) {
        this.#filtered++;
        return;
      }
    }
    this.#lastRecord = record;
    this.#history?.push(record);
    if (this.#onRecord !== undefined) {
      try {
        this.#onRecord(record);
      } catch (error) {
        this.#report('onRecord', error);
      }
    }
  }

  /** The last accepted `monitoring_data` message, as received. */
  get lastData(): ParsedMessage | undefined {
    return this.#lastRecord?.message;
  }

  /** The snapshot of the last accepted `monitoring_data` message. */
  get lastSnapshot(): MonitoringSnapshot | undefined {
    return this.#lastRecord?.snapshot;
  }

  /**
   * The stored records, oldest first (a copy).
   * @throws HistoryDisabledError when the handler was created without `storeHistory`.
   */
  getHistory(): MonitoringRecord[] {
    if (this.#history === undefined) throw new HistoryDisabledError();
    return this.#history.toArray();
  }

  getStats(): MonitoringHandlerStats {
    return {
      messagesHandled: this.#messagesHandled,
      filtered: this.#filtered,
      recordsAccepted: this.#messagesHandled - this.#filtered,
      callbackErrors: this.#callbackErrors,
      historySize: this.#history?.size ?? 0,
      historyCapacity: this.#history?.capacity ?? 0,
    };
  }

  /** Handles records again after `close()` (a client restarted). History and counters are kept. */
  start(): void {
    this.#closed = false;
  }

  /** Stops handling messages. The history and last data stay readable. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #report(callback: string, error: unknown): void {
    this.#callbackErrors++;
    if (this.#onError === undefined) return;
    const wrapped =
      error instanceof Error ? error : new Error(`${callback} threw a non-Error value`, { cause: error });
    try {
      this.#onError(wrapped);
    } catch {
      // The error callback itself failed: nothing sensible is left to tell.
    }
  }
}
