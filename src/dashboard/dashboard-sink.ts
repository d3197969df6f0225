/**
 * The live dashboard, as one more sink of the pipeline: records feed its sparkline history,
 * the pipeline's rows (`context.targets()`) give everything else, and frames go to a
 * {@link DashboardTerminal}.
 *
 * One place decides the refresh rate: a timer on the pipeline's clock draws a frame every
 * `refresh` seconds (2 by default: ages and staleness move even when no data comes), so
 * any number of records between two frames costs one frame. A key or a resize draws at once,
 * but never sooner than 100 ms after the previous frame: at most ten frames a second. A
 * frame draws only the rows that fit on screen, so its cost does not grow with the fleet
 * beyond sorting the rows.
 *
 * A frame costs what the screen's area costs (ink styles every character): tens of
 * milliseconds for a large screen on a slow machine. So that watching never costs more than
 * a small share of a core (MAX_DRAW_SHARE), the steady refresh stretches when frames are
 * slow: with frames of 90 ms, one every 3 s rather than every 2 s. Keys stay immediate.
 *
 * The dashboard never throws into the pipeline: a frame that fails gives the terminal back
 * and is reported once through `onError` (or the logger).
 */
import { renderToString } from 'ink';
import type { PipelineEvent } from '../pipeline/events.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import type { TimerHandle } from '../transport/clock.js';
import { applyKey, type KeyPress } from './keys.js';
import { MetricHistory, type MetricHistoryOptions } from './metric-history.js';
import { buildScreen } from './screen.js';
import type { LastEvent } from './target-view.js';
import type { DashboardTerminal } from './terminal.js';
import { INITIAL_VIEW_STATE, type ViewState } from './view-state.js';

/** The shortest time between two frames: at most ten a second. */
export const MIN_FRAME_INTERVAL_MS = 100;
/** Seconds between two frames while nothing is pressed: as btop and Glances, a calm screen. */
export const DEFAULT_REFRESH = 2;
/**
 * The share of one core the steady refresh may use: frames slower than 60 ms come less often
 * than every 2 s. A fleet of 1,000 costs about 4 % of a core without the dashboard; the
 * dashboard must not double that (and the garbage of a frame costs about as much again).
 */
export const MAX_DRAW_SHARE = 0.03;
/** However slow the frames, the screen is redrawn at least this often (ms). */
const MAX_REFRESH_MS = 10_000;

export interface DashboardSinkOptions {
  /** Where frames go and keys come from. */
  terminal: DashboardTerminal;
  /** Colours by threshold. The caller decides (`--no-color`, NO_COLOR). @default false */
  color?: boolean;
  /** Seconds between two frames; at least 0.1 (ten frames a second). @default 2 */
  refresh?: number;
  /** How much history the sparklines keep. @default 72 steps of 5 s */
  history?: MetricHistoryOptions;
  /** `q` or Ctrl-C was pressed; the terminal is already given back. */
  onQuit?: () => void;
  /** A frame failed; the terminal is already given back and the dashboard draws no more. */
  onError?: (error: Error) => void;
  /**
   * What a frame costs, in ms: the process's CPU time by default (not wall time, which a busy
   * machine inflates). Tests inject their own. @default process.cpuUsage() user + system
   */
  measure?: () => number;
}

// A type, not an interface: it must fit the Sink's `Record<string, unknown>`.
export type DashboardStatistics = {
  frames: number;
  /** CPU time to build and write the last frame, in ms. */
  lastFrameMs: number;
  meanFrameMs: number;
  maxFrameMs: number;
  /** Time between two frames of the steady refresh now (longer than `refresh` when frames are slow). */
  refreshMs: number;
  /** Table rows drawn in the last frame: at most a screenful, whatever the fleet. */
  rowsDrawn: number;
  keys: number;
};

export class DashboardSink implements Sink {
  readonly name = 'dashboard';
  readonly #terminal: DashboardTerminal;
  readonly #color: boolean;
  readonly #refreshMs: number;
  readonly #history: MetricHistory;
  /** One line per target: what last happened to its connection (bounded by the targets). */
  readonly #lastEvents = new Map<string, LastEvent>();
  readonly #onQuit: (() => void) | undefined;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #measure: () => number;
  #context: SinkContext | undefined;
  #state: ViewState = INITIAL_VIEW_STATE;
  /** The fleet table as last drawn: what the keys move through. */
  #names: readonly string[] = [];
  #pageSize = 1;
  #showing = false;
  #timer: TimerHandle | undefined;
  #timerAt = 0;
  #lastFrameAt = Number.NEGATIVE_INFINITY;
  #frames = 0;
  #totalFrameMs = 0;
  #lastFrameMs = 0;
  #maxFrameMs = 0;
  /** Recent frame time, smoothed (ms): what the steady refresh adapts to. */
  #recentFrameMs = 0;
  #rowsDrawn = 0;
  #keys = 0;

