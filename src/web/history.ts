/**
 * The recent past of every target, in memory, for the detail view's charts: at most one
 * point per target per `resolutionMs` (a second record in the same interval replaces the
 * point), and at most `capacity` points per target, the oldest dropped first. Columns live in
 * typed arrays that grow by doubling up to the capacity, so a short run or a small fleet pays
 * little, and 1,000 targets with 16 cores and 600 points stay near 30 MB.
 */
import type { MonitoringRecord } from '../pipeline/record.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import { type HistorySeries, type HistorySource, SERIES_METRICS } from './history-source.js';

/** Points per target by default: ten minutes at one point a second. */
export const DEFAULT_HISTORY_POINTS = 600;
/** Shortest interval between two points of a target, by default. */
export const DEFAULT_HISTORY_RESOLUTION_MS = 1000;
/** Per-core values are kept in half percents in one byte; this byte means "no value". */
const NO_CORE_VALUE = 255;
const FIRST_ALLOCATION = 32;
const NO_CORES: readonly (number | undefined)[] = [];

export interface MemoryHistoryOptions {
  /** Points kept per target. @default 600 */
  capacity?: number;
  /** Milliseconds within which a newer record replaces the last point. @default 1000 */
  resolutionMs?: number;
}

/** Writes the snapshot's values at `slot` of the columns, in SERIES_METRICS order (NaN: none). */
function writeScalars(columns: Float32Array[], slot: number, snapshot: MonitoringSnapshot): void {
  const gpu = snapshot.gpu;
  columns[0]![slot] = snapshot.cpu.usagePercent ?? Number.NaN;
  columns[1]![slot] = snapshot.memory.usagePercent ?? Number.NaN;
  columns[2]![slot] = snapshot.disk.usagePercent ?? Number.NaN;
  columns[3]![slot] = gpu?.usagePercent ?? Number.NaN;
  columns[4]![slot] = gpu?.memoryPercent ?? Number.NaN;
  columns[5]![slot] = snapshot.cpu.temperatureCelsius ?? Number.NaN;
  columns[6]![slot] = gpu?.temperatureCelsius ?? Number.NaN;
}

