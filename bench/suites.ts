/**
 * The five suites of the issue. Each runs its cases in rounds; within a round every figure
 * is measured next to its baseline (the order is reversed every other round, so neither
 * side always goes first), and a row's ratio is the median of the per-round ratios.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CONNECTING } from '../src/config.js';
import type { FormatType } from '../src/index.js';
import type { ThroughputBaseline } from './baselines.js';
import type { ChildSpec } from './child.js';
import {
  BenchServer,
  CLI,
  newTag,
  runChild,
  runCli,
  runCliWatched,
  runSideBySide,
  sharedCpu,
  timeToExit,
  timeToFirstOutput,
} from './harness.js';
import {
  type FanInResult,
  type LatencyResult,
  type MemoryResult,
  percentile,
  type StormResult,
  type Summary,
  summarize,
  type ThroughputResult,
} from './results.js';

/** A target: `ratio <= 1.2`, `value < 5`, ... */
export interface Target {
  on: 'ratio' | 'value';
  op: '>=' | '<=' | '<';
  limit: number;
}

export interface Row {
  suite: string;
  name: string;
  unit: string;
  value: Summary;
  baselineName?: string;
  baseline?: Summary;
  /** value / baseline, per round. */
  ratio?: Summary;
  target?: Target;
  pass?: boolean;
  note?: string;
}

export interface Settings {
  quick: boolean;
  /** Throughput: messages per run, rounds. */
  messages: number;
  throughputRounds: number;
  /** Latency: rate (msg/s), messages measured per run after `latencyWarmup`, rounds. */
  latencyRate: number;
  latencyMessages: number;
  latencyWarmup: number;
  latencyRounds: number;
  /** Extra rounds of two bare clients side by side: the noise floor of the latency ratio. */
  latencyControlRounds: number;
  /** Memory: the message counts at which memory is read, rounds. */
  memoryCheckpoints: [number, number];
  memoryRounds: number;
  /** Fan-in: clients, warm-up and window (ms), rounds. */
  fanInClients: number;
  fanInWarmupMs: number;
  fanInWindowMs: number;
  fanInRounds: number;
  /** Fan-in at scale: targets of one fleet beside as many bare clients (reported, no target). */
  fanInLargeClients: number;
  /** Connection storm: wss:// targets of one fleet started at once, rounds. */
  stormTargets: number;
  stormRounds: number;
  /** Start-up: runs of each command. */
  startupRuns: number;
  /** Save-data: seconds of flood per memory run, records displayed before the SIGKILL, rounds. */
  saveDataSeconds: number;
  saveDataKillAfter: number;
  saveDataRounds: number;
}

export const FULL: Settings = {
  quick: false,
  messages: 200_000,
  throughputRounds: 3,
  latencyRate: 1000,
  latencyMessages: 5000,
  latencyWarmup: 1000,
  latencyRounds: 6,
  latencyControlRounds: 2,
  memoryCheckpoints: [200_000, 1_000_000],
  memoryRounds: 2,
  fanInClients: 1000,
  fanInWarmupMs: 2000,
  fanInWindowMs: 10_000,
  fanInRounds: 3,
  fanInLargeClients: 5000,
  stormTargets: 5000,
  stormRounds: 3,
  startupRuns: 10,
  saveDataSeconds: 5,
  saveDataKillAfter: 100_000,
  saveDataRounds: 3,
};

export const QUICK: Settings = {
  quick: true,
  messages: 50_000,
  throughputRounds: 3,
  latencyRate: 1000,
  latencyMessages: 2000,
  latencyWarmup: 1000,
  latencyRounds: 2,
  latencyControlRounds: 1,
  memoryCheckpoints: [50_000, 250_000],
  memoryRounds: 1,
  fanInClients: 1000,
  fanInWarmupMs: 2000,
  fanInWindowMs: 4000,
  fanInRounds: 1,
  fanInLargeClients: 5000,
  stormTargets: 2000,
  stormRounds: 1,
  startupRuns: 5,
  saveDataSeconds: 3,
  saveDataKillAfter: 50_000,
  saveDataRounds: 2,
};

