/**
 * Questions to real recordings: rows as recorded, buckets right at their edges, every
 * aggregate, time ranges, targets, events and gaps; then the `query` command's formats and
 * every error it must say in one line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runQuery } from '../src/cli/commands/query.js';
import { parseDuration, parseTimePoint } from '../src/recording/duration.js';
import { listEvents, listTargets, queryRecording } from '../src/recording/query.js';
import { RecordingError } from '../src/recording/recording-error.js';
import { capture, writeRecording } from './helpers/recording.js';

const MINUTE = 60_000;
/** A whole minute: the start of a 1m bucket. */
const E = Date.UTC(2026, 10, 25, 2, 0, 0);

let tmp: string;
let edges: string;
let many: string;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mwc-query-'));
  edges = join(tmp, 'edges.db');
  // Around the edges of the bucket [E, E + 1m): one millisecond before, at, inside, last, next.
  await writeRecording(edges, [
    ['a', E - 1, { cpu: 10, memory: 1 }],
    ['a', E, { cpu: 20, memory: 2 }],
    ['b', E + 1000, { cpu: 99, memory: 9, host: 'b-host' }],
    ['a', E + 30_000, { cpu: 30, memory: 3 }],
    ['a', E + MINUTE - 1, { cpu: 40, memory: 4 }],
    ['a', E + MINUTE, { cpu: 50, memory: 5 }],
  ]);
  // Twenty values in one bucket, for p95 (nearest rank: the 19th of 20), and a gap of 20 s.
  many = join(tmp, 'many.db');
  const frames: [string, number, { cpu: number }][] = [];
  for (let i = 0; i < 20; i++) frames.push(['a', E + i * 1000, { cpu: 20 - i }]);
  frames.push(['a', E + 40_000, { cpu: 1 }]);
  await writeRecording(many, frames, [
    { type: 'disconnected', target: 'a', at: E + 19_500, code: 1006, reason: '', willReconnect: true },
    { type: 'connected', target: 'a', at: E + 39_000, uri: 'ws://a', attempt: 1 },
  ]);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('queryRecording', () => {
  it('gives one row per snapshot, in time order, with the values recorded', () => {
    const result = queryRecording(edges, { metrics: ['cpu', 'memory', 'hostname'] });
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['time', 'target', 'cpu', 'memory', 'hostname'],
    );
    assert.deepEqual(
      result.rows.map((r) => [r.time, r.target, r.cpu, r.memory]),
      [
        [E - 1, 'a', 10, 1],
        [E, 'a', 20, 2],
        [E + 1000, 'b', 99, 9],
        [E + 30_000, 'a', 30, 3],
        [E + MINUTE - 1, 'a', 40, 4],
        [E + MINUTE, 'a', 50, 5],
      ],
    );
    assert.equal(result.rows[2]!.hostname, 'b-host');
  });

  it('buckets hold start <= time < start + every, aligned on whole multiples', () => {
    const result = queryRecording(edges, {
      targets: ['a'],
      metrics: ['cpu'],
      every: MINUTE,
      aggregates: ['avg', 'min', 'max', 'p95', 'last'],
    });
    assert.deepEqual(result.rows, [
      {
        time: E - MINUTE,
        target: 'a',
        samples: 1,
        cpu_avg: 10,
        cpu_min: 10,
        cpu_max: 10,
        cpu_p95: 10,
        cpu_last: 10,
      },
      { time: E, target: 'a', samples: 3, cpu_avg: 30, cpu_min: 20, cpu_max: 40, cpu_p95: 40, cpu_last: 40 },
      {
        time: E + MINUTE,
        target: 'a',
        samples: 1,
        cpu_avg: 50,
        cpu_min: 50,
        cpu_max: 50,
        cpu_p95: 50,
        cpu_last: 50,
      },
    ]);
  });

  it('buckets of several targets come in time order, then target order', () => {
    const result = queryRecording(edges, { metrics: ['cpu', 'memory'], every: MINUTE });
    assert.deepEqual(
      result.rows.map((r) => [r.time, r.target, r.samples, r.cpu_avg, r.memory_avg]),
      [
        [E - MINUTE, 'a', 1, 10, 1],
        [E, 'a', 3, 30, 3],
        [E, 'b', 1, 99, 9],
        [E + MINUTE, 'a', 1, 50, 5],
      ],
    );
  });

  it('p95 is the nearest rank; last is the value received last', () => {
    const [bucket] = queryRecording(many, {
      metrics: ['cpu'],
      every: MINUTE,
      aggregates: ['p95', 'last', 'min'],
    }).rows;
    // 21 values: 20..1, then 1. Rank ceil(0.95 * 21) = 20 of [1, 1, 2, ..., 20] is 19.
    assert.deepEqual(bucket, { time: E, target: 'a', samples: 21, cpu_p95: 19, cpu_min: 1, cpu_last: 1 });
  });

  it('since is inclusive and until exclusive', () => {
    const rows = queryRecording(edges, {
      targets: ['a'],
      metrics: ['cpu'],
      since: E,
      until: E + MINUTE,
    }).rows;
    assert.deepEqual(
      rows.map((r) => r.cpu),
      [20, 30, 40],
    );
  });

  it('buckets of whole minutes (read from per-minute totals) equal those computed from every snapshot', async () => {
    const path = join(tmp, 'minutes.db');
    const frames: [string, number, { cpu?: number | null; memory: number }][] = [];
    for (let i = 0; i < 600; i++) {
      const cpu = i % 13 === 0 ? null : (i * 37) % 101;
      frames.push([
        ['a', 'b', 'c'][i % 3]!,
        E + i * 2000 + ((i * 7919) % 1000),
        { cpu, memory: (i * 11) % 97 },
      ]);
    }
    // Small flushes: a minute's totals are merged across several transactions.
    await writeRecording(path, frames, [], { flushRows: 37 });
    const aggregates = ['avg', 'min', 'max', 'last'] as const;
    for (const every of [MINUTE, 5 * MINUTE]) {
      for (const range of [{}, { since: E + 30_500, until: E + 700_123 }, { since: E + 2 * MINUTE }]) {
        const fast = queryRecording(path, {
          metrics: ['cpu', 'memory'],
          every,
          aggregates: [...aggregates],
          ...range,
        });
        // The same, from the snapshots, in JavaScript.
        const expected = new Map<string, Record<string, number | string | null>>();
        for (const row of queryRecording(path, { metrics: ['cpu', 'memory'], ...range }).rows) {
          const time = Math.floor((row.time as number) / every) * every;
          const key = `${time}:${row.target}`;
          const bucket = expected.get(key) ?? { time, target: row.target as string, samples: 0 };
          expected.set(key, bucket);
          bucket.samples = (bucket.samples as number) + 1;
          for (const metric of ['cpu', 'memory']) {
            const value = row[metric] as number | null;
            bucket[`${metric}_last`] = value;
            if (value === null) continue;
            bucket[`${metric}_n`] = ((bucket[`${metric}_n`] as number) ?? 0) + 1;
            bucket[`${metric}_sum`] = ((bucket[`${metric}_sum`] as number) ?? 0) + value;
            bucket[`${metric}_min`] = Math.min((bucket[`${metric}_min`] as number) ?? value, value);
            bucket[`${metric}_max`] = Math.max((bucket[`${metric}_max`] as number) ?? value, value);
          }
        }
        const slow = [...expected.values()]
          .sort(
            (x, y) =>
              (x.time as number) - (y.time as number) || String(x.target).localeCompare(String(y.target)),
          )
          .map((b) => ({
            time: b.time,
            target: b.target,
            samples: b.samples,
            cpu_avg: b.cpu_n ? Number(((b.cpu_sum as number) / (b.cpu_n as number)).toFixed(9)) : null,
            cpu_min: b.cpu_min ?? null,
            cpu_max: b.cpu_max ?? null,
            cpu_last: b.cpu_last ?? null,
            memory_avg: b.memory_n
              ? Number(((b.memory_sum as number) / (b.memory_n as number)).toFixed(9))
              : null,
            memory_min: b.memory_min ?? null,
            memory_max: b.memory_max ?? null,
            memory_last: b.memory_last ?? null,
          }));
        const rounded = fast.rows.map((r) => ({
          ...r,
          cpu_avg: r.cpu_avg === null ? null : Number((r.cpu_avg as number).toFixed(9)),
          memory_avg: r.memory_avg === null ? null : Number((r.memory_avg as number).toFixed(9)),
        }));
        assert.deepEqual(rounded, slow, `every ${every}, ${JSON.stringify(range)}`);
        assert.ok(slow.length > 3, 'several buckets');
      }
    }
  });

  it('a metric the server did not send is null, and aggregates skip it', async () => {
    const path = join(tmp, 'nulls.db');
    await writeRecording(path, [
      ['a', E, { cpu: null }],
      ['a', E + 1000, { cpu: 10 }],
    ]);
    assert.deepEqual(
      queryRecording(path, { metrics: ['cpu'] }).rows.map((r) => r.cpu),
      [null, 10],
    );
    const [bucket] = queryRecording(path, {
      metrics: ['cpu'],
      every: MINUTE,
      aggregates: ['avg', 'p95'],
    }).rows;
    assert.deepEqual(bucket, { time: E, target: 'a', samples: 2, cpu_avg: 10, cpu_p95: 10 });
  });

  it('per-core usage comes back as a list', () => {
    const [row] = queryRecording(edges, { metrics: ['cpu_cores'] }).rows;
    assert.deepEqual(row!.cpu_cores, [0, 0]);
  });

  it('lists the targets with first and last seen', () => {
    assert.deepEqual(
      listTargets(edges).map((t) => [t.name, t.firstSeen, t.lastSeen, t.snapshots]),
      [
        ['a', E - 1, E + MINUTE, 5],
        ['b', E + 1000, E + 1000, 1],
      ],
    );
  });

  it('lists events and the gaps in the data, in time order', () => {
    const events = listEvents(many);
    assert.deepEqual(
      events.map((e) => [e.time - E, e.type, e.summary]),
      [
        [19_000, 'gap', `no data for 21 s (until ${new Date(E + 40_000).toISOString()})`],
        [19_500, 'disconnected', 'disconnected (1006), reconnecting'],
        [39_000, 'connected', 'connected to ws://a (attempt 1)'],
      ],
    );
    assert.deepEqual(events[0]!.detail, { from: E + 19_000, to: E + 40_000, seconds: 21 });
    assert.deepEqual(
      listEvents(many, { gapAfter: 30_000 }).map((e) => e.type),
      ['disconnected', 'connected'],
    );
  });

  it('says which metric, target or aggregate does not exist, and what does', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof RecordingError, String(error));
        return [error.code, error.message];
      }
      assert.fail('no error');
    };
    assert.deepEqual(
      code(() => queryRecording(edges, { metrics: ['cpux'] })),
      [
        'UNKNOWN_METRIC',
        'unknown metric "cpux" (expected one of cpu, cpu_cores, cpu_temp, memory, memory_used, memory_total, disk, disk_used, disk_total, disk_path, gpu, gpu_memory, gpu_temp, gpu_power, hostname)',
      ],
    );
    assert.deepEqual(
      code(() => queryRecording(edges, { targets: ['zz'] })),
      ['UNKNOWN_TARGET', 'no target "zz" in the recording (recorded: a, b)'],
    );
    assert.deepEqual(
      code(() => queryRecording(edges, { every: MINUTE, aggregates: ['median' as 'avg'] })),
      ['UNKNOWN_AGGREGATE', 'unknown aggregate "median" (expected one of avg, min, max, p95, last)'],
    );
    assert.equal(
      code(() => queryRecording(edges, { every: MINUTE, metrics: ['hostname'] }))[0],
      'UNKNOWN_AGGREGATE',
    );
    assert.equal(code(() => queryRecording(edges, { since: E, until: E }))[0], 'INVALID_QUERY');
    assert.equal(code(() => queryRecording(edges, { every: 0 }))[0], 'INVALID_QUERY');
    assert.equal(code(() => queryRecording(join(tmp, 'missing.db')))[0], 'RECORDING_NOT_FOUND');
  });
});

