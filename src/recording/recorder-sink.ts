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
import { RECORDED_METRICS } from './metrics.js';
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

/** A waiting snapshot: its column values, and its frame's text. */
interface PendingSnapshot {
  readonly values: unknown[];
  readonly raw: string;
}
interface PendingEvent {
  readonly time: number;
  readonly target: number;
  readonly type: string;
  readonly detail: string;
}
type PendingRow = PendingSnapshot | PendingEvent;

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
  #insertFrame: Statement | undefined;
  #insertEvent: Statement | undefined;
  #upsertTarget: Statement | undefined;
  readonly #targetIds = new Map<string, number>();
  /** Rowid of the last snapshot committed: events are placed after it. */
  #lastSnapshotRowid = 0;

  #pending: PendingRow[] = [];
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
    const columns = RECORDED_METRICS.map((m) => m.name);
    this.#insertSnapshot = db.prepare(
      `INSERT INTO snapshots (time, target, ${columns.join(', ')}) VALUES (${Array(columns.length + 2)
        .fill('?')
        .join(', ')})`,
    );
    this.#insertFrame = db.prepare('INSERT INTO frames (snapshot, raw) VALUES (?, ?)');
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
    if (this.#retention !== undefined) this.#applyRetention();
  }

  write(record: MonitoringRecord): void {
    const target = this.#targetId(record.target, record.target, {}, record.frame.receivedAt);
    if (target === undefined) return;
    const snapshot = record.snapshot;
    const values: unknown[] = [record.frame.receivedAt, target];
    for (const metric of RECORDED_METRICS) values.push(metric.read(snapshot));
    this.#queue({ values, raw: record.frame.raw });
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
    this.#queue({ time: event.at, target, type, detail: JSON.stringify(detail) });
  }

  stats(): Record<string, unknown> {
    const stats: RecorderStats = {
      path: this.#path,
      rowsWritten: this.#rowsWritten,
      eventsWritten: this.#eventsWritten,
      pendingRows: this.#pending.length,
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
    if (db === undefined || this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    let snapshots = 0;
    let lastRowid = this.#lastSnapshotRowid;
    try {
      db.transaction(() => {
        for (const row of rows) {
          if ('raw' in row) {
            lastRowid = Number(this.#insertSnapshot!.run(row.values).lastInsertRowid);
            this.#insertFrame!.run(lastRowid, row.raw);
            snapshots++;
          } else {
            this.#insertEvent!.run(row.time, row.target, row.type, lastRowid, row.detail);
          }
        }
      })();
    } catch (error) {
      // Rolled back: the rows wait for the next flush, within the bound.
      this.#pending = rows.concat(this.#pending);
      this.#trimPending();
      this.#failed('cannot write', error);
      this.#scheduleFlush();
      return;
    }
    this.#lastSnapshotRowid = lastRowid;
    this.#rowsWritten += snapshots;
    this.#eventsWritten += rows.length - snapshots;
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
    if (this.#pending.length > 0) {
      this.#rowsLost += this.#pending.length;
      this.#pending = [];
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

  #queue(row: PendingRow): void {
    if (this.#db === undefined) return;
    this.#pending.push(row);
    if (this.#pending.length >= this.#flushRows && !this.#failing) this.flush();
    else this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    const clock = this.#clock();
    if (this.#flushTimer !== undefined || clock === undefined || this.#pending.length === 0) return;
    this.#flushTimer = clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush();
    }, this.#flushInterval);
  }

  #trimPending(): void {
    const excess = this.#pending.length - this.#maxPending;
    if (excess <= 0) return;
    this.#pending.splice(0, excess);
    this.#rowsLost += excess;
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
        const frames = db.prepare(
          'DELETE FROM frames WHERE snapshot IN (SELECT rowid FROM snapshots WHERE target = ? AND time < ?)',
        );
        const remove = db.prepare('DELETE FROM snapshots WHERE target = ? AND time < ?');
        for (const id of this.#targetIds.values()) {
          frames.run(id, cutoff);
          deleted += remove.run(id, cutoff).changes;
        }
        deleted += db.prepare('DELETE FROM events WHERE time < ?').run(cutoff).changes;
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
