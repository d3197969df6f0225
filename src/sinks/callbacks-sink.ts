/**
 * The callbacks of MonitoringClient (`onMessage`, `onConnect`, `onDisconnect`, `onError`) as
 * one sink. A callback that throws or rejects is the user's bug, not a failure of the client:
 * it is counted (`callbackErrors`) and logged, and the run goes on.
 */

import type { Logger } from '../logger.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink } from '../pipeline/sink.js';
import type { ParsedMessage } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

export interface ClientCallbacks {
  onMessage?: (message: ParsedMessage, snapshot: MonitoringSnapshot) => void | Promise<void>;
  onConnect?: (info: { uri: string; attempt: number }) => void;
  onDisconnect?: (info: { code: number; reason: string; willReconnect: boolean }) => void;
}

export class CallbacksSink implements Sink {
  readonly name = 'callbacks';
  readonly #callbacks: ClientCallbacks;
  readonly #logger: Logger;
  #errors = 0;

  constructor(callbacks: ClientCallbacks, logger: Logger) {
    this.#callbacks = callbacks;
    this.#logger = logger;
  }

  /** Callbacks that threw or rejected. */
  get errors(): number {
    return this.#errors;
  }

  write(record: MonitoringRecord): void {
    const onMessage = this.#callbacks.onMessage;
    if (onMessage !== undefined) this.call('onMessage', () => onMessage(record.message, record.snapshot));
  }

  event(event: PipelineEvent): void {
    if (event.type === 'connected') {
      const onConnect = this.#callbacks.onConnect;
      if (onConnect !== undefined)
        this.call('onConnect', () => onConnect({ uri: event.uri, attempt: event.attempt }));
    } else if (event.type === 'disconnected') {
      const onDisconnect = this.#callbacks.onDisconnect;
      const { code, reason, willReconnect } = event;
      if (onDisconnect !== undefined)
        this.call('onDisconnect', () => onDisconnect({ code, reason, willReconnect }));
    }
  }

  stats(): Record<string, unknown> {
    return { callbackErrors: this.#errors };
  }

  /** Runs a user callback so that neither a throw nor a rejection escapes. */
  call(name: string, run: () => unknown): void {
    try {
      const result = run();
      if (result instanceof Promise) result.catch((error: unknown) => this.#failed(name, error));
    } catch (error) {
      this.#failed(name, error);
    }
  }

  #failed(name: string, error: unknown): void {
    this.#errors++;
    this.#logger.error(`${name} callback failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
