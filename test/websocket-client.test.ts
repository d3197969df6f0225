/**
 * The WebSocketClient against real servers in this process (ws servers, raw TCP servers) on
 * 127.0.0.1, port 0. Timers (reconnect delays, heartbeat, timeouts) run on a FakeClock:
 * socket I/O is real and asynchronous, so tests await events between ticks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type ServerOptions, WebSocketServer } from 'ws';
import { ConnectionError, GaveUpError, InvalidOptionError, SendError, StoppedError } from '../src/errors.js';
import type { ReceivedFrame } from '../src/protocol/frame.js';
import type { ClientState } from '../src/transport/client-state.js';
import type { EventHandler, KnownEventName, WebSocketClientEvents } from '../src/transport/events.js';
import { WebSocketClient, type WebSocketClientOptions } from '../src/transport/websocket-client.js';
import { FakeClock } from './helpers/fake-clock.js';
import { startTcpServer as startRawTcpServer } from './helpers/tcp-server.js';
import { TEST_CERT, TEST_KEY } from './helpers/tls.js';

const TEST = { timeout: 8000 };
const CONNECTION_MESSAGE = readFileSync(
  new URL('./fixtures/real-server/connection.json', import.meta.url),
  'utf8',
);
const MONITORING_DATA = readFileSync(
  new URL('./fixtures/real-server/monitoring_data.json', import.meta.url),
  'utf8',
);

// ---- fixtures, closed after each test ------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface TestServer {
  wss: WebSocketServer;
  port: number;
  url: string;
  close(): Promise<void>;
}

async function startServer(options: ServerOptions = {}, port = 0): Promise<TestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, ...options });
  await once(wss, 'listening');
  const actualPort = (wss.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const close = () => {
    // ws leaves accepted connections open on close(): cut them, as a crashing server would.
    for (const socket of wss.clients) socket.terminate();
    closed ??= new Promise<void>((resolve) => wss.close(() => resolve()));
    return closed;
  };
  cleanups.push(close);
  return { wss, port: actualPort, url: `ws://127.0.0.1:${actualPort}`, close };
}

/** A raw TCP server, closed after the test. */
async function startTcpServer(
  onSocket: (socket: net.Socket) => void,
): Promise<{ port: number; sockets: Set<net.Socket> }> {
  const server = await startRawTcpServer(onSocket);
  cleanups.push(server.close);
  return server;
}

/**
 * A server that completes the WebSocket upgrade by hand and then reads nothing more: it never
 * answers a close frame (nor a ping), like a hung peer.
 */
function startDeafServer(options: { pauseAfterUpgrade?: boolean } = {}) {
  const afterUpgrade: Buffer[] = [];
  const upgraded: net.Socket[] = [];
  const server = startTcpServer((socket) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      upgraded.push(socket);
      if (options.pauseAfterUpgrade) socket.pause();
      else socket.on('data', (data: Buffer) => afterUpgrade.push(data));
    };
    socket.on('data', onData);
  });
  return { server, afterUpgrade, upgraded };
}

/** A port on which nothing listens (it was bound, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function makeClient(uri: string, options: WebSocketClientOptions = {}) {
  const clock = new FakeClock();
  const client = new WebSocketClient(uri, {
    clock,
    pingInterval: 0,
    reconnectInterval: 1,
    reconnectBackoff: { jitter: 0 },
    ...options,
  });
  cleanups.push(async () => {
    const stopped = client.stop();
    // Fires the close bound should a peer never answer.
    clock.tick(60_000);
    await stopped;
  });
  return { client, clock };
}

/** The next `event` of the client. */
function nextEvent<E extends KnownEventName>(
  client: WebSocketClient,
  event: E,
): Promise<WebSocketClientEvents[E]> {
  return new Promise((resolve) => {
    const handler = (data: WebSocketClientEvents[E]) => {
      client.off(event, handler as EventHandler<E>);
      resolve(data);
    };
    client.on(event, handler as EventHandler<E>);
  });
}

/** Every `event` of the client, in order. */
function record<E extends KnownEventName>(client: WebSocketClient, event: E): WebSocketClientEvents[E][] {
  const seen: WebSocketClientEvents[E][] = [];
  client.on(event, ((data: WebSocketClientEvents[E]) => {
    seen.push(data);
  }) as EventHandler<E>);
  return seen;
}