/** Runs `measure` for each case, round after round, the order reversed every other round. */
export async function inRounds<K extends string, T>(
  rounds: number,
  cases: readonly K[],
  measure: (name: K, round: number) => Promise<T>,
  progress: (text: string) => void,
): Promise<Record<K, T[]>> {
  const results = Object.fromEntries(cases.map((name) => [name, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const name of order) {
      progress(`round ${round + 1}/${rounds}: ${name}`);
      results[name].push(await measure(name, round));
    }
  }
  return results;
}

function ratios(values: readonly number[], baselines: readonly number[]): Summary {
  return summarize(values.map((value, i) => value / baselines[i]!));
}

export function check(row: Row): Row {
  const target = row.target;
  if (target === undefined) return row;
  const actual = target.on === 'ratio' ? row.ratio?.median : row.value.median;
  if (actual === undefined) return row;
  row.pass =
    target.op === '>='
      ? actual >= target.limit
      : target.op === '<='
        ? actual <= target.limit
        : actual < target.limit;
  return row;
}

export function compared(
  suite: string,
  name: string,
  unit: string,
  values: number[],
  baselineName: string,
  baselines: number[],
  target?: Target,
): Row {
  return check({
    suite,
    name,
    unit,
    value: summarize(values),
    baselineName,
    baseline: summarize(baselines),
    ratio: ratios(values, baselines),
    ...(target ? { target } : {}),
  });
}

// ---- 1. throughput -------------------------------------------------------------------------------

const LINE_FORMATS = [
  'simple',
  'detailed',
  'compact',
  'json',
  'jsonl',
] as const satisfies readonly FormatType[];
const CLI_FORMATS = ['simple', 'compact', 'json', 'jsonl'] as const satisfies readonly FormatType[];
// The bars of issue #10 (the pipeline must cost the line formats almost nothing) and the
// earlier 0.8 of jsonl; `detailed` prints six lines a message and has none.
const FORMAT_TARGETS: Partial<Record<FormatType, number>> = {
  simple: 0.9,
  compact: 0.9,
  json: 0.8,
  jsonl: 0.8,
};

type ThroughputCase =
  | `bare ${ThroughputBaseline}`
  | `library ${(typeof LINE_FORMATS)[number]}`
  | `cli ${(typeof CLI_FORMATS)[number]}`
  | 'cli simple --save-data';

const BARE_LABELS: Record<ThroughputBaseline, string> = {
  receive: 'bare ws: receive only',
  parse: 'bare ws: + JSON.parse',
  line: 'bare ws: + one line to stdout',
  save: 'bare ws: + append to file (backpressure)',
};

/** Messages per second of one client process, from the server's handshake to the process's exit. */
async function throughputRun(server: BenchServer, messages: number, name: ThroughputCase): Promise<number> {
  const tag = newTag();
  const uri = server.url('/flood', { n: messages, tag });
  const [impl, what] = name.split(' ') as ['bare' | 'library' | 'cli', string];
  const saveDir =
    name.endsWith('--save-data') || what === 'save' ? mkdtempSync(join(tmpdir(), 'mwc-bench-')) : undefined;
  const saveData = saveDir === undefined ? undefined : join(saveDir, 'saved.jsonl');
  try {
    let received: number;
    let exitAt: number;
    if (impl === 'cli') {
      const args = ['-u', uri, '-f', what, '--no-reconnect', '--stats'];
      if (saveData !== undefined) args.push('--save-data', saveData);
      const exit = await runCli(args);
      // --no-reconnect: the server's close ends the run with exit code 1 ("gave up").
      if (exit.code !== 0 && exit.code !== 1)
        throw new Error(`the CLI failed (code ${exit.code}):\n${exit.stderr}`);
      // --stats: "Messages received: N", or "messagesReceived": N in the JSON formats.
      const stats = /Messages received: (\d+)|"messagesReceived":\s*(\d+)/.exec(exit.stderr);
      received = Number(stats?.[1] ?? stats?.[2] ?? Number.NaN);
      exitAt = exit.at;
    } else {
      const spec: ChildSpec =
        impl === 'bare'
          ? {
              case: 'throughput',
              impl,
              kind: what as ThroughputBaseline,
              uri,
              ...(saveData ? { saveData } : {}),
            }
          : { case: 'throughput', impl: 'lib', format: what as FormatType, uri };
      const { result, exit } = await runChild<ThroughputResult>(spec);
      received = result.received;
      exitAt = exit.at;
    }
    const { open, closed } = await server.connection(tag);
    if (closed.sent !== messages || received !== messages) {
      throw new Error(
        `${name}: the server sent ${closed.sent} and the client received ${received} of ${messages}`,
      );
    }
    return messages / ((exitAt - open.t) / 1000);
  } finally {
    if (saveDir !== undefined) rmSync(saveDir, { recursive: true, force: true });
  }
}

export async function throughputSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
  only?: readonly ThroughputCase[],
): Promise<Row[]> {
  const all: ThroughputCase[] = [
    'bare receive',
    'bare parse',
    'bare line',
    ...LINE_FORMATS.map((format) => `library ${format}` as const),
    ...CLI_FORMATS.map((format) => `cli ${format}` as const),
    'bare save',
    'cli simple --save-data',
  ];
  // The baselines a selection needs are always measured with it.
  const cases = only
    ? all.filter(
        (name) =>
          only.includes(name) ||
          name === 'bare line' ||
          (name === 'bare save' && only.includes('cli simple --save-data')),
      )
    : all;
  const results = await inRounds(
    settings.throughputRounds,
    cases,
    (name) => throughputRun(server, settings.messages, name),
    (text) => progress(`throughput ${text}`),
  );
  const suite = `1. throughput (${settings.messages.toLocaleString('en-US')} messages)`;
  const rows: Row[] = [];
  for (const kind of ['receive', 'parse', 'line', 'save'] as const) {
    const values = results[`bare ${kind}`];
    if (values) rows.push({ suite, name: BARE_LABELS[kind], unit: 'msg/s', value: summarize(values) });
  }
  const line = results['bare line'];
  for (const format of LINE_FORMATS) {
    const values = results[`library ${format}`];
    if (!values) continue;
    const limit = FORMAT_TARGETS[format];
    rows.push(
      compared(
        suite,
        `library --format ${format}`,
        'msg/s',
        values,
        BARE_LABELS.line,
        line,
        limit ? { on: 'ratio', op: '>=', limit } : undefined,
      ),
    );
  }
  for (const format of CLI_FORMATS) {
    const values = results[`cli ${format}`];
    if (!values) continue;
    const limit = FORMAT_TARGETS[format];
    rows.push(
      compared(
        suite,
        `CLI -f ${format} > /dev/null`,
        'msg/s',
        values,
        BARE_LABELS.line,
        line,
        limit ? { on: 'ratio', op: '>=', limit } : undefined,
      ),
    );
  }
  const saved = results['cli simple --save-data'];
  if (saved) {
    rows.push(
      compared(
        suite,
        'CLI -f simple --save-data FILE',
        'msg/s',
        saved,
        BARE_LABELS.save,
        results['bare save'],
        {
          on: 'ratio',
          op: '>=',
          limit: 0.7,
        },
      ),
    );
  }
  return rows;
}

