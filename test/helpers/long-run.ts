/**
 * A long run in one process, for the memory test of resource-bounds.test.ts: run it as
 * `node --expose-gc --import tsx long-run.ts '<json>'`. A ws server in this process sends
 * monitoring messages, up to the last checkpoint, to a MonitoringClient (jsonl format to a sink that discards,
 * history on, save-data with rotation), in steps; at each checkpoint, once the client has
 * handled every message sent and written every saved line, it collects garbage and notes the
 * heap and the resident memory. Prints one JSON line: {"checkpoints":[{"messages","heapUsed","rss"}],"stats":{...}}.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MonitoringClient } from '../../src/client/monitoring-client.js';

interface LongRunOptions {
  /** Connections of the reconnection phase at which the heap is measured. */
  reconnects?: number[];
  checkpoints: number[];
  saveData: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LongRunOptions;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const base = JSON.parse(
  readFileSync(new URL('../fixtures/real-server/monitoring_data.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await once(wss, 'listening');
const connected = once(wss, 'connection');
let handled = 0;
const client = new MonitoringClient({
  uri: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
  formatType: 'jsonl',
  output: new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  }),
  notices: null,
  storeHistory: true,
  saveData: options.saveData,
  saveDataMaxSize: 4 * 1024 * 1024,
  saveDataMaxFiles: 2,
  pingInterval: 0,
  onMessage: () => {
    handled++;
  },
});
await client.start();
const [socket] = (await connected) as [import('ws').WebSocket];

const settle = async (target: number) => {
  while (handled < target || (client.getStatistics().logging?.pendingBytes ?? 0) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

const checkpoints: { messages: number; heapUsed: number; rss: number }[] = [];
let sent = 0;
for (const checkpoint of options.checkpoints) {
  while (sent < checkpoint) {
    const end = Math.min(checkpoint, sent + 2000);
    for (; sent < end; sent++)
      socket.send(
        JSON.stringify({
          ...base,
          seq: sent,
          timestamp: `2026-11-25T16:46:${String(sent % 60).padStart(2, '0')}.000000`,
        }),
      );
    // Stay at most one step ahead of the client, as a server at the speed of the socket would.
    await settle(end - 2000);
  }
  await settle(checkpoint);
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const memory = process.memoryUsage();
  checkpoints.push({ messages: checkpoint, heapUsed: memory.heapUsed, rss: memory.rss });
}
await client.stop();
socket.terminate();

// Then reconnections: each connection gets one message and is cut; the client comes back
// after 1 ms. The last one of a step is left open, so that the heap is measured at rest.
const reconnects: { connections: number; heapUsed: number; rss: number }[] = [];
let connections = 0;
let keepOpenAt = 0;
let open: import('ws').WebSocket | undefined;
wss.on('connection', (ws) => {
  connections++;
  ws.on('error', () => {});
  ws.send(JSON.stringify(base));
  if (connections === keepOpenAt) open = ws;
  else ws.terminate();
});
const churn = new MonitoringClient({
  uri: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
  output: null,
  notices: null,
  pingInterval: 0.5,
  reconnectInterval: 0.001,
  reconnectBackoff: { jitter: 0 },
});
const firstConnection = connections;
void churn.start().catch(() => {});
for (const target of options.reconnects ?? []) {
  keepOpenAt = firstConnection + target;
  while (open === undefined || !churn.isConnected()) await new Promise((resolve) => setTimeout(resolve, 2));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const memory = process.memoryUsage();
  reconnects.push({ connections: target, heapUsed: memory.heapUsed, rss: memory.rss });
  const current: import('ws').WebSocket = open;
  open = undefined;
  current.terminate();
}
await churn.stop();
for (const ws of wss.clients) ws.terminate();
await new Promise<void>((resolve) => wss.close(() => resolve()));
const stats = client.getStatistics();
const churnStats = churn.getStatistics();
process.stdout.write(
  `${JSON.stringify({
    checkpoints,
    reconnects,
    stats: {
      messagesReceived: stats.messagesReceived,
      recordsDisplayed: stats.recordsDisplayed,
      historySize: client.getHistory().length,
      saved: stats.logging?.messagesWritten,
      rotations: stats.logging?.rotations,
      disconnections: churnStats.totalDisconnections,
      errorHistory: churnStats.errorHistory.length,
    },
  })}\n`,
);
