/**
 * The public surface of monitoring-websocket-client: values first, then types. The server
 * is a separate entry point, `monitoring-websocket-client/server`, so that a client never
 * loads it.
 */

export type { CliIo } from './cli/run.js';
// Command line
export { run } from './cli/run.js';
// ---- types ----------------------------------------------------------------------------------
export type { MonitoringClientOptions, MonitoringClientStatistics } from './client/monitoring-client.js';
// Clients
export { MonitoringClient } from './client/monitoring-client.js';
export type { SimpleMonitoringClientOptions } from './client/simple-monitoring-client.js';
export { SimpleMonitoringClient } from './client/simple-monitoring-client.js';
// Configuration and errors
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
export type { FormatterOptions, UsageStatus } from './formatters/base-formatter.js';
// Formatters and output
export {
  BaseFormatter,
  formatBytes,
  formatDuration,
  formatPercent,
  progressBar,
  usageStatus,
} from './formatters/base-formatter.js';
export { CompactFormatter } from './formatters/compact-formatter.js';
export { createFormatter, isFormatType } from './formatters/create-formatter.js';
export { DetailedFormatter } from './formatters/detailed-formatter.js';
export type { JsonFormatterOptions } from './formatters/json-formatter.js';
export { escapeJsonForTerminal, JsonFormatter, JsonLinesFormatter } from './formatters/json-formatter.js';
export { SimpleFormatter } from './formatters/simple-formatter.js';
export type { IncomingMessage, MessageHandler } from './handlers/handler.js';
// Handlers
export { RingBuffer } from './handlers/history.js';
export type {
  CorruptLine,
  LoggingHandlerOptions,
  LoggingHandlerStats,
  ReadSavedSessionOptions,
  SavedRecord,
} from './handlers/logging-handler.js';
export {
  LoggingHandler,
  readSavedSession,
  SaveDataError,
  savedSessionFiles,
} from './handlers/logging-handler.js';
export type {
  MonitoringHandlerOptions,
  MonitoringHandlerStats,
  MonitoringRecord,
  RecordSink,
} from './handlers/monitoring-handler.js';
export { MonitoringHandler } from './handlers/monitoring-handler.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { ColorDecisionInput } from './output/color-support.js';
export { shouldUseColor } from './output/color-support.js';
export { LineWriter } from './output/line-writer.js';
export type { InvalidFrameReason, ParsedMessage, ReceivedFrame } from './protocol/frame.js';
// Protocol
export { messageType, parseFrame } from './protocol/frame.js';
export type * from './protocol/messages.js';
export {
  CLOSE_SERVER_AT_CAPACITY,
  INVALID_MESSAGE_TEXT,
  SERVER_AT_CAPACITY_REASON,
} from './protocol/messages.js';
export {
  isMonitoringData,
  MAX_ALERTS,
  MAX_CORES,
  MAX_STRING_LENGTH,
  normalizeMonitoringData,
  PERCENT_TOLERANCE,
} from './protocol/normalize.js';
export { isTerminalSafe, sanitizeForTerminal } from './protocol/sanitize.js';
export type * from './protocol/snapshot.js';
// Recording, query and replay (issue 14): the recorder sink, the query functions, the replay source
export type { RecordedMetric } from './recording/metrics.js';
export { RECORDED_METRICS } from './recording/metrics.js';
export type {
  Aggregate,
  EventQueryOptions,
  QueryColumn,
  QueryOptions,
  QueryResult,
  QueryRow,
  QueryValue,
  RecordedEvent,
  TargetSummary,
} from './recording/query.js';
export { AGGREGATES, listEvents, listTargets, queryRecording } from './recording/query.js';
export type { RecorderSinkOptions, RecorderStats } from './recording/recorder-sink.js';
export { RecorderSink } from './recording/recorder-sink.js';
export type { RecordingErrorCode } from './recording/recording-error.js';
export { RecordingError } from './recording/recording-error.js';
export type { ReplaySpeed } from './recording/replay-clock.js';
export { ReplayClock } from './recording/replay-clock.js';
export type { ReplayResult, ReplaySourceOptions, ReplayTarget } from './recording/replay-source.js';
export { ReplaySource } from './recording/replay-source.js';
export { SCHEMA_VERSION as RECORDING_SCHEMA_VERSION } from './recording/schema.js';
export { createSecretRedactor, isSensitiveHeader, redactHeaders } from './redact.js';
// Transport
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
export type { ReconnectPolicy } from './transport/reconnect-policy.js';
export { MAX_JITTER, reconnectDelay } from './transport/reconnect-policy.js';
export type { ConnectionStatistics, ErrorRecord } from './transport/statistics.js';
export type { ReconnectBackoffOptions, WebSocketClientOptions } from './transport/websocket-client.js';
export {
  DEFAULT_MAX_RECONNECT_INTERVAL,
  DEFAULT_MIN_UPTIME,
  DEFAULT_RECONNECT_JITTER,
  WebSocketClient,
} from './transport/websocket-client.js';
