/**
 * Where the detail view's charts read a target's past: the in-memory history by default, or
 * the recording (SQLite) when `--record` is on. One small interface so that either plugs in.
 * Also read by the page: no Node.js here.
 */

/** The metrics a chart shows, one array per metric, all as long as `t` (uPlot's own layout). */
export interface HistorySeries {
  readonly target: string;
  /** Where the points came from. */
  readonly source: 'memory' | 'recording';
  /** Epoch ms (client clock) of each point, ascending. */
  readonly t: number[];
  /** Percent 0..100; null where the server sent no usable value. */
  readonly cpu: (number | null)[];
  readonly memory: (number | null)[];
  readonly disk: (number | null)[];
  readonly gpu: (number | null)[];
  readonly gpuMemory: (number | null)[];
  /** °C. */
  readonly cpuTemperature: (number | null)[];
  readonly gpuTemperature: (number | null)[];
  /** `cores[i][k]`: usage of core i at point k, percent. */
  readonly cores: (number | null)[][];
}

export interface HistorySource {
  /**
   * The points of `target` received at or after `sinceMs` (epoch ms), oldest first; undefined
   * when the target is unknown. Never rejects for a target without data: empty arrays.
   */
  history(target: string, sinceMs: number): Promise<HistorySeries | undefined>;
}

/** The scalar metrics of a series, in chart order. */
export const SERIES_METRICS = [
  'cpu',
  'memory',
  'disk',
  'gpu',
  'gpuMemory',
  'cpuTemperature',
  'gpuTemperature',
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];

/** A series without points (a known target that has sent nothing yet). */
export function emptySeries(target: string, source: HistorySeries['source'] = 'memory'): HistorySeries {
  return {
    target,
    source,
    t: [],
    cpu: [],
    memory: [],
    disk: [],
    gpu: [],
    gpuMemory: [],
    cpuTemperature: [],
    gpuTemperature: [],
    cores: [],
  };
}

/**
 * `older`'s points before `newer`'s first one, then `newer`'s: two parts of one target's past
 * (the recording and the memory, or a long window fetched once and its live tail) as one
 * series, without a point twice. The source is `recording` when either part came from it.
 */
export function joinSeries(older: HistorySeries, newer: HistorySeries): HistorySeries {
  const cut = newer.t.length === 0 ? Number.POSITIVE_INFINITY : newer.t[0]!;
  let kept = 0;
  while (kept < older.t.length && older.t[kept]! < cut) kept++;
  if (kept === 0) return newer;
  const coreCount = Math.max(older.cores.length, newer.cores.length);
  const join = (a: readonly (number | null)[] | undefined, b: readonly (number | null)[] | undefined) => {
    const out = a === undefined ? new Array<number | null>(kept).fill(null) : a.slice(0, kept);
    if (b === undefined) for (let k = 0; k < newer.t.length; k++) out.push(null);
    else out.push(...b);
    return out;
  };
  return {
    target: newer.target,
    source: older.source === 'recording' || newer.source === 'recording' ? 'recording' : 'memory',
    t: [...older.t.slice(0, kept), ...newer.t],
    cpu: join(older.cpu, newer.cpu),
    memory: join(older.memory, newer.memory),
    disk: join(older.disk, newer.disk),
    gpu: join(older.gpu, newer.gpu),
    gpuMemory: join(older.gpuMemory, newer.gpuMemory),
    cpuTemperature: join(older.cpuTemperature, newer.cpuTemperature),
    gpuTemperature: join(older.gpuTemperature, newer.gpuTemperature),
    cores: Array.from({ length: coreCount }, (_, c) => join(older.cores[c], newer.cores[c])),
  };
}
