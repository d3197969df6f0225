/**
 * The results table: one line per figure, grouped by suite, as printed by `npm run bench`
 * and pasted into bench/README.md (it is Markdown).
 */
import type { Summary } from './results.js';
import type { Row, Target } from './suites.js';

function number(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'msg/s' || unit === 'records') return Math.round(value).toLocaleString('en-US');
  if (unit === 'ms') return value < 1 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : value.toFixed(0);
  return value.toFixed(1);
}

function figure(summary: Summary | undefined, unit: string): string {
  if (summary === undefined) return '';
  if (summary.runs.length === 1) return number(summary.median, unit);
  return `${number(summary.median, unit)} [${number(summary.min, unit)} - ${number(summary.max, unit)}]`;
}

function ratio(summary: Summary | undefined): string {
  if (summary === undefined) return '';
  const r = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
  return summary.runs.length === 1
    ? r(summary.median)
    : `${r(summary.median)} [${r(summary.min)} - ${r(summary.max)}]`;
}

function target(value: Target | undefined): string {
  if (value === undefined) return '';
  return `${value.on} ${value.op} ${value.limit}`;
}

export function renderTable(rows: readonly Row[]): string {
  const lines: string[] = [];
  let suite = '';
  for (const row of rows) {
    if (row.suite !== suite) {
      suite = row.suite;
      if (lines.length > 0) lines.push('');
      lines.push(`**${suite}**`, '');
      lines.push('| case | figure | baseline (same run) | baseline figure | ratio | target | holds |');
      lines.push('|---|---|---|---|---|---|---|');
    }
    const holds = row.pass === undefined ? '' : row.pass ? 'yes' : '**no**';
    const note = row.note ? ` (${row.note})` : '';
    lines.push(
      `| ${row.name}${note} | ${figure(row.value, row.unit)} ${row.unit} | ${row.baselineName ?? ''} | ${
        row.baseline ? `${figure(row.baseline, row.unit)} ${row.unit}` : ''
      } | ${ratio(row.ratio)} | ${target(row.target)} | ${holds} |`,
    );
  }
  return lines.join('\n');
}
