/**
 * The dashboard benchmark's client process: a fleet of `count` targets on one pipeline (one
 * WebSocketClient each, against the bench server's /fanin, one message a second each),
 * with or without the dashboard drawing on this process's terminal. The harness runs it
 * under `script`, so that terminal is a real pseudo-terminal of a fixed size. The result
 * (CPU over a window, and the dashboard's frame times) goes to a file: `script` stands
 * between this process and the harness, so there is no IPC channel.
 *
 * Usage (by the harness): BENCH_DASHBOARD='<spec as JSON>' node bench/.build/dashboard-child.mjs (compiled.ts)
 */
import { writeFileSync } from 'node:fs';
import type * as Dashboard from '../src/dashboard/dashboard-sink.js';
import type * as Terminal from '../src/dashboard/terminal.js';
import type * as PipelineModule from '../src/pipeline/pipeline.js';
import type { Sink } from '../src/pipeline/sink.js';
import type * as Transport from '../src/transport/websocket-client.js';
import { FAN_IN_BATCH, measureWindow } from './baselines.js';
import type { FanInResult } from './results.js';

export interface DashboardChildSpec {
  uri: string;
  count: number;
  dashboard: boolean;
  warmupMs: number;
  windowMs: number;
  resultFile: string;
}

export interface DashboardChildResult extends FanInResult {
  /** The dashboard's statistics at the end of the window (null without it). */
  dashboard: Dashboard.DashboardStatistics | null;
  /** Frames drawn during the window. */
  framesInWindow: number;
  /** Mean time to build and write one frame during the window, in ms. */
  frameMsInWindow: number;
}

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;

async function main(spec: DashboardChildSpec): Promise<DashboardChildResult> {
  const { Pipeline } = (await import(dist('pipeline/pipeline.js'))) as typeof PipelineModule;
  const { WebSocketClient } = (await import(dist('transport/websocket-client.js'))) as typeof Transport;
  let dashboard: Dashboard.DashboardSink | undefined;
  const sinks: Sink[] = [];
  if (spec.dashboard) {
    // As the command does (src/cli/features/dashboard.ts): React's production build.
    process.env.NODE_ENV ??= 'production';
    const { DashboardSink } = (await import(dist('dashboard/dashboard-sink.js'))) as typeof Dashboard;
    const { TtyTerminal } = (await import(dist('dashboard/terminal.js'))) as typeof Terminal;
    dashboard = new DashboardSink({
      terminal: new TtyTerminal({ stdout: process.stdout, stdin: process.stdin }),
      color: true,
    });
    sinks.push(dashboard);
  }
  const pipeline = new Pipeline({ sinks });
  await pipeline.start();
  let received = 0;
  const clients: Transport.WebSocketClient[] = [];
  for (let i = 0; i < spec.count; i += FAN_IN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(spec.count, i + FAN_IN_BATCH); j++) {
      const name = `node-${String(j).padStart(4, '0')}`;
      pipeline.emit({ type: 'target_added', target: name, at: Date.now(), uri: spec.uri, labels: {} });
      const client = new WebSocketClient(spec.uri, { reconnect: false });
      client.on('connected', ({ uri, attempt }) =>
        pipeline.emit({ type: 'connected', target: name, at: Date.now(), uri, attempt }),
      );
      client.on('frame', (frame) => {
        received++;
        pipeline.receive(name, frame);
      });
      clients.push(client);
      batch.push(client.start());
    }
    await Promise.all(batch);
  }
  await new Promise((resolve) => setTimeout(resolve, spec.warmupMs));
  const before = dashboard?.stats();
  const window = await measureWindow(0, spec.windowMs, () => received);
  const after = dashboard?.stats();
  await pipeline.close();
  await Promise.all(clients.map((client) => client.stop()));
  const frames = (after?.frames ?? 0) - (before?.frames ?? 0);
  // Totals from the means, so that the first frames (loading, compiling) stay out.
  const total = (stats?: Dashboard.DashboardStatistics) =>
    stats === undefined ? 0 : stats.meanFrameMs * stats.frames;
  return {
    ...window,
    dashboard: after ?? null,
    framesInWindow: frames,
    frameMsInWindow: frames === 0 ? 0 : (total(after) - total(before)) / frames,
  };
}

const spec = JSON.parse(process.env.BENCH_DASHBOARD ?? '{}') as DashboardChildSpec;
main(spec).then(
  (result) => {
    writeFileSync(spec.resultFile, JSON.stringify({ ok: true, result }));
    process.exit(0);
  },
  (error: unknown) => {
    writeFileSync(
      spec.resultFile,
      JSON.stringify({ ok: false, error: String(error instanceof Error ? error.stack : error) }),
    );
    process.exit(1);
  },
);
