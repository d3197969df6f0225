/**
 * The saved-data line format: one JSON object per line (JSON Lines), as the README's "Saved
 * data" section documents it, byte for byte:
 *
 *   {"received_at":"2026-11-25T15:46:29.043Z","message":{...the frame as received...}}
 *   {"received_at":"...","invalid":"not_json","raw":"hello"}
 *   {"received_at":"...","event":"disconnected","target":"web1","code":1006,"reason":"..."}
 *
 * A frame's line embeds the frame's own text (same digits, same escapes), so the hot path is
 * one template string; a frame of several targets carries `"target"` after `received_at`.
 * Connection events (connected, disconnected, reconnecting, gave up) are lines too, so that a
 * saved session shows its gaps; they always name their target.
 */

import type { PipelineEvent } from '../pipeline/events.js';
import type { InvalidFrameReason, ReceivedFrame } from '../protocol/frame.js';

/** The connection events that are saved. */
export const SAVED_EVENTS = ['connected', 'disconnected', 'reconnecting', 'gave_up'] as const;
export type SavedEventName = (typeof SAVED_EVENTS)[number];

/**
 * One saved line, parsed: a frame, or a connection event when `event` is set (see
 * {@link isSavedEvent}). One shape for both, so that code written for frames reads on.
 */
export interface SavedRecord {
  /** Time of receipt (of the frame, or of the event), ISO 8601 UTC with milliseconds. */
  received_at: string;
  /** The target: on every event, and on frames only in a session of several targets. */
  target?: string;
  // ---- frames
  /** The message exactly as received: for a valid frame, and for `not_object`. */
  message?: unknown;
  /** Why the frame was not a valid message; absent for a valid one. */
  invalid?: InvalidFrameReason;
  /** The text of a `not_json` frame (or of a frame with Python's NaN, as received). */
  raw?: string;
  /** The bytes of a `binary` frame, base64. */
  raw_base64?: string;
  /** Size in bytes of a `too_large` frame (its content was never read). */
  size?: number;
  // ---- connection events
  /** The event; absent on a frame. */
  event?: SavedEventName;
  /** `connected`: the URI (without credentials). */
  uri?: string;
  /** `connected`, `reconnecting`: the attempt number. */
  attempt?: number;
  /** `disconnected`: the close code. */
  code?: number;
  /** `disconnected`: the close reason; `gave_up`: why it stopped. */
  reason?: string;
  /** `disconnected`: whether the client goes on trying. */
  will_reconnect?: boolean;
  /** `reconnecting`: milliseconds until the next attempt, and the limit (null: none). */
  delay_ms?: number;
  max_attempts?: number | null;
  /** `reconnecting`: why the last attempt failed. */
  last_error?: string;
  /** `gave_up`: attempts made since the last healthy connection. */
  attempts?: number;
}

/** A saved connection event. */
export interface SavedEventRecord extends SavedRecord {
  event: SavedEventName;
  target: string;
}

/** True for a saved connection event. */
export function isSavedEvent(record: SavedRecord): record is SavedEventRecord {
  return typeof record.event === 'string';
}

// '000Z' .. '999Z': the millisecond part of a timestamp, looked up instead of formatted.
const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);
// Range of a valid Date.
const MAX_TIME = 8.64e15;
const LINE_BREAKS = /[\r\n]/g;

/** JSON text on one line: in valid JSON a CR or LF can only be whitespace between tokens. */
function oneLine(json: string): string {
  // indexOf is about ten times faster than a regular expression test on a typical frame.
  return json.indexOf('\n') === -1 && json.indexOf('\r') === -1 ? json : json.replace(LINE_BREAKS, ' ');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the lines. Keeps one cache: the formatted second of the last timestamp, since Date
 * formatting per line would cost more than the rest of the line.
 */
export class LineFormat {
  #isoSecond = Number.NaN;
  #isoPrefix = '';

  /** ISO 8601 UTC with milliseconds; a time outside the range of a Date is taken as now. */
  isoTime(receivedAt: number): string {
    let ms = receivedAt;
    if (!(ms >= -MAX_TIME && ms <= MAX_TIME)) ms = Date.now();
    ms = Math.floor(ms);
    const second = Math.floor(ms / 1000);
    if (second !== this.#isoSecond) {
      this.#isoSecond = second;
      // Everything but "mmmZ".
      this.#isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    }
    return this.#isoPrefix + MILLISECONDS[ms - second * 1000];
  }

  /**
   * The line of one frame, with its line break. `target`, when given, is written after
   * `received_at` (sessions of several targets); without it the line is the documented one.
   */
  frameLine(frame: ReceivedFrame, target?: string): string {
    const head =
      target === undefined
        ? `{"received_at":"${this.isoTime(frame.receivedAt)}"`
        : `{"received_at":"${this.isoTime(frame.receivedAt)}","target":${JSON.stringify(target)}`;
    switch (frame.invalidReason) {
      case undefined:
        // parseFrame sets `message` for every valid frame; a frame built by hand is checked.
        if (frame.repairedJson !== undefined) {
          // Python's NaN/Infinity: the line keeps valid JSON (null) and the text as received.
          return `${head},"message":${oneLine(frame.repairedJson)},"raw":${JSON.stringify(frame.raw)}}\n`;
        }
        if (frame.message !== undefined || isJson(frame.raw)) {
          return `${head},"message":${oneLine(frame.raw)}}\n`;
        }
        return `${head},"invalid":"not_json","raw":${JSON.stringify(frame.raw)}}\n`;
      case 'not_json':
        return `${head},"invalid":"not_json","raw":${JSON.stringify(frame.raw)}}\n`;
      case 'not_object':
        // JSON only once Python's NaN/Infinity are read as null ("NaN", "[Infinity]"): kept as text.
        if (!isJson(frame.raw)) return `${head},"invalid":"not_object","raw":${JSON.stringify(frame.raw)}}\n`;
        return `${head},"invalid":"not_object","message":${oneLine(frame.raw)}}\n`;
      case 'binary':
        return `${head},"invalid":"binary","raw_base64":${JSON.stringify(frame.raw)}}\n`;
      case 'too_large':
        return `${head},"invalid":"too_large","size":${Number(frame.size) || 0}}\n`;
      default:
        return `${head},"invalid":${JSON.stringify(String(frame.invalidReason))},"raw":${JSON.stringify(String(frame.raw))}}\n`;
    }
  }

  /** The line of a connection event, or undefined for an event that is not saved. */
  eventLine(event: PipelineEvent): string | undefined {
    let fields: Record<string, unknown>;
    switch (event.type) {
      case 'connected':
        fields = { uri: event.uri, attempt: event.attempt };
        break;
      case 'disconnected':
        fields = { code: event.code, reason: event.reason, will_reconnect: event.willReconnect };
        break;
      case 'reconnecting':
        fields = {
          attempt: event.attempt,
          delay_ms: event.delayMs,
          max_attempts: event.maxAttempts,
          last_error: event.lastError,
        };
        break;
      case 'gave_up':
        fields = { attempts: event.attempts, reason: event.message };
        break;
      default:
        return undefined;
    }
    const record = {
      received_at: this.isoTime(event.at),
      event: event.type,
      target: event.target,
      ...fields,
    };
    return `${JSON.stringify(record)}\n`;
  }
}
