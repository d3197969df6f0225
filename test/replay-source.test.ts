/**
 * Replay with real files: recordings made from real servers (SQLite) and save-data files
 * with their rotated files, fed back through a Pipeline. The frames must come back byte for
 * byte, in the order they were received, with the events between them; at the recorded pace
 * (on a fake clock) or at full speed (in the recording's virtual time); abortable; patient
 * with a congested sink.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runReplay } from '../src/cli/commands/replay.js';
import { InvalidOptionError } from '../src/errors.js';
import { LoggingHandler, savedSessionFiles } from '../src/handlers/logging-handler.js';
import type { PipelineEvent } from '../src/pipeline/events.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { Sink, SinkContext } from '../src/pipeline/sink.js';
import { messageType, parseFrame } from '../src/protocol/frame.js';
import { RecorderSink } from '../src/recording/recorder-sink.js';
import type { RecordingError } from '../src/recording/recording-error.js';
import { ReplaySource } from '../src/recording/replay-source.js';
import { SaveDataSink } from '../src/save-data/save-data-sink.js';
import { WebSocketClient } from '../src/transport/websocket-client.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixtureFrame } from './helpers/fixtures.js';
import { capture, feedPipeline, metricsFrame, writeRecording } from './helpers/recording.js';
import { TestServer, until } from './helpers/test-server.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mwc-replay-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A sink that notes what it is given, in order: `frame target raw`, `record target raw`, `event type target`. */
class TraceSink implements Sink {
  readonly name = 'trace';
  readonly seen: string[] = [];
  readonly records: string[] = [];
  readonly events: PipelineEvent[] = [];
  readonly times: number[] = [];
  context: SinkContext | undefined;
  start(context: SinkContext): void {
    this.context = context;
  }
  frame(target: string, incoming: { frame: { raw: string } }): void {
    this.seen.push(`frame ${target} ${incoming.frame.raw}`);
  }
  write(record: { target: string; frame: { raw: string; receivedAt: number } }): void {
    this.records.push(`${record.target} ${record.frame.raw}`);
    this.times.push(record.frame.receivedAt);
  }
  event(event: PipelineEvent): void {
    this.events.push(event);
    this.seen.push(`event ${event.type} ${event.target}`);
  }
}

/** Replays `path` into a new pipeline with `sinks`, at `speed`; resolves with the result. */
async function replay(path: string, sinks: Sink[], options: Parameters<typeof ReplaySource.open>[1] = {}) {
  const source = await ReplaySource.open(path, { speed: 'max', ...options });
  const pipeline = new Pipeline({ sinks, clock: source.clock });
  await pipeline.start();
  const result = await source.play(pipeline);
  await pipeline.close();
  source.close();
  return result;
}

