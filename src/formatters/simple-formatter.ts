/**
 * The `simple` format: one line per message, as in the documentation:
 * `CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%`.
 */
import type { ParsedMessage } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import { BaseFormatter, formatPercent } from './base-formatter.js';

export class SimpleFormatter extends BaseFormatter {
  /** The GPU part is there only when the server has a GPU; a missing value prints `n/a`. */
  formatMonitoringData(snapshot: MonitoringSnapshot, _message?: ParsedMessage): string {
    const cpu = snapshot.cpu.usagePercent;
    const memory = snapshot.memory.usagePercent;
    const disk = snapshot.disk.usagePercent;
    let line =
      this.sourcePrefix(snapshot.source) +
      'CPU: ' +
      this.colorByThreshold(formatPercent(cpu), cpu) +
      ' | RAM: ' +
      this.colorByThreshold(formatPercent(memory), memory) +
      ' | Disk: ' +
      this.colorByThreshold(formatPercent(disk), disk);
    const gpu = snapshot.gpu;
    if (gpu !== undefined) {
      line += ` | GPU: ${this.colorByThreshold(formatPercent(gpu.usagePercent), gpu.usagePercent)}`;
    }
    return line;
  }
}