// ---- 2. latency -----------------------------------------------------------------------------------

/**
 * Two clients run side by side, in two processes connected to the same group of the rate
 * server: every message goes to both (in alternating order, each with its own send time), so
 * a burst of noise on the machine can hit the figure and its baseline alike. A few extra
 * rounds run two bare clients side by side: how far apart two identical clients land on this
 * machine is the noise floor of the ratio.
 */
export async function latencySuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const n = settings.latencyWarmup + settings.latencyMessages;
  type Percentiles = { p50: number; p99: number; max: number };
  type Client = 'bare' | 'lib' | 'controlA' | 'controlB';
  const results: Record<Client, Percentiles[]> = { bare: [], lib: [], controlA: [], controlB: [] };
  const pooled: Record<Client, number[]> = { bare: [], lib: [], controlA: [], controlB: [] };
  const sideBySide = async (clients: [Client, Client]) => {
    const group = newTag();
    const runs = clients.map(async (client) => {
      const tag = newTag();
      const uri = server.url('/rate', { n, rate: settings.latencyRate, group, size: 2, tag });
      const impl = client === 'lib' ? 'lib' : 'bare';
      const { result } = await runChild<LatencyResult>({
        case: 'latency',
        impl,
        uri,
        warmup: settings.latencyWarmup,
      });
      await server.connection(tag);
      if (result.received !== n) throw new Error(`latency/${client}: received ${result.received} of ${n}`);
      const sorted = result.samples.sort((a, b) => a - b);
      for (const sample of sorted) pooled[client].push(sample);
      results[client].push({
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1]!,
      });
    });
    await Promise.all(runs);
  };
  for (let round = 0; round < settings.latencyRounds; round++) {
    progress(`latency round ${round + 1}/${settings.latencyRounds}: bare and library side by side`);
    await sideBySide(['bare', 'lib']);
  }
  for (let round = 0; round < settings.latencyControlRounds; round++) {
    progress(
      `latency noise-floor round ${round + 1}/${settings.latencyControlRounds}: two bare clients side by side`,
    );
    await sideBySide(['controlA', 'controlB']);
  }
  const rate = settings.latencyRate.toLocaleString('en-US');
  const count = settings.latencyMessages.toLocaleString('en-US');
  const suite = `2. latency at ${rate} msg/s (${count} messages per run after ${settings.latencyWarmup} of warm-up, server send to onMessage, two clients side by side)`;
  const bare = 'bare ws: parse + line';
  const pooledP99 = (client: Client) =>
    percentile(
      pooled[client].sort((a, b) => a - b),
      99,
    );
  const pooledNote = (client: Client, baseline: Client) =>
    `all runs' samples pooled: p99 ${pooledP99(client).toFixed(3)} vs ${pooledP99(baseline).toFixed(3)} ms, ratio ${(pooledP99(client) / pooledP99(baseline)).toFixed(2)}`;
  const rows = (['p50', 'p99', 'max'] as const).map((stat) => {
    const row = compared(
      suite,
      `library ${stat}`,
      'ms',
      results.lib.map((r) => r[stat]),
      `${bare} ${stat}`,
      results.bare.map((r) => r[stat]),
      stat === 'p99' ? { on: 'ratio', op: '<=', limit: 1.2 } : undefined,
    );
    return stat === 'p99' ? { ...row, note: pooledNote('lib', 'bare') } : row;
  });
  if (settings.latencyControlRounds > 0) {
    rows.push({
      ...compared(
        suite,
        'noise floor: bare ws p99 beside another bare ws',
        'ms',
        results.controlB.map((r) => r.p99),
        `${bare} p99`,
        results.controlA.map((r) => r.p99),
      ),
      note: pooledNote('controlB', 'controlA'),
    });
  }
  return rows;
}

