/**
 * Benchmark of the alert rules (issue #13): twenty rules on a fleet must cost at most 5 % more
 * CPU than no rules, measured in the same run.
 *
 * A MonitoringFleet of 100 targets (one WebSocket client each, one Pipeline) runs in a client
 * process; the flood server sends each target the real server's message
 * every few milliseconds. The pipeline's sinks are a counter and the alert sink with twenty
 * rules (thresholds with and without `for`, target patterns, two stale rules), behind a switch.
 * The process measures its own CPU time per message over short windows with the rules off and
 * on, alternating (off, on, on, off, ...) so that drift and the machine's other load fall on
 * both sides alike; the figure of a round is the CPU per message with rules over without.
 * Every round is a fresh process: this file, compiled (compiled.ts), run with `child '<case>'`.
 *
 * Usage: npm run bench -- --only alerts      (dist/ must be built: npm run bench does it)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AlertEngine as AlertEngineClass } from '../src/alerts/alert-engine.js';
import type * as RuleModule from '../src/alerts/rule.js';
import type { MonitoringFleet as MonitoringFleetClass } from '../src/fleet/monitoring-fleet.js';
import type { Sink } from '../src/pipeline/sink.js';
import { compiledEntry } from './compiled.js';
import { type BenchServer, childEnv, exited, openDevNull, ROOT } from './harness.js';
import { summarize } from './results.js';
import type { Row, Settings } from './suites.js';

/**
 * The twenty rules: every metric, every operator, some with `for`, some for part of the
 * fleet, one firing everywhere.
 */
export const TWENTY_RULES: readonly (string | { rule: string; targets?: string; severity?: 'critical' })[] = [
  'cpu > 90 for 30s',
  { rule: 'cpu > 97', severity: 'critical' },
  'memory > 80 for 1m',
  { rule: 'memory >= 95', severity: 'critical' },
  'disk >= 85',
  { rule: 'disk >= 95 for 10s', severity: 'critical' },
  'gpu > 90 for 30s',
  'gpu_memory > 90',
  'gpu_temperature > 85 for 15s',
  'cpu_temperature > 85',
  { rule: 'cpu > 50 for 5m', targets: 'fleet-1*' },
  { rule: 'memory > 50', targets: 'fleet-2*' },
  { rule: 'disk > 70 for 2m', targets: 'fleet-3?' },
  'memory < 0.5',
  'disk <= 1',
  'gpu < 1 for 1h',
  // Fires on every target (the message's CPU is 0 %): every record then takes the full path,
  // each rule in turn, not the shortcut of a fleet at rest.
  'cpu <= 50',
  'gpu_temperature >= 100',
  'stale 15s',
  { rule: 'stale 1m', severity: 'critical' },
];

interface AlertsCase {
  uri: string;
  targets: number;
  warmupMs: number;
  windowMs: number;
  /** Blocks of four windows: off, on, on, off. */
  blocks: number;
}

export interface AlertsResult {
  /** CPU per message with rules over without, per block of four windows. */
  blockRatios: number[];
  /** CPU per message (us) over every window of each side. */
  offUsPerMessage: number;
  onUsPerMessage: number;
  messagesPerSecond: number;
  /** CPU of the whole process over the measured windows, in % of a core. */
  cpuPercent: number;
}

const SELF = fileURLToPath(import.meta.url);
/** BENCH_ALERTS_AA=1: an A/A run, the rules never see a record: the ratio shows the noise floor. */
const AA = process.env.BENCH_ALERTS_AA === '1';
const TARGETS = 100;
/** Each target gets a message every INTERVAL_MS: 100 targets → 10,000 messages/s. */
const INTERVAL_MS = 10;

export async function alertsSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const rounds = settings.quick ? 3 : 5;
  const spec: Omit<AlertsCase, 'uri'> = {
    targets: TARGETS,
    warmupMs: 2000,
    windowMs: 250,
    blocks: settings.quick ? 8 : 16,
  };
  const results: AlertsResult[] = [];
  for (let round = 0; round < rounds; round++) {
    progress(
      `alerts round ${round + 1}/${rounds}: ${TARGETS} targets, rules off and on${AA ? ' (A/A)' : ''}`,
    );
    results.push(await runAlertsChild({ ...spec, uri: server.url('/fanin', { interval: INTERVAL_MS }) }));
  }
  // A round's ratio is the median of its blocks' ratios: a block hit by a pause elsewhere on
  // the machine (or a collection) does not move it.
  const ratio = summarize(results.map((r) => median(r.blockRatios)));
  const off = summarize(results.map((r) => r.offUsPerMessage));
  const row: Row = {
    suite: `8. alerts: ${TWENTY_RULES.length} rules on a fleet of ${TARGETS} targets, 1 message per ${INTERVAL_MS} ms each${AA ? ' (A/A: rules never fed)' : ''}`,
    name: `${TWENTY_RULES.length} alert rules: CPU per message`,
    unit: 'us',
    value: summarize(results.map((r) => r.onUsPerMessage)),
    baselineName: 'no rules: CPU per message',
    baseline: off,
    ratio,
    target: { on: 'ratio', op: '<=', limit: 1.05 },
    pass: ratio.median <= 1.05,
    note:
      `${summarize(results.map((r) => r.messagesPerSecond)).median.toFixed(0)} messages/s, process CPU ${summarize(results.map((r) => r.cpuPercent)).median.toFixed(0)} % of a core; ` +
      `${spec.blocks} blocks of 4 windows of ${spec.windowMs} ms per round`,
  };
  return [row];
}

