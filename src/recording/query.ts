/**
 * Questions to a recording: the snapshots of some targets and metrics over a time range, one
 * row per snapshot or one per `every` bucket with avg, min, max, p95 and last; the targets
 * recorded; and the events, with the gaps in the data. The work is done in SQL (aggregates,
 * window functions for p95 and the gaps); JavaScript only merges the parts.
 *
 * Buckets are aligned on multiples of `every` since the epoch (a 1m bucket starts at a whole
 * minute UTC) and hold the snapshots with `start <= time < start + every`. Time ranges are
 * half-open likewise: `since <= time < until`.
 */
import { DEFAULT_STALE_AFTER } from '../pipeline/target-table.js';
import { parseLabels, parseNumberList, parseObject } from './json-text.js';
import { DEFAULT_QUERY_METRICS, RECORDED_METRICS, type RecordedMetric, recordedMetric } from './metrics.js';
import { MINUTE_MS } from './minute-rollup.js';
import { RecordingError } from './recording-error.js';
import { openRecording, type RecordingDatabase } from './schema.js';

export const AGGREGATES = ['avg', 'min', 'max', 'p95', 'last'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface QueryOptions {
  /** Target names; default every recorded target. */
  targets?: readonly string[];
  /** Metric names of metrics.ts; default cpu, memory and disk. */
  metrics?: readonly string[];
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Bucket width in ms; without it, one row per snapshot. */
  every?: number;
  /** With `every`; default avg. */
  aggregates?: readonly Aggregate[];
}

export type QueryValue = number | string | null | readonly (number | null)[];
export type QueryRow = Record<string, QueryValue>;

export interface QueryColumn {
  /** Key in each row. */
  readonly name: string;
  /** `time` (epoch ms), `text`, `number`, `list` (numbers), or `count`. */
  readonly kind: 'time' | 'text' | 'number' | 'list' | 'count';
  /** `%`, `bytes`, `°C`, `W`, or empty. */
  readonly unit: string;
}

export interface QueryResult {
  readonly columns: readonly QueryColumn[];
  readonly rows: QueryRow[];
}

export interface TargetSummary {
  name: string;
  uri: string;
  labels: Record<string, string>;
  /** Epoch ms of the first and last snapshot kept; null when none is. */
  firstSeen: number | null;
  lastSeen: number | null;
  snapshots: number;
}

export interface RecordedEvent {
  time: number;
  target: string;
  /** A pipeline event type (`disconnected`, `alert`, ...), or `gap` for a silence in the data. */
  type: string;
  /** One line for people. Holds strings from a server: sanitize before printing. */
  summary: string;
  /** The event's fields (for a gap: `from`, `to`, `seconds`). */
  detail: Record<string, unknown>;
}

export interface EventQueryOptions {
  targets?: readonly string[];
  since?: number;
  until?: number;
  /** Milliseconds between two snapshots of a target above which the silence is listed as a gap. Default 15 s. */
  gapAfter?: number;
}

type Source = string | RecordingDatabase;

/** Runs `read` on the recording, opening (and closing) it when given a path. */
function withRecording<T>(source: Source, read: (db: RecordingDatabase) => T): T {
  if (typeof source !== 'string') return read(source);
  const db = openRecording(source, { mode: 'read' });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/**
 * Snapshots of a recording, one row per snapshot or per bucket.
 * @throws RecordingError for a file that is not a recording, an unknown metric, target or
 * aggregate, or a range that is empty by construction.
 */
export function queryRecording(source: Source, options: QueryOptions = {}): QueryResult {
  const metrics = resolveMetrics(options.metrics);
  const every = options.every;
  if (every !== undefined && !(Number.isFinite(every) && every >= 1)) {
    throw new RecordingError('INVALID_QUERY', `invalid every: ${every} (expected at least 1 ms)`);
  }
  const aggregates = resolveAggregates(options.aggregates, every !== undefined);
  checkRange(options.since, options.until);
  if (every !== undefined) {
    const text = metrics.find((m) => m.kind !== 'number');
    if (text !== undefined) {
      throw new RecordingError(
        'UNKNOWN_AGGREGATE',
        `metric ${text.name} cannot be aggregated (it is ${text.kind === 'text' ? 'text' : 'a list'}): query it without every`,
      );
    }
  }
  return withRecording(source, (db) => {
    const ids = targetIds(db, options.targets);
    const where = whereClause(ids, options.since, options.until);
    if (every === undefined) return snapshotRows(db, metrics, where);
    return bucketRows(db, metrics, aggregates, Math.floor(every), ids, options.since, options.until);
  });
}

/** Every recorded target with its first and last snapshot, in the order they were first recorded. */
export function listTargets(source: Source): TargetSummary[] {
  return withRecording(source, (db) => {
    const rows = db
      .prepare(
        `SELECT t.name, t.uri, t.labels,
           (SELECT min(time) FROM snapshots WHERE target = t.id) AS first,
           (SELECT max(time) FROM snapshots WHERE target = t.id) AS last,
           (SELECT count(*) FROM snapshots WHERE target = t.id) AS n
         FROM targets t ORDER BY t.id`,
      )
      .all() as {
      name: string;
      uri: string;
      labels: string;
      first: number | null;
      last: number | null;
      n: number;
    }[];
    return rows.map((row) => ({
      name: row.name,
      uri: row.uri,
      labels: parseLabels(row.labels),
      firstSeen: row.first,
      lastSeen: row.last,
      snapshots: row.n,
    }));
  });
}

/** The recorded events and the gaps in the data, in time order. */
export function listEvents(source: Source, options: EventQueryOptions = {}): RecordedEvent[] {
  checkRange(options.since, options.until);
  const gapAfter = options.gapAfter ?? DEFAULT_STALE_AFTER * 1000;
  if (!(Number.isFinite(gapAfter) && gapAfter > 0)) {
    throw new RecordingError(
      'INVALID_QUERY',
      `invalid gapAfter: ${gapAfter} (expected a positive number of ms)`,
    );
  }
  return withRecording(source, (db) => {
    const ids = targetIds(db, options.targets);
    const names = targetNames(db);
    const where = whereClause(ids, options.since, options.until);
    const events: RecordedEvent[] = [];
    const rows = db
      .prepare(`SELECT time, target, type, detail FROM events ${where.sql} ORDER BY time, rowid`)
      .all(...where.params) as { time: number; target: number; type: string; detail: string }[];
    for (const row of rows) {
      const detail = parseObject(row.detail);
      events.push({
        time: row.time,
        target: names.get(row.target) ?? String(row.target),
        type: row.type,
        summary: summarize(row.type, detail),
        detail,
      });
    }
    // A gap ends at a snapshot in the range; it may begin before the range.
    const gaps = db
      .prepare(
        `SELECT target, prev, time FROM (
           SELECT target, time, lag(time) OVER (PARTITION BY target ORDER BY time) AS prev
           FROM snapshots ${whereClause(ids, undefined, options.until).sql}
         ) WHERE time - prev > ? ${options.since === undefined ? '' : 'AND time >= ?'}`,
      )
      .all(
        ...whereClause(ids, undefined, options.until).params,
        gapAfter,
        ...(options.since === undefined ? [] : [options.since]),
      ) as { target: number; prev: number; time: number }[];
    for (const gap of gaps) {
      const seconds = (gap.time - gap.prev) / 1000;
      events.push({
        time: gap.prev,
        target: names.get(gap.target) ?? String(gap.target),
        type: 'gap',
        summary: `no data for ${seconds} s (until ${new Date(gap.time).toISOString()})`,
        detail: { from: gap.prev, to: gap.time, seconds },
      });
    }
    return events.sort((a, b) => a.time - b.time);
  });
}

// ---- inside ----------------------------------------------------------------------------

/** The names `query` accepts for `--metric`, in column order. */
export function metricNames(): string[] {
  return RECORDED_METRICS.map((m) => m.name);
}

function resolveMetrics(names: readonly string[] | undefined): RecordedMetric[] {
  const wanted = names === undefined || names.length === 0 ? DEFAULT_QUERY_METRICS : names;
  const metrics: RecordedMetric[] = [];
  for (const name of wanted) {
    const metric = recordedMetric(name);
    if (metric === undefined) {
      throw new RecordingError(
        'UNKNOWN_METRIC',
        `unknown metric ${JSON.stringify(name)} (expected one of ${metricNames().join(', ')})`,
      );
    }
    if (!metrics.includes(metric)) metrics.push(metric);
  }
  return metrics;
}

function resolveAggregates(names: readonly string[] | undefined, bucketed: boolean): Aggregate[] {
  if (names === undefined || names.length === 0) return ['avg'];
  if (!bucketed) {
    throw new RecordingError('INVALID_QUERY', 'aggregates need buckets: give every as well (--every 1m)');
  }
  const out: Aggregate[] = [];
  for (const name of names) {
    if (!(AGGREGATES as readonly string[]).includes(name)) {
      throw new RecordingError(
        'UNKNOWN_AGGREGATE',
        `unknown aggregate ${JSON.stringify(name)} (expected one of ${AGGREGATES.join(', ')})`,
      );
    }
    if (!out.includes(name as Aggregate)) out.push(name as Aggregate);
  }
  return out;
}

function checkRange(since: number | undefined, until: number | undefined): void {
  for (const [name, value] of [
    ['since', since],
    ['until', until],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value)) {
      throw new RecordingError('INVALID_QUERY', `invalid ${name}: ${value} (expected epoch milliseconds)`);
    }
  }
  if (since !== undefined && until !== undefined && since >= until) {
    throw new RecordingError(
      'INVALID_QUERY',
      `since (${new Date(since).toISOString()}) is not before until (${new Date(until).toISOString()})`,
    );
  }
}

function maxTargetId(db: RecordingDatabase): number {
  return (db.prepare('SELECT max(id) AS id FROM targets').get() as { id: number | null }).id ?? 0;
}

function targetNames(db: RecordingDatabase): Map<number, string> {
  const rows = db.prepare('SELECT id, name FROM targets ORDER BY id').all() as { id: number; name: string }[];
  return new Map(rows.map((row) => [row.id, row.name]));
}

/** Ids of the targets named, or undefined for all of them. */
function targetIds(db: RecordingDatabase, names: readonly string[] | undefined): number[] | undefined {
  if (names === undefined || names.length === 0) return undefined;
  const byName = new Map([...targetNames(db)].map(([id, name]) => [name, id]));
  return names.map((name) => {
    const id = byName.get(name);
    if (id === undefined) {
      const known = [...byName.keys()];
      throw new RecordingError(
        'UNKNOWN_TARGET',
        `no target ${JSON.stringify(name)} in the recording (${known.length === 0 ? 'it has none' : `recorded: ${known.join(', ')}`})`,
      );
    }
    return id;
  });
}

interface Where {
  sql: string;
  params: number[];
}

function whereClause(ids: number[] | undefined, since: number | undefined, until: number | undefined): Where {
  const parts: string[] = [];
  const params: number[] = [];
  if (ids !== undefined) {
    parts.push(`target IN (${ids.map(() => '?').join(', ')})`);
    params.push(...ids);
  }
  if (since !== undefined) {
    parts.push('time >= ?');
    params.push(since);
  }
  if (until !== undefined) {
    parts.push('time < ?');
    params.push(until);
  }
  return { sql: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}

function metricColumn(metric: RecordedMetric): QueryColumn {
  return { name: metric.name, kind: metric.kind === 'list' ? 'list' : metric.kind, unit: metric.unit };
}

function snapshotRows(db: RecordingDatabase, metrics: readonly RecordedMetric[], where: Where): QueryResult {
  const names = targetNames(db);
  const columns: QueryColumn[] = [
    { name: 'time', kind: 'time', unit: '' },
    { name: 'target', kind: 'text', unit: '' },
    ...metrics.map(metricColumn),
  ];
  const select = metrics.map((m) => m.name).join(', ');
  const statement = db
    .prepare(`SELECT time, target, ${select} FROM snapshots ${where.sql} ORDER BY time, rowid`)
    .raw(true);
  const rows: QueryRow[] = [];
  for (const values of statement.iterate(...where.params) as Iterable<unknown[]>) {
    const row: QueryRow = { time: values[0] as number, target: names.get(values[1] as number) ?? null };
    for (let i = 0; i < metrics.length; i++) {
      const metric = metrics[i]!;
      const value = values[i + 2] as number | string | null;
      row[metric.name] = metric.kind === 'list' && typeof value === 'string' ? parseNumberList(value) : value;
    }
    rows.push(row);
  }
  return { columns, rows };
}

/**
 * Buckets of `every` ms. Buckets of whole minutes are read from the per-minute totals (see
 * minute-rollup.ts) unless p95 is asked (it needs every value); a bucket that `since` or
 * `until` cuts through is computed from the snapshots of its part in the range.
 */
function bucketRows(
  db: RecordingDatabase,
  metrics: readonly RecordedMetric[],
  aggregates: readonly Aggregate[],
  every: number,
  ids: number[] | undefined,
  since: number | undefined,
  until: number | undefined,
): QueryResult {
  const names = targetNames(db);
  const columns: QueryColumn[] = [
    { name: 'time', kind: 'time', unit: '' },
    { name: 'target', kind: 'text', unit: '' },
    { name: 'samples', kind: 'count', unit: '' },
  ];
  for (const metric of metrics) {
    for (const aggregate of aggregates) {
      columns.push({ name: `${metric.name}_${aggregate}`, kind: 'number', unit: metric.unit });
    }
  }
  if (every % MINUTE_MS !== 0 || aggregates.includes('p95')) {
    return {
      columns,
      rows: snapshotBuckets(db, metrics, aggregates, every, whereClause(ids, since, until), names),
    };
  }
  // Whole buckets within the range: [first, end); undefined for no bound.
  const first = since === undefined ? undefined : Math.ceil(since / every) * every;
  const end = until === undefined ? undefined : Math.floor(until / every) * every;
  if (first !== undefined && end !== undefined && first >= end) {
    return {
      columns,
      rows: snapshotBuckets(db, metrics, aggregates, every, whereClause(ids, since, until), names),
    };
  }
  const rows = minuteBuckets(db, metrics, aggregates, every, ids, first, end, names);
  if (since !== undefined && first !== undefined && since < first) {
    rows.push(...snapshotBuckets(db, metrics, aggregates, every, whereClause(ids, since, first), names));
  }
  if (until !== undefined && end !== undefined && end < until) {
    rows.push(...snapshotBuckets(db, metrics, aggregates, every, whereClause(ids, end, until), names));
  }
  const order = new Map([...names].map(([id, name]) => [name, id]));
  rows.sort(
    (a, b) =>
      (a.time as number) - (b.time as number) ||
      order.get(a.target as string)! - order.get(b.target as string)!,
  );
  return { columns, rows };
}

/** Buckets of whole minutes from the per-minute totals, from `first` (inclusive) to `end` (exclusive). */
function minuteBuckets(
  db: RecordingDatabase,
  metrics: readonly RecordedMetric[],
  aggregates: readonly Aggregate[],
  every: number,
  ids: number[] | undefined,
  first: number | undefined,
  end: number | undefined,
  names: Map<number, string>,
): QueryRow[] {
  const minutes = every / MINUTE_MS;
  const parts: string[] = [];
  const params: number[] = [];
  if (ids !== undefined) {
    parts.push(`target IN (${ids.map(() => '?').join(', ')})`);
    params.push(...ids);
  }
  if (first !== undefined) {
    parts.push('minute >= ?');
    params.push(first / MINUTE_MS);
  }
  if (end !== undefined) {
    parts.push('minute < ?');
    params.push(end / MINUTE_MS);
  }
  const where = parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
  const sums = metrics
    .map(
      (m) =>
        `sum(${m.name}_n) AS ${m.name}_n, sum(${m.name}_sum) AS ${m.name}_sum, min(${m.name}_min) AS ${m.name}_min, max(${m.name}_max) AS ${m.name}_max`,
    )
    .join(', ');
  const totals = db
    .prepare(
      `SELECT target, minute / ${minutes} AS b, sum(samples) AS samples, ${sums}
       FROM minutes ${where} GROUP BY target, b ORDER BY b, target`,
    )
    .all(...params) as Record<string, number | null>[];
  const rows: QueryRow[] = [];
  const byKey = new Map<string, QueryRow>();
  for (const values of totals) {
    const row: QueryRow = {
      time: values.b! * every,
      target: names.get(values.target!) ?? null,
      samples: values.samples!,
    };
    for (const metric of metrics) {
      const n = values[`${metric.name}_n`] ?? 0;
      for (const aggregate of aggregates) {
        const name = `${metric.name}_${aggregate}`;
        if (aggregate === 'avg') row[name] = n > 0 ? values[`${metric.name}_sum`]! / n : null;
        else if (aggregate === 'min') row[name] = values[`${metric.name}_min`] ?? null;
        else if (aggregate === 'max') row[name] = values[`${metric.name}_max`] ?? null;
        else row[name] = null;
      }
    }
    rows.push(row);
    byKey.set(`${values.target}:${values.b}`, row);
  }
  if (aggregates.includes('last')) {
    // With one max() as the only aggregate, SQLite takes the bare columns from the row that
    // holds the maximum: the minute whose last snapshot came last.
    const lasts = metrics.map((m) => `${m.name}_last`).join(', ');
    const last = db
      .prepare(
        `SELECT target, minute / ${minutes} AS b, max(last_rowid), ${lasts} FROM minutes ${where} GROUP BY target, b`,
      )
      .all(...params) as Record<string, number | null>[];
    for (const values of last) {
      const row = byKey.get(`${values.target}:${values.b}`);
      if (row === undefined) continue;
      for (const metric of metrics) row[`${metric.name}_last`] = values[`${metric.name}_last`] ?? null;
    }
  }
  return rows;
}

/** Buckets computed from the snapshots in `where`. */
function snapshotBuckets(
  db: RecordingDatabase,
  metrics: readonly RecordedMetric[],
  aggregates: readonly Aggregate[],
  every: number,
  where: Where,
  names: Map<number, string>,
): QueryRow[] {
  // Rows are grouped by one integer, bucket number * span + target id, rather than by two
  // columns: SQLite sorts the rows to group them, and one integer key sorts about twice as
  // fast. The key fits in a double's 53 bits unless the buckets are tiny and the targets many.
  const span = maxTargetId(db) + 1;
  const maxTime = (db.prepare('SELECT max(time) AS t FROM snapshots').get() as { t: number | null }).t ?? 0;
  const oneKey = (Math.abs(maxTime) / every + 1) * span < Number.MAX_SAFE_INTEGER;
  const key = oneKey ? `(time / ${every}) * ${span} + target` : `target, time / ${every}`;
  const group = oneKey ? 'k' : 'target, bucket';
  const keyColumns = oneKey ? `${key} AS k` : `target, time / ${every} AS bucket`;
  const keyOf = (values: Record<string, number | null>): string =>
    oneKey ? String(values.k) : `${values.target}:${values.bucket}`;
  const decode = (values: Record<string, number | null>): { bucket: number; target: number } => {
    if (!oneKey) return { bucket: values.bucket! * every, target: values.target! };
    const k = values.k!;
    const target = ((k % span) + span) % span;
    return { bucket: ((k - target) / span) * every, target };
  };
  const sqlAggregates: string[] = [];
  for (const metric of metrics) {
    for (const aggregate of aggregates) {
      if (aggregate === 'avg' || aggregate === 'min' || aggregate === 'max') {
        sqlAggregates.push(`${aggregate}(${metric.name}) AS ${metric.name}_${aggregate}`);
      }
    }
  }
  // NOT INDEXED: a scan of the table in rowid order beats the (target, time) index, which
  // would fetch every row through a second lookup.
  const table = where.sql === '' ? 'snapshots NOT INDEXED' : 'snapshots';
  const main = db
    .prepare(
      `SELECT ${keyColumns}, count(*) AS samples${sqlAggregates.map((a) => `, ${a}`).join('')}
       FROM ${table} ${where.sql} GROUP BY ${group} ORDER BY ${oneKey ? 'k' : 'bucket, target'}`,
    )
    .all(...where.params) as Record<string, number | null>[];
  const rows: QueryRow[] = [];
  const byKey = new Map<string, QueryRow>();
  for (const values of main) {
    const { bucket, target } = decode(values);
    const row: QueryRow = { time: bucket, target: names.get(target) ?? null, samples: values.samples! };
    for (const metric of metrics) {
      for (const aggregate of aggregates) {
        const name = `${metric.name}_${aggregate}`;
        row[name] = values[name] ?? null;
      }
    }
    rows.push(row);
    byKey.set(keyOf(values), row);
  }
  if (aggregates.includes('last')) {
    // With one max() as the only aggregate, SQLite takes the bare columns from the row that
    // holds the maximum: the last snapshot received in the bucket.
    const select = metrics.map((m) => m.name).join(', ');
    const last = db
      .prepare(`SELECT ${keyColumns}, max(rowid), ${select} FROM ${table} ${where.sql} GROUP BY ${group}`)
      .all(...where.params) as Record<string, number | null>[];
    for (const values of last) {
      const row = byKey.get(keyOf(values));
      if (row === undefined) continue;
      for (const metric of metrics) row[`${metric.name}_last`] = values[metric.name] ?? null;
    }
  }
  if (aggregates.includes('p95')) {
    const partition = oneKey ? 'k' : 'target, bucket';
    for (const metric of metrics) {
      // Nearest rank: the value at rank ceil(0.95 n) of the bucket's n values, lowest first.
      const p95 = db
        .prepare(
          `SELECT ${oneKey ? 'k' : 'target, bucket'}, v FROM (
             SELECT *, row_number() OVER (PARTITION BY ${partition} ORDER BY v) AS rank,
               count(*) OVER (PARTITION BY ${partition}) AS n
             FROM (SELECT ${keyColumns}, ${metric.name} AS v FROM ${table}
                   ${where.sql} ${where.sql === '' ? 'WHERE' : 'AND'} ${metric.name} IS NOT NULL)
           ) WHERE rank = (95 * n + 99) / 100`,
        )
        .all(...where.params) as Record<string, number | null>[];
      for (const values of p95) {
        const row = byKey.get(keyOf(values));
        if (row !== undefined) row[`${metric.name}_p95`] = values.v ?? null;
      }
    }
  }
  return rows;
}

/** One line saying what an event was. */
function summarize(type: string, detail: Record<string, unknown>): string {
  const text = (key: string) => (typeof detail[key] === 'string' ? (detail[key] as string) : '');
  switch (type) {
    case 'connected':
      return `connected to ${text('uri')}${typeof detail.attempt === 'number' && detail.attempt > 0 ? ` (attempt ${detail.attempt})` : ''}`;
    case 'disconnected':
      return `disconnected (${String(detail.code)}${text('reason') ? ` ${text('reason')}` : ''})${detail.willReconnect ? ', reconnecting' : ''}`;
    case 'reconnecting':
      return `reconnecting in ${Number(detail.delayMs) / 1000} s (attempt ${String(detail.attempt)}${detail.maxAttempts === null || detail.maxAttempts === undefined ? '' : `/${String(detail.maxAttempts)}`})${text('lastError') ? `: ${text('lastError')}` : ''}`;
    case 'connection_error':
      return `${text('code')}: ${text('message')}`;
    case 'gave_up':
      return `gave up after ${String(detail.attempts)} attempts: ${text('message')}`;
    case 'target_removed':
      return 'target removed';
    case 'server_notice':
      return `server ${text('kind')}${text('severity') ? ` (${text('severity')})` : ''}: ${text('text')}`;
    case 'server_alerts': {
      const alerts = Array.isArray(detail.alerts) ? (detail.alerts as Record<string, unknown>[]) : [];
      if (alerts.length === 0) return 'server alerts cleared';
      return `server alerts: ${alerts.map((a) => `${String(a.level ?? '?')} ${String(a.component ?? '?')}`).join(', ')}`;
    }
    case 'alert':
      return `${text('state')} ${text('severity')}: ${text('summary') || text('rule')}`;
    default:
      return type;
  }
}
