/**
 * The Prometheus exporter, as a sink: it serves `/metrics` (Prometheus text, or OpenMetrics
 * when the scraper asks for it) from the target rows of the pipeline, read at scrape time,
 * so a message costs it nothing. See catalog.ts for the metrics.
 *
 *   scrape ─▶ context.targets() once ─▶ one view per target (labels, up) ─▶ each metric of
 *   the catalog reads the views into its family's text (family-text.ts) ─▶ after the process
 *   metrics, which prom-client renders
 *
 * Staleness is judged on the client's clock, from when the data was received (never from
 * the server's timestamp): a target is up when it is connected, the pipeline does not call
 * it stale, and its last valid message is no older than `staleAfter` (when given);
 * otherwise `monitoring_target_up` is 0 and its values are not served. A removed target is
 * gone from the rows, so its series are gone from the next scrape.
 *
 * prom-client renames counters in place when it renders OpenMetrics, so each format has its
 * own registry of the client's process metrics (CPU, memory, event loop, GC), made once per
 * process and shared by every exporter.
 */
import type { AddressInfo } from 'node:net';
import {
  collectDefaultMetrics,
  type OpenMetricsContentType,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import type { TargetRow } from '../pipeline/target-row.js';
import { METRICS, type TargetView } from './catalog.js';
import { MetricsEndpoint } from './endpoint.js';
import { type ExpositionFormat, negotiateFormat } from './exposition-format.js';
import { FamilyText, joinFamilies, labelPairs } from './family-text.js';
import { LabelSchema } from './label-names.js';
import { DEFAULT_LISTEN_HOST } from './listen-address.js';

export interface PrometheusSinkOptions {
  /** Port of the `/metrics` endpoint; 0 picks a free one. Without it, no server: call {@link PrometheusSink.render} yourself. */
  port?: number;
  /** Address to listen on. Anything but a loopback address needs `token`. @default '127.0.0.1' */
  host?: string;
  /** Scrapers must send `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * Seconds without a valid message after which a target is down to Prometheus. The
   * pipeline's own limit (`staleAfter` of the pipeline, 15 s by default) always applies;
   * this one can only be shorter. @default the pipeline's
   */
  staleAfter?: number;
  /** Serve the process metrics of the client itself (`process_*`, `nodejs_*`). @default true */
  processMetrics?: boolean;
  /** Where a failed scrape is reported. @default the pipeline's logger */
  logger?: Logger;
}

const CONTENT_TYPES: Record<ExpositionFormat, PrometheusContentType | OpenMetricsContentType> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

function newRegistry(format: ExpositionFormat): AnyRegistry {
  if (format === 'prometheus') return new Registry<PrometheusContentType>();
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/** The process metrics of this process, one registry per format, made on first use. */
const processRegistries = new Map<ExpositionFormat, AnyRegistry>();

function processRegistry(format: ExpositionFormat): AnyRegistry {
  let registry = processRegistries.get(format);
  if (registry === undefined) {
    registry = newRegistry(format);
    collectDefaultMetrics({ register: registry });
    processRegistries.set(format, registry);
  }
  return registry;
}

/** The labels of one target's series, and what they were made from. */
interface LabelSet {
  readonly host: string | undefined;
  readonly source: Readonly<Record<string, string>>;
  readonly schema: number;
  readonly labels: Readonly<Record<string, string>>;
  /** `labels` as exposition text (see family-text.ts). */
  readonly text: string;
}

export class PrometheusSink implements Sink {
  readonly name = 'prometheus';
  readonly #staleAfter: number;
  readonly #endpoint: MetricsEndpoint | undefined;
  readonly #processMetrics: boolean;
  readonly #schema = new LabelSchema();
  #logger: Logger;
  #context: SinkContext | undefined;
  /** The labels of each target's series at the last scrape. */
  #labelSets = new Map<string, LabelSet>();
  #schemaVersion = 0;
  #lastScrapeMs: number | null = null;
  #lastSeries = 0;

  constructor(options: PrometheusSinkOptions = {}) {
    const staleAfter = options.staleAfter;
    if (staleAfter !== undefined && (!Number.isFinite(staleAfter) || staleAfter <= 0)) {
      throw new InvalidOptionError('staleAfter', staleAfter, 'a number of seconds > 0');
    }
    this.#staleAfter = staleAfter ?? Number.POSITIVE_INFINITY;
    this.#logger = options.logger ?? silentLogger;
    if (options.port !== undefined) {
      // The logger is the pipeline's once started: read it at each use.
      const logger: Logger = {
        debug: (message) => this.#logger.debug(message),
        info: (message) => this.#logger.info(message),
        warn: (message) => this.#logger.warn(message),
        error: (message) => this.#logger.error(message),
      };
      this.#endpoint = new MetricsEndpoint({
        host: options.host ?? DEFAULT_LISTEN_HOST,
        port: options.port,
        token: options.token,
        render: (accept) => this.render(accept),
        logger,
      });
    }
    this.#processMetrics = options.processMetrics ?? true;
    // Made now rather than at the first scrape: the event-loop and GC figures count from here.
    if (this.#processMetrics)
      for (const format of ['prometheus', 'openmetrics'] as const) processRegistry(format);
  }

  /** `http://HOST:PORT/metrics` once listening, else undefined. */
  get url(): string | undefined {
    return this.#endpoint?.url;
  }

  get address(): AddressInfo | undefined {
    return this.#endpoint?.address;
  }

  /**
   * Binds the endpoint now (the command line does, to report a port in use before it
   * connects anywhere). `start()` does it otherwise. @throws ListenError
   */
  async listen(): Promise<AddressInfo | undefined> {
    return this.#endpoint?.listen();
  }

  async start(context: SinkContext): Promise<void> {
    this.#context = context;
    if (this.#logger === silentLogger) this.#logger = context.logger;
    for (const row of context.targets()) this.#learnLabels(row.labels);
    await this.#endpoint?.listen();
  }

  event(event: PipelineEvent): void {
    if (event.type === 'target_added') this.#learnLabels(event.labels);
  }

  /** The metrics in the format `accept` asks for (the Prometheus text format by default). */
  async render(accept?: string): Promise<{ contentType: string; body: string }> {
    const format = negotiateFormat(accept);
    const started = performance.now();
    const rows = this.#context?.targets() ?? [];
    for (const row of rows) this.#learnLabels(row.labels);
    const views: TargetView[] = [];
    const labelTexts: string[] = [];
    const labelSets = new Map<string, LabelSet>();
    for (const row of rows) {
      const up = row.status === 'up' && (row.ageSeconds === null || row.ageSeconds <= this.#staleAfter);
      const labels = this.#labelSet(row);
      labelSets.set(row.name, labels);
      views.push({ row, labels: labels.labels, up });
      labelTexts.push(labels.text);
    }
    // Removed targets' label sets go with them.
    this.#labelSets = labelSets;
    // The targets' families are written before the first await: the views cannot change
    // under them, whatever other scrape runs at the same time.
    let series = 0;
    const families = METRICS.map((spec) => {
      const family = new FamilyText(format, spec);
      for (let i = 0; i < views.length; i++) {
        const text = labelTexts[i] ?? '';
        spec.read(views[i]!, (value, extraLabels) => {
          family.add(value, text, extraLabels);
          series++;
        });
      }
      return family.text;
    });
    this.#lastSeries = series;
    const processText = this.#processMetrics ? await processRegistry(format).metrics() : undefined;
    const body = joinFamilies(format, processText, families);
    this.#lastScrapeMs = performance.now() - started;
    return { contentType: CONTENT_TYPES[format], body };
  }

  stats(): Record<string, unknown> {
    return {
      ...(this.#endpoint?.stats() ?? {}),
      url: this.url ?? null,
      targets: this.#context?.targets().length ?? 0,
      seriesLastScrape: this.#lastSeries,
      lastScrapeMs: this.#lastScrapeMs === null ? null : Math.round(this.#lastScrapeMs * 10) / 10,
    };
  }

  async close(): Promise<void> {
    await this.#endpoint?.close();
  }

  /** The labels of `row`'s series: the same object as at the last scrape unless they changed. */
  #labelSet(row: TargetRow): LabelSet {
    const known = this.#labelSets.get(row.name);
    if (
      known !== undefined &&
      known.host === row.host &&
      known.source === row.labels &&
      known.schema === this.#schemaVersion
    ) {
      return known;
    }
    const base: Record<string, string> = { target: row.name };
    if (row.host !== undefined && row.host !== '') base.host = row.host;
    const labels = Object.freeze(this.#schema.labelsOf(row.labels, base));
    return {
      host: row.host,
      source: row.labels,
      schema: this.#schemaVersion,
      labels,
      text: labelPairs(labels),
    };
  }

  #learnLabels(labels: Readonly<Record<string, string>>): void {
    // A new label name changes every target's label set: they are made again at the next scrape.
    if (this.#schema.add(labels)) this.#schemaVersion++;
  }
}
