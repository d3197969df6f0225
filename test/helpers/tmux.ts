/**
 * A real terminal for end-to-end tests: a private tmux server (its own socket in a temporary
 * directory, so a developer's tmux is never touched) running a shell in one pane of a fixed
 * size. Tests type into it (`send-keys`), read the screen (`capture-pane -p`) and the pane's
 * state (alternate screen, cursor), and wait by polling in short steps, never by sleeping.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when tmux can be run here. */
export async function hasTmux(): Promise<boolean> {
  try {
    await run('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
}

export interface TmuxOptions {
  columns?: number;
  rows?: number;
  /** The environment of the shell (and of what it runs); PATH and HOME are added. */
  env?: Record<string, string>;
  /** Working directory of the shell. */
  cwd?: string;
}

export class Tmux {
  readonly #dir: string;
  readonly #socket: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = join(dir, 'tmux.sock');
  }

  /** Starts a tmux server with one pane running `sh`, and waits for its prompt. */
  static async start(options: TmuxOptions = {}): Promise<Tmux> {
    const tmux = new Tmux(mkdtempSync(join(tmpdir(), 'mwc-tmux-')));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...options.env,
    };
    await run(
      'tmux',
      [
        '-S',
        tmux.#socket,
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-x',
        String(options.columns ?? 120),
        '-y',
        String(options.rows ?? 40),
        ...(options.cwd ? ['-c', options.cwd] : []),
        'sh',
      ],
      { env },
    );
    await tmux.tmux('set-option', '-g', 'status', 'off');
    await tmux.waitFor((screen) => screen.trim() !== '', 5000, 'the shell prompt');
    return tmux;
  }

  /** Runs a tmux command on this server; resolves with its output. */
  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.#socket, ...args]);
    return stdout;
  }

  /** Types `line` and Enter into the shell. */
  async type(line: string): Promise<void> {
    await this.tmux('send-keys', '-l', line);
    await this.tmux('send-keys', 'Enter');
  }

  /** Presses keys by tmux's names (`Down`, `Enter`, `Escape`, `C-c`) or as text (`q`). */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', ...keys);
  }

  /** The screen's text, one line per row, trailing spaces removed. */
  async capture(): Promise<string> {
    return this.tmux('capture-pane', '-p');
  }

  /** A pane format, e.g. `#{alternate_on}` (1 on the alternate screen), `#{cursor_flag}` (1: visible). */
  async display(format: string): Promise<string> {
    return (await this.tmux('display-message', '-p', format)).trim();
  }

  /** Resizes the pane's window. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-x', String(columns), '-y', String(rows));
  }

  /**
   * Resolves with the screen once `predicate` holds for it, polling every 100 ms; rejects
   * with the last screen after `timeoutMs`.
   */
  async waitFor(
    predicate: (screen: string) => boolean,
    timeoutMs = 10_000,
    what = 'the screen',
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = await this.capture();
      if (predicate(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops the server (and everything running in it) and removes its socket. */
  async kill(): Promise<void> {
    try {
      await this.tmux('kill-server');
    } catch {
      // Already gone.
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
