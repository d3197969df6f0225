import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { MonitoringClient } from '../src/client/monitoring-client.js';
import { SimpleMonitoringClient } from '../src/client/simple-monitoring-client.js';
import { GaveUpError, HistoryDisabledError, InvalidOptionError } from '../src/errors.js';
import { SimpleFormatter } from '../src/formatters/simple-formatter.js';
import type { ParsedMessage } from '../src/protocol/frame.js';
import type { MonitoringSnapshot } from '../src/protocol/snapshot.js';
import { fixture, fixtureFrame } from './helpers/fixtures.js';
import { TestServer, until } from './helpers/test-server.js';

/** A stream that keeps what is written to it. */
function sink(): PassThrough & { text(): string } {
  const stream = new PassThrough() as PassThrough & { text(): string };
  let text = '';
  stream.on('data', (chunk) => {
    text += String(chunk);
  });
  stream.text = () => text;
  return stream;
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = await TestServer.start();
  const { port } = server;
  await server.close();
  return port;
}

describe('MonitoringClient', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'monitoring-client-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('normalizes both dialects and prints one record per message', async () => {
    const server = await TestServer.start({ greeting: [fixtureFrame('real-server', 'connection')] });
    const output = sink();
    const notices = sink();
    const received: [ParsedMessage, MonitoringSnapshot][] = [];
    const client = new MonitoringClient({
      uri: server.url,
      output,
      notices,
      color: false,
      pingInterval: 0,
      onMessage: (message, snapshot) => {
        received.push([message, snapshot]);
      },
    });
    await client.start();
    await server.nextClient();
    await server.broadcast(
      fixture('real-server', 'monitoring_data'),
      fixture('documented', 'monitoring_data'),
    );
    await until(() => received.length === 2, 3000, 'two messages');
    await client.stop();

    assert.equal(received[0]?.[1].memory.usagePercent, 1.2);
    assert.equal(received[0]?.[1].disk.path, '/');
    assert.equal(received[1]?.[1].memory.usagePercent, 62.8);
    assert.equal(received[1]?.[1].gpu?.usagePercent, 15);
    assert.deepEqual(received[1]?.[0], fixture('documented', 'monitoring_data'));
    assert.deepEqual(output.text().split('\n'), [
      'CPU: 0.0% | RAM: 1.2% | Disk: 21.5%',
      'CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%',
      '',
    ]);
    assert.match(notices.text(), /Connected to monitoring server/);
    assert.doesNotMatch(output.text(), /Connected/);
    await server.close();
  });

  it('names the valid formats when the format is unknown', () => {
    assert.throws(
      () => new MonitoringClient({ formatType: 'fancy' as 'simple' }),
      (error: unknown) =>
        error instanceof InvalidOptionError && /simple, detailed, compact, json/.test(error.message),
    );
    const client = new MonitoringClient({ output: null, notices: null });
    assert.throws(() => client.setFormatter('fancy' as 'json'), /simple, detailed, compact, json/);
  });

  it('keeps a bounded history only when asked', async () => {
    const server = await TestServer.start();
    const withHistory = new MonitoringClient({
      uri: server.url,
      output: null,
      notices: null,
      storeHistory: true,
      maxHistorySize: 3,
      pingInterval: 0,
    });
    const without = new MonitoringClient({ uri: server.url, output: null, notices: null });
    assert.throws(() => without.getHistory(), HistoryDisabledError);
    assert.equal(without.getLastData(), null);

    await withHistory.start();
    await server.nextClient();
    const frames = [1, 2, 3, 4, 5].map((n) => ({
      ...fixture('real-server', 'monitoring_data'),
      timestamp: `2026-11-25T16:46:2${n}.000000`,
    }));
    await server.broadcast(...frames);
    await until(() => withHistory.getStatistics().recordsDisplayed === 5);
    const history = withHistory.getHistory();
    assert.deepEqual(
      history.map((record) => record.snapshot.timestamp),
      ['2026-11-25T16:46:23.000000', '2026-11-25T16:46:24.000000', '2026-11-25T16:46:25.000000'],
    );
    assert.equal(
      (withHistory.getLastData() as { timestamp: string }).timestamp,
      '2026-11-25T16:46:25.000000',
    );
    await withHistory.stop();
    await server.close();
  });

  it('saves every frame received, valid or not, before stop() resolves', async () => {
    const server = await TestServer.start({ greeting: [fixtureFrame('real-server', 'connection')] });
    const path = join(tmp, 'session.jsonl');
    const client = new MonitoringClient({
      uri: server.url,
      output: null,
      notices: null,
      saveData: path,
      pingInterval: 0,
    });
    await client.start();
    await server.nextClient();
    const frames: string[] = [];
    for (let i = 0; i < 500; i++)
      frames.push(JSON.stringify({ ...fixture('real-server', 'monitoring_data'), seq: i }));
    await server.broadcast(...frames, 'not json', '[1,2]');
    await until(() => client.getStatistics().messagesReceived === 503);
    await client.stop();
    // The connected and disconnected events are saved too, first and last: the frames are between.
    const all = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.match(all[0]!, /"event":"connected"/);
    assert.match(all.at(-1)!, /"event":"disconnected"/);
    const lines = all.slice(1, -1);
    assert.equal(lines.length, 503);
    const parsed = lines.map((line) => JSON.parse(line));
    assert.deepEqual(
      parsed.filter((entry) => entry.message?.type === 'monitoring_data').map((entry) => entry.message.seq),
      frames.map((_, i) => i),
    );
    assert.equal(client.getStatistics().logging?.messagesWritten, 503);
    await server.close();
  });

  it('isolates a throwing onMessage and keeps going', async () => {
    const server = await TestServer.start();
    let calls = 0;
    const client = new MonitoringClient({
      uri: server.url,
      output: null,
      notices: null,
      pingInterval: 0,
      onMessage: () => {
        calls++;
        throw new Error('callback bug');
      },
    });
    await client.start();
    await server.nextClient();
    await server.broadcast(
      fixture('real-server', 'monitoring_data'),
      fixture('real-server', 'monitoring_data'),
    );
    await until(() => calls === 2);
    assert.equal(client.getStatistics().callbackErrors, 2);
    assert.equal(client.isConnected(), true);
    await client.stop();
    await server.close();
  });

  it('sends to the server and lets custom handlers see any message type', async () => {
    const server = await TestServer.start();
    const client = new MonitoringClient({ uri: server.url, output: null, notices: null, pingInterval: 0 });
    const statuses: unknown[] = [];
    client.addCustomHandler('status', (message) => {
      statuses.push(message);
    });
    await client.start();
    const socket = await server.nextClient();
    await client.send({ type: 'get_status' });
    await until(() => server.received.length === 1);
    assert.deepEqual(JSON.parse(server.received[0] ?? ''), { type: 'get_status' });
    socket.send(fixtureFrame('real-server', 'status'));
    await until(() => statuses.length === 1);
    assert.deepEqual(statuses[0], fixture('real-server', 'status'));
    await client.stop();
    await server.close();
  });

  it('reports a failure to onError when start() is not awaited, with no unhandled rejection', async () => {
    const port = await closedPort();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const errors: Error[] = [];
    const client = new MonitoringClient({
      uri: `ws://127.0.0.1:${port}`,
      output: null,
      notices: null,
      reconnect: false,
      onError: (error) => errors.push(error),
    });
    void client.start();
    await until(() => errors.some((error) => error instanceof GaveUpError), 3000, 'give-up');
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
    const gaveUp = errors.find((error) => error instanceof GaveUpError) as GaveUpError;
    assert.equal(gaveUp.lastErrorCode, 'CONNECTION_REFUSED');
    const stats = client.getStatistics();
    assert.equal(stats.currentState, 'error');
    assert.equal(stats.connectionStart, null);
    assert.equal(stats.logging, null);
    await client.stop();
  });

  it('stops at the end of an `await using` block', async () => {
    const server = await TestServer.start();
    let inner: MonitoringClient | undefined;
    {
      await using client = new MonitoringClient({
        uri: server.url,
        output: null,
        notices: null,
        pingInterval: 0,
      });
      inner = client;
      await client.start();
      assert.equal(client.isConnected(), true);
    }
    assert.equal(inner?.isConnected(), false);
    assert.equal(inner?.wsClient.state, 'disconnected');
    await server.close();
  });

  it('switches formatter while running, including a custom one', async () => {
    const server = await TestServer.start();
    const output = sink();
    const client = new MonitoringClient({
      uri: server.url,
      output,
      notices: null,
      color: false,
      pingInterval: 0,
    });
    await client.start();
    await server.nextClient();
    client.setFormatter('compact');
    await server.broadcast(fixture('documented', 'monitoring_data'));
    await until(() => output.text().split('\n').length === 2);
    class Upper extends SimpleFormatter {
      override formatMonitoringData(snapshot: MonitoringSnapshot, message: ParsedMessage): string {
        return super.formatMonitoringData(snapshot, message).toUpperCase();
      }
    }
    client.setFormatter(new Upper({ color: false }));
    await server.broadcast(fixture('documented', 'monitoring_data'));
    await until(() => output.text().split('\n').length === 3);
    await client.stop();
    const [compact, upper] = output.text().split('\n');
    assert.equal(compact, '[14:30:25] CPU:45% │ RAM:63%(8.2/13G) │ DSK:29% │ GPU:15%/45%');
    assert.equal(upper, 'CPU: 45.2% | RAM: 62.8% | DISK: 28.5% | GPU: 15.0%');
    await server.close();
  });

  it("writes a format's header once, before its first record (csv)", async () => {
    const server = await TestServer.start();
    const output = sink();
    const client = new MonitoringClient({ uri: server.url, output, notices: null, formatType: 'csv' });
    await client.start();
    await server.nextClient();
    await server.broadcast(
      fixture('documented', 'monitoring_data'),
      fixture('real-server', 'monitoring_data'),
    );
    await until(() => output.text().split('\n').length === 4);
    await client.stop();
    await server.close();
    const lines = output.text().split('\n');
    assert.equal(lines[0], client.formatter.header());
    assert.ok(lines[0]!.startsWith('received_at,timestamp,host,'));
    assert.match(lines[1]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z,2025-01-03T14:30:25\.123456,,45\.2,/);
    assert.match(lines[2]!, /,vm,0,/);
    assert.equal(lines[3], '');
  });
});

