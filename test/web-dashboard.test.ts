/**
 * The web dashboard in a real browser (Debian's chromium through playwright-core): what the
 * page shows is what the servers sent, live; sorting; a killed server; a hostile host name;
 * the token; 1,000 targets; the charts over a recording. Takes the README's screenshots
 * (written to docs/images/ with UPDATE_SCREENSHOTS=1).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { MonitoringFleet } from '../src/fleet/monitoring-fleet.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { parseFrame } from '../src/protocol/frame.js';
import { RecorderSink } from '../src/recording/recorder-sink.js';
import type { HistorySeries } from '../src/web/history-source.js';
import { WebSink } from '../src/web/web-sink.js';
import { type Browser, launchBrowser } from './helpers/browser.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture } from './helpers/fixtures.js';
import { TestServer, until } from './helpers/test-server.js';
import { requireBuiltPage } from './helpers/web-page.js';

const IMAGES = fileURLToPath(new URL('../docs/images/', import.meta.url));
/**
 * The README's screenshots are rewritten only when asked (`UPDATE_SCREENSHOTS=1`), as snapshot
 * tools do: the same page renders to other bytes with other fonts or another chromium, and a
 * test run must not leave every developer's tree changed. They are taken on every run all the
 * same (into a temporary folder), from fixed data on a fixed clock, in UTC, with the one
 * random thing (the test servers' ports) masked, so that asking twice gives the same bytes.
 */
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
/** 2026-11-25 14:00 UTC: the screenshots' clock. */
const SCREENSHOT_TIME = Date.UTC(2026, 10, 25, 14, 0, 0);
const HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';

interface Values {
  cpu: number;
  memory: number;
  disk: number;
  host: string;
  gpu?: number;
  gpuTemperature?: number;
  cores?: number[];
  alerts?: boolean;
}

/** A real-server monitoring_data message with these values. */
function message(values: Values): Record<string, unknown> {
  const m = fixture(
    'real-server',
    values.alerts === false ? 'monitoring_data_gpu' : 'monitoring_data_alerts',
  ) as {
    data: {
      processor: {
        usage_percent: number;
        per_core_usage: number[];
        core_count: number;
        logical_count: number;
      };
      memory: { percentage: number; total: number; used: number; available: number };
      disk: { percentage: number; total: number; used: number; free: number };
      system: { hostname: string };
      gpu?: { gpu_usage_percent: number; temperature: number };
    };
  };
  const { processor, memory, disk } = m.data;
  processor.usage_percent = values.cpu;
  processor.per_core_usage = values.cores ?? [values.cpu, values.cpu / 2];
  processor.core_count = processor.logical_count = processor.per_core_usage.length;
  memory.percentage = values.memory;
  memory.used = Math.round((memory.total * values.memory) / 100);
  memory.available = memory.total - memory.used;
  disk.percentage = values.disk;
  disk.used = Math.round((disk.total * values.disk) / 100);
  disk.free = disk.total - disk.used;
  m.data.system.hostname = values.host;
  if (values.gpu === undefined) delete m.data.gpu;
  else
    m.data.gpu = { ...m.data.gpu!, gpu_usage_percent: values.gpu, temperature: values.gpuTemperature ?? 41 };
  return m;
}

/** Width and height of a PNG image, from its header. */
function pngSize(png: Buffer): [number, number] {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** Values of a plain machine with this CPU. */
function values(cpu: number): Values {
  return { cpu, memory: 40, disk: 30, host: 'archive', cores: [cpu, cpu], alerts: false };
}

/** The text of an element of the page. */
async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? '';
}

/** The text of a cell of a target's row. */
function cell(page: Page, target: string, column: string): Promise<string> {
  return text(page, `[data-target="${target}"] [data-col="${column}"]`);
}

