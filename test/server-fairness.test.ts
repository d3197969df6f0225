/**
 * No client can starve the others: handshakes that never finish are cut at the timeout,
 * pending handshakes and connections per address are capped, a flooding client is closed
 * with 1008 without delaying the others' data, and thousands of refusals cost a few log
 * lines. Real sockets on 127.0.0.1, real timers with small values (tenths of a second).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { RealMonitoringData } from '../src/protocol/messages.js';
import { runServer } from '../src/server/cli.js';
import { MonitoringServer, type MonitoringServerOptions } from '../src/server/monitoring-server.js';
import { fixture } from './helpers/fixtures.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { spawnServer } from './helpers/server-process.js';
import { until } from './helpers/test-server.js';
import { TEST_CERT, TEST_KEY } from './helpers/tls.js';

const TEST = { timeout: 20_000 };
const data = (fixture('real-server', 'monitoring_data') as { data: RealMonitoringData }).data;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: MonitoringServerOptions = {}) {
  const server = new MonitoringServer({
    port: 0,
    interval: 0.1,
    metricsSource: { collect: async () => structuredClone(data) },
    ...options,
  });
  cleanups.push(() => server.stop());
  const address = await server.start();
  return { server, ...address };
}

/** A TCP connection to the server, open; `closedAt` is set (performance.now()) when it closes. */
async function rawSocket(port: number, localAddress = '127.0.0.1') {
  const socket = netConnect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  const state = { socket, openedAt: performance.now(), closedAt: undefined as number | undefined };
  socket.on('close', () => {
    state.closedAt = performance.now();
  });
  return state;
}

function upgradeRequest(port: number): string {
  return (
    'GET / HTTP/1.1\r\n' +
    `Host: 127.0.0.1:${port}\r\n` +
    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/** One masked client frame (FIN set), as a browser or ws would send it. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length])
      : Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([head, mask, masked]);
}

/** Reads the server's (unmasked) frames on a raw socket after the 101, as they arrive. */
function frameReader(socket: Socket) {
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  const frames: { opcode: number; payload: Buffer }[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      assert.match(buffer.subarray(0, end).toString(), /^HTTP\/1\.1 101 /);
      upgraded = true;
      buffer = buffer.subarray(end + 4);
    }
    for (;;) {
      if (buffer.length < 2) return;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      }
      if (buffer.length < offset + length) return;
      frames.push({ opcode: buffer[0]! & 0x0f, payload: buffer.subarray(offset, offset + length) });
      buffer = buffer.subarray(offset + length);
    }
  });
  return {
    frames,
    upgraded: () => upgraded,
    close: () => {
      const frame = frames.find((f) => f.opcode === 0x8);
      return frame && { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() };
    },
  };
}

/** A client that records when each monitoring_data arrives (performance.now()). */
async function watcher(url: string) {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  const arrivals: number[] = [];
  ws.on('message', (frame) => {
    if (String(frame).includes('"monitoring_data"')) arrivals.push(performance.now());
  });
  await until(() => arrivals.length >= 2, 3000, 'the watcher to receive data');
  /** The largest gap between two messages that arrived after `since` (the one before `since` included). */
  const largestGapSince = (since: number) => {
    const first = Math.max(0, arrivals.findIndex((t) => t >= since) - 1);
    let largest = 0;
    for (let i = first + 1; i < arrivals.length; i++)
      largest = Math.max(largest, arrivals[i]! - arrivals[i - 1]!);
    return largest;
  };
  return { ws, arrivals, largestGapSince };
}

