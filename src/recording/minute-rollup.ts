/**
 * Per-minute totals of every number metric, per target (the `minutes` table), kept by the
 * writer as it commits and read by the query for buckets of whole minutes: a query over
 * months of one-second snapshots then reads a sixtieth of the rows and sorts none of the
 * snapshots. Per minute and metric: how many values, their sum, min, max, and the value of
 * the minute's last snapshot (`last_rowid` says which came last).
 */
import type { Statement } from 'better-sqlite3';
import { NUMBER_METRICS } from './metrics.js';
import type { RecordingDatabase } from './schema.js';

export const MINUTE_MS = 60_000;

/** Column stems per metric: `<name>_n`, `_sum`, `_min`, `_max`, `_last`. */
const PARTS = ['n', 'sum', 'min', 'max', 'last'] as const;

/** The table, for the schema's migration. */
export const MINUTES_TABLE = `CREATE TABLE minutes (
  target INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  last_rowid INTEGER NOT NULL,
  ${NUMBER_METRICS.map((m) => PARTS.map((p) => `${m.name}_${p} ${p === 'n' ? 'INTEGER NOT NULL' : 'REAL'}`).join(', ')).join(',\n  ')},
  PRIMARY KEY (target, minute)
) WITHOUT ROWID;`;

interface MinuteTotals {
  target: number;
  minute: number;
  samples: number;
  lastRowid: number;
  /** Per metric: n, sum, min, max, last. */
  values: (number | null)[];
}

/** Merges a flush's snapshots into their minutes, then into the table in the flush's transaction. */
export class MinuteRollup {
  readonly #upsert: Statement;
  readonly #pending = new Map<string, MinuteTotals>();

  constructor(db: RecordingDatabase) {
    const columns = ['target', 'minute', 'samples', 'last_rowid'];
    const updates = [
      'samples = samples + excluded.samples',
      'last_rowid = max(last_rowid, excluded.last_rowid)',
    ];
    for (const metric of NUMBER_METRICS) {
      const c = (part: string) => `${metric.name}_${part}`;
      columns.push(...PARTS.map(c));
      updates.push(
        `${c('sum')} = CASE WHEN ${c('n')} = 0 THEN excluded.${c('sum')} WHEN excluded.${c('n')} = 0 THEN ${c('sum')} ELSE ${c('sum')} + excluded.${c('sum')} END`,
        `${c('min')} = min(coalesce(${c('min')}, excluded.${c('min')}), coalesce(excluded.${c('min')}, ${c('min')}))`,
        `${c('max')} = max(coalesce(${c('max')}, excluded.${c('max')}), coalesce(excluded.${c('max')}, ${c('max')}))`,
        `${c('last')} = CASE WHEN excluded.last_rowid > last_rowid THEN excluded.${c('last')} ELSE ${c('last')} END`,
        // After the others: they read the old count.
        `${c('n')} = ${c('n')} + excluded.${c('n')}`,
      );
    }
    this.#upsert = db.prepare(
      `INSERT INTO minutes (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
       ON CONFLICT (target, minute) DO UPDATE SET ${updates.join(', ')}`,
    );
  }

  /** One snapshot: its target's id, time, rowid, and metric values (NaN for none) from `numbers[at]` on. */
  add(target: number, time: number, rowid: number, numbers: Float64Array, at: number): void {
    const minute = Math.floor(time / MINUTE_MS);
    const key = `${target}:${minute}`;
    let totals = this.#pending.get(key);
    if (totals === undefined) {
      totals = { target, minute, samples: 0, lastRowid: 0, values: [] };
      for (let m = 0; m < NUMBER_METRICS.length; m++) totals.values.push(0, null, null, null, null);
      this.#pending.set(key, totals);
    }
    totals.samples++;
    const latest = rowid > totals.lastRowid;
    if (latest) totals.lastRowid = rowid;
    const v = totals.values;
    for (let m = 0; m < NUMBER_METRICS.length; m++) {
      const value = numbers[at + m]!;
      const i = m * PARTS.length;
      if (latest) v[i + 4] = Number.isNaN(value) ? null : value;
      if (Number.isNaN(value)) continue;
      v[i] = (v[i] as number) + 1;
      v[i + 1] = (v[i + 1] ?? 0) + value;
      v[i + 2] = v[i + 2] === null ? value : Math.min(v[i + 2] as number, value);
      v[i + 3] = v[i + 3] === null ? value : Math.max(v[i + 3] as number, value);
    }
  }

  /** Writes the minutes of what was added (inside the caller's transaction), and starts over. */
  write(): void {
    for (const totals of this.#pending.values()) {
      this.#upsert.run(totals.target, totals.minute, totals.samples, totals.lastRowid, ...totals.values);
    }
    this.#pending.clear();
  }

  /** Forgets what was added (its transaction was rolled back). */
  discard(): void {
    this.#pending.clear();
  }
}

/**
 * After the retention deleted the snapshots before `cutoff`: drops the minutes wholly before
 * it, and computes the minute it cuts through again from the snapshots left.
 */
export function trimMinutes(db: RecordingDatabase, cutoff: number): void {
  const minute = Math.floor(cutoff / MINUTE_MS);
  db.prepare('DELETE FROM minutes WHERE minute <= ?').run(minute);
  const totals = NUMBER_METRICS.map(
    (m) => `count(${m.name}), sum(${m.name}), min(${m.name}), max(${m.name}), NULL`,
  ).join(', ');
  db.prepare(
    `INSERT INTO minutes SELECT target, ${minute}, count(*), max(rowid), ${totals}
     FROM snapshots WHERE time >= ? AND time < ? GROUP BY target`,
  ).run(cutoff, (minute + 1) * MINUTE_MS);
  const lasts = NUMBER_METRICS.map(
    (m) => `${m.name}_last = (SELECT ${m.name} FROM snapshots WHERE rowid = minutes.last_rowid)`,
  ).join(', ');
  db.prepare(`UPDATE minutes SET ${lasts} WHERE minute = ?`).run(minute);
}
