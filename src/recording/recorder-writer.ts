/**
 * The database side of the recorder, run in a worker thread (recorder-worker.ts) so that
 * SQLite's work never delays the sockets: it takes batches of snapshots, events and frames
 * from the recorder sink and commits each in one transaction; it deletes what the retention
 * no longer keeps. One request at a time, answered in order.
 *
 * A batch that fails (a database locked by another program, a full disk) is kept and tried
 * again on `retry`, so that nothing is lost while the sink waits; the sink sends nothing new
 * meanwhile, so at most one batch waits here.
 */
import type { Statement } from 'better-sqlite3';
import { encodeFrameBlobs, FRAME_CODEC } from './frame-batch.js';
import { NUMBER_METRICS, RECORDED_METRICS, TEXT_METRICS } from './metrics.js';
import { MinuteRollup, trimMinutes } from './minute-rollup.js';
import { RecordingError } from './recording-error.js';
import { openRecording, type RecordingDatabase } from './schema.js';

/** Numbers per snapshot in a batch: time, the target's index, then {@link NUMBER_METRICS}. */
export const NUMBERS_PER_ROW = 2 + NUMBER_METRICS.length;
/** Texts per snapshot in a batch: {@link TEXT_METRICS}. */
export const TEXTS_PER_ROW = TEXT_METRICS.length;

/** A target as the sink numbers it (`index`), to insert or refresh. */
export interface TargetDefinition {
  index: number;
  name: string;
  uri: string;
  labels: Readonly<Record<string, string>>;
  at: number;
  /** Refresh the URI and labels of a target already recorded (a `target_added`). */
  update: boolean;
}

export interface BatchEvent {
  /** Snapshots of the batch that came before it. */
  after: number;
  time: number;
  /** The target's index. */
  target: number;
  type: string;
  /** The event as JSON. */
  detail: string;
}

/** One flush of the sink, in columns: what crosses to the worker costs little to copy. */
export interface RecorderBatch {
  /** Snapshots. */
  count: number;
  /** `count` rows of {@link NUMBERS_PER_ROW}; NaN for NULL. */
  numbers: Float64Array;
  /** `count` rows of {@link TEXTS_PER_ROW}. */
  texts: (string | null)[];
  /** The frames' texts, UTF-8, one after the other. */
  frames: Uint8Array;
  frameLengths: number[];
  events: BatchEvent[];
  /** Targets to insert before the rows, in order. */
  targets: TargetDefinition[];
}

export type WriterRequest =
  | { type: 'open'; path: string }
  | { type: 'batch'; batch: RecorderBatch }
  | { type: 'retry' }
  | { type: 'retention'; cutoff: number }
  | { type: 'close' };

export type WriterReply =
  | { type: 'opened'; error?: { code: string; message: string } }
  | {
      type: 'written';
      rows: number;
      events: number;
      error?: string;
      /** The batch's buffers, given back once it is committed, for the sink to fill again. */
      buffers?: { numbers: ArrayBuffer; frames: ArrayBuffer };
    }
  | { type: 'retained'; deleted: number; error?: string }
  | { type: 'closed' };

/** Snapshots per multi-row INSERT: one statement per 32 rows costs a third less than 32 statements. */
const ROWS_PER_INSERT = 32;

export class RecorderWriter {
  #db: RecordingDatabase | undefined;
  #insertSnapshot: Statement | undefined;
  #insertSnapshots: Statement | undefined;
  #insertFrames: Statement | undefined;
  #insertEvent: Statement | undefined;
  #upsertTarget: Statement | undefined;
  #selectTarget: Statement | undefined;
  /** The sink's target indexes, to the database's ids. */
  readonly #ids = new Map<number, number>();
  /** Rowid of the last snapshot committed: events are placed after it. */
  #lastSnapshotRowid = 0;
  /** A batch that failed, kept for `retry`. */
  #failed: RecorderBatch | undefined;
  #minutes: MinuteRollup | undefined;

  handle(request: WriterRequest): WriterReply {
    switch (request.type) {
      case 'open':
        return this.#open(request.path);
      case 'batch':
        return this.#write(request.batch);
      case 'retry':
        return this.#failed === undefined
          ? { type: 'written', rows: 0, events: 0 }
          : this.#write(this.#failed);
      case 'retention':
        return this.#retain(request.cutoff);
      case 'close':
        this.#close();
        return { type: 'closed' };
    }
  }