describe('handshakes', () => {
  it(
    'cuts 200 silent, trickling and partial handshakes at the timeout while a client keeps receiving every interval',
    TEST,
    async () => {
      // Tenths of a second, yet large enough that a busy machine's scheduling stalls do not count.
      const intervalMs = 250;
      const timeoutMs = 400;
      const { server, port, url } = await startServer({
        interval: intervalMs / 1000,
        handshakeTimeout: timeoutMs / 1000,
        maxPendingHandshakes: 1000,
        maxClientsPerAddress: 1000,
      });
      const client = await watcher(url);
      const attackStart = performance.now();
      const request = upgradeRequest(port);
      const sockets = await Promise.all(Array.from({ length: 200 }, () => rawSocket(port)));
      const trickling = sockets.slice(70, 140);
      for (const { socket } of sockets.slice(140)) socket.write(request.slice(0, -2)); // all but the last CRLF
      let sent = 0;
      const trickle = setInterval(() => {
        for (const { socket } of trickling)
          if (!socket.destroyed) socket.write(request[sent % request.length]!);
        sent += 1;
      }, 20);
      cleanups.push(() => clearInterval(trickle));
      await until(() => sockets.every((s) => s.closedAt !== undefined), 5000, 'every handshake to be cut');
      clearInterval(trickle);
      const lifetimes = sockets.map((s) => s.closedAt! - s.openedAt);
      assert.ok(Math.min(...lifetimes) >= timeoutMs - 50, `cut too early: ${Math.min(...lifetimes)} ms`);
      assert.ok(Math.max(...lifetimes) < timeoutMs + 700, `cut too late: ${Math.max(...lifetimes)} ms`);
      assert.ok(sent >= 10, 'the trickling sockets did send, byte by byte');
      assert.equal(server.refusals.handshakeTimeout, 200);
      assert.equal(server.pendingHandshakes, 0);
      // The served client saw no gap beyond two intervals during the attack, and is still served.
      await until(
        () => client.arrivals.at(-1)! > performance.now() - intervalMs / 2,
        2000,
        'one more message',
      );
      assert.ok(
        client.largestGapSince(attackStart) < 2 * intervalMs,
        `gap ${client.largestGapSince(attackStart).toFixed(0)} ms`,
      );
      assert.equal(server.clientCount, 1);
    },
  );

  it('cuts TLS handshakes that never finish: silent, or stopped inside the ClientHello', TEST, async () => {
    const { server, port } = await startServer({
      tls: { cert: TEST_CERT, key: TEST_KEY },
      handshakeTimeout: 0.2,
      maxClientsPerAddress: 1000,
    });
    const sockets = await Promise.all(Array.from({ length: 40 }, () => rawSocket(port)));
    // A TLS record header announcing a 512-byte handshake message, then nothing.
    for (const { socket } of sockets.slice(20))
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    await until(() => sockets.every((s) => s.closedAt !== undefined), 3000, 'every TLS handshake to be cut');
    assert.ok(Math.min(...sockets.map((s) => s.closedAt! - s.openedAt)) >= 150);
    assert.equal(server.refusals.handshakeTimeout, 40);
  });

  it(
    'caps pending handshakes: past the cap a connection is closed at once, and the cap frees',
    TEST,
    async () => {
      const { server, port, url } = await startServer({
        maxPendingHandshakes: 5,
        handshakeTimeout: 0.4,
        maxClientsPerAddress: 1000,
      });
      const sockets: Awaited<ReturnType<typeof rawSocket>>[] = [];
      for (let i = 0; i < 10; i++) sockets.push(await rawSocket(port));
      await until(() => sockets.filter((s) => s.closedAt !== undefined).length === 5, 1000, 'five refusals');
      // Refused at once, unanswered, long before the timeout.
      assert.deepEqual(
        sockets.map((s) => s.closedAt !== undefined),
        [false, false, false, false, false, true, true, true, true, true],
      );
      assert.ok(Math.max(...sockets.slice(5).map((s) => s.closedAt! - s.openedAt)) < 300);
      assert.equal(server.pendingHandshakes, 5);
      assert.equal(server.refusals.pendingLimit, 5);
      // Once the silent ones are cut, a real client is served.
      await until(() => server.pendingHandshakes === 0, 2000, 'the timeout');
      const client = await watcher(url);
      assert.equal(client.ws.readyState, WebSocket.OPEN);
    },
  );

  it(
    'caps the connections of one address, pending ones included, without affecting another address',
    TEST,
    async () => {
      const { server, port, url } = await startServer({ maxClientsPerAddress: 3 });
      await watcher(url);
      await watcher(url);
      const silent = await rawSocket(port);
      const fourth = new WebSocket(url);
      cleanups.push(() => fourth.terminate());
      const [error] = (await once(fourth, 'error')) as [Error];
      assert.match(error.message, /socket hang up|ECONNRESET/);
      assert.equal(server.refusals.perAddressLimit, 1);
      // 127.0.0.2 is this machine too, but another address: not limited by 127.0.0.1's connections.
      const other = new WebSocket(url, { localAddress: '127.0.0.2' });
      cleanups.push(() => other.terminate());
      await once(other, 'open');
      // A connection that leaves frees its slot.
      silent.socket.destroy();
      await until(() => server.pendingHandshakes === 0, 1000, 'the silent socket to go');
      const again = await watcher(url);
      assert.equal(again.ws.readyState, WebSocket.OPEN);
      assert.equal(server.clientCount, 4);
    },
  );
});

