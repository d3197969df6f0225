/**
 * The page's live feed, as Server-Sent Events. Each connection first gets every target
 * (`reset`), then, once per interval of the injected clock, the rows that changed: a target
 * with a new record or event, or whose status moved on by itself (fresh → stale). So a page
 * gets at most one update per target per interval, however fast the servers send.
 *
 * A page that falls behind costs bounded memory: while what is queued for its socket exceeds
 * `maxBufferedBytes`, it is skipped and only the *names* of the targets it missed are kept (at
 * most one per target); it gets their current rows once it has caught up, and after
 * `maxBehindIntervals` skipped intervals in a row it is cut off (its EventSource reconnects
 * and starts again from a reset).
 *
 *   attach ─▶ reset (every row) ─▶ [interval] changed rows ─▶ [interval] ...
 *                                      └─ queue > max: skip, remember names ─▶ too long: cut off
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TargetRow, TargetStatus } from '../pipeline/target-row.js';
import type { Clock, TimerHandle } from '../transport/clock.js';
import { type LiveBatch, toWebRow, type WebRow } from './web-row.js';

export const DEFAULT_LIVE_INTERVAL_MS = 1000;
export const DEFAULT_MAX_LIVE_CLIENTS = 32;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BEHIND_INTERVALS = 10;
/** Intervals without any change after which a comment keeps proxies from closing the stream. */
const KEEPALIVE_INTERVALS = 15;
/** How long a browser waits before reconnecting a dropped stream. */
const RETRY_MS = 2000;

export interface LiveStreamOptions {
  clock: Clock;
  /** Every target's current row (the pipeline's). */
  rows: () => TargetRow[];
  /** The last CPU values of a target, for the sparkline of a reset. */
  spark: (target: string) => (number | null)[];
  /** @default 1000 */
  intervalMs?: number;
  /** Connections served at once; more are refused with 503. @default 32 */
  maxClients?: number;
  /** Bytes queued for one connection beyond which it is skipped. @default 1 MiB */
  maxBufferedBytes?: number;
  /** Intervals in a row a connection may be skipped before it is cut off. @default 10 */
  maxBehindIntervals?: number;
}

export type LiveStreamStats = {
  clients: number;
  /** Messages written, resets included. */
  batchesSent: number;
  rowsSent: number;
  /** Times a connection was skipped because it had not read what it was sent. */
  skipped: number;
  /** Connections closed because they stayed behind. */
  cutOff: number;
  /** Connections refused because `maxClients` were open. */
  refused: number;
};

interface LiveClient {
  readonly response: ServerResponse;
  /** Targets changed or removed while this client was skipped. */
  readonly missed: Set<string>;
  behind: number;
}

