/**
 * The detail view of one target: its connection state and facts, its firing alerts, and live
 * charts over its history. The row comes live from the stream; the snapshot's facts and the
 * history are fetched again after each update of this target (at most one update a second, one
 * request of each kind in flight).
 *
 * The charts reach back as far as the user picks. The last ten minutes (the live tail, from the
 * process's memory) are fetched at each update; a longer reach (from the recording, with
 * `--record`) is fetched once a minute and joined to the tail, so that an open page asks the
 * recording for hours of data once a minute rather than every second.
 */

import { STATUS_MARK } from '../../dashboard/sort.js';
import type { TargetRow } from '../../pipeline/target-row.js';
import { type HistorySeries, joinSeries } from '../history-source.js';
import { CHARTS, Chart } from './charts.js';
import { element } from './dom.js';
import { STATUS_WORDS } from './fleet-table.js';
import { age, bytes, celsius, milliseconds, percent } from './format.js';
import type { FleetStore } from './store.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** How far back the charts may reach. The memory holds ten minutes by default; a recording, all it kept. */
export const RANGES: readonly { readonly label: string; readonly ms: number }[] = [
  { label: '10 min', ms: 10 * MINUTE_MS },
  { label: '1 h', ms: HOUR_MS },
  { label: '6 h', ms: 6 * HOUR_MS },
  { label: '24 h', ms: 24 * HOUR_MS },
  { label: '7 days', ms: 7 * 24 * HOUR_MS },
];
/** Without a recording the charts show what memory holds: the same as 10 min. */
const DEFAULT_RANGE_MS = HOUR_MS;
/** The live tail, fetched at each update. */
const TAIL_MS = 10 * MINUTE_MS;
/** How often a longer reach is fetched again (the tail fills in between). */
const HEAD_REFRESH_MS = MINUTE_MS;

export interface DetailParts {
  readonly title: HTMLElement;
  readonly status: HTMLElement;
  readonly facts: HTMLElement;
  readonly alerts: HTMLElement;
  readonly charts: HTMLElement;
  /** The buttons that pick how far back the charts reach. */
  readonly ranges: HTMLElement;
  /** Where the charts' points come from. */
  readonly source: HTMLElement;
}

export class DetailView {
  readonly #parts: DetailParts;
  readonly #store: FleetStore;
  #name: string | undefined;
  #charts: Chart[] = [];
  #row: TargetRow | undefined;
  #loading = false;
  #again = false;
  #rangeMs = DEFAULT_RANGE_MS;
  /** The longer reach, as last fetched, and when (server clock). */
  #head: HistorySeries | undefined;
  #headAt = 0;