/** The page's globals these tests read, typed here: the tests are compiled without the DOM's types. */
interface PageNode {
  readonly textContent: string | null;
  readonly hidden: boolean;
  readonly dataset: Record<string, string | undefined>;
}
interface PageGlobals {
  readonly document: {
    querySelector(selector: string): PageNode | null;
    querySelectorAll(selector: string): Iterable<PageNode> & { readonly length: number };
    readonly documentElement: PageNode;
    readonly cookie: string;
  };
  readonly location: { readonly hash: string };
  readonly pwned?: number;
}

/**
 * Waits until `predicate(arg)` holds in the page. A function, not a string: the page's
 * Content-Security-Policy forbids evaluating strings (Playwright would use eval for them).
 */
async function pageUntil<A>(
  page: Page,
  predicate: (arg: A) => boolean,
  arg: A,
  timeout = 5000,
): Promise<void> {
  await page.waitForFunction(predicate as (arg: unknown) => boolean, arg, { timeout });
}

/** Waits until the cell of `target` shows `text`. */
async function cellShows(page: Page, target: string, column: string, text: string): Promise<void> {
  await pageUntil(
    page,
    ([selector, expected]) =>
      (globalThis as unknown as PageGlobals).document.querySelector(selector)?.textContent === expected,
    [`[data-target="${target}"] [data-col="${column}"]`, text] as const,
  );
}

/** Waits until the chart `id` of the detail view shows at least `count` points; returns how many. */
async function chartShows(page: Page, id: string, count: number): Promise<number> {
  await pageUntil(
    page,
    ([selector, n]) =>
      Number((globalThis as unknown as PageGlobals).document.querySelector(selector)?.dataset.points) >= n,
    [`[data-chart="${id}"]`, count] as const,
  );
  return Number(await page.locator(`[data-chart="${id}"]`).getAttribute('data-points'));
}

/** Target names in the order the table shows them (rows are positioned: `data-index` is the order). */
function shownOrder(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#viewport [data-target]')]
      .filter((row) => !row.hidden)
      .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
      .map((row) => row.dataset.target ?? ''),
  );
}

/** Waits until the table shows `expected` (it redraws in the next animation frame), then checks it. */
async function showsOrder(page: Page, expected: string[], message?: string): Promise<void> {
  await pageUntil(
    page,
    (names) =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#viewport [data-target]')]
        .filter((row) => !row.hidden)
        .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
        .map((row) => row.dataset.target)
        .join('\n') === names.join('\n'),
    expected,
  ).catch(() => undefined);
  assert.deepEqual(await shownOrder(page), expected, message);
}

/** Waits until the table shows `count` rows. */
async function showsRows(page: Page, count: number): Promise<void> {
  await pageUntil(
    page,
    (n) =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#viewport [data-target]')].filter(
        (row) => !row.hidden,
      ).length === n,
    count,
  );
}

