/**
 * The terminal the dashboard draws on, and the one place that takes it and gives it back.
 *
 * Taking it: the alternate screen (as htop does, so that the shell's screen reappears
 * untouched afterwards), the cursor hidden, line wrapping off (a line too long is cut,
 * never wrapped into a scroll), and raw input (each key at once, no echo, Ctrl-C a key).
 * Giving it back, in the reverse order, exactly once: on `close()` (q, Ctrl-C, the end of
 * the run), on SIGTERM, SIGINT and SIGHUP, on an uncaught exception (before Node prints it,
 * so the error lands on the normal screen) and on any exit of the process.
 *
 * Frames are whole screens of text. Only the lines that changed since the previous frame
 * are written, each at its absolute position, in one write wrapped in the synchronized-
 * update marks (terminals that know them show the frame at once; others ignore them), so
 * there is no flicker. A resize clears the screen and repaints every line.
 */
import { emitKeypressEvents, type Interface } from 'node:readline';
import { MonitoringError } from '../errors.js';
import { type KeyPress, keyFromReadline } from './keys.js';

/** The dashboard was asked to draw on something that is not a terminal (a pipe, a file). */
export class NotATerminalError extends MonitoringError {
  override name = 'NotATerminalError';
  declare readonly code: 'NOT_A_TERMINAL';
  constructor() {
    super(
      'NOT_A_TERMINAL',
      'the dashboard needs a terminal, and stdout is not one (a pipe or a file): run it in a terminal, or leave out the dashboard to get one line per message',
    );
  }
}

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

export interface TerminalListener {
  key(key: KeyPress): void;
  /** The size changed: the next frame should come soon. */
  resize(): void;
}

/** What the dashboard needs of a terminal: {@link TtyTerminal}, or a fake in tests. */
export interface DashboardTerminal {
  size(): TerminalSize;
  /** Takes the terminal and starts reporting keys and resizes. */
  open(listener: TerminalListener): void;
  /** Shows `frame` (lines separated by `\n`), writing only the lines that changed. */
  draw(frame: string): void;
  /** Gives the terminal back as it was. Idempotent, synchronous: safe in an exit handler. */
  close(): void;
}

export interface TtyTerminalOptions {
  /** Where frames go: a terminal. */
  stdout: NodeJS.WriteStream;
  /** Where keys come from; without a terminal on stdin, keys are read as they come (no raw mode). */
  stdin?: NodeJS.ReadStream;
  /**
   * Give the terminal back on SIGTERM/SIGINT/SIGHUP, an uncaught exception and the process's
   * exit. A signal that nobody else handles is raised again once the terminal is restored.
   * @default true
   */
  processHooks?: boolean;
}

