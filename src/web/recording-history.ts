/**
 * The detail view's history over the recording (`--record`): what the recorder wrote, then
 * the in-memory history for the rest. The recorder commits in batches on a worker, so the
 * last second or so is only in memory; the memory holds the last ten minutes. The two are
 * cut at the memory's oldest point: the recording gives what came before it, the memory
 * that point and everything after, so no record is counted twice and none is missing.
 *
 * A long span is read in buckets, so that an answer stays near {@link RECORDED_POINTS}
 * points whatever the span:
 * - up to that many snapshots: every snapshot, as recorded;
 * - a few hours (at most {@link SNAPSHOT_SCAN_ROWS} snapshots): buckets computed from the
 *   snapshots;
 * - longer: buckets of whole minutes from the per-minute totals the recorder keeps
 *   (minute-rollup.ts), a sixtieth of the rows.
 * better-sqlite3 is synchronous: rows are read a few thousand snapshots or a few hundred
 * minutes per statement, with a turn of the event loop between two, so that a long span (a
 * year of one target) takes longer but never holds up the sockets for long.
 * Buckets are round (5 s, 1 min, 10 min, ...: the smallest that keeps the count) and aligned
 * on multiples of their width since the epoch. A bucket's point is the average of each metric
 * over the bucket (rounded to 0.01), at the time of its first minute (whole minutes) or of its
 * last snapshot; per-core values are those of the bucket's last snapshot. The partial minutes
 * at either end come from the snapshots.
 *
 * The file is opened read-only on the first request (the recorder creates it when it
 * starts); until it exists, or when it cannot be read, the memory answers alone.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Statement } from 'better-sqlite3';
import type { Logger } from '../logger.js';
import { parseNumberList } from '../recording/json-text.js';
import { MINUTE_MS } from '../recording/minute-rollup.js';
import { RecordingError } from '../recording/recording-error.js';
import { openRecording, type RecordingDatabase } from '../recording/schema.js';
import type { MemoryHistory } from './history.js';
import { emptySeries, type HistorySeries, type HistorySource, joinSeries } from './history-source.js';

/** Points read from the recording for one answer, about (the memory adds its own). */
export const RECORDED_POINTS = 1500;
/** Most snapshots a bucketed answer reads row by row (8 hours at one a second); beyond, it reads the per-minute totals. */
export const SNAPSHOT_SCAN_ROWS = 30_000;
/** Snapshots read by one statement, about: a few milliseconds, even from a cold disk cache. */
const SNAPSHOTS_PER_STATEMENT = 1_000;
/** Minute rows of one target read by one statement, about. */
const MINUTES_PER_STATEMENT = 200;

/**
 * Bucket widths: round times, each dividing the next larger unit, so that buckets (aligned on
 * multiples of their width since the epoch, like the query's) fall on round times and never
 * straddle a minute, an hour or a day.
 */
const SECOND_WIDTHS = [1, 2, 5, 10, 15, 20, 30, 60].map((s) => s * 1000);
const MINUTE_WIDTHS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440];

/** Spans over which the snapshots are counted before choosing how to read them (a day: 1,440 minute rows). */
const COUNTED_SPAN_MS = 24 * 60 * MINUTE_MS;

/** The recording's columns of a HistorySeries' metrics, in SERIES_METRICS order. */
const COLUMNS = ['cpu', 'memory', 'disk', 'gpu', 'gpu_memory', 'cpu_temp', 'gpu_temp'] as const;

export interface RecordingHistoryOptions {
  /** The recording's file (as given to `--record`). */
  path: string;
  /** The web sink's in-memory history: the newest points, not committed yet. */
  memory: MemoryHistory;
  logger?: Logger;
}

/** One bucket or snapshot: time, the metrics in COLUMNS order, the per-core list as JSON. */
type Row = [number, ...(number | null)[]];

export class RecordingHistory implements HistorySource {
  readonly #path: string;
  readonly #memory: MemoryHistory;
  readonly #logger: Logger | undefined;
  #db: RecordingDatabase | undefined;
  #statements: Statements | undefined;
  /** The last reason the file could not be read, said once. */
  #problem: string | undefined;

  constructor(options: RecordingHistoryOptions) {
    this.#path = options.path;
    this.#memory = options.memory;
    this.#logger = options.logger;
  }

