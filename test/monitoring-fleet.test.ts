import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../src/errors.js';
import { MonitoringFleet } from '../src/fleet/monitoring-fleet.js';
import { defaultTargetName } from '../src/fleet/target.js';
import { silentLogger } from '../src/logger.js';
import type { MonitoringRecord } from '../src/pipeline/record.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixtureFrame } from './helpers/fixtures.js';
import { holdingServer } from './helpers/holding-server.js';
import { TestServer, until } from './helpers/test-server.js';

const FRAME = fixtureFrame('documented', 'monitoring_data');
const FAST = { pingInterval: 0, reconnectInterval: 0.05, reconnectBackoff: { jitter: 0 } };

/** Records per target, from the fleet's `record` event. */
function countByTarget(fleet: MonitoringFleet): Map<string, number> {
  const counts = new Map<string, number>();
  fleet.on('record', (record) => counts.set(record.target, (counts.get(record.target) ?? 0) + 1));
  return counts;
}

describe('MonitoringFleet', () => {
  it('watches two servers in one process; one killed and restarted while the other keeps going', async () => {
    const one = await TestServer.start();
    let two = await TestServer.start();
    const port = two.port;
    const fleet = new MonitoringFleet({
      ...FAST,
      targets: [
        { name: 'one', uri: one.url, labels: { site: 'paris' } },
        { name: 'two', uri: two.url },
      ],
    });
    const counts = countByTarget(fleet);
    const events: string[] = [];
    fleet.on('*', (type, data) => {
      if (type !== 'record') events.push(`${type}:${(data as { target: string }).target}`);
    });
    await fleet.start();
    await Promise.all([fleet.whenConnected('one'), fleet.whenConnected('two')]);
    await one.broadcast(FRAME);
    await two.broadcast(FRAME);
    await until(() => counts.get('one') === 1 && counts.get('two') === 1);

    await two.close();
    await until(() => fleet.targets().find((t) => t.name === 'two')?.status === 'reconnecting');
    await one.broadcast(FRAME, FRAME);
    await until(() => counts.get('one') === 3, 3000, 'the other target to keep receiving');

    two = await TestServer.start({ port });
    await until(() => fleet.targets().find((t) => t.name === 'two')?.status === 'up', 5000, 'reconnection');
    await two.nextClient();
    await two.broadcast(FRAME);
    await until(() => counts.get('two') === 2);

    const rows = fleet.targets();
    assert.deepEqual(
      rows.map((r) => [r.name, r.status, r.labels]),
      [
        ['one', 'up', { site: 'paris' }],
        ['two', 'up', {}],
      ],
    );
    assert.ok(rows[1]!.reconnects >= 1);
    assert.equal(rows[0]!.snapshot?.cpu.usagePercent, 45.2);
    assert.ok(events.includes('disconnected:two') && events.includes('reconnecting:two'));
    const stats = fleet.getStatistics();
    assert.equal(stats.totals.targets, 2);
    assert.equal(stats.totals.recordsAccepted, 5);
    await fleet.stop();
    assert.ok(fleet.targets().every((r) => r.status === 'down'));
    await one.close();
    await two.close();
  });

  it('watches fifty servers in one process', async () => {
    const servers = await Promise.all(Array.from({ length: 50 }, () => TestServer.start()));
    const fleet = new MonitoringFleet({
      ...FAST,
      targets: servers.map((server, i) => ({ name: `s${i}`, uri: server.url })),
    });
    const counts = countByTarget(fleet);
    await fleet.start();
    await Promise.all(servers.map((_s, i) => fleet.whenConnected(`s${i}`)));
    await Promise.all(servers.map((server) => server.broadcast(FRAME)));
    await until(() => counts.size === 50, 5000, 'a record from every server');
    assert.equal(fleet.getStatistics().totals.connected, 50);
    await fleet.stop();
    await Promise.all(servers.map((server) => server.close()));
  });

  it('adds and removes targets while running: the removed one closes and its row goes away', async () => {
    const a = await TestServer.start();
    const b = await TestServer.start();
    const fleet = new MonitoringFleet({ ...FAST, targets: [{ name: 'a', uri: a.url }] });
    const removed: string[] = [];
    fleet.on('target_removed', ({ target }) => removed.push(target));
    await fleet.start();
    await fleet.add({ name: 'b', uri: b.url });
    await fleet.whenConnected('b');
    assert.deepEqual(fleet.targetNames(), ['a', 'b']);
    await assert.rejects(fleet.add({ name: 'b', uri: b.url }), InvalidOptionError);
    await fleet.remove('b');
    await until(() => b.wss.clients.size === 0, 3000, 'the removed target to close its socket');
    assert.deepEqual(
      fleet.targets().map((r) => r.name),
      ['a'],
    );
    assert.deepEqual(removed, ['b']);
    await assert.rejects(fleet.remove('nope'), InvalidOptionError);
    await fleet.stop();
    await a.close();
    await b.close();
  });

  it('gives records to an async iterator with a bounded queue: a slow consumer loses the oldest, counted', async () => {
    const server = await TestServer.start();
    const fleet = new MonitoringFleet({ ...FAST, targets: [{ name: 'a', uri: server.url }] });
    const records = fleet.records({ bufferSize: 10 });
    await fleet.start();
    await fleet.whenConnected('a');
    const counts = countByTarget(fleet);
    const frames = Array.from({ length: 200 }, (_v, i) => FRAME.replace('14:30:25.123456', `14:30:25.${i}`));
    await server.broadcast(...frames);
    await until(() => counts.get('a') === 200);
    const first = await records.next();
    assert.equal(first.done, false);
    // The oldest were dropped: the first kept is one of the last eleven (10 queued + 1 in hand).
    const kept = (first.value as MonitoringRecord).snapshot.timestamp!;
    assert.ok(Number(kept.split('.')[1]) >= 189, kept);
    const stats = fleet.getStatistics().sinks.find((s) => s.name === 'records')!;
    assert.equal(stats.own!.dropped, 190);
    let rest = 0;
    for await (const _record of records) {
      rest++;
      if (rest === 9) break;
    }
    assert.equal(
      fleet.getStatistics().sinks.some((s) => s.name === 'records'),
      false,
      'break leaves the pipeline',
    );
    await fleet.stop();
    await server.close();
  });

  it('pauses reading while a paused iterator is full, so memory stays bounded', async () => {
    const server = await TestServer.start();
    const fleet = new MonitoringFleet({ ...FAST, targets: [{ name: 'a', uri: server.url }] });
    const records = fleet.records({ bufferSize: 5, overflow: 'pause' });
    await fleet.start();
    await fleet.whenConnected('a');
    await server.broadcast(...Array.from({ length: 50 }, () => FRAME));
    await until(() => fleet.pipeline.congested, 3000, 'congestion');
    const own = () => fleet.getStatistics().sinks.find((s) => s.name === 'records')!.own!;
    assert.ok((own().queued as number) <= 10, 'never more than twice the size queued');
    let read = 0;
    for await (const _record of records) {
      read++;
      assert.ok((own().queued as number) <= 10);
      if (read + (own().dropped as number) === 50) break;
    }
    assert.equal(fleet.getStatistics().totals.recordsAccepted, 50);
    assert.ok(read >= 5);
    await fleet.stop();
    await server.close();
  });

  it('starts again after stop, and stop is idempotent and waits for a start in progress', async () => {
    const server = await TestServer.start();
    const fleet = new MonitoringFleet({ ...FAST, targets: [{ name: 'a', uri: server.url }] });
    const counts = countByTarget(fleet);
    const starting = fleet.start();
    const stopping = fleet.stop();
    assert.equal(fleet.stop(), stopping, 'the same stop');
    await starting;
    await stopping;
    assert.equal(fleet.state, 'stopped');
    await fleet.start();
    await fleet.whenConnected('a');
    await server.nextClient();
    await server.broadcast(FRAME);
    await until(() => counts.get('a') === 1);
    await fleet.stop();
    await fleet.stop();
    assert.equal(fleet.state, 'stopped');
    await server.close();
  });

  it("puts each target's ping round trip in its row, and warns of its invalid frames by name", async () => {
    const server = await TestServer.start();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const fleet = new MonitoringFleet({
      ...FAST,
      pingInterval: 0.05,
      logger,
      targets: [{ name: 'web1', uri: server.url }],
    });
    try {
      await fleet.start();
      await fleet.whenConnected('web1');
      await until(
        () => fleet.targets().find((t) => t.name === 'web1')?.rttMs !== null,
        3000,
        'a ping answered',
      );
      const rtt = fleet.targets().find((t) => t.name === 'web1')?.rttMs;
      assert.ok(typeof rtt === 'number' && rtt >= 0 && rtt < 3000, `rttMs ${rtt}`);

      await server.broadcast('not json');
      await until(() => warnings.length > 0, 3000, 'the warning');
      assert.deepEqual(warnings, ['invalid frame from web1 (not_json, 8 bytes)']);
    } finally {
      await fleet.stop();
      await server.close();
    }
  });

  it('names a target after its host and port, and refuses bad targets naming the field', () => {
    assert.equal(defaultTargetName('ws://10.0.0.5:8765'), '10.0.0.5:8765');
    assert.equal(defaultTargetName('wss://host/metrics'), 'host:443/metrics');
    assert.throws(
      () => new MonitoringFleet({ targets: [{ name: '', uri: 'ws://h' }] }),
      /targets\[0\]\.name/,
    );
    assert.throws(
      () => new MonitoringFleet({ targets: [{ name: 'a', uri: 'http://h' }] }),
      /targets\[0\]\.uri/,
    );
    assert.throws(
      () => new MonitoringFleet({ targets: [{ name: 'a', uri: 'ws://h', labels: { target: 'x' } }] }),
      /labels/,
    );
    assert.throws(
      () =>
        new MonitoringFleet({
          targets: [
            { name: 'a', uri: 'ws://h' },
            { name: 'a', uri: 'ws://g' },
          ],
        }),
      /targets\[1\]\.name/,
    );
    assert.throws(
      () => new MonitoringFleet({ maxConnecting: 0 }),
      /maxConnecting.*null \(no bound\) or an integer >= 1/,
    );
  });
});

