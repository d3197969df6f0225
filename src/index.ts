/**
 * The public surface of monitoring-websocket-client: the clients, the fleet and its pipeline
 * of sinks, the formatters, the documented handlers, the protocol types and the transport.
 *
 * Each feature a program may not use is its own entry point, so that a client loads only what
 * it runs: `/alerts`, `/recording`, `/web`, `/prometheus`, `/server` and `/cli` (the command
 * as `run(argv, io)`). The terminal dashboard stays here: it loads React and ink only when
 * one is created.
 */
export type { MonitoringClientOptions, MonitoringClientStatistics } from './client/monitoring-client.js';
export { MonitoringClient } from './client/monitoring-client.js';
export type { SimpleMonitoringClientOptions } from './client/simple-monitoring-client.js';
export { SimpleMonitoringClient } from './client/simple-monitoring-client.js';
export type { FormatType, LogLevel } from './config.js';
export {
  CONNECT_TIMEOUT,
  DEFAULT_FORMAT_TYPE,
  DEFAULT_WEBSOCKET_URI,
  FORMAT_TYPES,
  JSON_INDENT_LEVEL,
  LOG_ROTATION_KEEP,
  LOG_ROTATION_SIZE,
  MAX_HISTORY_SIZE,
  MAX_PAYLOAD,
  MAX_RECONNECT_ATTEMPTS,
  PING_INTERVAL,
  PING_TIMEOUT,
  PROGRESS_BAR_LENGTH,
  RECONNECT_INTERVAL,
  THRESHOLD_CRITICAL,
  THRESHOLD_WARNING,
} from './config.js';
export type {
  DashboardOptions,
  DashboardSink,
  DashboardSinkOptions,
  DashboardStatistics,
  DashboardTerminal,
  KeyPress,
  TerminalListener,
  TerminalSize,
  TtyTerminalOptions,
} from './dashboard/index.js';
export { createDashboard, NotATerminalError, TtyTerminal } from './dashboard/index.js';
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
export type {
  FleetEvents,
  FleetState,
  FleetStatistics,
  MonitoringFleetOptions,
} from './fleet/monitoring-fleet.js';
export { MonitoringFleet } from './fleet/monitoring-fleet.js';
export type { RecordStreamOptions } from './fleet/record-stream.js';
export type { ConnectionOptions, TargetOptions } from './fleet/target.js';
export { defaultTargetName } from './fleet/target.js';
export type { FormatterOptions, UsageStatus } from './formatters/base-formatter.js';
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
export { CsvFormatter } from './formatters/csv-formatter.js';
export { DetailedFormatter } from './formatters/detailed-formatter.js';
export { InfluxFormatter } from './formatters/influx-formatter.js';
export type { JsonFormatterOptions } from './formatters/json-formatter.js';
export { escapeJsonForTerminal, JsonFormatter, JsonLinesFormatter } from './formatters/json-formatter.js';
export { SimpleFormatter } from './formatters/simple-formatter.js';
export type { IncomingMessage, MessageHandler } from './handlers/handler.js';
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
  RecordSink,
} from './handlers/monitoring-handler.js';
export { MonitoringHandler } from './handlers/monitoring-handler.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { ColorDecisionInput } from './output/color-support.js';
export { shouldUseColor } from './output/color-support.js';
export type * from './pipeline/events.js';
export type { PipelineOptions } from './pipeline/pipeline.js';
export { Pipeline } from './pipeline/pipeline.js';
export type { MonitoringRecord } from './pipeline/record.js';
export type { Sink, SinkContext, SinkStatistics } from './pipeline/sink.js';
export type { TargetRow, TargetStatus } from './pipeline/target-row.js';
export type { InvalidFrameReason, ParsedMessage, ReceivedFrame } from './protocol/frame.js';
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
export { createSecretRedactor, isSensitiveHeader, redactHeaders } from './redact.js';
export type { DisplaySinkOptions } from './sinks/display-sink.js';
export { DisplaySink } from './sinks/display-sink.js';
export type { EventsFileSinkOptions } from './sinks/events-file-sink.js';
export { EventsFileSink } from './sinks/events-file-sink.js';
export { ClientState } from './transport/client-state.js';
export type { Clock, TimerHandle } from './transport/clock.js';
export { systemClock } from './transport/clock.js';
export { type ConnectSlot, ConnectSlots } from './transport/connect-slots.js';
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