/** Waits (on real I/O, polling each turn of the event loop) until `condition` holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Captures a promise's rejection at once, so that it is never reported as unhandled. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

function openTcpSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
}

// ---- tests ---------------------------------------------------------------------------------------

describe('WebSocketClient: connecting and receiving', () => {
  it('connects, then emits every message under its own type, known or not', TEST, async () => {
    const server = await startServer();
    const spoof = JSON.stringify({ type: 'connected', uri: 'spoofed', attempt: 99 });
    const noType = JSON.stringify({ value: 1 });
    const custom = JSON.stringify({ type: 'from_the_future', value: 42 });
    const sent = [CONNECTION_MESSAGE, MONITORING_DATA, custom, noType, spoof];
    server.wss.on('connection', (ws) => {
      for (const text of sent) ws.send(text);
    });
    const { client, clock } = makeClient(server.url);
    const seen: string[] = [];
    const everything: string[] = [];
    client.on('connection', (m) => {
      seen.push(`connection: ${m.message}`);
    });
    client.on('monitoring_data', (m) => {
      seen.push(`monitoring_data ${m.timestamp}`);
    });
    client.on('from_the_future', (m) => {
      seen.push(`from_the_future ${m.value}`);
    });
    client.on('*', (type) => {
      everything.push(type);
    });
    const connected = record(client, 'connected');
    const frames = record(client, 'frame');

    await client.start();
    assert.equal(client.state, 'connected');
    assert.equal(client.isConnected(), true);
    await until(() => frames.length === sent.length, 'five frames');

    assert.deepEqual(seen, [
      'connection: Connected to monitoring server',
      'monitoring_data 2026-11-25T16:46:29.042542',
      'from_the_future 42',
    ]);
    // A message typed like a client event is a frame, not an impersonation of that event.
    assert.deepEqual(connected, [{ uri: server.url, attempt: 0 }]);
    assert.deepEqual(everything, [
      'state_change',
      'state_change',
      'connected',
      'frame',
      'connection',
      'frame',
      'monitoring_data',
      'frame',
      'from_the_future',
      'frame',
      'frame',
    ]);
    assert.deepEqual(
      frames.map((f) => f.raw),
      sent,
    );
    assert.equal(frames[3]?.message?.value, 1);

    const stats = client.getStatistics();
    const now = new Date(clock.now()).toISOString();
    assert.equal(stats.messagesReceived, 5);
    assert.equal(stats.invalidMessages, 0);
    assert.equal(
      stats.bytesReceived,
      sent.reduce((sum, text) => sum + Buffer.byteLength(text), 0),
    );
    assert.equal(stats.lastMessageAt, now);
    assert.equal(stats.connectionStart, now);
    assert.equal(stats.currentState, 'connected');
    assert.equal(stats.errorCount, 0);
    assert.equal(clock.pending, 0);
  });

  it('goes through every state transition, each reported once by state_change', TEST, async () => {
    let server = await startServer();
    const port = server.port;
    const { client, clock } = makeClient(server.url, { maxReconnectAttempts: 1 });
    const changes = record(client, 'state_change');
    const path = () => changes.map((c) => `${c.oldState}>${c.newState}`);

    await client.start();
    // Lost: the server goes away, the retry waits for its timer.
    await server.close();
    await until(() => client.state === 'reconnecting', 'reconnecting');
    server = await startServer({}, port);
    clock.tick(1000);
    await nextEvent(client, 'connected');
    // Forced reconnection.
    await client.reconnect();
    await client.stop();
    // A run that gives up: nothing listens any more.
    await server.close();
    const started = outcome(client.start());
    await until(() => client.state === 'reconnecting', 'reconnecting');
    clock.tick(1000);
    assert.ok((await started) instanceof GaveUpError);
    assert.equal(client.state, 'error');
    await client.stop();

    assert.deepEqual(path(), [
      'disconnected>connecting',
      'connecting>connected',
      'connected>reconnecting',
      'reconnecting>connecting',
      'connecting>connected',
      'connected>reconnecting',
      'reconnecting>connecting',
      'connecting>connected',
      'connected>disconnected',
      'disconnected>connecting',
      'connecting>reconnecting',
      'reconnecting>connecting',
      'connecting>error',
      'error>disconnected',
    ]);
    assert.equal(client.state, 'disconnected');
    assert.equal(clock.pending, 0);
  });
});

describe('WebSocketClient: reconnection', () => {
  it('reconnects to a restarted server on the same port, sending the headers every time', TEST, async () => {
    const authorizations: (string | undefined)[] = [];
    const listen = (server: TestServer) =>
      server.wss.on('connection', (ws, request) => {
        authorizations.push(request.headers.authorization);
        ws.send(CONNECTION_MESSAGE);
      });
    let server = await startServer();
    listen(server);
    const { client, clock } = makeClient(server.url, { headers: { Authorization: 'Bearer s3cret' } });
    // Registered first: the message can arrive in the same read as the handshake's answer.
    const welcome = nextEvent(client, 'connection');
    await client.start();
    await welcome;

    const disconnected = nextEvent(client, 'disconnected');
    const reconnecting = nextEvent(client, 'reconnecting');
    await server.close();
    assert.deepEqual(await disconnected, { code: 1006, reason: '', willReconnect: true });
    const retry = await reconnecting;
    assert.equal(retry.attempt, 1);
    assert.equal(retry.delayMs, 1000);
    assert.equal(retry.maxAttempts, null);
    assert.equal(retry.lastError?.code, 'CONNECTION_CLOSED');
    assert.equal(retry.lastError?.closeCode, 1006);

    server = await startServer({}, server.port);
    listen(server);
    const connected = nextEvent(client, 'connected');
    const welcomeAgain = nextEvent(client, 'connection');
    // The wait is the timer's, not an instant loop.
    clock.tick(999);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(client.state, 'reconnecting');
    clock.tick(1);
    assert.deepEqual(await connected, { uri: server.url, attempt: 1 });
    await welcomeAgain;
    assert.deepEqual(authorizations, ['Bearer s3cret', 'Bearer s3cret']);
  });

  it(
    'gives up after maxReconnectAttempts with the last cause, and leaves no timer or socket',
    TEST,
    async () => {
      const port = await freePort();
      const { client, clock } = makeClient(`ws://127.0.0.1:${port}`, { maxReconnectAttempts: 5 });
      const retries = record(client, 'reconnecting');
      const gaveUp = record(client, 'give_up');
      const started = outcome(client.start());
      for (let attempt = 1; attempt <= 5; attempt++) {
        await until(() => retries.length === attempt, `retry ${attempt}`);
        clock.tick(1000);
      }
      const error = await started;

      assert.ok(error instanceof GaveUpError);
      assert.equal(error.code, 'GAVE_UP');
      assert.equal(error.attempts, 6);
      assert.equal(error.lastErrorCode, 'CONNECTION_REFUSED');
      assert.ok(error.cause instanceof ConnectionError);
      assert.equal(error.cause.code, 'CONNECTION_REFUSED');
      assert.deepEqual(gaveUp, [error]);
      assert.deepEqual(
        retries.map((r) => r.attempt),
        [1, 2, 3, 4, 5],
      );
      assert.equal(client.state, 'error');
      assert.equal(clock.pending, 0);
      // The last socket's handle is released just after its close event.
      await until(() => openTcpSockets() === 0, 'no open TCP socket');

      // Correct although no connection ever succeeded.
      const stats = client.getStatistics();
      assert.equal(stats.currentState, 'error');
      assert.equal(stats.connectionStart, null);
      assert.equal(stats.uptimeSeconds, 0);
      assert.equal(stats.errorCount, 6);
      assert.equal(stats.reconnectAttempts, 5);
      assert.equal(stats.totalDisconnections, 0);
      assert.equal(stats.messagesReceived, 0);
      assert.equal(stats.lastMessageAt, null);
      assert.equal(stats.lastPingRttMs, null);
      assert.equal(stats.errorHistory.length, 5);
      assert.ok(stats.errorHistory.every((e) => e.type === 'CONNECTION_REFUSED'));
      assert.equal(stats.errorHistory[4]?.timestamp, new Date(clock.now()).toISOString());
      assert.match(stats.lastError ?? '', /refused/);
    },
  );

  it('lets the process exit on its own after giving up (real timers)', TEST, async () => {
    const port = await freePort();
    const moduleUrl = pathToFileURL(
      new URL('../src/transport/websocket-client.ts', import.meta.url).pathname,
    ).href;
    const script = `
      import { WebSocketClient } from ${JSON.stringify(moduleUrl)};
      const client = new WebSocketClient('ws://127.0.0.1:${port}', { maxReconnectAttempts: 2, reconnectInterval: 0.05 });
      client.start().catch((error) => console.log(error.code, error.attempts, error.cause.code));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const killer = setTimeout(() => child.kill(), 6000);
    const [code] = await once(child, 'exit');
    clearTimeout(killer);
    assert.equal(code, 0, `the process did not exit by itself: ${output}`);
    assert.equal(output.trim(), 'GAVE_UP 3 CONNECTION_REFUSED');
  });

  it('maxReconnectAttempts 0 never retries a failed start', TEST, async () => {
    const port = await freePort();
    const { client, clock } = makeClient(`ws://127.0.0.1:${port}`, { maxReconnectAttempts: 0 });
    const retries = record(client, 'reconnecting');
    const error = await outcome(client.start());
    assert.ok(error instanceof GaveUpError);
    assert.equal(error.attempts, 1);
    assert.equal(error.lastErrorCode, 'CONNECTION_REFUSED');
    assert.deepEqual(retries, []);
    assert.equal(clock.pending, 0);
  });

  it('maxReconnectAttempts 0 gives up when an open connection is lost', TEST, async () => {
    const server = await startServer();
    const { client, clock } = makeClient(server.url, { maxReconnectAttempts: 0 });
    await client.start();
    const disconnected = nextEvent(client, 'disconnected');
    const gaveUp = nextEvent(client, 'give_up');
    for (const socket of server.wss.clients) socket.close(1001, 'going away');
    assert.deepEqual(await disconnected, { code: 1001, reason: 'going away', willReconnect: false });
    const error = await gaveUp;
    assert.equal(error.lastErrorCode, 'CONNECTION_CLOSED');
    assert.equal((error.cause as ConnectionError).closeCode, 1001);
    assert.equal(client.state, 'error');
    assert.equal(clock.pending, 0);
  });

  it('reconnect: false gives up at the first failure', TEST, async () => {
    const port = await freePort();
    const { client, clock } = makeClient(`ws://127.0.0.1:${port}`, { reconnect: false });
    const error = await outcome(client.start());
    assert.ok(error instanceof GaveUpError);
    assert.equal(client.state, 'error');
    assert.equal(clock.pending, 0);
  });

  it(
    'a server that accepts then refuses (1008) waits between retries and exhausts the attempts',
    TEST,
    async () => {
      let connections = 0;
      const server = await startServer();
      server.wss.on('connection', (ws) => {
        connections++;
        ws.close(1008, 'Server at capacity');
      });
      const { client, clock } = makeClient(server.url, { maxReconnectAttempts: 2 });
      const retries = record(client, 'reconnecting');
      const connected = record(client, 'connected');
      const started = outcome(client.start());
      await until(() => retries.length === 1, 'first retry');
      // No instant loop: nothing happens until the timer fires.
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(connections, 1);
      clock.tick(1000);
      await until(() => retries.length === 2, 'second retry');
      clock.tick(1000);
      const error = await nextEvent(client, 'give_up');
      assert.ok(error instanceof GaveUpError);
      assert.equal((error.cause as ConnectionError).closeCode, 1008);
      assert.match((error.cause as ConnectionError).message, /Server at capacity/);
      // The counter is not reset by an open alone.
      assert.deepEqual(
        retries.map((r) => r.attempt),
        [1, 2],
      );
      assert.deepEqual(
        connected.map((c) => c.attempt),
        [0, 1, 2],
      );
      assert.equal(connections, 3);
      assert.equal(await started, 'resolved');
      assert.equal(client.state, 'error');
    },
  );

  it('a valid message proves a connection healthy; an invalid frame does not', TEST, async () => {
    for (const [greeting, expected] of [
      [CONNECTION_MESSAGE, [1, 1, 1]],
      ['not json', [1, 2, 3]],
    ] as const) {
      const server = await startServer();
      server.wss.on('connection', (ws) => {
        ws.send(greeting);
        ws.close(1001, 'going away');
      });
      const { client, clock } = makeClient(server.url, { maxReconnectAttempts: 3 });
      const retries = record(client, 'reconnecting');
      await client.start();
      for (let round = 1; round <= 3; round++) {
        await until(() => retries.length === round, `retry ${round}`);
        clock.tick(1000);
      }
      assert.deepEqual(
        retries.map((r) => r.attempt),
        expected,
        `greeting ${greeting.slice(0, 20)}`,
      );
      await client.stop();
    }
  });

  it(
    'a connection that stays up minUptime counts as healthy and resets the attempt counter',
    TEST,
    async () => {
      const server = await startServer();
      const { client, clock } = makeClient(server.url, { maxReconnectAttempts: 1, minUptime: 5 });
      const retries = record(client, 'reconnecting');
      await client.start();
      for (let round = 1; round <= 3; round++) {
        clock.tick(5000);
        for (const socket of server.wss.clients) socket.close(1001, 'going away');
        await until(() => retries.length === round, `retry ${round}`);
        const connected = nextEvent(client, 'connected');
        clock.tick(1000);
        await connected;
      }
      assert.deepEqual(
        retries.map((r) => r.attempt),
        [1, 1, 1],
      );
      assert.equal(client.state, 'connected');
    },
  );

  it('grows the wait with reconnectBackoff up to its cap', TEST, async () => {
    const port = await freePort();
    const { client, clock } = makeClient(`ws://127.0.0.1:${port}`, {
      reconnectInterval: 1,
      reconnectBackoff: { multiplier: 2, maxInterval: 5, jitter: 0 },
    });
    const retries = record(client, 'reconnecting');
    void outcome(client.start());
    for (let attempt = 1; attempt <= 5; attempt++) {
      await until(() => retries.length === attempt, `retry ${attempt}`);
      clock.tick(retries[attempt - 1]?.delayMs ?? 0);
    }
    assert.deepEqual(
      retries.map((r) => r.delayMs),
      [1000, 2000, 4000, 5000, 5000],
    );
  });

  it('reconnect() replaces the connection and ignores the old socket afterwards', TEST, async () => {
    const server = await startServer();
    const closes: { code: number; reason: string }[] = [];
    server.wss.on('connection', (ws) => {
      ws.on('close', (code, reason) => {
        closes.push({ code, reason: reason.toString() });
      });
      ws.send(CONNECTION_MESSAGE);
    });
    const { client, clock } = makeClient(server.url);
    const errors = record(client, 'connection_error');
    const disconnected = record(client, 'disconnected');
    await client.start();
    await client.reconnect();
    assert.equal(client.state, 'connected');
    await until(() => closes.length === 1, 'the old connection to close');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(closes, [{ code: 1000, reason: 'reconnect requested' }]);
    // The old socket's close is stale: no error, no second disconnection, no state change.
    assert.deepEqual(errors, []);
    assert.deepEqual(disconnected, [{ code: 1000, reason: 'reconnect requested', willReconnect: true }]);
    assert.equal(client.state, 'connected');
    assert.equal(server.wss.clients.size, 1);
    const stats = client.getStatistics();
    assert.equal(stats.reconnectAttempts, 0);
    assert.equal(stats.totalDisconnections, 0);
    assert.equal(clock.pending, 0);
  });

  it('reconnect() while waiting for the retry timer connects at once', TEST, async () => {
    const server = await startServer();
    const { client, clock } = makeClient(server.url, { reconnectInterval: 30 });
    await client.start();
    const reconnecting = nextEvent(client, 'reconnecting');
    for (const socket of server.wss.clients) socket.terminate();
    await reconnecting;
    assert.equal(clock.pending, 1);
    await client.reconnect();
    assert.equal(client.state, 'connected');
    assert.equal(clock.pending, 0);
  });
});

describe('WebSocketClient: handlers that take control', () => {
  it('a disconnected handler that calls stop() leaves no retry behind', TEST, async () => {
    const server = await startServer();
    const { client, clock } = makeClient(server.url);
    const retries = record(client, 'reconnecting');
    let stopped: Promise<void> | undefined;
    client.on('disconnected', () => {
      stopped ??= client.stop();
    });
    await client.start();
    for (const socket of server.wss.clients) socket.terminate();
    await until(() => stopped !== undefined, 'the disconnected event');
    await stopped;
    assert.equal(client.state, 'disconnected');
    assert.deepEqual(retries, []);
    assert.equal(clock.pending, 0);
  });

  it('a connection_error handler that calls reconnect() connects at once', TEST, async () => {
    const server = await startServer();
    const { client, clock } = makeClient(server.url, { reconnectInterval: 60 });
    let forced: Promise<void> | undefined;
    client.on('connection_error', () => {
      forced ??= client.reconnect();
    });
    await client.start();
    for (const socket of server.wss.clients) socket.terminate();
    await until(() => forced !== undefined, 'the connection_error event');
    await forced;
    assert.equal(client.state, 'connected');
    assert.equal(clock.pending, 0);
  });
});

describe('WebSocketClient: failures and their codes', () => {
  it('a refused port is CONNECTION_REFUSED', TEST, async () => {
    const port = await freePort();
    const { client } = makeClient(`ws://127.0.0.1:${port}`, { maxReconnectAttempts: 0 });
    const reported = nextEvent(client, 'connection_error');
    const error = await outcome(client.start());
    assert.ok(error instanceof GaveUpError);
    assert.equal(error.lastErrorCode, 'CONNECTION_REFUSED');
    assert.equal(await reported, error.cause);
  });

  it('an unknown host is DNS_FAILURE', TEST, async () => {
    const { client } = makeClient('ws://nonexistent.invalid:8765', { maxReconnectAttempts: 0 });
    const error = await outcome(client.start());
    assert.ok(error instanceof GaveUpError);
    assert.equal(error.lastErrorCode, 'DNS_FAILURE');
    assert.match(error.message, /nonexistent\.invalid/);
  });

  it('HTTP 401 on the handshake is HANDSHAKE_REJECTED with the status', TEST, async () => {
    const server = await startServer({
      verifyClient: (_info, callback) => callback(false, 401, 'Unauthorized'),
    });
    const { client } = makeClient(server.url, { maxReconnectAttempts: 0 });
    const error = await outcome(client.start());
    assert.ok(error instanceof GaveUpError);
    const cause = error.cause as ConnectionError;
    assert.equal(cause.code, 'HANDSHAKE_REJECTED');
    assert.equal(cause.status, 401);
    assert.match(cause.message, /HTTP 401 Unauthorized/);
    assert.equal(client.getStatistics().errorHistory[0]?.type, 'HANDSHAKE_REJECTED');
  });

  it('a handshake that never completes is CONNECT_TIMEOUT after connectTimeout', TEST, async () => {
    let accepted = 0;
    const { port } = await startTcpServer(() => {
      accepted++;
    });
    const { client, clock } = makeClient(`ws://127.0.0.1:${port}`, {
      maxReconnectAttempts: 0,
      connectTimeout: 2,
    });
    const started = outcome(client.start());
    await until(() => accepted === 1, 'the TCP connection');
    clock.tick(1999);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(client.state, 'connecting');
    clock.tick(1);
    const error = await started;
    assert.ok(error instanceof GaveUpError);
    assert.equal(error.lastErrorCode, 'CONNECT_TIMEOUT');
    assert.match(String((error.cause as Error).message), /within 2 s/);
    assert.equal(clock.pending, 0);
  });

  it('wss:// to a server that does not speak TLS is TLS_FAILURE', TEST, async () => {
    const server = await startServer();
    const { client } = makeClient(`wss://127.0.0.1:${server.port}`, { maxReconnectAttempts: 0 });
    const error = await outcome(client.start());
    assert.ok(error instanceof GaveUpError);
    assert.equal(error.lastErrorCode, 'TLS_FAILURE');
  });

  it(
    'wss:// refuses an untrusted certificate, and accepts it with ca; cert and key reach the server',
    TEST,
    async () => {
      const https = createHttpsServer({
        cert: TEST_CERT,
        key: TEST_KEY,
        ca: TEST_CERT,
        requestCert: true,
        rejectUnauthorized: false,
      });
      const wss = new WebSocketServer({ server: https });
      const peers: string[] = [];
      wss.on('connection', (ws, request) => {
        const socket = request.socket as import('node:tls').TLSSocket;
        peers.push(socket.authorized ? String(socket.getPeerCertificate().subject.CN) : 'anonymous');
        ws.send(CONNECTION_MESSAGE);
      });
      https.listen(0, '127.0.0.1');
      await once(https, 'listening');
      cleanups.push(async () => {
        for (const socket of wss.clients) socket.terminate();
        await new Promise<void>((resolve) => https.close(() => resolve()));
      });
      const url = `wss://127.0.0.1:${(https.address() as AddressInfo).port}`;

      const untrusted = makeClient(url, { maxReconnectAttempts: 0 }).client;
      const error = await outcome(untrusted.start());
      assert.ok(error instanceof GaveUpError);
      assert.equal(error.lastErrorCode, 'TLS_FAILURE');

      const trusted = makeClient(url, { ca: TEST_CERT, cert: TEST_CERT, key: TEST_KEY }).client;
      const welcome = nextEvent(trusted, 'connection');
      await trusted.start();
      await welcome;
      assert.deepEqual(peers, ['monitoring-test']);
    },
  );
});

describe('WebSocketClient: heartbeat', () => {
  it(
    'detects a server that stops answering pings within pingInterval + pingTimeout, then reconnects',
    TEST,
    async () => {
      const server = await startServer({ autoPong: false });
      let pings = 0;
      server.wss.on('connection', (ws) =>
        ws.on('ping', () => {
          pings++;
        }),
      );
      const { client, clock } = makeClient(server.url, { pingInterval: 1, pingTimeout: 0.5 });
      await client.start();
      const openedAt = clock.now();
      clock.tick(1000);
      // A real protocol ping frame reached the server.
      await until(() => pings === 1, 'the ping');
      const lost = nextEvent(client, 'connection_error');
      clock.tick(499);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(client.state, 'connected');
      clock.tick(1);
      const error = await lost;
      assert.equal(error.code, 'PING_TIMEOUT');
      assert.ok(clock.now() - openedAt <= 1500);
      assert.equal(client.state, 'reconnecting');
      await until(() => server.wss.clients.size === 0, 'the server to see the socket closed');

      const connected = nextEvent(client, 'connected');
      clock.tick(1000);
      assert.equal((await connected).attempt, 1);
    },
  );

  it('records the round trip of answered pings and keeps the connection', TEST, async () => {
    const server = await startServer();
    const { client, clock } = makeClient(server.url, { pingInterval: 1, pingTimeout: 0.5 });
    const errors = record(client, 'connection_error');
    await client.start();
    const first = nextEvent(client, 'heartbeat');
    clock.tick(1000);
    assert.deepEqual(await first, { rttMs: 0 });
    clock.tick(700);
    const second = nextEvent(client, 'heartbeat');
    clock.tick(300);
    await second;
    assert.deepEqual(errors, []);
    assert.equal(client.state, 'connected');
    assert.equal(client.getStatistics().lastPingRttMs, 0);
  });
});

describe('WebSocketClient: frames', () => {
  it('counts bad frames (not JSON, not an object, binary) and the stream goes on', TEST, async () => {
    const server = await startServer();
    server.wss.on('connection', (ws) => {
      ws.send('not json');
      ws.send('[1,2]');
      ws.send('42');
      ws.send(Buffer.from([1, 2, 3]));
      ws.send('{"type":"status","connected_clients":1,"monitoring_active":true,"timestamp":"t"}');
    });
    const { client } = makeClient(server.url);
    const invalid = record(client, 'invalid_frame');
    const status = nextEvent(client, 'status');
    await client.start();
    assert.equal((await status).connected_clients, 1);
    assert.deepEqual(
      invalid.map((f) => [f.invalidReason, f.raw]),
      [
        ['not_json', 'not json'],
        ['not_object', '[1,2]'],
        ['not_object', '42'],
        ['binary', 'AQID'],
      ],
    );
    const stats = client.getStatistics();
    assert.equal(stats.messagesReceived, 5);
    assert.equal(stats.invalidMessages, 4);
    assert.equal(client.state, 'connected');
  });

  it('refuses a frame over maxPayload: invalid frame too_large, close 1009, reconnection', TEST, async () => {
    const server = await startServer();
    let connections = 0;
    server.wss.on('connection', (ws) => {
      connections++;
      ws.send(
        connections === 1 ? JSON.stringify({ type: 'huge', blob: 'x'.repeat(4096) }) : CONNECTION_MESSAGE,
      );
    });
    const { client, clock } = makeClient(server.url, { maxPayload: 1024 });
    const invalid = record(client, 'invalid_frame');
    const lost = nextEvent(client, 'connection_error');
    await client.start();
    const error = await lost;
    assert.equal(error.code, 'CONNECTION_CLOSED');
    assert.equal(error.closeCode, 1009);
    assert.equal((invalid[0] as ReceivedFrame).invalidReason, 'too_large');
    assert.deepEqual(
      invalid.map((f) => [f.raw, f.size]),
      [['', 0]],
    );
    await until(() => client.state === 'reconnecting', 'reconnecting');
    const connection = nextEvent(client, 'connection');
    clock.tick(1000);
    await connection;
    const stats = client.getStatistics();
    assert.equal(stats.invalidMessages, 1);
    assert.equal(stats.messagesReceived, 2);
  });

  it(
    'isolates a throwing and a rejecting handler: others still run, handler_error, counted',
    TEST,
    async () => {
      const server = await startServer();
      server.wss.on('connection', (ws) => {
        ws.send(MONITORING_DATA);
        ws.send(MONITORING_DATA);
      });
      const { client } = makeClient(server.url);
      let healthy = 0;
      client.on('monitoring_data', () => {
        throw new Error('sync failure');
      });
      client.on('monitoring_data', async () => {
        throw new Error('async failure');
      });
      client.on('monitoring_data', () => {
        healthy++;
      });
      const failures = record(client, 'handler_error');
      await client.start();
      await until(() => failures.length === 4, 'four handler errors');
      assert.equal(healthy, 2);
      assert.deepEqual(failures.map((f) => [f.event, (f.error as Error).message]).sort(), [
        ['monitoring_data', 'async failure'],
        ['monitoring_data', 'async failure'],
        ['monitoring_data', 'sync failure'],
        ['monitoring_data', 'sync failure'],
      ]);
      assert.equal(client.getStatistics().handlerErrors, 4);
      assert.equal(client.state, 'connected');
    },
  );
});

describe('WebSocketClient: statistics', () => {
  it('sums totals and uptime over reconnections', TEST, async () => {
    const server = await startServer();
    server.wss.on('connection', (ws) => ws.send(CONNECTION_MESSAGE));
    const { client, clock } = makeClient(server.url);
    const t0 = clock.now();
    const welcome = nextEvent(client, 'connection');
    await client.start();
    await welcome;
    clock.tick(10_000);
    const reconnecting = nextEvent(client, 'reconnecting');
    for (const socket of server.wss.clients) socket.terminate();
    await reconnecting;
    const connection = nextEvent(client, 'connection');
    clock.tick(1000);
    await connection;
    clock.tick(3000);

    const stats = client.getStatistics();
    assert.equal(stats.uptimeSeconds, 13);
    assert.equal(stats.connectionStart, new Date(t0).toISOString());
    assert.equal(stats.messagesReceived, 2);
    assert.equal(stats.bytesReceived, 2 * Buffer.byteLength(CONNECTION_MESSAGE));
    assert.equal(stats.reconnectAttempts, 1);
    assert.equal(stats.totalDisconnections, 1);
    assert.equal(stats.errorCount, 1);
    assert.equal(stats.errorHistory[0]?.type, 'CONNECTION_CLOSED');
    assert.equal(stats.errorHistory[0]?.timestamp, new Date(t0 + 10_000).toISOString());
    assert.equal(stats.lastMessageAt, new Date(t0 + 11_000).toISOString());

    // Time stopped does not count.
    await client.stop();
    clock.tick(5000);
    assert.equal(client.getStatistics().uptimeSeconds, 13);
    assert.equal(client.getStatistics().totalDisconnections, 1);
  });
});

describe('WebSocketClient: send', () => {
  it('sends JSON, counts it, and rejects clearly', TEST, async () => {
    const server = await startServer();
    const received: string[] = [];
    server.wss.on('connection', (ws) => {
      ws.on('message', (data) => received.push(data.toString()));
    });
    const { client } = makeClient(server.url);

    await assert.rejects(
      client.send({ type: 'ping' }),
      (e) => e instanceof SendError && e.code === 'NOT_CONNECTED',
    );
    await client.start();
    await client.send({ type: 'ping' });
    await client.send({ type: 'get_status' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await assert.rejects(
      client.send(circular),
      (e) => e instanceof SendError && e.code === 'NOT_SERIALIZABLE',
    );
    await assert.rejects(client.send(10n), (e) => e instanceof SendError && e.code === 'NOT_SERIALIZABLE');
    await assert.rejects(
      client.send(undefined),
      (e) => e instanceof SendError && e.code === 'NOT_SERIALIZABLE',
    );
    await until(() => received.length === 2, 'two messages');
    assert.deepEqual(received, ['{"type":"ping"}', '{"type":"get_status"}']);
    const stats = client.getStatistics();
    assert.equal(stats.messagesSent, 2);
    assert.equal(stats.bytesSent, 15 + 21);
  });

  it('rejects with SEND_TIMEOUT when the socket cannot flush within sendTimeout', TEST, async () => {
    const deaf = startDeafServer({ pauseAfterUpgrade: true });
    const { port } = await deaf.server;
    const { client, clock } = makeClient(`ws://127.0.0.1:${port}`, { sendTimeout: 2 });
    await client.start();
    // Far more than the socket buffers hold while the peer reads nothing.
    const sending = outcome(client.send('x'.repeat(32 * 1024 * 1024)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.tick(2000);
    const error = await sending;
    assert.ok(error instanceof SendError);
    assert.equal(error.code, 'SEND_TIMEOUT');
    assert.equal(client.getStatistics().messagesSent, 0);
  });
});

describe('WebSocketClient: stop', () => {
  it(
    'is idempotent, bounded when the peer never answers the close, and leaves nothing behind',
    TEST,
    async () => {
      const deaf = startDeafServer();
      const { port, sockets } = await deaf.server;
      const { client, clock } = makeClient(`ws://127.0.0.1:${port}`, { closeTimeout: 3, pingInterval: 30 });
      const disconnected = record(client, 'disconnected');
      await client.start();
      assert.equal(clock.pending, 1); // the heartbeat

      const first = client.stop();
      const second = client.stop();
      assert.equal(first, second);
      assert.equal(client.state, 'disconnected');
      let done = false;
      void first.then(() => {
        done = true;
      });
      // The close frame reached the peer, which ignores it.
      await until(() => deaf.afterUpgrade.length > 0, 'the close frame');
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(done, false);
      clock.tick(3000);
      await first;
      assert.equal(clock.pending, 0);
      assert.deepEqual(disconnected, [{ code: 1006, reason: '', willReconnect: false }]);
      await until(() => sockets.size === 0, 'the server to see the socket closed');
      await client.stop();
      assert.equal(client.state, 'disconnected');
    },
  );

  it('closes gracefully with 1000 when the peer answers', TEST, async () => {
    const server = await startServer();
    const closes: number[] = [];
    server.wss.on('connection', (ws) => {
      ws.on('close', (code) => closes.push(code));
    });
    const { client, clock } = makeClient(server.url);
    const disconnected = nextEvent(client, 'disconnected');
    await client.start();
    await client.stop();
    assert.deepEqual(await disconnected, { code: 1000, reason: 'client stopped', willReconnect: false });
    await until(() => closes.length === 1, 'the server to see the close');
    assert.deepEqual(closes, [1000]);
    assert.equal(clock.pending, 0);
  });

  it('rejects a pending start() with StoppedError and cancels the retry', TEST, async () => {
    const port = await freePort();
    const { client, clock } = makeClient(`ws://127.0.0.1:${port}`);
    const started = outcome(client.start());
    await until(() => client.state === 'reconnecting', 'reconnecting');
    assert.equal(clock.pending, 1);
    await client.stop();
    assert.ok((await started) instanceof StoppedError);
    assert.equal(clock.pending, 0);
    assert.equal(client.state, 'disconnected');
  });

  it('aborts a handshake in progress', TEST, async () => {
    let accepted = 0;
    const { port, sockets } = await startTcpServer((socket) => {
      accepted++;
      // Read (and drop) the request, so that the client's end of the connection is seen.
      socket.resume();
    });
    const { client, clock } = makeClient(`ws://127.0.0.1:${port}`);
    const started = outcome(client.start());
    await until(() => accepted === 1, 'the TCP connection');
    await client.stop();
    assert.ok((await started) instanceof StoppedError);
    assert.equal(clock.pending, 0);
    await until(() => sockets.size === 0, 'the socket to close');
  });

  it('can start again after stop', TEST, async () => {
    const server = await startServer();
    const { client } = makeClient(server.url);
    await client.start();
    await client.stop();
    await client.start();
    assert.equal(client.state, 'connected');
    assert.equal(client.getStatistics().errorCount, 0);
  });
});

describe('WebSocketClient: options', () => {
  const invalid: [string, WebSocketClientOptions, string][] = [
    ['pingInterval', { pingInterval: -1 }, 'a number of seconds >= 0'],
    ['pingTimeout', { pingTimeout: 0 }, 'a number of seconds > 0'],
    ['reconnectInterval', { reconnectInterval: Number.NaN }, 'a number of seconds > 0'],
    ['connectTimeout', { connectTimeout: 1e12 }, '<= 2147483'],
    ['maxReconnectAttempts', { maxReconnectAttempts: 1.5 }, 'null (unlimited) or an integer >= 0'],
    ['reconnectBackoff.jitter', { reconnectBackoff: { jitter: 0.5 } }, 'a fraction from 0 to 0.2'],
    ['reconnectBackoff.multiplier', { reconnectBackoff: { multiplier: 0.5 } }, '>= 1'],
    [
      'reconnectBackoff.maxInterval',
      { reconnectInterval: 10, reconnectBackoff: { maxInterval: 5 } },
      '>= reconnectInterval',
    ],
    ['reconnect', { reconnect: 'yes' as never }, 'true or false'],
    ['maxPayload', { maxPayload: 0 }, 'bytes'],
    ['headers.Authorization', { headers: { Authorization: 'a\nb' } }, 'HTTP header'],
    ['logger', { logger: {} as never }, 'debug, info, warn and error'],
    ['ca', { ca: 42 as never }, 'PEM'],
  ];
  for (const [option, options, allowed] of invalid) {
    it(`names ${option} and what is allowed`, () => {
      assert.throws(
        () => new WebSocketClient('ws://localhost:8765', options),
        (error: unknown) =>
          error instanceof InvalidOptionError && error.option === option && error.message.includes(allowed),
      );
    });
  }

  it('accepts only ws:// and wss:// URIs', () => {
    for (const uri of ['http://localhost:8765', 'localhost:8765', 'ws://host/#fragment', '']) {
      assert.throws(
        () => new WebSocketClient(uri),
        (error: unknown) => error instanceof InvalidOptionError && error.option === 'uri',
      );
    }
    const client = new WebSocketClient('wss://user:pw@example.com:8765/path');
    assert.equal(client.uri, 'wss://user:pw@example.com:8765/path');
    assert.equal(client.state satisfies ClientState, 'disconnected');
  });

  it('uses the credentials of the URI but keeps them out of events and messages', TEST, async () => {
    const server = await startServer();
    const authorizations: (string | undefined)[] = [];
    server.wss.on('connection', (_ws, request) => {
      authorizations.push(request.headers.authorization);
    });
    const { client } = makeClient(`ws://user:secret@127.0.0.1:${server.port}`, { maxReconnectAttempts: 0 });
    const connected = nextEvent(client, 'connected');
    await client.start();
    assert.deepEqual(authorizations, [`Basic ${Buffer.from('user:secret').toString('base64')}`]);
    assert.equal((await connected).uri, `ws://127.0.0.1:${server.port}/`);
    const gaveUp = nextEvent(client, 'give_up');
    await server.close();
    const error = await gaveUp;
    assert.doesNotMatch(error.message, /secret/);
    assert.doesNotMatch(client.getStatistics().lastError ?? '', /secret/);
  });
});

describe('WebSocketClient: hostile peers get the right close details', () => {
  /** A server that upgrades by hand, then writes `payload` over and over without reading. */
  function floodingServer(payload: Buffer) {
    return startTcpServer((socket) => {
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        socket.resume();
        const many = Buffer.concat(Array.from({ length: 500 }, () => payload));
        const pump = () => {
          while (!socket.destroyed && socket.write(many)) {}
          if (!socket.destroyed) socket.once('drain', pump);
        };
        pump();
      };
      socket.on('data', onData);
    });
  }

  it('a fragment bomb: the close code reported is the 1008 the client sent', TEST, async () => {
    // A text frame without FIN, then endless one-byte continuation frames.
    const first = Buffer.from([0x01, 0x01, 0x61]);
    const server = await startTcpServer((socket) => {
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        socket.write(first);
        socket.resume();
        const many = Buffer.concat(Array.from({ length: 2000 }, () => Buffer.from([0x00, 0x01, 0x61])));
        const pump = () => {
          while (!socket.destroyed && socket.write(many)) {}
          if (!socket.destroyed) socket.once('drain', pump);
        };
        pump();
      };
      socket.on('data', onData);
    });
    const { client } = makeClient(`ws://127.0.0.1:${server.port}`, { reconnect: false });
    const lost = nextEvent(client, 'disconnected');
    const errors = record(client, 'connection_error');
    await client.start();
    const { code, reason } = await lost;
    assert.equal(code, 1008);
    assert.match(reason, /fragments/i);
    assert.equal(errors[0]?.closeCode, 1008);
  });

  it('a ping flood: the loss says why', TEST, async () => {
    const ping = Buffer.concat([Buffer.from([0x89, 125]), Buffer.alloc(125, 0x70)]);
    const server = await floodingServer(ping);
    const { client } = makeClient(`ws://127.0.0.1:${server.port}`, { reconnect: false });
    const lost = nextEvent(client, 'disconnected');
    const errors = record(client, 'connection_error');
    await client.start();
    const { code, reason } = await lost;
    assert.equal(code, 1006);
    assert.match(reason, /^ping flood: /);
    assert.match(errors[0]?.message ?? '', /closed \(code 1006: ping flood: /);
  });
});