const CSI = '\u001b[';
const ENTER = `${CSI}?1049h${CSI}?25l${CSI}?7l${CSI}2J${CSI}H`;
const LEAVE = `${CSI}0m${CSI}?7h${CSI}?25h${CSI}?1049l`;
const BEGIN_UPDATE = `${CSI}?2026h`;
const END_UPDATE = `${CSI}?2026l`;
/** Time Node waits after a lone ESC before deciding it is the Esc key (its default: 500 ms). */
const ESCAPE_TIMEOUT_MS = 50;
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export class TtyTerminal implements DashboardTerminal {
  readonly #stdout: NodeJS.WriteStream;
  readonly #stdin: NodeJS.ReadStream | undefined;
  readonly #processHooks: boolean;
  #listener: TerminalListener | undefined;
  #open = false;
  #wasRaw = false;
  /** The lines on screen now; an empty entry is a line to repaint. */
  #lines: string[] = [];
  #clearFirst = false;
  /** Set while stdout cannot take more: only the latest frame is kept meanwhile. */
  #waiting = false;
  #pending: string | undefined;

  constructor(options: TtyTerminalOptions) {
    this.#stdout = options.stdout;
    this.#stdin = options.stdin;
    this.#processHooks = options.processHooks ?? true;
  }

  size(): TerminalSize {
    return { columns: this.#stdout.columns || 80, rows: this.#stdout.rows || 24 };
  }

  open(listener: TerminalListener): void {
    if (this.#open) return;
    this.#open = true;
    this.#listener = listener;
    this.#lines = [];
    this.#clearFirst = false;
    if (this.#processHooks) {
      process.on('exit', this.close);
      process.on('uncaughtExceptionMonitor', this.close);
      for (const signal of SIGNALS) process.once(signal, this.#onSignal);
    }
    this.#stdout.on('resize', this.#onResize);
    this.#stdout.on('error', this.#onOutputError);
    this.#write(ENTER);
    const stdin = this.#stdin;
    if (stdin !== undefined) {
      if (stdin.isTTY) {
        this.#wasRaw = stdin.isRaw;
        stdin.setRawMode(true);
      }
      // A documented readline parameter: only its escapeCodeTimeout is read here.
      emitKeypressEvents(stdin, { escapeCodeTimeout: ESCAPE_TIMEOUT_MS } as unknown as Interface);
      stdin.on('keypress', this.#onKeypress);
      stdin.resume();
    }
  }

  draw(frame: string): void {
    if (!this.#open) return;
    if (this.#waiting) {
      this.#pending = frame;
      return;
    }
    const rows = this.size().rows;
    const lines = frame.split('\n');
    let out = '';
    if (this.#clearFirst) {
      out += `${CSI}2J`;
      this.#clearFirst = false;
    }
    for (let row = 0; row < rows; row++) {
      const line = lines[row] ?? '';
      if (this.#lines[row] === line) continue;
      this.#lines[row] = line;
      // Erase, then write: a line exactly as wide as the screen keeps its last character.
      out += `${CSI}${row + 1};1H${CSI}2K${line}${CSI}0m`;
    }
    this.#lines.length = rows;
    if (out !== '') this.#write(BEGIN_UPDATE + out + END_UPDATE);
  }

  /** Bound: usable as a process listener. */
  readonly close = (): void => {
    if (!this.#open) return;
    this.#open = false;
    if (this.#processHooks) {
      process.off('exit', this.close);
      process.off('uncaughtExceptionMonitor', this.close);
      for (const signal of SIGNALS) process.off(signal, this.#onSignal);
    }
    this.#stdout.off('resize', this.#onResize);
    const stdin = this.#stdin;
    if (stdin !== undefined) {
      stdin.off('keypress', this.#onKeypress);
      if (stdin.isTTY) stdin.setRawMode(this.#wasRaw);
      // A reading stdin would keep the process alive.
      stdin.pause();
    }
    this.#pending = undefined;
    this.#write(END_UPDATE + LEAVE);
    this.#stdout.off('error', this.#onOutputError);
    this.#listener = undefined;
  };

  #write(text: string): void {
    try {
      if (!this.#stdout.write(text) && this.#open && !this.#waiting) {
        this.#waiting = true;
        this.#stdout.once('drain', this.#onDrain);
      }
    } catch {
      // The terminal is gone (hung up): nothing left to draw on or to restore.
    }
  }

  readonly #onDrain = (): void => {
    this.#waiting = false;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.draw(pending);
  };

  readonly #onResize = (): void => {
    this.#lines = [];
    this.#clearFirst = true;
    this.#listener?.resize();
  };

  readonly #onKeypress = (
    text: string | undefined,
    key: { name?: string; ctrl?: boolean } | undefined,
  ): void => {
    this.#listener?.key(keyFromReadline(text, key));
  };

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.close();
    // Nobody else handles it: let it do what it would have done without us.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  readonly #onOutputError = (): void => {
    // EIO/EPIPE once the terminal is gone: stop drawing; close() has nothing to restore.
    this.#waiting = true;
  };
}
