/**
 * Rows of a query or a listing as text: an aligned table for people, CSV for spreadsheets,
 * JSON (one array) or JSON Lines (one object per line) for scripts. Times are ISO 8601 UTC.
 * Strings come from servers and files: the table and CSV strip what a terminal would act on,
 * the JSON formats escape it (`\u001b`).
 */
import { escapeJsonForTerminal } from '../formatters/json-formatter.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';

export const OUTPUT_FORMATS = ['table', 'csv', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RenderColumn {
  readonly name: string;
  /** `time` values are epoch ms, shown as ISO 8601 UTC. */
  readonly kind: 'time' | 'text' | 'number' | 'list' | 'count' | 'json';
}

export type RenderValue = unknown;

/** `rows` in `format`, each line ending with a line break; a table and CSV always have their header. */
export function renderRows(
  columns: readonly RenderColumn[],
  rows: readonly Record<string, RenderValue>[],
  format: OutputFormat,
): string {
  switch (format) {
    case 'json':
      return `${escapeJsonForTerminal(
        JSON.stringify(
          rows.map((row) => jsonRow(columns, row)),
          null,
          2,
        ),
      )}\n`;
    case 'jsonl': {
      let out = '';
      for (const row of rows) out += `${escapeJsonForTerminal(JSON.stringify(jsonRow(columns, row)))}\n`;
      return out;
    }
    case 'csv': {
      let out = `${columns.map((c) => csvField(c.name)).join(',')}\n`;
      for (const row of rows)
        out += `${columns.map((c) => csvField(plain(c, row[c.name], false))).join(',')}\n`;
      return out;
    }
    case 'table':
      return table(columns, rows);
  }
}

function jsonRow(
  columns: readonly RenderColumn[],
  row: Record<string, RenderValue>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    const value = row[column.name];
    out[column.name] = column.kind === 'time' && typeof value === 'number' ? isoTime(value) : (value ?? null);
  }
  return out;
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** The value as one line of text; numbers rounded for people in a table, exact in CSV. */
function plain(column: RenderColumn, value: RenderValue, rounded: boolean): string {
  if (value === null || value === undefined) return '';
  if (column.kind === 'time' && typeof value === 'number') return isoTime(value);
  if (typeof value === 'number')
    return rounded && !Number.isInteger(value) ? String(Number(value.toFixed(2))) : String(value);
  if (typeof value === 'string') return sanitizeForTerminal(value);
  return sanitizeForTerminal(JSON.stringify(value) ?? '');
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function table(columns: readonly RenderColumn[], rows: readonly Record<string, RenderValue>[]): string {
  const cells = rows.map((row) => columns.map((column) => plain(column, row[column.name], true)));
  const widths = columns.map((column, i) =>
    Math.max(column.name.length, ...cells.map((line) => line[i]!.length)),
  );
  // Numbers right-aligned, text left-aligned, as in `ps` or `df`.
  const right = columns.map((column) => column.kind === 'number' || column.kind === 'count');
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (right[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  let out = `${line(columns.map((c) => c.name))}\n`;
  for (const values of cells) out += `${line(values)}\n`;
  return out;
}
