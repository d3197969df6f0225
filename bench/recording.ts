/**
 * The recording suite (issue 14): `--record` against the bare `ws` client that appends to a
 * file (the bar of --save-data, 0.7), bytes on disk per snapshot, a query bucketing 1,000,000
 * rows per minute (under a second), and replay at full speed against live display.
 *
 * Its client processes are this file run as a child:
 *   node bench/.build/recording.mjs child '<RecordingChildSpec as JSON>'   (compiled.ts)
 * so that, like every case of the harness, each runs in a fresh process.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as PipelineModule from '../src/pipeline/pipeline.js';
import type { Sink, SinkContext } from '../src/pipeline/sink.js';
import type * as MetricsModule from '../src/recording/metrics.js';
import type * as QueryModule from '../src/recording/query.js';
import type * as RecorderModule from '../src/recording/recorder-sink.js';
import type * as ReplayModule from '../src/recording/replay-source.js';
import type * as SchemaModule from '../src/recording/schema.js';
import type { TimerHandle } from '../src/transport/clock.js';
import { compiledEntry } from './compiled.js';
import { type BenchServer, childEnv, exited, newTag, openDevNull, ROOT, runChild } from './harness.js';
import { loadLibrary } from './library.js';
import { preciseNow, realDialectText } from './message.js';
import { summarize, type ThroughputResult } from './results.js';
import { check, compared, inRounds, type Row, type Settings } from './suites.js';

const SELF = fileURLToPath(import.meta.url);
const QUERY_ROWS = 1_000_000;
const QUERY_TARGETS = 10;

/** What a child of this suite does. */
type RecordingChildSpec =
  | { case: 'record'; uri: string; path: string }
  | { case: 'replay'; path: string }
  | { case: 'query'; path: string; every: number; aggregates: string[] };

interface RecordResult extends ThroughputResult {
  rows: number;
}
interface ReplayResult {
  frames: number;
  ms: number;
}
interface QueryResult {
  buckets: number;
  ms: number;
}

type RecordingParts = typeof PipelineModule &
  typeof QueryModule &
  typeof RecorderModule &
  typeof ReplayModule &
  typeof SchemaModule &
  typeof MetricsModule;

/** The pipeline and the recording's parts, from dist/ like the rest of the library. */
async function loadRecording(): Promise<RecordingParts> {
  const load = (path: string) => import(new URL(`../dist/${path}`, import.meta.url).href);
  const modules = await Promise.all(
    [
      'pipeline/pipeline.js',
      'recording/query.js',
      'recording/recorder-sink.js',
      'recording/replay-source.js',
      'recording/schema.js',
      'recording/metrics.js',
    ].map(load),
  );
  return Object.assign({}, ...modules) as RecordingParts;
}

async function runRecordingChild<T>(spec: RecordingChildSpec): Promise<{ result: T; exit: { at: number } }> {
  const devNull = openDevNull();
  try {
    const child = spawn(process.execPath, [compiledEntry(SELF), 'child', JSON.stringify(spec)], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', devNull, 'pipe', 'ipc'],
    });
    let report: { ok: boolean; result?: T; error?: string } | undefined;
    child.on('message', (message: typeof report) => {
      report = message;
    });
    const exit = await exited(child);
    if (report?.ok !== true)
      throw new Error(`recording bench child (${spec.case}) failed: ${report?.error ?? exit.stderr}`);
    return { result: report.result as T, exit };
  } finally {
    closeSync(devNull);
  }
}

// ---- the child side -------------------------------------------------------------------------

/** A display sink writing the `simple` line of each record to stdout, as the CLI's default. */
async function simpleLineSink(): Promise<Sink> {
  const library = await loadLibrary();
  return new library.DisplaySink({
    formatter: library.createFormatter('simple', { color: false }),
    output: process.stdout,
    notices: null,
  });
}

/** One connection's frames into a pipeline with the recorder and the `simple` display, until the server closes. */
async function childRecord(uri: string, path: string): Promise<RecordResult> {
  const library = await loadLibrary();
  const recording = await loadRecording();
  const recorder = new recording.RecorderSink({ path });
  const pipeline = new recording.Pipeline({ sinks: [await simpleLineSink(), recorder] });
  await pipeline.start();
  const client = new library.WebSocketClient(uri, { reconnect: false, pingInterval: 0 });
  let received = 0;
  const closed = new Promise<void>((resolve) => client.on('disconnected', () => resolve()));
  client.on('frame', (frame) => {
    received++;
    pipeline.receive('bench', frame);
  });
  await client.start();
  await closed;
  await client.stop();
  await pipeline.close();
  const rows = (recorder.stats() as { rowsWritten: number }).rowsWritten;
  return { received, rows };
}

/**
 * The whole recording at full speed into the `simple` display, timed from the start of the
 * replay (the file open, as the live client's time starts with its connection) to its end.
 */
