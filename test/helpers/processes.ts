/**
 * Child processes for end-to-end tests: the built CLI (`dist/cli/bin.js`, so run `npm run build`
 * first) and the flood server of ./flood-server.ts. Every process started here is tracked, and
 * `killAll()` (for an `after` hook) ends the ones a failed test left behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FloodServerOptions } from './flood-server.js';
import { until } from './test-server.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const FLOOD_SERVER = fileURLToPath(new URL('./flood-server.ts', import.meta.url));

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every process of this module still running. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

/** Resident memory of a process in MiB (Linux), or NaN once it is gone. */
export function rssMiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** The last line of `text` that is a JSON object (the CLI's `--stats` with a JSON format), parsed. */
export function lastJsonLine(text: string): Record<string, unknown> {
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith('{')) return JSON.parse(line) as Record<string, unknown>;
  }
  throw new Error(`no JSON line in ${JSON.stringify(text.slice(-500))}`);
}

export interface CliRun {
  child: ChildProcess;
  /** Everything printed on stdout (empty with `keepStdout: false`). */
  stdout(): string;
  stderr(): string;
  /** Lines completed on stdout so far. */
  stdoutLines(): number;
  /** Bytes received on stdout so far. */
  stdoutBytes(): number;
  /** Stops reading stdout: the pipe fills, as with a terminal or a reader slower than the client. */
  pauseStdout(): void;
  resumeStdout(): void;
  exit: Promise<Exit>;
}

export interface CliRunOptions {
  /** Extra environment; the rest is PATH and HOME only (no colour forcing, no MONITORING_*). */
  env?: Record<string, string>;
  /** Keep the stdout text (default true); floods only count its lines. */
  keepStdout?: boolean;
  /** Run through `/bin/sh -c "<prefix>; exec node ..."`, e.g. `ulimit -f 64`. */
  shellPrefix?: string;
  /** Do not read stdout until `resumeStdout()`. */
  stdoutPaused?: boolean;
}

/** Spawns the built CLI with `args`. */
export function runCli(args: string[], options: CliRunOptions = {}): CliRun {
  const started = Date.now();
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env };
  const child = options.shellPrefix
    ? spawn('/bin/sh', ['-c', `${options.shellPrefix}; exec "$0" "$@"`, process.execPath, CLI_BIN, ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const keep = options.keepStdout ?? true;
  let stdout = '';
  let stderr = '';
  let lines = 0;
  let bytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    let at = chunk.indexOf(10);
    while (at !== -1) {
      lines++;
      at = chunk.indexOf(10, at + 1);
    }
    if (keep) stdout += chunk.toString();
  });
  if (options.stdoutPaused) child.stdout?.pause();
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, ms: Date.now() - started });
    }),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stdoutLines: () => lines,
    stdoutBytes: () => bytes,
    pauseStdout: () => child.stdout?.pause(),
    resumeStdout: () => child.stdout?.resume(),
    exit,
  };
}

export interface FloodServerEvent {
  event: 'listening' | 'connection' | 'progress' | 'done' | 'close';
  port?: number;
  id?: number;
  headers?: Record<string, string | string[] | undefined>;
  sent?: number;
  bytes?: number;
  code?: number;
}

export interface FloodServer {
  child: ChildProcess;
  port: number;
  url: string;
  /** Every event reported so far, in order. */
  events: FloodServerEvent[];
  /** Frames the server has put in the kernel so far (the latest progress report). */
  sent(): number;
  /** Bytes of those frames. */
  bytes(): number;
  /** Resolves with the first event (from the start) that matches, or rejects after `timeoutMs`. */
  waitFor(
    predicate: (event: FloodServerEvent) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<FloodServerEvent>;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  exited: Promise<void>;
}

/** Starts ./flood-server.ts in a child process; resolves once it listens. */
export async function startFloodServer(options: FloodServerOptions = {}): Promise<FloodServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', FLOOD_SERVER, JSON.stringify(options)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const events: FloodServerEvent[] = [];
  let sent = 0;
  let bytes = 0;
  let partial = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const event = JSON.parse(line) as FloodServerEvent;
      events.push(event);
      if (event.event === 'progress') {
        sent = event.sent ?? sent;
        bytes = event.bytes ?? bytes;
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      running.delete(child);
      resolve();
    }),
  );
  const waitFor = async (
    predicate: (event: FloodServerEvent) => boolean,
    timeoutMs = 5000,
    what = 'a server event',
  ): Promise<FloodServerEvent> => {
    let found: FloodServerEvent | undefined;
    await until(
      () => {
        found = events.find(predicate);
        if (found === undefined && child.exitCode !== null) throw new Error(`flood server exited: ${errors}`);
        return found !== undefined;
      },
      timeoutMs,
      what,
    );
    return found!;
  };
  const listening = await waitFor((e) => e.event === 'listening', 8000, 'the flood server to listen');
  const port = listening.port!;
  return {
    child,
    port,
    url: `ws://127.0.0.1:${port}`,
    events,
    sent: () => sent,
    bytes: () => bytes,
    waitFor,
    kill: async (signal) => {
      child.kill(signal);
      await exited;
    },
    exited,
  };
}