// One browser for the whole file: launching it is the slowest step.
let browser: Browser;
before(async () => {
  requireBuiltPage();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('web dashboard in a browser', () => {
  const clock = new FakeClock(Date.now());
  let page: Page;
  let web: WebSink;
  let pipeline: Pipeline;
  let servers: TestServer[];
  let fleet: MonitoringFleet;
  const problems: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    web = new WebSink({ port: 0 });
    servers = [await TestServer.start(), await TestServer.start()];
    fleet = new MonitoringFleet({
      targets: [
        { name: 'alpha', uri: servers[0]!.url },
        { name: 'bravo', uri: servers[1]!.url },
      ],
      sinks: [web],
      clock,
      pingInterval: 0,
      reconnectInterval: 1,
      // Killed, alpha retries once (on the fake clock), then gives up: the row goes down.
      maxReconnectAttempts: 1,
    });
    pipeline = fleet.pipeline;
    await fleet.start();
    await until(() => pipeline.targets().every((row) => row.status === 'up'), 3000, 'both connected');
    await servers[0]!.broadcast(
      message({ cpu: 12.5, memory: 40.2, disk: 30.1, host: 'alpha-host', gpu: 37 }),
    );
    await servers[1]!.broadcast(message({ cpu: 87, memory: 95.5, disk: 86, host: HOSTILE }));
    await until(() => pipeline.targets().every((row) => row.snapshot !== null), 3000, 'data from both');
    page = await browser.context.newPage();
    page.on('console', (entry) => {
      if (entry.type() === 'error' || entry.type() === 'warning') problems.push(entry.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  after(async () => {
    await page?.close();
    await fleet?.stop();
    for (const server of servers ?? []) await server.close();
  });

  it('loads, and shows for two targets the numbers their servers sent', async () => {
    const response = await page.goto(web.url!);
    assert.equal(response?.status(), 200);
    await cellShows(page, 'alpha', 'cpu', '12.5%');
    assert.equal(await cell(page, 'alpha', 'memory'), '40.2%');
    assert.equal(await cell(page, 'alpha', 'disk'), '30.1%');
    assert.equal(await cell(page, 'alpha', 'gpu'), '37.0%');
    assert.equal(await cell(page, 'alpha', 'temperature'), '41.0°C');
    assert.equal(await cell(page, 'alpha', 'host'), 'alpha-host');
    assert.equal(await cell(page, 'alpha', 'alerts'), '2');
    assert.equal(await cell(page, 'bravo', 'cpu'), '87.0%');
    assert.equal(await cell(page, 'bravo', 'memory'), '95.5%');
    assert.equal(await cell(page, 'bravo', 'gpu'), 'n/a', 'a server without a GPU shows n/a, not 0');
    assert.equal(await cell(page, 'bravo', 'status'), '●');
    assert.match(await text(page, '#summary'), /^2 targets: 2 up$/);
    assert.equal(await text(page, '#link'), 'live');
    assert.deepEqual(problems, [], 'no script error and no Content-Security-Policy violation');
  });

  it('changes the numbers live, within one coalescing interval', async () => {
    await servers[0]!.broadcast(message({ cpu: 66.6, memory: 41, disk: 30.1, host: 'alpha-host', gpu: 38 }));
    await until(() => pipeline.target('alpha')?.snapshot?.cpu.usagePercent === 66.6, 3000, 'new data');
    assert.equal(await cell(page, 'alpha', 'cpu'), '12.5%', 'not before the interval');
    clock.tick(1000);
    await cellShows(page, 'alpha', 'cpu', '66.6%');
    assert.equal(await cell(page, 'alpha', 'memory'), '41.0%');
    assert.equal(await cell(page, 'alpha', 'gpu'), '38.0%');
  });

  it('sorts worst first by default, then by the column or key chosen, and reverses on the same key', async () => {
    await showsOrder(page, ['bravo', 'alpha'], 'bravo uses 95.5 % of its memory');
    assert.equal(await text(page, '#order'), 'sorted worst first');
    await page.locator('#fleet-head [data-col="name"]').click();
    await showsOrder(page, ['alpha', 'bravo']);
    assert.equal(await text(page, '#order'), 'sorted by name, A to Z');
    await page.keyboard.press('n');
    await showsOrder(page, ['bravo', 'alpha']);
    assert.equal(await text(page, '#order'), 'sorted by name, Z to A');
    await page.keyboard.press('g');
    await showsOrder(page, ['alpha', 'bravo'], 'a GPU before none');
    await page.keyboard.press('c');
    await showsOrder(page, ['bravo', 'alpha'], 'CPU 87 before 66.6');
    await page.keyboard.press('c');
    await showsOrder(page, ['alpha', 'bravo'], 'CPU, lowest first');
    await page.keyboard.press('/');
    await page.keyboard.type('alp');
    await showsRows(page, 1);
    assert.deepEqual(await shownOrder(page), ['alpha']);
    await page.keyboard.press('Escape');
    await showsRows(page, 2);
  });

  it('shows a hostile host name as text, and runs nothing from it', async () => {
    assert.equal(await cell(page, 'bravo', 'host'), HOSTILE);
    const injected = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return {
        pwned: g.pwned ?? null,
        images: g.document.querySelectorAll('#viewport img, #detail img').length,
        scripts: g.document.querySelectorAll('body script').length,
      };
    });
    assert.deepEqual(injected, { pwned: null, images: 0, scripts: 0 });
    assert.deepEqual(dialogs, []);
  });

  it('opens a detail view with live charts, the firing alerts and the connection state', async () => {
    await page.locator('[data-target="alpha"]').click();
    await pageUntil(
      page,
      () => (globalThis as unknown as PageGlobals).location.hash === '#/target/alpha',
      null,
    );
    const before = await chartShows(page, 'cpu', 1);
    for (const chart of ['cpu', 'cores', 'memory', 'disk', 'gpu', 'temperature']) {
      assert.equal(await page.locator(`[data-chart="${chart}"] canvas`).count(), 1, chart);
    }
    assert.equal(await text(page, '#detail-name'), 'alpha');
    assert.equal(await text(page, '#detail-status'), '● up');
    assert.equal(await text(page, '[data-fact="Host"] dd'), 'alpha-host');
    const alerts = await page.locator('#detail-alerts li').allTextContents();
    assert.equal(alerts.length, 2);
    assert.match(alerts[0]!, /^\[CRITICAL\] memory: Critical memory usage: 91.3%/);
    clock.tick(1000);
    await servers[0]!.broadcast(message({ cpu: 70, memory: 41, disk: 30.1, host: 'alpha-host', gpu: 39 }));
    await until(() => pipeline.target('alpha')?.snapshot?.cpu.usagePercent === 70, 3000, 'new data');
    clock.tick(1000);
    assert.equal(await chartShows(page, 'cpu', before + 1), before + 1, 'one more point, live');
    assert.equal(await chartShows(page, 'cores', before + 1), before + 1);
    await page.keyboard.press('Escape');
    await showsRows(page, 2);
  });

  it("changes a killed server's row to reconnecting, and to down when the client gives up", async () => {
    await servers[0]!.close();
    await until(() => pipeline.target('alpha')?.status === 'reconnecting', 3000, 'alpha reconnecting');
    clock.tick(1000);
    await cellShows(page, 'alpha', 'status', '↻');
    assert.equal(await page.locator('[data-target="alpha"]').getAttribute('data-status'), 'reconnecting');
    assert.equal(
      await page.locator('[data-target="alpha"] [data-col="status"]').getAttribute('title'),
      'reconnecting',
    );
    // The retry falls due, is refused, and the client gives up.
    clock.tick(1000);
    await until(() => pipeline.target('alpha')?.status === 'down', 3000, 'alpha down');
    clock.tick(1000);
    await cellShows(page, 'alpha', 'status', '✗');
    await page.keyboard.press('s');
    await showsOrder(page, ['alpha', 'bravo'], 'a down target sorts first by status');
    assert.equal(await text(page, '#summary'), '2 targets: 1 up, 1 down');
  });
});

describe('web dashboard with a token', () => {
  it('refuses the page without the token; ?token= sets an HttpOnly cookie and the page goes live', async () => {
    const token = 'browser-test-token-0123456789';
    const web = new WebSink({ host: '127.0.0.2', port: 0, token });
    const clock = new FakeClock(Date.now());
    const pipeline = new Pipeline({ sinks: [web], clock });
    await pipeline.start();
    pipeline.emit({ type: 'target_added', target: 'only', at: clock.now(), uri: 'ws://x', labels: {} });
    const page = await browser.context.newPage();
    try {
      const refused = await page.goto(web.url!);
      assert.equal(refused?.status(), 401);
      assert.match(await text(page, 'body'), /needs its token/);
      assert.equal(await page.locator('#viewport').count(), 0);
      const wrong = await page.goto(`${web.url}?token=not-the-token-0123456789`);
      assert.equal(wrong?.status(), 401);
      const accepted = await page.goto(`${web.url}?token=${token}`);
      assert.equal(accepted?.status(), 200);
      assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
      await pageUntil(
        page,
        () => (globalThis as unknown as PageGlobals).document.documentElement.dataset.link === 'live',
        null,
      );
      await page.waitForSelector('[data-target="only"]', { timeout: 5000 });
      const cookie = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie);
      assert.equal(cookie, '', 'the cookie is out of reach of scripts');
      const cookies = await browser.context.cookies(web.url!);
      assert.equal(cookies.length, 1);
      assert.equal(cookies[0]?.httpOnly, true);
      assert.equal(cookies[0]?.sameSite, 'Strict');
    } finally {
      await page.close();
      await pipeline.close();
    }
  });
});

describe('web dashboard with 1,000 targets', () => {
  it('draws only the rows in view, scrolls to the last, and sorts the whole fleet', async () => {
    const clock = new FakeClock(Date.now());
    const web = new WebSink();
    // No servers needed here: a pipeline fed directly, as a replay would.
    const pipeline = new Pipeline({ sinks: [web], clock });
    await pipeline.start();
    const data = fixture('real-server', 'monitoring_data') as {
      data: { processor: { usage_percent: number } };
    };
    for (let i = 0; i < 1000; i++) {
      const name = `t${String(i).padStart(4, '0')}`;
      pipeline.emit({ type: 'target_added', target: name, at: clock.now(), uri: `ws://${name}`, labels: {} });
      pipeline.emit({ type: 'connected', target: name, at: clock.now(), uri: `ws://${name}`, attempt: 0 });
      data.data.processor.usage_percent = i / 10;
      pipeline.receive(name, parseFrame(JSON.stringify(data), false, clock.now()));
    }
    const page = await browser.context.newPage();
    try {
      await page.goto(web.url!);
      await pageUntil(
        page,
        () =>
          (globalThis as unknown as PageGlobals).document
            .querySelector('#summary')
            ?.textContent?.startsWith('1000 targets') === true,
        null,
        10_000,
      );
      const elements = await page.locator('#viewport [data-target]').count();
      assert.ok(elements < 60, `${elements} row elements for 1,000 targets`);
      await pageUntil(
        page,
        () =>
          (globalThis as unknown as PageGlobals).document.querySelector('[data-index="0"]')?.dataset
            .target === 't0999',
        null,
      );
      assert.equal((await shownOrder(page))[0], 't0999', 'the busiest CPU first');
      await page.keyboard.press('n');
      await pageUntil(
        page,
        () =>
          (globalThis as unknown as PageGlobals).document.querySelector('[data-index="0"]')?.dataset
            .target === 't0000',
        null,
      );
      await page.keyboard.press('End');
      await pageUntil(
        page,
        () =>
          (globalThis as unknown as PageGlobals).document.querySelector('.row.selected')?.dataset.target ===
          't0999',
        null,
      );
      assert.ok((await page.locator('#viewport [data-target]').count()) < 60, 'still only the rows in view');
    } finally {
      await page.close();
      await pipeline.close();
    }
  });
});

describe('web dashboard charts over a recording', () => {
  it('reaches back over the hours recorded, with the values recorded, joined to the live memory', async () => {
    const HOUR = 3_600_000;
    // Six hours up to now, one message every 10 s, the same CPU through each hour.
    const start = Math.floor((Date.now() - 6 * HOUR) / HOUR) * HOUR;
    const hourly = (at: number) => 10 + ((Math.floor((at - start) / HOUR) * 10) % 80);
    const dir = mkdtempSync(join(tmpdir(), 'mwc-web-charts-'));
    const path = join(dir, 'recording.db');
    const clock = new FakeClock(start);
    const recorder = new RecorderSink({ path });
    const web = new WebSink({ recording: path });
    const pipeline = new Pipeline({ sinks: [recorder, web], clock });
    await pipeline.start();
    const page = await browser.context.newPage();
    try {
      pipeline.emit({ type: 'target_added', target: 'archive', at: start, uri: 'ws://archive', labels: {} });
      pipeline.emit({ type: 'connected', target: 'archive', at: start, uri: 'ws://archive', attempt: 0 });
      const sent: number[] = [];
      for (let at = start; at <= Date.now(); at += 10_000) {
        clock.tick(at - clock.now());
        pipeline.receive('archive', parseFrame(JSON.stringify(message(values(hourly(at)))), false, at));
        sent.push(at);
        if (sent.length % 500 === 0) await recorder.flush();
      }
      await recorder.flush();
      const oldest = web.history.oldest('archive')!;
      assert.ok(oldest > start + 4 * HOUR, 'the memory holds the last 100 minutes only');

      const sixHours = String(6 * HOUR);
      await page.goto(`${web.url!}#/target/archive`);
      await chartShows(page, 'cpu', 1);
      // The long reach, fetched as the button is pressed: its answer is what the chart draws.
      const [answer] = await Promise.all([
        page.waitForResponse(
          (r) =>
            /\/history\?since=/.test(r.url()) &&
            Number(new URL(r.url()).searchParams.get('since')) < start + HOUR,
        ),
        page.locator(`[data-range="${sixHours}"]`).click(),
      ]);
      const series = (await answer.json()) as HistorySeries;
      assert.equal(series.source, 'recording');
      const since = Number(new URL(answer.url()).searchParams.get('since'));
      assert.ok(Math.abs(since - (Date.now() - 6 * HOUR)) < 60_000, 'six hours back');
      await pageUntil(
        page,
        ([selector, from]) =>
          Number((globalThis as unknown as PageGlobals).document.querySelector(selector)?.dataset.from) <=
          from,
        ['[data-chart="cpu"]', since + 60_000] as const,
      );
      const chart = page.locator('[data-chart="cpu"]');
      assert.ok(Number(await chart.getAttribute('data-from')) >= since, 'nothing before the reach');
      assert.equal(Number(await chart.getAttribute('data-to')), sent.at(-1), 'up to the last live point');
      const points = Number(await chart.getAttribute('data-points'));
      assert.ok(points >= 1000 && points <= 2200, `${points} points`);
      assert.equal(await text(page, '#detail-source'), 'from the recording (--record) and memory');
      assert.equal(await page.locator(`[data-range="${sixHours}"]`).getAttribute('aria-pressed'), 'true');
      // Every point is what was recorded at its time (buckets are averages within an hour).
      for (const [k, t] of series.t.entries())
        assert.equal(series.cpu[k], hourly(t), `point at ${t - start}`);
      assert.equal(series.t.at(-1), sent.at(-1));
      // The memory's points, every one of them, after the recording's.
      const memoryPart = series.t.filter((t) => t >= oldest);
      assert.deepEqual(
        memoryPart,
        sent.filter((t) => t >= oldest),
      );
    } finally {
      await page.close();
      await pipeline.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('web dashboard screenshots', () => {
  it('takes the fleet view and a detail view, the same bytes each time (docs/images/ with UPDATE_SCREENSHOTS=1)', async () => {
    const clock = new FakeClock(SCREENSHOT_TIME);
    const web = new WebSink();
    const machines: [string, Values][] = [
      [
        'gpu-box-1',
        { cpu: 92.4, memory: 71, disk: 44, host: 'gpu-box-1', gpu: 97, gpuTemperature: 83, alerts: false },
      ],
      [
        'gpu-box-2',
        { cpu: 35.1, memory: 52.7, disk: 61, host: 'gpu-box-2', gpu: 64, gpuTemperature: 71, alerts: false },
      ],
      ['db-primary', { cpu: 48.9, memory: 91.3, disk: 86, host: 'db-primary' }],
      ['web-1', { cpu: 22.3, memory: 38.4, disk: 27.5, host: 'web-1', alerts: false }],
      ['web-2', { cpu: 19.8, memory: 36.9, disk: 27.4, host: 'web-2', alerts: false }],
      ['build-runner', { cpu: 81.2, memory: 64, disk: 72.9, host: 'build-runner', alerts: false }],
      ['cache-1', { cpu: 6.4, memory: 83.2, disk: 12, host: 'cache-1', alerts: false }],
      ['backup', { cpu: 3.1, memory: 14.8, disk: 58, host: 'backup', alerts: false }],
    ];
    const servers = await Promise.all(machines.map(() => TestServer.start()));
    const fleet = new MonitoringFleet({
      targets: machines.map(([name], i) => ({ name, uri: servers[i]!.url })),
      sinks: [web],
      clock,
      pingInterval: 0,
    });
    const pipeline = fleet.pipeline;
    await fleet.start();
    const page = await browser.context.newPage();
    try {
      await until(() => pipeline.targets().every((row) => row.status === 'up'), 3000, 'all connected');
      for (const [i, [name]] of machines.entries()) pipeline.noteRtt(name, 0.4 + i * 0.3);
      // A minute and a half of history, one point a second, with some movement.
      const clamp = (v: number) => Math.max(0, Math.min(100, Math.round(v * 10) / 10));
      for (let second = 0; second < 90; second++) {
        await Promise.all(
          machines.map(([, values], i) => {
            const wave = Math.sin((second + i * 7) / 9) * 8;
            const cores = Array.from({ length: 8 }, (_, c) => clamp(values.cpu + wave * (1 + c / 4) - c * 3));
            const gpu =
              values.gpu === undefined
                ? {}
                : { gpu: clamp(values.gpu - wave), gpuTemperature: (values.gpuTemperature ?? 40) + wave / 2 };
            return servers[i]!.broadcast(
              message({
                ...values,
                cpu: clamp(values.cpu + wave),
                memory: clamp(values.memory + wave / 4),
                cores,
                ...gpu,
              }),
            );
          }),
        );
        const count = second + 1;
        await until(() => pipeline.targets().every((row) => row.messages >= count), 3000, `second ${second}`);
        clock.tick(1000);
      }
      await servers[7]!.close();
      await until(() => pipeline.target('backup')?.status === 'reconnecting', 3000, 'backup reconnecting');
      clock.tick(1000);
      // The page's clock stands still at the server's: every age and time shown is fixed.
      await page.clock.setFixedTime(clock.now());
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'UTC' });
      await cdp.send('Emulation.setLocaleOverride', { locale: 'en-US' });
      await page.setViewportSize({ width: 1400, height: 420 });
      await page.goto(web.url!);
      await showsRows(page, 8);
      const folder = UPDATE_SCREENSHOTS ? IMAGES : mkdtempSync(join(tmpdir(), 'mwc-screenshots-'));
      mkdirSync(folder, { recursive: true });
      const fleetShot = await page.screenshot({ path: join(folder, 'web-fleet.png') });
      assert.deepEqual(pngSize(fleetShot), [1400, 420]);
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.locator('[data-target="gpu-box-1"]').click();
      await chartShows(page, 'temperature', 90);
      assert.equal(
        await page.locator('[data-fact="Connected since"] dd').textContent(),
        '11/25/2026, 2:00:00 PM',
      );
      // The one random thing shown: the URI's port.
      const mask = [page.locator('[data-fact="URI"] dd')];
      const detailShot = await page.screenshot({
        path: join(folder, 'web-detail.png'),
        mask,
        maskColor: '#12161c',
      });
      assert.deepEqual(pngSize(detailShot), [1400, 1000]);
      assert.deepEqual(
        await page.screenshot({ mask, maskColor: '#12161c' }),
        detailShot,
        'the same bytes again',
      );
      if (!UPDATE_SCREENSHOTS) rmSync(folder, { recursive: true, force: true });
    } finally {
      await page.close();
      await fleet.stop();
      for (const server of servers) await server.close();
    }
  });
});
