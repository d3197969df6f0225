/**
 * The `influx` format: InfluxDB line protocol, one point per record, for `influx write`,
 * Telegraf's `inputs.execd`/`inputs.tail` and anything else that reads it:
 *
 *   monitoring,host=vm,target=web-1 alerts=0i,cpu_usage_percent=45.2,memory_used_bytes=8804682956i 1764089185043000000
 *
 * - measurement `monitoring`; tags `host` and `target` (the snapshot's source), each left
 *   out when unknown (the protocol has no empty tag value);
 * - fields: `alerts` (how many the server raised: always there, so every record is a point),
 *   one per number of {@link NUMERIC_FIELDS} the server sent (amounts integers, with the `i`
 *   suffix; the rest floats), `disk_path` and `gpu_name` as strings; a value the server did
 *   not send is left out, never 0;
 * - the timestamp is when the client received the message, in nanoseconds: the servers send
 *   local time without a zone, which cannot be placed on a time line.
 *
 * Escaping follows the protocol: in tag keys and values, `,`, `=` and space take a
 * backslash; in string fields, `"` and `\`. The protocol cannot carry a line break (strings
 * of a snapshot have none: they are made terminal-safe first), nor a tag value ending with a
 * backslash (it would escape the next separator): such trailing backslashes are dropped.
 */
import type { ParsedMessage } from '../protocol/frame.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import { BaseFormatter, type FormatterOptions } from './base-formatter.js';
import { fieldText, NUMERIC_FIELDS } from './record-fields.js';

/** Name of the measurement of every point. */
export const INFLUX_MEASUREMENT = 'monitoring';

const TAG_SPECIAL = /[,= ]/g;
const TRAILING_BACKSLASHES = /\\+$/;
const STRING_SPECIAL = /["\\]/g;

/** A tag key or value as the protocol wants it; `''` when nothing usable is left. */
export function escapeInfluxTag(text: string): string {
  return sanitizeForTerminal(text).replace(TRAILING_BACKSLASHES, '').replace(TAG_SPECIAL, '\\$&');
}

/** A string field value, quotes included. */
export function quoteInfluxString(text: string): string {
  return `"${sanitizeForTerminal(text).replace(STRING_SPECIAL, '\\$&')}"`;
}

export class InfluxFormatter extends BaseFormatter {
  #lastSource: string | undefined;
  #lastSourceTag = '';

  constructor(options: FormatterOptions = {}) {
    // Data for programs: never coloured.
    super({ ...options, color: false });
  }

  /** One point; the `alerts` field is always there, so a message without any usable number is still a point. */
  formatMonitoringData(snapshot: MonitoringSnapshot, _message?: ParsedMessage): string {
    // Tags in key order, as InfluxDB prefers them.
    let line = INFLUX_MEASUREMENT;
    const host = snapshot.hostname ?? snapshot.system?.hostname;
    if (host !== undefined) {
      const value = escapeInfluxTag(host);
      if (value !== '') line += `,host=${value}`;
    }
    line += `${this.#targetTag(snapshot.source)} alerts=${snapshot.alerts.length}i`;
    for (const field of NUMERIC_FIELDS) {
      const text = fieldText(field, field.read(snapshot));
      if (text !== undefined) line += `,${field.name}=${text}${field.kind === 'integer' ? 'i' : ''}`;
    }
    if (snapshot.disk.path !== undefined) line += `,disk_path=${quoteInfluxString(snapshot.disk.path)}`;
    if (snapshot.gpu?.name !== undefined) line += `,gpu_name=${quoteInfluxString(snapshot.gpu.name)}`;
    const at = snapshot.receivedAt;
    // Without a timestamp InfluxDB uses its own clock: better than an invalid line.
    return Number.isFinite(at) ? `${line} ${nanoseconds(at)}` : line;
  }

  /** `,target=...`, remembered: the records of one target follow each other. */
  #targetTag(source: string | undefined): string {
    if (source === undefined) return '';
    if (source !== this.#lastSource) {
      const value = escapeInfluxTag(source);
      this.#lastSource = source;
      this.#lastSourceTag = value === '' ? '' : `,target=${value}`;
    }
    return this.#lastSourceTag;
  }
}

/** Epoch milliseconds as epoch nanoseconds, in digits (beyond 2^53: not a JavaScript number). */
function nanoseconds(epochMs: number): string {
  const ms = Math.round(epochMs);
  return ms === 0 ? '0' : `${ms}000000`;
}
