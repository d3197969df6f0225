/**
 * The fleet process of the web benchmark: a MonitoringFleet of `count` targets (the default
 * heartbeat and reconnection) with the WebSink (`web: true`) or without it; a counting sink
 * in both. Built code (dist/) is measured.
 * Talks to bench/web.ts over IPC:
 *
 *   child ─▶ { event: 'ready', url }       every target connected (url: the dashboard, or null)
 *   parent ─▶ { cmd: 'measure', windowMs } child ─▶ { event: 'measured', result: FanInResult }
 *   parent ─▶ { cmd: 'stop' }              the child closes everything and exits
 *
 * Usage (by bench/web.ts): node bench/.build/web-child.mjs (compiled.ts) '{"uri":..., "count":1000, "web":true}'
 */

import type * as Library from '../src/index.js';
import type * as WebEntry from '../src/web/index.js';
import { FAN_IN_BATCH, measureWindow } from './baselines.js';
import type { FanInResult } from './results.js';

export interface WebChildSpec {
  uri: string;
  count: number;
  web: boolean;
}

export type WebChildMessage =
  | { event: 'ready'; url: string | null }
  | { event: 'measured'; result: FanInResult }
  | { event: 'failed'; error: string };

async function main(spec: WebChildSpec): Promise<void> {
  const { MonitoringFleet } = (await import(
    new URL('../dist/index.js', import.meta.url).href
  )) as typeof Library;
  const { WebSink } = (await import(
    new URL('../dist/web/index.js', import.meta.url).href
  )) as typeof WebEntry;
  const web = spec.web ? new WebSink({ port: 0 }) : undefined;
  let received = 0;
  const counter = { name: 'count', write: () => void received++ };
  const fleet = new MonitoringFleet({ sinks: web ? [counter, web] : [counter] });
  await fleet.start();
  for (let i = 0; i < spec.count; i += FAN_IN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(spec.count, i + FAN_IN_BATCH); j++) {
      const name = `target-${j}`;
      await fleet.add({ name, uri: spec.uri });
      batch.push(fleet.whenConnected(name));
    }
    await Promise.all(batch);
  }
  process.send?.({ event: 'ready', url: web?.url ?? null } satisfies WebChildMessage);

  process.on('message', async (message: { cmd: 'measure'; windowMs: number } | { cmd: 'stop' }) => {
    if (message.cmd === 'measure') {
      const result = await measureWindow(0, message.windowMs, () => received);
      process.send?.({ event: 'measured', result } satisfies WebChildMessage);
      return;
    }
    await fleet.stop();
    process.disconnect();
  });
}

main(JSON.parse(process.argv[2] ?? '{}') as WebChildSpec).catch((error: unknown) => {
  process.exitCode = 1;
  process.send?.({
    event: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  } satisfies WebChildMessage);
  process.disconnect?.();
});
