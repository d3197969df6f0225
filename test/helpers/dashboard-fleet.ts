/**
 * A fleet for the dashboard's tests: a real Pipeline on a FakeClock, targets added and
 * connected through its events, and monitoring messages built from the real server's
 * fixtures (with the values a test chooses) fed through `receive`, as the transport does.
 */
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { Sink } from '../../src/pipeline/sink.js';
import { parseFrame } from '../../src/protocol/frame.js';
import { FakeClock } from './fake-clock.js';
import { fixture } from './fixtures.js';

export interface Metrics {
  cpu?: number | null;
  memory?: number | null;
  disk?: number | null;
  /** null: the server has no GPU. */
  gpu?: number | null;
  hostname?: string;
  perCore?: number[];
  alerts?: unknown[];
  diskPath?: string;
  gpuPower?: number;
}

/** A real server's `monitoring_data` message with these values (a field set to null is left out). */
export function monitoringMessage(metrics: Metrics = {}): Record<string, unknown> {
  const message = fixture('real-server', 'monitoring_data_gpu') as {
    data: Record<string, Record<string, unknown>>;
    alerts?: unknown[];
  };
  const data = message.data;
  const set = (section: Record<string, unknown>, field: string, value: unknown) => {
    if (value === null) delete section[field];
    else if (value !== undefined) section[field] = value;
  };
  set(data.processor!, 'usage_percent', metrics.cpu);
  set(data.memory!, 'percentage', metrics.memory);
  set(data.disk!, 'percentage', metrics.disk);
  if (metrics.gpu === null) delete data.gpu;
  else set(data.gpu!, 'gpu_usage_percent', metrics.gpu);
  if (metrics.gpuPower !== undefined && data.gpu !== undefined) {
    data.gpu.power_draw = metrics.gpuPower;
    data.gpu.power_limit = 700;
  }
  set(data.system!, 'hostname', metrics.hostname);
  set(data.processor!, 'per_core_usage', metrics.perCore);
  set(data.disk!, 'path', metrics.diskPath);
  if (metrics.alerts !== undefined) message.alerts = metrics.alerts;
  return message;
}

export class TestFleet {
  readonly clock = new FakeClock();
  readonly pipeline: Pipeline;

  constructor(sinks: Sink[] = [], staleAfter = 15) {
    this.pipeline = new Pipeline({ sinks, clock: this.clock, staleAfter });
  }

  async start(): Promise<this> {
    await this.pipeline.start();
    return this;
  }

  /** Adds `name` and, unless `connect` is false, connects it. */
  add(name: string, connect = true): this {
    const at = this.clock.now();
    this.pipeline.emit({
      type: 'target_added',
      target: name,
      at,
      uri: `ws://127.0.0.1:1/${name}`,
      labels: {},
    });
    if (connect)
      this.pipeline.emit({
        type: 'connected',
        target: name,
        at,
        uri: `ws://127.0.0.1:1/${name}`,
        attempt: 0,
      });
    return this;
  }

  /** One monitoring message of `name`, received now. */
  send(name: string, metrics: Metrics = {}): this {
    this.pipeline.receive(
      name,
      parseFrame(JSON.stringify(monitoringMessage(metrics)), false, this.clock.now()),
    );
    return this;
  }

  /** The link of `name` is lost, with a retry scheduled. */
  lose(name: string): this {
    const at = this.clock.now();
    this.pipeline.emit({
      type: 'disconnected',
      target: name,
      at,
      code: 1006,
      reason: '',
      willReconnect: true,
    });
    this.pipeline.emit({
      type: 'reconnecting',
      target: name,
      at,
      attempt: 1,
      delayMs: 1000,
      maxAttempts: null,
    });
    return this;
  }

  /** `name` gave up. */
  giveUp(name: string): this {
    this.pipeline.emit({
      type: 'gave_up',
      target: name,
      at: this.clock.now(),
      message: 'refused',
      attempts: 3,
    });
    return this;
  }
}