describe('durations and times', () => {
  it('reads durations in every unit, combined', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('2w'), 1_209_600_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    for (const bad of ['', '10', 'h', '1x', '-1h', '1h 30m', 'one hour'])
      assert.equal(parseDuration(bad), undefined, bad);
  });

  it('reads a time as a duration back from now or as ISO 8601', () => {
    const now = E + 3_600_000;
    assert.equal(parseTimePoint('1h', now), E);
    assert.equal(parseTimePoint('2026-11-25T02:00:00Z', now), E);
    assert.equal(parseTimePoint('2026-11-25T03:00:00+01:00', now), E);
    assert.equal(parseTimePoint('2026-11-25', now), Date.UTC(2026, 10, 25));
    for (const bad of ['yesterday', '1', 'March 7', '2026-13-45T00:00Z'])
      assert.equal(parseTimePoint(bad, now), undefined, bad);
  });
});

describe('query command', () => {
  async function query(argv: string[]) {
    const stdout = capture();
    const stderr = capture();
    const code = await runQuery(argv, {
      stdout: stdout.stream,
      stderr: stderr.stream,
      now: () => E + MINUTE,
    });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('prints a table by default', async () => {
    const { code, stdout, stderr } = await query([edges, '--target', 'b']);
    assert.equal(stderr, '');
    assert.equal(code, 0);
    assert.equal(
      stdout,
      'time                      target  cpu  memory  disk\n' +
        '2026-11-25T02:00:01.000Z  b        99       9  21.5\n',
    );
  });

  it('prints buckets as CSV, JSON and JSON Lines', async () => {
    const args = [
      edges,
      '--target',
      'a',
      '--metric',
      'cpu',
      '--every',
      '1m',
      '--agg',
      'min,max',
      '--since',
      '1m',
    ];
    const csv = await query([...args, '-f', 'csv']);
    assert.equal(csv.code, 0);
    assert.equal(
      csv.stdout,
      'time,target,samples,cpu_min,cpu_max\n' +
        '2026-11-25T02:00:00.000Z,a,3,20,40\n' +
        '2026-11-25T02:01:00.000Z,a,1,50,50\n',
    );
    const json = await query([...args, '-f', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), [
      { time: '2026-11-25T02:00:00.000Z', target: 'a', samples: 3, cpu_min: 20, cpu_max: 40 },
      { time: '2026-11-25T02:01:00.000Z', target: 'a', samples: 1, cpu_min: 50, cpu_max: 50 },
    ]);
    const jsonl = await query([...args, '-f', 'jsonl']);
    assert.deepEqual(
      jsonl.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
      JSON.parse(json.stdout),
    );
  });

  it('--targets and --events list what the recording holds', async () => {
    const targets = await query([edges, '--targets', '-f', 'csv']);
    assert.equal(
      targets.stdout,
      'target,uri,labels,first_seen,last_seen,snapshots\n' +
        'a,a,{},2026-11-25T01:59:59.999Z,2026-11-25T02:01:00.000Z,5\n' +
        'b,b,{},2026-11-25T02:00:01.000Z,2026-11-25T02:00:01.000Z,1\n',
    );
    const events = await query([many, '--events', '-f', 'jsonl']);
    const lines = events.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => [l.type, l.time]),
      [
        ['gap', '2026-11-25T02:00:19.000Z'],
        ['disconnected', '2026-11-25T02:00:19.500Z'],
        ['connected', '2026-11-25T02:00:39.000Z'],
      ],
    );
    assert.deepEqual(lines[1].detail, { code: 1006, reason: '', willReconnect: true });
    const quiet = await query([many, '--events', '--gap', '1m']);
    assert.doesNotMatch(quiet.stdout, /gap/);
  });

  it('strips terminal controls from strings in a table, escapes them in JSON', async () => {
    const path = join(tmp, 'hostile.db');
    const target = 'evil\u001b]0;pwned\u0007\u202e';
    await writeRecording(path, [[target, E, { host: 'x\u001b[31my' }]]);
    const table = await query([path, '--metric', 'hostname']);
    assert.doesNotMatch(table.stdout, /[\u001b\u0007\u202e]/);
    assert.match(table.stdout, /evil\s+xy\n$/, 'the host name was made safe when it was received');
    const json = await query([path, '--metric', 'hostname', '-f', 'jsonl']);
    assert.doesNotMatch(json.stdout, /[\u001b\u0007\u202e]/);
    assert.equal(JSON.parse(json.stdout).target, target);
  });

  it('says each error in one line and exits 2', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'hello\n');
    const foreign = join(tmp, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const cases: [string[], RegExp][] = [
      [[join(tmp, 'nope.db')], /^monitoring-websocket-client: error: no such recording: .*nope\.db\n$/],
      [
        [text],
        /^monitoring-websocket-client: error: .*notes\.txt is not a recording \(not a SQLite database\)\n$/,
      ],
      [[foreign], /is not a recording \(a SQLite database of another application\)\n$/],
      [
        [edges, '--metric', 'cpu,bogus'],
        /^monitoring-websocket-client: error: unknown metric "bogus" \(expected one of cpu, .*\)\n$/,
      ],
      [[edges, '--target', 'zz'], /no target "zz" in the recording \(recorded: a, b\)\n$/],
      [[edges, '--every', '1m', '--agg', 'median'], /unknown aggregate "median"/],
      [[edges, '--every', 'soon'], /invalid --every: "soon" \(expected a duration such as 30s/],
      [[edges, '--since', 'yesterday'], /invalid --since: "yesterday" \(expected a duration back from now/],
      [[edges, '--since', '1m', '--until', '2m'], /since \(.*\) is not before until/],
      [[edges, '--agg', 'max'], /--agg needs buckets: give --every/],
      [[edges, '--targets', '--events'], /give --targets or --events, not both/],
      [[edges, '-f', 'xml'], /error: option '-f, --format <format>' argument 'xml' is invalid/],
      [[], /error: missing required argument 'file'/],
    ];
    for (const [argv, message] of cases) {
      const { code, stdout, stderr } = await query(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${stderr}`);
      assert.equal(stdout, '');
      assert.match(stderr, message, argv.join(' '));
      assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
    }
  });

  it('--help lists the metrics and exits 0', async () => {
    const { code, stdout } = await query(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /Metrics: cpu, cpu_cores, cpu_temp, memory/);
    assert.match(stdout, /--every <duration>/);
  });
});
