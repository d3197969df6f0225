/**
 * The page: the fleet table (#/) and a target's detail view (#/target/NAME), fed by the live
 * stream. Bundled with uPlot into /assets/app.js at build time (scripts/build-web.mjs); loads
 * nothing else.
 */
import type { TargetStatus } from '../../pipeline/target-row.js';
import { DetailView } from './detail-view.js';
import { byId } from './dom.js';
import { FleetTable } from './fleet-table.js';
import { connectLive, type LinkState } from './live-connection.js';
import { FleetStore } from './store.js';

const LINK_WORDS: Readonly<Record<LinkState, string>> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'connection lost, reconnecting…',
  refused: 'refused by the server (a token is needed: open the URL printed at start)',
};

/** Cumulative figures of the page's own work, read by the benchmark (data-* of <html>). */
const work = { batches: 0, rows: 0, applyMs: 0 };

function start(): void {
  const store = new FleetStore();
  const table = new FleetTable(
    {
      head: byId('fleet-head'),
      viewport: byId('viewport'),
      orderLabel: byId('order'),
      filter: byId<HTMLInputElement>('filter'),
    },
    store,
    (name) => {
      location.hash = `#/target/${encodeURIComponent(name)}`;
    },
  );
  const detail = new DetailView(
    {
      title: byId('detail-name'),
      status: byId('detail-status'),
      facts: byId('detail-facts'),
      alerts: byId('detail-alerts'),
      charts: byId('detail-charts'),
      ranges: byId('detail-ranges'),
      source: byId('detail-source'),
    },
    store,
  );
  const fleetView = byId('fleet');
  const detailView = byId('detail');
  const summary = byId('summary');
  const link = byId('link');

  const route = () => {
    const match = /^#\/target\/(.+)$/.exec(location.hash);
    let name: string | undefined;
    try {
      name = match ? decodeURIComponent(match[1]!) : undefined;
    } catch {
      name = undefined;
    }
    fleetView.hidden = name !== undefined;
    detailView.hidden = name === undefined;
    table.setVisible(name === undefined);
    if (name === undefined) detail.close();
    else if (detail.name !== name) detail.open(name);
    document.title = name === undefined ? 'Fleet · monitoring' : `${name} · monitoring`;
  };
  window.addEventListener('hashchange', route);
  route();

  document.addEventListener('keydown', (event) => {
    if (!detailView.hidden) {
      if (event.key === 'Escape' || event.key === 'Backspace') {
        location.hash = '#/';
        event.preventDefault();
      }
      return;
    }
    if (table.key(event)) event.preventDefault();
  });

  store.onChange(() => {
    const counts = new Map<TargetStatus, number>();
    for (const row of store.rows()) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
    const parts = (['up', 'connecting', 'reconnecting', 'stale', 'down'] as const)
      .filter((status) => counts.has(status))
      .map((status) => `${counts.get(status)} ${status}`);
    summary.textContent = `${store.size} target${store.size === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
  });

  connectLive({
    batch: (batch) => {
      const started = performance.now();
      store.apply(batch);
      work.batches++;
      work.rows += batch.rows.length;
      work.applyMs += performance.now() - started;
      const root = document.documentElement.dataset;
      root.batches = String(work.batches);
      root.rows = String(work.rows);
      root.applyMs = work.applyMs.toFixed(3);
      root.renderMs = table.renderMs.toFixed(3);
    },
    state: (state) => {
      link.textContent = LINK_WORDS[state];
      link.className = `link link-${state}`;
      document.documentElement.dataset.link = state;
    },
  });

  // Ages move on with time alone.
  setInterval(() => {
    table.tick();
    detail.tick();
  }, 1000);
}

start();