// ---- 3. memory ------------------------------------------------------------------------------------

export async function memorySuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const [first, last] = settings.memoryCheckpoints;
  const results = await inRounds(
    settings.memoryRounds,
    ['bare', 'lib'] as const,
    async (impl) => {
      const tag = newTag();
      const uri = server.url('/flood', { n: last, tag });
      const { result } = await runChild<MemoryResult>(
        { case: 'memory', impl, uri, checkpoints: [first, last] },
        { exposeGc: true },
      );
      await server.connection(tag);
      const [a, b] = result.checkpoints;
      if (result.received !== last || a === undefined || b === undefined) {
        throw new Error(`memory/${impl}: received ${result.received} of ${last}`);
      }
      return { rssA: a.rssMb, rssB: b.rssMb, heapA: a.heapUsedMb, heapB: b.heapUsedMb };
    },
    (text) => progress(`memory ${text}`),
  );
  const k = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
  const suite = '3. memory (after a full GC; library with storeHistory, default maxHistorySize 1000)';
  const bare = 'bare ws: parse';
  type Run = (typeof results.lib)[number];
  const growth = (runs: Run[], before: keyof Run, after: keyof Run) =>
    runs.map((run) => ((run[after] - run[before]) / run[before]) * 100);
  const pair = (name: string, field: keyof Run, baselineName: string) =>
    compared(
      suite,
      name,
      'MB',
      results.lib.map((r) => r[field]),
      baselineName,
      results.bare.map((r) => r[field]),
    );
  const growthRow = (name: string, before: keyof Run, after: keyof Run, baselineName: string): Row =>
    check({
      suite,
      name,
      unit: '%',
      value: summarize(growth(results.lib, before, after)),
      baselineName,
      baseline: summarize(growth(results.bare, before, after)),
      target: { on: 'value', op: '<', limit: 5 },
    });
  return [
    pair(`library RSS after ${k(first)}`, 'rssA', `${bare} RSS`),
    pair(`library RSS after ${k(last)}`, 'rssB', `${bare} RSS`),
    pair(`library heap after ${k(first)}`, 'heapA', `${bare} heap`),
    pair(`library heap after ${k(last)}`, 'heapB', `${bare} heap`),
    growthRow(`library RSS growth ${k(first)} -> ${k(last)}`, 'rssA', 'rssB', `${bare} RSS growth`),
    growthRow(`library heap growth ${k(first)} -> ${k(last)}`, 'heapA', 'heapB', `${bare} heap growth`),
  ];
}

