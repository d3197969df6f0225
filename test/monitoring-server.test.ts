import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { InvalidOptionError, MonitoringError, StoppedError } from '../src/errors.js';
import type { RealMonitoringData, WireAlert } from '../src/protocol/messages.js';
import { checkAlerts, DEFAULT_ALERT_THRESHOLDS, resolveThresholds } from '../src/server/alerts.js';
import type { MetricsSource } from '../src/server/metrics-source.js';
import { MonitoringServer, type MonitoringServerOptions } from '../src/server/monitoring-server.js';
import { formatLocalTimestamp } from '../src/server/timestamp.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture as realFixture } from './helpers/fixtures.js';
import { recordingLogger } from './helpers/recording-logger.js';

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return realFixture('real-server', name.replace(/\.json$/, '')) as Json;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const plainData = fixture('monitoring_data.json').data as RealMonitoringData;
const alertsMessage = fixture('monitoring_data_alerts.json');
const alertsData = alertsMessage.data as RealMonitoringData;

/** The JSON type of each key, to compare a message's shape with a fixture's. */
function shape(value: Json): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v]),
  );
}

/** A source that returns chosen data and counts its calls. */
class FixedSource implements MetricsSource {
  calls = 0;
  resets = 0;
  constructor(public data: RealMonitoringData | (() => Promise<RealMonitoringData>)) {}
  collect(): Promise<RealMonitoringData> {
    this.calls += 1;
    return typeof this.data === 'function' ? this.data() : Promise.resolve(structuredClone(this.data));
  }
  resetBaseline(): void {
    this.resets += 1;
  }
}

/** Messages of one client, in order of arrival. */
class Inbox {
  readonly messages: Json[] = [];
  #waiters: (() => void)[] = [];
  #read = 0;
  closed: { code: number; reason: string } | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Json);
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.#wake();
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The next message not read yet. */
  async next(timeoutMs = 2000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length <= this.#read) {
      if (this.closed) throw new Error(`closed (${this.closed.code}) while waiting for a message`);
      if (Date.now() > deadline) throw new Error('no message in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages[this.#read++] as Json;
  }

  /** The next message of `type`, skipping others. */
  async nextOf(type: string, timeoutMs = 2000): Promise<Json> {
    for (;;) {
      const message = await this.next(timeoutMs);
      if (message.type === type) return message;
    }
  }

  async whenClosed(timeoutMs = 2000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('not closed in time');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.closed;
  }
}

const servers: MonitoringServer[] = [];
const sockets: WebSocket[] = [];
after(async () => {
  for (const ws of sockets) ws.terminate();
  await Promise.all(servers.map((s) => s.stop()));
});

async function startServer(
  options: MonitoringServerOptions = {},
): Promise<{ server: MonitoringServer; url: string; port: number }> {
  const server = new MonitoringServer({
    port: 0,
    interval: 0.02,
    metricsSource: new FixedSource(plainData),
    ...options,
  });
  servers.push(server);
  const { url, port } = await server.start();
  return { server, url, port };
}

/** Connects and returns the client with its first message (the `connection` message) read. */
async function connect(url: string): Promise<{ ws: WebSocket; inbox: Inbox; hello: Json }> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const inbox = new Inbox(ws);
  const hello = await inbox.next();
  return { ws, inbox, hello };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A client that completes the WebSocket handshake and then never reads. */
