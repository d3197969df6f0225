/**
 * The recorder sink with real SQLite files: what it keeps (rows as sent, targets, events),
 * how it batches (one transaction per flush, at most a second late, on the pipeline's
 * clock), retention, a database that refuses writes, and the files it must not touch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { InvalidOptionError } from '../src/errors.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { parseFrame } from '../src/protocol/frame.js';
import { normalizeMonitoringData } from '../src/protocol/normalize.js';
import { FrameBatch } from '../src/recording/frame-batch.js';
import { NUMBER_METRICS, RECORDED_METRICS, TEXT_METRICS, writeMetrics } from '../src/recording/metrics.js';
import { queryRecording } from '../src/recording/query.js';
import { RecorderSink } from '../src/recording/recorder-sink.js';
import { RecordingError } from '../src/recording/recording-error.js';
import { openRecordingReader } from '../src/recording/recording-reader.js';
import { APPLICATION_ID, SCHEMA_VERSION } from '../src/recording/schema.js';
import { WebSocketClient } from '../src/transport/websocket-client.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture } from './helpers/fixtures.js';
import { feedPipeline, metricsFrame } from './helpers/recording.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { TestServer, until } from './helpers/test-server.js';

let tmp: string;
let files = 0;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mwc-recorder-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function newPath(): string {
  return join(tmp, `rec-${++files}.db`);
}

/** Rows of `table` as another process would see them (committed ones only). */
function committed(path: string, table: 'snapshots' | 'events' | 'targets' | 'frames'): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The frames a replay would read back, in order. */
async function framesOf(path: string): Promise<{ target: string; raw: string }[]> {
  const reader = await openRecordingReader(path);
  const frames: { target: string; raw: string }[] = [];
  for await (const page of reader.pages()) {
    for (const item of page) if (item.kind === 'frame') frames.push({ target: item.target, raw: item.raw });
  }
  reader.close();
  return frames;
}