  async history(target: string, sinceMs: number): Promise<HistorySeries | undefined> {
    const memory = this.#memory.series(target, sinceMs);
    const oldest = this.#memory.oldest(target);
    // The memory reaches back to `since`: nothing to read.
    if (oldest !== undefined && oldest <= sinceMs) return memory;
    const recorded = await this.recorded(target, sinceMs, oldest ?? Number.MAX_SAFE_INTEGER);
    if (recorded === undefined) return memory;
    return memory === undefined ? recorded : joinSeries(recorded, memory);
  }

  /** What the recording holds of `target` with `since <= time < until`, bucketed; undefined when it holds nothing. */
  async recorded(target: string, since: number, until: number): Promise<HistorySeries | undefined> {
    const statements = this.#open();
    if (statements === undefined) return undefined;
    try {
      const id = statements.targetId.get(target) as number | undefined;
      if (id === undefined) return undefined;
      const first = statements.first.get(id, since, until) as number | undefined;
      if (first === undefined) return undefined;
      const last = statements.last.get(id, since, until) as number;
      // Counted from the per-minute totals, and only over a day at most: counting the
      // snapshots themselves would read them all.
      const count =
        last - first <= COUNTED_SPAN_MS
          ? ((statements.count.get(id, Math.floor(first / MINUTE_MS), Math.floor(last / MINUTE_MS)) as
              | number
              | null) ?? 0)
          : Number.POSITIVE_INFINITY;
      const rows: Row[] = [];
      if (count <= RECORDED_POINTS) {
        rows.push(...(statements.snapshots.all(id, first, last + 1) as Row[]));
      } else if (count <= SNAPSHOT_SCAN_ROWS) {
        const span = last + 1 - first;
        const width = bucketWidth(span / RECORDED_POINTS, SECOND_WIDTHS);
        const piece = Math.ceil((span * SNAPSHOTS_PER_STATEMENT) / count / width);
        await inPieces(first, last + 1, width, piece, (from, to) =>
          rows.push(...(statements.snapshotBuckets.all({ target: id, from, to, width }) as Row[])),
        );
      } else {
        await this.#readMinutes(statements, id, first, last, rows);
      }
      return toSeries(target, rows);
    } catch (error) {
      this.#report(`cannot read ${this.#path}: ${error instanceof Error ? error.message : String(error)}`);
      this.close();
      return undefined;
    }
  }

  close(): void {
    if (this.#db?.open) this.#db.close();
    this.#db = undefined;
    this.#statements = undefined;
  }

  /** Whole minutes from the totals, the partial minutes at either end from the snapshots. */
  async #readMinutes(statements: Statements, id: number, first: number, last: number, rows: Row[]) {
    const firstMinute = Math.ceil(first / MINUTE_MS);
    const endMinute = Math.floor((last + 1) / MINUTE_MS);
    const minutesPerBucket = bucketWidth((endMinute - firstMinute) / RECORDED_POINTS, MINUTE_WIDTHS);
    const head = statements.snapshotBuckets.all({
      target: id,
      from: first,
      to: firstMinute * MINUTE_MS,
      width: MINUTE_MS,
    }) as Row[];
    rows.push(...head);
    const piece = Math.max(1, Math.floor(MINUTES_PER_STATEMENT / minutesPerBucket));
    await inPieces(firstMinute, endMinute, minutesPerBucket, piece, (from, to) =>
      rows.push(
        ...(statements.minuteBuckets.all({ target: id, from, to, width: minutesPerBucket }) as Row[]),
      ),
    );
    await nextTurn();
    const tail = statements.snapshots.all(id, endMinute * MINUTE_MS, last + 1) as Row[];
    rows.push(...tail);
  }

  #open(): Statements | undefined {
    if (this.#statements !== undefined) return this.#statements;
    try {
      this.#db = openRecording(this.#path, { mode: 'read' });
      this.#statements = prepareStatements(this.#db);
      this.#problem = undefined;
      return this.#statements;
    } catch (error) {
      this.close();
      // Not there yet: the recorder creates it as it starts. Anything else is said once.
      if (!(error instanceof RecordingError && error.code === 'RECORDING_NOT_FOUND')) {
        this.#report(error instanceof Error ? error.message : String(error));
      }
      return undefined;
    }
  }

  #report(problem: string): void {
    if (problem === this.#problem) return;
    this.#problem = problem;
    this.#logger?.warn(`web: the charts show the memory only: ${problem}`);
  }
}