  constructor(parts: DetailParts, store: FleetStore) {
    this.#parts = parts;
    this.#store = store;
    for (const range of RANGES) {
      const button = element('button', '', range.label);
      button.type = 'button';
      button.dataset.range = String(range.ms);
      button.addEventListener('click', () => this.setRange(range.ms));
      parts.ranges.append(button);
    }
    this.#showRange();
    store.onChange((changed) => {
      if (this.#name !== undefined && changed.has(this.#name)) {
        this.#renderLive();
        void this.#refresh();
      }
    });
    new ResizeObserver(() => {
      for (const chart of this.#charts) chart.resize();
    }).observe(parts.charts);
  }

  get name(): string | undefined {
    return this.#name;
  }

  /** How far back the charts reach, ms. */
  setRange(ms: number): void {
    if (ms === this.#rangeMs) return;
    this.#rangeMs = ms;
    this.#head = undefined;
    this.#showRange();
    void this.#refresh();
  }

  open(name: string): void {
    this.close();
    this.#name = name;
    this.#head = undefined;
    this.#parts.title.textContent = name;
    this.#charts = CHARTS.map((spec) => new Chart(this.#parts.charts, spec));
    this.#renderLive();
    void this.#refresh();
  }

  close(): void {
    this.#name = undefined;
    this.#row = undefined;
    this.#head = undefined;
    for (const chart of this.#charts) chart.destroy();
    this.#charts = [];
    this.#parts.facts.replaceChildren();
    this.#parts.alerts.replaceChildren();
  }

  /** Ages move with time: called every second. */
  tick(): void {
    if (this.#name !== undefined) this.#renderFacts();
  }

  /** What the stream says: status and alerts. */
  #renderLive(): void {
    const row = this.#name === undefined ? undefined : this.#store.get(this.#name);
    const status = this.#parts.status;
    if (row === undefined) {
      // Before the first update nothing is known yet; after it, the target is gone.
      status.textContent = this.#store.size === 0 ? 'loading…' : 'no such target';
      status.className = 'status st-down';
      return;
    }
    status.textContent = `${STATUS_MARK[row.status]} ${STATUS_WORDS[row.status]}`;
    status.className = `status st-${row.status}`;
    status.dataset.status = row.status;
    const list = element('ul', 'alert-list');
    for (const alert of row.alerts) {
      const item = element('li', `alert sev-${alert.severity === 'critical' ? 'critical' : 'warning'}`);
      item.append(
        element('span', 'alert-level', `[${alert.severity.toUpperCase()}]`),
        element('span', 'alert-title', ` ${alert.title}: `),
        element('span', 'alert-text', alert.text),
      );
      list.append(item);
    }
    if (row.alerts.length === 0) list.append(element('li', 'alert none', 'no alert firing'));
    this.#parts.alerts.replaceChildren(element('h3', '', 'Alerts'), list);
    this.#renderFacts();
  }

  #renderFacts(): void {
    const live = this.#name === undefined ? undefined : this.#store.get(this.#name);
    const row = this.#row;
    const s = row?.snapshot ?? null;
    const facts: [string, string][] = [
      ['URI', live?.uri ?? row?.uri ?? 'n/a'],
      ['Host', live?.host ?? 'n/a'],
      [
        'Connected since',
        live?.connectedSince ? new Date(live.connectedSince).toLocaleString() : 'not connected',
      ],
      ['Last data', live ? `${age(this.#store.ageOf(live))} ago` : 'n/a'],
      ['RTT', milliseconds(live?.rttMs)],
      ['Reconnects', String(live?.reconnects ?? 0)],
      ['Messages', live ? `${live.messages} (${live.invalidMessages} invalid)` : 'n/a'],
    ];
    const labels = Object.entries(live?.labels ?? {});
    if (labels.length > 0) facts.push(['Labels', labels.map(([k, v]) => `${k}=${v}`).join(', ')]);
    if (s !== null) {
      const system = s.system;
      if (system) {
        const os = [system.osName, system.osRelease, system.architecture].filter(Boolean).join(' ');
        if (os) facts.push(['System', os]);
      }
      const cores = [s.cpu.physicalCores, s.cpu.logicalCores].map((n) => n ?? 'n/a').join(' physical, ');
      facts.push([
        'CPU',
        `${percent(s.cpu.usagePercent)} · ${cores} logical${frequency(s.cpu.frequencyCurrentMhz)}`,
      ]);
      facts.push([
        'Memory',
        `${percent(s.memory.usagePercent)} · ${bytes(s.memory.usedBytes)} / ${bytes(s.memory.totalBytes)}`,
      ]);
      facts.push([
        'Disk',
        `${percent(s.disk.usagePercent)} · ${bytes(s.disk.usedBytes)} / ${bytes(s.disk.totalBytes)} on ${s.disk.path ?? 'n/a'}`,
      ]);
      if (s.gpu) {
        const gpu = s.gpu;
        facts.push([
          'GPU',
          `${gpu.name ?? 'n/a'} · ${percent(gpu.usagePercent)} · memory ${bytes(gpu.memoryUsedBytes)} / ${bytes(gpu.memoryTotalBytes)} · ${celsius(gpu.temperatureCelsius)}${gpu.powerDrawWatts === undefined ? '' : ` · ${gpu.powerDrawWatts} W`}`,
        ]);
      }
    }
    const list = element('dl', 'facts');
    for (const [term, value] of facts) {
      const item = element('div', 'fact');
      item.dataset.fact = term;
      item.append(element('dt', '', term), element('dd', '', value));
      list.append(item);
    }
    this.#parts.facts.replaceChildren(list);
  }

  #showRange(): void {
    for (const button of this.#parts.ranges.querySelectorAll('button')) {
      button.setAttribute('aria-pressed', String(Number(button.dataset.range) === this.#rangeMs));
    }
  }

  #showSource(series: HistorySeries): void {
    const source = this.#parts.source;
    source.dataset.source = series.source;
    source.textContent =
      series.source === 'recording' ? 'from the recording (--record) and memory' : 'from memory';
  }

  async #refresh(): Promise<void> {
    if (this.#loading) {
      this.#again = true;
      return;
    }
    const name = this.#name;
    if (name === undefined) return;
    this.#loading = true;
    try {
      const path = `/api/targets/${encodeURIComponent(name)}`;
      const now = this.#store.serverNow();
      const rangeMs = this.#rangeMs;
      const long = rangeMs > TAIL_MS;
      // Math.abs: the server's clock may have been learnt (or set back) since.
      const headDue = long && (this.#head === undefined || Math.abs(now - this.#headAt) >= HEAD_REFRESH_MS);
      const [row, tail, head] = await Promise.all([
        getJson<TargetRow>(path),
        getJson<HistorySeries>(`${path}/history?since=${now - Math.min(rangeMs, TAIL_MS)}`),
        headDue ? getJson<HistorySeries>(`${path}/history?since=${now - rangeMs}`) : undefined,
      ]);
      if (name !== this.#name) return;
      if (row !== undefined) this.#row = row;
      this.#renderFacts();
      // The range changed meanwhile: what came is for the other one.
      if (rangeMs !== this.#rangeMs) {
        this.#again = true;
        return;
      }
      if (head !== undefined) {
        this.#head = head;
        this.#headAt = now;
      }
      if (tail === undefined) return;
      const series = long && this.#head !== undefined ? joinSeries(this.#head, tail) : tail;
      for (const chart of this.#charts) chart.update(series);
      this.#showSource(series);
    } finally {
      this.#loading = false;
      if (this.#again) {
        this.#again = false;
        void this.#refresh();
      }
    }
  }
}

function frequency(mhz: number | undefined): string {
  return mhz === undefined ? '' : ` · ${Math.round(mhz)} MHz`;
}

async function getJson<T>(path: string): Promise<T | undefined> {
  try {
    const response = await fetch(path, { headers: { Accept: 'application/json' } });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}
