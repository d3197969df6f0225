import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/run.js';

/** The command run in this process through `run(argv, io)`, with its streams captured. */
export interface InProcessRun {
  /** Resolves with the exit code. */
  exit: Promise<number>;
  stdout(): string;
  stderr(): string;
  /** As Ctrl-C: the run ends gracefully. */
  interrupt(): void;
}

export function runInProcess(argv: string[], env: NodeJS.ProcessEnv = {}): InProcessRun {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const controller = new AbortController();
  const exit = run(argv, { stdout, stderr, env: { NO_COLOR: '1', ...env }, signal: controller.signal });
  return {
    exit,
    stdout: () => out,
    stderr: () => err,
    interrupt: () => controller.abort(),
  };
}
