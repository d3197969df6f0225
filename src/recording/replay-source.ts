/**
 * Replay: a recording (SQLite or save-data) fed through a pipeline as if it were live, at
 * the recorded pace times `speed`, or as fast as the sinks take it. Build the pipeline on the
 * source's clock, so that it lives in the recording's time (see replay-clock.ts):
 *
 *   const source = await ReplaySource.open('session.db', { speed: 2 });
 *   const pipeline = new Pipeline({ sinks, clock: source.clock });
 *   await pipeline.start();
 *   const result = await source.play(pipeline, { signal });
 *   await pipeline.close();
 *   source.close();
 *
 * Each frame goes through `pipeline.receive(target, parseFrame(raw, ..., recordedTime))`, so
 * every sink sees what it would have seen live: the same text, the same receive time. Each
 * target is announced (`target_added`) before its first item. At full speed the replay
 * waits while a sink is congested (a full pipe), and yields to the event loop between pages,
 * so output drains and signals are heard.
 */

import { InvalidOptionError } from '../errors.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { parseFrame, type ReceivedFrame } from '../protocol/frame.js';
import { type Clock, systemClock, type TimerHandle } from '../transport/clock.js';
import {
  type FrameItem,
  openRecordingReader,
  type RecordedTarget,
  type RecordingReader,
  type RecordingReaderOptions,
} from './recording-reader.js';
import { ReplayClock, type ReplaySpeed } from './replay-clock.js';

export interface ReplaySourceOptions extends RecordingReaderOptions {
  /** Recorded time per real time (2: twice as fast), or `'max'`: as fast as possible. Default 1. */
  speed?: ReplaySpeed;
  /** The real clock the pace is kept on. Default: the system clock. */
  clock?: Clock;
}

/** What a pipeline must offer a replay: the Pipeline class has it all. */
export type ReplayTarget = Pick<Pipeline, 'emit' | 'receive' | 'congested' | 'onCongestion'>;

export interface ReplayResult {
  /** Frames handed to the pipeline. */
  frames: number;
  /** Events handed to the pipeline (target announcements included). */
  events: number;
  /** True when the signal ended the replay before the end of the recording. */
  aborted: boolean;
  /** Recorded time covered, first to last item, in ms. */
  recordedMs: number;
}

/** Most items handed over at full speed before the replay lets the event loop run. */
const ITEMS_PER_TURN = 256;

export class ReplaySource {
  /** The pipeline's clock for this replay: the recording's time. */
  readonly clock: ReplayClock;
  readonly #reader: RecordingReader;
  readonly #base: Clock;
  #playing = false;

  private constructor(reader: RecordingReader, speed: ReplaySpeed, base: Clock) {
    this.#reader = reader;
    this.#base = base;
    this.clock = new ReplayClock(speed, reader.firstAt ?? base.now(), base);
  }

  /**
   * Opens a recording for replay.
   * @throws InvalidOptionError for a speed that is not a positive number or `'max'`.
   * @throws RecordingError when the file is missing or is not a recording.
   */
  static async open(path: string, options: ReplaySourceOptions = {}): Promise<ReplaySource> {
    const speed = options.speed ?? 1;
    if (speed !== 'max' && !(typeof speed === 'number' && Number.isFinite(speed) && speed > 0)) {
      throw new InvalidOptionError('speed', speed, "a positive number, or 'max'");
    }
    const reader = await openRecordingReader(path, options);
    return new ReplaySource(reader, speed, options.clock ?? systemClock);
  }

  /** `sqlite` or `save-data`. */
  get format(): RecordingReader['format'] {
    return this.#reader.format;
  }

  /** The targets of the recording (as filtered). */
  get targets(): readonly RecordedTarget[] {
    return this.#reader.targets;
  }

  get speed(): ReplaySpeed {
    return this.clock.speed;
  }

  /**
   * Feeds the whole recording to `pipeline` and resolves when it is done, or as soon as
   * `signal` aborts (then `aborted` is true). Recorded time then stands still at the end
   * while timers keep running in real time ({@link ReplayClock.hold}), so a dashboard left
   * open shows the final state. One replay at a time per source; it may be played again
   * afterwards, from the start.
   */
  async play(pipeline: ReplayTarget, options: { signal?: AbortSignal } = {}): Promise<ReplayResult> {
    if (this.#playing) throw new Error('this recording is already playing');
    this.#playing = true;
    const signal = options.signal;
    const result: ReplayResult = { frames: 0, events: 0, aborted: false, recordedMs: 0 };
    const origin = this.#reader.firstAt ?? this.#base.now();
    this.clock.begin(origin);
    const announced = new Set<string>();
    const announce = (target: string, at: number, known?: RecordedTarget) => {
      if (announced.has(target)) return;
      announced.add(target);
      pipeline.emit({
        type: 'target_added',
        target,
        at,
        uri: known?.uri ?? target,
        labels: known?.labels ?? {},
      });
      result.events++;
    };
    for (const target of this.#reader.targets) announce(target.name, origin, target);
    let last = origin;
    let sinceYield = 0;
    try {
      outer: for await (const page of this.#reader.pages()) {
        for (const item of page) {
          if (signal?.aborted) break outer;
          if (this.clock.speed === 'max') {
            this.clock.advanceTo(item.at);
            if (++sinceYield >= ITEMS_PER_TURN) {
              sinceYield = 0;
              await yieldToEventLoop();
            }
          } else {
            const delay = this.clock.delayUntil(item.at);
            if (delay > 0 && !(await this.#sleep(delay, signal))) break outer;
          }
          if (pipeline.congested && !(await waitForRelief(pipeline, signal))) break outer;
          if (item.kind === 'frame') {
            announce(item.target, item.at);
            pipeline.receive(item.target, frameOf(item));
            result.frames++;
          } else {
            announce(item.event.target, item.at);
            pipeline.emit(item.event as PipelineEvent);
            result.events++;
          }
          if (item.at > last) last = item.at;
        }
      }
    } finally {
      this.#playing = false;
      // What the sinks show from now on is the end of the recording (see ReplayClock.hold).
      this.clock.hold();
    }
    result.aborted = signal?.aborted ?? false;
    result.recordedMs = last - origin;
    return result;
  }

  /** Releases the file. */
  close(): void {
    this.#reader.close();
  }

  /** Waits `ms` on the base clock; false when `signal` aborted first. */
  #sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const onAbort = () => {
        if (timer !== undefined) this.#base.clearTimeout(timer);
        resolve(false);
      };
      timer = this.#base.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The frame as the transport would have parsed it, at its recorded time. */
function frameOf(item: FrameItem): ReceivedFrame {
  if (item.tooLarge !== undefined) {
    return { raw: '', size: item.tooLarge, receivedAt: item.at, invalidReason: 'too_large' };
  }
  return item.binary
    ? parseFrame(Buffer.from(item.raw, 'base64'), true, item.at)
    : parseFrame(item.raw, false, item.at);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves true once no sink is congested, false when `signal` aborts first. */
function waitForRelief(pipeline: ReplayTarget, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (relieved: boolean) => {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(relieved);
    };
    const onAbort = () => done(false);
    const unsubscribe = pipeline.onCongestion((congested) => {
      if (!congested) done(true);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    // Relieved between the check and the subscription.
    if (!pipeline.congested) done(true);
  });
}
