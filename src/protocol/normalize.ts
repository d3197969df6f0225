/**
 * Turns a `monitoring_data` message of either dialect (see docs/protocol.md), or a mix of both,
 * into one {@link MonitoringSnapshot}. Every value is checked before it is trusted: one
 * that is missing, null, of the wrong type, not finite or out of range stays `undefined`
 * (shown as missing, never as 0) and, unless it is an optional value legitimately left
 * out, adds a {@link DataQualityWarning}. Never throws.
 *
 * Rules, per field:
 * - Both dialects may name the same metric; the real dialect's field is read when it holds
 *   a value (neither absent nor null), else the documented one.
 * - Only the core metrics (CPU, memory and disk usage %) and the timestamp are required:
 *   their absence (or null) is a warning. Optional fields that are absent or null (a GPU
 *   without temperature, `power_draw: null`, no GPU at all) are not. A value that is
 *   present but unusable always is, including a numeric string such as `"45.2"`: the
 *   protocol sends numbers, and a string is a sign of a broken server, not a format.
 * - Percentages must lie in 0..100. Values within {@link PERCENT_TOLERANCE} outside are
 *   float rounding (e.g. `100.00000000001`) and clamped to the bound; anything further is
 *   out of range.
 * - A frequency of `0.0` is psutil's "unknown": `undefined`, without warning.
 * - Strings are sanitized for the terminal and cut to {@link MAX_STRING_LENGTH} (the cut
 *   value is kept, with an `out_of_range` warning); an empty string means "unknown" and
 *   becomes `undefined`. Lists are capped likewise ({@link MAX_CORES}, {@link MAX_ALERTS}).
 *
 * Performance: this runs on every message, so it reads fixed property names, builds each
 * snapshot object with one literal (every key present, so all snapshots share one shape),
 * and allocates path strings only when it records a warning.
 */
import type { ParsedMessage } from './frame.js';
import { sanitizeForTerminal } from './sanitize.js';
import type {
  AlertSnapshot,
  CpuSnapshot,
  DataQualityWarning,
  Dialect,
  DiskSnapshot,
  GpuSnapshot,
  MemorySnapshot,
  MonitoringSnapshot,
  SystemSnapshot,
} from './snapshot.js';

/** Longest string kept from a message; longer ones are cut (a host name is at most 253). */
export const MAX_STRING_LENGTH = 256;
/** Most per-core entries kept: well above the largest machines, far below a hostile array. */
export const MAX_CORES = 4096;
/** Most alerts kept from one message (the real server sends at most one per component). */
export const MAX_ALERTS = 100;
/** Distance outside 0..100 still read as float rounding of a bound, and clamped to it. */
export const PERCENT_TOLERANCE = 1e-6;

/**
 * Documented `*_gb` and `*_mb` amounts are read as binary units (GiB = 1024^3 bytes, MiB =
 * 1024^2). The documentation's example is consistent under either base (8.2 + 4.9 = 13.1
 * GB, and 62.8 % is the server's own figure, not used/total), so the base is chosen for the
 * display: the formatters show amounts in binary units, so `13.1` GB comes back as
 * "13.1 GB" instead of "12.2 GB". Converted amounts are rounded to whole bytes.
 */
const BYTES_PER_GB = 1024 ** 3;
const BYTES_PER_MB = 1024 ** 2;

type Rec = { readonly [key: string]: unknown };
type Reason = DataQualityWarning['reason'];

/** Stands in for an absent section, so that reading its fields needs no branch. */
const EMPTY: Rec = Object.freeze({});

// How a number is checked; plain constants rather than an enum, for a cheap switch.
const PERCENT = 0;
/** Bytes, watts, epoch seconds: >= 0. */
const NON_NEGATIVE = 1;
/** 0 means unknown. */
const MEGAHERTZ = 2;
const CELSIUS = 3;
/** An integer >= 1 (cores). */
const POSITIVE_INTEGER = 4;
/** An integer >= 0 (processes). */
const NON_NEGATIVE_INTEGER = 5;
/** Any finite number (an alert's value or threshold). */
const FINITE = 6;
type Kind = 0 | 1 | 2 | 3 | 4 | 5 | 6;

