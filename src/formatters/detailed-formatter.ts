/**
 * The `detailed` format: a block per message, as in the documentation, with a section per
 * component and everything the server sends beyond the documentation:
 *
 *     === Monitoring System - 14:30:25 ===
 *     Host: vm · Linux 6.18.44 (x86_64)
 *     🖥️  Processor:
 *         Usage: 45.2% [█████████▒▒▒▒▒▒▒▒▒▒▒] (Normal)
 *         Cores: 2 physical, 2 logical
 *
 *     💾 Memory:
 *         Usage: 62.8% [█████████████▒▒▒▒▒▒▒] (8.2/13.1 GB) (Normal)
 *         Available: 4.9 GB
 *
 * Sections are separated by one empty line; a line whose every value is missing is left
 * out, but a usage line is always there (`Usage: n/a`).
 */

import type { ParsedMessage } from '../protocol/frame.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import type { AlertSnapshot, CpuSnapshot, GpuSnapshot, MonitoringSnapshot } from '../protocol/snapshot.js';
import {
  BaseFormatter,
  formatBytePair,
  formatBytes,
  formatPercent,
  MISSING,
  progressBar,
  usageStatus,
} from './base-formatter.js';

const INDENT = '    ';

function count(value: number | undefined): string {
  return value === undefined ? MISSING : String(value);
}

function megahertz(value: number | undefined): string {
  return value === undefined ? MISSING : `${Math.round(value)} MHz`;
}

function celsius(value: number | undefined): string {
  return value === undefined ? MISSING : `${value.toFixed(1)}°C`;
}

function watts(value: number | undefined): string {
  return value === undefined ? MISSING : `${value.toFixed(1)} W`;
}

export class DetailedFormatter extends BaseFormatter {
  override readonly recordsShowAlerts = true;

  /** Several lines, without a trailing newline; the server's alerts close the block. */
  formatMonitoringData(snapshot: MonitoringSnapshot, _message?: ParsedMessage): string {
    let out = `${this.sourcePrefix(snapshot.source)}${this.palette.bold(`=== Monitoring System - ${this.timeOf(snapshot)} ===`)}`;
    const host = this.hostLine(snapshot);
    if (host !== undefined) out += `\n${host}`;
    out += `\n${this.processorSection(snapshot.cpu)}`;

    const memory = snapshot.memory;
    out += `\n\n${this.palette.bold('💾 Memory:')}`;
    out += `\n${this.usageLine('Usage', memory.usagePercent, formatBytePair(memory.usedBytes, memory.totalBytes))}`;
    if (memory.availableBytes !== undefined)
      out += `\n${INDENT}Available: ${formatBytes(memory.availableBytes)}`;

    const disk = snapshot.disk;
    out += `\n\n${this.palette.bold('💿 Disk:')}`;
    out += `\n${this.usageLine('Usage', disk.usagePercent, formatBytePair(disk.usedBytes, disk.totalBytes))}`;
    if (disk.freeBytes !== undefined) out += `\n${INDENT}Free: ${formatBytes(disk.freeBytes)}`;
    if (disk.path !== undefined) out += `\n${INDENT}Mount: ${sanitizeForTerminal(disk.path)}`;

    if (snapshot.gpu !== undefined) out += `\n\n${this.gpuSection(snapshot.gpu)}`;
    if (snapshot.alerts.length > 0) out += `\n\n${this.formatAlerts(snapshot.alerts)}`;
    return out;
  }

  /** A titled block, one indented line per alert; `''` when there are none. */
  override formatAlerts(alerts: readonly AlertSnapshot[], source?: string): string {
    if (alerts.length === 0) return '';
    let out = this.sourcePrefix(source) + this.palette.bold('⚠️  Alerts:');
    for (const alert of alerts) out += `\n${INDENT}${this.formatAlert(alert)}`;
    return out;
  }

