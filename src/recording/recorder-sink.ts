/**
 * The recorder: a sink that keeps every accepted monitoring record, the targets and their
 * events in a SQLite recording (see schema.ts), for `query` and `replay`.
 *
 * Writes are batched: records and events wait in memory and are inserted in one transaction
 * per flush, when {@link RecorderSinkOptions.flushRows} are waiting or at the latest
 * {@link RecorderSinkOptions.flushInterval} after the first one came, never one transaction
 * per message. With WAL and `synchronous=NORMAL` a committed flush survives the process being
 * killed, so a SIGKILL loses at most the last interval and leaves a file that passes
 * `PRAGMA integrity_check`.
 *
 * No congestion is ever reported: better-sqlite3 writes synchronously, so a slow disk slows
 * the event loop itself (and with it the reading of sockets) instead of piling records up. If
 * the database refuses writes (full disk, locked by another program), records wait up to
 * {@link RecorderSinkOptions.maxPendingRows}; beyond, the oldest are dropped and counted.
 *
 * `retention` deletes older rows at start and then every `retentionInterval`, on the
 * pipeline's clock.
 */
import type { Statement } from 'better-sqlite3';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import type { TimerHandle } from '../transport/clock.js';
import { FRAME_CODEC, FrameBatch } from './frame-batch.js';
import { pushMetricValues, RECORDED_METRICS } from './metrics.js';
import { openRecording, type RecordingDatabase } from './schema.js';

export interface RecorderSinkOptions {
  /** The recording's file; created when missing, appended to when it is a recording already. */
  path: string;
  /** Milliseconds of data kept: older rows are deleted as the recorder runs. Default: everything is kept. */
  retention?: number;
  /** Milliseconds between the retention passes. Default: a tenth of `retention`, from 1 s to 1 min. */
  retentionInterval?: number;
  /** Most milliseconds a record waits before its transaction. Default 1000. */
  flushInterval?: number;
  /** Records (and events) waiting that trigger a flush at once. Default 2000. */
  flushRows?: number;
  /** Most rows kept waiting while the database refuses writes; the oldest are dropped beyond. Default 100,000. */
  maxPendingRows?: number;
  /** Names the sink in errors and statistics. Default `record`. */
  name?: string;
}

/** Counters of a {@link RecorderSink}, shown by `--stats`. */
export interface RecorderStats {
  /** Absolute or relative path, as given. */
  path: string;
  /** Snapshot rows committed. */
  rowsWritten: number;
  /** Event rows committed. */
  eventsWritten: number;
  /** Rows (snapshots and events) waiting for the next transaction. */
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

export const DEFAULT_FLUSH_INTERVAL = 1000;
export const DEFAULT_FLUSH_ROWS = 2000;
export const DEFAULT_MAX_PENDING_ROWS = 100_000;

/** A waiting event, and the number of snapshots that came before it in the batch. */
interface PendingEvent {
  readonly after: number;
  readonly time: number;
  readonly target: number;
  readonly type: string;
  readonly detail: string;
}

/** Values per snapshot row: time, target, then the metrics. */
const COLUMNS = RECORDED_METRICS.length + 2;
/** Snapshots per multi-row INSERT: one statement per 32 rows costs a third less than 32 statements. */
const ROWS_PER_INSERT = 32;

/** Lifecycle events worth keeping (the rest is either in the snapshots or in `targets`). */
const RECORDED_EVENTS: ReadonlySet<PipelineEvent['type']> = new Set([
  'target_removed',
  'connected',
  'disconnected',
  'reconnecting',
  'connection_error',
  'gave_up',
  'server_notice',
  'server_alerts',
  'alert',
]);

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
  #db: RecordingDatabase | undefined;
  #insertSnapshot: Statement | undefined;
  #insertSnapshots: Statement | undefined;
  #insertFrames: Statement | undefined;
  #insertEvent: Statement | undefined;
  #upsertTarget: Statement | undefined;
  readonly #targetIds = new Map<string, number>();
  /** Rowid of the last snapshot committed: events are placed after it. */
  #lastSnapshotRowid = 0;

  // What waits for the next transaction: each snapshot's column values, their frames' texts
  // (encoded as they come), and the events in between.
  #rows: unknown[][] = [];
  #frames = new FrameBatch();
  #events: PendingEvent[] = [];
  #flushTimer: TimerHandle | undefined;
  #retentionTimer: TimerHandle | undefined;
  #failing = false;
  #closing: Promise<void> | undefined;

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

