/**
 * Resource bounds of a client that runs for weeks: after stop() nothing holds the process (no
 * timer, socket or file left), the history and the error history stay bounded, and memory is
 * flat over a long run (300,000 messages, measured after garbage collection in a child
 * process started with --expose-gc).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { MonitoringClient } from '../src/client/monitoring-client.js';
import { ERROR_HISTORY_LIMIT } from '../src/config.js';
import { parseFrame } from '../src/protocol/frame.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture, fixtureFrame } from './helpers/fixtures.js';
import { REPO } from './helpers/processes.js';
import { startTcpServer } from './helpers/tcp-server.js';
import { until } from './helpers/test-server.js';

const MONITORING_DATA = fixtureFrame('real-server', 'monitoring_data');
const STOP_SCRIPT = fileURLToPath(new URL('./helpers/stop-and-exit.ts', import.meta.url));
const LONG_RUN = fileURLToPath(new URL('./helpers/long-run.ts', import.meta.url));

let tmp: string;
const cleanups: (() => unknown)[] = [];
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'monitoring-bounds-'));
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(tmp, { recursive: true, force: true });
});

async function tcpServer(onSocket: (socket: net.Socket) => void): Promise<string> {
  const server = await startTcpServer(onSocket);
  cleanups.push(server.close);
  return `ws://127.0.0.1:${server.port}`;
}

async function wsServer(onConnection: (ws: import('ws').WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    onConnection(ws);
  });
  cleanups.push(() => {
    for (const socket of wss.clients) socket.terminate();
    wss.close();
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** Completes the WebSocket handshake by hand, then reads nothing: a close frame is never answered. */
function deafPeer(socket: net.Socket): void {
  let head = '';
  socket.on('data', function onData(chunk: Buffer) {
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    socket.off('data', onData);
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.pause();
  });
}

describe('after stop() the process exits by itself', () => {
  it('whatever the state at stop: receiving, reconnecting, mid-handshake, or facing a peer that ignores the close', {
    timeout: 15_000,
  }, async (t) => {
    const urls = {
      receiving: await wsServer((ws) => {
        const timer = setInterval(() => ws.send(MONITORING_DATA), 10);
        ws.on('close', () => clearInterval(timer));
      }),
      reconnecting: await wsServer((ws) => {
        ws.send(MONITORING_DATA);
        ws.terminate();
      }),
      handshake: await tcpServer((socket) => socket.resume()),
      deaf: await tcpServer(deafPeer),
    };
    const runs = Object.entries(urls).map(async ([state, uri]) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          STOP_SCRIPT,
          JSON.stringify({ uri, state, saveData: join(tmp, `${state}.jsonl`) }),
        ],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      let stoppedAt = 0;
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stoppedAt === 0 && stdout.includes('"stopped":true')) stoppedAt = Date.now();
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      clearTimeout(killer);
      const report = stdout.split('\n').find((line) => line.includes('"stopped":true'));
      return { state, code, signal, exitMs: Date.now() - stoppedAt, report, stderr };
    });
    for (const { state, code, signal, exitMs, report, stderr } of await Promise.all(runs)) {
      assert.ok(report, `${state}: stop() never resolved; stderr: ${stderr}`);
      const { stopMs, resources } = JSON.parse(report) as { stopMs: number; resources: string[] };
      t.diagnostic(`${state}: stop() took ${stopMs.toFixed(0)} ms, the process exited ${exitMs} ms later`);
      assert.equal(
        signal,
        null,
        `${state}: the process did not exit by itself; still active at stop: ${resources}`,
      );
      assert.equal(code, 0, stderr);
      assert.ok(exitMs < 1000, `${state}: exited ${exitMs} ms after stop(); active at stop: ${resources}`);
      // A peer that ignores the close is cut after closeTimeout (0.2 s), not waited for.
      assert.ok(stopMs < (state === 'deaf' ? 1000 : 300), `${state}: stop() took ${stopMs} ms`);
    }
  });
});