export class LiveStream {
  readonly #clock: Clock;
  readonly #rows: () => TargetRow[];
  readonly #spark: (target: string) => (number | null)[];
  readonly #intervalMs: number;
  readonly #maxClients: number;
  readonly #maxBuffered: number;
  readonly #maxBehind: number;
  readonly #clients = new Set<LiveClient>();
  readonly #dirty = new Set<string>();
  readonly #removed = new Set<string>();
  /** Status last sent per target, to notice changes that come with time alone. */
  readonly #sentStatus = new Map<string, TargetStatus>();
  #timer: TimerHandle | undefined;
  #quiet = 0;
  #closed = false;
  readonly #stats: Omit<LiveStreamStats, 'clients'> = {
    batchesSent: 0,
    rowsSent: 0,
    skipped: 0,
    cutOff: 0,
    refused: 0,
  };

  constructor(options: LiveStreamOptions) {
    this.#clock = options.clock;
    this.#rows = options.rows;
    this.#spark = options.spark;
    this.#intervalMs = options.intervalMs ?? DEFAULT_LIVE_INTERVAL_MS;
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_LIVE_CLIENTS;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#maxBehind = options.maxBehindIntervals ?? DEFAULT_MAX_BEHIND_INTERVALS;
  }

  /** A target has a new record or event. Costs nothing while no page is open. */
  changed(target: string): void {
    if (this.#clients.size > 0) this.#dirty.add(target);
  }

  /** A target went away. */
  removed(target: string): void {
    this.#sentStatus.delete(target);
    this.#dirty.delete(target);
    if (this.#clients.size > 0) this.#removed.add(target);
  }

  /** Serves `request` as a live stream (the caller has checked access and set the common headers). */
  attach(request: IncomingMessage, response: ServerResponse): void {
    if (this.#closed || this.#clients.size >= this.#maxClients) {
      this.#stats.refused++;
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
      response.end('too many live pages are open\n');
      return;
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const client: LiveClient = { response, missed: new Set(), behind: 0 };
    if (this.#clients.size === 0) {
      // Nothing was tracked while no page was open: start clean.
      this.#dirty.clear();
      this.#removed.clear();
    }
    this.#clients.add(client);
    const drop = () => this.#clients.delete(client);
    request.once('close', drop);
    response.once('close', drop);

    const rows = this.#rows();
    for (const row of rows) this.#sentStatus.set(row.name, row.status);
    response.write(`retry: ${RETRY_MS}\n\n`);
    this.#send(client, {
      now: this.#clock.now(),
      reset: true,
      rows: rows.map((row) => toWebRow(row, this.#spark(row.name))),
      removed: [],
    });
    this.#schedule();
  }

  /** Ends every stream; no more are accepted. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const client of this.#clients) client.response.end();
    this.#clients.clear();
  }

  stats(): LiveStreamStats {
    return { clients: this.#clients.size, ...this.#stats };
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#clock.setTimeout(this.#onInterval, this.#intervalMs);
  }

  readonly #onInterval = (): void => {
    this.#timer = undefined;
    if (this.#clients.size === 0) {
      this.#sentStatus.clear();
      return;
    }
    this.#flush();
    this.#schedule();
  };

  #flush(): void {
    const rows = this.#rows();
    const changed: TargetRow[] = [];
    for (const row of rows) {
      if (this.#dirty.has(row.name) || this.#sentStatus.get(row.name) !== row.status) changed.push(row);
      this.#sentStatus.set(row.name, row.status);
    }
    const removed = [...this.#removed];
    this.#dirty.clear();
    this.#removed.clear();
    const now = this.#clock.now();
    // Serialized once for every client that keeps up; converted lazily.
    let shared: string | undefined;
    let byName: Map<string, TargetRow> | undefined;
    this.#quiet = changed.length === 0 && removed.length === 0 ? this.#quiet + 1 : 0;

    for (const client of this.#clients) {
      if (client.response.writableLength > this.#maxBuffered) {
        this.#stats.skipped++;
        for (const row of changed) client.missed.add(row.name);
        for (const name of removed) client.missed.add(name);
        if (++client.behind > this.#maxBehind) this.#cutOff(client);
        continue;
      }
      client.behind = 0;
      if (client.missed.size > 0) {
        byName ??= new Map(rows.map((row) => [row.name, row]));
        for (const row of changed) client.missed.add(row.name);
        for (const name of removed) client.missed.add(name);
        const own: WebRow[] = [];
        const gone: string[] = [];
        for (const name of client.missed) {
          const row = byName.get(name);
          if (row === undefined) gone.push(name);
          else own.push(toWebRow(row));
        }
        client.missed.clear();
        this.#send(client, { now, reset: false, rows: own, removed: gone });
      } else if (changed.length > 0 || removed.length > 0) {
        shared ??= message({ now, reset: false, rows: changed.map((row) => toWebRow(row)), removed });
        client.response.write(shared);
        this.#stats.batchesSent++;
        this.#stats.rowsSent += changed.length;
      } else if (this.#quiet % KEEPALIVE_INTERVALS === 0) {
        client.response.write(':\n\n');
      }
    }
  }

  #send(client: LiveClient, batch: LiveBatch): void {
    client.response.write(message(batch));
    this.#stats.batchesSent++;
    this.#stats.rowsSent += batch.rows.length;
  }

  #cutOff(client: LiveClient): void {
    this.#stats.cutOff++;
    this.#clients.delete(client);
    client.response.destroy();
  }
}

function message(batch: LiveBatch): string {
  // JSON never contains a raw line break, so the whole batch is one `data:` line.
  return `event: rows\ndata: ${JSON.stringify(batch)}\n\n`;
}
