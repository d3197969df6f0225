/**
 * Durations as people write them in alert rules: `30s`, `500ms`, `5m`, `1h`, `1m30s`, or a
 * bare number of seconds (`15`), the unit every other option of this package uses.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const BARE_SECONDS = /^\d+(?:\.\d+)?$/;

/** What {@link parseDuration} accepts, for error messages. */
export const DURATION_SYNTAX = 'a duration such as 30s, 500ms, 5m, 1h or 1m30s';

/** Milliseconds of `text`, or undefined when it is not a duration. Never throws. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (BARE_SECONDS.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (!WHOLE.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  return Math.round(ms);
}

/** `90000` → `1m30s`, `500` → `500ms`: the shortest exact spelling, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}
