/**
 * How the fleet table marks and orders targets: the same marks, columns and sort keys as the
 * terminal dashboard, so that both read alike. Shared by the server and the page: no Node.js
 * and no DOM here.
 *
 * Default order, "worst first": targets without fresh data (down, reconnecting, stale), then
 * connecting ones, then the rest; within each, the highest usage of CPU, memory, disk or GPU
 * first; then by name in natural order (web-2 before web-10). Sorting by status is the same
 * order on its own key; a usage sort puts the targets that did not send the value last.
 */
import type { TargetStatus } from '../pipeline/target-row.js';

/** The mark of each status, shown before the name. */
export const STATUS_MARKS: Readonly<Record<TargetStatus, string>> = {
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

export type SortKey = 'worst' | 'cpu' | 'memory' | 'disk' | 'gpu' | 'name' | 'status';

/** The keyboard keys of the terminal dashboard, and the sort each one picks. */
export const SORT_KEYS: Readonly<Record<string, SortKey>> = {
  c: 'cpu',
  m: 'memory',
  d: 'disk',
  g: 'gpu',
  n: 'name',
  s: 'status',
};

/** What ordering needs from a row. */
export interface OrderedRow {
  readonly name: string;
  readonly status: TargetStatus;
  readonly cpu: number | null;
  readonly memory: number | null;
  readonly disk: number | null;
  readonly gpu: number | null;
}

export interface SortOrder {
  readonly key: SortKey;
  /** The key pressed again: the opposite direction. */
  readonly reversed: boolean;
}

export const DEFAULT_ORDER: SortOrder = { key: 'worst', reversed: false };

/** The order after the user picks `key`: the same key again reverses, another starts fresh. */
export function nextOrder(current: SortOrder, key: SortKey): SortOrder {
  return current.key === key ? { key, reversed: !current.reversed } : { key, reversed: false };
}

export function statusRank(status: TargetStatus): number {
  return STATUS_RANK[status];
}

/** The highest usage a row shows, or -1 when it shows none. */
export function worstUsage(row: OrderedRow): number {
  return Math.max(row.cpu ?? -1, row.memory ?? -1, row.disk ?? -1, row.gpu ?? -1);
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order; names equal to the collator (case, accents) still get one fixed order. */
const byName = (a: OrderedRow, b: OrderedRow): number =>
  collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Highest first; a missing value sorts after every value. */
function byValueDescending(a: number | null, b: number | null): number {
  return (b ?? -1) - (a ?? -1);
}

export function compareRows(order: SortOrder): (a: OrderedRow, b: OrderedRow) => number {
  const base = baseComparator(order.key);
  return order.reversed ? (a, b) => base(b, a) : base;
}

function baseComparator(key: SortKey): (a: OrderedRow, b: OrderedRow) => number {
  switch (key) {
    case 'worst':
    case 'status':
      return (a, b) =>
        STATUS_RANK[a.status] - STATUS_RANK[b.status] || worstUsage(b) - worstUsage(a) || byName(a, b);
    case 'name':
      return byName;
    default:
      return (a, b) => byValueDescending(a[key], b[key]) || byName(a, b);
  }
}