/** The smallest of `widths` at least `wanted`, or a multiple of the largest. */
function bucketWidth(wanted: number, widths: readonly number[]): number {
  const found = widths.find((width) => width >= wanted);
  if (found !== undefined) return found;
  const largest = widths[widths.length - 1]!;
  return Math.ceil(wanted / largest) * largest;
}

/**
 * Calls `read` over [from, to) in pieces of `buckets` buckets of `width`, cut on multiples of
 * the piece's length since the epoch (so that no bucket is cut in two), with a turn of the
 * event loop between two pieces.
 */
async function inPieces(
  from: number,
  to: number,
  width: number,
  buckets: number,
  read: (from: number, to: number) => void,
): Promise<void> {
  const step = width * Math.max(1, buckets);
  for (let start = from; start < to; ) {
    const end = Math.min(to, (Math.floor(start / step) + 1) * step);
    read(start, end);
    start = end;
    if (start < to) await nextTurn();
  }
}

interface Statements {
  targetId: Statement;
  first: Statement;
  last: Statement;
  count: Statement;
  snapshots: Statement;
  snapshotBuckets: Statement;
  minuteBuckets: Statement;
}

function prepareStatements(db: RecordingDatabase): Statements {
  const averages = (of: (column: string) => string) =>
    COLUMNS.map((column) => `round(${of(column)}, 2)`).join(', ');
  return {
    targetId: db.prepare('SELECT id FROM targets WHERE name = ?').pluck(),
    // Two statements, each one step down the index (min and max together would scan the range).
    first: db
      .prepare('SELECT time FROM snapshots WHERE target = ? AND time >= ? AND time < ? ORDER BY time LIMIT 1')
      .pluck(),
    last: db
      .prepare(
        'SELECT time FROM snapshots WHERE target = ? AND time >= ? AND time < ? ORDER BY time DESC LIMIT 1',
      )
      .pluck(),
    count: db
      .prepare('SELECT sum(samples) FROM minutes WHERE target = ? AND minute >= ? AND minute <= ?')
      .pluck(),
    snapshots: db
      .prepare(
        `SELECT time, ${COLUMNS.join(', ')}, cpu_cores FROM snapshots
         WHERE target = ? AND time >= ? AND time < ? ORDER BY time, rowid`,
      )
      .raw(),
    // One max() among the aggregates: SQLite then takes cpu_cores from the row that has it.
    // Numbers are bound as REAL: CAST makes the division whole.
    snapshotBuckets: db
      .prepare(
        `SELECT max(time), ${averages((c) => `avg(${c})`)}, cpu_cores FROM snapshots
         WHERE target = @target AND time >= @from AND time < @to GROUP BY CAST(time / @width AS INTEGER) ORDER BY 1`,
      )
      .raw(),
    minuteBuckets: db
      .prepare(
        `SELECT b.t, ${COLUMNS.map((c) => `b.${c}`).join(', ')},
           (SELECT cpu_cores FROM snapshots WHERE rowid = b.last_rowid)
         FROM (SELECT min(minute) * ${MINUTE_MS} AS t, max(last_rowid) AS last_rowid,
                 ${COLUMNS.map((c) => `round(sum(${c}_sum) / sum(${c}_n), 2) AS ${c}`).join(', ')}
               FROM minutes WHERE target = @target AND minute >= @from AND minute < @to
               GROUP BY CAST(minute / @width AS INTEGER)) b
         ORDER BY b.t`,
      )
      .raw(),
  };
}

function toSeries(target: string, rows: readonly Row[]): HistorySeries {
  const series = emptySeries(target, 'recording');
  const columns = [
    series.cpu,
    series.memory,
    series.disk,
    series.gpu,
    series.gpuMemory,
    series.cpuTemperature,
    series.gpuTemperature,
  ];
  const cores = series.cores;
  for (const [k, row] of rows.entries()) {
    series.t.push(row[0]);
    for (let m = 0; m < columns.length; m++) columns[m]!.push((row[m + 1] as number | null) ?? null);
    const text = row[COLUMNS.length + 1] as unknown as string | null;
    const list = text === null ? null : parseNumberList(text);
    const count = Math.max(cores.length, list?.length ?? 0);
    for (let c = 0; c < count; c++) {
      // A core first seen now had no value before.
      if (c >= cores.length) cores.push(new Array<number | null>(k).fill(null));
      cores[c]!.push(list?.[c] ?? null);
    }
  }
  return series;
}