// ---- 4. fan-in ------------------------------------------------------------------------------------

type FanInImpl = 'bare' | 'lib' | 'fleet';

/** One case of fan-in and the bare clients that ran beside it, round by round. */
interface BesideBare {
  measured: FanInResult[];
  bare: FanInResult[];
}

/**
 * `count` clients of each of `impls`, each beside `count` bare clients (two processes side by
 * side, harness.runSideBySide), against 1 msg/s each; fresh processes every round. `bare` in
 * `impls` puts bare clients beside bare clients: the noise floor of the ratios.
 */
async function besideBare<I extends FanInImpl>(
  server: BenchServer,
  settings: Settings,
  count: number,
  impls: readonly I[],
  progress: (text: string) => void,
): Promise<Record<I, BesideBare>> {
  const spec = (impl: FanInImpl): Extract<ChildSpec, { case: 'fanin' }> => ({
    case: 'fanin',
    impl,
    uri: server.url('/fanin', { interval: 1000 }),
    count,
    warmupMs: settings.fanInWarmupMs,
    windowMs: settings.fanInWindowMs,
  });
  const rounds = await inRounds(
    settings.fanInRounds,
    impls,
    async (impl) => {
      const [bare, measured] = await runSideBySide<FanInResult>([spec('bare'), spec(impl)]);
      return { bare: bare!, measured: measured! };
    },
    (text) => progress(`fan-in ${count} ${text} beside bare`),
  );
  const byImpl = {} as Record<I, BesideBare>;
  for (const impl of impls) {
    byImpl[impl] = {
      measured: rounds[impl].map((round) => round.measured),
      bare: rounds[impl].map((round) => round.bare),
    };
  }
  return byImpl;
}

function fanInTitle(count: number, settings: Settings): string {
  const cpu = sharedCpu();
  const where = cpu === undefined ? '' : `, both on CPU ${cpu}`;
  return `4. fan-in: ${count.toLocaleString('en-US')} clients in one process, beside as many bare clients in another${where}, 1 msg/s each (CPU over ${settings.fanInWindowMs / 1000} s)`;
}

