import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PipelineEvent } from '../src/pipeline/events.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { MonitoringRecord } from '../src/pipeline/record.js';
import type { Sink } from '../src/pipeline/sink.js';
import { parseFrame } from '../src/protocol/frame.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture, fixtureFrame } from './helpers/fixtures.js';
import { recordingLogger } from './helpers/recording-logger.js';

/** A sink that keeps what it is given. */
class CollectingSink implements Sink {
  readonly records: MonitoringRecord[] = [];
  readonly events: PipelineEvent[] = [];
  readonly frames: string[] = [];
  started = 0;
  closed = 0;
  constructor(readonly name: string) {}
  start(): void {
    this.started++;
  }
  frame(target: string): void {
    this.frames.push(target);
  }
  write(record: MonitoringRecord): void {
    this.records.push(record);
  }
  event(event: PipelineEvent): void {
    this.events.push(event);
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

const added = (target: string, at: number): PipelineEvent => ({
  type: 'target_added',
  target,
  at,
  uri: `ws://${target}:8765`,
  labels: {},
});

describe('Pipeline', () => {
  it('normalizes once and hands every sink the same record, with its target', async () => {
    const clock = new FakeClock();
    const a = new CollectingSink('a');
    const b = new CollectingSink('b');
    const pipeline = new Pipeline({ sinks: [a, b], clock });
    await pipeline.start();
    pipeline.emit(added('web1', clock.now()));
    pipeline.receive('web1', parseFrame(fixtureFrame('documented', 'monitoring_data'), false, clock.now()));
    pipeline.receive('web1', parseFrame('not json', false, clock.now()));
    assert.equal(a.records.length, 1);
    assert.equal(a.records[0], b.records[0], 'the very same object');
    assert.equal(a.records[0]!.target, 'web1');
    assert.equal(a.records[0]!.snapshot.source, 'web1');
    assert.equal(a.records[0]!.snapshot.cpu.usagePercent, 45.2);
    assert.deepEqual(a.frames, ['web1', 'web1'], 'every frame, valid or not');
    const row = pipeline.target('web1')!;
    assert.equal(row.messages, 2);
    assert.equal(row.invalidMessages, 1);
  });

  it('reports a sink that throws or rejects once, counts it for that sink, and goes on with the others', async () => {
    const errors: string[] = [];
    const logger = recordingLogger();
    const after = new CollectingSink('after');
    const throwing: Sink = {
      name: 'throwing',
      write: () => {
        throw new Error('formatter broke');
      },
    };
    const rejecting: Sink = {
      name: 'rejecting',
      event: async () => Promise.reject(new Error('webhook down')),
    };
    const pipeline = new Pipeline({
      sinks: [throwing, rejecting, after],
      logger,
      onSinkError: (sink, error) => errors.push(`${sink}: ${error.message}`),
    });
    await pipeline.start();
    pipeline.receive('t', parseFrame(fixtureFrame('documented', 'monitoring_data'), false, 1));
    pipeline.emit(added('t', 2));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(errors, ['throwing: formatter broke', 'rejecting: webhook down']);
    assert.equal(after.records.length, 1, 'the sinks after it still get the record');
    assert.equal(after.events.length, 1);
    const stats = Object.fromEntries(pipeline.statistics().map((s) => [s.name, s]));
    assert.equal(stats.throwing!.errors, 1);
    assert.equal(stats.throwing!.lastError, 'formatter broke');
    assert.equal(stats.rejecting!.errors, 1);
    assert.equal(stats.after!.errors, 0);
    assert.equal(logger.lines.filter((l) => l.includes('sink throwing failed')).length, 1, 'logged once');
  });

  it('filters once: a rejected record reaches no sink, a throwing filter rejects and is reported', async () => {
    const sink = new CollectingSink('s');
    const errors: string[] = [];
    let calls = 0;
    const pipeline = new Pipeline({
      sinks: [sink],
      filter: (record) => {
        calls++;
        if (calls === 2) throw new Error('bad filter');
        return (record.snapshot.cpu.usagePercent ?? 0) > 40;
      },
      onSinkError: (name) => errors.push(name),
    });
    await pipeline.start();
    const low = fixture('documented', 'monitoring_data') as {
      data: { processor: { usage_percent: number } };
    };
    low.data.processor.usage_percent = 10;
    pipeline.receive('t', parseFrame(fixtureFrame('documented', 'monitoring_data'), false, 1));
    pipeline.receive('t', parseFrame(fixtureFrame('documented', 'monitoring_data'), false, 2));
    pipeline.receive('t', parseFrame(JSON.stringify(low), false, 3));
    assert.equal(sink.records.length, 1);
    assert.deepEqual(errors, ['filter']);
    assert.deepEqual(pipeline.counts(), { accepted: 1, filtered: 2, filterErrors: 1 });
  });

  it('publishes the server alerts when their set changes, and when they clear', async () => {
    const sink = new CollectingSink('s');
    const pipeline = new Pipeline({ sinks: [sink] });
    await pipeline.start();
    const withAlerts = fixtureFrame('real-server', 'monitoring_data_alerts');
    const without = fixtureFrame('real-server', 'monitoring_data');
    for (const frame of [withAlerts, withAlerts, without, without])
      pipeline.receive('t', parseFrame(frame, false, 1));
    const alerts = sink.events.filter((e) => e.type === 'server_alerts');
    assert.equal(alerts.length, 2);
    assert.ok(alerts[0]!.type === 'server_alerts' && alerts[0]!.alerts.length > 0);
    assert.ok(alerts[1]!.type === 'server_alerts' && alerts[1]!.alerts.length === 0);
  });

  it('turns server connection and error messages into notices', async () => {
    const sink = new CollectingSink('s');
    const pipeline = new Pipeline({ sinks: [sink] });
    await pipeline.start();
    pipeline.receive('t', parseFrame(fixtureFrame('real-server', 'connection'), false, 1));
    pipeline.receive(
      't',
      parseFrame('{"type":"error_message","error":"bad","severity":"warning"}', false, 2),
    );
    const notices = sink.events.filter((e) => e.type === 'server_notice');
    assert.deepEqual(
      notices.map((n) => n.type === 'server_notice' && [n.kind, n.severity]),
      [
        ['connection', undefined],
        ['error', 'warning'],
      ],
    );
  });

  it('pauses while any sink is congested and resumes once all have caught up', async () => {
    const listeners: ((c: boolean) => void)[] = [];
    const congestible = (name: string): Sink => ({
      name,
      onCongestion: (listener) => {
        listeners.push(listener);
        return () => {};
      },
    });
    const pipeline = new Pipeline({ sinks: [congestible('a'), congestible('b')] });
    const seen: boolean[] = [];
    pipeline.onCongestion((c) => seen.push(c));
    await pipeline.start();
    listeners[0]!(true);
    listeners[1]!(true);
    listeners[0]!(false);
    assert.deepEqual(seen, [true]);
    listeners[1]!(false);
    assert.deepEqual(seen, [true, false]);
  });

  it('derives each target status from events and the age of its data, on the injected clock', async () => {
    const clock = new FakeClock();
    const pipeline = new Pipeline({ clock, staleAfter: 10 });
    await pipeline.start();
    pipeline.emit(added('a', clock.now()));
    assert.equal(pipeline.target('a')!.status, 'connecting');
    pipeline.emit({ type: 'connected', target: 'a', at: clock.now(), uri: 'ws://a', attempt: 0 });
    pipeline.receive('a', parseFrame(fixtureFrame('documented', 'monitoring_data'), false, clock.now()));
    assert.equal(pipeline.target('a')!.status, 'up');
    clock.tick(10_001);
    assert.equal(pipeline.target('a')!.status, 'stale');
    assert.equal(Math.round(pipeline.target('a')!.ageSeconds!), 10);
    pipeline.emit({
      type: 'disconnected',
      target: 'a',
      at: clock.now(),
      code: 1006,
      reason: '',
      willReconnect: true,
    });
    assert.equal(pipeline.target('a')!.status, 'reconnecting');
    pipeline.emit({ type: 'gave_up', target: 'a', at: clock.now(), message: 'gave up', attempts: 3 });
    assert.equal(pipeline.target('a')!.status, 'down');
    pipeline.emit({ type: 'target_removed', target: 'a', at: clock.now() });
    assert.equal(pipeline.target('a'), undefined);
  });

  it('restarts its sinks after close, and closes each once per run', async () => {
    const sink = new CollectingSink('s');
    const pipeline = new Pipeline({ sinks: [sink] });
    await pipeline.start();
    await pipeline.close();
    await pipeline.close();
    await pipeline.start();
    await pipeline.close();
    assert.equal(sink.started, 2);
    assert.equal(sink.closed, 2);
  });
});
