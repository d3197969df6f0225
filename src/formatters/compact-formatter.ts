/**
 * The `compact` format, for narrow terminals, as in the documentation:
 * `[14:30:25] CPU:45% │ RAM:63%(8.2/13G) │ DSK:29% │ GPU:15%/45%`.
 */
import type { ParsedMessage } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import { BaseFormatter, MISSING } from './base-formatter.js';

const GIB = 1024 ** 3;

/**
 * GiB without a trailing ".0": one decimal below `wholeFrom`, none from it on. The used
 * amount keeps its decimal up to 100 GiB, so that a change shows (`21.5/24G`); the total,
 * which never moves, is rounded from 10 GiB (`8.2/13G`).
 */
function gibibytes(bytes: number, wholeFrom: number): string {
  const value = bytes / GIB;
  if (value >= wholeFrom - 0.05) return String(Math.round(value));
  const text = value.toFixed(1);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

export class CompactFormatter extends BaseFormatter {
  /** Percentages are rounded to integers; the RAM amounts show only when both are known. */
  formatMonitoringData(snapshot: MonitoringSnapshot, _message?: ParsedMessage): string {
    const memory = snapshot.memory;
    const used = memory.usedBytes;
    const total = memory.totalBytes;
    let line =
      this.sourcePrefix(snapshot.source) +
      '[' +
      this.timeOf(snapshot) +
      '] CPU:' +
      this.percent(snapshot.cpu.usagePercent) +
      ' │ RAM:' +
      this.percent(memory.usagePercent);
    if (used !== undefined && total !== undefined && used >= 0 && total >= 0) {
      line += `(${gibibytes(used, 100)}/${gibibytes(total, 10)}G)`;
    }
    line += ` │ DSK:${this.percent(snapshot.disk.usagePercent)}`;
    const gpu = snapshot.gpu;
    if (gpu !== undefined) {
      line += ` │ GPU:${this.percent(gpu.usagePercent)}/${this.percent(gpu.memoryPercent)}`;
    }
    return line;
  }

  /** `45%`, coloured by threshold; `n/a` when missing. */
  protected percent(value: number | undefined): string {
    if (value === undefined || Number.isNaN(value)) return MISSING;
    const text = `${Math.round(value)}%`;
    return this.color ? this.thresholdPaint(value)(text) : text;
  }
}