describe('ReplaySource', () => {
  it('gives back the frames of two real servers byte for byte, in the order received', async () => {
    const servers = [await TestServer.start(), await TestServer.start()];
    const path = join(tmp, 'two.db');
    const live = new TraceSink();
    const pipeline = new Pipeline({ sinks: [new RecorderSink({ path }), live] });
    await pipeline.start();
    const clients = servers.map(
      (server) => new WebSocketClient(server.url, { reconnect: false, pingInterval: 0 }),
    );
    for (const [i, client] of clients.entries()) feedPipeline(client, `s${i}`, pipeline);
    await Promise.all(clients.map((client) => client.start()));
    for (let i = 0; i < 20; i++) {
      // Python's NaN in one frame: it must come back as sent, not as null.
      const frame =
        i === 7 ? metricsFrame({ cpu: 1 }).replace('"usage_percent": 1', '"usage_percent": NaN') : undefined;
      await servers[i % 2]!.broadcast(frame ?? metricsFrame({ cpu: i, seq: i }));
    }
    await until(() => live.records.length === 20, 5000, 'every frame recorded');
    await Promise.all(clients.map((client) => client.stop()));
    await pipeline.close();
    await Promise.all(servers.map((server) => server.close()));

    const replayed = new TraceSink();
    const result = await replay(path, [replayed]);
    assert.deepEqual(replayed.records, live.records);
    assert.ok(
      replayed.records.some((line) => line.includes('"usage_percent": NaN')),
      'NaN comes back as sent',
    );
    assert.deepEqual(result, {
      frames: 20,
      events: 2 + 4,
      aborted: false,
      recordedMs: result.recordedMs,
    });
    // Each target announced first, with its URI and labels; connections where they happened.
    assert.deepEqual(
      replayed.events.slice(0, 2).map((e) => [e.type, e.target, e.type === 'target_added' ? e.uri : '']),
      [
        ['target_added', 's0', clients[0]!.uri],
        ['target_added', 's1', clients[1]!.uri],
      ],
    );
    const order = replayed.seen
      .filter((line) => line.startsWith('event') || line.startsWith('frame'))
      .slice(2);
    assert.match(order[0]!, /^event connected s/);
    assert.match(order[1]!, /^event connected s/);
    assert.match(order.at(-1)!, /^event disconnected s/);
  });

  it('replays to jsonl: the frames as received, in order, each with its target', async () => {
    const path = join(tmp, 'jsonl.db');
    const frames: [string, number, { cpu: number; seq: number }][] = [];
    for (let i = 0; i < 30; i++) frames.push([i % 3 === 0 ? 'b' : 'a', T0 + i * 700, { cpu: i, seq: i }]);
    await writeRecording(path, frames);
    const stdout = capture();
    const stderr = capture();
    const code = await runReplay([path, '--max-speed', '-f', 'jsonl'], {
      stdout: stdout.stream,
      stderr: stderr.stream,
    });
    assert.equal(code, 0);
    // Several targets: each line is {"source": TARGET, "message": FRAME}, as when watching live.
    const expected = frames.map(
      ([target, , values]) => `{"source":${JSON.stringify(target)},"message":${metricsFrame(values)}}`,
    );
    assert.deepEqual(stdout.text().trimEnd().split('\n'), expected);
  });

  it('replays one target to jsonl: the frames byte for byte', async () => {
    const path = join(tmp, 'jsonl-one.db');
    const frames: [string, number, { cpu: number; seq: number }][] = [];
    for (let i = 0; i < 10; i++) frames.push(['a', T0 + i * 700, { cpu: i, seq: i }]);
    await writeRecording(path, frames);
    const stdout = capture();
    const code = await runReplay([path, '--max-speed', '-f', 'jsonl'], {
      stdout: stdout.stream,
      stderr: capture().stream,
    });
    assert.equal(code, 0);
    assert.equal(stdout.text(), frames.map(([, , values]) => `${metricsFrame(values)}\n`).join(''));
  });

  it('puts events back between the frames where they were received', async () => {
    const path = join(tmp, 'events.db');
    const clock = new FakeClock(T0);
    const pipeline = new Pipeline({ sinks: [new RecorderSink({ path })], clock });
    await pipeline.start();
    pipeline.emit({ type: 'target_added', target: 'a', at: T0, uri: 'ws://a:1', labels: { dc: 'eu' } });
    pipeline.emit({ type: 'connected', target: 'a', at: T0, uri: 'ws://a:1', attempt: 0 });
    pipeline.receive('a', parseFrame(metricsFrame({ seq: 1 }), false, T0));
    pipeline.emit({ type: 'disconnected', target: 'a', at: T0, code: 1006, reason: '', willReconnect: true });
    clock.tick(1000);
    pipeline.emit({
      type: 'reconnecting',
      target: 'a',
      at: T0 + 5,
      attempt: 1,
      delayMs: 5000,
      maxAttempts: null,
    });
    pipeline.emit({ type: 'connected', target: 'a', at: T0 + 5000, uri: 'ws://a:1', attempt: 1 });
    pipeline.receive('a', parseFrame(metricsFrame({ seq: 2 }), false, T0 + 6000));
    pipeline.emit({
      type: 'alert',
      target: 'a',
      at: T0 + 6000,
      state: 'firing',
      rule: 'cpu > 1',
      metric: 'cpu',
      value: 2,
      threshold: 1,
      severity: 'warning',
      since: T0,
      origin: 'rule',
      summary: 'cpu high',
    });
    await pipeline.close();

    const trace = new TraceSink();
    await replay(path, [trace]);
    assert.deepEqual(
      trace.seen.map((line) => line.replace(/ \{.*$/, '')),
      [
        'event target_added a',
        'event connected a',
        'frame a',
        'event disconnected a',
        'event reconnecting a',
        'event connected a',
        'frame a',
      ],
      'alerts are not replayed: the pipeline finds them again from the data',
    );
    const added = trace.events[0]!;
    assert.deepEqual(added.type === 'target_added' && [added.uri, added.labels], ['ws://a:1', { dc: 'eu' }]);
    const reconnecting = trace.events.find((e) => e.type === 'reconnecting');
    assert.deepEqual(reconnecting, {
      type: 'reconnecting',
      target: 'a',
      at: T0 + 5,
      attempt: 1,
      delayMs: 5000,
      maxAttempts: null,
    });
  });

  it('reads a save-data file across its rotated files, every kind of frame as it was received', async () => {
    const path = join(tmp, 'saved.jsonl');
    const handler = new LoggingHandler({ path, maxSize: 2000, maxFiles: 50, checkInterval: 0 });
    const sent: { data: string | Buffer; binary: boolean }[] = [
      { data: fixtureFrame('real-server', 'connection'), binary: false },
      { data: 'Invalid message', binary: false },
      { data: Buffer.from([0, 1, 2, 250]), binary: true },
      { data: '[1, 2]', binary: false },
    ];
    for (let i = 0; i < 12; i++) sent.push({ data: metricsFrame({ cpu: i, seq: i }), binary: false });
    sent.push({
      data: metricsFrame({ cpu: 5 }).replace('"usage_percent": 5', '"usage_percent": NaN'),
      binary: false,
    });
    for (const [i, { data, binary }] of sent.entries()) {
      const frame = parseFrame(data, binary, T0 + i * 1000);
      handler.handleMessage({ frame, ...(frame.message ? { message: frame.message } : {}) });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await handler.close();
    assert.ok((await savedSessionFiles(path)).length > 2, 'rotated files');

    const trace = new TraceSink();
    const result = await replay(path, [trace]);
    assert.equal(result.frames, sent.length);
    assert.deepEqual(
      trace.seen.filter((line) => line.startsWith('frame')),
      sent.map(({ data, binary }) => `frame saved ${binary ? (data as Buffer).toString('base64') : data}`),
    );
    assert.deepEqual(
      trace.times,
      sent.flatMap(({ data, binary }, i) => {
        const message = parseFrame(data, binary, 0).message;
        return message && messageType(message) === 'monitoring_data' ? [T0 + i * 1000] : [];
      }),
      'records keep their recorded receive times',
    );
    assert.ok(
      trace.events.some((e) => e.type === 'server_notice' && e.kind === 'connection'),
      'the greeting is a server notice again',
    );
  });

  it('reads a save-data file of several targets, their frames and their connection events', async () => {
    const path = join(tmp, 'fleet.jsonl');
    const clock = new FakeClock(T0);
    const pipeline = new Pipeline({
      sinks: [new SaveDataSink({ path, labelTargets: true, checkInterval: 0 })],
      clock,
    });
    await pipeline.start();
    const sent: string[] = [];
    for (const target of ['web', 'gpu']) {
      pipeline.emit({ type: 'target_added', target, at: T0, uri: `ws://${target}:8765`, labels: {} });
      pipeline.emit({ type: 'connected', target, at: T0, uri: `ws://${target}:8765`, attempt: 0 });
    }
    for (let i = 0; i < 6; i++) {
      const target = i % 2 === 0 ? 'web' : 'gpu';
      const frame = metricsFrame({ seq: i });
      pipeline.receive(target, parseFrame(frame, false, T0 + i * 10));
      sent.push(`frame ${target} ${frame}`);
    }
    pipeline.emit({
      type: 'disconnected',
      target: 'gpu',
      at: T0 + 100,
      code: 1006,
      reason: '',
      willReconnect: true,
    });
    await pipeline.close();

    const trace = new TraceSink();
    const source = await ReplaySource.open(path, { speed: 'max' });
    assert.deepEqual(
      source.targets.map((t) => [t.name, t.uri]),
      [
        ['web', 'ws://web:8765'],
        ['gpu', 'ws://gpu:8765'],
      ],
    );
    source.close();
    await replay(path, [trace]);
    assert.deepEqual(
      trace.seen.filter((line) => line.startsWith('frame')),
      sent,
    );
    assert.deepEqual(
      trace.events.map((e) => `${e.type} ${e.target}`),
      ['target_added web', 'target_added gpu', 'connected web', 'connected gpu', 'disconnected gpu'],
    );
    const disconnected = trace.events.at(-1);
    assert.deepEqual(disconnected, {
      type: 'disconnected',
      target: 'gpu',
      at: T0 + 100,
      code: 1006,
      reason: '',
      willReconnect: true,
    });
  });

  it('keeps the recorded pace times speed, on the pipeline clock in recorded time', async () => {
    const path = join(tmp, 'pace.db');
    await writeRecording(path, [
      ['a', T0, { seq: 0 }],
      ['a', T0 + 1000, { seq: 1 }],
      ['a', T0 + 3000, { seq: 2 }],
    ]);
    const base = new FakeClock(Date.UTC(2030, 0, 1));
    const trace = new TraceSink();
    const source = await ReplaySource.open(path, { speed: 2, clock: base });
    const pipeline = new Pipeline({ sinks: [trace], clock: source.clock });
    await pipeline.start();
    const clockAtRecord: number[] = [];
    pipeline.addSink({ name: 'clock', write: () => void clockAtRecord.push(source.clock.now()) });
    const done = source.play(pipeline);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    assert.equal(trace.records.length, 1);
    base.tick(499);
    await settle();
    assert.equal(trace.records.length, 1, 'the second frame is 1000 ms later: 500 ms at speed 2');
    base.tick(1);
    await settle();
    assert.equal(trace.records.length, 2);
    base.tick(999);
    await settle();
    assert.equal(trace.records.length, 2);
    base.tick(1);
    const result = await done;
    assert.equal(trace.records.length, 3);
    assert.deepEqual(clockAtRecord, [T0, T0 + 1000, T0 + 3000], 'the pipeline lives in recorded time');
    assert.equal(result.recordedMs, 3000);
    await pipeline.close();
    source.close();
  });

  it('at full speed, timers of the sinks fire in recorded time as the replay passes them', async () => {
    const path = join(tmp, 'virtual.db');
    const frames: [string, number, object][] = [];
    for (let i = 0; i <= 10; i++) frames.push(['a', T0 + i * 1000, { seq: i }]);
    await writeRecording(path, frames);
    const fired: [number, number][] = [];
    let records = 0;
    const timed: Sink = {
      name: 'timed',
      start(context) {
        context.clock.setTimeout(() => fired.push([context.clock.now(), records]), 4500);
      },
      write() {
        records++;
      },
    };
    await replay(path, [timed]);
    assert.deepEqual(fired, [[T0 + 4500, 5]], 'fired at 4.5 s of recorded time, after the fifth record');
  });

  it('at full speed, waits while a sink is congested', async () => {
    const path = join(tmp, 'congested.db');
    const frames: [string, number, object][] = [];
    for (let i = 0; i < 50; i++) frames.push(['a', T0 + i, { seq: i }]);
    await writeRecording(path, frames);
    let listener: ((congested: boolean) => void) | undefined;
    let written = 0;
    let writtenWhileCongested = 0;
    let congested = false;
    const slow: Sink = {
      name: 'slow',
      onCongestion(l) {
        listener = l;
        return () => {
          listener = undefined;
        };
      },
      write() {
        written++;
        if (congested) writtenWhileCongested++;
        if (written === 10) {
          congested = true;
          listener?.(true);
          setTimeout(() => {
            congested = false;
            listener?.(false);
          }, 20);
        }
      },
    };
    const result = await replay(path, [slow]);
    assert.equal(result.frames, 50);
    assert.equal(written, 50);
    assert.equal(writtenWhileCongested, 0);
  });

  it('stops when its signal aborts, and says so', async () => {
    const path = join(tmp, 'abort.db');
    await writeRecording(path, [
      ['a', T0, { seq: 0 }],
      ['a', T0 + 60_000, { seq: 1 }],
    ]);
    const trace = new TraceSink();
    const base = new FakeClock();
    const source = await ReplaySource.open(path, { clock: base });
    const pipeline = new Pipeline({ sinks: [trace], clock: source.clock });
    const controller = new AbortController();
    const done = source.play(pipeline, { signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const result = await done;
    assert.equal(result.aborted, true);
    assert.equal(result.frames, 1);
    assert.equal(base.pending, 0, 'its timer is cleared');
    source.close();
  });

  it('replays only the targets and the time range asked for', async () => {
    const path = join(tmp, 'filter.db');
    await writeRecording(path, [
      ['a', T0, { seq: 0 }],
      ['b', T0 + 1, { seq: 1 }],
      ['a', T0 + 2, { seq: 2 }],
      ['a', T0 + 3, { seq: 3 }],
    ]);
    const trace = new TraceSink();
    await replay(path, [trace], { targets: ['a'], since: T0 + 1, until: T0 + 3 });
    assert.deepEqual(trace.records, [`a ${metricsFrame({ seq: 2 })}`]);
  });

  it('says what is wrong with a file it cannot replay', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'just some text\nand more\n');
    await assert.rejects(ReplaySource.open(join(tmp, 'none.db')), (error: RecordingError) => {
      assert.equal(error.code, 'RECORDING_NOT_FOUND');
      assert.match(error.message, /^no such recording: .*none\.db$/);
      return true;
    });
    await assert.rejects(ReplaySource.open(text), (error: RecordingError) => {
      assert.equal(error.code, 'NOT_A_RECORDING');
      assert.match(
        error.message,
        /notes\.txt is not a recording \(neither a SQLite recording nor a save-data file\)/,
      );
      return true;
    });
    await assert.rejects(ReplaySource.open(tmp), /is a folder, not a recording/);
    await assert.rejects(ReplaySource.open(text, { speed: 0 }), InvalidOptionError);
    const path = join(tmp, 'two-targets.db');
    await writeRecording(path, [['a', T0, {}]]);
    await assert.rejects(
      ReplaySource.open(path, { targets: ['zz'] }),
      /no target "zz" in .* \(recorded: a\)/,
    );
  });
});

describe('replay command', () => {
  async function replayCommand(argv: string[]) {
    const stdout = capture();
    const stderr = capture();
    const code = await runReplay(argv, { stdout: stdout.stream, stderr: stderr.stream });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('says each usage error in one line and exits 2', async () => {
    const path = join(tmp, 'cmd.db');
    await writeRecording(path, [['a', T0, {}]]);
    const cases: [string[], RegExp][] = [
      [[join(tmp, 'missing.db')], /^monitoring-websocket-client: error: no such recording: .*missing\.db\n$/],
      [[path, '--speed', '0'], /option '--speed <factor>' argument '0' is invalid. expected a number > 0/],
      [[path, '--speed', '2', '--max-speed'], /give --speed or --max-speed, not both/],
      [[path, '--serve', 'nowhere:'], /invalid --serve: "nowhere:" \(expected \[host:\]port/],
      [[path, '--serve', '0.0.0.0:8765'], /listening beyond this machine needs --serve-token-file/],
      [[path, '--serve-token-file', path], /--serve-token-file: it goes with --serve/],
      [[path, '--since', 'then'], /invalid --since: "then"/],
      [[path, '--target', 'zz'], /no target "zz"/],
    ];
    for (const [argv, message] of cases) {
      const { code, stdout, stderr } = await replayCommand(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${stderr}`);
      assert.equal(stdout, '');
      assert.match(stderr, message, argv.join(' '));
      assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
    }
  });
});
