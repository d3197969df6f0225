/**
 * The current row of every target, kept up to date from what flows through the pipeline
 * (events, frames, records), so live targets and a replayed recording get the same rows.
 * Rows are built on demand with the age computed at that moment; nothing here runs a timer.
 */
import type { ReceivedFrame } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import type { AlertEvent, PipelineEvent } from './events.js';
import type { MonitoringRecord } from './record.js';
import type { TargetRow, TargetStatus } from './target-row.js';

/** Seconds without valid data after which a target counts as stale. */
export const DEFAULT_STALE_AFTER = 15;

type Phase = 'connecting' | 'connected' | 'reconnecting' | 'down';

interface TargetState {
  name: string;
  uri: string;
  labels: Readonly<Record<string, string>>;
  phase: Phase;
  connectedSince: number | null;
  lastMessageAt: number | null;
  rttMs: number | null;
  reconnects: number;
  messages: number;
  invalidMessages: number;
  dataQualityWarnings: number;
  snapshot: MonitoringSnapshot | null;
  /** Firing alerts of our rules, by rule; created when the first one fires (most never do). */
  firing: Map<string, AlertEvent> | undefined;
}

export class TargetTable {
  readonly #targets = new Map<string, TargetState>();
  readonly #staleAfterMs: number;

  constructor(staleAfterSeconds = DEFAULT_STALE_AFTER) {
    this.#staleAfterMs = staleAfterSeconds * 1000;
  }

  /** Seconds without valid data after which a target is stale. */
  get staleAfterSeconds(): number {
    return this.#staleAfterMs / 1000;
  }

  has(name: string): boolean {
    return this.#targets.has(name);
  }

  get size(): number {
    return this.#targets.size;
  }

  noteEvent(event: PipelineEvent): void {
    if (event.type === 'target_added') {
      this.#ensure(event.target, event.uri, event.labels);
      return;
    }
    if (event.type === 'target_removed') {
      this.#targets.delete(event.target);
      return;
    }
    const state = this.#targets.get(event.target);
    if (state === undefined) return;
    switch (event.type) {
      case 'connected':
        state.phase = 'connected';
        state.connectedSince = event.at;
        break;
      case 'disconnected':
        state.phase = event.willReconnect ? 'reconnecting' : 'down';
        state.connectedSince = null;
        break;
      case 'reconnecting':
        state.phase = 'reconnecting';
        state.reconnects++;
        break;
      case 'gave_up':
        state.phase = 'down';
        state.connectedSince = null;
        break;
      case 'alert':
        if (event.origin !== 'rule') break;
        if (event.state === 'firing') {
          state.firing ??= new Map();
          state.firing.set(event.rule, event);
        } else {
          state.firing?.delete(event.rule);
        }
        break;
      default:
        break;
    }
  }

  noteFrame(target: string, frame: ReceivedFrame): void {
    const state = this.#targets.get(target) ?? this.#ensure(target, target, {});
    state.messages++;
    if (frame.invalidReason !== undefined) state.invalidMessages++;
  }

  noteRecord(record: MonitoringRecord): void {
    const state = this.#targets.get(record.target) ?? this.#ensure(record.target, record.target, {});
    state.lastMessageAt = record.frame.receivedAt;
    state.snapshot = record.snapshot;
    state.dataQualityWarnings += record.snapshot.warnings.length;
    // A replayed recording has no connection events: data means the target was up.
    if (state.phase === 'connecting') state.phase = 'connected';
  }

  noteRtt(target: string, rttMs: number): void {
    const state = this.#targets.get(target);
    if (state !== undefined) state.rttMs = rttMs;
  }

  /** Every target is down (the pipeline stopped). */
  markAllDown(): void {
    for (const state of this.#targets.values()) {
      state.phase = 'down';
      state.connectedSince = null;
    }
  }

  /** Every target is connecting again (the pipeline restarted). */
  markAllConnecting(): void {
    for (const state of this.#targets.values()) state.phase = 'connecting';
  }

  dataQualityWarnings(target: string): number {
    return this.#targets.get(target)?.dataQualityWarnings ?? 0;
  }

  row(name: string, now: number): TargetRow | undefined {
    const state = this.#targets.get(name);
    return state === undefined ? undefined : this.#row(state, now);
  }

  rows(now: number): TargetRow[] {
    const rows: TargetRow[] = [];
    for (const state of this.#targets.values()) rows.push(this.#row(state, now));
    return rows;
  }

  #ensure(name: string, uri: string, labels: Readonly<Record<string, string>>): TargetState {
    let state = this.#targets.get(name);
    if (state === undefined) {
      state = {
        name,
        uri,
        labels,
        phase: 'connecting',
        connectedSince: null,
        lastMessageAt: null,
        rttMs: null,
        reconnects: 0,
        messages: 0,
        invalidMessages: 0,
        dataQualityWarnings: 0,
        snapshot: null,
        firing: undefined,
      };
      this.#targets.set(name, state);
    }
    return state;
  }

  #status(state: TargetState, now: number): TargetStatus {
    if (state.phase !== 'connected') return state.phase;
    const since = state.lastMessageAt ?? state.connectedSince;
    return since !== null && now - since > this.#staleAfterMs ? 'stale' : 'up';
  }

  #row(state: TargetState, now: number): TargetRow {
    return {
      name: state.name,
      uri: state.uri,
      labels: state.labels,
      status: this.#status(state, now),
      host: state.snapshot?.hostname ?? state.snapshot?.system?.hostname,
      connectedSince: state.connectedSince,
      lastMessageAt: state.lastMessageAt,
      ageSeconds: state.lastMessageAt === null ? null : Math.max(0, now - state.lastMessageAt) / 1000,
      rttMs: state.rttMs,
      reconnects: state.reconnects,
      messages: state.messages,
      invalidMessages: state.invalidMessages,
      snapshot: state.snapshot,
      serverAlerts: state.snapshot?.alerts ?? [],
      firingAlerts: state.firing === undefined ? [] : [...state.firing.values()],
    };
  }
}