function integrity(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** A pipeline with a recorder on a fake clock; `receive` hands it a frame at the clock's time. */
async function recorderOnFakeClock(options: Partial<ConstructorParameters<typeof RecorderSink>[0]> = {}) {
  const clock = new FakeClock();
  const path = options.path ?? newPath();
  const logger = recordingLogger();
  const errors: Error[] = [];
  const sink = new RecorderSink({ ...options, path });
  const pipeline = new Pipeline({ sinks: [sink], clock, logger, onSinkError: (_s, e) => errors.push(e) });
  await pipeline.start();
  const receive = (target: string, values: Parameters<typeof metricsFrame>[0] = {}, at = clock.now()) =>
    pipeline.receive(target, parseFrame(metricsFrame(values), false, at));
  return { clock, path, sink, pipeline, receive, logger, errors };
}

describe('RecorderSink', () => {
  it('records two real servers: one row per message with the values sent, the targets, their events', async () => {
    const servers = [await TestServer.start(), await TestServer.start()];
    const urls = servers.map((server) => server.url);
    const path = newPath();
    const sink = new RecorderSink({ path });
    const pipeline = new Pipeline({ sinks: [sink] });
    await pipeline.start();
    const clients = servers.map(
      (server) => new WebSocketClient(server.url, { reconnect: false, pingInterval: 0 }),
    );
    for (const [i, client] of clients.entries()) feedPipeline(client, `server-${i}`, pipeline);
    await Promise.all(clients.map((client) => client.start()));
    const sent: string[][] = [[], []];
    for (let i = 0; i < 10; i++) {
      for (const [s, server] of servers.entries()) {
        const frame = metricsFrame({
          cpu: s * 50 + i + 0.5,
          memory: 10 + i,
          disk: 20.25 + s,
          host: `host-${s}`,
        });
        sent[s]!.push(frame);
        await server.broadcast(frame);
      }
    }
    await until(() => pipeline.counts().accepted === 20, 5000, 'every frame received');
    await Promise.all(clients.map((client) => client.stop()));
    await pipeline.close();
    await Promise.all(servers.map((server) => server.close()));

    const result = queryRecording(path, { metrics: ['cpu', 'memory', 'disk', 'gpu', 'hostname'] });
    for (const s of [0, 1]) {
      const rows = result.rows.filter((row) => row.target === `server-${s}`);
      assert.deepEqual(
        rows.map((row) => [row.cpu, row.memory, row.disk, row.gpu, row.hostname]),
        Array.from({ length: 10 }, (_, i) => [s * 50 + i + 0.5, 10 + i, 20.25 + s, 37, `host-${s}`]),
      );
    }
    const db = new Database(path, { readonly: true });
    const targets = db.prepare('SELECT name, uri, labels FROM targets ORDER BY id').all();
    assert.deepEqual(targets, [
      { name: 'server-0', uri: urls[0], labels: '{"role":"test"}' },
      { name: 'server-1', uri: urls[1], labels: '{"role":"test"}' },
    ]);
    const raws = await framesOf(path);
    assert.deepEqual(
      raws.map((f) => f.raw).sort(),
      [...sent[0]!, ...sent[1]!].sort(),
      'the frames are kept as received',
    );
    const events = db.prepare('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type').all();
    assert.deepEqual(events, [
      { type: 'connected', n: 2 },
      { type: 'disconnected', n: 2 },
    ]);
    db.close();
    assert.equal(integrity(path), 'ok');
    assert.deepEqual(sink.stats(), {
      path,
      rowsWritten: 20,
      eventsWritten: 4,
      pendingRows: 0,
      flushes: (sink.stats() as { flushes: number }).flushes,
      rowsDeleted: 0,
      rowsLost: 0,
      writeErrors: 0,
      lastError: null,
    });
  });

  it('the file is a WAL database marked as a recording, with the schema version', async () => {
    const { path, pipeline } = await recorderOnFakeClock();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    db.close();
    await pipeline.close();
  });

  it('batches: nothing is committed before the flush interval, then everything in one transaction', async () => {
    const { clock, path, sink, pipeline, receive } = await recorderOnFakeClock();
    for (let i = 0; i < 100; i++) receive('a', { cpu: i });
    assert.equal(committed(path, 'snapshots'), 0);
    clock.tick(499);
    await sink.settled();
    assert.equal(committed(path, 'snapshots'), 0);
    clock.tick(1);
    await sink.settled();
    assert.equal(committed(path, 'snapshots'), 100);
    assert.equal((sink.stats() as { flushes: number }).flushes, 1, 'one transaction for 100 records');
    assert.equal(clock.pending, 0, 'no timer while nothing waits');
    await pipeline.close();
  });

  it('a record waits at most one interval, even when it came while the previous flush was being written', async () => {
    const { clock, path, sink, pipeline, receive } = await recorderOnFakeClock({ flushInterval: 1000 });
    receive('a', { cpu: 1 });
    clock.tick(1000);
    // The first flush is with the writer; these come meanwhile.
    receive('a', { cpu: 2 });
    clock.tick(600);
    receive('a', { cpu: 3 });
    await sink.settled();
    assert.equal(committed(path, 'snapshots'), 1);
    clock.tick(399);
    await sink.settled();
    assert.equal(committed(path, 'snapshots'), 1);
    clock.tick(1);
    await sink.settled();
    assert.equal(
      committed(path, 'snapshots'),
      3,
      'due a second after the second record came, not after the first flush',
    );
    await pipeline.close();
  });

  it('flushes at once when flushRows records wait, without waiting for the interval', async () => {
    const { clock, path, sink, pipeline, receive } = await recorderOnFakeClock({ flushRows: 3 });
    receive('a');
    receive('a');
    assert.equal(committed(path, 'snapshots'), 0);
    receive('a');
    await sink.settled();
    assert.equal(committed(path, 'snapshots'), 3);
    receive('a');
    clock.tick(1000);
    await sink.settled();
    assert.equal(committed(path, 'snapshots'), 4);
    assert.equal((sink.stats() as { flushes: number }).flushes, 2);
    await pipeline.close();
  });

  it('close() commits what waits; it is idempotent; a second run appends to the same file', async () => {
    const first = await recorderOnFakeClock();
    first.receive('a', { cpu: 1 });
    await first.pipeline.close();
    await first.sink.close();
    assert.equal(committed(first.path, 'snapshots'), 1);
    const second = await recorderOnFakeClock({ path: first.path });
    second.receive('a', { cpu: 2 });
    second.receive('b', { cpu: 3 });
    await second.pipeline.close();
    assert.deepEqual(
      queryRecording(first.path, { metrics: ['cpu'] }).rows.map((row) => [row.target, row.cpu]),
      [
        ['a', 1],
        ['a', 2],
        ['b', 3],
      ],
    );
    assert.equal(committed(first.path, 'targets'), 2, 'target a is the same row in both runs');
  });

  it('keeps lifecycle events and alerts with their details, and ignores what the snapshots already hold', async () => {
    const { clock, path, pipeline } = await recorderOnFakeClock();
    const at = clock.now();
    pipeline.emit({ type: 'target_added', target: 'a', at, uri: 'ws://a:1', labels: { rack: 'r1' } });
    pipeline.emit({ type: 'connected', target: 'a', at, uri: 'ws://a:1', attempt: 0 });
    pipeline.emit({
      type: 'disconnected',
      target: 'a',
      at: at + 5,
      code: 1006,
      reason: '',
      willReconnect: true,
    });
    pipeline.emit({
      type: 'alert',
      target: 'a',
      at: at + 6,
      state: 'firing',
      rule: 'cpu > 90 for 30s',
      metric: 'cpu',
      value: 95,
      threshold: 90,
      severity: 'critical',
      since: at,
      origin: 'rule',
      summary: 'cpu 95% > 90%',
    });
    await pipeline.close();
    const db = new Database(path, { readonly: true });
    assert.deepEqual(db.prepare('SELECT name, uri, labels FROM targets').all(), [
      { name: 'a', uri: 'ws://a:1', labels: '{"rack":"r1"}' },
    ]);
    const rows = db.prepare('SELECT time, type, detail FROM events ORDER BY rowid').all() as {
      time: number;
      type: string;
      detail: string;
    }[];
    db.close();
    assert.deepEqual(
      rows.map((row) => [row.time - at, row.type]),
      [
        [0, 'connected'],
        [5, 'disconnected'],
        [6, 'alert'],
      ],
    );
    assert.deepEqual(JSON.parse(rows[1]!.detail), { code: 1006, reason: '', willReconnect: true });
    assert.equal(JSON.parse(rows[2]!.detail).rule, 'cpu > 90 for 30s');
  });

  it('--retention: deletes older snapshots, frames and events as it runs, on the pipeline clock', async () => {
    const hour = 3_600_000;
    const { clock, path, sink, pipeline, receive } = await recorderOnFakeClock({
      retention: hour,
      retentionInterval: 60_000,
    });
    const now = clock.now();
    receive('a', { cpu: 1 }, now - 2 * hour);
    receive('a', { cpu: 2 }, now - hour / 2);
    receive('b', { cpu: 3 }, now - 3 * hour);
    receive('b', { cpu: 4 }, now);
    pipeline.emit({ type: 'connected', target: 'a', at: now - 2 * hour, uri: 'ws://a', attempt: 0 });
    pipeline.emit({ type: 'connected', target: 'a', at: now, uri: 'ws://a', attempt: 1 });
    clock.tick(1000);
    await sink.settled();
    assert.equal(committed(path, 'snapshots'), 4);
    clock.tick(59_000);
    await sink.settled();
    assert.deepEqual(
      queryRecording(path, { metrics: ['cpu'] }).rows.map((row) => row.cpu),
      [2, 4],
      'rows older than an hour are gone',
    );
    assert.deepEqual(
      (await framesOf(path)).map((f) => f.raw),
      [metricsFrame({ cpu: 2 }), metricsFrame({ cpu: 4 })],
    );
    assert.equal(committed(path, 'frames'), 1, 'the row of frames stays while one of its snapshots does');
    assert.equal(committed(path, 'events'), 1);
    assert.equal((sink.stats() as { rowsDeleted: number }).rowsDeleted, 3);
    clock.tick(hour);
    await sink.settled();
    assert.deepEqual(
      queryRecording(path, { metrics: ['cpu'] }).rows.map((row) => row.cpu),
      [],
      'an hour later, those are gone too',
    );
    assert.equal(committed(path, 'frames'), 0);
    await pipeline.close();
    assert.equal(clock.pending, 0, 'close() stops the retention timer');
  });

  it('--retention keeps the per-minute totals right in the minute it cuts through', async () => {
    const { clock, path, sink, pipeline, receive } = await recorderOnFakeClock({
      retention: 60_000,
      retentionInterval: 25_000,
    });
    // T0 is a whole minute; the rows are at 10, 20, 30 and 40 s into the one before it.
    const minute = clock.now() - 60_000;
    for (const [second, cpu] of [
      [10, 5],
      [20, 50],
      [30, 7],
      [40, 3],
    ] as const) {
      receive('a', { cpu }, minute + second * 1000);
    }
    await sink.flush();
    const buckets = () =>
      queryRecording(path, { metrics: ['cpu'], every: 60_000, aggregates: ['avg', 'min', 'max', 'last'] })
        .rows;
    assert.deepEqual(buckets(), [
      { time: minute, target: 'a', samples: 4, cpu_avg: 16.25, cpu_min: 3, cpu_max: 50, cpu_last: 3 },
    ]);
    // 25 s later the cutoff is 25 s into that minute: the rows at 10 and 20 s go.
    clock.tick(25_000);
    await sink.settled();
    assert.deepEqual(buckets(), [
      { time: minute, target: 'a', samples: 2, cpu_avg: 5, cpu_min: 3, cpu_max: 7, cpu_last: 3 },
    ]);
    clock.tick(25_000);
    await sink.settled();
    assert.deepEqual(buckets(), []);
    await pipeline.close();
  });

  it('--retention applies at start to a file recorded before', async () => {
    const first = await recorderOnFakeClock();
    first.receive('a', { cpu: 1 }, first.clock.now() - 48 * 3_600_000);
    first.receive('a', { cpu: 2 }, first.clock.now());
    await first.pipeline.close();
    const second = await recorderOnFakeClock({ path: first.path, retention: 86_400_000 });
    assert.deepEqual(
      queryRecording(first.path, { metrics: ['cpu'] }).rows.map((row) => row.cpu),
      [2],
    );
    await second.pipeline.close();
  });

  it('a database locked by another program: rows wait, the error is said once, nothing is lost', async () => {
    const { clock, path, sink, pipeline, receive, logger } = await recorderOnFakeClock();
    receive('a', { cpu: 1 });
    clock.tick(1000);
    await sink.settled();
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    receive('a', { cpu: 2 });
    clock.tick(1000);
    await sink.settled();
    receive('a', { cpu: 3 });
    clock.tick(1000);
    await sink.settled();
    const stats = sink.stats() as { writeErrors: number; pendingRows: number; lastError: string };
    assert.equal(stats.writeErrors, 2);
    assert.equal(stats.pendingRows, 2);
    assert.match(stats.lastError, /cannot write: database is locked/);
    assert.equal(logger.lines.filter((line) => line.includes('database is locked')).length, 1, 'said once');
    other.exec('COMMIT');
    other.close();
    clock.tick(1000);
    await sink.settled();
    assert.deepEqual(
      queryRecording(path, { metrics: ['cpu'] }).rows.map((row) => row.cpu),
      [1, 2, 3],
    );
    assert.ok(
      logger.lines.some((line) => line.includes('writing') && line.includes('again')),
      'the recovery is said',
    );
    await pipeline.close();
  });

  it('maxPendingRows bounds what waits while the database refuses writes: the oldest are dropped and counted', async () => {
    const { clock, path, sink, pipeline, receive } = await recorderOnFakeClock({ maxPendingRows: 3 });
    receive('a', { cpu: 0 });
    clock.tick(1000);
    await sink.settled();
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    for (let i = 1; i <= 5; i++) receive('a', { cpu: i });
    clock.tick(1000);
    await sink.settled();
    assert.equal((sink.stats() as { rowsLost: number }).rowsLost, 2);
    other.exec('COMMIT');
    other.close();
    clock.tick(1000);
    await sink.settled();
    assert.deepEqual(
      queryRecording(path, { metrics: ['cpu'] }).rows.map((row) => row.cpu),
      [0, 3, 4, 5],
    );
    await pipeline.close();
  });

  it('refuses a file that is not a recording, and leaves it as it was', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'not a database\n'.repeat(100));
    const other = join(tmp, 'other-app.db');
    const db = new Database(other);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    const newer = newPath();
    const made = await recorderOnFakeClock({ path: newer });
    await made.pipeline.close();
    const bumped = new Database(newer);
    bumped.pragma('user_version = 99');
    bumped.close();
    for (const [path, code, message] of [
      [text, 'NOT_A_RECORDING', /is not a recording \(not a SQLite database\)/],
      [other, 'NOT_A_RECORDING', /a SQLite database of another application/],
      [newer, 'RECORDING_TOO_NEW', /written by a newer version \(schema 99/],
    ] as const) {
      const { errors, pipeline, receive } = await recorderOnFakeClock({ path });
      receive('a');
      await pipeline.close();
      assert.equal(errors.length, 1, path);
      assert.ok(errors[0] instanceof RecordingError, String(errors[0]));
      assert.equal((errors[0] as RecordingError).code, code);
      assert.match(errors[0]!.message, message);
    }
    const check = new Database(other, { readonly: true });
    assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), [
      'customers',
    ]);
    check.close();
  });

  it('keeps frames and events in arrival order across multi-row inserts and flushes', async () => {
    const { clock, path, pipeline, receive } = await recorderOnFakeClock({ flushRows: 45 });
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      const target = i % 3 === 0 ? 'b' : 'a';
      receive(target, { seq: i });
      expected.push(`frame ${target} ${i}`);
      if (i % 7 === 0) {
        pipeline.emit({
          type: 'reconnecting',
          target,
          at: clock.now(),
          attempt: i,
          delayMs: 1,
          maxAttempts: null,
        });
        expected.push(`event ${target} ${i}`);
      }
    }
    await pipeline.close();
    const reader = await openRecordingReader(path);
    const seen: string[] = [];
    for await (const page of reader.pages()) {
      for (const item of page) {
        seen.push(
          item.kind === 'frame'
            ? `frame ${item.target} ${JSON.parse(item.raw).seq}`
            : `event ${item.event.target} ${(item.event as { attempt: number }).attempt}`,
        );
      }
    }
    reader.close();
    assert.deepEqual(seen, expected);
  });

  it('reads the metrics of a snapshot into its columns, for both dialects', () => {
    for (const [dialect, name] of [
      ['real-server', 'monitoring_data'],
      ['real-server', 'monitoring_data_gpu'],
      ['real-server', 'monitoring_data_alerts'],
      ['documented', 'monitoring_data'],
    ] as const) {
      const snapshot = normalizeMonitoringData(fixture(dialect, name), 0, 'a');
      const numbers = new Float64Array(NUMBER_METRICS.length + 1);
      const texts: (string | null)[] = [];
      writeMetrics(snapshot, numbers, 1, texts);
      assert.deepEqual(
        [...numbers.slice(1)].map((value) => (Number.isNaN(value) ? null : value)),
        NUMBER_METRICS.map((metric) => metric.read(snapshot)),
        `${dialect}/${name}`,
      );
      assert.deepEqual(
        texts,
        TEXT_METRICS.map((metric) => metric.read(snapshot)),
        `${dialect}/${name}`,
      );
      assert.equal(NUMBER_METRICS.length + TEXT_METRICS.length, RECORDED_METRICS.length);
      if (dialect === 'real-server') assert.notEqual(texts[2], null, 'the host name is read');
    }
  });

  it('rejects options that are not allowed, naming them', () => {
    assert.throws(() => new RecorderSink({ path: '' }), InvalidOptionError);
    assert.throws(() => new RecorderSink({ path: 'x.db', retention: 0 }), /invalid retention: 0/);
    assert.throws(
      () => new RecorderSink({ path: 'x.db', flushRows: 1.5 }),
      /invalid flushRows: 1.5 \(expected a positive integer\)/,
    );
    assert.throws(() => new RecorderSink({ path: 'x.db', flushInterval: -1 }), /invalid flushInterval/);
  });
});

