/**
 * 7. The Prometheus exporter (issue #15):
 *
 * - a scrape of 1,000 targets: `GET /metrics` over HTTP on loopback, the whole round trip,
 *   in the Prometheus text format and in OpenMetrics (what Prometheus asks for); target:
 *   under 50 ms (median of every timed scrape of every run);
 * - the client's throughput with the exporter on (and scraped every second by this process,
 *   as Prometheus would from its own; 15 times Prometheus's default rate) against the same command without it:
 *   `node dist/cli/bin.js -u URI -f simple --no-reconnect --stats [--prometheus 0] > /dev/null`,
 *   measured in the same run, round after round in alternating order; target: ratio >= 0.95.
 *
 * Each run is a fresh process: prometheus-child.ts (loads the package from dist/) for the
 * scrape, the built command for the throughput.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { get } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ChildReport } from './child.js';
import { compiledEntry } from './compiled.js';
import { type BenchServer, CLI, childEnv, type Exit, exited, newTag, openDevNull, ROOT } from './harness.js';
import type { PrometheusChildSpec, ScrapeResult } from './prometheus-child.js';
import { summarize } from './results.js';
import { check, compared, inRounds, type Row, type Settings } from './suites.js';

const ENTRY = fileURLToPath(new URL('./prometheus-child.ts', import.meta.url));
const TARGETS = 1000;
/**
 * How often the harness scrapes the command in the throughput case: Prometheus scrapes every
 * 15 s by default; a scrape costs the client 1 to 3 ms of CPU, mostly its own process metrics
 * (prom-client reads /proc), which a flood of a few seconds scraped 4 times a second shows.
 */
const SCRAPE_INTERVAL_MS = 1000;
const OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';

/** Scrapes `url` every `intervalMs` until stopped; resolves with the scrapes answered. */
function scrapeEvery(url: string, intervalMs: number): () => Promise<number> {
  let answered = 0;
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pending = fetch(url)
      .then((response) => response.text())
      .then(() => {
        answered++;
      })
      .catch(() => {});
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await pending;
    return answered;
  };
}

/**
 * The body of `GET url`, as bytes: node:http with nothing on top, so that the figure is the
 * endpoint's time to serve, not the cost of a client library (undici's fetch decodes 1.7 MB
 * through web streams at several ms).
 */
