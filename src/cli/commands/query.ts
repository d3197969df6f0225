/**
 * `monitoring-websocket-client query FILE ...`: asks a recording (see src/recording/) for
 * snapshots, buckets, its targets or its events, and prints them as a table, CSV, JSON or
 * JSON Lines. A command of its own, with its own flags; `run()` hands it the arguments after
 * the word `query`.
 *
 * Exit codes: 0 answered; 1 the file could not be read (I/O); 2 bad arguments, a missing
 * file, a file that is not a recording, an unknown metric, target or aggregate (one line).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_STALE_AFTER } from '../../pipeline/target-table.js';
import { DURATION_HELP, parseDuration, parseTimePoint, TIME_HELP } from '../../recording/duration.js';
import { DEFAULT_QUERY_METRICS } from '../../recording/metrics.js';
import {
  AGGREGATES,
  type Aggregate,
  listEvents,
  listTargets,
  metricNames,
  queryRecording,
} from '../../recording/query.js';
import { RecordingError } from '../../recording/recording-error.js';
import { OUTPUT_FORMATS, type OutputFormat, type RenderColumn, renderRows } from '../../recording/render.js';
import type { CliIo } from '../run.js';

const PROGRAM = 'monitoring-websocket-client';

export interface QueryIo extends CliIo {
  /** "Now" for durations such as `--since 1h`. Default `Date.now`. */
  now?: () => number;
}

interface QueryFlags {
  target: string[];
  metric: string[];
  since?: string;
  until?: string;
  every?: string;
  agg: string[];
  format: OutputFormat;
  targets: boolean;
  events: boolean;
  gap?: string;
}

const EXAMPLES = `
Examples:
  ${PROGRAM} query rec.db                                 every snapshot: time, target, cpu, memory, disk
  ${PROGRAM} query rec.db --target gpu-3 --since 2026-11-25T01:30 --until 2026-11-25T02:30 --metric cpu
  ${PROGRAM} query rec.db --since 1h --every 1m --agg avg,max,p95 -f csv > last-hour.csv
  ${PROGRAM} query rec.db --targets                       the targets, first and last seen
  ${PROGRAM} query rec.db --events --since 1d             disconnections, gaps and alerts

Metrics: ${metricNames().join(', ')}
Times: --since/--until take ${TIME_HELP}; a range is since <= time < until.
Buckets: --every starts each bucket at a whole multiple of its width (1m: each minute, UTC).
`;

/** A commander value parser that splits `a,b` and accumulates repeated flags. */
function list(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  ];
}

function repeat(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function createQueryProgram(io: QueryIo): Command {
  return new Command('query')
    .name(`${PROGRAM} query`)
    .description('Ask a recording (made with --record) for metrics, buckets, targets or events.')
    .argument('<file>', 'the recording (a SQLite file written by --record)')
    .option('--target <name>', 'only this target (repeatable)', repeat, [])
    .option(
      '--metric <names>',
      `metrics, comma-separated (default: ${DEFAULT_QUERY_METRICS.join(',')})`,
      list,
      [],
    )
    .option('--since <time>', 'from this time on: a duration back from now (1h) or an ISO time')
    .option('--until <time>', 'before this time: a duration back from now or an ISO time')
    .option('--every <duration>', 'one row per bucket of this width (1m, 15m, 1h) instead of per snapshot')
    .option(
      '--agg <names>',
      `aggregates per bucket, comma-separated: ${AGGREGATES.join(',')} (default: avg)`,
      list,
      [],
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--targets', 'list the recorded targets, first and last seen', false)
    .option('--events', 'list connection events, gaps in the data and alerts', false)
    .option('--gap <duration>', `with --events: silence counted as a gap (default: ${DEFAULT_STALE_AFTER}s)`)
    .helpOption('-h, --help', 'print this help and exit')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.startsWith('error:') ? `${PROGRAM}: ${text}` : text),
    });
}

