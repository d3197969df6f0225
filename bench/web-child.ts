/**
 * The fleet process of the web benchmark: `count` targets (one WebSocketClient each, the
 * default heartbeat) feeding one Pipeline, with the WebSink (`web: true`) or without any sink.
 * Built code (dist/) is measured. Talks to bench/web.ts over IPC:
 *
 *   child ─▶ { event: 'ready', url }       every target connected (url: the dashboard, or null)
 *   parent ─▶ { cmd: 'measure', windowMs } child ─▶ { event: 'measured', result: FanInResult }
 *   parent ─▶ { cmd: 'stop' }              the child closes everything and exits
 *
 * Usage (by bench/web.ts): node --import tsx bench/web-child.ts '{"uri":..., "count":1000, "web":true}'
 */
import type * as Library from '../src/index.js';
import type * as PipelineModule from '../src/pipeline/pipeline.js';
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
  const { WebSocketClient, WebSink } = (await import(
    new URL('../dist/index.js', import.meta.url).href
  )) as typeof Library;
  const { Pipeline } = (await import(
    new URL('../dist/pipeline/pipeline.js', import.meta.url).href
  )) as typeof PipelineModule;
  const web = spec.web ? new WebSink({ port: 0 }) : undefined;
  const pipeline = new Pipeline({ sinks: web ? [web] : [] });
  await pipeline.start();
  let received = 0;
  const clients: InstanceType<typeof WebSocketClient>[] = [];
  for (let i = 0; i < spec.count; i += FAN_IN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(spec.count, i + FAN_IN_BATCH); j++) {
      const name = `target-${j}`;
      pipeline.emit({ type: 'target_added', target: name, at: Date.now(), uri: spec.uri, labels: {} });
      const client = new WebSocketClient(spec.uri);
      client.on('frame', (frame) => {
        received++;
        pipeline.receive(name, frame);
      });
      client.on('connected', ({ attempt }) =>
        pipeline.emit({ type: 'connected', target: name, at: Date.now(), uri: spec.uri, attempt }),
      );
      client.on('disconnected', ({ code, reason, willReconnect }) =>
        pipeline.emit({ type: 'disconnected', target: name, at: Date.now(), code, reason, willReconnect }),
      );
      client.on('heartbeat', ({ rttMs }) => pipeline.noteRtt(name, rttMs));
      clients.push(client);
      batch.push(client.start());
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
    await Promise.all(clients.map((client) => client.stop()));
    await pipeline.close();
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
