/**
 * The public surface of monitoring-websocket-client: values first, then types.
 */
export * from './config.js';
export type { ConnectionErrorCode } from './errors.js';
export {
  ConnectionError,
  GaveUpError,
  HistoryDisabledError,
  InvalidOptionError,
  MonitoringError,
  SendError,
  StoppedError,
} from './errors.js';
export type { IncomingMessage, MessageHandler } from './handlers/handler.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { InvalidFrameReason, ParsedMessage, ReceivedFrame } from './protocol/frame.js';
export { messageType, parseFrame } from './protocol/frame.js';
export type * from './protocol/messages.js';
export {
  CLOSE_SERVER_AT_CAPACITY,
  INVALID_MESSAGE_TEXT,
  SERVER_AT_CAPACITY_REASON,
} from './protocol/messages.js';
export type * from './protocol/snapshot.js';
export { ClientState } from './transport/client-state.js';
export type { Clock, TimerHandle } from './transport/clock.js';
export { systemClock } from './transport/clock.js';
export type {
  ConnectionEvents,
  EventHandler,
  KnownEventName,
  WebSocketClientEvents,
  WildcardHandler,
} from './transport/events.js';