function median(values: readonly number[]): number {
  return summarize(values).median;
}

/** Runs one round in a fresh process (this file, with the case as argument). */
async function runAlertsChild(spec: AlertsCase): Promise<AlertsResult> {
  const devNull = openDevNull();
  const child = spawn(process.execPath, [compiledEntry(SELF), 'child', JSON.stringify(spec)], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', devNull, 'pipe', 'ipc'],
  });
  let result: AlertsResult | undefined;
  let failure: string | undefined;
  child.on('message', (message: { ok: boolean; result?: AlertsResult; error?: string }) => {
    if (message.ok) result = message.result;
    else failure = message.error;
  });
  const exit = await exited(child);
  if (result === undefined) throw new Error(`alerts bench client failed: ${failure ?? exit.stderr}`);
  return result;
}

// ---- the client process ------------------------------------------------------------------

async function measure(spec: AlertsCase): Promise<AlertsResult> {
  const dist = (path: string) => import(new URL(`../dist/${path}`, import.meta.url).href);
  const { AlertEngine } = (await dist('alerts/alert-engine.js')) as { AlertEngine: typeof AlertEngineClass };
  const { parseRule } = (await dist('alerts/rule.js')) as typeof RuleModule;
  const { MonitoringFleet } = (await dist('index.js')) as { MonitoringFleet: typeof MonitoringFleetClass };

  const engine = new AlertEngine({
    rules: TWENTY_RULES.map((entry) =>
      typeof entry === 'string' ? parseRule(entry) : parseRule(entry.rule, entry),
    ),
  });
  let rulesOn = false;
  let received = 0;
  // The switch: with rules off, the alert sink sees no record (its events still flow). Not
  // timed call by call: reading a clock costs about 0.25 us on a VM, as much as the rules.
  const switched: Sink = {
    name: 'alerts',
    start: (context) => engine.start(context),
    write: (record) => {
      if (rulesOn && !AA) engine.write(record);
    },
    event: (event) => engine.event(event),
    close: () => engine.close(),
  };
  const counter: Sink = {
    name: 'counter',
    write: () => {
      received++;
    },
  };
  const fleet = new MonitoringFleet({
    targets: Array.from({ length: spec.targets }, (_, i) => ({ name: `fleet-${i}`, uri: spec.uri })),
    sinks: [switched, counter],
    reconnect: false,
  });
  await fleet.start();

  await sleep(spec.warmupMs);
  const side = { off: { cpuUs: 0, messages: 0 }, on: { cpuUs: 0, messages: 0 } };
  const blockRatios: number[] = [];
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const startMessages = received;
  for (let block = 0; block < spec.blocks; block++) {
    const windows = { off: { cpuUs: 0, messages: 0 }, on: { cpuUs: 0, messages: 0 } };
    // off, on, on, off: both sides get an early and a late window in every block.
    for (const on of [false, true, true, false]) {
      rulesOn = on;
      const messages = received;
      const cpu = process.cpuUsage();
      await sleep(spec.windowMs);
      const used = process.cpuUsage(cpu);
      const w = windows[on ? 'on' : 'off'];
      w.cpuUs += used.user + used.system;
      w.messages += received - messages;
    }
    rulesOn = false;
    blockRatios.push(
      windows.on.cpuUs /
        Math.max(1, windows.on.messages) /
        (windows.off.cpuUs / Math.max(1, windows.off.messages)),
    );
    for (const key of ['off', 'on'] as const) {
      side[key].cpuUs += windows[key].cpuUs;
      side[key].messages += windows[key].messages;
    }
  }
  const wallMs = performance.now() - wallStart;
  const all = process.cpuUsage(cpuStart);
  await fleet.stop();
  return {
    blockRatios,
    offUsPerMessage: side.off.cpuUs / Math.max(1, side.off.messages),
    onUsPerMessage: side.on.cpuUs / Math.max(1, side.on.messages),
    messagesPerSecond: ((received - startMessages) / wallMs) * 1000,
    cpuPercent: ((all.user + all.system) / 1000 / wallMs) * 100,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[2] === 'child') {
  measure(JSON.parse(process.argv[3] ?? '{}') as AlertsCase).then(
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
