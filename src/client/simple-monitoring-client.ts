/**
 * The smallest way to use the client: a callback for the data, connect, wait, disconnect.
 */
import { DEFAULT_FORMAT_TYPE, DEFAULT_WEBSOCKET_URI, type FormatType } from '../config.js';
import { InvalidOptionError } from '../errors.js';
import type { ParsedMessage } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import { MonitoringClient, type MonitoringClientOptions } from './monitoring-client.js';

export interface SimpleMonitoringClientOptions {
  /** Server to connect to. @default 'ws://localhost:8765' */
  uri?: string;
  /** Called with each monitoring message as received and its normalized snapshot. */
  onData?: (message: ParsedMessage, snapshot: MonitoringSnapshot) => void | Promise<void>;
  /** Print each message to stdout in `formatType`. @default true */
  autoPrint?: boolean;
  /** Format of the printed messages. @default 'simple' */
  formatType?: FormatType;
  /** Any other option of MonitoringClient (logger, onError, reconnect, ...). */
  clientOptions?: Omit<MonitoringClientOptions, 'uri' | 'onMessage' | 'formatType'>;
}

export class SimpleMonitoringClient {
  readonly client: MonitoringClient;

  constructor(options: SimpleMonitoringClientOptions = {}) {
    if (options.autoPrint !== undefined && typeof options.autoPrint !== 'boolean') {
      throw new InvalidOptionError('autoPrint', options.autoPrint, 'true or false');
    }
    const autoPrint = options.autoPrint ?? true;
    this.client = new MonitoringClient({
      ...options.clientOptions,
      uri: options.uri ?? DEFAULT_WEBSOCKET_URI,
      formatType: options.formatType ?? DEFAULT_FORMAT_TYPE,
      ...(autoPrint ? {} : { output: null }),
      ...(options.onData ? { onMessage: options.onData } : {}),
    });
  }

  /** Connects; resolves once connected. Safe to call without `await` (failures go to `onError`). */
  connect(): Promise<void> {
    return this.client.start();
  }

  /** Disconnects and writes out what is pending. Idempotent. */
  disconnect(): Promise<void> {
    return this.client.stop();
  }

  /** Resolves after `seconds`. */
  wait(seconds: number): Promise<void> {
    if (!(typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0)) {
      return Promise.reject(new InvalidOptionError('seconds', seconds, 'a number of seconds >= 0'));
    }
    return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }

  isConnected(): boolean {
    return this.client.isConnected();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }
}
