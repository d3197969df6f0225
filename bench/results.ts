/**
 * What a benchmark child process reports to the harness, one type per case family, and the
 * statistics the harness draws from several runs.
 */

export interface ThroughputResult {
  /** Messages the client saw. */
  received: number;
}

export interface LatencyResult {
  received: number;
  /** Send-to-handler times in ms, after the warm-up. */
  samples: number[];
}

export interface MemoryCheckpoint {
  messages: number;
  rssMb: number;
  heapUsedMb: number;
}

export interface StormResult {
  /** Seconds from start() until every target had connected once; null: not within the limit. */
  secondsToAllUp: number | null;
  /** Handshakes that ran out of connectTimeout (each one retried). */
  connectTimeouts: number;
  /** Once every target is up. */
  rssMb: number;
}

export interface MemoryResult {
  received: number;
  checkpoints: MemoryCheckpoint[];
}

export interface FanInResult {
  /** CPU time over the window, in % of one core. */
  cpuPercent: number;
  /** Mean of the RSS samples through the window. */
  rssMb: number;
  /** Highest RSS sample in the window. */
  rssPeakMb: number;
  heapUsedMb: number;
  messagesInWindow: number;
  windowMs: number;
  /** The CPUs the client could run on (Linux affinity list), when known. */
  cpusAllowed?: string;
}

/** Median, min and max of several runs. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: percentile(sorted, 50),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    runs: [...values],
  };
}

/** The `p`th percentile of sorted values, interpolated between the closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low]!;
  return lowValue + (sorted[high]! - lowValue) * (rank - low);
}