describe('MonitoringFleet: handshakes in flight', () => {
  it('keeps at most maxConnecting handshakes in flight; the others start as they end', async () => {
    const server = await holdingServer();
    const clock = new FakeClock();
    const names = ['a', 'b', 'c', 'd', 'e'];
    const fleet = new MonitoringFleet({
      ...FAST,
      clock,
      maxConnecting: 2,
      targets: names.map((name) => ({ name, uri: server.url })),
    });
    try {
      await fleet.start();
      await until(() => server.received === 2);
      // Given time, no third handshake starts while two are in flight.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(server.received, 2);
      assert.deepEqual(
        fleet.targets().map((row) => row.status),
        ['connecting', 'connecting', 'connecting', 'connecting', 'connecting'],
      );
      server.answer(0);
      await fleet.whenConnected('a');
      await until(() => server.received === 3, 3000, 'the third handshake once the first ended');
      // A handshake still in flight after 1 s stops counting: the next ones start.
      clock.tick(1000);
      await until(() => server.received === 5, 3000, 'the queued handshakes after the hold limit');
      for (let i = 1; i < 5; i++) server.answer(i);
      await Promise.all(names.map((name) => fleet.whenConnected(name)));
      assert.equal(fleet.getStatistics().totals.connected, 5);
    } finally {
      await fleet.stop();
      await server.close();
    }
  });

  it('a target removed or a fleet stopped while waiting for its turn never connects', async () => {
    const server = await holdingServer();
    const clock = new FakeClock();
    const fleet = new MonitoringFleet({
      ...FAST,
      clock,
      maxConnecting: 1,
      targets: ['a', 'b', 'c'].map((name) => ({ name, uri: `${server.url}/${name}` })),
    });
    await fleet.start();
    await until(() => server.received === 1);
    await fleet.remove('b');
    server.answer(0);
    await fleet.whenConnected('a');
    await until(() => server.received === 2);
    // c took b's turn; stopping now ends c's handshake and starts no other.
    await fleet.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(server.paths, ['/a', '/c'], 'b, removed while waiting, never shook hands');
    await assert.rejects(fleet.whenConnected('c'), /stopped/i);
    await server.close();
  });
});
