/**
 * One real WebSocketClient feeding a Pipeline, as the fleet does for each of its targets:
 * `target_added`, then its frames and connection events. For end-to-end tests of sinks.
 */
import type { Pipeline } from '../../src/pipeline/pipeline.js';
import { WebSocketClient } from '../../src/transport/websocket-client.js';

export async function watchTarget(
  pipeline: Pipeline,
  name: string,
  uri: string,
  labels: Record<string, string> = {},
): Promise<WebSocketClient> {
  const client = new WebSocketClient(uri, { reconnectInterval: 0.05, pingInterval: 0 });
  pipeline.emit({ type: 'target_added', target: name, at: Date.now(), uri, labels });
  client.on('frame', (frame) => pipeline.receive(name, frame));
  client.on('connected', ({ attempt }) =>
    pipeline.emit({ type: 'connected', target: name, at: Date.now(), uri, attempt }),
  );
  client.on('disconnected', ({ code, reason, willReconnect }) =>
    pipeline.emit({ type: 'disconnected', target: name, at: Date.now(), code, reason, willReconnect }),
  );
  await client.start();
  return client;
}
