/**
 * The `monitoring-websocket-server` command in a child process: the built bin when it is newer
 * than every source file (as after `npm test`'s build), else the source through tsx.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './processes.js';
import { until } from './test-server.js';

function newestIn(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs;
    }),
  );
}

/** Node's arguments that run the server command. */
export function serverBin(): string[] {
  const dist = join(REPO, 'dist', 'server', 'bin.js');
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestIn(join(REPO, 'src'))) return [dist];
  return ['--import', 'tsx', join(REPO, 'src', 'server', 'bin.ts')];
}

export interface ServerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The URL of its "listening on" line, once printed. */
  url(): Promise<string>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the server with `args`; `shellPrefix` runs first in `/bin/sh` (e.g. `ulimit -n 100`). */
export function spawnServer(args: string[], options: { shellPrefix?: string } = {}): ServerProcess {
  const command = [...serverBin(), ...args];
  const child = options.shellPrefix
    ? spawn('/bin/sh', ['-c', `${options.shellPrefix}; exec "$0" "$@"`, process.execPath, ...command], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, command, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    url: async () => {
      await until(
        () => / listening on /.test(stdout) || child.exitCode !== null,
        8000,
        'the server to listen',
      );
      const url = / listening on (wss?:\/\/\S+)/.exec(stdout)?.[1];
      if (url === undefined) throw new Error(`the server did not start: ${stderr}`);
      return url;
    },
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exit;
    },
  };
}
