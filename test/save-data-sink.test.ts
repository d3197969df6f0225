/**
 * The save-data sink as a pipeline Sink: frames of one or several targets, connection events
 * as lines (a saved session shows its gaps), restart after close, the pipeline's clock, and
 * backpressure (what waits in memory is bounded when the producer honours congestion).
 * The line format and the file handling of one target are checked by logging-handler.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SaveDataError } from '../src/errors.js';
import { silentLogger } from '../src/logger.js';
import type { PipelineEvent } from '../src/pipeline/events.js';
import type { Sink, SinkContext } from '../src/pipeline/sink.js';
import { parseFrame } from '../src/protocol/frame.js';
import { isSavedEvent, type SavedRecord } from '../src/save-data/line-format.js';
import { readSavedSession, savedSessionFiles } from '../src/save-data/reader.js';
import { BATCH_BYTES } from '../src/save-data/rotating-writer.js';
import { SaveDataSink, type SaveDataSinkOptions } from '../src/save-data/save-data-sink.js';
import type { Clock } from '../src/transport/clock.js';
import { FakeClock } from './helpers/fake-clock.js';
import { plantForeignSymlink } from './helpers/foreign-symlink.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'save-data-sink-test-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
function freshFolder(): string {
  const folder = join(root, `case-${++folders}`);
  mkdirSync(folder);
  return folder;
}

function incoming(raw: string, at = T0) {
  return { frame: parseFrame(raw, false, at) };
}

function context(clock: Clock): SinkContext {
  return { clock, logger: silentLogger, targets: () => [], target: () => undefined, publish: () => {} };
}

async function readAll(path: string, events = true): Promise<SavedRecord[]> {
  const records: SavedRecord[] = [];
  for await (const record of readSavedSession(path, { events })) records.push(record);
  return records;
}

function create(options: SaveDataSinkOptions): SaveDataSink {
  return new SaveDataSink({ checkInterval: 0, ...options });
}

describe('SaveDataSink: frames', () => {
  it('is a Sink named save-data', () => {
    const sink: Sink = create({ path: join(freshFolder(), 'x.jsonl') });
    assert.equal(sink.name, 'save-data');
    for (const method of ['start', 'frame', 'event', 'onCongestion', 'stats', 'close'] as const) {
      assert.equal(typeof sink[method], 'function', method);
    }
    return sink.close?.();
  });

  it('writes the documented one-target line, byte for byte, whatever the target is called', async () => {
    const path = join(freshFolder(), 'one.jsonl');
    const sink = create({ path });
    sink.frame('ws://127.0.0.1:8765', incoming('{"type":"pong","timestamp":"2026-11-25T16:46:29.043436"}'));
    sink.frame('web1', incoming('hello', T0 + 1));
    await sink.close();
    assert.equal(
      readFileSync(path, 'utf8'),
      '{"received_at":"2026-11-25T12:00:00.000Z","message":{"type":"pong","timestamp":"2026-11-25T16:46:29.043436"}}\n' +
        '{"received_at":"2026-11-25T12:00:00.001Z","invalid":"not_json","raw":"hello"}\n',
    );
  });

  it('with labelTargets, names the target of each frame after received_at', async () => {
    const path = join(freshFolder(), 'fleet.jsonl');
    const sink = create({ path, labelTargets: true });
    sink.frame('web1', incoming('{"type":"pong"}'));
    sink.frame('gpu "2"', incoming('[1]', T0 + 5));
    await sink.close();
    assert.equal(
      readFileSync(path, 'utf8'),
      '{"received_at":"2026-11-25T12:00:00.000Z","target":"web1","message":{"type":"pong"}}\n' +
        '{"received_at":"2026-11-25T12:00:00.005Z","target":"gpu \\"2\\"","invalid":"not_object","message":[1]}\n',
    );
    assert.deepEqual(
      (await readAll(path)).map((r) => r.target),
      ['web1', 'gpu "2"'],
    );
  });
});

describe('SaveDataSink: connection events', () => {
  const events: PipelineEvent[] = [
    { type: 'connected', target: 'web1', at: T0, uri: 'ws://10.0.0.5:8765/', attempt: 0 },
    { type: 'disconnected', target: 'web1', at: T0 + 1000, code: 1006, reason: 'gone', willReconnect: true },
    {
      type: 'reconnecting',
      target: 'web1',
      at: T0 + 1001,
      attempt: 1,
      delayMs: 5000,
      maxAttempts: null,
      lastError: 'refused',
    },
    { type: 'gave_up', target: 'web1', at: T0 + 9000, message: 'gave up after 3 attempts', attempts: 3 },
  ];

  it('saves connected, disconnected, reconnecting and gave_up as lines, in order with the frames', async () => {
    const path = join(freshFolder(), 'gaps.jsonl');
    const sink = create({ path });
    sink.event(events[0]!);
    sink.frame('web1', incoming('{"type":"pong"}', T0 + 500));
    for (const event of events.slice(1)) sink.event(event);
    // Not connection events: not saved.
    sink.event({ type: 'server_notice', target: 'web1', at: T0, kind: 'error', text: 'x' });
    sink.event({ type: 'target_removed', target: 'web1', at: T0 });
    await sink.close();
    assert.deepEqual(readFileSync(path, 'utf8').trimEnd().split('\n'), [
      '{"received_at":"2026-11-25T12:00:00.000Z","event":"connected","target":"web1","uri":"ws://10.0.0.5:8765/","attempt":0}',
      '{"received_at":"2026-11-25T12:00:00.500Z","message":{"type":"pong"}}',
      '{"received_at":"2026-11-25T12:00:01.000Z","event":"disconnected","target":"web1","code":1006,"reason":"gone","will_reconnect":true}',
      '{"received_at":"2026-11-25T12:00:01.001Z","event":"reconnecting","target":"web1","attempt":1,"delay_ms":5000,"max_attempts":null,"last_error":"refused"}',
      '{"received_at":"2026-11-25T12:00:09.000Z","event":"gave_up","target":"web1","attempts":3,"reason":"gave up after 3 attempts"}',
    ]);
    const stats = sink.stats();
    assert.equal(stats.eventsWritten, 4);
    assert.equal(stats.messageCount, 1, 'event lines are not frames');
    assert.equal(stats.messagesWritten, 1);
  });

  it('readSavedSession returns the events (isSavedEvent tells them apart), or only frames', async () => {
    const path = join(freshFolder(), 'read.jsonl');
    const sink = create({ path });
    sink.event(events[1]!);
    sink.frame('web1', incoming('{"type":"pong"}', T0 + 2000));
    await sink.close();
    const records = await readAll(path);
    assert.deepEqual(
      records.map((r) => (isSavedEvent(r) ? `${r.event}:${r.code}:${r.reason}` : 'frame')),
      ['disconnected:1006:gone', 'frame'],
    );
    assert.deepEqual(await readAll(path, false), [records[1]]);
  });
});

describe('SaveDataSink: lifecycle', () => {
  it('start() after close() opens the file again and appends; nothing is taken while closed', async () => {
    const path = join(freshFolder(), 'restart.jsonl');
    const sink = create({ path });
    sink.frame('t', incoming('{"n":1}'));
    const closing = sink.close();
    assert.equal(sink.close(), closing, 'close is idempotent');
    await closing;
    sink.frame('t', incoming('{"n":2}'));
    await sink.start(context(new FakeClock()));
    sink.frame('t', incoming('{"n":3}'));
    await sink.close();
    assert.deepEqual(
      (await readAll(path)).map((r) => (r.message as { n: number }).n),
      [1, 3],
    );
    const stats = sink.getStats();
    assert.equal(stats.messageCount, 2);
    assert.equal(stats.messagesWritten, 2);
  });

  it('uses the pipeline clock given at start: a failed file is retried after retryDelay on it', async () => {
    const folder = join(freshFolder(), 'later');
    const path = join(folder, 'data.jsonl');
    const clock = new FakeClock();
    const errors: Error[] = [];
    const sink = create({ path, retryDelay: 60_000, onError: (error) => errors.push(error) });
    await sink.start(context(clock));
    sink.frame('t', incoming('{"n":1}'));
    await new Promise((done) => setImmediate(done));
    await new Promise((done) => setImmediate(done));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof SaveDataError);
    mkdirSync(folder);
    sink.frame('t', incoming('{"n":2}'));
    await new Promise((done) => setImmediate(done));
    clock.tick(60_000);
    sink.frame('t', incoming('{"n":3}'));
    await sink.close();
    assert.deepEqual(
      (await readAll(path)).map((r) => (r.message as { n: number }).n),
      [3],
      'lines before the retry time are lost, counted; the retry comes on the fake clock',
    );
    assert.equal(sink.getStats().messagesLost, 2);
  });
});

describe('SaveDataSink: backpressure', () => {
  it('is congested above maxPendingBytes and says so once it has caught up', async () => {
    const path = join(freshFolder(), 'burst.jsonl');
    const sink = create({ path, maxPendingBytes: 256 * 1024 });
    const seen: boolean[] = [];
    sink.onCongestion?.((congested) => seen.push(congested));
    const line = JSON.stringify({ type: 'monitoring_data', pad: 'x'.repeat(900) });
    // A burst with no pause, as a producer that ignores congestion would send.
    for (let i = 0; i < 2000; i++) sink.frame('t', incoming(line));
    assert.deepEqual(seen, [true]);
    assert.ok(sink.congested);
    await sink.close();
    assert.deepEqual(seen, [true, false]);
    assert.equal(sink.stats().congestions, 1);
    assert.equal(sink.getStats().messagesWritten, 2000);
  });

  it('keeps memory bounded when the producer stops while congested, as the socket does', async () => {
    const path = join(freshFolder(), 'flood.jsonl');
    const maxPendingBytes = 128 * 1024;
    const sink = create({ path, maxPendingBytes, maxSize: 4 * 1024 * 1024, maxFiles: 3 });
    let congested = false;
    sink.onCongestion?.((value) => {
      congested = value;
    });
    const line = JSON.stringify({ type: 'monitoring_data', pad: 'y'.repeat(700) });
    let peak = 0;
    let produced = 0;
    // 20 MiB of lines, 90 frames per turn of the event loop (one socket read).
    while (produced < 28_000) {
      if (congested) {
        await new Promise((done) => setTimeout(done, 1));
        continue;
      }
      for (let i = 0; i < 90; i++) sink.frame('t', incoming(line));
      produced += 90;
      peak = Math.max(peak, sink.getStats().pendingBytes);
      await new Promise((done) => setImmediate(done));
    }
    await sink.close();
    assert.ok(peak <= maxPendingBytes + BATCH_BYTES, `peak ${peak} bytes waiting`);
    assert.ok(sink.stats().congestions > 0, 'the disk did fall behind');
    assert.equal(sink.getStats().messagesWritten, produced);
  });
});

describe('SaveDataSink: files', () => {
  it('creates its file 0600', async () => {
    const path = join(freshFolder(), 'private.jsonl');
    const sink = create({ path });
    sink.frame('t', incoming('{}'));
    await sink.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('refuses a symbolic link planted by another user, and writes nothing through it', async () => {
    const folder = freshFolder();
    const victim = join(folder, 'victim');
    writeFileSync(victim, 'untouched\n');
    const path = plantForeignSymlink(join(folder, 'data.jsonl'), victim);
    const errors: Error[] = [];
    const sink = create({ path, onError: (error) => errors.push(error) });
    sink.frame('t', incoming('{}'));
    await sink.close();
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /symbolic link owned by another user .*refusing to write through it/);
    assert.equal(sink.getStats().messagesLost, 1);
  });

  it('rotates in time whatever maxFiles is: only the names that exist are touched', async () => {
    const path = join(freshFolder(), 'many.jsonl');
    const sink = create({ path, maxSize: 1024, maxFiles: 1_000_000_000 });
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      sink.frame('t', incoming(JSON.stringify({ i, pad: 'z'.repeat(1100) })));
      await new Promise((done) => setImmediate(done));
    }
    await sink.close();
    assert.ok(Date.now() - started < 5000);
    assert.equal(sink.getStats().rotations, 20);
    assert.equal((await savedSessionFiles(path)).length, 21);
  });
});
