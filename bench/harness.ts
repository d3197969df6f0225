/**
 * The machinery shared by the suites: the server process, client processes, and their
 * timing. Everything listens and connects on 127.0.0.1 only.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { allowedCpus } from './affinity.js';
import type { ChildReady, ChildReport, ChildSpec } from './child.js';
import { compiledEntry } from './compiled.js';
import type { ServerEvent } from './flood-server.js';
import { preciseNow } from './message.js';

/** The package's root: every process runs there. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
const SERVER_ENTRY = fileURLToPath(new URL('./flood-server.ts', import.meta.url));
const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Environment of every child: colour decided by the terminal only (there is none: /dev/null). */
export function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NODE_OPTIONS;
  return env;
}

let uniqueTags = 0;
/** A tag that tells one connection's server events from the others'. */
export function newTag(): string {
  return `c${process.pid}-${++uniqueTags}`;
}

interface Connection {
  open?: Extract<ServerEvent, { event: 'open' }>;
  closed?: Extract<ServerEvent, { event: 'closed' }>;
}

/** The flood server, in its own process (see flood-server.ts). */
export class BenchServer {
  readonly port: number;
  readonly #process: ChildProcess;
  readonly #connections = new Map<string, Connection>();
  readonly #waiters = new Set<() => void>();

  readonly #scheme: 'ws' | 'wss';

  private constructor(child: ChildProcess, port: number, scheme: 'ws' | 'wss') {
    this.#process = child;
    this.port = port;
    this.#scheme = scheme;
    child.on('message', (event: ServerEvent) => {
      if (event.event === 'listening') return;
      const connection = this.#connections.get(event.tag) ?? {};
      if (event.event === 'open') connection.open = event;
      else connection.closed = event;
      this.#connections.set(event.tag, connection);
      for (const waiter of this.#waiters) waiter();
    });
  }

  /** `tls`: serve wss:// with the tests' self-signed certificate (TEST_CERT). */
  static start(options: { tls?: boolean } = {}): Promise<BenchServer> {
    // A large young generation: fewer collections in the server, so fewer pauses in its sends.
    const child = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_SERVER_FLAGS?.split(' ') ?? ['--max-semi-space-size=64']),
        compiledEntry(SERVER_ENTRY),
      ],
      {
        cwd: ROOT,
        env: { ...childEnv(), ...(options.tls ? { BENCH_SERVER_TLS: '1' } : {}) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    const scheme = options.tls ? 'wss' : 'ws';
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the bench server exited (code ${code})`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.once('message', (event: ServerEvent) => {
        if (event.event !== 'listening') return;
        child.off('exit', onExit);
        resolve(new BenchServer(child, event.port, scheme));
      });
    });
  }

  url(path: string, params: Record<string, string | number> = {}): string {
    const query = new URLSearchParams(
      Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    return `${this.#scheme}://127.0.0.1:${this.port}${path}${query ? `?${query}` : ''}`;
  }

  /** Resolves once the server has seen the connection tagged `tag` open and close. */
  async connection(tag: string, timeoutMs = 60_000): Promise<Required<Connection>> {
    const started = Date.now();
    for (;;) {
      const connection = this.#connections.get(tag);
      if (connection?.open && connection.closed) {
        this.#connections.delete(tag);
        return connection as Required<Connection>;
      }
      if (Date.now() - started > timeoutMs) throw new Error(`the server never saw connection ${tag} end`);
      await new Promise<void>((resolve) => {
        const waiter = () => {
          this.#waiters.delete(waiter);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(waiter, 1000);
        this.#waiters.add(waiter);
      });
    }
  }

  stop(): Promise<void> {
    if (this.#process.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#process.once('exit', () => resolve());
      this.#process.send({ cmd: 'stop' });
    });
  }
}

/** How a process ended, and when (by {@link preciseNow}). */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  stderr: string;
}

/** Waits for `child` to exit; keeps the last 64 KB of its stderr when piped. */
export function exited(child: ChildProcess): Promise<Exit> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-65536);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, at: preciseNow(), stderr }));
  });
}

/** An fd on /dev/null, for a child's stdout: the "> /dev/null" of the cases. */
export function openDevNull(): number {
  return openSync('/dev/null', 'w');
}

/** Runs a client process of child.ts with stdout on /dev/null. */
export async function runChild<T>(
  spec: ChildSpec,
  options: { exposeGc?: boolean } = {},
): Promise<{ result: T; exit: Exit }> {
  const devNull = openDevNull();
  try {
    return await childResult<T>(spawnChild(spec, devNull, options), spec);
  } finally {
    closeSync(devNull);
  }
}

/**
 * Runs fan-in clients side by side, each in its own process: every one connects, then all
 * start their warm-up and window together, so that the same stream from the server and the
 * same moment of the machine fall on each. Measured one after the other, the CPU of identical
 * processes moved by up to 45 % between runs on this machine (bench/README.md, suite 4).
 * They also share one CPU when they can (see {@link sharedCpu}).
 */
export async function runSideBySide<T>(specs: Extract<ChildSpec, { case: 'fanin' }>[]): Promise<T[]> {
  const devNull = openDevNull();
  const cpu = sharedCpu();
  try {
    const children = specs.map((spec) => spawnChild({ ...spec, sideBySide: true }, devNull, { cpu }));
    const results = children.map((child, i) => childResult<T>(child, specs[i]!));
    // A child that fails before it is connected ends the round: the others would wait forever.
    const failure = new Promise<never>((_resolve, reject) => {
      for (const result of results) result.catch(reject);
    });
    try {
      await Promise.race([Promise.all(children.map(connected)), failure]);
    } catch (error) {
      for (const child of children) child.kill();
      await Promise.allSettled(results);
      throw error;
    }
    for (const child of children) child.send({ go: true });
    return (await Promise.all(results)).map(({ result }) => result);
  } finally {
    closeSync(devNull);
  }
}