/** One target's ring of points. */
class TargetRing {
  readonly #capacity: number;
  #allocated = 0;
  #t = new Float64Array(0);
  #columns: Float32Array[] = SERIES_METRICS.map(() => new Float32Array(0));
  #cores: Uint8Array[] = [];
  /** Index of the oldest point. Stays 0 until the ring is full at capacity. */
  #start = 0;
  #length = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get length(): number {
    return this.#length;
  }

  get firstTime(): number | undefined {
    return this.#length === 0 ? undefined : this.#t[this.#index(0)];
  }

  get lastTime(): number | undefined {
    return this.#length === 0 ? undefined : this.#t[this.#index(this.#length - 1)];
  }

  /** Adds a point, or replaces the last one when `replace`. */
  put(at: number, snapshot: MonitoringSnapshot, replace: boolean): void {
    let slot: number;
    if (replace && this.#length > 0) {
      slot = this.#index(this.#length - 1);
    } else {
      if (this.#length === this.#allocated && this.#allocated < this.#capacity) this.#grow();
      if (this.#length < this.#allocated) {
        slot = this.#index(this.#length);
        this.#length++;
      } else {
        slot = this.#start;
        this.#start = (this.#start + 1) % this.#allocated;
      }
    }
    this.#t[slot] = at;
    writeScalars(this.#columns, slot, snapshot);
    const perCore = snapshot.cpu.perCoreUsagePercent ?? NO_CORES;
    while (this.#cores.length < perCore.length)
      this.#cores.push(new Uint8Array(this.#allocated).fill(NO_CORE_VALUE));
    for (let c = 0; c < this.#cores.length; c++) {
      const value = perCore[c];
      this.#cores[c]![slot] = value === undefined ? NO_CORE_VALUE : Math.round(value * 2);
    }
  }

  /** The points at or after `sinceMs`, oldest first. */
  series(target: string, sinceMs: number): HistorySeries {
    let first = 0;
    // Points are in time order: skip the older ones from the start.
    while (first < this.#length && this.#t[this.#index(first)]! < sinceMs) first++;
    const t: number[] = [];
    const columns = SERIES_METRICS.map((): (number | null)[] => []);
    const cores = this.#cores.map((): (number | null)[] => []);
    for (let k = first; k < this.#length; k++) {
      const slot = this.#index(k);
      t.push(this.#t[slot]!);
      for (let m = 0; m < columns.length; m++) {
        const value = this.#columns[m]![slot]!;
        // Float32 storage: round back to the one decimal a server sends.
        columns[m]!.push(Number.isNaN(value) ? null : Math.round(value * 100) / 100);
      }
      for (let c = 0; c < cores.length; c++) {
        const value = this.#cores[c]![slot]!;
        cores[c]!.push(value === NO_CORE_VALUE ? null : value / 2);
      }
    }
    const [cpu, memory, disk, gpu, gpuMemory, cpuTemperature, gpuTemperature] = columns as [
      (number | null)[],
      (number | null)[],
      (number | null)[],
      (number | null)[],
      (number | null)[],
      (number | null)[],
      (number | null)[],
    ];
    return {
      target,
      source: 'memory',
      t,
      cpu,
      memory,
      disk,
      gpu,
      gpuMemory,
      cpuTemperature,
      gpuTemperature,
      cores,
    };
  }

  /** The last `count` CPU values (null where unknown), oldest first. */
  recentCpu(count: number): (number | null)[] {
    const out: (number | null)[] = [];
    for (let k = Math.max(0, this.#length - count); k < this.#length; k++) {
      const value = this.#columns[0]![this.#index(k)]!;
      out.push(Number.isNaN(value) ? null : Math.round(value * 10) / 10);
    }
    return out;
  }

  get bytes(): number {
    return this.#allocated * (8 + 4 * this.#columns.length + this.#cores.length);
  }

  #index(k: number): number {
    return (this.#start + k) % this.#allocated;
  }

  // Only called while the ring has never wrapped (#start is 0), so a plain copy keeps the order.
  #grow(): void {
    const size = Math.min(this.#capacity, Math.max(FIRST_ALLOCATION, this.#allocated * 2));
    const t = new Float64Array(size);
    t.set(this.#t);
    this.#t = t;
    this.#columns = this.#columns.map((old) => {
      const column = new Float32Array(size);
      column.set(old);
      return column;
    });
    this.#cores = this.#cores.map((old) => {
      const column = new Uint8Array(size).fill(NO_CORE_VALUE);
      column.set(old);
      return column;
    });
    this.#allocated = size;
  }
}

export class MemoryHistory implements HistorySource {
  readonly #rings = new Map<string, TargetRing>();
  readonly #capacity: number;
  readonly #resolutionMs: number;

  constructor(options: MemoryHistoryOptions = {}) {
    this.#capacity = Math.max(1, Math.floor(options.capacity ?? DEFAULT_HISTORY_POINTS));
    this.#resolutionMs = Math.max(1, options.resolutionMs ?? DEFAULT_HISTORY_RESOLUTION_MS);
  }

  add(record: MonitoringRecord): void {
    let ring = this.#rings.get(record.target);
    if (ring === undefined) {
      ring = new TargetRing(this.#capacity);
      this.#rings.set(record.target, ring);
    }
    const at = record.frame.receivedAt;
    const last = ring.lastTime;
    const sameInterval =
      last !== undefined && Math.floor(at / this.#resolutionMs) === Math.floor(last / this.#resolutionMs);
    ring.put(at, record.snapshot, sameInterval);
  }

  remove(target: string): void {
    this.#rings.delete(target);
  }

  has(target: string): boolean {
    return this.#rings.has(target);
  }

  /** Time of the oldest point held for `target`: what came before is not in memory any more. */
  oldest(target: string): number | undefined {
    return this.#rings.get(target)?.firstTime;
  }

  async history(target: string, sinceMs: number): Promise<HistorySeries | undefined> {
    return this.series(target, sinceMs);
  }

  /** The same as `history`, synchronously. Undefined for a target without any point. */
  series(target: string, sinceMs: number): HistorySeries | undefined {
    return this.#rings.get(target)?.series(target, sinceMs);
  }

  recentCpu(target: string, count: number): (number | null)[] {
    return this.#rings.get(target)?.recentCpu(count) ?? [];
  }

  stats(): { targets: number; points: number; bytes: number } {
    let points = 0;
    let bytes = 0;
    for (const ring of this.#rings.values()) {
      points += ring.length;
      bytes += ring.bytes;
    }
    return { targets: this.#rings.size, points, bytes };
  }
}
