/**
 * Where the server's numbers come from: the {@link MetricsSource} interface, and the system
 * implementation that measures the machine it runs on with the same definitions as psutil
 * (which the Python server uses), so both servers report the same numbers for one machine.
 *
 * Nothing here blocks the event loop: files are read with `fs.promises`, the disk with
 * `statfs`, the GPU with an `execFile` that has a timeout; `os.cpus()` is a fast system call.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { RealDisk, RealGpu, RealMemory, RealMonitoringData, RealSystem } from '../protocol/messages.js';
import { formatLocalTimestamp } from './timestamp.js';

/** Anything that measures a machine, such as {@link SystemMetricsSource} or a fixed source in tests. */
export interface MetricsSource {
  /**
   * One measurement, in the real dialect's fields and units. May reject: the server logs
   * the error and sends nothing for that interval.
   */
  collect(): Promise<RealMonitoringData>;
  /**
   * Optional. Starts a new window for rates such as CPU usage. The server calls it when it
   * resumes collecting after a pause (no client was connected), so the next `collect()`
   * reports usage over the last interval rather than since the previous client left.
   */
  resetBaseline?(): void;
}

export interface SystemMetricsSourceOptions {
  /** A path on the file system whose disk usage is reported, usually a mount point. Default `'/'`. */
  diskPath?: string;
  /**
   * Where procfs is mounted (Linux: memory, process count, CPU frequency, boot time). Default
   * `'/proc'`. Where it cannot be read, `os` gives the fallbacks and `processes` is left out.
   */
  procPath?: string;
  /** Where sysfs is mounted (Linux: physical core count, maximum CPU frequency). Default `'/sys'`. */
  sysPath?: string;
  /**
   * The `nvidia-smi` command (name or path) for GPU metrics, or `false` for no GPU metrics.
   * Default `'nvidia-smi'`. When it is not installed it is looked for once, never again.
   */
  nvidiaSmi?: string | false;
  /** Seconds `nvidia-smi` may run before it is killed and the GPU left out of that measurement. Default 2. */
  gpuTimeout?: number;
  /** Where the source reports a GPU that disappears or fails. Default: silent. */
  logger?: Logger;
}

/** Seconds allowed to one `nvidia-smi` query by default. */
export const DEFAULT_GPU_TIMEOUT = 2;
/** Consecutive failed `nvidia-smi` queries after which the source stops asking. */
const GPU_MAX_FAILURES = 3;
const MIB = 1024 * 1024;

/** The arguments of the one `nvidia-smi` query: one CSV line per GPU, MiB, %, °C, W. */
export const NVIDIA_SMI_ARGS: readonly string[] = Object.freeze([
  '--query-gpu=name,driver_version,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu,power.draw,power.limit',
  '--format=csv,noheader,nounits',
]);

/** Rounds as psutil reports percentages: one decimal. */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, value));
}

// ---- CPU ----------------------------------------------------------------------------------

/** Cumulated CPU times in ms, as `os.cpus()[n].times` gives them. */
export type CpuTimes = os.CpuInfo['times'];

function sumTimes(times: CpuTimes): number {
  return times.user + times.nice + times.sys + times.idle + times.irq;
}

/**
 * Busy share of the time between two samples, in %, one decimal, within 0..100; 0 when no
 * time passed. (`os.cpus()` has no iowait nor steal: that time counts neither as busy nor
 * as idle, where psutil counts iowait as idle.)
 */
export function cpuUsagePercent(previous: CpuTimes, current: CpuTimes): number {
  const total = sumTimes(current) - sumTimes(previous);
  if (!(total > 0)) return 0;
  const idle = current.idle - previous.idle;
  return round1(clampPercent(((total - idle) / total) * 100));
}

function addTimes(all: readonly CpuTimes[]): CpuTimes {
  const sum: CpuTimes = { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 };
  for (const t of all) {
    sum.user += t.user;
    sum.nice += t.nice;
    sum.sys += t.sys;
    sum.idle += t.idle;
    sum.irq += t.irq;
  }
  return sum;
}

