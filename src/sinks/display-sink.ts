/**
 * The display: each record formatted on the output stream, and what happens to each target
 * (connected, reconnecting, server messages and alerts, our alerts) as notices on the notices
 * stream, so that stdout carries the data alone. The formatter can change while running.
 */
import type { Writable } from 'node:stream';
import type { BaseFormatter } from '../formatters/base-formatter.js';
import { LineWriter } from '../output/line-writer.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink } from '../pipeline/sink.js';

type Stream = Writable | NodeJS.WritableStream;

export interface DisplaySinkOptions {
  formatter: BaseFormatter;
  /** Where records go; null for nowhere. */
  output: Stream | null;
  /** Where notices go; null for nowhere. */
  notices: Stream | null;
  /** Told when writing to `output` fails (a closed pipe). */
  onOutputError?: (error: Error) => void;
}

export class DisplaySink implements Sink {
  readonly name = 'display';
  #formatter: BaseFormatter;
  readonly #outputStream: Stream | null;
  readonly #noticesStream: Stream | null;
  readonly #onOutputError: ((error: Error) => void) | undefined;
  #output: LineWriter | null = null;
  #notices: LineWriter | null = null;
  #detach: (() => void)[] = [];
  readonly #congestionListeners = new Set<(congested: boolean) => void>();
  #recordsDisplayed = 0;
  #noticesWritten = 0;
  /** The formatter's header (csv column names) is still to be written, before the next record. */
  #headerPending = true;

  constructor(options: DisplaySinkOptions) {
    this.#formatter = options.formatter;
    this.#outputStream = options.output;
    this.#noticesStream = options.notices;
    this.#onOutputError = options.onOutputError;
  }

  get formatter(): BaseFormatter {
    return this.#formatter;
  }

  set formatter(formatter: BaseFormatter) {
    this.#formatter = formatter;
    this.#headerPending = true;
  }

  /** Records formatted and handed to the output. */
  get recordsDisplayed(): number {
    return this.#recordsDisplayed;
  }

  /** 'new' until started; records fed before `start()` (a replay, a test) open the streams then. */
  #phase: 'new' | 'open' | 'closed' = 'new';

  start(): void {
    if (this.#phase === 'open') return;
    this.#phase = 'open';
    if (this.#outputStream !== null) {
      const output = LineWriter.acquire(this.#outputStream);
      this.#output = output;
      this.#detach.push(
        output.onError((error) => this.#onOutputError?.(error)),
        output.onCongestion((congested) => {
          for (const listener of this.#congestionListeners) listener(congested);
        }),
        () => output.release(),
      );
    }
    if (this.#noticesStream !== null) {
      const notices = LineWriter.acquire(this.#noticesStream);
      this.#notices = notices;
      this.#detach.push(() => notices.release());
    }
  }

  write(record: MonitoringRecord): void {
    if (this.#phase === 'new') this.start();
    const output = this.#output;
    if (output === null) {
      // No output (`output: null`): the record is shown to nowhere, which is still shown.
      this.#recordsDisplayed++;
      return;
    }
    const { frame } = record;
    // The text as received, when it is the message's own JSON (not repaired from NaN).
    const raw = frame.repairedJson === undefined ? frame.raw : undefined;
    if (this.#headerPending) {
      this.#headerPending = false;
      const header = this.#formatter.header();
      if (header !== undefined) output.writeLine(header);
    }
    output.writeLine(this.#formatter.formatMonitoringData(record.snapshot, record.message, raw));
    this.#recordsDisplayed++;
  }

  event(event: PipelineEvent): void {
    if (this.#phase === 'new') this.start();
    if (this.#notices === null) return;
    const text = this.#noticeOf(event);
    if (text !== '') {
      this.#notices.writeLine(text);
      this.#noticesWritten++;
    }
  }

  /** A failure of the client itself (a save-data write error) as a notice: `✗ Error: ...`, or JSON with its code. */
  error(error: Error): void {
    if (this.#phase === 'new') this.start();
    if (this.#notices === null) return;
    this.#notices.writeLine(this.#formatter.formatError(error));
    this.#noticesWritten++;
  }

  onCongestion(listener: (congested: boolean) => void): () => void {
    this.#congestionListeners.add(listener);
    return () => this.#congestionListeners.delete(listener);
  }

  stats(): Record<string, unknown> {
    return { recordsDisplayed: this.#recordsDisplayed, noticesWritten: this.#noticesWritten };
  }

  async close(): Promise<void> {
    for (const detach of this.#detach) detach();
    this.#detach = [];
    this.#output = null;
    this.#notices = null;
    this.#phase = 'closed';
  }

  /** The notice line of an event, or '' for an event that shows nothing. */
  #noticeOf(event: PipelineEvent): string {
    const f = this.#formatter;
    const source = f.showSource ? event.target : undefined;
    switch (event.type) {
      case 'connected':
        return f.formatNotice(`connected to ${event.uri}`, source);
      case 'disconnected': {
        const reason = event.reason ? ` (${event.reason})` : '';
        return f.formatNotice(`disconnected: code ${event.code}${reason}`, source);
      }
      case 'reconnecting': {
        const of = event.maxAttempts === null ? '' : `/${event.maxAttempts}`;
        const seconds = Math.round(event.delayMs / 100) / 10;
        return f.formatNotice(`reconnecting in ${seconds} s (attempt ${event.attempt}${of})`, source);
      }
      case 'connection_error':
        // A server closing normally (restart, shutdown) is told by `disconnected`, not as an error.
        if (event.closeCode === 1000 || event.closeCode === 1001) return '';
        return f.formatError(event.message, undefined, source);
      case 'gave_up':
        return f.formatError(event.message, undefined, source);
      case 'server_notice':
        return event.kind === 'connection'
          ? f.formatConnectionMessage(event.text, event.timestamp, source)
          : f.formatError(event.text, event.severity, source);
      case 'server_alerts':
        // Shown in the record itself by formats that show alerts (detailed).
        if (this.#output !== null && f.recordsShowAlerts) return '';
        return event.alerts.length > 0
          ? f.formatAlerts(event.alerts, source)
          : f.formatNotice('server alerts cleared', source);
      default:
        return '';
    }
  }
}