describe('FrameBatch', () => {
  it('hands over its buffer itself, and fills a buffer given back instead of new memory', () => {
    const batch = new FrameBatch();
    const texts = ['{"a": 1}', '{"b": "é°"}', '{}'];
    for (const text of texts) batch.push(text);
    const first = batch.take();
    assert.equal(first.bytes.byteOffset, 0, 'a view from the start of an ArrayBuffer of its own');
    assert.deepEqual(
      first.lengths,
      texts.map((t) => Buffer.byteLength(t)),
    );
    assert.equal(Buffer.from(first.bytes).toString('utf8'), texts.join(''));
    assert.equal(batch.count, 0);
    // The writer gives it back: the batch being filled when it comes is handed out next, then it is filled.
    batch.push('{"c": 3}');
    const second = batch.take();
    assert.ok(second.bytes.buffer !== first.bytes.buffer, 'not given back yet: another buffer');
    batch.recycle(first.bytes.buffer as ArrayBuffer);
    batch.push('{"d": 4}');
    const third = batch.take();
    assert.ok(third.bytes.buffer !== first.bytes.buffer);
    batch.push('{"e": 5}');
    const fourth = batch.take();
    assert.ok(fourth.bytes.buffer === first.bytes.buffer, 'the one given back');
    assert.equal(Buffer.from(fourth.bytes).toString('utf8'), '{"e": 5}');
    // One grown huge by a burst is let go.
    batch.recycle(new ArrayBuffer(64 * 1024 * 1024));
    batch.push('{}');
    assert.ok(batch.take().bytes.buffer.byteLength < 64 * 1024 * 1024);
  });
});