/** Messages per second seen in the window, median of the rounds. */
function seenRate(results: FanInResult[]): string {
  return summarize(results.map((r) => r.messagesInWindow / (r.windowMs / 1000))).median.toFixed(0);
}

/** The highest RSS sample of the window, median of the rounds. */
function peakRss(results: FanInResult[]): string {
  return summarize(results.map((r) => r.rssPeakMb)).median.toFixed(1);
}

/** The CPU and RSS rows of `name` beside as many bare clients, both with `limit` as their bar. */
function cpuAndRss(
  suite: string,
  name: string,
  count: number,
  { measured, bare }: BesideBare,
  limit: number | undefined,
  note: string | undefined,
): Row[] {
  const clients = count.toLocaleString('en-US');
  const target: Target | undefined = limit === undefined ? undefined : { on: 'ratio', op: '<=', limit };
  const rss = compared(
    suite,
    `${name}: RSS`,
    'MB',
    measured.map((r) => r.rssMb),
    `${clients} bare ws beside it: RSS`,
    bare.map((r) => r.rssMb),
    target,
  );
  return [
    compared(
      suite,
      `${name}: CPU`,
      '% of a core',
      measured.map((r) => r.cpuPercent),
      `${clients} bare ws beside it: CPU`,
      bare.map((r) => r.cpuPercent),
      target,
    ),
    note === undefined ? rss : { ...rss, note },
  ];
}

export async function fanInSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const count = settings.fanInClients;
  const clients = count.toLocaleString('en-US');
  const results = await besideBare(server, settings, count, ['lib', 'fleet', 'bare'] as const, progress);
  const suite = fanInTitle(count, settings);
  // The fleet at scale: reported beside as many bare clients, no bar.
  const large = settings.fanInLargeClients;
  const scale = await besideBare(server, settings, large, ['fleet'] as const, progress);
  return [
    ...cpuAndRss(
      suite,
      `${clients} MonitoringClient`,
      count,
      results.lib,
      1.5,
      `messages/s seen: library ${seenRate(results.lib.measured)}, bare ${seenRate(results.lib.bare)}`,
    ),
    ...cpuAndRss(
      suite,
      `one MonitoringFleet of ${clients} targets`,
      count,
      results.fleet,
      1.3,
      `peak RSS in the window: fleet ${peakRss(results.fleet.measured)}, bare ${peakRss(results.fleet.bare)} MB`,
    ),
    ...cpuAndRss(
      suite,
      `${clients} bare ws (the noise floor: bare beside bare)`,
      count,
      results.bare,
      undefined,
      undefined,
    ),
    ...cpuAndRss(
      fanInTitle(large, settings),
      `one MonitoringFleet of ${large.toLocaleString('en-US')} targets`,
      large,
      scale.fleet,
      undefined,
      `messages/s seen: fleet ${seenRate(scale.fleet.measured)}, bare ${seenRate(scale.fleet.bare)}`,
    ),
    ...(await stormRows(settings, progress)),
  ];
}

/**
 * The fleet's bound on handshakes in flight, against none: `stormTargets` wss:// targets
 * started at once (TLS, so that each handshake costs the event loop what it does in real use).
 */
