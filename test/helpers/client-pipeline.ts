/**
 * Real WebSocketClient instances feeding one Pipeline, as the fleet does: each target's
 * frames, connection events and round trips go to the pipeline under the target's name.
 * For the tests and benchmarks of the sinks until they run on MonitoringFleet.
 */
import type { Pipeline } from '../../src/pipeline/pipeline.js';
import { WebSocketClient, type WebSocketClientOptions } from '../../src/transport/websocket-client.js';

export interface LiveTarget {
  name: string;
  uri: string;
  labels?: Record<string, string>;
}

/** Adds each target to `pipeline`, and connects a client to it (resolves once all are connected). */
export async function connectTargets(
  pipeline: Pipeline,
  targets: readonly LiveTarget[],
  options: WebSocketClientOptions = {},
): Promise<WebSocketClient[]> {
  const clients = targets.map((target) => {
    const at = () => Date.now();
    pipeline.emit({
      type: 'target_added',
      target: target.name,
      at: at(),
      uri: target.uri,
      labels: target.labels ?? {},
    });
    const client = new WebSocketClient(target.uri, options);
    client.on('frame', (frame) => pipeline.receive(target.name, frame));
    client.on('connected', ({ uri, attempt }) =>
      pipeline.emit({ type: 'connected', target: target.name, at: at(), uri, attempt }),
    );
    client.on('disconnected', ({ code, reason, willReconnect }) =>
      pipeline.emit({ type: 'disconnected', target: target.name, at: at(), code, reason, willReconnect }),
    );
    client.on('reconnecting', ({ attempt, delayMs, maxAttempts }) =>
      pipeline.emit({ type: 'reconnecting', target: target.name, at: at(), attempt, delayMs, maxAttempts }),
    );
    client.on('heartbeat', ({ rttMs }) => pipeline.noteRtt(target.name, rttMs));
    return client;
  });
  await Promise.all(clients.map((client) => client.start()));
  return clients;
}