/**
 * Usage over all cores and per logical core between two samples of `os.cpus()` times.
 * When the number of cores changed (hot-plug), there is no common window: all zero.
 */
export function cpuUsage(
  previous: readonly CpuTimes[],
  current: readonly CpuTimes[],
): { usagePercent: number; perCore: number[] } {
  if (previous.length !== current.length) {
    return { usagePercent: 0, perCore: current.map(() => 0) };
  }
  return {
    usagePercent: cpuUsagePercent(addTimes(previous), addTimes(current)),
    perCore: current.map((times, i) => cpuUsagePercent(previous[i] ?? times, times)),
  };
}

/** Mean of the `cpu MHz` lines of /proc/cpuinfo, 3 decimals; undefined when there are none. */
export function cpuinfoMeanMhz(cpuinfo: string): number | undefined {
  const values = [...cpuinfo.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length === 0) return undefined;
  return Math.round((finite.reduce((a, b) => a + b, 0) / finite.length) * 1000) / 1000;
}

/** Distinct (physical id, core id) pairs of /proc/cpuinfo; 0 when it does not list them. */
export function cpuinfoPhysicalCores(cpuinfo: string): number {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
  }
  return cores.size;
}

// ---- memory -------------------------------------------------------------------------------

/** The fields of /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([\w()]+):\s+(\d+)(\s*kB)?\s*$/.exec(line);
    if (match?.[1] !== undefined) fields.set(match[1], Number(match[2]) * (match[3] ? 1024 : 1));
  }
  return fields;
}

/**
 * Memory as psutil computes it on Linux: `used` = total - free - buffers - cached (cached
 * includes reclaimable slab), `percentage` = (total - available) / total. Undefined when
 * MemTotal or MemFree is missing.
 */
export function memoryFromMeminfo(fields: ReadonlyMap<string, number>): RealMemory | undefined {
  const total = fields.get('MemTotal');
  const free = fields.get('MemFree');
  if (total === undefined || free === undefined || total <= 0) return undefined;
  const buffers = fields.get('Buffers') ?? 0;
  const cached = (fields.get('Cached') ?? 0) + (fields.get('SReclaimable') ?? 0);
  // Kernels before 3.14 have no MemAvailable: estimate it from what could be reclaimed.
  const available = Math.min(total, Math.max(0, fields.get('MemAvailable') ?? free + buffers + cached));
  let used = total - free - buffers - cached;
  if (used < 0) used = total - free;
  return { total, available, used, percentage: round1(((total - available) / total) * 100) };
}

/** Memory from `os` where /proc/meminfo is not readable: no cache figures, so used = total - free. */
export function memoryFromOs(total = os.totalmem(), free = os.freemem()): RealMemory {
  const available = Math.min(total, free);
  return {
    total,
    available,
    used: total - available,
    percentage: total > 0 ? round1(((total - available) / total) * 100) : 0,
  };
}

// ---- disk ---------------------------------------------------------------------------------

