/**
 * Many servers in one process: one WebSocketClient per target, one Pipeline for all.
 *
 *   target a ─ WebSocketClient ─┐
 *   target b ─ WebSocketClient ─┼─▶ Pipeline ─▶ sinks (display, save-data, dashboards, ...)
 *   target c ─ WebSocketClient ─┘      └─ rows of every target (targets())
 *
 * The fleet only connects and forwards: frames go to `pipeline.receive`, connection changes
 * become events. While a sink is congested, every socket stops being read. MonitoringClient
 * is the one-target case.
 */
import { CONNECT_SLOT_HOLD_LIMIT, MAX_CONNECTING } from '../config.js';
import { InvalidOptionError, StoppedError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { PipelineEvent } from '../pipeline/events.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink, SinkStatistics } from '../pipeline/sink.js';
import type { TargetRow } from '../pipeline/target-row.js';
import type { ReceivedFrame } from '../protocol/frame.js';
import { type Clock, systemClock } from '../transport/clock.js';
import { ConnectSlots } from '../transport/connect-slots.js';
import type { ConnectionEvents } from '../transport/events.js';
import type { ConnectionStatistics } from '../transport/statistics.js';
import { TypedEmitter } from '../transport/typed-emitter.js';
import { WebSocketClient } from '../transport/websocket-client.js';
import { RecordStream, type RecordStreamOptions } from './record-stream.js';
import { type ConnectionOptions, type TargetOptions, validateTarget } from './target.js';

/** Options of {@link MonitoringFleet}. Connection options apply to every target that does not set its own. */
export interface MonitoringFleetOptions extends ConnectionOptions {
  /** The servers to watch. More can be added while running with `add()`. */
  targets?: TargetOptions[];
  /** Consumers of the records and events, in call order. */
  sinks?: Sink[];
  /** Records it rejects reach no sink. */
  filter?: (record: MonitoringRecord) => boolean;
  /** Seconds without valid data after which a target is stale. @default 15 */
  staleAfter?: number;
  /**
   * Connection handshakes in flight at once; the other targets wait their turn, and their
   * `connectTimeout` counts from then. A handshake stops counting after 1 s, so unreachable
   * hosts cannot hold the others up. `null`: no bound. @default 100
   */
  maxConnecting?: number | null;
  /** @default silent */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
}

/** The fleet's own lifecycle. */
export type FleetState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Events of a fleet: every pipeline event under its type, plus each record and each sink failure. */
export type FleetEvents = { [E in PipelineEvent as E['type']]: E } & {
  record: MonitoringRecord;
  sink_error: { sink: string; error: Error };
};

/** Statistics of a fleet: each target's connection, the totals, and each sink. */
export interface FleetStatistics {
  targets: Record<string, ConnectionStatistics>;
  totals: {
    targets: number;
    connected: number;
    messagesReceived: number;
    bytesReceived: number;
    invalidMessages: number;
    reconnectAttempts: number;
    totalDisconnections: number;
    errorCount: number;
    recordsAccepted: number;
    recordsFiltered: number;
  };
  sinks: SinkStatistics[];
}

interface Runner {
  readonly options: TargetOptions;
  readonly ws: WebSocketClient;
  /** The first connection of the current run; rejects with GaveUpError or StoppedError. */
  connected: Promise<void> | undefined;
}

export class MonitoringFleet {
  readonly #defaults: ConnectionOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #pipeline: Pipeline;
  readonly #runners = new Map<string, Runner>();
  readonly #emitter: TypedEmitter;
  /** Shared by every target's connection: bounds the handshakes in flight. */
  readonly #connectSlots: ConnectSlots | undefined;
  #state: FleetState = 'idle';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #paused = false;

  constructor(options: MonitoringFleetOptions = {}) {
    const { targets, sinks, filter, staleAfter, maxConnecting, logger, clock, ...defaults } = options;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new InvalidOptionError('filter', filter, 'a function');
    }
    if (staleAfter !== undefined && !(Number.isFinite(staleAfter) && staleAfter > 0)) {
      throw new InvalidOptionError('staleAfter', staleAfter, 'a number of seconds > 0');
    }
    if (targets !== undefined && !Array.isArray(targets)) {
      throw new InvalidOptionError('targets', targets, 'an array of { name, uri }');
    }
    const slots = maxConnecting === undefined ? MAX_CONNECTING : maxConnecting;
    if (slots !== null && !(Number.isSafeInteger(slots) && slots >= 1)) {
      throw new InvalidOptionError('maxConnecting', slots, 'null (no bound) or an integer >= 1');
    }
    this.#defaults = defaults;
    this.#logger = logger ?? silentLogger;
    this.#clock = clock ?? systemClock;
    this.#connectSlots =
      slots === null ? undefined : new ConnectSlots(slots, CONNECT_SLOT_HOLD_LIMIT * 1000, this.#clock);
    this.#emitter = new TypedEmitter(this.#logger);
    this.#pipeline = new Pipeline({
      sinks: [...(sinks ?? []), this.#eventsSink],
      ...(filter ? { filter } : {}),
      clock: this.#clock,
      logger: this.#logger,
      onSinkError: (sink, error) => this.#emitter.emit('sink_error', { sink, error }),
      ...(staleAfter !== undefined ? { staleAfter } : {}),
    });
    this.#pipeline.onCongestion((congested) => {
      this.#paused = congested;
      for (const runner of this.#runners.values()) {
        if (congested) runner.ws.pauseReading();
        else runner.ws.resumeReading();
      }
    });
    (targets ?? []).forEach((target, index) => {
      this.#addRunner(target, `targets[${index}]`);
    });
  }

  get state(): FleetState {
    return this.#state;
  }

  /** The pipeline the targets feed; a replay can feed it too. */
  get pipeline(): Pipeline {
    return this.#pipeline;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Starts every sink, then every target. Resolves once every target is connecting (not
   * connected: a fleet runs while some servers are down); see `whenConnected(name)`. After
   * `stop()`, starts again with fresh connections; statistics cover the whole life.
   */
  start(): Promise<void> {
    switch (this.#state) {
      case 'running':
        return Promise.resolve();
      case 'starting':
        return this.#starting!;
      case 'stopping':
        return this.#stopping!.then(() => this.start());
      default:
        this.#state = 'starting';
        this.#starting = this.#start();
        return this.#starting;
    }
  }

  async #start(): Promise<void> {
    await this.#pipeline.start();
    // stop() during start(): stay stopped.
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    for (const runner of this.#runners.values()) this.#connect(runner);
  }

  /**
   * Closes every connection, then flushes and closes every sink. Resolves once everything is
   * written. Idempotent; during `start()`, waits for it and then stops.
   */
  stop(): Promise<void> {
    switch (this.#state) {
      case 'stopped':
        return Promise.resolve();
      case 'stopping':
        return this.#stopping!;
      default:
        this.#stopping = this.#stop();
        this.#state = 'stopping';
        return this.#stopping;
    }
  }

  async #stop(): Promise<void> {
    await this.#starting?.catch(() => {});
    await Promise.all([...this.#runners.values()].map((runner) => runner.ws.stop()));
    await this.#pipeline.close();
    this.#state = 'stopped';
    this.#starting = undefined;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Resolves at the first connection of `name` in this run; rejects when it gives up or is stopped. */
  whenConnected(name: string): Promise<void> {
    const runner = this.#runners.get(name);
    if (runner === undefined)
      return Promise.reject(new InvalidOptionError('name', name, 'a target of this fleet'));
    return runner.connected ?? Promise.reject(new StoppedError());
  }

  // ---- targets ------------------------------------------------------------------------------

  /** Adds a target; connects it at once when the fleet is running. */
  async add(target: TargetOptions): Promise<void> {
    const runner = this.#addRunner(target, 'target');
    if (this.#state === 'running') this.#connect(runner);
  }

  /** Stops watching `name`: closes its connection; its rows, series and alerts go away. */
  async remove(name: string): Promise<void> {
    const runner = this.#runners.get(name);
    if (runner === undefined) throw new InvalidOptionError('name', name, 'a target of this fleet');
    this.#runners.delete(name);
    await runner.ws.stop();
    this.#pipeline.emit({ type: 'target_removed', target: name, at: this.#clock.now() });
  }

  /** The names of the targets, in the order they were added. */
  targetNames(): string[] {
    return [...this.#runners.keys()];
  }

  /** One row per target: state, last data, RTT, counters, alerts. */
  targets(): TargetRow[] {
    return this.#pipeline.targets();
  }

  /** The low-level connection of one target. */
  connection(name: string): WebSocketClient | undefined {
    return this.#runners.get(name)?.ws;
  }

  // ---- consumers ----------------------------------------------------------------------------

  /** Adds a sink (started at once when running). */
  addSink(sink: Sink): Promise<void> {
    return this.#pipeline.addSink(sink);
  }

  removeSink(sink: Sink): Promise<void> {
    return this.#pipeline.removeSink(sink);
  }

  /** The records of every target as an async iterator, with a bounded queue (see RecordStream). */
  records(options: RecordStreamOptions = {}): AsyncIterableIterator<MonitoringRecord> {
    const stream = new RecordStream(options, (done) => {
      this.#pipeline.removeSink(done).catch(() => {});
    });
    this.#pipeline.addSink(stream).catch(() => {});
    return stream;
  }

  /** Calls `handler` for each event of `type` (`'*'`: every event, with its name). */
  on<K extends keyof FleetEvents>(type: K, handler: (data: FleetEvents[K]) => unknown): this;
  on(type: '*', handler: (type: string, data: unknown) => unknown): this;
  on(type: string, handler: (...args: never[]) => unknown): this {
    (this.#emitter.on as (type: string, handler: unknown) => void)(type, handler);
    return this;
  }

  off<K extends keyof FleetEvents>(type: K, handler: (data: FleetEvents[K]) => unknown): this;
  off(type: '*', handler: (type: string, data: unknown) => unknown): this;
  off(type: string, handler: (...args: never[]) => unknown): this {
    (this.#emitter.off as (type: string, handler: unknown) => void)(type, handler);
    return this;
  }

  getStatistics(): FleetStatistics {
    const targets: Record<string, ConnectionStatistics> = {};
    const totals = {
      targets: this.#runners.size,
      connected: 0,
      messagesReceived: 0,
      bytesReceived: 0,
      invalidMessages: 0,
      reconnectAttempts: 0,
      totalDisconnections: 0,
      errorCount: 0,
      recordsAccepted: 0,
      recordsFiltered: 0,
    };
    for (const [name, runner] of this.#runners) {
      const stats = runner.ws.getStatistics();
      targets[name] = stats;
      if (runner.ws.isConnected()) totals.connected++;
      totals.messagesReceived += stats.messagesReceived;
      totals.bytesReceived += stats.bytesReceived;
      totals.invalidMessages += stats.invalidMessages;
      totals.reconnectAttempts += stats.reconnectAttempts;
      totals.totalDisconnections += stats.totalDisconnections;
      totals.errorCount += stats.errorCount;
    }
    const counts = this.#pipeline.counts();
    totals.recordsAccepted = counts.accepted;
    totals.recordsFiltered = counts.filtered;
    return { targets, totals, sinks: this.#pipeline.statistics().filter((s) => s.name !== 'fleet-events') };
  }

  // ---- inside -------------------------------------------------------------------------------

  /** The fleet's own listeners are the last sink: they see what every sink saw. */
  readonly #eventsSink: Sink = {
    name: 'fleet-events',
    write: (record) => this.#emitter.emit('record', record),
    event: (event) => this.#emitter.emit(event.type, event),
  };

  #addRunner(target: TargetOptions, where: string): Runner {
    validateTarget(target, where);
    if (this.#runners.has(target.name) || this.#pipeline.hasTarget(target.name)) {
      throw new InvalidOptionError(`${where}.name`, target.name, 'a name no other target has');
    }
    const { name, uri, labels, token, ...own } = target;
    const headers = { ...this.#defaults.headers, ...own.headers };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    const ws = new WebSocketClient(uri, {
      ...this.#defaults,
      ...own,
      headers,
      logger: this.#logger,
      clock: own.clock ?? this.#defaults.clock ?? this.#clock,
      ...(this.#connectSlots ? { connectSlots: this.#connectSlots } : {}),
    });
    const runner: Runner = { options: target, ws, connected: undefined };
    this.#wire(name, ws);
    this.#runners.set(name, runner);
    this.#pipeline.emit({
      type: 'target_added',
      target: name,
      at: this.#clock.now(),
      uri,
      labels: labels ?? {},
    });
    return runner;
  }

  #connect(runner: Runner): void {
    runner.connected = runner.ws.start();
    // Handled here so that a target that gives up is no unhandled rejection; whenConnected()
    // hands out the same promise to whoever awaits it.
    runner.connected.catch(() => {});
    if (this.#paused) runner.ws.pauseReading();
  }

  /**
   * Turns one connection's events into pipeline events of target `name`, through one '*'
   * handler: a fleet keeps it per target, and nine handlers with their lists cost about
   * 0.6 KB a target.
   */
  #wire(name: string, ws: WebSocketClient): void {
    ws.on('*', (type, data) => this.#forward(name, type, data));
  }

  #forward(target: string, type: string, data: unknown): void {
    const pipeline = this.#pipeline;
    switch (type) {
      case 'frame':
        pipeline.receive(target, data as ReceivedFrame);
        return;
      case 'connected': {
        const { uri, attempt } = data as ConnectionEvents['connected'];
        pipeline.emit({ type: 'connected', target, at: this.#clock.now(), uri, attempt });
        return;
      }
      case 'disconnected': {
        const { code, reason, willReconnect } = data as ConnectionEvents['disconnected'];
        pipeline.emit({ type: 'disconnected', target, at: this.#clock.now(), code, reason, willReconnect });
        return;
      }
      case 'reconnecting': {
        const { attempt, delayMs, maxAttempts, lastError } = data as ConnectionEvents['reconnecting'];
        pipeline.emit({
          type: 'reconnecting',
          target,
          at: this.#clock.now(),
          attempt,
          delayMs,
          maxAttempts,
          ...(lastError ? { lastError: lastError.message } : {}),
        });
        return;
      }
      case 'connection_error': {
        const error = data as ConnectionEvents['connection_error'];
        pipeline.emit({
          type: 'connection_error',
          target,
          at: this.#clock.now(),
          code: error.code,
          message: error.message,
          ...(error.closeCode !== undefined ? { closeCode: error.closeCode } : {}),
        });
        return;
      }
      case 'give_up': {
        const error = data as ConnectionEvents['give_up'];
        pipeline.emit({
          type: 'gave_up',
          target,
          at: this.#clock.now(),
          message: error.message,
          attempts: error.attempts,
        });
        return;
      }
      case 'heartbeat':
        pipeline.noteRtt(target, (data as ConnectionEvents['heartbeat']).rttMs);
        return;
      case 'invalid_frame': {
        const frame = data as ReceivedFrame;
        this.#logger.warn(`invalid frame from ${target} (${frame.invalidReason}, ${frame.size} bytes)`);
        return;
      }
      default:
        // The typed event of each message (its frame came first), state changes, handler errors.
        return;
    }
  }
}
