/**
 * The message every benchmark sends: the real server's `monitoring_data` sample
 * (test/fixtures/real-server/monitoring_data.json) as the Python server puts it on the wire,
 * that is `json.dumps` with its default separators (`", "` and `": "`), floats such as `0.0`
 * kept as written.
 */
import { readFileSync } from 'node:fs';

const FIXTURE = new URL('../test/fixtures/real-server/monitoring_data.json', import.meta.url);

/** The real-dialect `monitoring_data` text (about 720 bytes). */
export function realDialectText(): string {
  // The fixture is indented JSON of the same message: folding its line breaks gives back the
  // wire form byte for byte (no string in it holds a line break).
  return readFileSync(FIXTURE, 'utf8')
    .trim()
    .replace(/,\n\s*/g, ', ')
    .replace(/\n\s*/g, '');
}

/** Digits of a send time in microseconds since the epoch (16 until the year 2286). */
export const SENT_AT_DIGITS = 16;

/**
 * The same message with `"sent_at_us": <16 digits>` first, for the latency benchmark; the
 * server overwrites the zeros in place (see flood-server.ts).
 */
export function withSentAtPlaceholder(text: string): { payload: string; digitsAt: number } {
  const field = '{"sent_at_us": ';
  return { payload: `${field}${'0'.repeat(SENT_AT_DIGITS)}, ${text.slice(1)}`, digitsAt: field.length };
}

/** Milliseconds from the server's send time in `message` until now. */
export function latencyMs(message: object): number {
  return preciseNow() - (message as { sent_at_us: number }).sent_at_us / 1000;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