/** The `fs.statfs` fields the disk figures come from. */
export interface StatfsBlocks {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/**
 * Disk usage as psutil computes it: `free` is what an unprivileged user may still write
 * (bavail), `used` excludes the blocks reserved for root, and `percentage` =
 * used / (used + free), so total ≠ used + free on file systems with a reserve.
 */
export function diskFromStatfs(stats: StatfsBlocks, diskPath: string): RealDisk {
  const total = stats.blocks * stats.bsize;
  const free = stats.bavail * stats.bsize;
  const used = (stats.blocks - stats.bfree) * stats.bsize;
  const percentage = used + free > 0 ? round1((used / (used + free)) * 100) : 0;
  return { total, used, free, percentage, path: diskPath };
}

// ---- GPU ----------------------------------------------------------------------------------

function nvidiaNumber(field: string | undefined): number | undefined {
  // nvidia-smi writes "[N/A]" or "[Not Supported]" for what a board does not report.
  if (field === undefined || !/^-?\d+(\.\d+)?$/.test(field)) return undefined;
  return Number(field);
}

/**
 * The first GPU of `nvidia-smi` output for {@link NVIDIA_SMI_ARGS}, in the real dialect's
 * units (bytes, %, °C, W); undefined when the output has no usable line. Temperature and
 * power are null when the board does not report them, as the Python server sends them.
 */
export function parseNvidiaSmi(stdout: string): RealGpu | undefined {
  const line = stdout.split(/\r?\n/).find((l) => l.trim() !== '');
  if (line === undefined) return undefined;
  const fields = line.split(',').map((f) => f.trim());
  if (fields.length < 9) return undefined;
  const [name, driver, memTotal, memUsed, memFree, usage, temperature, powerDraw, powerLimit] = fields;
  const gpu: RealGpu = {};
  if (name) gpu.name = name;
  if (driver) gpu.driver_version = driver;
  const total = nvidiaNumber(memTotal);
  const used = nvidiaNumber(memUsed);
  const free = nvidiaNumber(memFree);
  if (total !== undefined) gpu.memory_total = total * MIB;
  if (used !== undefined) gpu.memory_used = used * MIB;
  if (free !== undefined) gpu.memory_free = free * MIB;
  if (total !== undefined && used !== undefined && total > 0) gpu.memory_percentage = (used / total) * 100;
  const usagePercent = nvidiaNumber(usage);
  if (usagePercent !== undefined) gpu.gpu_usage_percent = usagePercent;
  gpu.temperature = nvidiaNumber(temperature) ?? null;
  gpu.power_draw = nvidiaNumber(powerDraw) ?? null;
  gpu.power_limit = nvidiaNumber(powerLimit) ?? null;
  return gpu.name === undefined && total === undefined ? undefined : gpu;
}

// ---- the system source --------------------------------------------------------------------

/** What does not change while the process runs, read once. */
interface StaticInfo {
  coreCount: number;
  frequencyMax: number;
  bootTime: string;
  system: Omit<RealSystem, 'hostname' | 'processes' | 'boot_time'>;
}

const OS_NAMES: Record<string, string> = { Windows_NT: 'Windows' };

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The C library of the runtime, as Python's platform string ends (`-with-glibc2.36`); '' elsewhere. */
function libcSuffix(): string {
  try {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: unknown } } | undefined;
    const glibc = report?.header?.glibcVersionRuntime;
    return typeof glibc === 'string' && glibc !== '' ? `-with-glibc${glibc}` : '';
  } catch {
    return '';
  }
}

/** Measures this machine; see the module comment. One instance keeps the CPU baseline between calls. */
export class SystemMetricsSource implements MetricsSource {
  readonly #diskPath: string;
  readonly #procPath: string;
  readonly #sysPath: string;
  readonly #nvidiaSmi: string | false;
  readonly #gpuTimeoutMs: number;
  readonly #logger: Logger;
  #cpuBaseline: CpuTimes[];
  #static: Promise<StaticInfo> | undefined;
  #gpuAbsent = false;
  #gpuFailures = 0;
  #gpuQuery: Promise<RealGpu | undefined> | undefined;