// Below absolute zero, or hotter than any working hardware: a broken sensor.
const MIN_CELSIUS = -273.15;
const MAX_CELSIUS = 1000;

const NO = 0;
const REAL = 1;
const DOCUMENTED = 2;
/** Which dialect a field name belongs to; shared names count for neither. */
type Mark = 0 | 1 | 2;

function isRecord(value: unknown): value is Rec {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads one message: collects its warnings and which dialects' field names it used. */
class Reader {
  readonly warnings: DataQualityWarning[] = [];
  real = false;
  documented = false;
  /** Missing required metrics named in both dialects, renamed once the dialect is known. */
  unnamed: { warning: DataQualityWarning; documentedField: string }[] | undefined;

  warn(base: string, key: string | number, reason: Reason): DataQualityWarning {
    const warning: DataQualityWarning = { field: base + key, reason };
    this.warnings.push(warning);
    return warning;
  }

  mark(value: unknown, mark: Mark): void {
    if (value === undefined || mark === NO) return;
    if (mark === REAL) this.real = true;
    else this.documented = true;
  }

  /**
   * An object-valued field (`data`, `data.memory`, ...), or {@link EMPTY} when it has none.
   * `base` is the field's path without the trailing dot.
   */
  section(value: unknown, base: string, required: boolean, mark: Mark): Rec {
    this.mark(value, mark);
    if (isRecord(value)) return value;
    if (value === undefined) {
      if (required) this.warn(base, '', 'missing');
    } else if (value === null) {
      if (required) this.warn(base, '', 'null');
    } else {
      this.warn(base, '', 'wrong_type');
    }
    return EMPTY;
  }

  /** A number checked as `kind`, multiplied by `factor` (a unit conversion) once valid. */
  num(
    value: unknown,
    base: string,
    key: string | number,
    kind: Kind,
    required: boolean,
    factor: number,
    mark: Mark,
  ): number | undefined {
    if (typeof value !== 'number') {
      this.mark(value, mark);
      this.unusable(value, base, key, required);
      return undefined;
    }
    this.mark(value, mark);
    if (!Number.isFinite(value)) {
      this.warn(base, key, 'not_finite');
      return undefined;
    }
    let v = value;
    switch (kind) {
      case PERCENT:
        if (v < 0) {
          if (v < -PERCENT_TOLERANCE) return this.outOfRange(base, key);
          v = 0;
        } else if (v > 100) {
          if (v > 100 + PERCENT_TOLERANCE) return this.outOfRange(base, key);
          v = 100;
        }
        break;
      case NON_NEGATIVE:
        if (v < 0) return this.outOfRange(base, key);
        break;
      case MEGAHERTZ:
        if (v === 0) return undefined;
        if (v < 0) return this.outOfRange(base, key);
        break;
      case CELSIUS:
        if (v < MIN_CELSIUS || v > MAX_CELSIUS) return this.outOfRange(base, key);
        break;
      case POSITIVE_INTEGER:
      case NON_NEGATIVE_INTEGER:
        if (!Number.isInteger(v)) {
          this.warn(base, key, 'wrong_type');
          return undefined;
        }
        if (v < (kind === POSITIVE_INTEGER ? 1 : 0)) return this.outOfRange(base, key);
        break;
    }
    if (factor !== 1) {
      v = Math.round(v * factor);
      if (!Number.isFinite(v)) return this.outOfRange(base, key);
    }
    // -0 becomes 0, so that a snapshot never holds a negative zero.
    return v === 0 ? 0 : v;
  }

  outOfRange(base: string, key: string | number): undefined {
    this.warn(base, key, 'out_of_range');
    return undefined;
  }

  /**
   * One metric named differently by the two dialects: the real field when it holds a
   * value, else the documented one (converted by `documentedFactor`).
   */
  pair(
    realValue: unknown,
    documentedValue: unknown,
    base: string,
    realKey: string,
    documentedKey: string,
    kind: Kind,
    documentedFactor: number,
    required: boolean,
  ): number | undefined {
    this.mark(realValue, REAL);
    this.mark(documentedValue, DOCUMENTED);
    if (realValue !== undefined && realValue !== null) {
      return this.num(realValue, base, realKey, kind, false, 1, NO);
    }
    if (documentedValue !== undefined && documentedValue !== null) {
      return this.num(documentedValue, base, documentedKey, kind, false, documentedFactor, NO);
    }
    if (!required) return undefined;
    if (realValue === null) this.warn(base, realKey, 'null');
    else if (documentedValue === null) this.warn(base, documentedKey, 'null');
    else {
      // Neither name is in the message: name the one of its dialect, known only at the end.
      const warning = this.warn(base, realKey, 'missing');
      this.unnamed ??= [];
      this.unnamed.push({ warning, documentedField: base + documentedKey });
    }
    return undefined;
  }

  /** A string, truncated and made safe for a terminal; `''` becomes `undefined`. */
  text(
    value: unknown,
    base: string,
    key: string | number,
    required: boolean,
    mark: Mark,
  ): string | undefined {
    this.mark(value, mark);
    if (typeof value === 'string') {
      let s = value;
      if (s.length > MAX_STRING_LENGTH) {
        s = truncate(s);
        this.warn(base, key, 'out_of_range');
      }
      s = sanitizeForTerminal(s);
      if (s !== '') return s;
      if (required) this.warn(base, key, 'missing');
      return undefined;
    }
    this.unusable(value, base, key, required);
    return undefined;
  }

  /** Warns about a value of the wrong type; an absent or null one only when it is required. */
  unusable(value: unknown, base: string, key: string | number, required: boolean): void {
    if (value === undefined) {
      if (required) this.warn(base, key, 'missing');
    } else if (value === null) {
      if (required) this.warn(base, key, 'null');
    } else {
      this.warn(base, key, 'wrong_type');
    }
  }

  dialect(): Dialect {
    if (this.real) return this.documented ? 'mixed' : 'real';
    return this.documented ? 'documented' : 'unknown';
  }
}

/**
 * The first {@link MAX_STRING_LENGTH} characters of `s`, without splitting a surrogate
 * pair, as a fresh string: V8 slices keep their whole parent alive, and a snapshot kept in
 * history must not hold on to a huge string.
 */
function truncate(s: string): string {
  let end = MAX_STRING_LENGTH;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return Buffer.from(s.slice(0, end), 'utf16le').toString('utf16le');
}

function readCpu(r: Reader, p: Rec, present: boolean): CpuSnapshot {
  const base = 'data.processor.';
  return {
    usagePercent: r.num(p.usage_percent, base, 'usage_percent', PERCENT, present, 1, NO),
    physicalCores: r.num(p.core_count, base, 'core_count', POSITIVE_INTEGER, false, 1, REAL),
    logicalCores: r.num(p.logical_count, base, 'logical_count', POSITIVE_INTEGER, false, 1, REAL),
    frequencyCurrentMhz: r.pair(
      p.frequency_current,
      p.frequency_mhz,
      base,
      'frequency_current',
      'frequency_mhz',
      MEGAHERTZ,
      1,
      false,
    ),
    frequencyMaxMhz: r.num(p.frequency_max, base, 'frequency_max', MEGAHERTZ, false, 1, REAL),
    perCoreUsagePercent: readPerCore(r, p.per_core_usage),
    temperatureCelsius: r.num(p.temperature, base, 'temperature', CELSIUS, false, 1, DOCUMENTED),
  };
}

/**
 * The optional list `value`, at most its first `max` entries (`out_of_range` beyond):
 * undefined when it is absent or null (no warning) or not a list (`wrong_type`).
 */
function boundedList(r: Reader, value: unknown, field: string, max: number): readonly unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    r.warn(field, '', 'wrong_type');
    return undefined;
  }
  if (value.length <= max) return value;
  r.warn(field, '', 'out_of_range');
  return value.slice(0, max);
}

