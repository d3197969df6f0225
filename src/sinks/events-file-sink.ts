/**
 * `--events FILE`: one JSON object per line for every connection event and alert of every
 * target, for machines (`jq`, a log shipper). Times are ISO 8601 (UTC); strings from a server
 * are escaped by JSON, never interpreted.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { LineWriter } from '../output/line-writer.js';
import { CONNECTION_EVENT_TYPES, type PipelineEvent } from '../pipeline/events.js';
import type { Sink } from '../pipeline/sink.js';

/** The events written: the connection lifecycle, the server's notices and the alerts. */
const WRITTEN = new Set<PipelineEvent['type']>([
  'target_added',
  'target_removed',
  ...CONNECTION_EVENT_TYPES,
  'server_notice',
  'alert',
]);

/** One event as the JSON object written: epoch milliseconds become ISO 8601. */
export function eventToJson(event: PipelineEvent): Record<string, unknown> {
  const json: Record<string, unknown> = { ...event, at: new Date(event.at).toISOString() };
  if (event.type === 'alert') json.since = new Date(event.since).toISOString();
  return json;
}

export interface EventsFileSinkOptions {
  /** A file path (appended to, created 0600), or a stream such as stderr. */
  destination: string | Writable | NodeJS.WritableStream;
}

export class EventsFileSink implements Sink {
  readonly name = 'events';
  readonly #destination: string | Writable | NodeJS.WritableStream;
  #file: WriteStream | undefined;
  #writer: LineWriter | undefined;
  #written = 0;
  #failed: Error | undefined;

  constructor(options: EventsFileSinkOptions) {
    this.#destination = options.destination;
  }

  start(): void {
    if (this.#writer !== undefined) return;
    let stream: Writable | NodeJS.WritableStream;
    if (typeof this.#destination === 'string') {
      this.#file = createWriteStream(this.#destination, { flags: 'a', mode: 0o600 });
      stream = this.#file;
    } else {
      stream = this.#destination;
    }
    this.#writer = LineWriter.acquire(stream);
    this.#writer.onError((error) => {
      this.#failed = error;
    });
  }

  event(event: PipelineEvent): void {
    if (this.#writer === undefined || !WRITTEN.has(event.type)) return;
    if (this.#failed !== undefined) throw this.#failed;
    this.#writer.writeLine(JSON.stringify(eventToJson(event)));
    this.#written++;
  }

  stats(): Record<string, unknown> {
    return { eventsWritten: this.#written };
  }

  async close(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    writer?.release();
    const file = this.#file;
    this.#file = undefined;
    if (file !== undefined) await new Promise<void>((resolve) => file.end(resolve));
  }
}