  /** @throws InvalidOptionError for an option of the wrong type or out of range. */
  constructor(options: SystemMetricsSourceOptions = {}) {
    const { diskPath = '/', procPath = '/proc', sysPath = '/sys', nvidiaSmi = 'nvidia-smi' } = options;
    const gpuTimeout = options.gpuTimeout ?? DEFAULT_GPU_TIMEOUT;
    for (const [name, value] of [
      ['diskPath', diskPath],
      ['procPath', procPath],
      ['sysPath', sysPath],
    ] as const) {
      if (typeof value !== 'string' || value === '')
        throw new InvalidOptionError(name, value, 'a non-empty path');
    }
    if (nvidiaSmi !== false && (typeof nvidiaSmi !== 'string' || nvidiaSmi === '')) {
      throw new InvalidOptionError('nvidiaSmi', nvidiaSmi, 'a command name or path, or false');
    }
    if (typeof gpuTimeout !== 'number' || !(gpuTimeout > 0) || gpuTimeout > 600) {
      throw new InvalidOptionError('gpuTimeout', gpuTimeout, 'a number of seconds above 0, at most 600');
    }
    this.#diskPath = diskPath;
    this.#procPath = procPath;
    this.#sysPath = sysPath;
    this.#nvidiaSmi = nvidiaSmi;
    this.#gpuTimeoutMs = gpuTimeout * 1000;
    this.#logger = options.logger ?? silentLogger;
    // The first collect() then reports usage since construction, not since boot.
    this.#cpuBaseline = os.cpus().map((c) => c.times);
  }

  resetBaseline(): void {
    this.#cpuBaseline = os.cpus().map((c) => c.times);
  }

