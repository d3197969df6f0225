/**
 * 7. The web dashboard (issue 16): 1,000 targets at one message a second each, in one
 * process, with the dashboard serving one open page (Debian's chromium, headless), against
 * the same fleet without the dashboard. The process's CPU is compared (target: at most 1.2x);
 * the page's main-thread time per live update (one update carries every target that changed
 * in the last second: here all 1,000) is read from the browser (CDP `Performance.getMetrics`)
 * and from the page's own counters.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { CDPSession, Page } from 'playwright-core';
import { silentLogger } from '../src/logger.js';
import { parseFrame } from '../src/protocol/frame.js';
import { normalizeMonitoringData } from '../src/protocol/normalize.js';
import { RecorderSink } from '../src/recording/recorder-sink.js';
import type { TimerHandle } from '../src/transport/clock.js';
import { MemoryHistory } from '../src/web/history.js';
import { RecordingHistory } from '../src/web/recording-history.js';
import { type Browser, launchBrowser } from '../test/helpers/browser.js';
import { compiledEntry } from './compiled.js';
import { type BenchServer, childEnv, exited, ROOT } from './harness.js';
import { realDialectText } from './message.js';
import { type FanInResult, type Summary, summarize } from './results.js';
import type { Row, Settings } from './suites.js';
import type { WebChildMessage, WebChildSpec } from './web-child.js';

const CHILD_ENTRY = fileURLToPath(new URL('./web-child.ts', import.meta.url));
const CPU_RATIO_TARGET = 1.2;

interface PageWork {
  /** Live updates received in the window. */
  updates: number;
  /** Main-thread task time (script, style, layout, paint) in the window, ms. */
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  /** The page's own time applying updates and drawing the table, ms. */
  applyMs: number;
  renderMs: number;
}

interface RunResult {
  fleet: FanInResult;
  page?: PageWork;
}

/** The fleet process, ready (every target connected). */
async function startFleet(spec: WebChildSpec): Promise<{ child: ChildProcess; url: string | null }> {
  const child = spawn(process.execPath, [compiledEntry(CHILD_ENTRY), JSON.stringify(spec)], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const exit = exited(child);
  const url = await new Promise<string | null>((resolve, reject) => {
    child.once('message', (message: WebChildMessage) => {
      if (message.event === 'ready') resolve(message.url);
      else
        reject(
          new Error(`web bench fleet failed: ${message.event === 'failed' ? message.error : message.event}`),
        );
    });
    void exit.then(({ stderr }) =>
      reject(new Error(`web bench fleet exited before it was ready:\n${stderr}`)),
    );
  });
  return { child, url };
}

function measureFleet(child: ChildProcess, windowMs: number): Promise<FanInResult> {
  return new Promise((resolve, reject) => {
    child.once('message', (message: WebChildMessage) => {
      if (message.event === 'measured') resolve(message.result);
      else reject(new Error(`web bench fleet: unexpected ${message.event}`));
    });
    child.send({ cmd: 'measure', windowMs });
  });
}

async function stopFleet(child: ChildProcess): Promise<void> {
  const exit = exited(child);
  child.send({ cmd: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exit;
  clearTimeout(timer);
}

/** What the page and the browser have counted so far. */
async function pageCounters(page: Page, cdp: CDPSession): Promise<PageWork> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  const metric = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  const data = (await page.evaluate(
    () =>
      (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } })
        .document.documentElement.dataset,
  )) as Record<string, string | undefined>;
  return {
    updates: Number(data.batches ?? 0),
    taskMs: metric('TaskDuration'),
    scriptMs: metric('ScriptDuration'),
    layoutMs: metric('LayoutDuration') + metric('RecalcStyleDuration'),
    applyMs: Number(data.applyMs ?? 0),
    renderMs: Number(data.renderMs ?? 0),
  };
}

