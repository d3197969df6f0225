/**
 * The JSON API beside the page (GET only):
 *
 *   /api/targets                        { now, targets: TargetRow[] }: every target's current row
 *   /api/targets/NAME                   one target's row (404 when unknown)
 *   /api/targets/NAME/history?since=T   HistorySeries of the points at or after T (epoch ms or
 *                                       ISO 8601; default: all that is held)
 *
 * The history comes from memory (the last 600 points, one a second at most), and with
 * `--record` from the recording before that (`source: "recording"`): a long span is read in
 * round buckets (5 s, 1 min, 10 min, ...), each point the average over its bucket, so that the
 * recorded part has about 1,500 points whatever the span (recording-history.ts). No answer
 * has more than MAX_HISTORY_POINTS points: beyond, it is thinned evenly.
 *
 * NAME is URL-encoded (`encodeURIComponent`). Errors are `{ error }` with a 4xx status.
 */
import type { ServerResponse } from 'node:http';
import type { SinkContext } from '../pipeline/sink.js';
import { emptySeries, type HistorySeries, type HistorySource, SERIES_METRICS } from './history-source.js';

/** Points in one history answer at most; a longer recording is thinned evenly. */
export const MAX_HISTORY_POINTS = 3600;

export interface ApiDependencies {
  /** Undefined until the pipeline has started the sink. */
  readonly context: () => SinkContext | undefined;
  readonly history: HistorySource;
}

/** Answers `url` (a path under /api/). */
export async function handleApi(url: URL, response: ServerResponse, deps: ApiDependencies): Promise<void> {
  const context = deps.context();
  if (context === undefined) return sendJson(response, 503, { error: 'the dashboard is starting' });
  const parts = url.pathname.split('/').slice(2); // ['', 'api', ...]
  if (parts[0] !== 'targets' || parts.length > 3)
    return sendJson(response, 404, { error: 'no such endpoint' });
  if (parts.length === 1)
    return sendJson(response, 200, { now: context.clock.now(), targets: context.targets() });

  let name: string;
  try {
    name = decodeURIComponent(parts[1] ?? '');
  } catch {
    return sendJson(response, 400, { error: 'the target name is not valid URL encoding' });
  }
  const row = context.target(name);
  if (row === undefined) return sendJson(response, 404, { error: 'no such target' });
  if (parts.length === 2) return sendJson(response, 200, row);
  if (parts[2] !== 'history') return sendJson(response, 404, { error: 'no such endpoint' });

  const since = parseSince(url.searchParams.get('since'));
  if (since === undefined) {
    return sendJson(response, 400, {
      error: 'invalid since: expected epoch milliseconds or an ISO 8601 date, e.g. since=1764600000000',
    });
  }
  let series: HistorySeries | undefined;
  try {
    series = await deps.history.history(name, since);
  } catch (error) {
    context.logger.warn(
      `web: history of ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return sendJson(response, 500, { error: 'the history could not be read' });
  }
  return sendJson(response, 200, thin(series ?? emptySeries(name), MAX_HISTORY_POINTS));
}

function parseSince(value: string | null): number | undefined {
  if (value === null || value === '') return 0;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** Every k-th point (always keeping the last), so that no answer exceeds `max` points. */
export function thin(series: HistorySeries, max: number): HistorySeries {
  const length = series.t.length;
  if (length <= max) return series;
  const step = length / max;
  const keep: number[] = [];
  for (let k = 0; k < max - 1; k++) keep.push(Math.floor(k * step));
  keep.push(length - 1);
  const pick = <T>(column: readonly T[]): T[] => keep.map((index) => column[index] as T);
  const thinned: Record<string, unknown> = {
    target: series.target,
    source: series.source,
    t: pick(series.t),
  };
  for (const metric of SERIES_METRICS) thinned[metric] = pick(series[metric]);
  thinned.cores = series.cores.map(pick);
  return thinned as unknown as HistorySeries;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
