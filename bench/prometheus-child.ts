/**
 * The client process of the scrape case of the Prometheus benchmark (bench/prometheus.ts): a
 * pipeline with `targets` targets, each with a fresh record of the real server's GPU sample,
 * two labels and a round trip, and the exporter on a free loopback port. It times `scrapes`
 * renderings (after 3 untimed; wall clock and CPU time, the latter telling the code's cost
 * apart from a busy machine's waits), then sends `{ scrapeUrl }` and waits for the harness, which
 * scrapes it over HTTP from its own process as Prometheus would, to send anything back.
 *
 * Everything is loaded from dist/, what the package ships. Reports over IPC like child.ts.
 *
 * Usage (by the harness): node bench/.build/prometheus-child.mjs (compiled.ts) '<PrometheusChildSpec as JSON>'
 */
import { readFileSync } from 'node:fs';
import type { Pipeline as PipelineType } from '../src/pipeline/pipeline.js';
import type { PrometheusSink as PrometheusSinkType } from '../src/prometheus/prometheus-sink.js';
import type * as Frame from '../src/protocol/frame.js';
import type { ChildReport } from './child.js';

export interface PrometheusChildSpec {
  targets: number;
  scrapes: number;
  /** The scraper's Accept header (the Prometheus text format without one). */
  accept?: string;
}

export interface ScrapeResult {
  /** Milliseconds of each timed rendering of the metrics (no HTTP): wall clock, and CPU time of this process. */
  render: number[];
  renderCpu: number[];
}

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;

async function scrapeCase(spec: PrometheusChildSpec): Promise<ScrapeResult> {
  const [{ Pipeline }, { PrometheusSink }, { parseFrame }] = await Promise.all([
    import(dist('pipeline/pipeline.js')) as Promise<{ Pipeline: typeof PipelineType }>,
    import(dist('prometheus/prometheus-sink.js')) as Promise<{ PrometheusSink: typeof PrometheusSinkType }>,
    import(dist('protocol/frame.js')) as Promise<typeof Frame>,
  ]);
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
  const renderCpu: number[] = [];
  for (let i = 0; i < spec.scrapes; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await sink.render(spec.accept);
    render.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    renderCpu.push((used.user + used.system) / 1000);
  }
  // Then over HTTP, scraped by the harness, until it says done.
  const done = new Promise<void>((resolve) => process.once('message', () => resolve()));
  process.send?.({ scrapeUrl: sink.url });
  await done;
  await pipeline.close();
  return { render, renderCpu };
}

function report(message: ChildReport): void {
  process.send?.(message, () => process.disconnect());
}

scrapeCase(JSON.parse(process.argv[2] ?? '{}') as PrometheusChildSpec).then(
  (result) => report({ ok: true, result }),
  (error: unknown) => {
    process.exitCode = 1;
    report({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  },
);