async function run(
  server: BenchServer,
  settings: Settings,
  web: boolean,
  browser: Browser | undefined,
  windowMs: number,
): Promise<RunResult> {
  const uri = server.url('/fanin', { interval: 1000 });
  const { child, url } = await startFleet({ uri, count: settings.fanInClients, web });
  try {
    let page: Page | undefined;
    let cdp: CDPSession | undefined;
    if (web && browser && url) {
      page = await browser.context.newPage();
      cdp = await browser.context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await page.goto(url);
      await page.waitForSelector('#viewport [data-target]', { timeout: 30_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, settings.fanInWarmupMs));
    const before = page && cdp ? await pageCounters(page, cdp) : undefined;
    const fleet = await measureFleet(child, windowMs);
    const after = page && cdp ? await pageCounters(page, cdp) : undefined;
    await page?.close();
    if (before === undefined || after === undefined) return { fleet };
    const delta = (key: keyof PageWork) => after[key] - before[key];
    return {
      fleet,
      page: {
        updates: delta('updates'),
        taskMs: delta('taskMs'),
        scriptMs: delta('scriptMs'),
        layoutMs: delta('layoutMs'),
        applyMs: delta('applyMs'),
        renderMs: delta('renderMs'),
      },
    };
  } finally {
    await stopFleet(child);
  }
}

const ms = (value: number) => value.toFixed(2);

export async function webSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const rounds = settings.fanInRounds;
  // Live updates come once a second: a window of a few seconds holds too few of them.
  const windowMs = Math.max(10_000, settings.fanInWindowMs);
  const browser = await launchBrowser();
  const without: FanInResult[] = [];
  const withWeb: RunResult[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const web of order) {
        progress(`web round ${round + 1}/${rounds}: ${web ? 'with --web, page open' : 'without --web'}`);
        const result = await run(server, settings, web, web ? browser : undefined, windowMs);
        if (web) withWeb.push(result);
        else without.push(result.fleet);
      }
    }
  } finally {
    await browser.close();
  }
  const history = await historyOverRecording(rounds, progress, settings.quick ? 200_000 : HISTORY_ROWS);
  const targets = settings.fanInClients.toLocaleString('en-US');
  const suite = `11. web dashboard: ${targets} targets, 1 msg/s each, one page open (CPU over ${windowMs / 1000} s)`;
  const cpu = withWeb.map((r) => r.fleet.cpuPercent);
  const base = without.map((r) => r.cpuPercent);
  const ratio: Summary = summarize(cpu.map((value, i) => value / base[i]!));
  const pages = withWeb.map((r) => r.page!).filter((p) => p.updates > 0);
  const perUpdate = (key: keyof PageWork) => summarize(pages.map((p) => p[key] / p.updates));
  const task = perUpdate('taskMs');
  const rate = (r: FanInResult) => r.messagesInWindow / (r.windowMs / 1000);
  return [
    {
      suite,
      name: `${targets} targets + --web, page open: CPU`,
      unit: '% of a core',
      value: summarize(cpu),
      baselineName: `${targets} targets, no --web: CPU`,
      baseline: summarize(base),
      ratio,
      target: { on: 'ratio', op: '<=', limit: CPU_RATIO_TARGET },
      pass: ratio.median <= CPU_RATIO_TARGET,
      note: `messages/s seen: ${summarize(withWeb.map((r) => rate(r.fleet))).median.toFixed(0)} with, ${summarize(without.map(rate)).median.toFixed(0)} without`,
    },
    {
      suite,
      name: 'with --web: RSS',
      unit: 'MB',
      value: summarize(withWeb.map((r) => r.fleet.rssMb)),
      baselineName: 'no --web: RSS',
      baseline: summarize(without.map((r) => r.rssMb)),
      ratio: summarize(withWeb.map((r, i) => r.fleet.rssMb / without[i]!.rssMb)),
    },
    {
      suite,
      name: `page main-thread time per live update (${targets} rows)`,
      unit: 'ms',
      value: task,
      note: `script ${ms(perUpdate('scriptMs').median)} ms, style+layout ${ms(perUpdate('layoutMs').median)} ms; the page's own apply ${ms(perUpdate('applyMs').median)} ms + table draw ${ms(perUpdate('renderMs').median)} ms; ${summarize(pages.map((p) => p.updates)).median} updates per window`,
    },
    ...history,
  ];
}

// ---- the charts over a recording --------------------------------------------------------------

/** Snapshots of the one target of the history recording: 11.6 days at one a second. */
const HISTORY_ROWS = 1_000_000;
const HISTORY_START = Date.UTC(2026, 0, 1);