function getBody(url: string, accept: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: accept ? { Accept: accept } : {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(Buffer.concat(chunks))
          : reject(new Error(`GET ${url}: ${response.statusCode}`)),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** What the harness does when a child gives it a URL to scrape. */
type Scraper = (url: string, child: ChildProcess) => void;

async function runPrometheusChild<T>(
  spec: PrometheusChildSpec,
  scraper: Scraper,
): Promise<{ result: T; exit: Exit }> {
  const devNull = openDevNull();
  try {
    const child = spawn(process.execPath, [compiledEntry(ENTRY), JSON.stringify(spec)], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', devNull, 'pipe', 'ipc'],
    });
    let report: ChildReport | undefined;
    child.on('message', (message: ChildReport | { scrapeUrl: string }) => {
      if ('scrapeUrl' in message) scraper(message.scrapeUrl, child);
      else report = message;
    });
    const exit = await exited(child);
    if (report === undefined) throw new Error(`prometheus bench exited without a report:\n${exit.stderr}`);
    if (!report.ok) throw new Error(`prometheus bench failed: ${report.error}`);
    return { result: report.result as T, exit };
  } finally {
    closeSync(devNull);
  }
}

export async function prometheusSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const suite = '9. Prometheus exporter';
  const rows: Row[] = [];
  const scrapeRuns = settings.quick ? 2 : 3;
  const scrapesPerRun = settings.quick ? 10 : 20;
  for (const [format, accept] of [
    ['Prometheus text', undefined],
    ['OpenMetrics', OPENMETRICS],
  ] as const) {
    const roundTrip: number[] = [];
    const render: number[] = [];
    const renderCpu: number[] = [];
    let series = 0;
    let bytes = 0;
    for (let run = 0; run < scrapeRuns; run++) {
      progress(`prometheus scrape of ${TARGETS} targets (${format}), run ${run + 1}/${scrapeRuns}`);
      const { result } = await runPrometheusChild<ScrapeResult>(
        { targets: TARGETS, scrapes: scrapesPerRun, ...(accept ? { accept } : {}) },
        (url, child) => {
          void (async () => {
            for (let i = 0; i < 3 + scrapesPerRun; i++) {
              const started = performance.now();
              const body = await getBody(url, accept);
              if (i >= 3) roundTrip.push(performance.now() - started);
              bytes = body.length;
              series = body
                .toString('utf8')
                .split('\n')
                .filter((line) => line.startsWith('monitoring_')).length;
            }
            child.send('done');
          })().catch((error: unknown) => {
            progress(`prometheus scrape failed: ${String(error)}`);
            child.kill('SIGTERM');
          });
        },
      );
      render.push(...result.render);
      renderCpu.push(...result.renderCpu);
    }
    const size = `${series.toLocaleString('en-US')} series, ${Math.round(bytes / 1024)} KiB`;
    rows.push(
      check({
        suite,
        name: `GET /metrics, ${TARGETS.toLocaleString('en-US')} targets (${format}): HTTP round trip from another process`,
        unit: 'ms',
        value: summarize(roundTrip),
        target: { on: 'value', op: '<', limit: 50 },
        note: `${scrapeRuns} runs x ${scrapesPerRun} scrapes; ${size}`,
      }),
      {
        suite,
        name: `${TARGETS.toLocaleString('en-US')} targets (${format}): rendering alone, in the client`,
        unit: 'ms',
        value: summarize(render),
      },
      {
        suite,
        name: `${TARGETS.toLocaleString('en-US')} targets (${format}): CPU time of the rendering`,
        unit: 'ms',
        value: summarize(renderCpu),
        note: `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores at the end`,
      },
    );
  }

  const messages = settings.messages;
  const scrapes: number[] = [];
  const cpu: Record<'with' | 'without', number[]> = { with: [], without: [] };
  const results = await inRounds(
    settings.throughputRounds,
    ['without', 'with'] as const,
    async (name) => {
      const tag = newTag();
      const uri = server.url('/flood', { n: messages, tag });
      const args = ['-u', uri, '-f', 'simple', '--no-reconnect', '--stats'];
      if (name === 'with') args.push('--prometheus', '0');
      const run = await runCliScraped(args);
      // --no-reconnect: the server's close ends the run with exit code 1 ("gave up").
      if (run.exit.code !== 0 && run.exit.code !== 1) {
        throw new Error(`the CLI failed (code ${run.exit.code}):\n${run.exit.stderr}`);
      }
      const received = Number(/Messages received: (\d+)/.exec(run.exit.stderr)?.[1] ?? Number.NaN);
      const { open, closed } = await server.connection(tag);
      if (closed.sent !== messages || received !== messages) {
        throw new Error(`prometheus ${name}: sent ${closed.sent}, received ${received} of ${messages}`);
      }
      if (name === 'with') scrapes.push(run.scrapes);
      cpu[name].push((run.cpuMs * 1000) / messages);
      return messages / ((run.exit.at - open.t) / 1000);
    },
    (text) => progress(`prometheus throughput ${text}`),
  );
  rows.push({
    ...compared(
      suite,
      `CLI -f simple --prometheus 0 > /dev/null (${messages.toLocaleString('en-US')} messages)`,
      'msg/s',
      results.with,
      'CLI -f simple > /dev/null',
      results.without,
      { on: 'ratio', op: '>=', limit: 0.95 },
    ),
    note: `scraped every second from the harness: ${scrapes.join(', ')} scrapes in the runs`,
  });
  rows.push(
    compared(
      suite,
      'CLI -f simple --prometheus 0: CPU time per message (user + system, start-up included)',
      'us',
      cpu.with,
      'CLI -f simple',
      cpu.without,
    ),
  );
  return rows;
}

/** `times` of the shell: its children's user and system CPU, in ms (the last line it prints). */
const TIMES = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/;

/**
 * Runs the CLI with `args` (stdout on /dev/null) under `sh`, whose `times` then says the CPU
 * time the CLI used (on a shared machine, steadier than the wall clock); once the CLI says
 * where its endpoint is, scrapes it every `SCRAPE_INTERVAL_MS` until it exits.
 */
async function runCliScraped(args: string[]): Promise<{ exit: Exit; cpuMs: number; scrapes: number }> {
  const devNull = openDevNull();
  let stopScraping: (() => Promise<number>) | undefined;
  try {
    const script = '"$0" "$@"; status=$?; times >&2; exit $status';
    const child = spawn('/bin/sh', ['-c', script, process.execPath, CLI, ...args], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', devNull, 'pipe'],
    });
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const url = /Prometheus metrics at (http:\/\/\S+\/metrics)/.exec(seen)?.[1];
      if (url !== undefined) {
        child.stderr?.off('data', onData);
        stopScraping = scrapeEvery(url, SCRAPE_INTERVAL_MS);
      }
    };
    child.stderr?.on('data', onData);
    const exit = await exited(child);
    const times = TIMES.exec(exit.stderr);
    if (times === null) throw new Error(`no CPU times from the shell:\n${exit.stderr.slice(-500)}`);
    const [, userMin, userSec, sysMin, sysSec] = times.map(Number) as number[];
    const cpuMs = ((userMin! + sysMin!) * 60 + userSec! + sysSec!) * 1000;
    return { exit, cpuMs, scrapes: (await stopScraping?.()) ?? 0 };
  } finally {
    await stopScraping?.();
    closeSync(devNull);
  }
}
