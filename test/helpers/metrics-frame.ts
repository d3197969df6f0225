/**
 * A real server's `monitoring_data` message (the fixture) with chosen values, for tests whose
 * servers must cross a threshold: `metricsFrame({ cpu: 95 })`.
 */
import type { AlertSnapshot } from '../../src/protocol/snapshot.js';
import { fixture } from './fixtures.js';

export interface MetricValues {
  cpu?: number;
  memory?: number;
  disk?: number;
  /** GPU usage %; the GPU is absent unless one of the gpu values is given. */
  gpu?: number;
  gpuMemory?: number;
  gpuTemperature?: number;
  hostname?: string;
  /** The server's own alerts (top-level `alerts`), in the wire's field names. */
  alerts?: (Omit<AlertSnapshot, 'value' | 'threshold'> & { value?: number; threshold?: number })[];
}

/** The message as an object. */
export function metricsMessage(values: MetricValues = {}): Record<string, unknown> {
  const message = fixture('real-server', 'monitoring_data') as {
    data: Record<string, Record<string, unknown>>;
    alerts?: unknown;
  };
  const data = message.data;
  if (values.cpu !== undefined) (data.processor as Record<string, unknown>).usage_percent = values.cpu;
  if (values.memory !== undefined) (data.memory as Record<string, unknown>).percentage = values.memory;
  if (values.disk !== undefined) (data.disk as Record<string, unknown>).percentage = values.disk;
  if (values.hostname !== undefined) (data.system as Record<string, unknown>).hostname = values.hostname;
  if (values.gpu !== undefined || values.gpuMemory !== undefined || values.gpuTemperature !== undefined) {
    data.gpu = {
      name: 'Test GPU',
      gpu_usage_percent: values.gpu ?? 0,
      memory_percentage: values.gpuMemory ?? 0,
      temperature: values.gpuTemperature ?? null,
    };
  }
  if (values.alerts !== undefined) message.alerts = values.alerts;
  return message;
}

/** The message as the text of one frame. */
export function metricsFrame(values: MetricValues = {}): string {
  return JSON.stringify(metricsMessage(values));
}
