/**
 * The one way through: a frame of a target is parsed (by the transport), normalized once,
 * filtered once, then handed to every sink; events go to every sink in order. Live targets
 * (MonitoringFleet) and a replayed recording feed the same pipeline.
 *
 *   frame ─▶ normalize ─▶ filter ─▶ sink.write(record)      (every sink, in order)
 *     └────▶ sink.frame(target, incoming)                    (every frame, before the filter)
 *   event ─▶ sink.event(event)                               (lifecycle, notices, alerts)
 *
 * The pipeline is the only place that calls sinks, so it is the only place that catches
 * their failures: each one is counted for its sink and reported once, through the logger
 * and `onSinkError`, and the other sinks and the connections go on.
 */
import type { IncomingMessage } from '../handlers/handler.js';
import { type Logger, silentLogger } from '../logger.js';
import { messageType, type ParsedMessage, type ReceivedFrame } from '../protocol/frame.js';
import { normalizeMonitoringData } from '../protocol/normalize.js';
import type { AlertSnapshot } from '../protocol/snapshot.js';
import { type Clock, systemClock } from '../transport/clock.js';
import type { PipelineEvent } from './events.js';
import type { MonitoringRecord } from './record.js';
import type { Sink, SinkContext, SinkStatistics } from './sink.js';
import type { TargetRow } from './target-row.js';
import { DEFAULT_STALE_AFTER, TargetTable } from './target-table.js';

export interface PipelineOptions {
  /** Sinks, in the order they are called. More can be added with `addSink`. */
  sinks?: Sink[];
  /** Records it rejects (or throws on) go to no sink's `write`. */
  filter?: (record: MonitoringRecord) => boolean;
  /** @default the system clock */
  clock?: Clock;
  /** @default silent */
  logger?: Logger;
  /** Told once of each failure of a sink (or of the filter, as sink `filter`). */
  onSinkError?: (sink: string, error: Error) => void;
  /** Seconds without valid data after which a target is stale. @default 15 */
  staleAfter?: number;
}

interface SinkSlot {
  readonly sink: Sink;
  errors: number;
  lastError: string | null;
  unsubscribe: (() => void) | undefined;
}

type PipelineState = 'idle' | 'running' | 'closing' | 'closed';

export class Pipeline {
  readonly #slots: SinkSlot[] = [];
  readonly #filter: ((record: MonitoringRecord) => boolean) | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onSinkError: ((sink: string, error: Error) => void) | undefined;
  readonly #table: TargetTable;
  readonly #context: SinkContext;
  /** Server alert set per target, as `component:level;...`, to publish changes only. */
  readonly #serverAlertKeys = new Map<string, string>();
  readonly #congested = new Set<SinkSlot>();
  readonly #congestionListeners = new Set<(congested: boolean) => void>();
  #state: PipelineState = 'idle';
  #filterErrors = 0;
  #filtered = 0;
  #accepted = 0;