/** Runs `query` with `argv` (the arguments after the word `query`). Resolves to the exit code. */
export async function runQuery(argv: string[], io: QueryIo): Promise<number> {
  const program = createQueryProgram(io);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const file = program.args[0]!;
  const flags = program.opts<QueryFlags>();
  const now = (io.now ?? Date.now)();
  try {
    const output = answer(file, flags, now);
    await write(io.stdout, output);
    return 0;
  } catch (error) {
    if (error instanceof InvalidArgumentError || error instanceof RecordingError) {
      io.stderr.write(`${PROGRAM}: error: ${error.message}\n`);
      return error instanceof RecordingError && error.code === 'RECORDING_FAILED' ? 1 : 2;
    }
    throw error;
  }
}

function answer(file: string, flags: QueryFlags, now: number): string {
  const since = timeFlag('--since', flags.since, now);
  const until = timeFlag('--until', flags.until, now);
  const targets = flags.target.length > 0 ? flags.target : undefined;
  if (flags.targets && flags.events) throw new InvalidArgumentError('give --targets or --events, not both');
  if (flags.targets) {
    const columns: RenderColumn[] = [
      { name: 'target', kind: 'text' },
      { name: 'uri', kind: 'text' },
      { name: 'labels', kind: 'json' },
      { name: 'first_seen', kind: 'time' },
      { name: 'last_seen', kind: 'time' },
      { name: 'snapshots', kind: 'count' },
    ];
    const rows = listTargets(file)
      .filter((t) => targets === undefined || targets.includes(t.name))
      .map((t) => ({
        target: t.name,
        uri: t.uri,
        labels: t.labels,
        first_seen: t.firstSeen,
        last_seen: t.lastSeen,
        snapshots: t.snapshots,
      }));
    return renderRows(columns, rows, flags.format);
  }
  if (flags.events) {
    const gap = flags.gap === undefined ? undefined : durationFlag('--gap', flags.gap);
    const events = listEvents(file, {
      ...(targets ? { targets } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(gap !== undefined ? { gapAfter: gap } : {}),
    });
    const columns: RenderColumn[] = [
      { name: 'time', kind: 'time' },
      { name: 'target', kind: 'text' },
      { name: 'type', kind: 'text' },
      { name: 'summary', kind: 'text' },
      ...(flags.format === 'json' || flags.format === 'jsonl'
        ? [{ name: 'detail', kind: 'json' as const }]
        : []),
    ];
    return renderRows(columns, events as unknown as Record<string, unknown>[], flags.format);
  }
  if (flags.gap !== undefined) throw new InvalidArgumentError('--gap goes with --events');
  const every = flags.every === undefined ? undefined : durationFlag('--every', flags.every);
  if (flags.agg.length > 0 && every === undefined) {
    throw new InvalidArgumentError('--agg needs buckets: give --every as well (for example --every 1m)');
  }
  const result = queryRecording(file, {
    ...(targets ? { targets } : {}),
    ...(flags.metric.length > 0 ? { metrics: flags.metric } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(every !== undefined ? { every } : {}),
    ...(flags.agg.length > 0 ? { aggregates: flags.agg as Aggregate[] } : {}),
  });
  return renderRows(result.columns, result.rows, flags.format);
}

function timeFlag(flag: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const time = parseTimePoint(value, now);
  if (time === undefined)
    throw new InvalidArgumentError(`invalid ${flag}: ${JSON.stringify(value)} (expected ${TIME_HELP})`);
  return time;
}

function durationFlag(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new InvalidArgumentError(`invalid ${flag}: ${JSON.stringify(value)} (expected ${DURATION_HELP})`);
  }
  return ms;
}

/** Writes `text` and waits for it to be taken, so that a large answer to a pipe is complete at exit. */
function write(stream: CliIo['stdout'], text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === '') resolve();
    // Resolves on error too (a closed pipe): there is no one left to tell.
    else stream.write(text, () => resolve());
  });
}