/**
 * A recording of HISTORY_ROWS snapshots of one target, one a second, written by the recorder
 * (its writer in this thread, as under tsx) from one snapshot changed for each row.
 */
async function writeHistoryRecording(path: string, rows: number): Promise<void> {
  const first = parseFrame(realDialectText(), false, 0);
  const snapshot = normalizeMonitoringData(first.message!, 0, 'bench');
  const sink = new RecorderSink({ path });
  let now = HISTORY_START;
  await sink.start({
    // Flushes go by row count; the interval's timer is never needed.
    clock: { now: () => now, setTimeout: () => 0 as unknown as TimerHandle, clearTimeout: () => {} },
    logger: silentLogger,
    targets: () => [],
    target: () => undefined,
    publish: () => {},
  });
  const raw = realDialectText();
  for (let second = 0; second < rows; second++) {
    now = HISTORY_START + second * 1000;
    snapshot.cpu.usagePercent = Math.round((Math.sin(second / 600) + 1) * 500) / 10;
    snapshot.cpu.perCoreUsagePercent = [snapshot.cpu.usagePercent, second % 100];
    sink.write({
      target: 'host-0',
      snapshot,
      message: first.message!,
      frame: { raw, size: raw.length, receivedAt: now },
    });
    if (second % 2000 === 1999) await sink.flush();
  }
  await sink.close();
}

interface HistoryTiming {
  window: string;
  points: number;
  /** Wall time of the answer, ms. */
  ms: number;
  /** Longest the event loop was held at once meanwhile, ms. */
  blockedMs: number;
}

/**
 * One history request over the recording: its time, and the longest the event loop was held
 * (the longest gap between two turns of a probe that runs at every turn).
 */
async function timeHistory(history: RecordingHistory, window: string, since: number): Promise<HistoryTiming> {
  let last = performance.now();
  let blockedMs = 0;
  let probing = true;
  const probe = () => {
    const now = performance.now();
    blockedMs = Math.max(blockedMs, now - last);
    last = now;
    if (probing) setImmediate(probe);
  };
  setImmediate(probe);
  await new Promise((resolve) => setImmediate(resolve));
  const started = performance.now();
  const series = await history.history('host-0', since);
  const ms = performance.now() - started;
  await new Promise((resolve) => setImmediate(resolve));
  probing = false;
  return { window, points: series?.t.length ?? 0, ms, blockedMs };
}

/**
 * The detail view's history over a recording of 1,000,000 snapshots of one target (the worst
 * case: every row is that target's): time per request and longest event-loop stall, for the
 * last hour, six hours, day, week and everything.
 */
export async function historyOverRecording(
  rounds: number,
  progress: (text: string) => void,
  rows = HISTORY_ROWS,
): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mwc-web-history-'));
  try {
    const path = join(dir, 'history.db');
    progress(`web: writing a recording of ${rows.toLocaleString('en-US')} snapshots of one target`);
    await writeHistoryRecording(path, rows);
    const end = HISTORY_START + rows * 1000;
    const windows: [string, number][] = [
      ['last hour', end - 3_600_000],
      ['last 6 hours', end - 6 * 3_600_000],
      ['last day', end - 86_400_000],
      ['last week', end - 7 * 86_400_000],
      ['everything', 0],
    ];
    const timings = new Map<string, HistoryTiming[]>(windows.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      // A fresh reader each round: the first request pays for opening the file.
      const history = new RecordingHistory({ path, memory: new MemoryHistory() });
      await history.history('host-0', end);
      for (const [name, since] of windows) timings.get(name)!.push(await timeHistory(history, name, since));
      history.close();
    }
    const suite = `11b. web dashboard: the charts over a recording of ${rows.toLocaleString('en-US')} snapshots of one target`;
    return windows.map(([name]) => {
      const runs = timings.get(name)!;
      return {
        suite,
        name: `GET .../history, ${name}`,
        unit: 'ms',
        value: summarize(runs.map((r) => r.ms)),
        note: `${runs[0]!.points} points; longest event-loop stall ${summarize(runs.map((r) => r.blockedMs)).median.toFixed(1)} ms`,
      };
    });
  } finally {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.error(dir);
  }
}