  /** Opens (or creates) the recording; throws a RecordingError when it cannot. */
  start(context: SinkContext): void {
    this.#context = context;
    this.#closing = undefined;
    if (this.#db !== undefined) return;
    const db = openRecording(this.#path, { mode: 'write' });
    this.#db = db;
    const insert = `INSERT INTO snapshots (time, target, ${RECORDED_METRICS.map((m) => m.name).join(', ')}) VALUES `;
    const row = `(${Array(COLUMNS).fill('?').join(', ')})`;
    this.#insertSnapshot = db.prepare(insert + row);
    this.#insertSnapshots = db.prepare(insert + Array(ROWS_PER_INSERT).fill(row).join(', '));
    this.#insertFrames = db.prepare(
      'INSERT INTO frames (first_snapshot, count, lengths, codec, data) VALUES (?, ?, ?, ?, ?)',
    );
    this.#insertEvent = db.prepare(
      'INSERT INTO events (time, target, type, after_snapshot, detail) VALUES (?, ?, ?, ?, ?)',
    );
    this.#upsertTarget = db.prepare(
      `INSERT INTO targets (name, uri, labels, added_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET uri = excluded.uri, labels = excluded.labels RETURNING id`,
    );
    this.#targetIds.clear();
    for (const row of db.prepare('SELECT id, name FROM targets').all() as { id: number; name: string }[]) {
      this.#targetIds.set(row.name, row.id);
    }
    this.#lastSnapshotRowid =
      (db.prepare('SELECT max(rowid) AS id FROM snapshots').get() as { id: number | null }).id ?? 0;
    // Targets added before the pipeline started (a fleet adds its targets when it is built)
    // announced themselves before this sink could listen: their rows hold their URI and labels.
    for (const target of context.targets()) {
      this.#targetId(target.name, target.uri, target.labels, context.clock.now(), true);
    }
    if (this.#retention !== undefined) this.#applyRetention();
  }

