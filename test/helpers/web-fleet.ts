/**
 * A small fleet for the web dashboard's tests, until MonitoringFleet lands: one real
 * WebSocketClient per target, feeding one Pipeline the way the fleet will (frames, lifecycle
 * events, round trips).
 */
import type { Pipeline } from '../../src/pipeline/pipeline.js';
import type { Clock } from '../../src/transport/clock.js';
import { WebSocketClient, type WebSocketClientOptions } from '../../src/transport/websocket-client.js';

export interface WatchedTarget {
  readonly name: string;
  readonly client: WebSocketClient;
}

export function watchTargets(
  pipeline: Pipeline,
  targets: readonly { name: string; uri: string; labels?: Record<string, string> }[],
  clock: Clock,
  options: WebSocketClientOptions = {},
): { targets: WatchedTarget[]; stop(): Promise<void> } {
  const watched = targets.map(({ name, uri, labels }) => {
    pipeline.emit({ type: 'target_added', target: name, at: clock.now(), uri, labels: labels ?? {} });
    const client = new WebSocketClient(uri, { clock, pingInterval: 0, reconnectInterval: 1, ...options });
    const at = () => clock.now();
    client.on('frame', (frame) => pipeline.receive(name, frame));
    client.on('connected', ({ attempt }) =>
      pipeline.emit({ type: 'connected', target: name, at: at(), uri, attempt }),
    );
    client.on('disconnected', ({ code, reason, willReconnect }) =>
      pipeline.emit({ type: 'disconnected', target: name, at: at(), code, reason, willReconnect }),
    );
    client.on('reconnecting', ({ attempt, delayMs, maxAttempts, lastError }) =>
      pipeline.emit({
        type: 'reconnecting',
        target: name,
        at: at(),
        attempt,
        delayMs,
        maxAttempts,
        ...(lastError ? { lastError: lastError.message } : {}),
      }),
    );
    client.on('give_up', (error) =>
      pipeline.emit({
        type: 'gave_up',
        target: name,
        at: at(),
        message: error.message,
        attempts: error.attempts,
      }),
    );
    client.on('heartbeat', ({ rttMs }) => pipeline.noteRtt(name, rttMs));
    client.start().catch(() => {
      // Reported through the events above.
    });
    return { name, client };
  });
  return {
    targets: watched,
    stop: async () => {
      await Promise.all(watched.map(({ client }) => client.stop()));
    },
  };
}
