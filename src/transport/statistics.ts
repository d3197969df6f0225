/**
 * Statistics of a WebSocketClient over its whole life: totals are never reset by a reconnection,
 * and they are meaningful even if no connection ever succeeded.
 */
import { ERROR_HISTORY_LIMIT } from '../config.js';
import type { ClientState } from './client-state.js';

/** One entry of {@link ConnectionStatistics.errorHistory}. */
export interface ErrorRecord {
  /** When the error happened (ISO 8601, UTC). */
  timestamp: string;
  /** The error's message. */
  error: string;
  /** The error's stable code, e.g. `CONNECTION_REFUSED` (see ConnectionErrorCode). */
  type: string;
}

/** A snapshot returned by `WebSocketClient.getStatistics()`. */
export interface ConnectionStatistics {
  /** Frames received, valid or not. */
  messagesReceived: number;
  /** Messages flushed by `send()`. */
  messagesSent: number;
  /** Bytes of the frames received (payload, UTF-8). */
  bytesReceived: number;
  /** Bytes of the messages sent (payload, UTF-8). */
  bytesSent: number;
  /** When the first connection opened (ISO 8601, UTC); null if none ever did. */
  connectionStart: string | null;
  /** Seconds spent connected, summed over every connection, including the current one. */
  uptimeSeconds: number;
  /** Automatic reconnection attempts started, over the whole life of the client. */
  reconnectAttempts: number;
  /** Open connections lost unexpectedly (not counting stop() or reconnect()). */
  totalDisconnections: number;
  /** The state at the time of the snapshot. */
  currentState: ClientState;
  /** Message of the last connection error; null if none. */
  lastError: string | null;
  /** Connection errors (failed attempts and lost connections). */
  errorCount: number;
  /** The last {@link ERROR_HISTORY_LIMIT} connection errors, oldest first. */
  errorHistory: ErrorRecord[];
  /** Frames that were not a JSON object (not JSON, not an object, binary, too large). */
  invalidMessages: number;
  /** When the last frame arrived (ISO 8601, UTC); null if none did. */
  lastMessageAt: string | null;
  /** Round-trip time of the last answered ping, in ms; null if none was answered. */
  lastPingRttMs: number | null;
  /** Event handlers that threw or rejected (they are isolated; see the `handler_error` event). */
  handlerErrors: number;
}

/**
 * The mutable counters behind {@link ConnectionStatistics}. Fields are public and times are
 * epoch milliseconds so that the receive path updates them without allocating; ISO strings
 * are made only by snapshot().
 */
export class StatisticsAccumulator {
  messagesReceived = 0;
  messagesSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  invalidMessages = 0;
  reconnectAttempts = 0;
  totalDisconnections = 0;
  errorCount = 0;
  lastMessageAt: number | null = null;
  lastPingRttMs: number | null = null;
  #firstConnectedAt: number | null = null;
  #connectedSince: number | null = null;
  #uptimeMs = 0;
  #history: { at: number; error: string; type: string }[] = [];

  /** A connection opened at `now` (epoch ms). */
  connectionOpened(now: number): void {
    if (this.#firstConnectedAt === null) this.#firstConnectedAt = now;
    this.#connectedSince = now;
  }

  /** The open connection ended at `now`; a no-op when none is open. */
  connectionEnded(now: number): void {
    if (this.#connectedSince === null) return;
    this.#uptimeMs += Math.max(0, now - this.#connectedSince);
    this.#connectedSince = null;
  }

  /** Counts a connection error and keeps it in the bounded history. */
  recordError(now: number, message: string, code: string): void {
    this.errorCount++;
    this.#history.push({ at: now, error: message, type: code });
    if (this.#history.length > ERROR_HISTORY_LIMIT) this.#history.shift();
  }

  snapshot(now: number, currentState: ClientState, handlerErrors: number): ConnectionStatistics {
    const open = this.#connectedSince === null ? 0 : Math.max(0, now - this.#connectedSince);
    const last = this.#history[this.#history.length - 1];
    return {
      messagesReceived: this.messagesReceived,
      messagesSent: this.messagesSent,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      connectionStart:
        this.#firstConnectedAt === null ? null : new Date(this.#firstConnectedAt).toISOString(),
      uptimeSeconds: (this.#uptimeMs + open) / 1000,
      reconnectAttempts: this.reconnectAttempts,
      totalDisconnections: this.totalDisconnections,
      currentState,
      lastError: last === undefined ? null : last.error,
      errorCount: this.errorCount,
      errorHistory: this.#history.map((e) => ({
        timestamp: new Date(e.at).toISOString(),
        error: e.error,
        type: e.type,
      })),
      invalidMessages: this.invalidMessages,
      lastMessageAt: this.lastMessageAt === null ? null : new Date(this.lastMessageAt).toISOString(),
      lastPingRttMs: this.lastPingRttMs,
      handlerErrors,
    };
  }
}
