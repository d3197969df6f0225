/**
 * The command run in this process through `run(argv, io)`: what the spawned binary does, minus
 * the start of a node process (the bin file only wires argv, streams, signals and the exit code
 * to `run()`). Most CLI tests use this; the few that need a real process (signals, the TTY,
 * exit of the process itself) use ./processes.ts.
 */
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/run.js';
import { until } from './test-server.js';

/** The command run in this process through `run(argv, io)`, with its streams captured. */
export interface InProcessRun {
  /** Resolves with the exit code. */
  exit: Promise<number>;
  stdout(): string;
  stderr(): string;
  /** Lines completed on stdout so far (counted even with `keepStdout: false`). */
  stdoutLines(): number;
  /** As Ctrl-C (or SIGTERM: the bin file treats both alike): the run ends gracefully. */
  interrupt(): void;
  /**
   * What reached this process's own stdout and stderr while the run was live: a spawned binary
   * would have printed it too, so tests that look for what must never be printed look here as
   * well. Text only: the binary reports of the test runner are left out.
   */
  stray(): string;
}

export interface InProcessOptions {
  /** Keep the stdout text (default true); floods only count its lines. */
  keepStdout?: boolean;
}

/**
 * Runs the command in this process. `env` is its whole environment, over `NO_COLOR=1` (give
 * `NO_COLOR: undefined` to let the environment decide colour). stdout and stderr are pipes
 * as far as the command can tell (no `isTTY`).
 */
export function runInProcess(
  argv: string[],
  env: Record<string, string | undefined> = {},
  options: InProcessOptions = {},
): InProcessRun {
  const keep = options.keepStdout ?? true;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  let lines = 0;
  stdout.on('data', (chunk: Buffer) => {
    let at = chunk.indexOf(10);
    while (at !== -1) {
      lines++;
      at = chunk.indexOf(10, at + 1);
    }
    if (keep) out += chunk.toString('utf8');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const environment: NodeJS.ProcessEnv = { NO_COLOR: '1', ...env };
  for (const [name, value] of Object.entries(environment)) if (value === undefined) delete environment[name];
  const stray = captureProcessOutput();
  const controller = new AbortController();
  const exit = run(argv, { stdout, stderr, env: environment, signal: controller.signal }).finally(stray.stop);
  return {
    exit,
    stdout: () => out,
    stderr: () => err,
    stdoutLines: () => lines,
    interrupt: () => controller.abort(),
    stray: stray.text,
  };
}

export interface EndedRun {
  code: number;
  stdout: string;
  stderr: string;
  stray: string;
}

/**
 * Runs the command until `done` holds (output seen, a server reached...), then as Ctrl-C. In
 * place of a short `--duration`, which a loaded machine can end before the data arrived.
 */
export async function runUntil(
  argv: string[],
  done: (run: InProcessRun) => boolean,
  what: string,
  env: Record<string, string | undefined> = {},
): Promise<EndedRun> {
  const cli = runInProcess(argv, env);
  let ended = false;
  void cli.exit.finally(() => {
    ended = true;
  });
  try {
    await until(() => ended || done(cli), 8000, what);
  } finally {
    cli.interrupt();
  }
  const code = await cli.exit;
  if (!done(cli))
    throw new Error(`the run ended (code ${code}) before ${what}: ${cli.stderr().slice(-2000)}`);
  return { code, stdout: cli.stdout(), stderr: cli.stderr(), stray: cli.stray() };
}

const recorders = new Set<(text: string) => void>();
let restore: (() => void) | undefined;

/**
 * Records what is written to process.stdout and process.stderr (still writing it) until stop().
 * One patch of the two streams, however many runs are live at once.
 */
function captureProcessOutput(): { text: () => string; stop: () => void } {
  let text = '';
  const recorder = (chunk: string) => {
    text += chunk;
  };
  if (recorders.size === 0) {
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((stream) => stream.write);
    streams.forEach((stream, index) => {
      const original = originals[index] as (...args: unknown[]) => boolean;
      stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
        // Text only: the test runner of this file reports to its parent in binary (serialized).
        if (typeof chunk === 'string') for (const record of recorders) record(chunk);
        return original.call(this, chunk, ...rest);
      } as typeof stream.write;
    });
    restore = () =>
      streams.forEach((stream, index) => {
        stream.write = originals[index]!;
      });
  }
  recorders.add(recorder);
  return {
    text: () => text,
    stop: () => {
      if (!recorders.delete(recorder) || recorders.size > 0) return;
      restore?.();
      restore = undefined;
    },
  };
}
