/**
 * The Prometheus exporter, as a sink: it serves `/metrics` (Prometheus text, or OpenMetrics
 * when the scraper asks for it) from the target rows of the pipeline, read at scrape time,
 * so a message costs it nothing. See catalog.ts for the metrics.
 *
 *   scrape ─▶ context.targets() once ─▶ one view per target (labels, up) ─▶ each metric's
 *   collect() reads the views ─▶ prom-client renders the registry of the asked format
 *
 * Staleness is judged on the client's clock, from when the data was received (never from
 * the server's timestamp): a target is up when it is connected, the pipeline does not call
 * it stale, and its last valid message is no older than `staleAfter` (when given);
 * otherwise `monitoring_target_up` is 0 and its values are not served. A removed target is
 * gone from the rows, so its series are gone from the next scrape.
 *
 * prom-client renames counters in place when it renders OpenMetrics, so each format has its
 * own registry with its own metric objects; both read the same views. The process metrics of
 * the client (CPU, memory, event loop, GC) are made once per process and shared.
 */
import type { AddressInfo } from 'node:net';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  type Metric,
  type OpenMetricsContentType,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import type { TargetRow } from '../pipeline/target-row.js';
import { METRICS, type MetricSpec, type TargetView } from './catalog.js';
import { MetricsEndpoint } from './endpoint.js';
import { type ExpositionFormat, negotiateFormat } from './exposition-format.js';
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

function processMetrics(format: ExpositionFormat): Metric[] {
  let registry = processRegistries.get(format);
  if (registry === undefined) {
    registry = newRegistry(format);
    collectDefaultMetrics({ register: registry });
    processRegistries.set(format, registry);
  }
  return registry.getMetricsAsArray() as unknown as Metric[];
}

type AnyMetric = Gauge | Counter;

/** One series as prom-client 15 keeps it in a metric's `hashMap`. */
interface PromSeries {
  value: number;
  labels: Readonly<Record<string, string>>;
  sharedLabels: Readonly<Record<string, string>>;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** The labels of one target's series, and what they were made from. */
interface LabelSet {
  readonly host: string | undefined;
  readonly source: Readonly<Record<string, string>>;
  readonly schema: number;
  readonly labels: Readonly<Record<string, string>>;
}

export class PrometheusSink implements Sink {
  readonly name = 'prometheus';
  readonly #staleAfter: number;
  readonly #endpoint: MetricsEndpoint | undefined;
  readonly #registries: Record<ExpositionFormat, AnyRegistry>;
  readonly #schema = new LabelSchema();
  readonly #metrics: Record<ExpositionFormat, AnyMetric[]> = { prometheus: [], openmetrics: [] };
  #logger: Logger;
  #context: SinkContext | undefined;
  /** The targets as the scrape in progress sees them. */
  #views: TargetView[] = [];
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
    const withProcess = options.processMetrics ?? true;
    const registry = (format: ExpositionFormat) => {
      const made = newRegistry(format);
      if (withProcess) for (const metric of processMetrics(format)) made.registerMetric(metric);
      return made;
    };
    this.#registries = { prometheus: registry('prometheus'), openmetrics: registry('openmetrics') };
    this.#defineMetrics();
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
    const labelSets = new Map<string, LabelSet>();
    for (const row of rows) {
      const up = row.status === 'up' && (row.ageSeconds === null || row.ageSeconds <= this.#staleAfter);
      const labels = this.#labelSet(row);
      labelSets.set(row.name, labels);
      views.push({ row, labels: labels.labels, up });
    }
    // Removed targets' label sets go with them.
    this.#labelSets = labelSets;
    // Every collect() runs within registry.metrics(), before its first await: the views
    // cannot change under it, whatever other scrape runs at the same time.
    this.#views = views;
    this.#lastSeries = 0;
    let body: string;
    try {
      body = await this.#registries[format].metrics();
    } finally {
      this.#views = [];
    }
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
    return {
      host: row.host,
      source: row.labels,
      schema: this.#schemaVersion,
      labels: Object.freeze(this.#schema.labelsOf(row.labels, base)),
    };
  }

  #learnLabels(labels: Readonly<Record<string, string>>): void {
    if (this.#schema.add(labels)) {
      this.#schemaVersion++;
      this.#defineMetrics();
    }
  }

  /** (Re)makes every metric of both registries with the label names known now. */
  #defineMetrics(): void {
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const registry = this.#registries[format];
      // By the registered name: prom-client renames a counter when it renders OpenMetrics.
      for (const spec of METRICS) registry.removeSingleMetric(spec.name);
      this.#metrics[format] = METRICS.map((spec) => this.#makeMetric(spec, registry));
    }
  }

  #makeMetric(spec: MetricSpec, registry: AnyRegistry): AnyMetric {
    const labelNames = ['target', 'host', ...spec.extraLabels, ...this.#schema.names];
    const sink = this;
    const common = { name: spec.name, help: spec.help, labelNames, registers: [registry] };
    return spec.type === 'counter'
      ? new Counter({
          ...common,
          collect(this: Counter) {
            sink.#collect(this, spec);
          },
        })
      : new Gauge({
          ...common,
          collect(this: Gauge) {
            sink.#collect(this, spec);
          },
        });
  }

  /**
   * Replaces the series of `metric` by those of the targets now. A scrape of 1,000 targets
   * has some 20,000 series: going through `set()` (which checks and hashes every label set)
   * and letting prom-client format every label of every series costs several times the 50 ms
   * allowed. So the series are written as prom-client 15 keeps them (`hashMap` entries
   * `{ value, labels, sharedLabels }`), with the target's labels as `sharedLabels`: one object
   * per target, kept from scrape to scrape, that prom-client formats once and caches. The
   * exporter's tests check the exact text rendered, so a prom-client that keeps series
   * otherwise fails them rather than serving wrong data.
   */
  #collect(metric: AnyMetric, spec: MetricSpec): void {
    const series: Record<string, PromSeries> = {};
    let count = 0;
    for (const view of this.#views) {
      spec.read(view, (value, extraLabels) => {
        series[count++] = { value, labels: extraLabels ?? NO_LABELS, sharedLabels: view.labels };
      });
    }
    (metric as unknown as { hashMap: Record<string, PromSeries> }).hashMap = series;
    this.#lastSeries += count;
  }
}
