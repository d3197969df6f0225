/**
 * Durations and points in time as people type them: `90s`, `15m`, `1h30m`, `7d`, and ISO 8601
 * times. Used by `--retention`, `--since`/`--until` and `--every`. Pure functions.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** One or more `<number><unit>` parts, largest first by habit but in any order: `1h30m`, `1.5h`. */
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** What a duration may look like, for error messages. */
export const DURATION_HELP = 'a duration such as 30s, 15m, 1h30m, 7d (units: ms, s, m, h, d, w)';

/** Milliseconds of `text` (`90s`, `1h30m`, `2d`), or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** What a point in time may look like, for error messages. */
export const TIME_HELP =
  'a duration back from now such as 1h or 30m, or an ISO 8601 time such as 2026-11-25T02:00:00Z';

/**
 * Epoch ms of `text`: a duration counts back from `now` (`1h` is an hour ago), anything else
 * must be an ISO 8601 date or time (`2026-11-25T02:00Z`, `2026-11-25T02:00+01:00`); as `Date`
 * reads them, a time without a zone is local time and a date alone is midnight UTC.
 * Undefined when it is neither.
 */
export function parseTimePoint(text: string, now: number): number | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  const trimmed = text.trim();
  // Date.parse also takes "March 7" and "1": only ISO-looking text is a time here.
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i.test(trimmed)) {
    return undefined;
  }
  const ms = Date.parse(trimmed.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}

/** `90000` → `1m30s`: the shortest exact form, for messages and listings. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.abs(Math.round(ms));
  let out = ms < 0 ? '-' : '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]!;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
