/**
 * A script for resource-bounds.test.ts: `node --import tsx stop-and-exit.ts '<json>'` starts a
 * MonitoringClient with every feature that holds a timer or a handle (heartbeat, save-data and
 * its watchdog, history, output to stdout), brings it to a state, calls stop(), prints
 * `{"stopped":true,...}` and then does nothing: the process must exit by itself, promptly.
 *
 * States: `receiving` (5 records received), `reconnecting` (waiting for a 30 s retry timer),
 * `handshake` (a handshake that never completes, 30 s connect timeout), `deaf` (connected to a
 * peer that never answers the close frame; closeTimeout 0.2 s).
 */
import { MonitoringClient } from '../../src/client/monitoring-client.js';

interface StopOptions {
  uri: string;
  state: 'receiving' | 'reconnecting' | 'handshake' | 'deaf';
  saveData: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as StopOptions;
let records = 0;
const client = new MonitoringClient({
  uri: options.uri,
  formatType: 'jsonl',
  output: process.stdout,
  notices: process.stderr,
  storeHistory: true,
  saveData: options.saveData,
  pingInterval: 0.05,
  pingTimeout: 1,
  reconnectInterval: 30,
  connectTimeout: 30,
  closeTimeout: 0.2,
  onMessage: () => {
    records++;
  },
});

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

void client.start().catch(() => {
  // stop() during a handshake rejects start(): expected in the `handshake` state.
});
switch (options.state) {
  case 'receiving':
    await until(() => records >= 5);
    break;
  case 'reconnecting':
    await until(() => client.wsClient.state === 'reconnecting');
    break;
  case 'handshake':
    await until(() => client.wsClient.state === 'connecting');
    await new Promise((resolve) => setTimeout(resolve, 50));
    break;
  case 'deaf':
    await until(() => client.isConnected());
    break;
}
const started = performance.now();
await client.stop();
const stopMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ stopped: true, state: options.state, stopMs, resources: process.getActiveResourcesInfo() })}\n`,
);
