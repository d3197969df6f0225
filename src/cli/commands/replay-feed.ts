/**
 * The feed of `replay FILE`: a recording played through a pipeline of the command's sinks
 * (the same ones live watching assembles), on the recording's clock, so that every timer of
 * every sink (alert `for` durations, staleness, the dashboard's ages) runs in recorded time.
 *
 * When the recording ends, a run that only writes (line formats, files, deliveries) is over;
 * a run that shows or serves the state (`holds`: the dashboard, the web dashboard, the
 * Prometheus endpoint) keeps the final state on view, time standing still at the end of the
 * recording, until Ctrl-C (or `q`, or --duration). Alert deliveries alone keep real time:
 * they deal with the world outside the recording.
 */
import { type BaseFormatter, formatDuration } from '../../formatters/base-formatter.js';
import { JsonFormatter } from '../../formatters/json-formatter.js';
import type { Logger } from '../../logger.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import type { Sink, SinkContext } from '../../pipeline/sink.js';
import type { ReplayResult, ReplaySource } from '../../recording/replay-source.js';
import { systemClock } from '../../transport/clock.js';
import type { EndReason, RunFeed } from '../run.js';
import type { CommandSinks } from '../sinks.js';
import { sinkStatistics, targetBlocks } from '../statistics.js';

export interface ReplayFeedOptions {
  /** Names the recording in notices and statistics. */
  file: string;
  staleAfter: number;
  logger: Logger;
  /** Keep the final state on view after the end, until the run is ended otherwise. */
  holds: boolean;
  /** Where errors go, and the end of the recording when holding. */
  stderr: NodeJS.WritableStream;
  /** False while a full-screen view owns the terminal: the end is not written over it. */
  tellEnd: boolean;
}

const PROGRAM = 'monitoring-websocket-client';

/**
 * Sinks that deal with the world outside the recording (alert deliveries): their timeouts,
 * retries and resends are real time. On the recording's clock at --max-speed, a command
 * allowed 10 s would be killed as soon as 10 recorded seconds went by, a few milliseconds.
 */
const REAL_TIME_SINKS = new Set(['on-alert', 'webhook', 'alertmanager']);

/** Starts `sink` with the system clock in its context instead of the pipeline's. */
function onRealTime(sink: Sink): void {
  const start = sink.start;
  if (start === undefined) return;
  sink.start = (context: SinkContext) => start.call(sink, { ...context, clock: systemClock });
}

export class ReplayFeed implements RunFeed {
  readonly #source: ReplaySource;
  readonly #options: ReplayFeedOptions;
  readonly #stop = new AbortController();
  #pipeline: Pipeline | undefined;
  #playing: Promise<void> | undefined;
  #result: ReplayResult | undefined;
  #startedAt = 0;
  #endedAt: number | undefined;

  constructor(source: ReplaySource, options: ReplayFeedOptions) {
    this.#source = source;
    this.#options = options;
  }

  attach(sinks: Sink[]): void {
    for (const sink of sinks) if (REAL_TIME_SINKS.has(sink.name)) onRealTime(sink);
    this.#pipeline = new Pipeline({
      sinks,
      clock: this.#source.clock,
      logger: this.#options.logger,
      staleAfter: this.#options.staleAfter,
    });
  }

  start(end: (why: EndReason) => void): void {
    const pipeline = this.#pipeline;
    if (pipeline === undefined) throw new Error('ReplayFeed.start before attach');
    this.#startedAt = performance.now();
    this.#playing = (async () => {
      await pipeline.start();
      const result = await this.#source.play(pipeline, { signal: this.#stop.signal });
      this.#result = result;
      this.#endedAt = performance.now();
      if (result.aborted) return;
      if (!this.#options.holds) {
        end('replayed');
        return;
      }
      this.#options.logger.info(`replay: end of ${this.#options.file}; showing its final state`);
      if (this.#options.tellEnd)
        this.#options.stderr.write(
          `» end of the recording (${result.frames} frames, ${formatDuration(result.recordedMs / 1000)} recorded): showing its final state until Ctrl-C\n`,
        );
    })().catch((error: unknown) => {
      // A file that turns out unreadable half-way (cut, corrupted): one line, exit 1.
      const message = error instanceof Error ? error.message : String(error);
      this.#options.logger.error(`replay failed: ${message}`);
      this.#options.stderr.write(`${PROGRAM}: error: replay: ${message}\n`);
      end('failed');
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#playing;
    await this.#pipeline?.close();
    this.#source.close();
  }

  /** `--stats`: each target as the replay left it, then what was replayed. */
  statistics(sinks: CommandSinks, formatter: BaseFormatter): string {
    const pipeline = this.#pipeline;
    if (pipeline === undefined) return '';
    const sinkErrors = pipeline.statistics().reduce((sum, sink) => sum + sink.errors, 0);
    const recordsDisplayed = sinks.display?.recordsDisplayed ?? pipeline.counts().accepted;
    const perTarget = pipeline.targets().map((row) => ({
      name: row.name,
      stats: {
        messagesReceived: row.messages,
        invalidMessages: row.invalidMessages,
        reconnectAttempts: row.reconnects,
        lastMessageAt: row.lastMessageAt,
        dataQualityWarnings: pipeline.dataQualityWarnings(row.name),
        callbackErrors: sinkErrors,
      },
    }));
    const result = this.#result;
    const replay = {
      replayed: this.#options.file,
      replaySpeed: this.#source.speed === 'max' ? 'max' : `${this.#source.speed}x`,
      framesReplayed: result?.frames ?? 0,
      eventsReplayed: result?.events ?? 0,
      recordedSpan: formatDuration((result?.recordedMs ?? 0) / 1000),
      replayedIn: `${(((this.#endedAt ?? performance.now()) - this.#startedAt) / 1000).toFixed(2)} s`,
    };
    const shared = sinkStatistics(sinks);
    if (formatter instanceof JsonFormatter) {
      return formatter.formatStatistics({
        targets: Object.fromEntries(perTarget.map(({ name, stats }) => [name, stats])),
        recordsDisplayed,
        ...replay,
        ...shared,
      });
    }
    if (perTarget.length === 1) {
      return formatter.formatStatistics({ ...perTarget[0]!.stats, recordsDisplayed, ...shared, ...replay });
    }
    const blocks = targetBlocks(formatter, perTarget);
    blocks.push(
      formatter
        .formatStatistics({ recordsDisplayed, ...shared, ...replay })
        .replace('=== Statistics ===', '=== Replay ==='),
    );
    return blocks.join('\n');
  }
}
