/**
 * The protocol's timestamp: ISO 8601 local time with six fraction digits and no zone, as
 * Python's `datetime.now().isoformat()` writes it (`2026-11-25T16:46:29.042542`).
 */
import type { WireTimestamp } from '../protocol/messages.js';

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Formats a time in the machine's local zone.
 *
 * Unlike Python, the fraction always has six digits (Python drops it when it is exactly 0),
 * so every timestamp has one shape. The wall clock of JavaScript counts milliseconds: for
 * `Date.now()` the last three digits are 0; a fractional `epochMs` fills them.
 * @param epochMs milliseconds since the epoch; may have a fraction (microseconds).
 */
export function formatLocalTimestamp(epochMs: number): WireTimestamp {
  const wholeMs = Math.floor(epochMs);
  const date = new Date(wholeMs);
  // Rounded, not floored: at today's epoch a double keeps only ~0.2 µs of the fraction.
  const subMicros = Math.min(999, Math.round((epochMs - wholeMs) * 1000));
  const micros = date.getMilliseconds() * 1000 + subMicros;
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}` +
    `T${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}` +
    `.${pad(micros, 6)}`
  );
}
