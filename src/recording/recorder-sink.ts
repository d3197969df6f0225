/**
 * The recorder: a sink that keeps every accepted monitoring record, the targets and their
 * events in a SQLite recording (see schema.ts), for `query` and `replay`.
 *
 * The event loop only gathers: each record becomes numbers and texts in columns and its
 * frame's bytes in one buffer ({@link FrameBatch}), a few copies and no allocation per
 * field. A flush hands all of it (the buffers themselves, transferred; the worker gives them
 * back) to a worker thread (recorder-writer.ts), which commits it
 * in one transaction and compresses the frames, so that SQLite never delays the sockets.
 * A flush happens when {@link RecorderSinkOptions.flushRows} rows wait, or at the latest
 * {@link RecorderSinkOptions.flushInterval} after the first one came: never one transaction
 * per message. With WAL and `synchronous=NORMAL` a committed flush survives the process
 * being killed, so a SIGKILL loses at most about the last interval, and leaves a file that
 * passes `PRAGMA integrity_check`.
 *
 * One flush at a time is with the worker; what comes meanwhile waits for the next. When the
 * disk cannot keep up and waiting rows pass four flushes' worth, the sink reports congestion
 * (the pipeline stops reading the sockets) until they are back under one. When the database
 * refuses writes (locked by another program, a full disk), the flush is tried again every
 * interval and rows wait up to {@link RecorderSinkOptions.maxPendingRows}; beyond, the
 * oldest are dropped and counted.
 *
 * `retention` deletes older rows at start and then every `retentionInterval`, on the
 * pipeline's clock.
 */
import { Worker } from 'node:worker_threads';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { CONNECTION_EVENT_TYPES, type PipelineEvent } from '../pipeline/events.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import type { Clock, TimerHandle } from '../transport/clock.js';
import { FrameBatch } from './frame-batch.js';
import { writeMetrics } from './metrics.js';
import {
  type BatchEvent,
  NUMBERS_PER_ROW,
  type RecorderBatch,
  RecorderWriter,
  type TargetDefinition,
  TEXTS_PER_ROW,
  type WriterReply,
  type WriterRequest,
} from './recorder-writer.js';
import { RecordingError, type RecordingErrorCode } from './recording-error.js';

export interface RecorderSinkOptions {
  /** The recording's file; created when missing, appended to when it is a recording already. */
  path: string;
  /** Milliseconds of data kept: older rows are deleted as the recorder runs. Default: everything is kept. */
  retention?: number;
  /** Milliseconds between the retention passes. Default: a tenth of `retention`, from 1 s to 1 min. */
  retentionInterval?: number;
  /** Most milliseconds a record waits before its flush (and between retries). Default 500. */
  flushInterval?: number;
  /** Rows (snapshots and events) waiting that trigger a flush at once. Default 2000. */
  flushRows?: number;
  /** Most rows kept waiting while the database refuses writes; the oldest are dropped beyond. Default 100,000. */
  maxPendingRows?: number;
  /** Names the sink in errors and statistics. Default `record`. */
  name?: string;
}

/** Counters of a {@link RecorderSink}, shown by `--stats`. */
export interface RecorderStats {
  /** As given. */
  path: string;
  /** Snapshot rows committed. */
  rowsWritten: number;
  /** Event rows committed. */
  eventsWritten: number;
  /** Rows (snapshots and events) not committed yet: waiting, or in the flush being written. */
  pendingRows: number;
  /** Transactions committed. */
  flushes: number;
  /** Snapshot and event rows deleted by the retention. */
  rowsDeleted: number;
  /** Rows dropped because the database refused writes for too long. */
  rowsLost: number;
  /** Failed flushes and retention passes. */
  writeErrors: number;
  lastError: string | null;
}

/** Half a second: with the worker's commit after it, a record is on disk within a second. */
export const DEFAULT_FLUSH_INTERVAL = 500;
export const DEFAULT_FLUSH_ROWS = 2000;
export const DEFAULT_MAX_PENDING_ROWS = 100_000;
/** Flushes' worth of waiting rows from which the sink reports congestion. */
const CONGESTED_FLUSHES = 4;

/** Lifecycle events worth keeping (the rest is either in the snapshots or in `targets`). */
const RECORDED_EVENTS: ReadonlySet<PipelineEvent['type']> = new Set([
  'target_removed',
  ...CONNECTION_EVENT_TYPES,
  'server_notice',
  'server_alerts',
  'alert',
]);

/** Where the sink's requests go: a worker thread, or (running from source) this thread. */
interface WriterPort {
  post(request: WriterRequest, transfer: ArrayBuffer[]): void;
  /** Keeps the process alive while an answer is awaited, and only then. */
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown>;
}

