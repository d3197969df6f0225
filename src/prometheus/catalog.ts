/**
 * Every metric the exporter serves: its name (Prometheus conventions: base units, `_ratio`
 * in 0..1, `_total` for counters), its help, and how its series are read from one target's
 * row at scrape time. Nothing here runs per message.
 *
 * Two kinds of series:
 * - the server's values (CPU, memory, disk, GPU), only while the target is up and its data
 *   fresh: a stale value is never served as if it were current, and a value the server did
 *   not send has no series (never 0);
 * - the client's view of the target (up, last message, counters, round trip, firing
 *   alerts), for as long as the target exists.
 */
import type { TargetRow } from '../pipeline/target-row.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

/** One target as a scrape sees it. */
export interface TargetView {
  readonly row: TargetRow;
  /** `target`, `host` (when known) and the target's own labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Connected, and data fresher than the staleness limit: only then are the server's values served. */
  readonly up: boolean;
}

/** Adds one series of the metric for the target being read. */
export type Emit = (value: number, extraLabels?: Readonly<Record<string, string>>) => void;

export interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  /** Labels of this metric besides `target`, `host` and the target labels. */
  readonly extraLabels: readonly string[];
  /** Emits the target's series of this metric, if it has any. */
  readonly read: (view: TargetView, emit: Emit) => void;
}

/**
 * A percentage as a ratio, to 14 decimals: 1.4 / 100 is 0.013999999999999999 in binary
 * floating point; 0.014 is what the server meant. Rounded through integers (exact below
 * 2^53), which costs next to nothing at thousands of series per scrape.
 */
export function ratio(percent: number | undefined): number | undefined {
  return percent === undefined ? undefined : Math.round(percent * 1e12) / 1e14;
}

/** `{ core: '3' }`, one frozen object per core index, shared by every target and scrape. */
const CORE_LABELS: Readonly<Record<string, string>>[] = [];

function coreLabels(core: number): Readonly<Record<string, string>> {
  let labels = CORE_LABELS[core];
  if (labels === undefined) {
    labels = Object.freeze({ core: String(core) });
    CORE_LABELS[core] = labels;
  }
  return labels;
}

/** A value of the server's, served while the target is up. */
function serverValue(
  name: string,
  help: string,
  read: (snapshot: MonitoringSnapshot) => number | undefined,
): MetricSpec {
  return {
    name,
    help,
    type: 'gauge',
    extraLabels: [],
    read: (view, emit) => {
      const snapshot = view.row.snapshot;
      if (!view.up || snapshot === null) return;
      const value = read(snapshot);
      if (value !== undefined && Number.isFinite(value)) emit(value);
    },
  };
}

export const METRICS: readonly MetricSpec[] = [
  serverValue('monitoring_cpu_usage_ratio', 'CPU usage of the machine, 0 to 1.', (s) =>
    ratio(s.cpu.usagePercent),
  ),
  {
    name: 'monitoring_cpu_core_usage_ratio',
    help: 'Usage of one logical CPU core of the machine, 0 to 1.',
    type: 'gauge',
    extraLabels: ['core'],
    read: (view, emit) => {
      const cores = view.row.snapshot?.cpu.perCoreUsagePercent;
      if (!view.up || cores === undefined) return;
      for (let core = 0; core < cores.length; core++) {
        const value = cores[core];
        if (value !== undefined && Number.isFinite(value)) emit(ratio(value)!, coreLabels(core));
      }
    },
  },
  serverValue(
    'monitoring_cpu_temperature_celsius',
    'CPU temperature of the machine, in degrees Celsius.',
    (s) => s.cpu.temperatureCelsius,
  ),
  serverValue('monitoring_memory_usage_ratio', 'Memory usage of the machine, 0 to 1.', (s) =>
    ratio(s.memory.usagePercent),
  ),
  serverValue(
    'monitoring_memory_used_bytes',
    'Memory used on the machine, in bytes.',
    (s) => s.memory.usedBytes,
  ),
  serverValue(
    'monitoring_memory_total_bytes',
    'Memory of the machine, in bytes.',
    (s) => s.memory.totalBytes,
  ),
  serverValue('monitoring_disk_usage_ratio', 'Usage of the disk the server measures, 0 to 1.', (s) =>
    ratio(s.disk.usagePercent),
  ),
  serverValue('monitoring_disk_used_bytes', 'Space used on the disk, in bytes.', (s) => s.disk.usedBytes),
  serverValue('monitoring_disk_total_bytes', 'Size of the disk, in bytes.', (s) => s.disk.totalBytes),
  serverValue('monitoring_gpu_usage_ratio', 'GPU usage of the machine, 0 to 1.', (s) =>
    ratio(s.gpu?.usagePercent),
  ),
  serverValue(
    'monitoring_gpu_memory_used_bytes',
    'GPU memory used, in bytes.',
    (s) => s.gpu?.memoryUsedBytes,
  ),
  serverValue('monitoring_gpu_memory_total_bytes', 'GPU memory, in bytes.', (s) => s.gpu?.memoryTotalBytes),
  serverValue(
    'monitoring_gpu_temperature_celsius',
    'GPU temperature, in degrees Celsius.',
    (s) => s.gpu?.temperatureCelsius,
  ),
  serverValue('monitoring_gpu_power_watts', 'GPU power draw, in watts.', (s) => s.gpu?.powerDrawWatts),
  {
    name: 'monitoring_target_up',
    help: '1 when the client is connected to the target and its data is fresh, else 0.',
    type: 'gauge',
    extraLabels: [],
    read: (view, emit) => emit(view.up ? 1 : 0),
  },
  {
    name: 'monitoring_target_last_message_timestamp_seconds',
    help: 'When the client received the last valid message of the target (client clock), in seconds since the epoch.',
    type: 'gauge',
    extraLabels: [],
    read: (view, emit) => {
      if (view.row.lastMessageAt !== null) emit(view.row.lastMessageAt / 1000);
    },
  },
  {
    name: 'monitoring_messages_received_total',
    help: 'Frames received from the target, valid or not.',
    type: 'counter',
    extraLabels: [],
    read: (view, emit) => emit(view.row.messages),
  },
  {
    name: 'monitoring_invalid_messages_total',
    help: 'Frames received from the target that were not a valid message.',
    type: 'counter',
    extraLabels: [],
    read: (view, emit) => emit(view.row.invalidMessages),
  },
  {
    name: 'monitoring_reconnects_total',
    help: 'Reconnection attempts to the target.',
    type: 'counter',
    extraLabels: [],
    read: (view, emit) => emit(view.row.reconnects),
  },
  {
    name: 'monitoring_ping_rtt_seconds',
    help: 'Round trip of the last answered WebSocket ping to the target, in seconds (while connected).',
    type: 'gauge',
    extraLabels: [],
    read: (view, emit) => {
      const { rttMs, status } = view.row;
      if (rttMs !== null && (status === 'up' || status === 'stale')) emit(rttMs / 1000);
    },
  },
  {
    name: 'monitoring_alert_firing',
    help: 'Alert rules firing for the target (1 per rule firing).',
    type: 'gauge',
    extraLabels: ['rule', 'metric', 'severity'],
    read: (view, emit) => {
      for (const alert of view.row.firingAlerts) {
        emit(1, { rule: alert.rule, metric: alert.metric, severity: alert.severity });
      }
    },
  },
];