function readPerCore(r: Reader, value: unknown): (number | undefined)[] | undefined {
  r.mark(value, REAL);
  const list = boundedList(r, value, 'data.processor.per_core_usage', MAX_CORES);
  if (list === undefined) return undefined;
  const cores: (number | undefined)[] = [];
  for (let i = 0; i < list.length; i++) {
    cores.push(r.num(list[i], 'data.processor.per_core_usage.', i, PERCENT, true, 1, NO));
  }
  return cores;
}

function readMemory(r: Reader, m: Rec, present: boolean): MemorySnapshot {
  const base = 'data.memory.';
  return {
    usagePercent: r.pair(
      m.percentage,
      m.usage_percent,
      base,
      'percentage',
      'usage_percent',
      PERCENT,
      1,
      present,
    ),
    totalBytes: r.pair(m.total, m.total_gb, base, 'total', 'total_gb', NON_NEGATIVE, BYTES_PER_GB, false),
    usedBytes: r.pair(m.used, m.used_gb, base, 'used', 'used_gb', NON_NEGATIVE, BYTES_PER_GB, false),
    availableBytes: r.pair(
      m.available,
      m.available_gb,
      base,
      'available',
      'available_gb',
      NON_NEGATIVE,
      BYTES_PER_GB,
      false,
    ),
  };
}

