/**
 * The client process of the Prometheus benchmark (bench/prometheus.ts), one case per run:
 *
 * - `scrape`: a pipeline with `targets` targets, each with a fresh record of the real
 *   server's GPU sample and two labels, and the exporter on a free loopback port; `scrapes`
 *   timed renderings (after 3 untimed), then the child sends `{ scrapeUrl }` and waits for
 *   the harness, which scrapes it over HTTP, to send anything back.
 * - `throughput`: one WebSocketClient feeding a pipeline whose display sink writes a
 *   `simple` line per record to stdout (the harness points it at /dev/null), with or without
 *   the exporter; with it, the child sends `{ scrapeUrl }` first and the harness scrapes it
 *   every 250 ms while the flood lasts (a Prometheus scrapes every 15 s by default: this is
 *   60 times as often).
 *
 * Everything is loaded from dist/, what the package ships. Reports over IPC like child.ts.
 *
 * Usage (by the harness): node --import tsx bench/prometheus-child.ts '<PrometheusChildSpec as JSON>'
 */
import { readFileSync } from 'node:fs';
import type { SimpleFormatter as SimpleFormatterType } from '../src/formatters/simple-formatter.js';
import type { LineWriter as LineWriterType } from '../src/output/line-writer.js';
import type { Pipeline as PipelineType } from '../src/pipeline/pipeline.js';
import type { Sink } from '../src/pipeline/sink.js';
import type { PrometheusSink as PrometheusSinkType } from '../src/prometheus/prometheus-sink.js';
import type { WebSocketClient as WebSocketClientType } from '../src/transport/websocket-client.js';
import type { ChildReport } from './child.js';

export type PrometheusChildSpec =
  | { case: 'scrape'; targets: number; scrapes: number; accept?: string }
  | { case: 'throughput'; uri: string; prometheus: boolean };

export interface ScrapeResult {
  /** Milliseconds of each timed rendering of the metrics (no HTTP). */
  render: number[];
}

export interface PrometheusThroughputResult {
  received: number;
  /** Scrapes the endpoint answered. */
  scrapes: number;
}

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;

async function load() {
  const [{ Pipeline }, { PrometheusSink }, { WebSocketClient }, { SimpleFormatter }, { LineWriter }, frame] =
    await Promise.all([
      import(dist('pipeline/pipeline.js')) as Promise<{ Pipeline: typeof PipelineType }>,
      import(dist('prometheus/prometheus-sink.js')) as Promise<{ PrometheusSink: typeof PrometheusSinkType }>,
      import(dist('transport/websocket-client.js')) as Promise<{
        WebSocketClient: typeof WebSocketClientType;
      }>,
      import(dist('formatters/simple-formatter.js')) as Promise<{
        SimpleFormatter: typeof SimpleFormatterType;
      }>,
      import(dist('output/line-writer.js')) as Promise<{ LineWriter: typeof LineWriterType }>,
      import(dist('protocol/frame.js')) as Promise<typeof import('../src/protocol/frame.js')>,
    ]);
  return {
    Pipeline,
    PrometheusSink,
    WebSocketClient,
    SimpleFormatter,
    LineWriter,
    parseFrame: frame.parseFrame,
  };
}

async function scrapeCase(spec: Extract<PrometheusChildSpec, { case: 'scrape' }>): Promise<ScrapeResult> {
  const { Pipeline, PrometheusSink, parseFrame } = await load();
  const text = readFileSync(
    new URL('../test/fixtures/real-server/monitoring_data_gpu.json', import.meta.url),
    'utf8',
  );
  const sink = new PrometheusSink({ port: 0 });
  const pipeline = new Pipeline({ sinks: [sink] });
  await pipeline.start();
  for (let i = 0; i < spec.targets; i++) {
    const target = `host-${i}`;
    const uri = `ws://10.0.${Math.floor(i / 250)}.${i % 250}:8765`;
    const at = Date.now();
    pipeline.emit({
      type: 'target_added',
      target,
      at,
      uri,
      labels: { site: `site-${i % 4}`, rack: `r${i % 32}` },
    });
    pipeline.emit({ type: 'connected', target, at, uri, attempt: 0 });
    pipeline.receive(target, parseFrame(text, false, Date.now()));
    pipeline.noteRtt(target, 0.4 + (i % 10) / 10);
  }
  // Rendering alone, in this process.
  for (let i = 0; i < 3; i++) await sink.render(spec.accept);
  const render: number[] = [];
  for (let i = 0; i < spec.scrapes; i++) {
    const started = performance.now();
    await sink.render(spec.accept);
    render.push(performance.now() - started);
  }
  // Then over HTTP, scraped by the harness (another process, as Prometheus is), until it says done.
  const done = new Promise<void>((resolve) => process.once('message', () => resolve()));
  process.send?.({ scrapeUrl: sink.url });
  await done;
  await pipeline.close();
  return { render };
}

async function throughputCase(
  spec: Extract<PrometheusChildSpec, { case: 'throughput' }>,
): Promise<PrometheusThroughputResult> {
  const { Pipeline, PrometheusSink, WebSocketClient, SimpleFormatter, LineWriter } = await load();
  const formatter = new SimpleFormatter();
  const output = LineWriter.for(process.stdout);
  const display: Sink = {
    name: 'display',
    write: (record) => output.writeLine(formatter.formatMonitoringData(record.snapshot, record.message)),
    close: async () => output.flush(),
  };
  const exporter = spec.prometheus ? new PrometheusSink({ port: 0 }) : undefined;
  const pipeline = new Pipeline({ sinks: exporter ? [display, exporter] : [display] });
  await pipeline.start();
  const target = 'bench';
  pipeline.emit({ type: 'target_added', target, at: Date.now(), uri: spec.uri, labels: { site: 'bench' } });
  const client = new WebSocketClient(spec.uri, { reconnect: false, pingInterval: 0 });
  client.on('frame', (frame) => pipeline.receive(target, frame));
  client.on('connected', ({ uri, attempt }) =>
    pipeline.emit({ type: 'connected', target, at: Date.now(), uri, attempt }),
  );
  // The scraper is another process, as Prometheus is: the harness, told where to scrape.
  if (exporter) process.send?.({ scrapeUrl: exporter.url });
  const closed = new Promise<void>((resolve) => client.on('disconnected', () => resolve()));
  await client.start();
  await closed;
  const received = client.getStatistics().messagesReceived;
  const scrapes = (exporter?.stats().scrapes as number | undefined) ?? 0;
  await client.stop();
  await pipeline.close();
  return { received, scrapes };
}

function report(message: ChildReport): void {
  process.send?.(message, () => process.disconnect());
}

const spec = JSON.parse(process.argv[2] ?? '{}') as PrometheusChildSpec;
(spec.case === 'scrape' ? scrapeCase(spec) : throughputCase(spec)).then(
  (result) => report({ ok: true, result }),
  (error: unknown) => {
    process.exitCode = 1;
    report({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  },
);
