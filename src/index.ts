/**
 * The public surface of monitoring-websocket-client: values first, then types. The server
 * is a separate entry point, `monitoring-websocket-client/server`, so that a client never
 * loads it.
 */

// Alerts (issue #13): rules, the alert sink, and its deliveries
export type { AlertCommandOptions } from './alerts/alert-command.js';
export { AlertCommandSink } from './alerts/alert-command.js';
export type { AlertEngineOptions } from './alerts/alert-engine.js';
export { AlertEngine } from './alerts/alert-engine.js';
export type { AlertJson } from './alerts/alert-json.js';
export type { AlertNoticeOptions } from './alerts/alert-notices.js';
export { AlertNoticeSink } from './alerts/alert-notices.js';
export type { AlertmanagerOptions } from './alerts/alertmanager.js';
export { AlertmanagerSink } from './alerts/alertmanager.js';
export type { AlertMetric } from './alerts/metric-value.js';
export { ALERT_METRICS } from './alerts/metric-value.js';
export type { AlertRule, ComparisonOperator, RuleExtras, StaleRule, ThresholdRule } from './alerts/rule.js';
export { AlertRuleError, alertsSectionSchema, parseRule, rulesFromSection } from './alerts/rule.js';
export type { Condition, RulePhase, RuleState } from './alerts/rule-state.js';
export { DEFAULT_ALERT_MARGIN, nextRuleState, OK_STATE, transition } from './alerts/rule-state.js';
export type { WebhookOptions } from './alerts/webhook.js';
export { WebhookSink } from './alerts/webhook.js';
export type { CliIo } from './cli/run.js';
// Command line
export { run } from './cli/run.js';
// ---- types ----------------------------------------------------------------------------------
export type { MonitoringClientOptions, MonitoringClientStatistics } from './client/monitoring-client.js';
// Clients
export { MonitoringClient } from './client/monitoring-client.js';
export type { SimpleMonitoringClientOptions } from './client/simple-monitoring-client.js';
export { SimpleMonitoringClient } from './client/simple-monitoring-client.js';
// Configuration and errors: the documented defaults
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
// Dashboard (issue 12): React and ink are loaded only when a dashboard is created.
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
// The fleet and the pipeline: many targets, one way through, every consumer a sink
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
// Exports for other tools (issue #15): CSV and InfluxDB line protocol. The Prometheus
// exporter is its own entry point, `monitoring-websocket-client/prometheus`.
export { CsvFormatter } from './formatters/csv-formatter.js';
export { DetailedFormatter } from './formatters/detailed-formatter.js';
export { InfluxFormatter } from './formatters/influx-formatter.js';
export type { JsonFormatterOptions } from './formatters/json-formatter.js';
export { escapeJsonForTerminal, JsonFormatter, JsonLinesFormatter } from './formatters/json-formatter.js';
export { SimpleFormatter } from './formatters/simple-formatter.js';
// Handlers (the documented names)
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
export type { DisplaySinkOptions } from './sinks/display-sink.js';
export { DisplaySink } from './sinks/display-sink.js';
export type { EventsFileSinkOptions } from './sinks/events-file-sink.js';
export { EventsFileSink } from './sinks/events-file-sink.js';
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

// ---- Web dashboard (issue 16): the WebSink serves a live page, a JSON API and a live stream ----
export type { HistorySeries, HistorySource } from './web/history-source.js';
export { WebDashboardError, type WebDashboardErrorCode } from './web/web-error.js';
export type { WebSinkOptions, WebSinkStats } from './web/web-sink.js';
export { WebSink } from './web/web-sink.js';
