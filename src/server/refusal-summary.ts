/**
 * Refusals and cut-offs, counted and logged as one summary line per period rather than one
 * line each: a client (or an attacker) making thousands of attempts costs the log a line
 * every `periodMs`, not a line per attempt.
 *
 * The first event of a quiet period starts the period; when it ends, one line gives the
 * counts by reason and the address seen most. Nothing is logged while nothing happens.
 */
import type { Clock, TimerHandle } from '../transport/clock.js';

/** Why a connection was refused or a client cut off. */
export type RefusalReason =
  | 'unauthorized'
  | 'forbiddenOrigin'
  | 'atCapacity'
  | 'perAddressLimit'
  | 'pendingLimit'
  | 'handshakeTimeout'
  | 'badHandshake'
  | 'messageRate'
  | 'messageSize'
  | 'protocolError'
  | 'slowReader'
  | 'fileLimit';

/** Each reason as the summary line says it, in the order it lists them. */
export const REFUSAL_LABELS: Readonly<Record<RefusalReason, string>> = {
  unauthorized: 'without the right token (401)',
  forbiddenOrigin: 'from a foreign origin (403)',
  atCapacity: 'at capacity (1008)',
  perAddressLimit: 'over the per-address limit',
  fileLimit: 'over the open-file limit (ulimit -n)',
  pendingLimit: 'over the pending-handshake limit',
  handshakeTimeout: 'handshake too slow',
  badHandshake: 'bad handshake',
  messageRate: 'sending too many messages (1008)',
  messageSize: 'sending a message too large (1009)',
  protocolError: 'breaking the WebSocket protocol',
  slowReader: 'not reading (send buffer full)',
};

/** A count per reason, every reason present. */
export type RefusalCounts = Record<RefusalReason, number>;

export function emptyRefusalCounts(): RefusalCounts {
  return Object.fromEntries(Object.keys(REFUSAL_LABELS).map((reason) => [reason, 0])) as RefusalCounts;
}

/** Distinct addresses remembered per period: an attacker with many addresses cannot grow the map. */
const MAX_ADDRESSES = 1024;

export interface RefusalSummaryOptions {
  clock: Clock;
  /** Length of a period, in ms. */
  periodMs: number;
  /** Writes one summary line. */
  report(line: string): void;
}

export class RefusalSummary {
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #report: (line: string) => void;
  readonly #totals = emptyRefusalCounts();
  #period = emptyRefusalCounts();
  #addresses = new Map<string, number>();
  #periodStart = 0;
  #timer: TimerHandle | undefined;

  constructor(options: RefusalSummaryOptions) {
    this.#clock = options.clock;
    this.#periodMs = options.periodMs;
    this.#report = options.report;
  }

  /** Counts since the start, by reason. */
  get totals(): Readonly<RefusalCounts> {
    return this.#totals;
  }

  /** Counts one event; the first of a period schedules the period's line. */
  count(reason: RefusalReason, address?: string): void {
    this.#totals[reason] += 1;
    this.#period[reason] += 1;
    if (address !== undefined && (this.#addresses.has(address) || this.#addresses.size < MAX_ADDRESSES)) {
      this.#addresses.set(address, (this.#addresses.get(address) ?? 0) + 1);
    }
    if (this.#timer === undefined) {
      this.#periodStart = this.#clock.now();
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#periodMs);
    }
  }

  /** Writes the line of the events counted since the last one, if any; ends the period. */
  flush(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const parts = (Object.keys(REFUSAL_LABELS) as RefusalReason[])
      .filter((reason) => this.#period[reason] > 0)
      .map((reason) => `${this.#period[reason]} ${REFUSAL_LABELS[reason]}`);
    if (parts.length === 0) return;
    const total = Object.values(this.#period).reduce((sum, n) => sum + n, 0);
    let top: [string, number] | undefined;
    for (const entry of this.#addresses) if (top === undefined || entry[1] > top[1]) top = entry;
    const seconds = ((this.#clock.now() - this.#periodStart) / 1000).toFixed(1);
    this.#period = emptyRefusalCounts();
    this.#addresses = new Map();
    this.#report(
      `refused or cut off ${total} connection${total === 1 ? '' : 's'} in ${seconds} s: ${parts.join(', ')}` +
        (top ? `; most from ${top[0]} (${top[1]})` : ''),
    );
  }
}