function readDisk(r: Reader, d: Rec, present: boolean): DiskSnapshot {
  const base = 'data.disk.';
  return {
    usagePercent: r.pair(
      d.percentage,
      d.usage_percent,
      base,
      'percentage',
      'usage_percent',
      PERCENT,
      1,
      present,
    ),
    totalBytes: r.pair(d.total, d.total_gb, base, 'total', 'total_gb', NON_NEGATIVE, BYTES_PER_GB, false),
    usedBytes: r.pair(d.used, d.used_gb, base, 'used', 'used_gb', NON_NEGATIVE, BYTES_PER_GB, false),
    freeBytes: r.pair(d.free, d.free_gb, base, 'free', 'free_gb', NON_NEGATIVE, BYTES_PER_GB, false),
    path: r.text(d.path, base, 'path', false, REAL),
  };
}

function readGpu(r: Reader, g: Rec): GpuSnapshot {
  const base = 'data.gpu.';
  return {
    usagePercent: r.pair(
      g.gpu_usage_percent,
      g.usage_percent,
      base,
      'gpu_usage_percent',
      'usage_percent',
      PERCENT,
      1,
      false,
    ),
    memoryPercent: r.pair(
      g.memory_percentage,
      g.memory_percent,
      base,
      'memory_percentage',
      'memory_percent',
      PERCENT,
      1,
      false,
    ),
    memoryTotalBytes: r.pair(
      g.memory_total,
      g.memory_total_mb,
      base,
      'memory_total',
      'memory_total_mb',
      NON_NEGATIVE,
      BYTES_PER_MB,
      false,
    ),
    memoryUsedBytes: r.pair(
      g.memory_used,
      g.memory_used_mb,
      base,
      'memory_used',
      'memory_used_mb',
      NON_NEGATIVE,
      BYTES_PER_MB,
      false,
    ),
    memoryFreeBytes: r.num(g.memory_free, base, 'memory_free', NON_NEGATIVE, false, 1, REAL),
    temperatureCelsius: r.num(g.temperature, base, 'temperature', CELSIUS, false, 1, NO),
    name: r.text(g.name, base, 'name', false, REAL),
    driverVersion: r.text(g.driver_version, base, 'driver_version', false, REAL),
    powerDrawWatts: r.num(g.power_draw, base, 'power_draw', NON_NEGATIVE, false, 1, REAL),
    powerLimitWatts: r.num(g.power_limit, base, 'power_limit', NON_NEGATIVE, false, 1, REAL),
  };
}

function readSystem(r: Reader, s: Rec): SystemSnapshot {
  const base = 'data.system.';
  const bootTime = s.boot_time;
  return {
    osName: r.text(s.os_name, base, 'os_name', false, NO),
    osVersion: r.text(s.os_version, base, 'os_version', false, NO),
    osRelease: r.text(s.os_release, base, 'os_release', false, NO),
    architecture: r.text(s.architecture, base, 'architecture', false, NO),
    platform: r.text(s.platform, base, 'platform', false, NO),
    machine: r.text(s.machine, base, 'machine', false, NO),
    processor: r.text(s.processor, base, 'processor', false, NO),
    pythonVersion: r.text(s.python_version, base, 'python_version', false, NO),
    hostname: r.text(s.hostname, base, 'hostname', false, NO),
    processes: r.num(s.processes, base, 'processes', NON_NEGATIVE_INTEGER, false, 1, NO),
    bootTime:
      typeof bootTime === 'number'
        ? r.num(bootTime, base, 'boot_time', NON_NEGATIVE, false, 1, NO)
        : r.text(bootTime, base, 'boot_time', false, NO),
  };
}

