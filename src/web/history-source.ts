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