async function stormRows(settings: Settings, progress: (text: string) => void): Promise<Row[]> {
  const count = settings.stormTargets;
  const server = await BenchServer.start({ tls: true });
  let results: Record<'bounded' | 'unbounded', StormResult[]>;
  try {
    results = await inRounds(
      settings.stormRounds,
      ['bounded', 'unbounded'] as const,
      async (impl) => {
        const spec: ChildSpec = { case: 'storm', impl, uri: server.url('/fanin', { interval: 1000 }), count };
        return (await runChild<StormResult>(spec)).result;
      },
      (text) => progress(`storm ${count} ${text}`),
    );
  } finally {
    await server.stop();
  }
  const suite = `4. connection storm: ${count.toLocaleString('en-US')} wss:// targets of one fleet started at once`;
  const bounded = `${MAX_CONNECTING} handshakes at a time (the default)`;
  const unbounded = 'all at once (maxConnecting: null)';
  // A run that never got every target up counts as the limit: it can only make the ratio worse.
  const seconds = (r: StormResult) => r.secondsToAllUp ?? Number.POSITIVE_INFINITY;
  const timeouts = (list: StormResult[]) => list.map((r) => r.connectTimeouts).join(', ');
  return [
    compared(
      suite,
      `${bounded}: time until all are up`,
      's',
      results.bounded.map(seconds),
      `${unbounded}: time`,
      results.unbounded.map(seconds),
    ),
    {
      ...check({
        suite,
        name: `${bounded}: handshakes timed out (each one retried)`,
        unit: 'handshakes',
        value: summarize(results.bounded.map((r) => r.connectTimeouts)),
        target: { on: 'value', op: '<=', limit: 0 },
      }),
      note: `all at once: ${timeouts(results.unbounded)} per run`,
    },
    compared(
      suite,
      `${bounded}: RSS once all are up`,
      'MB',
      results.bounded.map((r) => r.rssMb),
      `${unbounded}: RSS`,
      results.unbounded.map((r) => r.rssMb),
    ),
  ];
}

// ---- 5. start-up ----------------------------------------------------------------------------------

/**
 * The bare client of the first-message case: connect, print the first message's line. In
 * CommonJS (`require('ws')`), the faster way to load ws, as the start-up baseline.
 */
const BARE_FIRST_MESSAGE = `
const WebSocket = require('ws');
const socket = new WebSocket(process.argv[1], { perMessageDeflate: false });
socket.on('message', (data) => {
  const d = JSON.parse(String(data)).data;
  process.stdout.write('CPU: ' + d.processor.usage_percent.toFixed(1) + '% | RAM: ' + d.memory.percentage.toFixed(1) + '% | Disk: ' + d.disk.percentage.toFixed(1) + '%\\n');
});
`;

export async function startupSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const node = process.execPath;
  const cases = ['node -e 0', "require('ws')", "import('ws')", '--help', 'bare first', 'cli first'] as const;
  const results = await inRounds(
    settings.startupRuns,
    cases,
    (name) => {
      switch (name) {
        case 'node -e 0':
          return timeToExit(node, ['-e', '0']);
        case "require('ws')":
          return timeToExit(node, ['-e', "require('ws')"]);
        case "import('ws')":
          return timeToExit(node, ['-e', "import('ws')"]);
        case '--help':
          return timeToExit(node, [CLI, '--help']);
        case 'bare first':
          return timeToFirstOutput(node, ['-e', BARE_FIRST_MESSAGE, server.url('/greet')]);
        case 'cli first':
          return timeToFirstOutput(node, [CLI, '-u', server.url('/greet'), '--no-reconnect']);
      }
    },
    (text) => progress(`start-up ${text}`),
  );
  const suite = `5. start-up (${settings.startupRuns} runs each, spawn to exit or to first stdout)`;
  const importWs = 'node -e "import(\'ws\')"';
  return [
    { suite, name: 'node -e 0', unit: 'ms', value: summarize(results['node -e 0']) },
    compared(
      suite,
      'monitoring-websocket-client --help',
      'ms',
      results['--help'],
      'node -e "require(\'ws\')"',
      results["require('ws')"],
      { on: 'ratio', op: '<=', limit: 1.5 },
    ),
    compared(
      suite,
      'monitoring-websocket-client --help',
      'ms',
      results['--help'],
      importWs,
      results["import('ws')"],
      { on: 'ratio', op: '<=', limit: 1.5 },
    ),
    compared(
      suite,
      'CLI: time to first printed message',
      'ms',
      results['cli first'],
      'bare ws (node -e script): first line',
      results['bare first'],
    ),
  ];
}

// ---- 6. save-data under a flood -----------------------------------------------------------------

