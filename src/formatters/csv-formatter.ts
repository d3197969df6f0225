/**
 * The `csv` format, for spreadsheets and `pandas.read_csv`: a header line once (see
 * {@link BaseFormatter.header}), then one row per record, with the same columns in the same
 * order whatever the message holds. When several targets are watched (`showSource`) the
 * first column names the target.
 *
 * Cells are quoted as RFC 4180 says (a cell holding a comma, a double quote or a line
 * break is put in double quotes, its quotes doubled). A string from a server that a
 * spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, a tab or a carriage
 * return) gets a leading `'`, so that a hostile host name is shown, never evaluated. Lines
 * end with LF, like every other format. Never coloured.
 */
import type { ParsedMessage } from '../protocol/frame.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import { BaseFormatter, type FormatterOptions } from './base-formatter.js';
import { fieldText, NUMERIC_FIELDS } from './record-fields.js';

/** Columns before the numbers: when it was received (ISO 8601, UTC), the server's timestamp as sent, the host. */
const LEADING_COLUMNS = ['received_at', 'timestamp', 'host'] as const;
/** Columns after the numbers: strings from the server, and how many alerts it raised. */
const TRAILING_COLUMNS = ['disk_path', 'gpu_name', 'alerts'] as const;

/** Characters that make a spreadsheet read a cell as a formula, or that hide one. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** Characters that need the cell in double quotes. */
const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;

/**
 * One CSV cell of a string: `'` before a formula-like start, then quoted if it holds a
 * comma, a double quote or a line break.
 */
export function csvCell(text: string): string {
  const defused = FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(defused) ? `"${defused.replace(QUOTE, '""')}"` : defused;
}

export class CsvFormatter extends BaseFormatter {
  readonly #header: string;

  constructor(options: FormatterOptions = {}) {
    // Data for programs: never coloured.
    super({ ...options, color: false });
    const columns: string[] = this.showSource ? ['target'] : [];
    columns.push(...LEADING_COLUMNS, ...NUMERIC_FIELDS.map((field) => field.name), ...TRAILING_COLUMNS);
    this.#header = columns.join(',');
  }

  /** The column names, one line. */
  override header(): string {
    return this.#header;
  }

  /** One row; a missing value is an empty cell. */
  formatMonitoringData(snapshot: MonitoringSnapshot, _message?: ParsedMessage): string {
    let row = this.showSource ? `${this.#text(snapshot.source)},` : '';
    const received = Number.isFinite(snapshot.receivedAt) ? new Date(snapshot.receivedAt).toISOString() : '';
    row += `${received},${this.#text(snapshot.timestamp)},`;
    row += this.#text(snapshot.hostname ?? snapshot.system?.hostname);
    for (const field of NUMERIC_FIELDS) row += `,${fieldText(field, field.read(snapshot)) ?? ''}`;
    row += `,${this.#text(snapshot.disk.path)},${this.#text(snapshot.gpu?.name)},${snapshot.alerts.length}`;
    return row;
  }

  /** A string cell; strings of a snapshot are already terminal-safe, a target name may not be. */
  #text(value: string | undefined): string {
    return value === undefined || value === '' ? '' : csvCell(sanitizeForTerminal(value));
  }
}
