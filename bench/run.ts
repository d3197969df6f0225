/**
 * `npm run bench`: the whole suite (throughput, latency, memory, fan-in, start-up, server, alerts), each
 * figure beside a baseline measured in the same run, printed as a table and written to
 * bench/results/latest.json. See bench/README.md.
 *
 * Usage: node --import tsx bench/run.ts [--quick] [--only throughput,latency,memory,fanin,startup,server,savedata,alerts,prometheus,dashboard,web]
 *        BENCH_QUICK=1 is the same as --quick (about a minute instead of about five).
 * dist/ must be built first (`npm run bench` does it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { alertsSuite } from './alerts.js';
import { dashboardSuite } from './dashboard.js';
import { BenchServer, CLI } from './harness.js';
import { prometheusSuite } from './prometheus.js';
import { recordingSuite } from './recording.js';
import { renderTable } from './report.js';
import { serverSecuritySuite } from './server-security.js';
import {
  FULL,
  fanInSuite,
  latencySuite,
  memorySuite,
  QUICK,
  type Row,
  type Settings,
  saveDataSuite,
  startupSuite,
  throughputSuite,
} from './suites.js';
import { webSuite } from './web.js';

const SUITES = [
  'throughput',
  'latency',
  'memory',
  'fanin',
  'startup',
  'server',
  'savedata',
  'alerts',
  'prometheus',
  'dashboard',
  'web',
  'recording',
] as const;
type SuiteName = (typeof SUITES)[number];

/** Machine and run description, printed above the table and saved with it. */
export interface Machine {
  date: string;
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  os: string;
  openFilesLimit: string;
}

export function describeMachine(): Machine {
  let openFilesLimit = 'unknown';
  try {
    openFilesLimit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // No shell: left unknown.
  }
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
    openFilesLimit,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
  });
  const quick = values.quick || process.env.BENCH_QUICK === '1';
  const settings: Settings = quick ? QUICK : FULL;
  const only = values.only?.split(',').map((s) => s.trim()) ?? [...SUITES];
  for (const name of only) {
    if (!(SUITES as readonly string[]).includes(name))
      throw new Error(`--only: unknown suite ${name} (${SUITES.join(', ')})`);
  }
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');

  const machine = describeMachine();
  const flags = [...(values.quick ? ['--quick'] : []), ...(values.only ? ['--only', values.only] : [])];
  const command = `${process.env.BENCH_QUICK === '1' ? 'BENCH_QUICK=1 ' : ''}npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
  process.stderr.write(
    `bench: ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ulimit -n ${machine.openFilesLimit}${quick ? ', quick' : ''}\n`,
  );
  // The server holds both processes' sockets of a side-by-side round.
  const fanInSockets = 2 * Math.max(settings.fanInClients, settings.fanInLargeClients);
  if (only.includes('fanin') && Number(machine.openFilesLimit) < fanInSockets + 100) {
    process.stderr.write(
      `bench: warning: ulimit -n is ${machine.openFilesLimit}, below the ${fanInSockets} sockets of the fan-in case: raise it (ulimit -n 16384)\n`,
    );
  }

  const started = performance.now();
  const progress = (text: string) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[${seconds} s] ${text}\n`);
  };
  const server = await BenchServer.start();
  const rows: Row[] = [];
  try {
    const suites: Record<SuiteName, () => Promise<Row[]>> = {
      throughput: () => throughputSuite(server, settings, progress),
      latency: () => latencySuite(server, settings, progress),
      memory: () => memorySuite(server, settings, progress),
      fanin: () => fanInSuite(server, settings, progress),
      startup: () => startupSuite(server, settings, progress),
      server: () => serverSecuritySuite(settings, progress),
      savedata: () => saveDataSuite(server, settings, progress),
      alerts: () => alertsSuite(server, settings, progress),
      prometheus: () => prometheusSuite(server, settings, progress),
      dashboard: () => dashboardSuite(server, settings, progress),
      web: () => webSuite(server, settings, progress),
      recording: () => recordingSuite(server, settings, progress),
    };
    for (const name of SUITES) {
      if (only.includes(name)) rows.push(...(await suites[name]()));
    }
  } finally {
    await server.stop();
  }
  const durationSeconds = Math.round((performance.now() - started) / 100) / 10;

  const table = renderTable(rows);
  process.stdout.write(
    `\nmonitoring-websocket-client benchmarks, ${machine.date}\n` +
      `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}, ${machine.os}\n` +
      `command: ${command}; ${durationSeconds} s\n` +
      'figures: median [min - max] of the runs; ratio: median [min - max] of the per-round ratios figure / baseline\n\n' +
      `${table}\n`,
  );
  const failed = rows.filter((row) => row.pass === false);
  process.stdout.write(
    failed.length === 0
      ? '\nevery target holds\n'
      : `\ntargets missed: ${failed.map((row) => row.name).join('; ')}\n`,
  );

  const folder = new URL('./results/', import.meta.url);
  mkdirSync(folder, { recursive: true });
  const file = new URL('latest.json', folder);
  writeFileSync(file, `${JSON.stringify({ machine, command, durationSeconds, settings, rows }, null, 2)}\n`);
  // `npm run lint` checks everything under bench/, results included: leave them formatted.
  spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL('../node_modules/@biomejs/biome/bin/biome', import.meta.url)),
      'format',
      '--write',
      fileURLToPath(file),
    ],
    { stdio: 'ignore' },
  );
  process.stderr.write(`bench: results written to bench/results/latest.json\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
