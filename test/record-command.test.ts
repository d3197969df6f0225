/**
 * `--record` through the real command: in process with `run(argv, io)` (two test servers,
 * then `query` reads back what they sent), its usage errors, and a spawned `dist/cli/bin.js`
 * killed with SIGKILL in the middle of a flood: the file passes `integrity_check` and holds
 * every frame received more than a second before the kill, with none missing in between.
 * Needs dist/ (`npm test` builds it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runQuery } from '../src/cli/commands/query.js';
import { openRecordingReader } from '../src/recording/recording-reader.js';
import { runInProcess } from './helpers/in-process-cli.js';
import { CLI_BIN, killAll, runCli, startFloodServer } from './helpers/processes.js';
import { capture, metricsFrame, writeRecording } from './helpers/recording.js';
import { TestServer, until } from './helpers/test-server.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mwc-record-cli-'));
});
after(() => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
});

async function query(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runQuery(argv, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('--record', () => {
  it('records two servers; query gives back the values they sent, the targets and their events', async () => {
    const servers = [await TestServer.start(), await TestServer.start()];
    const urls = servers.map((s) => s.url);
    const path = join(tmp, 'fleet.db');
    const run = runInProcess([
      '-u',
      `web=${servers[0]!.url}`,
      '-u',
      `gpu=${servers[1]!.url}`,
      '--record',
      path,
      '--retention',
      '7d',
      '--ping-interval',
      '0',
    ]);
    await until(() => servers.every((s) => s.wss.clients.size === 1), 5000, 'both connected');
    for (let i = 0; i < 5; i++) {
      await servers[0]!.broadcast(metricsFrame({ cpu: 10 + i, memory: 50 }));
      await servers[1]!.broadcast(metricsFrame({ cpu: 90 - i, memory: 60, gpu: 70 + i }));
    }
    await until(() => run.stdout().trim().split('\n').length === 10, 5000, 'ten records displayed');
    run.interrupt();
    assert.equal(await run.exit, 0, run.stderr());
    await Promise.all(servers.map((s) => s.close()));

    const rows = await query([path, '--metric', 'cpu,memory,gpu', '-f', 'json']);
    assert.equal(rows.code, 0, rows.stderr);
    const values = (
      JSON.parse(rows.stdout) as { target: string; cpu: number; memory: number; gpu: number }[]
    ).map((r) => [r.target, r.cpu, r.memory, r.gpu]);
    assert.deepEqual(
      values.filter(([target]) => target === 'web'),
      [10, 11, 12, 13, 14].map((cpu) => ['web', cpu, 50, 37]),
    );
    assert.deepEqual(
      values.filter(([target]) => target === 'gpu'),
      [0, 1, 2, 3, 4].map((i) => ['gpu', 90 - i, 60, 70 + i]),
    );
    const targets = await query([path, '--targets', '-f', 'jsonl']);
    assert.deepEqual(
      targets.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .map((t) => [t.target, t.uri, t.snapshots]),
      [
        ['web', urls[0], 5],
        ['gpu', urls[1], 5],
      ]
        .sort((a, b) => (a[0]! < b[0]! ? 1 : -1))
        .sort(() => 0),
    );
    const events = await query([path, '--events', '-f', 'jsonl']);
    const types = events.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; target: string });
    for (const target of ['web', 'gpu']) {
      assert.deepEqual(
        types.filter((e) => e.target === target && e.type !== 'server_alerts').map((e) => e.type),
        ['connected', 'disconnected'],
        target,
      );
    }
  });

  it('says what is wrong with --record and --retention in one line, exit 2', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'some notes\n');
    const cases: [string[], RegExp][] = [
      [['--retention', '1d'], /invalid --retention: it needs --record FILE/],
      [
        ['--record', join(tmp, 'x.db'), '--retention', 'soon'],
        /invalid --retention: "soon" \(expected a duration/,
      ],
      [
        ['--record', join(tmp, 'missing', 'x.db')],
        /invalid --record: ".*x\.db" \(folder .*missing does not exist\)/,
      ],
      [['--record', text], /invalid --record: .*notes\.txt is not a recording \(not a SQLite database\)/],
    ];
    for (const [argv, message] of cases) {
      const run = runInProcess(['-u', 'ws://127.0.0.1:9', ...argv]);
      assert.equal(await run.exit, 2, argv.join(' '));
      assert.match(run.stderr(), message);
      assert.equal(run.stderr().trimEnd().split('\n').length, 1, run.stderr());
    }
    assert.equal(existsSync(join(tmp, 'x.db')), false, 'nothing created before every check passed');
  });
});

describe('query and replay through the command', {
  skip: existsSync(CLI_BIN) ? false : 'dist/ is not built',
}, () => {
  it('`query` and `replay` are subcommands of the command, in process and spawned', async () => {
    const path = join(tmp, 'one.db');
    const t0 = Date.UTC(2026, 10, 25, 3, 0, 0);
    const frames = [0, 1, 2, 3].map((seq) => metricsFrame({ cpu: 10 * seq, seq }));
    await writeRecording(
      path,
      frames.map((_, seq) => ['gpu-3', t0 + seq * 1000, { cpu: 10 * seq, seq }] as const),
    );
    const query = runInProcess(['query', path, '--metric', 'cpu', '-f', 'csv']);
    assert.equal(await query.exit, 0, query.stderr());
    assert.equal(
      query.stdout(),
      'time,target,cpu\n' +
        [0, 1, 2, 3].map((seq) => `2026-11-25T03:00:0${seq}.000Z,gpu-3,${10 * seq}\n`).join(''),
    );
    const replay = runCli(['replay', path, '--max-speed', '-f', 'jsonl']);
    const exit = await replay.exit;
    assert.equal(exit.code, 0, replay.stderr());
    assert.equal(replay.stdout(), frames.map((frame) => `${frame}\n`).join(''), 'the frames, byte for byte');
    const missing = runInProcess(['replay', join(tmp, 'nothing.db')]);
    assert.equal(await missing.exit, 2);
    assert.match(
      missing.stderr(),
      /^monitoring-websocket-client: error: no such recording: .*nothing\.db\n$/,
    );
  });
});

describe('--record killed with SIGKILL', { skip: existsSync(CLI_BIN) ? false : 'dist/ is not built' }, () => {
  it('leaves a sound file holding every frame received more than a second before the kill', async (t) => {
    const server = await startFloodServer();
    const path = join(tmp, 'killed.db');
    const run = runCli(['-u', server.url, '--record', path, '--ping-interval', '0', '-f', 'compact'], {
      keepStdout: false,
    });
    // Lines read from its stdout at time t: records it had received before t.
    const seen: [number, number][] = [];
    let killedAt = 0;
    const sampler = setInterval(() => seen.push([Date.now(), run.stdoutLines()]), 10);
    try {
      await until(() => run.stdoutLines() > 0, 30_000, 'the first record');
      const first = Date.now();
      await until(() => Date.now() - first >= 1500, 5000, 'a second and a half of flood');
      seen.push([Date.now(), run.stdoutLines()]);
      killedAt = Date.now();
      run.child.kill('SIGKILL');
      await run.exit;
    } finally {
      clearInterval(sampler);
      await server.kill('SIGKILL');
    }
    const before = seen.filter(([at]) => at <= killedAt - 1000).at(-1)?.[1] ?? 0;

    const db = new Database(path);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const rows = (db.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n;
    db.close();
    t.diagnostic(`${rows} rows; ${before} records displayed a second before the kill; ${server.sent()} sent`);
    assert.ok(before > 0, 'records were displayed more than a second before the kill');
    assert.ok(rows >= before, `${rows} rows, but ${before} records were received a second before the kill`);
    assert.ok(rows <= server.sent(), `${rows} rows, ${server.sent()} sent`);
    // Nothing missing in between: the frames kept are the first ones, in order.
    const reader = await openRecordingReader(path);
    let expected = 0;
    for await (const page of reader.pages()) {
      for (const item of page) {
        if (item.kind !== 'frame') continue;
        assert.equal((JSON.parse(item.raw) as { seq: number }).seq, expected);
        expected++;
      }
    }
    reader.close();
    assert.equal(expected, rows, 'every row has its frame');
  });
});
