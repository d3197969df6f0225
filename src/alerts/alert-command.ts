/**
 * `--on-alert CMD`: runs a command of the user's for every alert that fires or resolves.
 *
 * The command runs without a shell (its words are split once, beforehand), with the alert's
 * details in environment variables, so nothing a server sends can become shell syntax:
 *
 *   ALERT_STATE     firing | resolved        ALERT_SEVERITY   warning | critical
 *   ALERT_TARGET    target name              ALERT_HOST       host name it reports ('' if unknown)
 *   ALERT_RULE      the rule as written      ALERT_ORIGIN     rule | server
 *   ALERT_METRIC    cpu, memory, ..., stale  ALERT_SUMMARY    one line of text
 *   ALERT_VALUE     the value ('' if none)   ALERT_SINCE      when the condition began (ISO 8601)
 *   ALERT_THRESHOLD the threshold ('' if none) ALERT_AT       when it fired or resolved (ISO 8601)
 *   ALERT_JSON      all of it as one JSON object (see alert-json.ts)
 *
 * Each run has a time limit (then SIGTERM, and SIGKILL if it still runs), at most
 * `maxConcurrent` run at once and the rest wait in a bounded queue. A command that cannot
 * start, fails or times out is logged (with the end of its stderr) and counted, never fatal.
 * Its stdout is discarded: stdout carries the data of the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { AlertEvent, PipelineEvent } from '../pipeline/events.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import { type Clock, systemClock, type TimerHandle } from '../transport/clock.js';
import { alertToJson, isoTime } from './alert-json.js';

export interface AlertCommandOptions {
  /** The program and its arguments (see `splitCommandWords`). */
  command: readonly string[];
  /** Environment of the command, before the ALERT_* variables. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Time limit of one run, in ms. @default 10000 */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL for a command over its limit, in ms. @default 2000 */
  killAfterMs?: number;
  /** Runs at the same time. @default 4 */
  maxConcurrent?: number;
  /** Alerts waiting for a free run; beyond this the oldest waiting is dropped (and counted). @default 100 */
  maxQueued?: number;
  /**
   * Told of every run that failed (and of drops), besides the logger: the command line
   * prints these on stderr, where a user sees them without --verbose.
   */
  onFailure?: (message: string) => void;
}

export interface AlertCommandStats extends Record<string, unknown> {
  started: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  dropped: number;
  running: number;
  queued: number;
}

const STDERR_KEPT = 2048;

export class AlertCommandSink implements Sink {
  readonly name = 'on-alert';
  readonly #command: readonly string[];
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutMs: number;
  readonly #killAfterMs: number;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #onFailure: ((message: string) => void) | undefined;
  readonly #queue: AlertEvent[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  #context: SinkContext | undefined;
  #running = 0;
  #started = 0;
  #succeeded = 0;
  #failed = 0;
  #timedOut = 0;
  #dropped = 0;

  constructor(options: AlertCommandOptions) {
    if (options.command.length === 0 || options.command[0] === '')
      throw new InvalidOptionError('command', options.command, 'a program and its arguments');
    this.#command = [...options.command];
    this.#env = options.env ?? process.env;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000);
    this.#killAfterMs = positive('killAfterMs', options.killAfterMs ?? 2000);
    this.#maxConcurrent = positive('maxConcurrent', options.maxConcurrent ?? 4);
    this.#maxQueued = positive('maxQueued', options.maxQueued ?? 100);
    this.#onFailure = options.onFailure;
  }

  start(context: SinkContext): void {
    this.#context = context;
  }

  event(event: PipelineEvent): void {
    if (event.type !== 'alert') return;
    if (this.#queue.length >= this.#maxQueued) {
      this.#queue.shift();
      this.#dropped++;
      if (this.#dropped === 1 || this.#dropped % 100 === 0)
        this.#fail(`on-alert: ${this.#dropped} alert(s) dropped: the command cannot keep up`);
    }
    this.#queue.push(event);
    this.#pump();
  }

  /** Resolves once every queued alert has been handed to the command and every run has ended. */
  async close(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  stats(): AlertCommandStats {
    return {
      started: this.#started,
      succeeded: this.#succeeded,
      failed: this.#failed,
      timedOut: this.#timedOut,
      dropped: this.#dropped,
      running: this.#running,
      queued: this.#queue.length,
    };
  }

  get #logger(): Logger {
    return this.#context?.logger ?? silentLogger;
  }

  get #clock(): Clock {
    return this.#context?.clock ?? systemClock;
  }

