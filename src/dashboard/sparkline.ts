/**
 * A sparkline: recent values as one block character each (`▁▂▃▄▅▆▇█`), newest on the right.
 * Pure: values in, text out.
 */
import type { Paint } from '../formatters/colors.js';

const LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
const TOP = LEVELS.length - 1;

export interface SparklineOptions {
  /** The value drawn as a full block (values are clamped to 0..max). @default 100 */
  max?: number;
  /** The colour of a value's character; consecutive characters of one colour share one escape code. */
  paint?: (value: number) => Paint;
}

/**
 * The last `width` entries of `values` (oldest first), one character each, right-aligned:
 * with fewer values the line starts with spaces. NaN means "no data in that step" and is a
 * space, so a gap never reads as 0 (0 is the lowest block, `▁`).
 */
export function sparkline(values: ArrayLike<number>, width: number, options: SparklineOptions = {}): string {
  const size = Math.max(0, Math.floor(width) || 0);
  const max = options.max ?? 100;
  const paint = options.paint;
  const start = Math.max(0, values.length - size);
  let out = size > values.length ? ' '.repeat(size - values.length) : '';
  let run = '';
  let runPaint: Paint | undefined;
  for (let i = start; i < values.length; i++) {
    const value = values[i]!;
    const char = Number.isNaN(value) ? ' ' : LEVELS[level(value, max)]!;
    if (paint === undefined) {
      out += char;
      continue;
    }
    const next = Number.isNaN(value) ? undefined : paint(value);
    if (next !== runPaint) {
      out += runPaint === undefined ? run : runPaint(run);
      run = '';
      runPaint = next;
    }
    run += char;
  }
  if (run !== '') out += runPaint === undefined ? run : runPaint(run);
  return out;
}

function level(value: number, max: number): number {
  if (!(max > 0) || value <= 0) return 0;
  if (value >= max) return TOP;
  return Math.round((value / max) * TOP);
}