/** Bytes of lines save-data holds at most (maxPendingBytes, 1 MiB), plus the batch that crossed it and one socket read. */
const SAVE_DATA_LOSS_BOUND_BYTES = 1024 * 1024 + 2 * 64 * 1024;

/** Whole lines in a saved session's files, and the shortest one (bytes, with its line break). */
function savedLines(folder: string): { lines: number; shortest: number } {
  let lines = 0;
  let shortest = Number.POSITIVE_INFINITY;
  for (const name of readdirSync(folder)) {
    const text = readFileSync(join(folder, name), 'utf8');
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      lines++;
      shortest = Math.min(shortest, Buffer.byteLength(text.slice(start, end)) + 1);
      start = end + 1;
    }
  }
  return { lines, shortest };
}

/**
 * The CLI (`-f simple`, stdout read from a pipe) under an endless flood, with and without
 * `--save-data`, in the same round: the peak RSS of each (the issue: within 2x), and, in a
 * third run killed with SIGKILL once `saveDataKillAfter` records were displayed, how many
 * displayed records were not on disk (the bound: 1 MiB + 128 KiB of lines).
 */
export async function saveDataSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const flood = () => server.url('/flood', { n: 1_000_000_000, tag: newTag() });
  const base = ['-f', 'simple', '--no-reconnect', '--ping-interval', '0'];
  const results = await inRounds(
    settings.saveDataRounds,
    ['without', 'with', 'kill'] as const,
    async (name) => {
      const folder = mkdtempSync(join(tmpdir(), 'mwc-bench-save-'));
      try {
        const save = ['--save-data', join(folder, 'saved.jsonl'), '--save-data-keep', '1000'];
        if (name === 'kill') {
          const exit = await runCliWatched(['-u', flood(), ...base, ...save], settings.saveDataKillAfter);
          if (exit.signal !== 'SIGKILL')
            throw new Error(`save-data/kill: the CLI ended by itself:\n${exit.stderr}`);
          const { lines, shortest } = savedLines(folder);
          return {
            rss: exit.peakRssMb,
            records: exit.lines,
            lost: Math.max(0, exit.lines - lines),
            shortest,
          };
        }
        const args = [
          '-u',
          flood(),
          ...base,
          '-d',
          String(settings.saveDataSeconds),
          ...(name === 'with' ? save : []),
        ];
        const exit = await runCliWatched(args);
        if (exit.code !== 0)
          throw new Error(`save-data/${name}: the CLI failed (code ${exit.code}):\n${exit.stderr}`);
        return { rss: exit.peakRssMb, records: exit.lines, lost: 0, shortest: 0 };
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
    (text) => progress(`save-data ${text}`),
  );
  const suite = `7. save-data under an endless flood (CLI -f simple, ${settings.saveDataSeconds} s per run; SIGKILL after ${settings.saveDataKillAfter.toLocaleString('en-US')} records)`;
  const records = (runs: { records: number }[]) => summarize(runs.map((r) => r.records)).median.toFixed(0);
  const bounds = results.kill.map((r) => Math.floor(SAVE_DATA_LOSS_BOUND_BYTES / r.shortest));
  return [
    {
      ...compared(
        suite,
        'CLI --save-data: peak RSS',
        'MB',
        results.with.map((r) => r.rss),
        'CLI without --save-data: peak RSS',
        results.without.map((r) => r.rss),
        { on: 'ratio', op: '<=', limit: 2 },
      ),
      note: `records displayed per run: ${records(results.with)} with, ${records(results.without)} without`,
    },
    check({
      suite,
      name: 'records displayed but not on disk after SIGKILL',
      unit: 'records',
      value: summarize(results.kill.map((r) => r.lost)),
      target: { on: 'value', op: '<=', limit: Math.min(...bounds) },
      note: `bound: 1 MiB + 128 KiB of lines = ${Math.min(...bounds)} records of ${Math.max(...results.kill.map((r) => r.shortest))} bytes`,
    }),
  ];
}