  constructor(options: PipelineOptions = {}) {
    this.#filter = options.filter;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#onSinkError = options.onSinkError;
    this.#table = new TargetTable(options.staleAfter ?? DEFAULT_STALE_AFTER);
    this.#context = {
      clock: this.#clock,
      logger: this.#logger,
      targets: () => this.#table.rows(this.#clock.now()),
      target: (name) => this.#table.row(name, this.#clock.now()),
      publish: (event) => this.emit(event),
    };
    for (const sink of options.sinks ?? []) this.#slots.push(newSlot(sink));
  }

  get state(): PipelineState {
    return this.#state;
  }

  /** What sinks get: the clock, the logger, the rows, and `publish`. */
  get context(): SinkContext {
    return this.#context;
  }

  /** The sinks, in call order. */
  get sinks(): readonly Sink[] {
    return this.#slots.map((slot) => slot.sink);
  }

  /** Adds a sink; started at once when the pipeline is running. */
  async addSink(sink: Sink): Promise<void> {
    const slot = newSlot(sink);
    this.#slots.push(slot);
    if (this.#state === 'running') await this.#startSlot(slot);
  }

  /** Removes a sink and closes it. */
  async removeSink(sink: Sink): Promise<void> {
    const index = this.#slots.findIndex((slot) => slot.sink === sink);
    if (index < 0) return;
    const [slot] = this.#slots.splice(index, 1);
    if (slot) await this.#closeSlot(slot);
  }

  /** Starts every sink, in order (again after `close()`: sinks reopen what they closed). */
  async start(): Promise<void> {
    if (this.#state === 'running') return;
    this.#state = 'running';
    this.#table.markAllConnecting();
    for (const slot of this.#slots) await this.#startSlot(slot);
  }

  /** Flushes and closes every sink; resolves once all are closed. Idempotent. */
  async close(): Promise<void> {
    // Also from 'idle': records fed without start() (a test, a replay) are flushed too.
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closing';
    this.#table.markAllDown();
    for (const slot of this.#slots) await this.#closeSlot(slot);
    this.#congested.clear();
    this.#state = 'closed';
  }

  /** One frame of `target`, as parsed by the transport. */
  receive(target: string, frame: ReceivedFrame): void {
    this.#table.noteFrame(target, frame);
    const message = frame.message;
    const type = message === undefined ? undefined : messageType(message);
    if (type === 'monitoring_data' && message !== undefined) {
      const snapshot = normalizeMonitoringData(message, frame.receivedAt, target);
      // Most pipelines have no frame sink: no message for them is built then.
      if (this.#hasFrameSinks()) this.#dispatchFrame(target, { frame, message, type, snapshot });
      this.#record({ target, snapshot, message, frame });
      return;
    }
    const incoming: IncomingMessage = { frame };
    if (message !== undefined) incoming.message = message;
    if (type !== undefined) incoming.type = type;
    this.#dispatchFrame(target, incoming);
    if (type !== undefined && message !== undefined) this.#serverNotice(target, type, message, frame);
  }

  /** One event: the rows learn of it first, then every sink, in order. */
  emit(event: PipelineEvent): void {
    this.#table.noteEvent(event);
    for (const slot of this.#slots) {
      const sink = slot.sink;
      if (sink.event === undefined) continue;
      try {
        this.#settle(slot, sink.event(event));
      } catch (error) {
        this.#failed(slot, error);
      }
    }
  }

  /** Round trip of `target`'s last answered ping. */
  noteRtt(target: string, rttMs: number): void {
    this.#table.noteRtt(target, rttMs);
  }

  targets(): TargetRow[] {
    return this.#table.rows(this.#clock.now());
  }

  target(name: string): TargetRow | undefined {
    return this.#table.row(name, this.#clock.now());
  }

  hasTarget(name: string): boolean {
    return this.#table.has(name);
  }

  dataQualityWarnings(target: string): number {
    return this.#table.dataQualityWarnings(target);
  }

  get staleAfterSeconds(): number {
    return this.#table.staleAfterSeconds;
  }

  /** Records that passed the filter, and that it rejected, over the pipeline's life. */
  counts(): { accepted: number; filtered: number; filterErrors: number } {
    return { accepted: this.#accepted, filtered: this.#filtered, filterErrors: this.#filterErrors };
  }

  /**
   * Calls `listener(true)` when a sink becomes congested while none was, `listener(false)`
   * once every sink has caught up. The fleet pauses and resumes reading its sockets on it.
   */
  onCongestion(listener: (congested: boolean) => void): () => void {
    this.#congestionListeners.add(listener);
    return () => this.#congestionListeners.delete(listener);
  }

  get congested(): boolean {
    return this.#congested.size > 0;
  }

  statistics(): SinkStatistics[] {
    return this.#slots.map((slot) => {
      let own: Record<string, unknown> | null = null;
      try {
        own = slot.sink.stats?.() ?? null;
      } catch (error) {
        this.#failed(slot, error);
      }
      return { name: slot.sink.name, errors: slot.errors, lastError: slot.lastError, own };
    });
  }

  // ---- inside ----------------------------------------------------------------------------

  #record(record: MonitoringRecord): void {
    if (this.#filter !== undefined) {
      let keep: boolean;
      try {
        keep = Boolean(this.#filter(record));
      } catch (error) {
        // A filter that throws on a record does not match it; still reported: usually a bug.
        this.#filterErrors++;
        this.#report('filter', toError(error));
        keep = false;
      }
      if (!keep) {
        this.#filtered++;
        return;
      }
    }
    this.#accepted++;
    this.#table.noteRecord(record);
    for (const slot of this.#slots) {
      const sink = slot.sink;
      if (sink.write === undefined) continue;
      try {
        this.#settle(slot, sink.write(record));
      } catch (error) {
        this.#failed(slot, error);
      }
    }
    this.#serverAlerts(record.target, record.snapshot.alerts, record.frame.receivedAt);
  }

  #hasFrameSinks(): boolean {
    for (const slot of this.#slots) if (slot.sink.frame !== undefined) return true;
    return false;
  }

  #dispatchFrame(target: string, incoming: IncomingMessage): void {
    for (const slot of this.#slots) {
      const sink = slot.sink;
      if (sink.frame === undefined) continue;
      try {
        this.#settle(slot, sink.frame(target, incoming));
      } catch (error) {
        this.#failed(slot, error);
      }
    }
  }

  /** The server's own alerts become an event when their set changes (also when they clear). */
  #serverAlerts(target: string, alerts: readonly AlertSnapshot[], at: number): void {
    let key = '';
    for (const alert of alerts) key += `${alert.component}:${alert.level};`;
    if (key === (this.#serverAlertKeys.get(target) ?? '')) return;
    this.#serverAlertKeys.set(target, key);
    this.emit({ type: 'server_alerts', target, at, alerts });
  }

  #serverNotice(target: string, type: string, message: ParsedMessage, frame: ReceivedFrame): void {
    const at = frame.receivedAt;
    const timestamp = typeof message.timestamp === 'string' ? message.timestamp : undefined;
    const base = { type: 'server_notice' as const, target, at, ...(timestamp ? { timestamp } : {}) };
    switch (type) {
      case 'connection':
      case 'connection_message':
        if (typeof message.message === 'string')
          this.emit({ ...base, kind: 'connection', text: message.message });
        break;
      case 'error':
        this.emit({ ...base, kind: 'error', text: String(message.message ?? 'error without a message') });
        break;
      case 'error_message': {
        const severity = typeof message.severity === 'string' ? message.severity : undefined;
        this.emit({
          ...base,
          kind: 'error',
          text: String(message.error ?? 'error without a message'),
          ...(severity ? { severity } : {}),
        });
        break;
      }
      default:
        this.#logger.debug(`message of type ${JSON.stringify(type)} received from ${target}`);
    }
  }

  async #startSlot(slot: SinkSlot): Promise<void> {
    const sink = slot.sink;
    if (sink.onCongestion !== undefined && slot.unsubscribe === undefined) {
      try {
        slot.unsubscribe = sink.onCongestion((congested) => this.#congestion(slot, congested));
      } catch (error) {
        this.#failed(slot, error);
      }
    }
    if (sink.start === undefined) return;
    try {
      await sink.start(this.#context);
    } catch (error) {
      this.#failed(slot, error);
    }
  }

  async #closeSlot(slot: SinkSlot): Promise<void> {
    try {
      await slot.sink.close?.();
    } catch (error) {
      this.#failed(slot, error);
    }
    slot.unsubscribe?.();
    slot.unsubscribe = undefined;
    this.#congestion(slot, false);
  }

  #congestion(slot: SinkSlot, congested: boolean): void {
    const before = this.#congested.size > 0;
    if (congested) this.#congested.add(slot);
    else this.#congested.delete(slot);
    const after = this.#congested.size > 0;
    if (before === after) return;
    for (const listener of this.#congestionListeners) listener(after);
  }

  /** A sink written in async style may return a promise: its rejection is a failure too. */
  #settle(slot: SinkSlot, result: unknown): void {
    if (result instanceof Promise) result.catch((error: unknown) => this.#failed(slot, error));
  }

  #failed(slot: SinkSlot, error: unknown): void {
    const wrapped = toError(error);
    slot.errors++;
    slot.lastError = wrapped.message;
    this.#report(slot.sink.name, wrapped);
  }

  #report(sink: string, error: Error): void {
    this.#logger.error(`sink ${sink} failed: ${error.message}`);
    if (this.#onSinkError === undefined) return;
    try {
      this.#onSinkError(sink, error);
    } catch {
      // The error callback itself failed: nothing sensible is left to tell.
    }
  }
}

function newSlot(sink: Sink): SinkSlot {
  return { sink, errors: 0, lastError: null, unsubscribe: undefined };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error), { cause: error });
}
