/**
 * The one typed map of the WebSocketClient's events: a handler's argument type follows from
 * the event name.
 */
import type { ConnectionError, GaveUpError } from '../errors.js';
import type { ReceivedFrame } from '../protocol/frame.js';
import type { ServerMessageMap, UnknownMessage } from '../protocol/messages.js';
import type { ClientState } from './client-state.js';

/** Events about the connection itself, emitted by the client. */
export interface ConnectionEvents {
  /** Every state change, from one place. */
  state_change: { oldState: ClientState; newState: ClientState };
  /** The handshake completed. `attempt` is 0 for the first connection of a run. */
  connected: { uri: string; attempt: number };
  /** An open connection closed. `willReconnect` says whether a retry is scheduled. */
  disconnected: { code: number; reason: string; willReconnect: boolean };
  /** A retry is scheduled in `delayMs`. `attempt` counts from 1 since the last healthy connection. */
  reconnecting: { attempt: number; delayMs: number; maxAttempts: number | null; lastError?: ConnectionError };
  /** A connection attempt failed, or an open connection was lost. */
  connection_error: ConnectionError;
  /** The client stopped trying; it is now in the ERROR state. */
  give_up: GaveUpError;
  /** Every frame received, valid or not, before the typed event of its message. */
  frame: ReceivedFrame;
  /** A frame that is not a JSON object (`invalidReason` says why); the stream goes on. */
  invalid_frame: ReceivedFrame;
  /** A pong answered our ping after `rttMs` milliseconds. */
  heartbeat: { rttMs: number };
  /** An event handler threw or rejected; it was isolated. */
  handler_error: { event: string; error: unknown };
}

/** Every event with a name known in advance. Messages of other types are emitted under their own type as {@link UnknownMessage}. */
export interface WebSocketClientEvents extends ConnectionEvents, ServerMessageMap {}

export type KnownEventName = keyof WebSocketClientEvents;

/** A handler of a known event (its result is ignored; a returned promise is awaited for errors only), or of a message type this package does not know. */
export type EventHandler<E extends string> = (
  data: E extends KnownEventName ? WebSocketClientEvents[E] : UnknownMessage,
) => unknown;

/** A `'*'` handler: receives every event with its name. */
export type WildcardHandler = (eventType: string, data: unknown) => unknown;
