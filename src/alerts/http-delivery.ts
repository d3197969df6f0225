/**
 * POSTs JSON bodies to one URL, one at a time and in order (a receiver must never see an
 * alert resolve before it fired), each with a timeout and retries with growing waits. Timers
 * run on the pipeline's clock. What fails is logged (with the URL's secrets redacted) and
 * counted, never thrown; the queue is bounded, dropping the oldest body when full.
 *
 * Retried: no connection, no answer in time, HTTP 5xx, 408 and 429. Not retried: other
 * statuses (a 400 will be a 400 again) and redirects, which are not followed. Plain
 * node:http(s) rather than fetch: fetch refuses some ports (6000, 10080, ...) and URLs with a
 * user and password.
 *
 * Closing: what is queued is still sent, but a body whose attempt failed gets one last
 * attempt at once instead of waiting, so that stopping never waits for long backoffs.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { type Clock, systemClock, type TimerHandle } from '../transport/clock.js';
import { type ReconnectPolicy, reconnectDelay } from '../transport/reconnect-policy.js';
import type { DeliveryUrl } from './delivery-url.js';

export interface HttpDeliveryOptions {
  /** Names the destination in logs (`webhook`, `alertmanager`). */
  name: string;
  url: DeliveryUrl;
  /** Time allowed for one attempt (connect, send, answer), in ms. @default 5000 */
  timeoutMs?: number;
  /** Attempts after the first failed one. @default 3 */
  retries?: number;
  /** Waits between attempts. @default 500 ms, doubling, at most 30 s, 10 % jitter */
  backoff?: Partial<ReconnectPolicy>;
  /** Bodies waiting to be sent; beyond, the oldest is dropped. @default 1000 */
  maxQueued?: number;
  /** Extra request headers. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Told of every body given up or dropped, besides the logger: the command line prints
   * these on stderr, where a user sees them without --verbose.
   */
  onFailure?: (message: string) => void;
}

export interface HttpDeliveryStats extends Record<string, unknown> {
  delivered: number;
  /** Bodies given up after every attempt failed. */
  failed: number;
  /** Attempts after a failure. */
  retries: number;
  dropped: number;
  queued: number;
}

interface Outgoing {
  readonly body: string;
  /** Describes the body in logs (`alert web-1 cpu > 90 (firing)`). */
  readonly what: string;
}

type AttemptResult = { ok: true } | { ok: false; retry: boolean; reason: string };

export const DEFAULT_HTTP_BACKOFF: ReconnectPolicy = {
  baseMs: 500,
  multiplier: 2,
  maxMs: 30_000,
  jitter: 0.1,
};

export class HttpDelivery {
  readonly #name: string;
  readonly #url: DeliveryUrl;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoff: ReconnectPolicy;
  readonly #maxQueued: number;
  readonly #headers: Record<string, string>;
  readonly #onFailure: ((message: string) => void) | undefined;
  readonly #queue: Outgoing[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  #clock: Clock = systemClock;
  #logger: Logger = silentLogger;
  #sending = false;
  #closing = false;
  /** Ends the current backoff wait early (closing). */
  #wakeUp: (() => void) | undefined;
  #delivered = 0;
  #failed = 0;
  #retried = 0;
  #dropped = 0;