  async collect(): Promise<RealMonitoringData> {
    const cpus = os.cpus();
    const times = cpus.map((c) => c.times);
    const { usagePercent, perCore } = cpuUsage(this.#cpuBaseline, times);
    this.#cpuBaseline = times;
    this.#static ??= this.#readStatic();
    const [info, memory, disk, processes, frequency, gpu] = await Promise.all([
      this.#static,
      this.#memory(),
      // The disk is the one figure without a fallback: a failing statfs rejects the collection.
      fs.statfs(this.#diskPath).then((stats) => diskFromStatfs(stats, this.#diskPath)),
      this.#processCount(),
      this.#frequencyCurrent(cpus),
      this.#gpu(),
    ]);
    const data: RealMonitoringData = {
      memory,
      processor: {
        usage_percent: usagePercent,
        core_count: info.coreCount,
        logical_count: cpus.length,
        frequency_current: frequency,
        frequency_max: info.frequencyMax,
        per_core_usage: perCore,
      },
      disk,
      system: { ...info.system, hostname: os.hostname() },
    };
    if (data.system) {
      if (processes !== undefined) data.system.processes = processes;
      data.system.boot_time = info.bootTime;
    }
    if (gpu) data.gpu = gpu;
    return data;
  }

  async #memory(): Promise<RealMemory> {
    const text = await readText(path.join(this.#procPath, 'meminfo'));
    return (text !== undefined ? memoryFromMeminfo(parseMeminfo(text)) : undefined) ?? memoryFromOs();
  }

  async #processCount(): Promise<number | undefined> {
    try {
      const entries = await fs.readdir(this.#procPath);
      const count = entries.filter((e) => /^\d+$/.test(e)).length;
      return count > 0 ? count : undefined;
    } catch {
      return undefined;
    }
  }

  async #frequencyCurrent(cpus: readonly os.CpuInfo[]): Promise<number> {
    // libuv reads sysfs cpufreq; virtual machines often have none, and then only
    // /proc/cpuinfo knows the frequency (as psutil falls back to it).
    const speeds = cpus.map((c) => c.speed).filter((s) => s > 0);
    if (speeds.length > 0)
      return Math.round((speeds.reduce((a, b) => a + b, 0) / speeds.length) * 1000) / 1000;
    const cpuinfo = await readText(path.join(this.#procPath, 'cpuinfo'));
    return (cpuinfo !== undefined ? cpuinfoMeanMhz(cpuinfo) : undefined) ?? 0;
  }

  async #readStatic(): Promise<StaticInfo> {
    const cpuDir = path.join(this.#sysPath, 'devices', 'system', 'cpu');
    const logical = os.cpus().length || os.availableParallelism();
    const [coreCount, maxKhz, procStat] = await Promise.all([
      this.#physicalCores(cpuDir),
      readText(path.join(cpuDir, 'cpu0', 'cpufreq', 'scaling_max_freq')),
      readText(path.join(this.#procPath, 'stat')),
    ]);
    const btime = procStat !== undefined ? Number(/^btime\s+(\d+)/m.exec(procStat)?.[1]) : Number.NaN;
    const bootSeconds = Number.isFinite(btime) ? btime : Math.round(Date.now() / 1000 - os.uptime());
    const maxMhz = maxKhz !== undefined ? Number(maxKhz.trim()) / 1000 : Number.NaN;
    const osName = OS_NAMES[os.type()] ?? os.type();
    const machine = os.machine();
    return {
      coreCount: coreCount || logical,
      frequencyMax: Number.isFinite(maxMhz) && maxMhz > 0 ? maxMhz : 0,
      bootTime: formatLocalTimestamp(bootSeconds * 1000),
      system: {
        os_name: osName,
        os_version: os.version(),
        os_release: os.release(),
        architecture: machine,
        platform: `${osName}-${os.release()}-${machine}${libcSuffix()}`,
        machine,
        // Python's platform.processor() is often empty on Linux; the CPU model says more.
        processor: os.cpus()[0]?.model.trim() ?? '',
      },
    };
  }

  /** Physical cores as psutil counts them: distinct core sibling lists in sysfs, else /proc/cpuinfo. */
  async #physicalCores(cpuDir: string): Promise<number> {
    try {
      const cpus = (await fs.readdir(cpuDir)).filter((e) => /^cpu\d+$/.test(e));
      const lists = await Promise.all(
        cpus.map(
          async (cpu) =>
            (await readText(path.join(cpuDir, cpu, 'topology', 'core_cpus_list'))) ??
            (await readText(path.join(cpuDir, cpu, 'topology', 'thread_siblings_list'))),
        ),
      );
      const distinct = new Set(lists.filter((l) => l !== undefined).map((l) => l.trim()));
      if (distinct.size > 0) return distinct.size;
    } catch {
      // No sysfs: try /proc/cpuinfo.
    }
    const cpuinfo = await readText(path.join(this.#procPath, 'cpuinfo'));
    return cpuinfo !== undefined ? cpuinfoPhysicalCores(cpuinfo) : 0;
  }

  #gpu(): Promise<RealGpu | undefined> {
    if (this.#nvidiaSmi === false || this.#gpuAbsent) return Promise.resolve(undefined);
    // Concurrent collections share one query instead of spawning twice.
    this.#gpuQuery ??= this.#queryGpu(this.#nvidiaSmi).finally(() => {
      this.#gpuQuery = undefined;
    });
    return this.#gpuQuery;
  }

  #queryGpu(command: string): Promise<RealGpu | undefined> {
    return new Promise((resolve) => {
      execFile(
        command,
        NVIDIA_SMI_ARGS,
        { timeout: this.#gpuTimeoutMs, maxBuffer: 64 * 1024, windowsHide: true },
        (error, stdout) => {
          const gpu = error ? undefined : parseNvidiaSmi(String(stdout));
          if (gpu) {
            this.#gpuFailures = 0;
            resolve(gpu);
            return;
          }
          const code = (error as NodeJS.ErrnoException | null)?.code;
          if (code === 'ENOENT' || code === 'EACCES') {
            // Not installed: a machine does not grow an NVIDIA driver while we run.
            this.#gpuAbsent = true;
            this.#logger.debug(`no GPU metrics: ${command} is not installed (${code})`);
          } else if (++this.#gpuFailures >= GPU_MAX_FAILURES) {
            this.#gpuAbsent = true;
            this.#logger.warn(
              `no GPU metrics: ${command} failed ${GPU_MAX_FAILURES} times in a row (${error?.message ?? 'no GPU in its output'}); not asking again`,
            );
          } else {
            this.#logger.debug(
              `GPU left out: ${command} failed (${error?.message ?? 'no GPU in its output'})`,
            );
          }
          resolve(undefined);
        },
      );
    });
  }
}