  /**
   * `    Usage: 62.8% [bar] (8.2/13.1 GB) (Normal)`: the percentage, bar and status coloured
   * by threshold; the amounts in parentheses when known. `    Usage: n/a` when missing.
   */
  protected usageLine(label: string, percent: number | undefined, amounts?: string): string {
    const detail = amounts === undefined ? '' : ` (${amounts})`;
    if (percent === undefined || Number.isNaN(percent)) return `${INDENT}${label}: ${MISSING}${detail}`;
    const paint = this.thresholdPaint(percent);
    return `${INDENT}${label}: ${paint(formatPercent(percent))} [${paint(progressBar(percent))}]${detail} (${paint(usageStatus(percent))})`;
  }

  /** `Host: vm · Linux 6.18.44 (x86_64)`, or `undefined` when the server says nothing of it. */
  protected hostLine(snapshot: MonitoringSnapshot): string | undefined {
    const system = snapshot.system;
    const hostname = snapshot.hostname ?? system?.hostname;
    let os = '';
    if (system !== undefined) {
      if (system.osName) os = system.osName;
      if (system.osRelease) os += os === '' ? system.osRelease : ` ${system.osRelease}`;
      if (system.architecture) os += os === '' ? system.architecture : ` (${system.architecture})`;
    }
    if (hostname === undefined && os === '') return undefined;
    const host = hostname === undefined ? MISSING : sanitizeForTerminal(hostname);
    return os === '' ? `Host: ${host}` : `Host: ${host} · ${sanitizeForTerminal(os)}`;
  }

  protected processorSection(cpu: CpuSnapshot): string {
    let out = `${this.palette.bold('🖥️  Processor:')}\n${this.usageLine('Usage', cpu.usagePercent)}`;
    if (cpu.physicalCores !== undefined || cpu.logicalCores !== undefined) {
      out += `\n${INDENT}Cores: ${count(cpu.physicalCores)} physical, ${count(cpu.logicalCores)} logical`;
    }
    if (cpu.frequencyCurrentMhz !== undefined || cpu.frequencyMaxMhz !== undefined) {
      // Most servers cannot read the maximum (the real one sends 0.0): say nothing rather than "max n/a".
      const max = cpu.frequencyMaxMhz === undefined ? '' : ` (max ${megahertz(cpu.frequencyMaxMhz)})`;
      out += `\n${INDENT}Frequency: ${megahertz(cpu.frequencyCurrentMhz)}${max}`;
    }
    if (cpu.temperatureCelsius !== undefined)
      out += `\n${INDENT}Temperature: ${celsius(cpu.temperatureCelsius)}`;
    const perCore = cpu.perCoreUsagePercent;
    if (perCore !== undefined && perCore.length > 0) {
      out += `\n${INDENT}Per core:`;
      for (const value of perCore) {
        out +=
          value === undefined ? ` ${MISSING}` : ` ${this.colorByThreshold(`${Math.round(value)}%`, value)}`;
      }
    }
    return out;
  }

  protected gpuSection(gpu: GpuSnapshot): string {
    let out = this.palette.bold('🎮 GPU:');
    if (gpu.name !== undefined) {
      const driver =
        gpu.driverVersion === undefined ? '' : ` (driver ${sanitizeForTerminal(gpu.driverVersion)})`;
      out += `\n${INDENT}Model: ${sanitizeForTerminal(gpu.name)}${driver}`;
    }
    out += `\n${this.usageLine('Usage', gpu.usagePercent)}`;
    const amounts = formatBytePair(gpu.memoryUsedBytes, gpu.memoryTotalBytes);
    if (gpu.memoryPercent !== undefined || amounts !== undefined) {
      out += `\n${this.usageLine('Memory', gpu.memoryPercent, amounts)}`;
    }
    if (gpu.temperatureCelsius !== undefined)
      out += `\n${INDENT}Temperature: ${celsius(gpu.temperatureCelsius)}`;
    if (gpu.powerDrawWatts !== undefined || gpu.powerLimitWatts !== undefined) {
      out += `\n${INDENT}Power: ${watts(gpu.powerDrawWatts)} (limit ${watts(gpu.powerLimitWatts)})`;
    }
    return out;
  }
}