  constructor(options: HttpDeliveryOptions) {
    this.#name = options.name;
    this.#url = options.url;
    this.#timeoutMs = checked('timeoutMs', options.timeoutMs ?? 5000, 1);
    this.#retries = checked('retries', options.retries ?? 3, 0);
    this.#backoff = { ...DEFAULT_HTTP_BACKOFF, ...options.backoff };
    this.#maxQueued = checked('maxQueued', options.maxQueued ?? 1000, 1);
    this.#headers = { 'content-type': 'application/json', ...options.headers };
    if (this.#url.authorization !== undefined) this.#headers.authorization = this.#url.authorization;
    this.#onFailure = options.onFailure;
  }

  /** How logs name the destination (no secret). */
  get display(): string {
    return `${this.#name} ${this.#url.display}`;
  }

  /** The clock for timeouts and waits, and the logger (the pipeline's, once started). */
  attach(clock: Clock, logger: Logger): void {
    this.#clock = clock;
    this.#logger = logger;
    this.#closing = false;
  }

  /** Queues `body` (JSON text); sent after everything queued before it. */
  send(body: string, what: string): void {
    if (this.#queue.length >= this.#maxQueued) {
      const dropped = this.#queue.shift();
      this.#dropped++;
      this.#fail(`${this.display}: ${dropped?.what ?? 'a body'} dropped: ${this.#maxQueued} waiting already`);
    }
    this.#queue.push({ body, what });
    if (!this.#sending) void this.#drain();
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  idle(): Promise<void> {
    if (!this.#sending && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Sends what is queued without waiting between attempts any more, and resolves when done. */
  close(): Promise<void> {
    this.#closing = true;
    this.#wakeUp?.();
    return this.idle();
  }

  stats(): HttpDeliveryStats {
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      retries: this.#retried,
      dropped: this.#dropped,
      queued: this.#queue.length,
    };
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift())
        await this.#deliver(next);
    } finally {
      this.#sending = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  #fail(message: string): void {
    this.#logger.warn(message);
    try {
      this.#onFailure?.(message);
    } catch {
      // A failing failure report has nowhere left to go.
    }
  }

  async #deliver(outgoing: Outgoing): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(outgoing.body);
      if (result.ok) {
        this.#delivered++;
        if (attempt > 0)
          this.#logger.info(`${this.display}: ${outgoing.what} delivered after ${attempt + 1} attempts`);
        return;
      }
      const lastChance = !result.retry || attempt >= this.#retries || this.#closing;
      if (lastChance) {
        this.#failed++;
        this.#fail(
          `${this.display}: ${outgoing.what} not delivered: ${result.reason}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''}`,
        );
        return;
      }
      const delay = reconnectDelay(attempt + 1, this.#backoff);
      this.#logger.warn(
        `${this.display}: ${outgoing.what} not delivered: ${result.reason}; retry ${attempt + 1}/${this.#retries} in ${delay} ms`,
      );
      this.#retried++;
      await this.#wait(delay);
    }
  }

  #attempt(body: string): Promise<AttemptResult> {
    return new Promise((resolve) => {
      const url = this.#url.url;
      const clock = this.#clock;
      let settled = false;
      const settle = (result: AttemptResult): void => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve(result);
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        url,
        { method: 'POST', headers: { ...this.#headers, 'content-length': Buffer.byteLength(body) } },
        (response) => {
          const status = response.statusCode ?? 0;
          // The answer's body is not needed: read and dropped, within the same time limit.
          response.resume();
          response.once('end', () => {
            if (status >= 200 && status < 300) return settle({ ok: true });
            const retry = status >= 500 || status === 408 || status === 429;
            const note = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
            settle({ ok: false, retry, reason: `HTTP ${status}${note}` });
          });
          response.once('error', (error) =>
            settle({ ok: false, retry: true, reason: this.#describe(error) }),
          );
        },
      );
      const timer: TimerHandle = clock.setTimeout(() => {
        settle({ ok: false, retry: true, reason: `no answer within ${this.#timeoutMs} ms` });
        request.destroy();
      }, this.#timeoutMs);
      request.once('error', (error) => settle({ ok: false, retry: true, reason: this.#describe(error) }));
      request.end(body);
    });
  }

  /** ECONNREFUSED, ENOTFOUND, ...: the code says it; the message may quote the URL, so it is redacted. */
  #describe(error: Error): string {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : this.#url.redact(error.message);
  }

  #wait(ms: number): Promise<void> {
    if (this.#closing) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#wakeUp = undefined;
        resolve();
      }, ms);
      this.#wakeUp = () => {
        this.#clock.clearTimeout(timer);
        this.#wakeUp = undefined;
        resolve();
      };
    });
  }
}

function checked(option: string, value: number, min: number): number {
  if (!(Number.isInteger(value) && value >= min))
    throw new InvalidOptionError(option, value, `an integer >= ${min}`);
  return value;
}
