/**
 * The fleet table: one row per target, the columns, marks and sort orders of the terminal
 * dashboard (its sort.ts, bundled here).
 * Usable with 1,000 targets and more: only the rows in view exist in the DOM (a pool of row
 * elements moved as the list scrolls), each cell is written only when its text changes, and
 * the work of many updates in one frame is done once, in the next animation frame.
 */

import {
  DEFAULT_SORT,
  matchesFilter,
  nextSort,
  SORT_KEYS,
  type SortKey,
  type SortOrder,
  STATUS_MARK,
  sortComparator,
} from '../../dashboard/sort.js';
import type { TargetStatus } from '../../pipeline/target-row.js';
import { element, setText } from './dom.js';
import { age, celsius, levelClass, milliseconds, percent, sparkline } from './format.js';
import type { FleetStore, PageRow } from './store.js';

/** Must match `--row-height` in style.css. */
export const ROW_HEIGHT = 30;
const SPARK_WIDTH = 16;

interface Column {
  readonly id: string;
  readonly title: string;
  readonly sort?: SortKey;
  /** Key that sorts by it, shown in the header's tooltip. */
  readonly key?: string;
}

const COLUMNS: readonly Column[] = [
  { id: 'status', title: '', sort: 'status', key: 's' },
  { id: 'name', title: 'Name', sort: 'name', key: 'n' },
  { id: 'host', title: 'Host' },
  { id: 'cpu', title: 'CPU', sort: 'cpu', key: 'c' },
  { id: 'memory', title: 'RAM', sort: 'memory', key: 'm' },
  { id: 'disk', title: 'Disk', sort: 'disk', key: 'd' },
  { id: 'gpu', title: 'GPU', sort: 'gpu', key: 'g' },
  { id: 'temperature', title: 'Temp' },
  { id: 'rtt', title: 'RTT' },
  { id: 'age', title: 'Age' },
  { id: 'alerts', title: 'Alerts' },
  { id: 'spark', title: 'CPU history' },
];

const ORDER_WORDS: Readonly<Record<SortKey, [string, string]>> = {
  worst: ['worst first', 'best first'],
  status: ['by status, worst first', 'by status, best first'],
  name: ['by name, A to Z', 'by name, Z to A'],
  cpu: ['by CPU, highest first', 'by CPU, lowest first'],
  memory: ['by RAM, highest first', 'by RAM, lowest first'],
  disk: ['by disk, highest first', 'by disk, lowest first'],
  gpu: ['by GPU, highest first', 'by GPU, lowest first'],
};

export const STATUS_WORDS: Readonly<Record<TargetStatus, string>> = {
  up: 'up',
  connecting: 'connecting',
  reconnecting: 'reconnecting',
  stale: 'stale',
  down: 'down',
};

interface Slot {
  readonly row: HTMLElement;
  readonly cells: HTMLElement[];
  /** Last text of each cell, then last class of each cell (offset COLUMNS.length). */
  readonly cache: string[];
  name: string | undefined;
  top: number;
}

export class FleetTable {
  readonly #store: FleetStore;
  readonly #open: (name: string) => void;
  readonly #viewport: HTMLElement;
  readonly #spacer: HTMLElement;
  readonly #headers = new Map<SortKey, HTMLElement>();
  readonly #orderLabel: HTMLElement;
  readonly #filterInput: HTMLInputElement;
  readonly #slots: Slot[] = [];
  #order: SortOrder = DEFAULT_SORT;
  #filter = '';
  #sorted: PageRow[] = [];
  #needsSort = true;
  #selected: string | undefined;
  #frame = 0;
  #visible = true;
  #renderMs = 0;
  #lastRender = 0;
  #spacerHeight = -1;