describe('incoming messages', () => {
  for (const [kind, frame] of [
    ['{"type":"ping"} messages', clientFrame(0x1, Buffer.from('{"type":"ping"}'))],
    ['WebSocket ping frames', clientFrame(0x9, Buffer.alloc(0))],
  ] as const) {
    it(
      `a flood of ${kind} closes that client with 1008, counted, and the others' data keeps its pace`,
      TEST,
      async () => {
        const intervalMs = 250;
        const logger = recordingLogger();
        const { server, port, url } = await startServer({
          interval: intervalMs / 1000,
          logger,
          logSummaryInterval: 0.1,
          closeTimeout: 0.2,
        });
        const client = await watcher(url);
        const flooder = await rawSocket(port);
        const reader = frameReader(flooder.socket);
        flooder.socket.write(upgradeRequest(port));
        await until(() => reader.upgraded(), 2000, 'the flooder to be served');
        const floodStart = performance.now();
        // 20,000 frames in one go, then more as long as the connection lasts.
        const burst = Buffer.concat(Array.from({ length: 20_000 }, () => frame));
        flooder.socket.write(burst);
        const more = setInterval(() => flooder.socket.writable && flooder.socket.write(burst), 10);
        cleanups.push(() => clearInterval(more));
        await until(() => reader.close() !== undefined, 3000, 'the close frame');
        clearInterval(more);
        assert.deepEqual(reader.close(), { code: 1008, reason: 'Too many messages' });
        // The burst allowance was answered (20 by default), nothing more.
        const answers = reader.frames.filter((f) => f.opcode === (kind.startsWith('{') ? 0x1 : 0xa)).length;
        assert.ok(answers >= 20 && answers <= 22, `${answers} answers`);
        await until(() => flooder.closedAt !== undefined, 3000, 'the flooder to be cut off');
        assert.equal(server.refusals.messageRate, 1);
        assert.equal(server.clientCount, 1);
        // The other client: five more intervals, none late by more than one interval.
        const seen = client.arrivals.length;
        await until(() => client.arrivals.length >= seen + 5, 3000, 'five more messages');
        assert.ok(
          client.largestGapSince(floodStart) < 2 * intervalMs,
          `gap ${client.largestGapSince(floodStart).toFixed(0)} ms`,
        );
        await until(() => logger.lines.some((l) => l.startsWith('warn refused')), 2000, 'the summary');
        assert.match(
          logger.lines.find((l) => l.startsWith('warn refused'))!,
          /1 sending too many messages \(1008\)/,
        );
      },
    );
  }

  it('a client within the rate is never cut off', TEST, async () => {
    const { server, url } = await startServer({ maxMessageRate: 50, maxMessageBurst: 5 });
    const ws = new WebSocket(url);
    cleanups.push(() => ws.terminate());
    let pongs = 0;
    ws.on('message', (frame) => {
      if (String(frame).includes('"pong"')) pongs += 1;
    });
    await once(ws, 'open');
    // 30 pings at 40/s: the bucket refills faster than they come.
    for (let i = 0; i < 30; i++) {
      ws.send('{"type":"ping"}');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await until(() => pongs === 30, 2000, 'every pong');
    assert.equal(server.refusals.messageRate, 0);
    assert.equal(ws.readyState, WebSocket.OPEN);
  });

  it('a message over maxMessageSize closes the client with 1009, counted', TEST, async () => {
    const { server, url } = await startServer({ maxMessageSize: 1024 });
    const ws = new WebSocket(url);
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(1024) }));
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1009);
    assert.equal(server.refusals.messageSize, 1);
    assert.equal(server.clientCount, 0);
  });
});