/** sharedCpu()'s answer once asked (null: not yet): it spawns `taskset` to find out. */
let sharedCpuCache: number | undefined | null = null;

/**
 * The CPU that side-by-side clients share: the last this process may use, when it may use more
 * than one and util-linux's `taskset` is there; else undefined (they run where the scheduler
 * puts them). Left to the scheduler, two identical bare clients differed by up to 50 % of their
 * CPU time; on one CPU, by at most 9 % (bench/README.md, suite 4). The server stays unpinned.
 */
export function sharedCpu(): number | undefined {
  if (sharedCpuCache === null) {
    const last = lastAllowedCpu();
    const usable =
      last !== undefined &&
      availableParallelism() > 1 &&
      spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
    sharedCpuCache = usable ? last : undefined;
  }
  return sharedCpuCache;
}

/** The highest CPU number in this process's affinity list, e.g. 1 for `0-1`. */
function lastAllowedCpu(): number | undefined {
  const last = Number(allowedCpus()?.split(',').at(-1)?.split('-').at(-1));
  return Number.isSafeInteger(last) ? last : undefined;
}

function spawnChild(
  spec: ChildSpec,
  stdout: number,
  options: { exposeGc?: boolean; cpu?: number | undefined } = {},
): ChildProcess {
  const node = [
    process.execPath,
    ...(options.exposeGc ? ['--expose-gc'] : []),
    compiledEntry(CHILD_ENTRY),
    JSON.stringify(spec),
  ];
  // taskset replaces itself with node: the child's pid, signals and IPC channel are node's.
  const [command, ...args] =
    options.cpu === undefined ? node : ['taskset', '-c', String(options.cpu), ...node];
  return spawn(command!, args, {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', stdout, 'pipe', 'ipc'],
  });
}

/** Resolves when a side-by-side child says it is connected. */
function connected(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: ChildReport | ChildReady) => {
      if (!('ready' in message)) return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
  });
}

/** The result a child reports before it exits; rejects when it reports a failure or nothing. */
async function childResult<T>(child: ChildProcess, spec: ChildSpec): Promise<{ result: T; exit: Exit }> {
  let report: ChildReport | undefined;
  child.on('message', (message: ChildReport | ChildReady) => {
    if (!('ready' in message)) report = message;
  });
  const exit = await exited(child);
  if (report === undefined) {
    throw new Error(`bench client (${spec.case}/${spec.impl}) exited without a report:\n${exit.stderr}`);
  }
  if (!report.ok) throw new Error(`bench client (${spec.case}/${spec.impl}) failed: ${report.error}`);
  return { result: report.result as T, exit };
}

/** Runs the CLI (dist/cli/bin.js) with `args`, stdout on /dev/null, stderr kept. */
export async function runCli(args: string[]): Promise<Exit> {
  const devNull = openDevNull();
  try {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', devNull, 'pipe'],
    });
    return await exited(child);
  } finally {
    closeSync(devNull);
  }
}

/** The peak resident memory of a running process in MB (VmHWM, Linux), or 0 once it is gone. */
export function peakRssMb(pid: number | undefined): number {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

export interface WatchedExit extends Exit {
  /** Peak resident memory of the process (MB), read every 20 ms while it ran. */
  peakRssMb: number;
  /** Lines the process printed on stdout (all of them, read after its death too). */
  lines: number;
}

/**
 * Runs the CLI with `args`, counting its stdout lines (read from a pipe, as a terminal or a
 * `| jq` would) and watching its peak memory. With `killAfterLines`, sends SIGKILL once that
 * many lines have been printed.
 */
export async function runCliWatched(args: string[], killAfterLines?: number): Promise<WatchedExit> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines = 0;
  let peak = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    if (killAfterLines !== undefined && lines >= killAfterLines && child.exitCode === null)
      child.kill('SIGKILL');
  });
  const poll = setInterval(() => {
    peak = Math.max(peak, peakRssMb(child.pid));
  }, 20);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exit = await exited(child);
  clearInterval(poll);
  await closed; // Every line written before the exit has been read.
  return { ...exit, peakRssMb: peak, lines };
}

/** Spawns `command` and resolves with the milliseconds until it exits (stdout and stderr to /dev/null). */
export async function timeToExit(command: string, args: string[]): Promise<number> {
  const devNull = openDevNull();
  try {
    const start = preciseNow();
    const child = spawn(command, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', devNull, devNull] });
    const exit = await exited(child);
    if (exit.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${exit.code}`);
    return exit.at - start;
  } finally {
    closeSync(devNull);
  }
}

/**
 * Spawns `command` and resolves with the milliseconds until its first output on stdout; then
 * ends it with SIGTERM (it is ours) and waits for its exit.
 */
export async function timeToFirstOutput(
  command: string,
  args: string[],
  timeoutMs = 10_000,
): Promise<number> {
  const start = preciseNow();
  const child = spawn(command, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = exited(child);
  const first = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no output from ${command} ${args.join(' ')}`)),
      timeoutMs,
    );
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve(preciseNow());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      void exit.then(({ stderr }) =>
        reject(new Error(`${command} ${args.join(' ')} exited (code ${code}) before printing:\n${stderr}`)),
      );
    });
  });
  child.stdout!.resume();
  child.kill('SIGTERM');
  await exit;
  return first - start;
}