describe('bounded in memory', () => {
  it('the history keeps the last maxHistorySize records, whatever the count', () => {
    const client = new MonitoringClient({
      output: null,
      notices: null,
      storeHistory: true,
      maxHistorySize: 100,
    });
    const base = fixture('real-server', 'monitoring_data');
    for (let seq = 0; seq < 5000; seq++) {
      const frame = parseFrame(JSON.stringify({ ...base, seq }), false, Date.now());
      client.fleet.pipeline.receive(client.fleet.targetNames()[0]!, frame);
    }
    const history = client.getHistory();
    assert.equal(history.length, 100);
    assert.deepEqual(
      history.map((record) => record.message.seq),
      Array.from({ length: 100 }, (_, i) => 4900 + i),
    );
    assert.equal(client.getStatistics().recordsDisplayed, 5000);
  });

  it('the error history keeps the last errors over hundreds of failed attempts', {
    timeout: 15_000,
  }, async () => {
    // Every connection is accepted and cut at once: 200 errors, retried on a fake clock.
    let connections = 0;
    const url = await wsServer((ws) => {
      connections++;
      ws.terminate();
    });
    const clock = new FakeClock();
    const client = new MonitoringClient({
      uri: url,
      output: null,
      notices: null,
      clock,
      pingInterval: 0,
      reconnectInterval: 1,
      reconnectBackoff: { jitter: 0 },
    });
    void client.start().catch(() => {});
    for (let attempt = 1; attempt <= 200; attempt++) {
      await until(
        () => client.wsClient.state === 'reconnecting' && clock.pending === 1,
        3000,
        `failure ${attempt}`,
      );
      clock.tick(1000);
    }
    await until(() => client.getStatistics().errorCount >= 200, 3000, '200 errors');
    const stats = client.getStatistics();
    await client.stop();
    assert.ok(connections >= 200);
    assert.equal(stats.errorHistory.length, ERROR_HISTORY_LIMIT);
    assert.equal(stats.reconnectAttempts, 200);
    assert.equal(clock.pending, 0, 'no timer left after stop()');
  });
});

describe('a long run', () => {
  it('keeps memory flat: heap after GC at 100,000 and 300,000 messages, and at 500 and 1,500 reconnections', {
    timeout: 60_000,
  }, async (t) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        LONG_RUN,
        JSON.stringify({
          checkpoints: [100_000, 200_000, 300_000],
          reconnects: [500, 1500],
          saveData: join(tmp, 'long-run.jsonl'),
        }),
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);
    const { checkpoints, reconnects, stats } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      checkpoints: { messages: number; heapUsed: number; rss: number }[];
      reconnects: { connections: number; heapUsed: number; rss: number }[];
      stats: Record<string, number>;
    };
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    t.diagnostic(
      checkpoints
        .map((c) => `${c.messages} messages: heap ${mib(c.heapUsed)} MiB, RSS ${mib(c.rss)} MiB`)
        .join('; '),
    );
    t.diagnostic(
      reconnects
        .map((c) => `${c.connections} connections: heap ${mib(c.heapUsed)} MiB, RSS ${mib(c.rss)} MiB`)
        .join('; '),
    );
    assert.equal(stats.messagesReceived, 300_000);
    assert.equal(stats.recordsDisplayed, 300_000);
    assert.equal(stats.saved, 300_000);
    assert.equal(stats.historySize, 1000);
    const [at100k, , at300k] = checkpoints;
    const growth = at300k!.heapUsed - at100k!.heapUsed;
    assert.ok(growth < 2 * 2 ** 20, `heap grew by ${mib(growth)} MiB from 100,000 to 300,000 messages`);
    // A connection's objects (socket, parser, timers) weigh tens of KiB: a leak of one per
    // reconnection would show as megabytes here.
    assert.equal(stats.disconnections, 1499);
    assert.equal(stats.errorHistory, ERROR_HISTORY_LIMIT);
    const [at500, at1500] = reconnects;
    const churnGrowth = at1500!.heapUsed - at500!.heapUsed;
    assert.ok(churnGrowth < 2 * 2 ** 20, `heap grew by ${mib(churnGrowth)} MiB over 1,000 reconnections`);
  });
});