async function stuckClient(port: number): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  socket.write(
    'GET / HTTP/1.1\r\n' +
      `Host: 127.0.0.1:${port}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const head = await new Promise<string>((resolve, reject) => {
    socket.once('data', (chunk) => resolve(String(chunk)));
    socket.once('error', reject);
  });
  assert.match(head, /^HTTP\/1\.1 101 /);
  socket.pause();
  socket.on('error', () => {});
  return socket;
}

describe('MonitoringServer: protocol conformance', () => {
  it('sends the connection message of the real server on connect', async () => {
    const { url } = await startServer();
    const { hello } = await connect(url);
    const expected = fixture('connection.json');
    assert.deepEqual(shape(hello), shape(expected));
    assert.equal(hello.status, 'connected');
    assert.equal(hello.message, 'Connected to monitoring server');
    assert.match(String(hello.timestamp), TIMESTAMP);
  });

  it('broadcasts monitoring_data with exactly the fixture keys and the source values', async () => {
    const { server, url } = await startServer();
    const a = await connect(url);
    const b = await connect(url);
    const first = await a.inbox.nextOf('monitoring_data');
    const expected = fixture('monitoring_data.json');
    assert.deepEqual(Object.keys(first), Object.keys(expected));
    assert.deepEqual(first.data, expected.data);
    assert.match(String(first.timestamp), TIMESTAMP);
    // Serialized once: every client gets the same message (b's first may come a tick after a's on a
    // busy machine: compare it with a's message of the same tick).
    const ofB = await b.inbox.nextOf('monitoring_data');
    let ofA = first;
    while (ofA.timestamp !== ofB.timestamp) ofA = await a.inbox.nextOf('monitoring_data');
    assert.deepEqual(ofB, ofA);
    assert.ok(server.messagesSent >= 1);
  });

  it('answers ping with pong and get_status with status, shaped like the fixtures', async () => {
    const { url } = await startServer({ interval: 60 });
    const { ws, inbox } = await connect(url);
    await connect(url);
    ws.send('{"type":"ping"}');
    const pong = await inbox.next();
    assert.deepEqual(shape(pong), shape(fixture('pong.json')));
    assert.equal(pong.type, 'pong');
    assert.match(String(pong.timestamp), TIMESTAMP);
    ws.send(JSON.stringify({ type: 'get_status' }));
    const status = await inbox.next();
    assert.deepEqual(shape(status), shape(fixture('status.json')));
    assert.equal(status.connected_clients, 2);
    assert.equal(status.monitoring_active, true);
  });

  it('answers text that is not JSON, JSON that is not an object, and binary frames with the error, and stays open', async () => {
    const { url } = await startServer({ interval: 60 });
    const { ws, inbox } = await connect(url);
    for (const frame of ['not json', '[1,2]', 'null', '42', '"text"']) {
      ws.send(frame);
      assert.deepEqual(await inbox.next(), fixture('error.json'), `answer to ${frame}`);
    }
    ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    assert.deepEqual(await inbox.next(), fixture('error.json'));
    // Unknown types and objects without a type are ignored: the next answer is the pong.
    ws.send('{"type":"subscribe"}');
    ws.send('{"hello":1}');
    ws.send('{"type":"ping"}');
    assert.equal((await inbox.next()).type, 'pong');
    assert.equal(ws.readyState, WebSocket.OPEN);
  });

  it('adds the alerts of the Python server when thresholds are crossed', async () => {
    const { url } = await startServer({ metricsSource: new FixedSource(alertsData) });
    const { inbox } = await connect(url);
    const message = await inbox.nextOf('monitoring_data');
    assert.deepEqual(Object.keys(message), Object.keys(alertsMessage));
    const expected = (alertsMessage.alerts as WireAlert[]).map((a) => ({
      ...a,
      timestamp: message.timestamp,
    }));
    assert.deepEqual(message.alerts, expected);
  });

  it('leaves alerts out under the thresholds, and follows configured thresholds', async () => {
    const { url } = await startServer({
      metricsSource: new FixedSource(alertsData),
      thresholds: { memoryWarning: 95, memoryCritical: 99, diskCritical: 86 },
    });
    const { inbox } = await connect(url);
    const message = await inbox.nextOf('monitoring_data');
    assert.deepEqual(message.alerts, [
      {
        timestamp: message.timestamp,
        component: 'disk',
        metric: 'usage_percent',
        value: 86,
        threshold: 86,
        level: 'CRITICAL',
        message: 'Critical disk usage: 86.0% (threshold: 86.0%)',
      },
    ]);
    const quiet = await startServer();
    const client = await connect(quiet.url);
    assert.equal('alerts' in (await client.inbox.nextOf('monitoring_data')), false);
  });

  it('takes its time from the injected clock: one message per interval, timestamps of that clock', async () => {
    const clock = new FakeClock(new Date(2026, 10, 25, 16, 46, 28, 549).getTime());
    const source = new FixedSource(plainData);
    const { server, url } = await startServer({ clock, interval: 1, metricsSource: source });
    const { ws, inbox, hello } = await connect(url);
    assert.equal(hello.timestamp, '2026-11-25T16:46:28.549000');
    assert.equal(clock.nextDelay(), 1000);
    clock.tick(999);
    ws.send('{"type":"ping"}');
    // Frames arrive in order: a monitoring_data sent before the tick would come first.
    assert.equal((await inbox.next()).type, 'pong');
    assert.equal(source.calls, 0);
    clock.tick(1);
    const message = await inbox.next();
    assert.equal(message.type, 'monitoring_data');
    assert.equal(message.timestamp, '2026-11-25T16:46:29.549000');
    assert.equal(server.messagesSent, 1);
    assert.equal(clock.nextDelay(), 1000);
  });
});

describe('MonitoringServer: clients', () => {
  it('refuses a client beyond maxClients with close 1008 "Server at capacity"', async () => {
    const { server, url } = await startServer({ maxClients: 1, interval: 60 });
    const first = await connect(url);
    const second = new WebSocket(url);
    sockets.push(second);
    const refused = new Inbox(second);
    assert.deepEqual(await refused.whenClosed(), { code: 1008, reason: 'Server at capacity' });
    assert.equal(refused.messages.length, 0);
    assert.equal(server.clientCount, 1);
    // The slot frees when the first client leaves.
    first.ws.close();
    await waitFor(() => server.clientCount === 0, 'the first client to leave');
    const third = await connect(url);
    assert.equal(third.hello.type, 'connection');
  });

  it('drops a client that does not read, without delaying the others', async () => {
    const maxBufferedBytes = 256 * 1024;
    const logger = recordingLogger();
    const { server, url, port } = await startServer({
      interval: 60,
      maxBufferedBytes,
      logger,
      logSummaryInterval: 0.05,
    });
    const healthy = await connect(url);
    await stuckClient(port);
    await waitFor(() => server.clientCount === 2, 'the stuck client to be served');
    const pad = 'x'.repeat(256 * 1024);
    let seq = 0;
    // The kernel's socket buffers absorb some MB first; then the server's own buffer grows.
    while (server.clientsDropped === 0 && seq < 400) {
      seq += 1;
      const started = Date.now();
      server.broadcast({ type: 'filler', seq, pad });
      const received = await healthy.inbox.next();
      assert.equal(received.seq, seq);
      assert.ok(Date.now() - started < 1000, 'the healthy client got the message at once');
    }
    assert.equal(server.clientsDropped, 1);
    assert.equal(server.clientCount, 1);
    assert.equal(server.refusals.slowReader, 1);
    // Reported in the next summary line, not in a line of its own.
    await waitFor(() => logger.lines.some((l) => l.startsWith('warn refused or cut off')), 'the summary');
    assert.match(
      logger.lines.find((l) => l.startsWith('warn refused'))!,
      /^warn refused or cut off 1 connection in [\d.]+ s: 1 not reading \(send buffer full\); most from 127\.0\.0\.1 \(1\)$/,
    );
    // Once the stuck client is gone, each broadcast is one frame: the healthy client's.
    const frames = server.framesSent;
    server.broadcast({ type: 'filler', seq: seq + 1 });
    assert.equal((await healthy.inbox.next()).seq, seq + 1);
    assert.equal(server.framesSent, frames + 1);
  });

  it('ends the loop when its own broadcast drops the last client', async () => {
    const clock = new FakeClock();
    const big = { ...plainData, system: { ...plainData.system, processor: 'x'.repeat(256 * 1024) } };
    const { server, port } = await startServer({
      clock,
      interval: 1,
      metricsSource: new FixedSource(big),
      maxBufferedBytes: 1024,
    });
    const socket = await stuckClient(port);
    await waitFor(() => server.clientCount === 1, 'the stuck client to be served');
    while (server.clientsDropped === 0 && server.messagesSent < 400) {
      const sent = server.messagesSent;
      clock.tick(1000);
      await waitFor(() => server.messagesSent > sent, 'a broadcast');
    }
    assert.equal(server.clientsDropped, 1);
    assert.equal(server.clientCount, 0);
    // No timer left behind but the refusal summary's: the next collection waits for the next client.
    assert.equal(clock.pending, 1);
    clock.tick(10_000);
    assert.equal(clock.pending, 0);
    socket.destroy();
  });

  it('collects only while a client is connected, resetting the CPU window on resume', async () => {
    const source = new FixedSource(plainData);
    const { server, url } = await startServer({ metricsSource: source });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(source.calls, 0);
    const client = await connect(url);
    await client.inbox.nextOf('monitoring_data');
    assert.equal(source.resets, 1);
    client.ws.close();
    await waitFor(() => server.clientCount === 0, 'the client to leave');
    const calls = source.calls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    // At most the collection that was running when the client left.
    assert.ok(source.calls <= calls + 1);
    const again = await connect(url);
    await again.inbox.nextOf('monitoring_data');
    assert.equal(source.resets, 2);
  });

  it('skips an interval whose collection fails, warns once, and goes on', async () => {
    let failures = 2;
    const source = new FixedSource(async () => {
      if (failures-- > 0) throw new Error('disk gone');
      return structuredClone(plainData);
    });
    const logger = recordingLogger();
    const { server, url } = await startServer({ metricsSource: source, logger });
    const { inbox } = await connect(url);
    const message = await inbox.nextOf('monitoring_data');
    assert.deepEqual(message.data, plainData);
    assert.equal(source.calls >= 3, true);
    assert.equal(server.messagesSent >= 1, true);
    const warnings = logger.lines.filter((l) => l.startsWith('warn metrics collection failed'));
    assert.deepEqual(warnings, ['warn metrics collection failed, nothing sent: disk gone']);
  });

  it('answers plain HTTP with 426 Upgrade Required', async () => {
    const { port } = await startServer();
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(response.status, 426);
    assert.match(await response.text(), /WebSocket/);
  });
});

describe('MonitoringServer: lifecycle', () => {
  it('stop() closes every client with 1001, is idempotent, and frees the port', async () => {
    const { server, url, port } = await startServer();
    const a = await connect(url);
    const b = await connect(url);
    const first = server.stop();
    assert.equal(server.stop(), first);
    await first;
    await server.stop();
    assert.deepEqual(await a.inbox.whenClosed(), { code: 1001, reason: 'Server shutting down' });
    assert.deepEqual(await b.inbox.whenClosed(), { code: 1001, reason: 'Server shutting down' });
    assert.equal(server.url, undefined);
    assert.equal(server.clientCount, 0);
    await assert.rejects(server.start(), StoppedError);
    // The port is free again: a new server can take it.
    const next = await startServer({ port });
    assert.equal(next.port, port);
  });

  it('stop() cuts off a client that does not answer the close frame after closeTimeout', async () => {
    const { server, port } = await startServer({ closeTimeout: 0.05 });
    const socket = await stuckClient(port);
    await waitFor(() => server.clientCount === 1, 'the stuck client to be served');
    const started = Date.now();
    await server.stop();
    assert.ok(Date.now() - started < 1000, `stop took ${Date.now() - started} ms`);
    socket.destroy();
  });

  it('stop() before start() leaves a stopped server', async () => {
    const server = new MonitoringServer({ port: 0 });
    await server.stop();
    await assert.rejects(server.start(), StoppedError);
  });

  it('reports a port in use as LISTEN_FAILED and a missing disk path as an invalid option', async () => {
    const { port } = await startServer();
    const busy = new MonitoringServer({ port, metricsSource: new FixedSource(plainData) });
    await assert.rejects(
      busy.start(),
      (error: unknown) =>
        error instanceof MonitoringError &&
        error.code === 'LISTEN_FAILED' &&
        /EADDRINUSE/.test(error.message),
    );
    await busy.stop();
    const noDisk = new MonitoringServer({ port: 0, diskPath: '/no/such/path' });
    await assert.rejects(
      noDisk.start(),
      (error: unknown) => error instanceof InvalidOptionError && /diskPath/.test(error.message),
    );
  });

  it('validates its options at construction, naming the option', () => {
    const cases: [MonitoringServerOptions, RegExp][] = [
      [{ port: 70000 }, /^invalid port: 70000 \(expected an integer from 0 to 65535/],
      [{ port: 1.5 }, /invalid port/],
      [{ interval: 0 }, /^invalid interval: 0 \(expected a number of seconds from 0.01 to 86400\)$/],
      [{ maxClients: 0 }, /invalid maxClients/],
      [{ maxBufferedBytes: 10 }, /invalid maxBufferedBytes/],
      [{ host: '' }, /invalid host/],
      [{ thresholds: { memoryWarning: 101 } }, /invalid thresholds.memoryWarning: 101/],
      [
        { thresholds: { diskWarning: 96 } },
        /invalid thresholds.diskWarning: 96 \(expected a percentage no higher than/,
      ],
      [{ metricsSource: {} as MetricsSource }, /invalid metricsSource/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => new MonitoringServer(options),
        (error: unknown) => error instanceof InvalidOptionError && message.test(error.message),
        JSON.stringify(options),
      );
    }
  });
});

describe('checkAlerts', () => {
  const at = '2026-11-25T16:49:37.422672';
  const withUsage = (memory: number, disk: number): RealMonitoringData => ({
    ...plainData,
    memory: { ...plainData.memory, percentage: memory },
    disk: { ...plainData.disk, percentage: disk },
  });

  it('reproduces the fixture alerts exactly', () => {
    assert.deepEqual(checkAlerts(alertsData, DEFAULT_ALERT_THRESHOLDS, at), alertsMessage.alerts);
  });

  it('crosses a threshold at equality, one alert per component, the higher level winning', () => {
    assert.deepEqual(checkAlerts(withUsage(79.9, 84.9), DEFAULT_ALERT_THRESHOLDS, at), []);
    const alerts = checkAlerts(withUsage(80, 95), DEFAULT_ALERT_THRESHOLDS, at);
    assert.deepEqual(
      alerts.map((a) => [a.component, a.level, a.threshold, a.message]),
      [
        ['memory', 'WARNING', 80, 'High memory usage: 80.0% (threshold: 80.0%)'],
        ['disk', 'CRITICAL', 95, 'Critical disk usage: 95.0% (threshold: 95.0%)'],
      ],
    );
  });

  it('writes fractional thresholds in full and ignores values that are not numbers', () => {
    const thresholds = resolveThresholds({ memoryWarning: 85.25 });
    assert.equal(
      checkAlerts(withUsage(86, 0), thresholds, at)[0]?.message,
      'High memory usage: 86.0% (threshold: 85.25%)',
    );
    assert.deepEqual(checkAlerts(withUsage(Number.NaN, Number.POSITIVE_INFINITY), thresholds, at), []);
  });

  it('resolveThresholds fills defaults and names the option in errors', () => {
    assert.deepEqual(resolveThresholds({ diskWarning: 50 }), {
      ...DEFAULT_ALERT_THRESHOLDS,
      diskWarning: 50,
    });
    assert.throws(
      () =>
        resolveThresholds(
          { memoryCritical: 70 },
          {
            memoryWarning: '--memory-warning',
            memoryCritical: '--memory-critical',
            diskWarning: '--disk-warning',
            diskCritical: '--disk-critical',
          },
        ),
      /^InvalidOptionError: invalid --memory-critical: 70 \(expected a percentage no lower than --memory-warning, 80\)$/,
    );
  });
});

describe('formatLocalTimestamp', () => {
  it('writes local time with six fraction digits and no zone', () => {
    const ms = new Date(2026, 10, 25, 16, 46, 29, 42).getTime();
    assert.equal(formatLocalTimestamp(ms), '2026-11-25T16:46:29.042000');
    assert.equal(formatLocalTimestamp(ms + 0.542), '2026-11-25T16:46:29.042542');
    assert.equal(
      formatLocalTimestamp(new Date(2026, 0, 2, 3, 4, 5, 0).getTime()),
      '2026-01-02T03:04:05.000000',
    );
  });
});