describe('the log', () => {
  it('2,000 refused connections write a few summary lines, not a line each', TEST, async () => {
    const lines: string[] = [];
    const stderr = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    let stdout = '';
    const controller = new AbortController();
    const started = performance.now();
    const done = runServer(['--port', '0', '--max-clients', '1', '--interval', '60'], {
      stdout: new Writable({
        write(chunk, _encoding, callback) {
          stdout += String(chunk);
          callback();
        },
      }),
      stderr,
      signal: controller.signal,
    });
    cleanups.push(() => {
      controller.abort();
      return done;
    });
    await until(() => / listening on /.test(stdout), 5000, 'the server to listen');
    const port = Number(/:(\d+)\n/.exec(stdout)![1]);
    const occupant = new WebSocket(`ws://127.0.0.1:${port}`);
    cleanups.push(() => occupant.terminate());
    await once(occupant, 'message');
    // 2,000 handshakes, 50 at a time; each is answered 101 then closed 1008 "Server at capacity".
    const request = upgradeRequest(port);
    let refused = 0;
    const attempt = async () => {
      const { socket } = await rawSocket(port);
      socket.write(request);
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      assert.match(String(chunk), /^HTTP\/1\.1 101 /);
      socket.destroy();
      refused += 1;
    };
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (refused < 2000) await attempt();
      }),
    );
    controller.abort();
    assert.equal(await done, 0);
    const summaries = lines.filter((l) => / WARNING refused or cut off /.test(l));
    const counted = summaries.reduce((sum, l) => sum + Number(/ (\d+) at capacity/.exec(l)?.[1] ?? 0), 0);
    assert.ok(refused >= 2000);
    assert.equal(counted, refused);
    // The occupant's connection and disconnection, a summary line per 10 s, and the last one at the stop.
    const periods = Math.ceil((performance.now() - started) / 10_000);
    assert.ok(lines.length <= 2 + periods + 1, lines.join('\n'));
    assert.match(summaries.at(-1)!, /; most from 127\.0\.0\.1 \(\d+\)$/);
  });

  it(
    'stays below its open-file limit: says so at start, refuses past it, logs it, and serves again once freed',
    TEST,
    async () => {
      // 100 descriptors: 64 kept for the process, 36 for connections.
      const server = spawnServer(
        [
          '--port',
          '0',
          '--interval',
          '0.05',
          '--handshake-timeout',
          '0.3',
          '--max-clients-per-address',
          '1000',
        ],
        { shellPrefix: 'ulimit -n 100' },
      );
      cleanups.push(() => server.stop('SIGKILL'));
      const url = await server.url();
      assert.match(
        server.stderr(),
        / WARNING the open-file limit \(ulimit -n\) is 100: at most 36 connections, fewer than the 1000 clients and 128 pending handshakes allowed; raise it \(ulimit -n 1192\)/,
      );
      const port = Number(new URL(url).port);
      const sockets = await Promise.all(Array.from({ length: 80 }, () => rawSocket(port)));
      await until(() => sockets.every((s) => s.closedAt !== undefined), 5000, 'every silent socket to go');
      const client = await watcher(url);
      client.ws.close();
      assert.equal(await server.stop('SIGTERM'), 0);
      assert.match(
        server.stderr(),
        // The 44 over the limit at once, the others at the handshake timeout.
        / WARNING refused or cut off 80 connections in [\d.]+ s: 44 over the open-file limit \(ulimit -n\), 36 handshake too slow; most from 127\.0\.0\.1 \(80\)\n/,
      );
    },
  );
});
