/**
 * The one interface of every consumer of records: display, save-data, history, dashboards,
 * alert rules, the recorder, the exporters, and yours.
 *
 * A sink is told, in order: `start(context)` when the pipeline starts (again after a restart),
 * `frame` for every frame received (before the filter; most sinks ignore it), `write` for every
 * accepted monitoring record, `event` for every lifecycle event, and `close()` when the
 * pipeline stops. Every method is optional but `name`.
 *
 * Rules: a sink never calls back into the client; what it needs it finds in the context. Its
 * throws and rejections are caught by the pipeline in one place, reported once (logger and
 * `onError`), counted per sink, and never reach the other sinks or the connections. A sink
 * that writes somewhere slow reports congestion through `onCongestion`, and the pipeline
 * stops reading every socket until it drains, so memory stays bounded.
 */

import type { IncomingMessage } from '../handlers/handler.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../transport/clock.js';
import type { PipelineEvent } from './events.js';
import type { MonitoringRecord } from './record.js';
import type { TargetRow } from './target-row.js';

export interface SinkContext {
  /** The clock of the pipeline (a fake one in tests): use it for every timer and every "now". */
  readonly clock: Clock;
  readonly logger: Logger;
  /** A read-only copy of every target's current row, in the order the targets were added. */
  targets(): TargetRow[];
  /** One target's row, or undefined. */
  target(name: string): TargetRow | undefined;
  /**
   * Hands an event to every sink (this one included), as if it had happened to a target.
   * The alert sink uses it to publish alerts to the other sinks.
   */
  publish(event: PipelineEvent): void;
}

export interface Sink {
  /** Names the sink in errors and statistics (`display`, `save-data`, `prometheus`, ...). */
  readonly name: string;
  /** Called when the pipeline starts (and again on each restart). May be async: the pipeline waits. */
  start?(context: SinkContext): void | Promise<void>;
  /** Every frame received from a target, valid or not, before the filter. */
  frame?(target: string, incoming: IncomingMessage): void | Promise<void>;
  /**
   * Every accepted monitoring record (after the filter). Keep it quick: queue slow work. A
   * returned promise is not awaited, but its rejection counts as a failure of the sink.
   */
  write?(record: MonitoringRecord): void | Promise<void>;
  /** Every lifecycle event, in order (same rules as `write`). */
  event?(event: PipelineEvent): void | Promise<void>;
  /**
   * Calls `listener(true)` when the sink cannot keep up (a full pipe, a slow disk) and
   * `listener(false)` once it has caught up. Returns a function that removes the listener.
   */
  onCongestion?(listener: (congested: boolean) => void): () => void;
  /** The sink's own counters, shown by `--stats` and `getStatistics().sinks`. */
  stats?(): Record<string, unknown>;
  /** Flushes and releases what it holds; resolves once everything is written. Idempotent. */
  close?(): Promise<void>;
}

/** Counters the pipeline keeps for each sink. */
export interface SinkStatistics {
  readonly name: string;
  /** Calls that threw or rejected. */
  readonly errors: number;
  /** Message of the last error; null if none. */
  readonly lastError: string | null;
  /** The sink's own counters, when it has any. */
  readonly own: Record<string, unknown> | null;
}