  write(record: MonitoringRecord): void {
    const target = this.#targetId(record.target, record.target, {}, record.frame.receivedAt);
    if (target === undefined) return;
    if (this.#db === undefined) return;
    const row: unknown[] = [record.frame.receivedAt, target];
    pushMetricValues(record.snapshot, row);
    this.#rows.push(row);
    this.#frames.push(record.frame.raw);
    this.#queued();
  }

  event(event: PipelineEvent): void {
    if (event.type === 'target_added') {
      this.#targetId(event.target, event.uri, event.labels, event.at, true);
      return;
    }
    if (!RECORDED_EVENTS.has(event.type)) return;
    const target = this.#targetId(event.target, event.target, {}, event.at);
    if (target === undefined) return;
    const { type, target: _name, at: _at, ...detail } = event;
    this.#events.push({
      after: this.#rows.length,
      time: event.at,
      target,
      type,
      detail: JSON.stringify(detail),
    });
    this.#queued();
  }

  stats(): Record<string, unknown> {
    const stats: RecorderStats = {
      path: this.#path,
      rowsWritten: this.#rowsWritten,
      eventsWritten: this.#eventsWritten,
      pendingRows: this.#pendingRows(),
      flushes: this.#flushes,
      rowsDeleted: this.#rowsDeleted,
      rowsLost: this.#rowsLost,
      writeErrors: this.#writeErrors,
      lastError: this.#lastError,
    };
    return { ...stats };
  }

  /** Commits what waits now (the pipeline calls `close()`; tests and applications may call this). */
  flush(): void {
    const db = this.#db;
    if (this.#flushTimer !== undefined) {
      this.#clock()?.clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    if (db === undefined || this.#pendingRows() === 0) return;
    const rows = this.#rows;
    const events = this.#events;
    let lastRowid: number;
    try {
      lastRowid = db.transaction(() => this.#insert(rows, events))();
    } catch (error) {
      // Rolled back: the rows wait for the next flush.
      this.#trimPending();
      this.#failed('cannot write', error);
      this.#scheduleFlush();
      return;
    }
    this.#rows = [];
    this.#events = [];
    this.#frames.clear();
    this.#lastSnapshotRowid = lastRowid;
    this.#rowsWritten += rows.length;
    this.#eventsWritten += events.length;
    this.#flushes++;
    if (this.#failing) {
      this.#failing = false;
      this.#logger()?.info(`record: writing ${this.#path} again`);
    }
  }

  /** Commits what waits and closes the file. Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => this.#shutdown());
    return this.#closing;
  }

  #shutdown(): void {
    const clock = this.#clock();
    if (this.#retentionTimer !== undefined) clock?.clearTimeout(this.#retentionTimer);
    this.#retentionTimer = undefined;
    this.flush();
    if (this.#pendingRows() > 0) {
      this.#rowsLost += this.#pendingRows();
      this.#rows = [];
      this.#events = [];
      this.#frames.clear();
    }
    const db = this.#db;
    this.#db = undefined;
    if (db === undefined) return;
    try {
      // Folds the WAL into the file, so that the recording is one file again once closed.
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another connection is reading: the WAL stays, and stays valid.
    }
    db.close();
  }

  // ---- inside ----------------------------------------------------------------------------

  #pendingRows(): number {
    return this.#rows.length + this.#events.length;
  }

  #queued(): void {
    if (this.#pendingRows() >= this.#flushRows && !this.#failing) this.flush();
    else this.#scheduleFlush();
  }

  /**
   * Inserts the snapshots (32 rows per statement), the events where they came, and the
   * frames (one compressed row per run of consecutive rowids). Runs inside the flush's
   * transaction. Returns the rowid of the last snapshot.
   */
  #insert(rows: unknown[][], events: PendingEvent[]): number {
    let lastRowid = this.#lastSnapshotRowid;
    // The run of consecutive rowids being built: its first rowid, and its first row.
    let runFirst = 0;
    let runStart = 0;
    const endRun = (end: number) => {
      if (end === runStart) return;
      const { lengths, data } = this.#frames.encode(runStart, end);
      this.#insertFrames!.run(runFirst, end - runStart, lengths, FRAME_CODEC, data);
      runStart = end;
    };
    const inserted = (first: number, index: number, count: number) => {
      if (index === runStart) runFirst = first;
      else if (first !== lastRowid + 1) {
        // Rowids jumped (another program wrote between two statements): a new run.
        endRun(index);
        runFirst = first;
      }
      lastRowid = first + count - 1;
    };
    let done = 0;
    const snapshotsUpTo = (end: number) => {
      while (end - done >= ROWS_PER_INSERT) {
        const last = Number(
          this.#insertSnapshots!.run(...rows.slice(done, done + ROWS_PER_INSERT)).lastInsertRowid,
        );
        inserted(last - ROWS_PER_INSERT + 1, done, ROWS_PER_INSERT);
        done += ROWS_PER_INSERT;
      }
      for (; done < end; done++) {
        inserted(Number(this.#insertSnapshot!.run(rows[done]).lastInsertRowid), done, 1);
      }
    };
    for (const event of events) {
      snapshotsUpTo(event.after);
      this.#insertEvent!.run(event.time, event.target, event.type, lastRowid, event.detail);
    }
    snapshotsUpTo(rows.length);
    endRun(rows.length);
    return lastRowid;
  }

  #scheduleFlush(): void {
    const clock = this.#clock();
    if (this.#flushTimer !== undefined || clock === undefined || this.#pendingRows() === 0) return;
    this.#flushTimer = clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush();
    }, this.#flushInterval);
  }

  /** Drops the oldest snapshots (and the events before them) beyond `maxPendingRows`. */
  #trimPending(): void {
    let excess = this.#pendingRows() - this.#maxPending;
    if (excess <= 0) return;
    this.#rowsLost += excess;
    const events = this.#events;
    let droppedEvents = 0;
    let droppedSnapshots = 0;
    while (excess > 0) {
      // Whichever came first: the next event, or the next snapshot.
      if (droppedEvents < events.length && events[droppedEvents]!.after <= droppedSnapshots) droppedEvents++;
      else droppedSnapshots++;
      excess--;
    }
    this.#rows.splice(0, droppedSnapshots);
    this.#frames.dropOldest(droppedSnapshots);
    this.#events = events
      .slice(droppedEvents)
      .map((event) => ({ ...event, after: Math.max(0, event.after - droppedSnapshots) }));
  }

  /** The target's id, inserting (or, when `update`, refreshing) its row. Undefined when closed or failing. */
  #targetId(
    name: string,
    uri: string,
    labels: Readonly<Record<string, string>>,
    at: number,
    update = false,
  ): number | undefined {
    const known = this.#targetIds.get(name);
    if (known !== undefined && !update) return known;
    if (this.#db === undefined) return undefined;
    try {
      // One small transaction of its own: a target appears once in a run.
      const { id } = this.#upsertTarget!.get(name, uri, JSON.stringify(labels), at) as { id: number };
      this.#targetIds.set(name, id);
      return id;
    } catch (error) {
      this.#failed(`cannot add target ${JSON.stringify(name)}`, error);
      return known;
    }
  }

  #applyRetention(): void {
    const db = this.#db;
    const clock = this.#clock();
    if (db === undefined || clock === undefined || this.#retention === undefined) return;
    const cutoff = clock.now() - this.#retention;
    try {
      let deleted = 0;
      db.transaction(() => {
        // Per target, so that each delete walks the (target, time) index instead of the table.
        const remove = db.prepare('DELETE FROM snapshots WHERE target = ? AND time < ?');
        for (const id of this.#targetIds.values()) deleted += remove.run(id, cutoff).changes;
        deleted += db.prepare('DELETE FROM events WHERE time < ?').run(cutoff).changes;
        // A row of frames goes once none of its snapshots is left.
        db.prepare(
          `DELETE FROM frames WHERE NOT EXISTS (SELECT 1 FROM snapshots
             WHERE rowid BETWEEN frames.first_snapshot AND frames.first_snapshot + frames.count - 1)`,
        ).run();
      })();
      this.#rowsDeleted += deleted;
    } catch (error) {
      this.#failed('retention failed', error);
    }
    this.#retentionTimer = clock.setTimeout(() => {
      this.#retentionTimer = undefined;
      if (this.#db !== undefined) this.#applyRetention();
    }, this.#retentionInterval);
  }

  #failed(what: string, error: unknown): void {
    this.#writeErrors++;
    this.#lastError = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    // Said once per failing streak, not at every flush.
    if (this.#failing) return;
    this.#failing = true;
    this.#logger()?.error(`record: ${this.#path}: ${this.#lastError}`);
  }

  #clock() {
    return this.#context?.clock;
  }

  #logger(): Logger | undefined {
    return this.#context?.logger;
  }
}
