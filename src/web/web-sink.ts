/**
 * The web dashboard as one more sink of the pipeline: it keeps each target's recent history
 * from `write`, notes which targets changed from `write` and `event`, and serves the page,
 * the JSON API and the live stream (see http-server.ts). With no page open, a record costs
 * one history point and nothing else.
 *
 *   const web = new WebSink({ port: 8080 });
 *   const pipeline = new Pipeline({ sinks: [web] });
 *   await pipeline.start();            // listens (or call web.listen() first to learn the URL)
 *   console.error(`dashboard: ${web.url}`);
 */
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import { tokenProblem } from './access.js';
import { DEFAULT_WEB_HOST, formatHostPort, isPrivateBind } from './address.js';
import { MemoryHistory } from './history.js';
import type { HistorySource } from './history-source.js';
import { WebServer } from './http-server.js';
import { LiveStream, type LiveStreamStats } from './live-stream.js';
import { DEFAULT_ASSETS_DIR, loadPageAssets } from './page-assets.js';
import { RecordingHistory } from './recording-history.js';

/** Points of the CPU sparkline sent when a page connects. */
const SPARK_POINTS = 30;

export interface WebSinkOptions {
  /** Address to listen on. Any other than 127.0.0.1, ::1 or localhost requires `token`. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one (see `url`). @default 0 */
  port?: number;
  /** Required on every request when set (`Authorization: Bearer`, or the cookie `?token=` sets). */
  token?: string;
  /** Host names the server answers to besides IP literals and `localhost` (DNS-rebinding guard). */
  allowedHosts?: string[];
  /** Points kept in memory per target for the charts (one per second at most). @default 600 */
  historyPoints?: number;
  /**
   * The recording (`--record FILE`) the charts read beside the in-memory history, so that they
   * reach back further than the memory holds (see recording-history.ts).
   */
  recording?: string;
  /** Where the charts' history is read, when neither the memory nor `recording` fits. @default the in-memory history */
  historySource?: HistorySource;
  /** Folder of the built page. @default dist/web/assets of this package */
  assetsDir?: string;
  /** Live-stream coalescing interval, ms. @default 1000 */
  liveIntervalMs?: number;
  /** Live pages served at once. @default 32 */
  maxClients?: number;
  /** Bytes queued for one page beyond which it is skipped. @default 1 MiB */
  maxBufferedBytes?: number;
  /** Intervals a page may stay behind before it is cut off. @default 10 */
  maxBehindIntervals?: number;
}

export type WebSinkStats = LiveStreamStats & {
  url: string | null;
  historyTargets: number;
  historyPoints: number;
  historyBytes: number;
};