/** The worker's module, compiled. */
const WORKER_URL = new URL('./recorder-worker.js', import.meta.url);

/**
 * A worker thread running recorder-worker.js. Running from the TypeScript source (the
 * tests, under tsx) there is no compiled worker, and a worker loading TypeScript takes
 * seconds to start: the writer then runs in this thread, answering on the next turn of the
 * event loop as a worker would. The built package always uses the thread (the tests that
 * spawn the built command cover it).
 */
function openPort(onReply: (reply: WriterReply) => void, onError: (error: Error) => void): WriterPort {
  if (import.meta.url.endsWith('.ts')) {
    const writer = new RecorderWriter();
    let alive = true;
    return {
      post: (request) => {
        const reply = writer.handle(request);
        setImmediate(() => {
          if (alive) onReply(reply);
        });
      },
      ref: () => {},
      unref: () => {},
      terminate: async () => {
        alive = false;
      },
    };
  }
  const worker = new Worker(WORKER_URL);
  worker.on('message', onReply);
  worker.on('error', onError);
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: () => worker.terminate(),
  };
}

function positive(option: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new InvalidOptionError(
      option,
      value,
      integer ? 'a positive integer' : 'a positive number of milliseconds',
    );
  }
  return value;
}

export class RecorderSink implements Sink {
  readonly name: string;
  readonly #path: string;
  readonly #retention: number | undefined;
  readonly #retentionInterval: number;
  readonly #flushInterval: number;
  readonly #flushRows: number;
  readonly #maxPending: number;

  #context: SinkContext | undefined;
  #worker: WriterPort | undefined;
  /** Answers awaited from the worker, in the order of the requests. */
  readonly #replies: ((reply: WriterReply) => void)[] = [];
  #open = false;

  // Targets as this sink numbers them, and those the worker has not been told of yet.
  readonly #targets = new Map<string, number>();
  #newTargets: TargetDefinition[] = [];

  // What waits for the next flush: each snapshot's numbers and texts in columns, its frame's
  // bytes, and the events in between.
  #count = 0;
  /** When the oldest row waiting came (clock time); its flush is due an interval later. */
  #oldestPendingAt = 0;
  #numbers = new Float64Array(DEFAULT_FLUSH_ROWS * NUMBERS_PER_ROW);
  /** Numbers of a batch the worker gave back, for the next flush. */
  #spareNumbers: Float64Array<ArrayBuffer> | undefined;
  #texts: (string | null)[] = [];
  #frames = new FrameBatch();
  #events: BatchEvent[] = [];

  /** Rows of the flush the worker has, while it has one. */
  #inFlight: { rows: number; events: number } | undefined;
  #flushWanted = false;
  readonly #idleWaiters: (() => void)[] = [];
  readonly #settledWaiters: (() => void)[] = [];
  #flushTimer: TimerHandle | undefined;
  #retentionTimer: TimerHandle | undefined;
  #failing = false;
  #congested = false;
  readonly #congestionListeners = new Set<(congested: boolean) => void>();
  #closing: Promise<void> | undefined;
  /** Set while closing: a failed flush is then given up, not tried again. */
  #shuttingDown = false;

  #rowsWritten = 0;
  #eventsWritten = 0;
  #flushes = 0;
  #rowsDeleted = 0;
  #rowsLost = 0;
  #writeErrors = 0;
  #lastError: string | null = null;

