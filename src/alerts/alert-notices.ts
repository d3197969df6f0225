/**
 * One line on stderr for every alert that fires or resolves, in the style of the other
 * notices (`» ...`):
 *
 *   » alert FIRING web-1 [critical] cpu > 90 for 30s (cpu 93.2 % > 90 % for 30s)
 *   » alert resolved web-1 [critical] cpu > 90 for 30s (cpu back to 80.1 %)
 *
 * Target names, rules and summaries may come from a server (a server alert's message): every
 * part is sanitized for the terminal.
 */
import type { AlertEvent, PipelineEvent } from '../pipeline/events.js';
import type { Sink } from '../pipeline/sink.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';

export interface AlertNoticeOptions {
  /** Where the lines go (the process's stderr in the command). */
  stream: NodeJS.WritableStream;
  /** Also print the server's own alerts. @default true */
  serverAlerts?: boolean;
}

export class AlertNoticeSink implements Sink {
  readonly name = 'alert-notices';
  readonly #stream: NodeJS.WritableStream;
  readonly #serverAlerts: boolean;
  #written = 0;

  constructor(options: AlertNoticeOptions) {
    this.#stream = options.stream;
    this.#serverAlerts = options.serverAlerts ?? true;
  }

  event(event: PipelineEvent): void {
    if (event.type !== 'alert') return;
    if (event.origin === 'server' && !this.#serverAlerts) return;
    this.#stream.write(`${formatAlertNotice(event)}\n`);
    this.#written++;
  }

  stats(): Record<string, unknown> {
    return { notices: this.#written };
  }
}

/** The notice line of one alert event (without the newline). */
export function formatAlertNotice(event: AlertEvent): string {
  const state = event.state === 'firing' ? 'FIRING' : 'resolved';
  const summary = event.summary === '' ? '' : ` (${sanitizeForTerminal(event.summary)})`;
  return `» alert ${state} ${sanitizeForTerminal(event.target)} [${event.severity}] ${sanitizeForTerminal(event.rule)}${summary}`;
}

/** `alert web-1 cpu > 90 (firing)`: an alert named in a log line, sanitized. */
export function describeAlert(event: AlertEvent): string {
  return `alert ${sanitizeForTerminal(event.target)} ${sanitizeForTerminal(event.rule)} (${event.state})`;
}
