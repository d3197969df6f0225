/**
 * The recent values of every target, for the sparklines: a fixed number of time steps per
 * target (by default 72 steps of 5 s: the last six minutes), so memory is bounded by the
 * number of targets whatever the message rate. A step keeps the highest value received in
 * it, so a one-message spike still shows; a step without data stays empty (NaN) and is
 * drawn as a gap, never as 0.
 */
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

/** The metrics kept, in the order of a step's slots. */
export const HISTORY_METRICS = ['cpu', 'memory', 'disk', 'gpu', 'gpuMemory', 'cpuTemp', 'gpuTemp'] as const;
export type HistoryMetric = (typeof HISTORY_METRICS)[number];

const METRIC_COUNT = HISTORY_METRICS.length;
const SLOT: Record<HistoryMetric, number> = Object.fromEntries(
  HISTORY_METRICS.map((m, i) => [m, i]),
) as Record<HistoryMetric, number>;

export interface MetricHistoryOptions {
  /** Seconds per step (one sparkline character). @default 5 */
  stepSeconds?: number;
  /** Steps kept per target. @default 72 */
  steps?: number;
}

interface TargetSeries {
  /** Index of the newest step, as `floor(time / step)`. */
  lastStep: number;
  /** Steps held (at most `steps`). */
  count: number;
  /** Ring position of the newest step. */
  head: number;
  /** `steps` × METRIC_COUNT values; NaN: no data. */
  values: Float32Array;
}

export class MetricHistory {
  readonly stepMs: number;
  readonly steps: number;
  readonly #targets = new Map<string, TargetSeries>();

  constructor(options: MetricHistoryOptions = {}) {
    this.stepMs = Math.max(1, Math.round((options.stepSeconds ?? 5) * 1000));
    this.steps = Math.max(1, Math.floor(options.steps ?? 72));
  }

  /** Targets with a history. */
  get size(): number {
    return this.#targets.size;
  }

  /** Adds the values of `snapshot`, received at `at` (epoch ms), to `target`'s history. */
  add(target: string, snapshot: MonitoringSnapshot, at: number): void {
    const step = Math.floor(at / this.stepMs);
    let series = this.#targets.get(target);
    if (series === undefined) {
      series = { lastStep: step, count: 1, head: 0, values: new Float32Array(this.steps * METRIC_COUNT) };
      series.values.fill(Number.NaN);
      this.#targets.set(target, series);
    } else if (step > series.lastStep) {
      this.#advance(series, step);
    }
    // An older step (a clock that went back, a replay out of order) counts in the newest one.
    const base = series.head * METRIC_COUNT;
    const values = series.values;
    keepMax(values, base + SLOT.cpu, snapshot.cpu.usagePercent);
    keepMax(values, base + SLOT.memory, snapshot.memory.usagePercent);
    keepMax(values, base + SLOT.disk, snapshot.disk.usagePercent);
    keepMax(values, base + SLOT.gpu, snapshot.gpu?.usagePercent);
    keepMax(values, base + SLOT.gpuMemory, snapshot.gpu?.memoryPercent);
    keepMax(values, base + SLOT.cpuTemp, snapshot.cpu.temperatureCelsius);
    keepMax(values, base + SLOT.gpuTemp, snapshot.gpu?.temperatureCelsius);
  }

  /**
   * `metric` of `target`, oldest step first, up to the step of `now`: steps without data
   * (including those since the last message) are NaN. Empty for an unknown target.
   */
  series(target: string, metric: HistoryMetric, now: number): Float32Array {
    const series = this.#targets.get(target);
    if (series === undefined) return new Float32Array(0);
    const silent = Math.max(0, Math.floor(now / this.stepMs) - series.lastStep);
    const kept = Math.min(series.count, Math.max(0, this.steps - silent));
    const out = new Float32Array(Math.min(this.steps, kept + silent));
    out.fill(Number.NaN);
    const slot = SLOT[metric];
    for (let i = 0; i < kept; i++) {
      const ring = (series.head - (kept - 1 - i) + this.steps) % this.steps;
      out[i] = series.values[ring * METRIC_COUNT + slot]!;
    }
    return out;
  }

  delete(target: string): void {
    this.#targets.delete(target);
  }

  clear(): void {
    this.#targets.clear();
  }

  /** Moves `series` to `step`, leaving the steps in between empty. */
  #advance(series: TargetSeries, step: number): void {
    const gap = Math.min(step - series.lastStep, this.steps);
    for (let i = 0; i < gap; i++) {
      series.head = (series.head + 1) % this.steps;
      series.values.fill(Number.NaN, series.head * METRIC_COUNT, (series.head + 1) * METRIC_COUNT);
    }
    series.count = Math.min(this.steps, series.count + gap);
    series.lastStep = step;
  }
}

function keepMax(values: Float32Array, index: number, value: number | undefined): void {
  if (value === undefined || !Number.isFinite(value)) return;
  const current = values[index]!;
  if (Number.isNaN(current) || value > current) values[index] = value;
}
