/**
 * The order and the filter of the fleet table. Pure: rows in, rows out.
 *
 * `worst` (the default) puts first what needs a look: down, then reconnecting, then stale,
 * then the highest usage (the largest of CPU, memory, disk and GPU). A usage sort puts the
 * highest first and the targets that did not send the value last; `name` is natural order
 * (web-2 before web-10); `status` is worst status first. Choosing the same key again
 * reverses the whole order.
 */
import type { TargetRow, TargetStatus } from '../pipeline/target-row.js';

export type SortKey = 'worst' | 'cpu' | 'memory' | 'disk' | 'gpu' | 'name' | 'status';

export interface SortOrder {
  readonly key: SortKey;
  readonly reverse: boolean;
}

export const DEFAULT_SORT: SortOrder = { key: 'worst', reverse: false };

/** The key letters of the fleet view. */
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

/** Worst first. */
const STATUS_RANK: Record<TargetStatus, number> = {
  down: 0,
  reconnecting: 1,
  stale: 2,
  connecting: 3,
  up: 4,
};

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** `rows` in `order` (a new array). */
export function sortRows(rows: readonly TargetRow[], order: SortOrder): TargetRow[] {
  const byName = (a: TargetRow, b: TargetRow) => collator.compare(a.name, b.name) || compareCodeUnits(a, b);
  // The sort value of each row is computed once, not at every comparison.
  const keyed = rows.map((row) => ({ row, value: sortValue(row, order.key) }));
  keyed.sort((a, b) => {
    let result = 0;
    switch (order.key) {
      case 'name':
        break;
      case 'status':
      case 'worst':
        result = STATUS_RANK[a.row.status] - STATUS_RANK[b.row.status] || descending(a.value, b.value);
        break;
      default:
        result = descending(a.value, b.value);
    }
    return result || byName(a.row, b.row);
  });
  const sorted = keyed.map((entry) => entry.row);
  return order.reverse ? sorted.reverse() : sorted;
}

/** The rows whose name contains `filter`, ignoring case; all of them for an empty filter. */
export function filterRows(rows: readonly TargetRow[], filter: string): TargetRow[] {
  const needle = filter.trim().toLowerCase();
  if (needle === '') return rows.slice();
  return rows.filter((row) => row.name.toLowerCase().includes(needle));
}

/** The largest of the usage percentages a target sent; undefined when it sent none. */
export function worstUsage(row: TargetRow): number | undefined {
  const snapshot = row.snapshot;
  if (snapshot === null) return undefined;
  let worst: number | undefined;
  for (const value of [
    snapshot.cpu.usagePercent,
    snapshot.memory.usagePercent,
    snapshot.disk.usagePercent,
    snapshot.gpu?.usagePercent,
  ]) {
    if (value !== undefined && !Number.isNaN(value) && (worst === undefined || value > worst)) worst = value;
  }
  return worst;
}

function sortValue(row: TargetRow, key: SortKey): number | undefined {
  const snapshot = row.snapshot;
  switch (key) {
    case 'cpu':
      return snapshot?.cpu.usagePercent;
    case 'memory':
      return snapshot?.memory.usagePercent;
    case 'disk':
      return snapshot?.disk.usagePercent;
    case 'gpu':
      return snapshot?.gpu?.usagePercent;
    case 'worst':
    case 'status':
      return worstUsage(row);
    default:
      return undefined;
  }
}

/** Highest first; a missing value after every present one. */
function descending(a: number | undefined, b: number | undefined): number {
  const hasA = a !== undefined && !Number.isNaN(a);
  const hasB = b !== undefined && !Number.isNaN(b);
  if (hasA && hasB) return b - a;
  if (hasA) return -1;
  if (hasB) return 1;
  return 0;
}

/** Names equal to the collator (case, accents) still get one fixed order. */
function compareCodeUnits(a: TargetRow, b: TargetRow): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