function readAlerts(r: Reader, value: unknown): AlertSnapshot[] {
  const alerts: AlertSnapshot[] = [];
  r.mark(value, REAL);
  // `null` says "no alerts" as well as an absent field does.
  const list = boundedList(r, value, 'alerts', MAX_ALERTS);
  if (list === undefined) return alerts;
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    if (!isRecord(entry)) {
      r.warn('alerts.', i, entry === null ? 'null' : entry === undefined ? 'missing' : 'wrong_type');
      continue;
    }
    const base = `alerts.${i}.`;
    alerts.push({
      timestamp: r.text(entry.timestamp, base, 'timestamp', false, NO),
      component: r.text(entry.component, base, 'component', false, NO),
      metric: r.text(entry.metric, base, 'metric', false, NO),
      value: r.num(entry.value, base, 'value', FINITE, false, 1, NO),
      threshold: r.num(entry.threshold, base, 'threshold', FINITE, false, 1, NO),
      level: r.text(entry.level, base, 'level', false, NO),
      message: r.text(entry.message, base, 'message', false, NO),
    });
  }
  return alerts;
}

/** True when `message` says it is a `monitoring_data` message (its content is not checked). */
export function isMonitoringData(message: unknown): message is ParsedMessage & { type: 'monitoring_data' } {
  return isRecord(message) && message.type === 'monitoring_data';
}

/**
 * The snapshot of a `monitoring_data` message of either dialect. `receivedAt` is the time
 * of receipt (ms since the epoch); `source` labels the server it came from. The message's
 * `type` is not checked. Never throws, whatever `message` holds.
 */
export function normalizeMonitoringData(
  message: ParsedMessage,
  receivedAt: number,
  source?: string,
): MonitoringSnapshot {
  const r = new Reader();
  try {
    return read(r, isRecord(message) ? message : EMPTY, receivedAt, source);
  } catch {
    // Unreachable with parsed JSON; an exotic object (a throwing getter, a revoked proxy)
    // from a library user still gets a snapshot rather than an exception.
    const snapshot = read(new Reader(), EMPTY, receivedAt, source);
    snapshot.warnings = [{ field: 'data', reason: 'wrong_type' }];
    return snapshot;
  }
}

function read(r: Reader, message: Rec, receivedAt: number, source: string | undefined): MonitoringSnapshot {
  const timestamp = r.text(message.timestamp, 'timestamp', '', true, NO);
  const data = r.section(message.data, 'data', true, NO);
  const dataPresent = data !== EMPTY;
  const processor = r.section(data.processor, 'data.processor', dataPresent, NO);
  const cpu = readCpu(r, processor, processor !== EMPTY);
  const memorySection = r.section(data.memory, 'data.memory', dataPresent, NO);
  const memory = readMemory(r, memorySection, memorySection !== EMPTY);
  const diskSection = r.section(data.disk, 'data.disk', dataPresent, NO);
  const disk = readDisk(r, diskSection, diskSection !== EMPTY);
  const gpuSection = r.section(data.gpu, 'data.gpu', false, NO);
  const gpu = gpuSection === EMPTY ? undefined : readGpu(r, gpuSection);
  const systemSection = r.section(data.system, 'data.system', false, REAL);
  const system = systemSection === EMPTY ? undefined : readSystem(r, systemSection);
  const alerts = readAlerts(r, message.alerts);

  const dialect = r.dialect();
  if (dialect === 'documented' && r.unnamed !== undefined) {
    for (const { warning, documentedField } of r.unnamed) warning.field = documentedField;
  }
  return {
    source,
    timestamp,
    receivedAt,
    dialect,
    hostname: system?.hostname,
    cpu,
    memory,
    disk,
    gpu,
    system,
    alerts,
    warnings: r.warnings,
  };
}