  constructor(options: DashboardSinkOptions) {
    this.#terminal = options.terminal;
    this.#color = options.color ?? false;
    this.#refreshMs = Math.max(
      MIN_FRAME_INTERVAL_MS,
      Math.round((options.refresh ?? DEFAULT_REFRESH) * 1000),
    );
    this.#history = new MetricHistory(options.history);
    this.#onQuit = options.onQuit;
    this.#onError = options.onError;
    this.#measure = options.measure ?? cpuMs;
  }

  /** The view state now (what the person chose). */
  get state(): ViewState {
    return this.#state;
  }

  start(context: SinkContext): void {
    this.#context = context;
    if (this.#showing) return;
    this.#showing = true;
    this.#terminal.open({ key: (key) => this.#key(key), resize: () => this.#schedule(true) });
    this.#schedule(true);
  }

  write(record: MonitoringRecord): void {
    this.#history.add(record.target, record.snapshot, record.frame.receivedAt);
  }

  event(event: PipelineEvent): void {
    if (event.type === 'target_removed') {
      this.#history.delete(event.target);
      this.#lastEvents.delete(event.target);
      return;
    }
    const text = eventText(event);
    if (text !== undefined) this.#lastEvents.set(event.target, { at: event.at, text });
  }

  stats(): DashboardStatistics {
    return {
      frames: this.#frames,
      lastFrameMs: round(this.#lastFrameMs),
      meanFrameMs: round(this.#frames === 0 ? 0 : this.#totalFrameMs / this.#frames),
      maxFrameMs: round(this.#maxFrameMs),
      refreshMs: this.#steadyGapMs(),
      rowsDrawn: this.#rowsDrawn,
      keys: this.#keys,
    };
  }

  async close(): Promise<void> {
    this.#hide();
  }

  /** Builds and shows one frame now. */
  drawNow(): void {
    const context = this.#context;
    if (!this.#showing || context === undefined) return;
    const started = this.#measure();
    try {
      const size = this.#terminal.size();
      const screen = buildScreen({
        state: this.#state,
        rows: context.targets(),
        history: this.#history,
        lastEvents: this.#lastEvents,
        now: context.clock.now(),
        width: size.columns,
        height: size.rows,
        color: this.#color,
      });
      this.#state = { ...this.#state, scroll: screen.scroll };
      this.#names = screen.names;
      this.#pageSize = screen.pageSize;
      this.#rowsDrawn = screen.rowsDrawn;
      this.#terminal.draw(renderToString(screen.element, { columns: size.columns }));
    } catch (error) {
      this.#fail(error);
      return;
    }
    const spent = this.#measure() - started;
    // The first frame loads and compiles the views: it says nothing of the frames to come.
    if (this.#frames === 1) this.#recentFrameMs = spent;
    else if (this.#frames > 1) this.#recentFrameMs = this.#recentFrameMs * 0.8 + spent * 0.2;
    this.#frames++;
    this.#lastFrameMs = spent;
    this.#totalFrameMs += spent;
    if (spent > this.#maxFrameMs) this.#maxFrameMs = spent;
    this.#lastFrameAt = context.clock.now();
  }

  #key(key: KeyPress): void {
    this.#keys++;
    const result = applyKey(this.#state, key, { names: this.#names, pageSize: this.#pageSize });
    this.#state = result.state;
    if (result.quit) {
      // The terminal first: the rest of the shutdown (closing connections) may take a while.
      this.#hide();
      this.#call(this.#onQuit);
      return;
    }
    this.#schedule(true);
  }

  /**
   * The next frame: soon (`urgent`: a key, a resize) or at the steady refresh, never sooner
   * than the minimum interval after the previous one. An earlier request replaces a later one.
   */
  #schedule(urgent: boolean): void {
    const context = this.#context;
    if (!this.#showing || context === undefined) return;
    const clock = context.clock;
    const now = clock.now();
    const at = Math.max(now, this.#lastFrameAt + (urgent ? MIN_FRAME_INTERVAL_MS : this.#steadyGapMs()));
    if (this.#timer !== undefined) {
      if (this.#timerAt <= at) return;
      clock.clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.drawNow();
      this.#schedule(false);
    }, at - now);
  }

  /** `refresh`, or longer so that frames take at most MAX_DRAW_SHARE of the time. */
  #steadyGapMs(): number {
    return Math.max(
      this.#refreshMs,
      Math.min(MAX_REFRESH_MS, Math.round(this.#recentFrameMs / MAX_DRAW_SHARE)),
    );
  }

  #hide(): void {
    if (this.#timer !== undefined) this.#context?.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#showing) return;
    this.#showing = false;
    this.#terminal.close();
  }

  #fail(error: unknown): void {
    this.#hide();
    const wrapped = error instanceof Error ? error : new Error(String(error));
    if (this.#onError === undefined) {
      this.#context?.logger.error(`dashboard: cannot draw: ${wrapped.message}`);
      return;
    }
    this.#call(() => this.#onError?.(wrapped));
  }

  /** A callback of the application never breaks the dashboard's own bookkeeping. */
  #call(callback: (() => void) | undefined): void {
    try {
      callback?.();
    } catch (error) {
      this.#context?.logger.error(
        `dashboard: callback failed: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
}

/** The line the one-target view shows for a connection event; undefined for other events. */
export function eventText(event: PipelineEvent): string | undefined {
  switch (event.type) {
    case 'connected':
      return event.attempt === 0 ? 'connected' : `connected again (attempt ${event.attempt})`;
    case 'disconnected':
      return `disconnected (code ${event.code}${event.reason === '' ? '' : `: ${event.reason}`})${event.willReconnect ? '' : ', no retry'}`;
    case 'reconnecting': {
      const of = event.maxAttempts === null ? '' : `/${event.maxAttempts}`;
      const why = event.lastError === undefined ? '' : `: ${event.lastError}`;
      return `reconnecting in ${event.delayMs / 1000} s (attempt ${event.attempt}${of})${why}`;
    }
    case 'connection_error':
      return `connection error ${event.code}: ${event.message}`;
    case 'gave_up':
      return `gave up after ${event.attempts} attempts: ${event.message}`;
    case 'server_notice':
      return `server ${event.kind === 'error' ? 'error' : 'says'}: ${event.text}`;
    default:
      return undefined;
  }
}

/** CPU time of the process (user + system), in ms. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