  constructor(
    parts: { head: HTMLElement; viewport: HTMLElement; orderLabel: HTMLElement; filter: HTMLInputElement },
    store: FleetStore,
    open: (name: string) => void,
  ) {
    this.#store = store;
    this.#open = open;
    this.#viewport = parts.viewport;
    this.#orderLabel = parts.orderLabel;
    this.#filterInput = parts.filter;
    this.#spacer = element('div', 'spacer');
    this.#viewport.append(this.#spacer);

    for (const column of COLUMNS) {
      const header = element('div', `cell col-${column.id}`, column.title);
      header.dataset.col = column.id;
      if (column.sort !== undefined) {
        const sort = column.sort;
        header.classList.add('sortable');
        header.tabIndex = 0;
        header.title = `sort (key ${column.key}; again: reverse)`;
        header.addEventListener('click', () => this.sortBy(sort));
        this.#headers.set(sort, header);
      }
      parts.head.append(header);
    }
    this.#viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.#viewport.addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('[data-target]');
      if (row?.dataset.target !== undefined) this.#open(row.dataset.target);
    });
    this.#filterInput.addEventListener('input', () => {
      this.#filter = this.#filterInput.value.trim().toLowerCase();
      this.#needsSort = true;
      this.schedule();
    });
    new ResizeObserver(() => this.schedule()).observe(this.#viewport);
    store.onChange(() => {
      this.#needsSort = true;
      this.schedule();
    });
    this.#showOrder();
  }

  get order(): SortOrder {
    return this.#order;
  }

  /** Sorts by `key`; the same key again reverses. */
  sortBy(key: SortKey): void {
    this.#order = nextSort(this.#order, key);
    this.#needsSort = true;
    this.#showOrder();
    this.schedule();
  }

  setVisible(visible: boolean): void {
    this.#visible = visible;
    if (visible) this.schedule();
  }

  /** Handles a key of the fleet view; true when it was one. */
  key(event: KeyboardEvent): boolean {
    if (event.target === this.#filterInput) {
      if (event.key === 'Escape') {
        this.#filterInput.value = '';
        this.#filter = '';
        this.#filterInput.blur();
        this.#needsSort = true;
        this.schedule();
        return true;
      }
      if (event.key === 'Enter' || event.key === 'ArrowDown') {
        this.#filterInput.blur();
        return true;
      }
      return false;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    const sort = SORT_KEYS[event.key];
    if (sort !== undefined) {
      this.sortBy(sort);
      return true;
    }
    const page = Math.max(1, Math.floor(this.#viewport.clientHeight / ROW_HEIGHT) - 1);
    switch (event.key) {
      case '/':
        this.#filterInput.focus();
        return true;
      case 'ArrowDown':
        return this.#move(1);
      case 'ArrowUp':
        return this.#move(-1);
      case 'PageDown':
        return this.#move(page);
      case 'PageUp':
        return this.#move(-page);
      case 'Home':
        return this.#move(-Number.MAX_SAFE_INTEGER);
      case 'End':
        return this.#move(Number.MAX_SAFE_INTEGER);
      case 'Enter':
        if (this.#selected !== undefined) this.#open(this.#selected);
        return this.#selected !== undefined;
      default:
        return false;
    }
  }

  /** Redraws in the next animation frame (many calls, one redraw). */
  schedule(): void {
    if (this.#frame !== 0 || !this.#visible) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      const started = performance.now();
      this.render();
      this.#renderMs += performance.now() - started;
    });
  }

  /** Redraws for the ages, unless an update has just done it. */
  tick(): void {
    if (performance.now() - this.#lastRender > 900) this.schedule();
  }

  /** Milliseconds spent drawing, since the page loaded (for the benchmark). */
  get renderMs(): number {
    return this.#renderMs;
  }

  render(): void {
    this.#lastRender = performance.now();
    if (this.#needsSort) this.#sort();
    // Geometry is read before anything is written, so the browser lays out once, after.
    const first = Math.max(0, Math.floor(this.#viewport.scrollTop / ROW_HEIGHT) - 2);
    const count = Math.ceil(this.#viewport.clientHeight / ROW_HEIGHT) + 5;
    const height = this.#sorted.length * ROW_HEIGHT;
    if (height !== this.#spacerHeight) {
      this.#spacerHeight = height;
      this.#spacer.style.height = `${height}px`;
    }
    while (this.#slots.length < count) this.#slots.push(this.#newSlot());
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i]!;
      const row = i < count ? this.#sorted[first + i] : undefined;
      if (row === undefined) {
        if (slot.name !== undefined) {
          slot.row.hidden = true;
          slot.name = undefined;
          delete slot.row.dataset.target;
        }
        continue;
      }
      this.#fill(slot, row, first + i);
    }
  }

  #sort(): void {
    this.#needsSort = false;
    const rows: PageRow[] = [];
    for (const row of this.#store.rows()) if (matchesFilter(row.name, this.#filter)) rows.push(row);
    rows.sort(sortComparator(this.#order));
    this.#sorted = rows;
  }

  #move(delta: number): boolean {
    if (this.#needsSort) this.#sort();
    const total = this.#sorted.length;
    if (total === 0) return true;
    const current =
      this.#selected === undefined ? -1 : this.#sorted.findIndex((row) => row.name === this.#selected);
    const index = Math.min(total - 1, Math.max(0, current + delta));
    this.#selected = this.#sorted[index]!.name;
    // Keep the selected row in view.
    const top = index * ROW_HEIGHT;
    if (top < this.#viewport.scrollTop) this.#viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > this.#viewport.scrollTop + this.#viewport.clientHeight)
      this.#viewport.scrollTop = top + ROW_HEIGHT - this.#viewport.clientHeight;
    this.schedule();
    return true;
  }

  #newSlot(): Slot {
    const row = element('div', 'row');
    row.hidden = true;
    const cells = COLUMNS.map((column) => {
      const cell = element('div', `cell col-${column.id}`);
      cell.dataset.col = column.id;
      row.append(cell);
      return cell;
    });
    this.#viewport.append(row);
    return { row, cells, cache: [], name: undefined, top: -1 };
  }

  #fill(slot: Slot, row: PageRow, index: number): void {
    if (slot.name !== row.name) {
      slot.name = row.name;
      slot.row.dataset.target = row.name;
    }
    slot.row.hidden = false;
    const top = index * ROW_HEIGHT;
    if (slot.top !== top) {
      slot.top = top;
      slot.row.style.transform = `translateY(${top}px)`;
      // Rows are positioned, not in DOM order: the index tells tests and tools the shown order.
      slot.row.dataset.index = String(index);
    }
    const selected = row.name === this.#selected ? 'row selected' : 'row';
    if (slot.row.className !== selected) slot.row.className = selected;
    if (slot.row.dataset.status !== row.status) slot.row.dataset.status = row.status;

    const texts = [
      STATUS_MARK[row.status],
      row.name,
      row.host ?? 'n/a',
      percent(row.cpu),
      percent(row.memory),
      percent(row.disk),
      percent(row.gpu),
      celsius(row.temperature),
      milliseconds(row.rttMs),
      age(this.#store.ageOf(row)),
      row.alerts.length === 0 ? '' : String(row.alerts.length),
      sparkline(row.sparkValues, SPARK_WIDTH),
    ];
    const classes = [
      `st-${row.status}`,
      '',
      '',
      levelClass(row.cpu),
      levelClass(row.memory),
      levelClass(row.disk),
      levelClass(row.gpu),
      '',
      '',
      '',
      alertClass(row),
      levelClass(row.cpu),
    ];
    const n = COLUMNS.length;
    for (let c = 0; c < n; c++) {
      const cell = slot.cells[c]!;
      setText(cell, slot.cache, c, texts[c]!);
      const className = `cell col-${COLUMNS[c]!.id} ${classes[c]}`;
      if (slot.cache[n + c] !== className) {
        slot.cache[n + c] = className;
        cell.className = className;
      }
    }
    const title = STATUS_WORDS[row.status];
    if (slot.cells[0]!.title !== title) slot.cells[0]!.title = title;
  }

  #showOrder(): void {
    const words = ORDER_WORDS[this.#order.key];
    this.#orderLabel.textContent = `sorted ${words[this.#order.reverse ? 1 : 0]}`;
    for (const [key, header] of this.#headers) {
      header.classList.toggle('sorted', key === this.#order.key);
      header.setAttribute(
        'aria-sort',
        key !== this.#order.key ? 'none' : this.#order.reverse ? 'ascending' : 'descending',
      );
    }
  }
}

function alertClass(row: PageRow): string {
  if (row.alerts.some((alert) => alert.severity === 'critical')) return 'lvl-crit';
  return row.alerts.length > 0 ? 'lvl-warn' : '';
}
