/**
 * The `json` format (each message indented by {@link JSON_INDENT_LEVEL}, as in the
 * documentation) and `jsonl` (one compact line per message, for pipes such as `| jq`).
 * Messages are printed as received; notices, errors, alerts and statistics become JSON
 * objects too, so that a consumer only ever reads JSON. Never coloured.
 *
 * JSON.stringify escapes only the C0 controls: the C1 controls and the Unicode
 * bidirectional overrides that a terminal would obey are escaped here as `\uXXXX`, which
 * keeps the JSON valid and the data intact.
 */
import { JSON_INDENT_LEVEL } from '../config.js';
import type { ParsedMessage } from '../protocol/frame.js';
import { cutNotice } from '../protocol/sanitize.js';
import type { AlertSnapshot, MonitoringSnapshot } from '../protocol/snapshot.js';
import { BaseFormatter, errorText, type FormatterOptions } from './base-formatter.js';
import { indentJson } from './json-indent.js';

// Also the invisible characters (soft hyphen, zero-width ones, word joiner, BOM, tag
// characters as their surrogate pairs), so that what a terminal shows is what the JSON holds.
const TERMINAL_UNSAFE =
  /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/;
const TERMINAL_UNSAFE_ALL = new RegExp(TERMINAL_UNSAFE.source, 'g');

function unicodeEscape(characters: string): string {
  let escaped = '';
  for (let i = 0; i < characters.length; i++) {
    escaped += `\\u${characters.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return escaped;
}

/**
 * `json` with DEL, the C1 controls, U+2028/U+2029, the bidi controls and the invisible
 * characters escaped as `\uXXXX`. Inside JSON text such characters can only be in strings, where the escape means
 * the same character.
 */
export function escapeJsonForTerminal(json: string): string {
  // Almost every message is ASCII, where DEL is the only character of the set: two native
  // scans (its UTF-8 length, then DEL) say so about six times faster than the expression.
  if (Buffer.byteLength(json, 'utf8') === json.length && !json.includes('\u007f')) return json;
  return TERMINAL_UNSAFE.test(json) ? json.replace(TERMINAL_UNSAFE_ALL, unicodeEscape) : json;
}

/** Errors become `{name, message, code}` rather than `{}`; bigints become strings. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    return out;
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

// Also tabs: JSON whitespace, but a control character the terminal acts on.
const LINE_BREAK = /[\r\n\t]/;

export interface JsonFormatterOptions extends FormatterOptions {
  /** Spaces of indentation; 0 prints each record on one line. @default JSON_INDENT_LEVEL (2) */
  indent?: number;
}

export class JsonFormatter extends BaseFormatter {
  /** Spaces of indentation; 0 for one line per record. */
  readonly indent: number;

  constructor(options: JsonFormatterOptions = {}) {
    // JSON is for machines: never coloured, whatever the option says.
    super({ ...options, color: false });
    const indent = options.indent ?? JSON_INDENT_LEVEL;
    this.indent = Number.isFinite(indent) && indent > 0 ? Math.min(10, Math.floor(indent)) : 0;
  }

  /**
   * The message as received: with `jsonl`, its very text when `raw` is given (byte for byte,
   * and no re-serialization); with `json`, that text indented, numbers kept as written. With
   * `showSource`, the record is wrapped: `{"source": NAME, "message": FRAME}`.
   */
  formatMonitoringData(snapshot: MonitoringSnapshot, message: ParsedMessage, raw?: string): string {
    const value = message === undefined ? snapshot : message;
    const wrapped = this.showSource && snapshot.source !== undefined && snapshot.source !== '';
    const margin = wrapped && this.indent > 0 ? ' '.repeat(this.indent) : '';
    const asReceived = raw !== undefined && raw.charCodeAt(0) === 0x7b;
    // Escaped before indenting: indentation adds no character to escape, and the scan is
    // shorter on the text as received.
    let json: string;
    try {
      if (this.indent === 0) {
        json = escapeJsonForTerminal(asReceived && !LINE_BREAK.test(raw) ? raw : JSON.stringify(value));
      } else {
        json = indentJson(
          escapeJsonForTerminal(asReceived ? raw : JSON.stringify(value)),
          this.indent,
          margin,
        );
      }
    } catch {
      // JSON.stringify recurses: a message nested some thousands deep overflows the stack
      // (JSON.parse took it). Its normalized snapshot is flat, and says what it means.
      const flat = escapeJsonForTerminal(JSON.stringify(snapshot));
      json = this.indent > 0 ? indentJson(flat, this.indent, margin) : flat;
    }
    if (!wrapped) return json;
    const label = escapeJsonForTerminal(JSON.stringify(snapshot.source));
    return this.indent > 0
      ? `{\n${margin}"source": ${label},\n${margin}"message": ${json}\n}`
      : `{"source":${label},"message":${json}}`;
  }

  /** `{"type":"connection","message":...,"timestamp":...}`. */
  override formatConnectionMessage(message: string, timestamp?: string, source?: string): string {
    return this.stringify({
      type: 'connection',
      message: cutNotice(message),
      timestamp,
      source: this.sourceOf(source),
    });
  }

  /** `{"type":"error","severity":"error","message":...}`, with the error's `code` when it has one. */
  override formatError(error: string | Error, severity?: string, source?: string): string {
    const message = cutNotice(errorText(error));
    const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
    return this.stringify({
      type: 'error',
      severity: severity === undefined || severity === '' ? 'error' : severity,
      message,
      code,
      source: this.sourceOf(source),
    });
  }

  /** The statistics object itself, so that `jq .messagesReceived` works. */
  override formatStatistics(stats: object): string {
    return this.stringify(stats);
  }

  /** `{"type":"alerts","alerts":[...]}`; `''` when there are none. */
  override formatAlerts(alerts: readonly AlertSnapshot[], source?: string): string {
    if (alerts.length === 0) return '';
    return this.stringify({ type: 'alerts', source: this.sourceOf(source), alerts });
  }

  /** `{"type":"notice","message":...}`. */
  override formatNotice(text: string, source?: string): string {
    return this.stringify({ type: 'notice', message: cutNotice(text), source: this.sourceOf(source) });
  }

  /** JSON of `value` in this format's layout, safe for a terminal. Undefined members are left out. */
  protected stringify(value: unknown): string {
    const json =
      this.indent > 0 ? JSON.stringify(value, replacer, this.indent) : JSON.stringify(value, replacer);
    return escapeJsonForTerminal(json ?? 'null');
  }

  private sourceOf(source: string | undefined): string | undefined {
    return this.showSource && source !== '' ? source : undefined;
  }
}

/** The `jsonl` format: {@link JsonFormatter} on one line per record. */
export class JsonLinesFormatter extends JsonFormatter {
  constructor(options: FormatterOptions = {}) {
    super({ ...options, indent: 0 });
  }
}
