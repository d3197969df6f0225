/**
 * Helpers of the recording tests: monitoring frames with chosen values, written the way the
 * Python server writes them (`", "` and `": "` separators), and a WebSocketClient wired to a
 * Pipeline the way the fleet wires its targets.
 */
import { Writable } from 'node:stream';
import type { PipelineEvent } from '../../src/pipeline/events.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { parseFrame } from '../../src/protocol/frame.js';
import { RecorderSink } from '../../src/recording/recorder-sink.js';
import type { WebSocketClient } from '../../src/transport/websocket-client.js';
import { FakeClock } from './fake-clock.js';
import { fixture } from './fixtures.js';

export interface FrameValues {
  cpu?: number | null;
  memory?: number;
  disk?: number;
  gpu?: number;
  host?: string;
  seq?: number;
}

/** JSON as Python's json.dumps writes it: the same text, with spaces after `,` and `:`. */
export function pythonJson(value: unknown): string {
  // Indented JSON folded back onto one line: strings never hold a raw line break.
  return JSON.stringify(value, null, 1)
    .replace(/,\n\s*/g, ', ')
    .replace(/\n\s*/g, '');
}

/** A real-dialect `monitoring_data` frame (the GPU fixture) with these values. */
export function metricsFrame(values: FrameValues = {}): string {
  const message = fixture('real-server', 'monitoring_data_gpu') as {
    data: {
      processor: { usage_percent: number | null };
      memory: { percentage: number };
      disk: { percentage: number };
      gpu: { gpu_usage_percent: number };
      system: { hostname: string };
    };
    seq?: number;
  };
  const data = message.data;
  if (values.cpu !== undefined) data.processor.usage_percent = values.cpu;
  if (values.memory !== undefined) data.memory.percentage = values.memory;
  if (values.disk !== undefined) data.disk.percentage = values.disk;
  if (values.gpu !== undefined) data.gpu.gpu_usage_percent = values.gpu;
  if (values.host !== undefined) data.system.hostname = values.host;
  if (values.seq !== undefined) message.seq = values.seq;
  return pythonJson(message);
}

/**
 * Feeds `client`'s frames and lifecycle to `pipeline` as target `name` (what MonitoringFleet
 * does for each of its targets).
 */
export function feedPipeline(client: WebSocketClient, name: string, pipeline: Pipeline): void {
  pipeline.emit({
    type: 'target_added',
    target: name,
    at: Date.now(),
    uri: client.uri,
    labels: { role: 'test' },
  });
  client.on('frame', (frame) => pipeline.receive(name, frame));
  client.on('connected', ({ uri, attempt }) =>
    pipeline.emit({ type: 'connected', target: name, at: Date.now(), uri, attempt }),
  );
  client.on('disconnected', ({ code, reason, willReconnect }) =>
    pipeline.emit({ type: 'disconnected', target: name, at: Date.now(), code, reason, willReconnect }),
  );
}

/** A stream that keeps what is written to it. */
export function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Writes a recording at `path` on a fake clock: `frames` are [target, time (ms), values],
 * then `events` are emitted; everything is committed when it resolves.
 */
export async function writeRecording(
  path: string,
  frames: readonly (readonly [string, number, FrameValues])[],
  events: readonly PipelineEvent[] = [],
  options: { flushRows?: number } = {},
): Promise<void> {
  const clock = new FakeClock(frames[0]?.[1]);
  const errors: Error[] = [];
  const pipeline = new Pipeline({
    sinks: [new RecorderSink({ path, ...options })],
    clock,
    onSinkError: (_sink, error) => errors.push(error),
  });
  await pipeline.start();
  for (const [target, at, values] of frames) {
    pipeline.receive(target, parseFrame(metricsFrame(values), false, at));
  }
  for (const event of events) pipeline.emit(event);
  await pipeline.close();
  if (errors.length > 0) throw errors[0];
}
