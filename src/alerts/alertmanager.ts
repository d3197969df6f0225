/**
 * `--alertmanager URL`: hands our alerts to a Prometheus Alertmanager through its API v2
 * (`POST /api/v2/alerts`), the way Prometheus does, so that Alertmanager's grouping,
 * silences, inhibition and routing (mail, chat, paging) work on them:
 *
 * - a firing alert is posted at once with `startsAt` (when its condition began) and an
 *   `endsAt` four re-send intervals ahead, and re-posted every interval while it fires, so
 *   that Alertmanager resolves it by itself if this client dies;
 * - a resolved alert is posted once with `endsAt` = when it resolved.
 *
 * Labels: `alertname` (the rule's name, or the rule as written), `target`, `host` (once the
 * target reports one), `severity`, the target's own labels, then the rule's labels.
 * An alert keeps the labels it fired with until it resolves: labels are its identity.
 */
import { InvalidOptionError } from '../errors.js';
import type { AlertEvent, PipelineEvent } from '../pipeline/events.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import type { TimerHandle } from '../transport/clock.js';
import { isoTime } from './alert-json.js';
import { describeAlert } from './alert-notices.js';
import { parseDeliveryUrl } from './delivery-url.js';
import { HttpDelivery, type HttpDeliveryOptions, type HttpDeliveryStats } from './http-delivery.js';
import { type AlertRule, RESERVED_LABELS } from './rule.js';

export interface AlertmanagerOptions extends Omit<HttpDeliveryOptions, 'name' | 'url'> {
  /** Alertmanager's address (`http://127.0.0.1:9093`), or the full `.../api/v2/alerts` URL. */
  url: string;
  /** How often firing alerts are re-sent, in ms (Prometheus: 1 minute). @default 60000 */
  resendIntervalMs?: number;
  /** The rules, for their names and labels. */
  rules?: readonly AlertRule[];
}

/** One alert as Alertmanager's API v2 takes it (`postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

export interface AlertmanagerStats extends HttpDeliveryStats {
  /** Alerts firing now, re-sent every interval. */
  active: number;
}

const API_PATH = '/api/v2/alerts';
const LABEL_NAME_INVALID = /[^a-zA-Z0-9_]/g;

interface Active {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
}

export class AlertmanagerSink implements Sink {
  readonly name = 'alertmanager';
  readonly #delivery: HttpDelivery;
  readonly #resendMs: number;
  readonly #rules = new Map<string, AlertRule>();
  readonly #active = new Map<string, Active>();
  #context: SinkContext | undefined;
  #timer: TimerHandle | undefined;

  /** @throws InvalidOptionError when the URL is not http(s) or the interval not > 0. */
  constructor(options: AlertmanagerOptions) {
    const { url, resendIntervalMs, rules, ...rest } = options;
    const parsed = parseDeliveryUrl(apiUrl(url), 'url');
    this.#delivery = new HttpDelivery({ ...rest, name: 'alertmanager', url: parsed });
    this.#resendMs = resendIntervalMs ?? 60_000;
    if (!(Number.isFinite(this.#resendMs) && this.#resendMs > 0))
      throw new InvalidOptionError('resendIntervalMs', resendIntervalMs, 'a number of ms > 0');
    for (const rule of rules ?? []) this.#rules.set(rule.text, rule);
  }

  start(context: SinkContext): void {
    this.#context = context;
    this.#delivery.attach(context.clock, context.logger);
  }

  event(event: PipelineEvent): void {
    if (event.type !== 'alert' || this.#context === undefined) return;
    const key = `${event.target}\u0000${event.rule}\u0000${event.severity}`;
    const annotations = this.#annotations(event);
    if (event.state === 'firing') {
      const active: Active = { labels: this.#labels(event), annotations, startsAt: isoTime(event.since) };
      this.#active.set(key, active);
      this.#post([this.#postable(active, event.at + 4 * this.#resendMs)], describeAlert(event));
      this.#scheduleResend();
      return;
    }
    const firing = this.#active.get(key);
    this.#active.delete(key);
    const alert: PostableAlert = {
      labels: firing?.labels ?? this.#labels(event),
      annotations,
      startsAt: firing?.startsAt ?? isoTime(event.since),
      endsAt: isoTime(event.at),
    };
    this.#post([alert], describeAlert(event));
    if (this.#active.size === 0) this.#stopResend();
  }

  /** Resolves once everything queued has been delivered or given up. */
  idle(): Promise<void> {
    return this.#delivery.idle();
  }

  async close(): Promise<void> {
    this.#stopResend();
    await this.#delivery.close();
  }

  stats(): AlertmanagerStats {
    return { ...this.#delivery.stats(), active: this.#active.size };
  }

  #labels(event: AlertEvent): Record<string, string> {
    const rule = this.#rules.get(event.rule);
    const row = this.#context?.target(event.target);
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(row?.labels ?? {})) {
      const clean = name.replace(LABEL_NAME_INVALID, '_').replace(/^(\d)/, '_$1');
      if (clean !== '' && !(RESERVED_LABELS as readonly string[]).includes(clean)) labels[clean] = value;
    }
    Object.assign(labels, rule?.labels);
    labels.alertname = rule?.name ?? event.rule;
    labels.target = event.target;
    if (row?.host !== undefined && row.host !== '') labels.host = row.host;
    labels.severity = event.severity;
    return labels;
  }

  #annotations(event: AlertEvent): Record<string, string> {
    const annotations: Record<string, string> = {
      summary: event.summary,
      rule: event.rule,
      metric: event.metric,
      origin: event.origin,
    };
    if (event.value !== null) annotations.value = String(event.value);
    if (event.threshold !== null) annotations.threshold = String(event.threshold);
    return annotations;
  }

  #postable(active: Active, endsAt: number): PostableAlert {
    return {
      labels: active.labels,
      annotations: active.annotations,
      startsAt: active.startsAt,
      endsAt: isoTime(endsAt),
    };
  }

  #post(alerts: PostableAlert[], what: string): void {
    this.#delivery.send(JSON.stringify(alerts), what);
  }

  #scheduleResend(): void {
    const context = this.#context;
    if (context === undefined || this.#timer !== undefined) return;
    this.#timer = context.clock.setTimeout(this.#resend, this.#resendMs);
  }

  #stopResend(): void {
    if (this.#timer !== undefined) this.#context?.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #resend = (): void => {
    this.#timer = undefined;
    const context = this.#context;
    if (context === undefined || this.#active.size === 0) return;
    const endsAt = context.clock.now() + 4 * this.#resendMs;
    const alerts = [...this.#active.values()].map((active) => this.#postable(active, endsAt));
    this.#post(alerts, `${alerts.length} firing alert(s), re-sent`);
    this.#scheduleResend();
  };
}

/** The API URL of an Alertmanager given by its address (or already by its API URL). */
function apiUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.pathname.endsWith(API_PATH)) return url;
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}${API_PATH}`;
  return parsed.href;
}
