/**
 * The detail view of one target: its connection state and facts, its firing alerts, and live
 * charts over its history. The row comes live from the stream; the snapshot's facts and the
 * history are fetched again after each update of this target (at most one update a second, one
 * request of each kind in flight).
 */
import type { TargetRow } from '../../pipeline/target-row.js';
import { STATUS_MARKS } from '../fleet-order.js';
import type { HistorySeries } from '../history-source.js';
import { CHARTS, Chart } from './charts.js';
import { element } from './dom.js';
import { STATUS_WORDS } from './fleet-table.js';
import { age, bytes, celsius, milliseconds, percent } from './format.js';
import type { FleetStore } from './store.js';

/** How far back the charts reach (the in-memory history holds ten minutes by default). */
const WINDOW_MS = 10 * 60 * 1000;

export interface DetailParts {
  readonly title: HTMLElement;
  readonly status: HTMLElement;
  readonly facts: HTMLElement;
  readonly alerts: HTMLElement;
  readonly charts: HTMLElement;
}

export class DetailView {
  readonly #parts: DetailParts;
  readonly #store: FleetStore;
  #name: string | undefined;
  #charts: Chart[] = [];
  #row: TargetRow | undefined;
  #loading = false;
  #again = false;

  constructor(parts: DetailParts, store: FleetStore) {
    this.#parts = parts;
    this.#store = store;
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

  open(name: string): void {
    this.close();
    this.#name = name;
    this.#parts.title.textContent = name;
    this.#charts = CHARTS.map((spec) => new Chart(this.#parts.charts, spec));
    this.#renderLive();
    void this.#refresh();
  }

  close(): void {
    this.#name = undefined;
    this.#row = undefined;
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
    status.textContent = `${STATUS_MARKS[row.status]} ${STATUS_WORDS[row.status]}`;
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
      const since = this.#store.serverNow() - WINDOW_MS;
      const [row, series] = await Promise.all([
        getJson<TargetRow>(path),
        getJson<HistorySeries>(`${path}/history?since=${since}`),
      ]);
      if (name !== this.#name) return;
      if (row !== undefined) this.#row = row;
      this.#renderFacts();
      if (series !== undefined) for (const chart of this.#charts) chart.update(series);
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