  #fail(message: string): void {
    this.#logger.warn(message);
    try {
      this.#onFailure?.(message);
    } catch {
      // A failing failure report has nowhere left to go.
    }
  }

  #pump(): void {
    while (this.#running < this.#maxConcurrent && this.#queue.length > 0) {
      const event = this.#queue.shift() as AlertEvent;
      this.#running++;
      this.#started++;
      this.#run(event, () => {
        this.#running--;
        this.#pump();
        if (this.#running === 0 && this.#queue.length === 0)
          for (const wake of this.#idleWaiters.splice(0)) wake();
      });
    }
  }

  #run(event: AlertEvent, done: () => void): void {
    const [file, ...args] = this.#command as [string, ...string[]];
    const what = `on-alert: ${JSON.stringify(sanitizeForTerminal(file))} for ${sanitizeForTerminal(event.target)} ${sanitizeForTerminal(event.rule)} (${event.state})`;
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        env: { ...this.#env, ...alertEnvironment(event, this.#context?.target(event.target)?.host) },
        stdio: ['ignore', 'ignore', 'pipe'],
        shell: false,
        windowsHide: true,
      });
    } catch (error) {
      this.#failed++;
      this.#fail(`${what} could not start: ${(error as Error).message}`);
      done();
      return;
    }
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    const clock = this.#clock;
    let timedOut = false;
    let killTimer: TimerHandle | undefined;
    const limitTimer = clock.setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = clock.setTimeout(() => child.kill('SIGKILL'), this.#killAfterMs);
    }, this.#timeoutMs);
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(limitTimer);
      if (killTimer !== undefined) clock.clearTimeout(killTimer);
      outcome();
      done();
    };
    child.once('error', (error: NodeJS.ErrnoException) =>
      settle(() => {
        this.#failed++;
        this.#fail(`${what} could not start: ${error.code ?? error.message}`);
      }),
    );
    child.once('close', (code, signal) =>
      settle(() => {
        const tail =
          stderr.trim() === '' ? '' : `; stderr: ${sanitizeForTerminal(stderr.trim()).slice(-500)}`;
        if (timedOut) {
          this.#timedOut++;
          this.#failed++;
          this.#fail(`${what} exceeded its time limit of ${this.#timeoutMs} ms and was killed${tail}`);
        } else if (code === 0) {
          this.#succeeded++;
          this.#logger.debug(`${what} succeeded`);
        } else {
          this.#failed++;
          this.#fail(`${what} failed: ${code === null ? `signal ${signal}` : `exit code ${code}`}${tail}`);
        }
      }),
    );
  }
}

/** The ALERT_* variables of one alert. Values never hold NUL (an environment cannot). */
export function alertEnvironment(event: AlertEvent, host: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    ALERT_STATE: event.state,
    ALERT_TARGET: event.target,
    ALERT_HOST: host ?? '',
    ALERT_RULE: event.rule,
    ALERT_METRIC: event.metric,
    ALERT_VALUE: event.value === null ? '' : String(event.value),
    ALERT_THRESHOLD: event.threshold === null ? '' : String(event.threshold),
    ALERT_SEVERITY: event.severity,
    ALERT_ORIGIN: event.origin,
    ALERT_SUMMARY: event.summary,
    ALERT_SINCE: isoTime(event.since),
    ALERT_AT: isoTime(event.at),
    ALERT_JSON: JSON.stringify(alertToJson(event, host)),
  };
  for (const [name, value] of Object.entries(env)) env[name] = value.replaceAll('\u0000', '');
  return env;
}

function positive(option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new InvalidOptionError(option, value, 'a number > 0');
  return value;
}