  /** @throws InvalidOptionError naming the first option that is not allowed. */
  constructor(options: RecorderSinkOptions) {
    if (typeof options?.path !== 'string' || options.path.trim() === '') {
      throw new InvalidOptionError('path', options?.path, 'a file path');
    }
    this.#path = options.path;
    this.name = options.name ?? 'record';
    this.#retention =
      options.retention === undefined ? undefined : positive('retention', options.retention, 0, false);
    this.#retentionInterval = positive(
      'retentionInterval',
      options.retentionInterval,
      Math.min(60_000, Math.max(1000, (this.#retention ?? 0) / 10)),
      false,
    );
    this.#flushInterval = positive('flushInterval', options.flushInterval, DEFAULT_FLUSH_INTERVAL, false);
    this.#flushRows = positive('flushRows', options.flushRows, DEFAULT_FLUSH_ROWS, true);
    this.#maxPending = positive('maxPendingRows', options.maxPendingRows, DEFAULT_MAX_PENDING_ROWS, true);
  }

  /** Opens (or creates) the recording in the worker; rejects with a RecordingError when it cannot. */
  async start(context: SinkContext): Promise<void> {
    this.#context = context;
    if (this.#open) return;
    await this.#closing;
    this.#closing = undefined;
    this.#worker = openPort(
      (reply) => this.#answered(reply),
      (error) => this.#workerFailed(error),
    );
    const opened = await this.#request({ type: 'open', path: this.#path });
    if (opened.type === 'opened' && opened.error !== undefined) {
      await this.#stopWorker();
      throw new RecordingError(opened.error.code as RecordingErrorCode, opened.error.message, {
        path: this.#path,
      });
    }
    this.#open = true;
    // Targets added before the pipeline started (a fleet adds its targets when it is built)
    // announced themselves before this sink could listen: their rows hold their URI and labels.
    for (const target of context.targets()) this.#targetIndex(target.name, target.uri, target.labels, true);
    if (this.#retention !== undefined) this.#applyRetention();
    if (this.#newTargets.length > 0) this.#scheduleFlush();
  }

  write(record: MonitoringRecord): void {
    if (!this.#open) return;
    const target = this.#targetIndex(record.target, record.target, {}, false);
    const at = this.#count * NUMBERS_PER_ROW;
    if (at + NUMBERS_PER_ROW > this.#numbers.length) {
      const bigger = new Float64Array(this.#numbers.length * 2);
      bigger.set(this.#numbers);
      this.#numbers = bigger;
    }
    this.#numbers[at] = record.frame.receivedAt;
    this.#numbers[at + 1] = target;
    writeMetrics(record.snapshot, this.#numbers, at + 2, this.#texts);
    this.#frames.push(record.frame.raw);
    this.#count++;
    this.#queued();
  }

  event(event: PipelineEvent): void {
    if (!this.#open) return;
    if (event.type === 'target_added') {
      this.#targetIndex(event.target, event.uri, event.labels, true);
      this.#scheduleFlush();
      return;
    }
    if (!RECORDED_EVENTS.has(event.type)) return;
    const target = this.#targetIndex(event.target, event.target, {}, false);
    const { type, target: _name, at: _at, ...detail } = event;
    this.#events.push({ after: this.#count, time: event.at, target, type, detail: JSON.stringify(detail) });
    this.#queued();
  }

  onCongestion(listener: (congested: boolean) => void): () => void {
    this.#congestionListeners.add(listener);
    return () => this.#congestionListeners.delete(listener);
  }

  stats(): Record<string, unknown> {
    const stats: RecorderStats = {
      path: this.#path,
      rowsWritten: this.#rowsWritten,
      eventsWritten: this.#eventsWritten,
      pendingRows: this.#pendingRows() + (this.#inFlight ? this.#inFlight.rows + this.#inFlight.events : 0),
      flushes: this.#flushes,
      rowsDeleted: this.#rowsDeleted,
      rowsLost: this.#rowsLost,
      writeErrors: this.#writeErrors,
      lastError: this.#lastError,
    };
    return { ...stats };
  }

  /** Hands what waits to the worker now; resolves once it is committed (or has failed: see the stats). */
  flush(): Promise<void> {
    this.#flush();
    return this.settled();
  }

  /** Resolves once no flush is with the worker or wanted (a failing one is given up first when closing). */
  flushed(): Promise<void> {
    if (this.#inFlight === undefined && !this.#flushWanted) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Resolves once the worker has answered everything asked of it so far (flushes, retries,
   * retention passes). Tests on a fake clock await it after moving time.
   */
  settled(): Promise<void> {
    if (this.#replies.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /** Commits what waits, closes the file and ends the worker. Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  // ---- inside ----------------------------------------------------------------------------

  async #shutdown(): Promise<void> {
    this.#shuttingDown = true;
    const clock = this.#clock();
    if (this.#retentionTimer !== undefined) clock?.clearTimeout(this.#retentionTimer);
    this.#retentionTimer = undefined;
    if (this.#flushTimer !== undefined) clock?.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#open) {
      // A flush that keeps failing is tried once more, then what it holds is counted lost.
      if (this.#failing && this.#inFlight !== undefined) this.#retry();
      await this.flushed();
      if (this.#pendingRows() > 0 || this.#newTargets.length > 0) await this.flush();
      if (this.#inFlight !== undefined) {
        this.#rowsLost += this.#inFlight.rows + this.#inFlight.events;
        this.#inFlight = undefined;
      }
      if (this.#pendingRows() > 0) {
        this.#rowsLost += this.#pendingRows();
        this.#clearPending();
      }
      this.#open = false;
    }
    await this.#stopWorker();
    this.#setCongested(false);
    this.#targets.clear();
    this.#newTargets = [];
    this.#shuttingDown = false;
  }

  async #stopWorker(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    await this.#request({ type: 'close' });
    this.#worker = undefined;
    await worker.terminate();
  }

  /** Sends a request; `onReply` gets its answer (or a failure, when there is no worker). */
  #send(request: WriterRequest, onReply: (reply: WriterReply) => void, transfer: ArrayBuffer[] = []): void {
    const worker = this.#worker;
    if (worker === undefined) {
      onReply(failedReply(request, 'the recorder stopped'));
      return;
    }
    this.#replies.push(onReply);
    // Idle, the worker must not keep the process alive; awaited, it must.
    worker.ref();
    worker.post(request, transfer);
  }

  #request(request: WriterRequest): Promise<WriterReply> {
    return new Promise((resolve) => this.#send(request, resolve));
  }

  /** The worker answered the oldest request; once none is left, whoever waits for that is told. */
  #answered(reply: WriterReply): void {
    this.#replies.shift()?.(reply);
    if (this.#replies.length > 0) return;
    this.#worker?.unref();
    for (const resolve of this.#settledWaiters.splice(0)) resolve();
  }

  #workerFailed(error: Error): void {
    this.#failed('the recorder stopped', error);
    // Answer whatever waits: nothing more will come.
    for (const onReply of this.#replies.splice(0)) onReply({ type: 'closed' });
    for (const resolve of this.#settledWaiters.splice(0)) resolve();
    this.#worker = undefined;
    this.#open = false;
    this.#lose();
  }

  /** The flush with the worker is given up: its rows are counted lost. */
  #lose(): void {
    if (this.#inFlight !== undefined) this.#rowsLost += this.#inFlight.rows + this.#inFlight.events;
    this.#inFlight = undefined;
    this.#flushWanted = false;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #pendingRows(): number {
    return this.#count + this.#events.length;
  }

  #queued(): void {
    const pending = this.#pendingRows();
    if (pending === 1) this.#oldestPendingAt = this.#clock()?.now() ?? 0;
    if (pending >= this.#flushRows && !this.#failing) this.#flush();
    else this.#scheduleFlush();
    if (pending >= this.#flushRows * CONGESTED_FLUSHES) this.#setCongested(true);
    if (pending > this.#maxPending) this.#trimPending();
  }

  #flush(): void {
    if (this.#flushTimer !== undefined) {
      this.#clock()?.clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    if (!this.#open) return;
    if (this.#inFlight !== undefined) {
      this.#flushWanted = true;
      return;
    }
    this.#flushWanted = false;
    if (this.#pendingRows() === 0 && this.#newTargets.length === 0) return;
    const frames = this.#frames.take();
    // The columns themselves go to the worker (transferred, not copied), and it gives them
    // back with its answer: the next flush fills the spare ones meanwhile.
    const batch: RecorderBatch = {
      count: this.#count,
      numbers: new Float64Array(this.#numbers.buffer, 0, this.#count * NUMBERS_PER_ROW),
      texts: this.#texts,
      frames: frames.bytes,
      frameLengths: frames.lengths,
      events: this.#events,
      targets: this.#newTargets,
    };
    this.#inFlight = { rows: this.#count, events: this.#events.length };
    this.#numbers = this.#spareNumbers ?? new Float64Array(DEFAULT_FLUSH_ROWS * NUMBERS_PER_ROW);
    this.#spareNumbers = undefined;
    this.#count = 0;
    this.#texts = [];
    this.#events = [];
    this.#newTargets = [];
    this.#send({ type: 'batch', batch }, (reply) => this.#written(reply), [
      batch.numbers.buffer as ArrayBuffer,
      batch.frames.buffer as ArrayBuffer,
    ]);
  }

  #retry(): void {
    this.#send({ type: 'retry' }, (reply) => this.#written(reply));
  }

  #written(reply: WriterReply): void {
    if (reply.type !== 'written') return;
    if (reply.buffers !== undefined) {
      this.#spareNumbers = new Float64Array(reply.buffers.numbers);
      this.#frames.recycle(reply.buffers.frames);
    }
    if (reply.error !== undefined) {
      this.#failed('cannot write', reply.error);
      // The worker keeps the batch: it is tried again after an interval, unless closing.
      if (this.#open && !this.#shuttingDown) this.#scheduleRetry();
      else this.#lose();
      return;
    }
    this.#inFlight = undefined;
    this.#rowsWritten += reply.rows;
    this.#eventsWritten += reply.events;
    this.#flushes++;
    const recovered = this.#failing;
    if (recovered) {
      this.#failing = false;
      this.#logger()?.info(`record: writing ${this.#path} again`);
    }
    if (this.#pendingRows() < this.#flushRows) this.#setCongested(false);
    // After a failure, what came meanwhile has waited long enough.
    if (this.#flushWanted || recovered || this.#pendingRows() >= this.#flushRows) this.#flush();
    else this.#scheduleFlush();
    if (this.#inFlight === undefined && !this.#flushWanted) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #scheduleFlush(): void {
    const clock = this.#clock();
    if (this.#flushTimer !== undefined || clock === undefined || this.#inFlight !== undefined) return;
    const pending = this.#pendingRows();
    if (pending === 0 && this.#newTargets.length === 0) return;
    // Due an interval after the oldest row came, however long the previous flush took.
    const due =
      pending === 0 ? this.#flushInterval : this.#oldestPendingAt + this.#flushInterval - clock.now();
    this.#flushTimer = clock.setTimeout(
      () => {
        this.#flushTimer = undefined;
        this.#flush();
      },
      Math.max(0, due),
    );
  }

  #scheduleRetry(): void {
    const clock = this.#clock();
    if (this.#flushTimer !== undefined || clock === undefined) return;
    this.#flushTimer = clock.setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#inFlight !== undefined) this.#retry();
    }, this.#flushInterval);
  }

  #setCongested(congested: boolean): void {
    if (this.#congested === congested) return;
    this.#congested = congested;
    for (const listener of this.#congestionListeners) listener(congested);
  }

  /** Drops the oldest waiting snapshots (and the events before them) beyond `maxPendingRows`. */
  #trimPending(): void {
    let excess = this.#pendingRows() - this.#maxPending;
    if (excess <= 0) return;
    this.#rowsLost += excess;
    const events = this.#events;
    let droppedEvents = 0;
    let dropped = 0;
    while (excess > 0) {
      // Whichever came first: the next event, or the next snapshot.
      if (droppedEvents < events.length && events[droppedEvents]!.after <= dropped) droppedEvents++;
      else dropped++;
      excess--;
    }
    this.#numbers.copyWithin(0, dropped * NUMBERS_PER_ROW, this.#count * NUMBERS_PER_ROW);
    this.#texts.splice(0, dropped * TEXTS_PER_ROW);
    this.#frames.dropOldest(dropped);
    this.#count -= dropped;
    this.#events = events
      .slice(droppedEvents)
      .map((event) => ({ ...event, after: Math.max(0, event.after - dropped) }));
  }

  #clearPending(): void {
    this.#count = 0;
    this.#texts = [];
    this.#events = [];
    this.#frames.clear();
  }

  /** The target's index, telling the worker of a new one (or, with `update`, of its URI and labels). */
  #targetIndex(name: string, uri: string, labels: Readonly<Record<string, string>>, update: boolean): number {
    let index = this.#targets.get(name);
    if (index !== undefined && !update) return index;
    if (index === undefined) {
      index = this.#targets.size + 1;
      this.#targets.set(name, index);
    }
    this.#newTargets.push({ index, name, uri, labels, at: this.#clock()?.now() ?? Date.now(), update });
    return index;
  }

  #applyRetention(): void {
    const clock = this.#clock();
    if (!this.#open || clock === undefined || this.#retention === undefined) return;
    this.#send({ type: 'retention', cutoff: clock.now() - this.#retention }, (reply) => {
      if (reply.type !== 'retained') return;
      if (reply.error !== undefined) this.#failed('retention failed', reply.error);
      else this.#rowsDeleted += reply.deleted;
    });
    this.#retentionTimer = clock.setTimeout(() => {
      this.#retentionTimer = undefined;
      this.#applyRetention();
    }, this.#retentionInterval);
  }

  #failed(what: string, error: unknown): void {
    this.#writeErrors++;
    this.#lastError = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    // Said once per failing streak, not at every attempt.
    if (this.#failing) return;
    this.#failing = true;
    this.#logger()?.error(`record: ${this.#path}: ${this.#lastError}`);
  }

  #clock(): Clock | undefined {
    return this.#context?.clock;
  }

  #logger(): Logger | undefined {
    return this.#context?.logger;
  }
}

/** The answer a request gets when there is no worker to answer it. */
function failedReply(request: WriterRequest, error: string): WriterReply {
  switch (request.type) {
    case 'open':
      return { type: 'opened', error: { code: 'RECORDING_FAILED', message: error } };
    case 'retention':
      return { type: 'retained', deleted: 0, error };
    case 'close':
      return { type: 'closed' };
    default:
      return { type: 'written', rows: 0, events: 0, error };
  }
}