describe('WebSocketClient: handshake headers', () => {
  it('refuses the headers the handshake owns, naming them, without echoing a credential', () => {
    for (const name of ['Sec-WebSocket-Key', 'sec-websocket-protocol', 'Upgrade', 'Connection', 'Host']) {
      assert.throws(
        () => new WebSocketClient('ws://127.0.0.1:1', { headers: { [name]: 'x' } }),
        (error: unknown) =>
          error instanceof InvalidOptionError &&
          error.option === `headers.${name}` &&
          /the handshake sets Host, Upgrade, Connection, Sec-WebSocket-\*/.test(error.message),
        name,
      );
    }
    assert.throws(
      () => new WebSocketClient('ws://127.0.0.1:1', { headers: { Authorization: 'Bearer sëcret\u0001' } }),
      (error: unknown) =>
        error instanceof InvalidOptionError &&
        !error.message.includes('sëcret') &&
        /\[redacted\]/.test(error.message),
    );
  });

  it('warns through its logger when credentials would cross the network in clear text', () => {
    const warnings: string[] = [];
    const ignore = () => {};
    const logger = { debug: ignore, info: ignore, error: ignore, warn: (m: string) => warnings.push(m) };
    new WebSocketClient('ws://monitor.example:8765', { logger, headers: { Authorization: 'Bearer t0ken' } });
    new WebSocketClient('ws://user:pw@10.1.2.3:8765', { logger });
    // Encrypted, or never leaving the machine: nothing to say.
    new WebSocketClient('wss://monitor.example:8765', { logger, headers: { Authorization: 'Bearer t0ken' } });
    new WebSocketClient('ws://127.0.0.1:8765', { logger, headers: { Authorization: 'Bearer t0ken' } });
    new WebSocketClient('ws://[::1]:8765', { logger, headers: { Authorization: 'Bearer t0ken' } });
    new WebSocketClient('ws://monitor.example:8765', { logger, headers: { 'X-Trace': '1' } });
    assert.deepEqual(warnings, [
      'Authorization will be sent unencrypted to monitor.example:8765 (ws://): use wss:// to protect them',
      'the user name and password of the URI will be sent unencrypted to 10.1.2.3:8765 (ws://): use wss:// to protect them',
    ]);
    assert.ok(!warnings.join('').includes('t0ken'));
  });
});
