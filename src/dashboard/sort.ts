/**
 * The order, the filter and the status marks of the fleet table, one module for the terminal
 * dashboard and the web page (which bundles it: no Node.js and no DOM here), so that both
 * read alike. Pure: rows in, rows out.
 *
 * `worst` (the default) puts first what needs a look: down, then reconnecting, then stale,
 * then connecting, then the highest usage (the largest of CPU, memory, disk and GPU). A usage
 * sort puts the highest first and the targets that did not send the value last; `name` is
 * natural order (web-2 before web-10); `status` is worst status first. Ties go by name.
 * Choosing the same key again reverses the whole order.
 */
import type { TargetRow, TargetStatus } from '../pipeline/target-row.js';

export type SortKey = 'worst' | 'cpu' | 'memory' | 'disk' | 'gpu' | 'name' | 'status';

export interface SortOrder {
  readonly key: SortKey;
  readonly reverse: boolean;
}

export const DEFAULT_SORT: SortOrder = { key: 'worst', reverse: false };

/** The key letters of the fleet view (the terminal's and the page's). */
export const SORT_KEYS: Readonly<Record<string, SortKey>> = {
  c: 'cpu',
  m: 'memory',
  d: 'disk',
  g: 'gpu',
  n: 'name',
  s: 'status',
};

/** `key` chosen while `current` is the order: the same key again reverses it. */
export function nextSort(current: SortOrder, key: SortKey): SortOrder {
  return current.key === key ? { key, reverse: !current.reverse } : { key, reverse: false };
}

/**
 * What ordering reads from a row: a TargetRow gives it through {@link sortFields}, the page's
 * rows carry these fields already. A usage is a percentage; null, undefined or NaN: not sent.
 */
export interface SortFields {
  readonly name: string;
  readonly status: TargetStatus;
  readonly cpu: number | null | undefined;
  readonly memory: number | null | undefined;
  readonly disk: number | null | undefined;
  readonly gpu: number | null | undefined;
}

/** A mark per status, distinct without colour, shown before the name. */
export const STATUS_MARK: Readonly<Record<TargetStatus, string>> = {
  up: '●',
  connecting: '○',
  stale: '◐',
  reconnecting: '↻',
  down: '✗',
};

/** Worst first. */
const STATUS_RANK: Readonly<Record<TargetStatus, number>> = {
  down: 0,
  reconnecting: 1,
  stale: 2,
  connecting: 3,
  up: 4,
};

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** The fields ordering reads from a target's row. */
export function sortFields(row: TargetRow): SortFields {
  const snapshot = row.snapshot;
  return {
    name: row.name,
    status: row.status,
    cpu: snapshot?.cpu.usagePercent,
    memory: snapshot?.memory.usagePercent,
    disk: snapshot?.disk.usagePercent,
    gpu: snapshot?.gpu?.usagePercent,
  };
}

/** The comparator of `order`, for `Array.prototype.sort`. */
export function sortComparator(order: SortOrder): (a: SortFields, b: SortFields) => number {
  const base = baseComparator(order.key);
  return order.reverse ? (a, b) => base(b, a) : base;
}

/** `rows` in `order` (a new array). */
export function sortRows(rows: readonly TargetRow[], order: SortOrder): TargetRow[] {
  // The fields of each row are read once, not at every comparison.
  const keyed = rows.map((row) => ({ row, fields: sortFields(row) }));
  const compare = sortComparator(order);
  keyed.sort((a, b) => compare(a.fields, b.fields));
  return keyed.map((entry) => entry.row);
}

/** Whether `name` contains `filter`, ignoring case and the spaces around it; an empty filter keeps all. */
export function matchesFilter(name: string, filter: string): boolean {
  const needle = filter.trim().toLowerCase();
  return needle === '' || name.toLowerCase().includes(needle);
}

/** The rows whose name contains `filter`, ignoring case; all of them for an empty filter. */
export function filterRows<R extends { readonly name: string }>(rows: readonly R[], filter: string): R[] {
  return rows.filter((row) => matchesFilter(row.name, filter));
}

/** The largest of the usage percentages a row shows; undefined when it shows none. */
export function worstUsage(row: SortFields): number | undefined {
  let worst: number | undefined;
  for (const value of [row.cpu, row.memory, row.disk, row.gpu]) {
    if (present(value) && (worst === undefined || value > worst)) worst = value;
  }
  return worst;
}

function baseComparator(key: SortKey): (a: SortFields, b: SortFields) => number {
  switch (key) {
    case 'name':
      return byName;
    case 'worst':
    case 'status':
      return (a, b) =>
        STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
        descending(worstUsage(a), worstUsage(b)) ||
        byName(a, b);
    default:
      return (a, b) => descending(a[key], b[key]) || byName(a, b);
  }
}

/** Natural order; names equal to the collator (case, accents) still get one fixed order. */
function byName(a: SortFields, b: SortFields): number {
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function present(value: number | null | undefined): value is number {
  return value !== null && value !== undefined && !Number.isNaN(value);
}

/** Highest first; a missing value after every present one. */
function descending(a: number | null | undefined, b: number | null | undefined): number {
  const hasA = present(a);
  const hasB = present(b);
  if (hasA && hasB) return b - a;
  if (hasA) return -1;
  if (hasB) return 1;
  return 0;
}
