/**
 * 7. dashboard: what watching a fleet on the dashboard costs. 1,000 targets, one message a
 * second each (the fan-in load), in one process on one pipeline, drawn by the dashboard on a
 * pseudo-terminal of 120 × 40 (made by `script`, so frames really go through a terminal
 * driver), against the same fleet in the same kind of process without the dashboard.
 * Target: at most twice the CPU. Also reported: the time to build and write one frame.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledEntry } from './compiled.js';
import type { DashboardChildResult, DashboardChildSpec } from './dashboard-child.js';
import { type BenchServer, childEnv, exited, ROOT } from './harness.js';
import { summarize } from './results.js';
import { compared, inRounds, type Row, type Settings } from './suites.js';

const CHILD_ENTRY = fileURLToPath(new URL('./dashboard-child.ts', import.meta.url));
export const PTY_COLUMNS = 120;
export const PTY_ROWS = 40;

/** Runs the child under `script`, on a pseudo-terminal of PTY_COLUMNS × PTY_ROWS. */
async function runUnderPty(spec: Omit<DashboardChildSpec, 'resultFile'>): Promise<DashboardChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mwc-bench-dashboard-'));
  const resultFile = join(dir, 'result.json');
  try {
    const command = `stty cols ${PTY_COLUMNS} rows ${PTY_ROWS}; exec "$BENCH_NODE" "$BENCH_CHILD"`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      env: {
        ...childEnv(),
        TERM: 'xterm-256color',
        BENCH_NODE: process.execPath,
        BENCH_CHILD: compiledEntry(CHILD_ENTRY),
        BENCH_DASHBOARD: JSON.stringify({ ...spec, resultFile }),
      },
      // stdin stays open (a pipe never written): at end of input `script` would hang up the terminal.
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const exit = await exited(child);
    let report: { ok: boolean; result?: DashboardChildResult; error?: string };
    try {
      report = JSON.parse(readFileSync(resultFile, 'utf8'));
    } catch {
      throw new Error(`the dashboard bench client left no result (exit ${exit.code}):\n${exit.stderr}`);
    }
    if (!report.ok || report.result === undefined)
      throw new Error(`the dashboard bench client failed: ${report.error}`);
    return report.result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function dashboardSuite(
  server: BenchServer,
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  const count = settings.fanInClients;
  // React and ink take a second or two to load, and the first frames run cold (a frame a
  // second gives the JIT few calls): the window measures the steady state, after 10 s more.
  const warmupMs = settings.fanInWarmupMs + 10_000;
  const results = await inRounds(
    settings.fanInRounds,
    ['plain', 'dashboard'] as const,
    (name) =>
      runUnderPty({
        uri: server.url('/fanin', { interval: 1000 }),
        count,
        dashboard: name === 'dashboard',
        warmupMs,
        windowMs: settings.fanInWindowMs,
      }),
    (text) => progress(`dashboard ${text}`),
  );
  const targets = count.toLocaleString('en-US');
  const suite = `10. dashboard: ${targets} targets, 1 msg/s each, one pipeline, on a ${PTY_COLUMNS}x${PTY_ROWS} pseudo-terminal (CPU over ${settings.fanInWindowMs / 1000} s)`;
  const frames = results.dashboard.map((r) => r.framesInWindow);
  return [
    compared(
      suite,
      `${targets} targets + dashboard: CPU`,
      '% of a core',
      results.dashboard.map((r) => r.cpuPercent),
      `${targets} targets, no dashboard: CPU`,
      results.plain.map((r) => r.cpuPercent),
      { on: 'ratio', op: '<=', limit: 2 },
    ),
    {
      suite,
      name: `dashboard: time to build and write one frame (${targets} targets, ${PTY_COLUMNS}x${PTY_ROWS})`,
      unit: 'ms',
      value: summarize(results.dashboard.map((r) => r.frameMsInWindow)),
      note: `frames in the window: ${summarize(frames).median}; steady refresh at the end: ${summarize(results.dashboard.map((r) => r.dashboard?.refreshMs ?? 0)).median} ms`,
    },
  ];
}