  #open(path: string): WriterReply {
    let db: RecordingDatabase;
    try {
      db = openRecording(path, { mode: 'write' });
    } catch (error) {
      const { code, message } =
        error instanceof RecordingError ? error : { code: 'RECORDING_FAILED', message: String(error) };
      return { type: 'opened', error: { code, message } };
    }
    this.#db = db;
    const insert = `INSERT INTO snapshots (time, target, ${RECORDED_METRICS.map((m) => m.name).join(', ')}) VALUES `;
    const row = `(${Array(RECORDED_METRICS.length + 2)
      .fill('?')
      .join(', ')})`;
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
    this.#selectTarget = db.prepare(
      `INSERT INTO targets (name, uri, labels, added_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET name = name RETURNING id`,
    );
    this.#lastSnapshotRowid =
      (db.prepare('SELECT max(rowid) AS id FROM snapshots').get() as { id: number | null }).id ?? 0;
    this.#minutes = new MinuteRollup(db);
    return { type: 'opened' };
  }

  #write(batch: RecorderBatch): WriterReply {
    const db = this.#db;
    if (db === undefined) return { type: 'written', rows: 0, events: 0, error: 'the recording is not open' };
    try {
      this.#lastSnapshotRowid = db.transaction(() => this.#insert(batch))();
    } catch (error) {
      this.#minutes?.discard();
      this.#failed = batch;
      // The targets inserted in the rolled-back transaction are gone again.
      for (const target of batch.targets) this.#ids.delete(target.index);
      return {
        type: 'written',
        rows: 0,
        events: 0,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    this.#failed = undefined;
    return {
      type: 'written',
      rows: batch.count,
      events: batch.events.length,
      buffers: { numbers: batch.numbers.buffer as ArrayBuffer, frames: batch.frames.buffer as ArrayBuffer },
    };
  }

  /** The batch's targets, snapshots (32 per statement), events where they came, and frames. */
  #insert(batch: RecorderBatch): number {
    for (const target of batch.targets) {
      // A target_added refreshes the URI and labels; a target first seen in its data keeps them.
      const statement = target.update ? this.#upsertTarget! : this.#selectTarget!;
      const row = statement.get(target.name, target.uri, JSON.stringify(target.labels), target.at);
      this.#ids.set(target.index, (row as { id: number }).id);
    }
    const { count, numbers, texts, events } = batch;
    let lastRowid = this.#lastSnapshotRowid;
    // The run of consecutive rowids being built: its first rowid, and its first row.
    let runFirst = 0;
    let runStart = 0;
    const endRun = (end: number) => {
      if (end === runStart) return;
      for (const blob of encodeFrameBlobs(batch.frames, batch.frameLengths, runStart, end)) {
        this.#insertFrames!.run(runFirst + blob.offset, blob.count, blob.lengths, FRAME_CODEC, blob.data);
      }
      runStart = end;
    };
    const inserted = (first: number, index: number, rows: number) => {
      for (let i = 0; i < rows; i++) {
        const base = (index + i) * NUMBERS_PER_ROW;
        const target = this.#ids.get(numbers[base + 1]!);
        if (target !== undefined) this.#minutes!.add(target, numbers[base]!, first + i, numbers, base + 2);
      }
      if (index === runStart) runFirst = first;
      else if (first !== lastRowid + 1) {
        // Rowids jumped (another program wrote between two statements): a new run.
        endRun(index);
        runFirst = first;
      }
      lastRowid = first + rows - 1;
    };
    let done = 0;
    const snapshotsUpTo = (end: number) => {
      while (end - done >= ROWS_PER_INSERT) {
        const values: unknown[] = [];
        for (let i = done; i < done + ROWS_PER_INSERT; i++) this.#pushRow(values, numbers, texts, i);
        const last = Number(this.#insertSnapshots!.run(values).lastInsertRowid);
        inserted(last - ROWS_PER_INSERT + 1, done, ROWS_PER_INSERT);
        done += ROWS_PER_INSERT;
      }
      for (; done < end; done++) {
        const values: unknown[] = [];
        this.#pushRow(values, numbers, texts, done);
        inserted(Number(this.#insertSnapshot!.run(values).lastInsertRowid), done, 1);
      }
    };
    for (const event of events) {
      snapshotsUpTo(event.after);
      const target = this.#ids.get(event.target);
      if (target !== undefined) {
        this.#insertEvent!.run(event.time, target, event.type, lastRowid, event.detail);
      }
    }
    snapshotsUpTo(count);
    endRun(count);
    this.#minutes!.write();
    return lastRowid;
  }

  /** Row `i` of the batch, in column order: time, target id, then the metrics. */
  #pushRow(values: unknown[], numbers: Float64Array, texts: (string | null)[], i: number): void {
    const base = i * NUMBERS_PER_ROW;
    values.push(numbers[base], this.#ids.get(numbers[base + 1]!) ?? null);
    let n = base + 2;
    let t = i * TEXTS_PER_ROW;
    for (const metric of RECORDED_METRICS) {
      if (metric.kind === 'number') {
        const value = numbers[n++]!;
        values.push(Number.isNaN(value) ? null : value);
      } else {
        values.push(texts[t++] ?? null);
      }
    }
  }

  #retain(cutoff: number): WriterReply {
    const db = this.#db;
    if (db === undefined) return { type: 'retained', deleted: 0 };
    try {
      let deleted = 0;
      db.transaction(() => {
        // Per target, so that each delete walks the (target, time) index instead of the table.
        const remove = db.prepare('DELETE FROM snapshots WHERE target = ? AND time < ?');
        for (const id of db.prepare('SELECT id FROM targets').pluck().all() as number[]) {
          deleted += remove.run(id, cutoff).changes;
        }
        deleted += db.prepare('DELETE FROM events WHERE time < ?').run(cutoff).changes;
        trimMinutes(db, cutoff);
        // A row of frames goes once none of its snapshots is left.
        db.prepare(
          `DELETE FROM frames WHERE NOT EXISTS (SELECT 1 FROM snapshots
             WHERE rowid BETWEEN frames.first_snapshot AND frames.first_snapshot + frames.count - 1)`,
        ).run();
      })();
      return { type: 'retained', deleted };
    } catch (error) {
      return { type: 'retained', deleted: 0, error: error instanceof Error ? error.message : String(error) };
    }
  }

  #close(): void {
    const db = this.#db;
    this.#db = undefined;
    this.#failed = undefined;
    if (db === undefined) return;
    try {
      // Folds the WAL into the file, so that the recording is one file again once closed.
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another connection is reading: the WAL stays, and stays valid.
    }
    db.close();
  }
}

/** What a reply carries that is moved to the sink's thread rather than copied. */
export function transferablesOf(reply: WriterReply): ArrayBuffer[] {
  return reply.type === 'written' && reply.buffers !== undefined
    ? [reply.buffers.numbers, reply.buffers.frames]
    : [];
}