export class WebSink implements Sink {
  readonly name = 'web';
  readonly #options: WebSinkOptions;
  readonly #host: string;
  readonly #port: number;
  readonly #history: MemoryHistory;
  readonly #historySource: HistorySource;
  #context: SinkContext | undefined;
  #live: LiveStream | undefined;
  #server: WebServer | undefined;
  #listening: Promise<AddressInfo> | undefined;
  #logger: Logger = silentLogger;
  readonly #recording: RecordingHistory | undefined;
  // The pipeline's logger is known only from start(): looked up at each use.
  readonly #forwardingLogger: Logger = {
    debug: (message) => this.#logger.debug(message),
    info: (message) => this.#logger.info(message),
    warn: (message) => this.#logger.warn(message),
    error: (message) => this.#logger.error(message),
  };

  constructor(options: WebSinkOptions = {}) {
    this.#options = options;
    this.#host = options.host ?? DEFAULT_WEB_HOST;
    this.#port = options.port ?? 0;
    if (!Number.isInteger(this.#port) || this.#port < 0 || this.#port > 65535) {
      throw new InvalidOptionError('port', options.port, 'an integer 0-65535');
    }
    if (options.token !== undefined) {
      const problem = tokenProblem(options.token);
      if (problem !== undefined) throw new InvalidOptionError('token', '[redacted]', problem);
    } else if (!isPrivateBind(this.#host)) {
      throw new InvalidOptionError(
        'token',
        undefined,
        `a token to listen on ${this.#host}: any address but 127.0.0.1, ::1 and localhost can be reached by others`,
      );
    }
    this.#history = new MemoryHistory(
      options.historyPoints === undefined ? {} : { capacity: options.historyPoints },
    );
    if (options.recording !== undefined) {
      this.#recording = new RecordingHistory({
        path: options.recording,
        memory: this.#history,
        logger: this.#forwardingLogger,
      });
    }
    this.#historySource = options.historySource ?? this.#recording ?? this.#history;
  }

  /**
   * Starts listening (before the pipeline starts, to learn the URL or fail early); `start`
   * does it otherwise. Until the pipeline starts, the API answers 503.
   * @throws WebDashboardError `LISTEN_FAILED` or `ASSETS_MISSING`.
   */
  listen(): Promise<AddressInfo> {
    if (this.#listening === undefined) {
      const server = new WebServer({
        host: this.#host,
        port: this.#port,
        token: this.#options.token,
        allowedHosts: this.#options.allowedHosts ?? [],
        assets: loadPageAssets(this.#options.assetsDir ?? DEFAULT_ASSETS_DIR),
        live: {
          attach: (request, response) => {
            if (this.#live !== undefined) return this.#live.attach(request, response);
            response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' });
            response.end('the dashboard is starting\n');
          },
        },
        api: { context: () => this.#context, history: this.#historySource },
        logger: this.#forwardingLogger,
      });
      this.#server = server;
      // Until start(), a listening dashboard alone does not hold the process (see start()).
      server.keepsProcessAlive(this.#context !== undefined);
      this.#listening = server.listen();
      this.#listening.catch(() => {
        this.#listening = undefined;
        this.#server = undefined;
      });
    }
    return this.#listening;
  }

  /** `http://host:port/` once listening (a wildcard address shows this machine's name). */
  get url(): string | undefined {
    const address = this.#server?.address;
    if (address === undefined) return undefined;
    const host = this.#host === '0.0.0.0' || this.#host === '::' ? hostname() : this.#host;
    return `http://${formatHostPort(host, address.port)}/`;
  }

  /** The port bound, once listening. */
  get port(): number | undefined {
    return this.#server?.address?.port;
  }

  /** The in-memory history (also when the charts read a recording). */
  get history(): MemoryHistory {
    return this.#history;
  }

  async start(context: SinkContext): Promise<void> {
    this.#context = context;
    this.#logger = context.logger;
    this.#live = new LiveStream({
      clock: context.clock,
      rows: () => context.targets(),
      spark: (target) => this.#history.recentCpu(target, SPARK_POINTS),
      ...(this.#options.liveIntervalMs === undefined ? {} : { intervalMs: this.#options.liveIntervalMs }),
      ...(this.#options.maxClients === undefined ? {} : { maxClients: this.#options.maxClients }),
      ...(this.#options.maxBufferedBytes === undefined
        ? {}
        : { maxBufferedBytes: this.#options.maxBufferedBytes }),
      ...(this.#options.maxBehindIntervals === undefined
        ? {}
        : { maxBehindIntervals: this.#options.maxBehindIntervals }),
    });
    await this.listen();
    this.#server?.keepsProcessAlive(true);
  }

  write(record: MonitoringRecord): void {
    this.#history.add(record);
    this.#live?.changed(record.target);
  }

  event(event: PipelineEvent): void {
    if (event.type === 'target_removed') {
      this.#history.remove(event.target);
      this.#live?.removed(event.target);
      return;
    }
    this.#live?.changed(event.target);
  }

  stats(): WebSinkStats {
    const live = this.#live?.stats() ?? {
      clients: 0,
      batchesSent: 0,
      rowsSent: 0,
      skipped: 0,
      cutOff: 0,
      refused: 0,
    };
    const history = this.#history.stats();
    return {
      url: this.url ?? null,
      ...live,
      historyTargets: history.targets,
      historyPoints: history.points,
      historyBytes: history.bytes,
    };
  }

  async close(): Promise<void> {
    this.#live?.close();
    this.#live = undefined;
    this.#context = undefined;
    const server = this.#server;
    this.#server = undefined;
    this.#listening = undefined;
    await server?.close();
    this.#recording?.close();
  }
}
