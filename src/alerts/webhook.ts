/**
 * `--webhook URL`: POSTs every alert that fires or resolves as one JSON object (the shape of
 * alert-json.ts, with the target's host when known) to a URL, in order, with a timeout and
 * retries (see http-delivery.ts). A secret in the URL never appears in a log.
 */
import type { PipelineEvent } from '../pipeline/events.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import { alertToJson } from './alert-json.js';
import { describeAlert } from './alert-notices.js';
import { parseDeliveryUrl } from './delivery-url.js';
import { HttpDelivery, type HttpDeliveryOptions, type HttpDeliveryStats } from './http-delivery.js';

export interface WebhookOptions extends Omit<HttpDeliveryOptions, 'name' | 'url'> {
  /** Where alerts are POSTed (http:// or https://; a user and password become Basic authentication). */
  url: string;
}

export class WebhookSink implements Sink {
  readonly name = 'webhook';
  readonly #delivery: HttpDelivery;
  #context: SinkContext | undefined;

  /** @throws InvalidOptionError when the URL is not http(s). */
  constructor(options: WebhookOptions) {
    const { url, ...rest } = options;
    this.#delivery = new HttpDelivery({ ...rest, name: 'webhook', url: parseDeliveryUrl(url, 'url') });
  }

  start(context: SinkContext): void {
    this.#context = context;
    this.#delivery.attach(context.clock, context.logger);
  }

  event(event: PipelineEvent): void {
    if (event.type !== 'alert') return;
    const host = this.#context?.target(event.target)?.host;
    this.#delivery.send(JSON.stringify(alertToJson(event, host)), describeAlert(event));
  }

  /** Resolves once everything queued has been delivered or given up. */
  idle(): Promise<void> {
    return this.#delivery.idle();
  }

  async close(): Promise<void> {
    await this.#delivery.close();
  }

  stats(): HttpDeliveryStats {
    return this.#delivery.stats();
  }
}