describe('MonitoringClient lifecycle and sinks', () => {
  const FRAME = fixtureFrame('documented', 'monitoring_data');

  it('reports a formatter that throws once per record through onError, does not count it as displayed, and still calls onMessage', async () => {
    const server = await TestServer.start({ greeting: [FRAME, FRAME] });
    class Broken extends SimpleFormatter {
      override formatMonitoringData(): string {
        throw new Error('formatter broke');
      }
    }
    const errors: string[] = [];
    let messages = 0;
    const output = new PassThrough();
    const client = new MonitoringClient({
      uri: server.url,
      formatter: new Broken(),
      output,
      notices: null,
      pingInterval: 0,
      onError: (error) => errors.push(error.message),
      onMessage: () => {
        messages++;
      },
    });
    await client.start();
    await until(() => messages === 2);
    const stats = client.getStatistics();
    assert.deepEqual(errors, ['formatter broke', 'formatter broke']);
    assert.equal(stats.recordsDisplayed, 0);
    assert.equal(stats.sinks.find((s) => s.name === 'display')!.errors, 2);
    await client.stop();
    await server.close();
  });

  it('starts again after stop with a fresh connection; statistics cover the whole life', async () => {
    const server = await TestServer.start({ greeting: [FRAME] });
    let messages = 0;
    const client = new MonitoringClient({
      uri: server.url,
      output: null,
      notices: null,
      pingInterval: 0,
      onMessage: () => {
        messages++;
      },
    });
    assert.equal(client.state, 'idle');
    await client.start();
    await until(() => messages === 1);
    await client.stop();
    assert.equal(client.state, 'stopped');
    await assert.rejects(client.send({ type: 'ping' }), /the client is stopped/);
    await client.start();
    assert.equal(client.state, 'running');
    await until(() => messages === 2, 3000, 'onMessage after a restart');
    assert.equal(client.getStatistics().messagesReceived, 2);
    assert.equal(client.getStatistics().recordsDisplayed, 2);
    const first = client.stop();
    const second = client.stop();
    assert.equal(first, second, 'a second stop is the same stop');
    await second;
    await server.close();
  });

  it('stop() during start() resolves once stopped; the start rejects', async () => {
    const server = await TestServer.start();
    const client = new MonitoringClient({ uri: server.url, output: null, notices: null, pingInterval: 0 });
    const starting = client.start();
    await client.stop();
    await assert.rejects(starting);
    assert.equal(client.state, 'stopped');
    assert.equal(client.isConnected(), false);
    await server.close();
  });

  it('leaves no listener of its own on the streams it wrote to once stopped', async () => {
    const server = await TestServer.start({ greeting: [FRAME] });
    const output = new PassThrough();
    const notices = new PassThrough();
    const before = [
      output.listenerCount('error'),
      output.listenerCount('drain'),
      notices.listenerCount('error'),
    ];
    const client = new MonitoringClient({ uri: server.url, output, notices, pingInterval: 0 });
    await client.start();
    assert.ok(output.listenerCount('error') > before[0]!);
    await client.stop();
    assert.deepEqual(
      [output.listenerCount('error'), output.listenerCount('drain'), notices.listenerCount('error')],
      before,
    );
    await server.close();
  });
});

describe('SimpleMonitoringClient', () => {
  it('calls onData and prints nothing without autoPrint', async () => {
    const server = await TestServer.start();
    const seen: number[] = [];
    const client = new SimpleMonitoringClient({
      uri: server.url,
      autoPrint: false,
      onData: (_message, snapshot) => {
        if (snapshot.cpu.usagePercent !== undefined) seen.push(snapshot.cpu.usagePercent);
      },
      clientOptions: { notices: null, pingInterval: 0 },
    });
    await client.connect();
    assert.equal(client.isConnected(), true);
    await server.nextClient();
    await server.broadcast(fixture('documented', 'monitoring_data'));
    await until(() => seen.length === 1);
    await client.wait(0.01);
    await client.disconnect();
    assert.equal(client.isConnected(), false);
    assert.deepEqual(seen, [45.2]);
    await assert.rejects(client.wait(-1), InvalidOptionError);
    await server.close();
  });
});