async function childReplay(path: string): Promise<ReplayResult> {
  const recording = await loadRecording();
  const source = await recording.ReplaySource.open(path, { speed: 'max' });
  const pipeline = new recording.Pipeline({ sinks: [await simpleLineSink()], clock: source.clock });
  await pipeline.start();
  const start = preciseNow();
  const result = await source.play(pipeline);
  await pipeline.close();
  source.close();
  return { frames: result.frames, ms: preciseNow() - start };
}

/** One query, timed from the opening of the file to its answer. */
async function childQuery(path: string, every: number, aggregates: string[]): Promise<QueryResult> {
  const recording = await loadRecording();
  const start = preciseNow();
  const result = recording.queryRecording(path, {
    every,
    aggregates: aggregates as QueryModule.Aggregate[],
  });
  return { buckets: result.rows.length, ms: preciseNow() - start };
}

function runAsChild(spec: RecordingChildSpec): void {
  const work =
    spec.case === 'record'
      ? childRecord(spec.uri, spec.path)
      : spec.case === 'replay'
        ? childReplay(spec.path)
        : childQuery(spec.path, spec.every, spec.aggregates);
  work.then(
    (result) => process.send?.({ ok: true, result }, () => process.disconnect()),
    (error: unknown) => {
      process.exitCode = 1;
      process.send?.(
        { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        () => process.disconnect(),
      );
    },
  );
}

// ---- the suite ------------------------------------------------------------------------------

/**
 * A recording of QUERY_ROWS snapshots (QUERY_TARGETS targets, one per second each, in time
 * order), written by the recorder itself without the pipeline around it. Each frame differs
 * from the last as a real server's do (timestamp, CPU and per-core usage, memory), so that
 * the bytes on disk per snapshot are those of a real recording. Returns the file's size.
 */
export async function writeLargeRecording(path: string): Promise<number> {
  const recording = await loadRecording();
  const library = await loadLibrary();
  // The frame's text with holes where a real server's numbers change, filled per row.
  const template = JSON.parse(realDialectText()) as {
    timestamp: string;
    data: {
      processor: { usage_percent: unknown; per_core_usage: unknown };
      memory: { used: unknown; available: unknown; percentage: unknown };
    };
  };
  template.timestamp = '@T';
  template.data.processor.usage_percent = '@C';
  template.data.processor.per_core_usage = '@P';
  template.data.memory.used = '@U';
  template.data.memory.available = '@A';
  template.data.memory.percentage = '@M';
  // Pieces of text, and between them the names of the values that go there, in text order.
  const pieces = JSON.stringify(template).split(/"@([TCPUAM])"/);
  const first = library.parseFrame(realDialectText(), false, 0);
  const snapshot = library.normalizeMonitoringData(first.message!, 0, 'bench');
  const sink = new recording.RecorderSink({ path });
  const start = Date.UTC(2026, 0, 1);
  let now = start;
  const context: SinkContext = {
    // Flushes go by row count; the interval's timer is never needed.
    clock: { now: () => now, setTimeout: () => 0 as unknown as TimerHandle, clearTimeout: () => {} },
    logger: library.silentLogger,
    targets: () => [],
    target: () => undefined,
    publish: () => {},
  };
  await sink.start(context);
  const perTarget = QUERY_ROWS / QUERY_TARGETS;
  for (let second = 0; second < perTarget; second++) {
    now = start + second * 1000;
    for (let id = 0; id < QUERY_TARGETS; id++) {
      const cpu = Math.round((Math.sin(second / 600 + id) + 1) * 500) / 10;
      const used = 8_000_000_000 + ((second * 7919 + id) % 1_000_000) * 4096;
      const memory = Math.round((used / 16_000_000_000) * 1000) / 10;
      const values: Record<string, string> = {
        T: JSON.stringify(new Date(now).toISOString().slice(0, 23)),
        C: String(cpu),
        P: `[${cpu}, ${Math.round(cpu * 7) % 100}]`,
        U: String(used),
        A: String(16_000_000_000 - used),
        M: String(memory),
      };
      let raw = '';
      for (let i = 0; i < pieces.length; i++) raw += i % 2 === 0 ? pieces[i] : values[pieces[i]!];
      // The recorder reads the snapshot when it is written: one object, changed for each row.
      snapshot.cpu.usagePercent = cpu;
      snapshot.memory.usedBytes = used;
      snapshot.memory.usagePercent = memory;
      const frame = { raw, size: raw.length, receivedAt: now };
      sink.write({ target: `host-${id}`, snapshot, message: first.message!, frame });
    }
    // The writer takes a flush at a time: let it, every flush's worth of rows.
    if (second % 200 === 199) await sink.flush();
  }
  await sink.close();
  return statSync(path).size;
}

export async function recordingSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const folder = mkdtempSync(join(tmpdir(), 'mwc-bench-recording-'));
  const suite = `7. recording (${settings.messages.toLocaleString('en-US')} messages; query over ${QUERY_ROWS.toLocaleString('en-US')} rows)`;
  try {
    const messages = settings.messages;
    let runs = 0;
    let replayFile: string | undefined;
    // Messages per second from the server's handshake to the client's exit, as the throughput suite.
    const throughput = await inRounds(
      settings.throughputRounds,
      ['bare save', 'record', 'live simple', 'replay'] as const,
      async (name) => {
        const tag = newTag();
        const uri = server.url('/flood', { n: messages, tag });
        if (name === 'replay') {
          const { result } = await runRecordingChild<ReplayResult>({ case: 'replay', path: replayFile! });
          if (result.frames !== messages) throw new Error(`replay: ${result.frames} frames of ${messages}`);
          return messages / (result.ms / 1000);
        }
        let received: number;
        let exitAt: number;
        if (name === 'record') {
          const path = join(folder, `record-${++runs}.db`);
          const { result, exit } = await runRecordingChild<RecordResult>({ case: 'record', uri, path });
          if (result.rows !== messages) throw new Error(`record: ${result.rows} rows of ${messages}`);
          if (replayFile === undefined) replayFile = path;
          else rmSync(path);
          ({ received } = result);
          exitAt = exit.at;
        } else if (name === 'bare save') {
          const saveData = join(folder, `bare-${++runs}.jsonl`);
          const { result, exit } = await runChild<ThroughputResult>({
            case: 'throughput',
            impl: 'bare',
            kind: 'save',
            uri,
            saveData,
          });
          rmSync(saveData);
          received = result.received;
          exitAt = exit.at;
        } else {
          const { result, exit } = await runChild<ThroughputResult>({
            case: 'throughput',
            impl: 'lib',
            format: 'simple',
            uri,
          });
          received = result.received;
          exitAt = exit.at;
        }
        const { open } = await server.connection(tag);
        if (received !== messages) throw new Error(`${name}: received ${received} of ${messages}`);
        return messages / ((exitAt - open.t) / 1000);
      },
      (text) => progress(`recording ${text}`),
    );
    const large = join(folder, 'large.db');
    progress(`recording: writing ${QUERY_ROWS.toLocaleString('en-US')} rows for the query`);
    const largeBytes = await writeLargeRecording(large);
    const queries = await inRounds(
      settings.throughputRounds,
      ['avg', 'all', 'snapshots'] as const,
      async (name) => {
        const aggregates = name === 'all' ? ['avg', 'min', 'max', 'p95', 'last'] : ['avg'];
        // 90 s is no whole number of minutes: the buckets come from the snapshots themselves.
        const every = name === 'snapshots' ? 90_000 : 60_000;
        const { result } = await runRecordingChild<QueryResult>({
          case: 'query',
          path: large,
          every,
          aggregates,
        });
        // 100,000 seconds per target, 10 targets; the last bucket partial.
        const expected = QUERY_TARGETS * Math.ceil(QUERY_ROWS / QUERY_TARGETS / (every / 1000));
        if (result.buckets !== expected) throw new Error(`query: ${result.buckets} buckets, not ${expected}`);
        return result.ms;
      },
      (text) => progress(`recording query ${text}`),
    );
    return [
      {
        suite,
        name: 'bare ws: + append to file (backpressure)',
        unit: 'msg/s',
        value: summarize(throughput['bare save']),
      },
      compared(
        suite,
        'library: pipeline, -f simple display + --record FILE',
        'msg/s',
        throughput.record,
        'bare ws: + append to file (backpressure)',
        throughput['bare save'],
        { on: 'ratio', op: '>=', limit: 0.7 },
      ),
      {
        suite,
        name: `bytes on disk per snapshot (${QUERY_ROWS.toLocaleString('en-US')} snapshots of 720-byte frames, frames included)`,
        unit: 'B',
        value: summarize([largeBytes / QUERY_ROWS]),
      },
      check({
        suite,
        name: `query --every 1m (avg of cpu, memory, disk; per-minute totals), ${QUERY_ROWS.toLocaleString('en-US')} rows, ${QUERY_TARGETS} targets`,
        unit: 'ms',
        value: summarize(queries.avg),
        target: { on: 'value', op: '<', limit: 1000 },
      }),
      {
        suite,
        name: 'query --every 90s (avg; no whole minutes: from the snapshots, sorted by SQLite)',
        unit: 'ms',
        value: summarize(queries.snapshots),
      },
      {
        suite,
        name: 'query --every 1m --agg avg,min,max,p95,last (p95: from the snapshots)',
        unit: 'ms',
        value: summarize(queries.all),
      },
      compared(
        suite,
        'replay --max-speed, -f simple display',
        'msg/s',
        throughput.replay,
        'library --format simple (live)',
        throughput['live simple'],
        { on: 'ratio', op: '>=', limit: 1 },
      ),
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') runAsChild(JSON.parse(process.argv[3] ?? '{}') as RecordingChildSpec);
