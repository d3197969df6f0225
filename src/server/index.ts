/**
 * The public surface of the monitoring server (`monitoring-websocket-client/server`).
 */

// A recording served as a monitoring server (issue 14)
export type { ReplayServerAddress, ReplayServerOptions } from '../recording/replay-server.js';
export { END_OF_RECORDING_CODE, END_OF_RECORDING_REASON, ReplayServer } from '../recording/replay-server.js';
export type { AlertThresholds } from './alerts.js';
export { DEFAULT_ALERT_THRESHOLDS } from './alerts.js';
export type { ServerCliIo } from './cli.js';
export { runServer } from './cli.js';
export type { MetricsSource, SystemMetricsSourceOptions } from './metrics-source.js';
export { SystemMetricsSource } from './metrics-source.js';
export type { ServerAddress } from './monitoring-server.js';
export { MonitoringServer } from './monitoring-server.js';
export type { RefusalCounts, RefusalReason } from './refusal-summary.js';
export type { MonitoringServerOptions } from './server-options.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_LOG_SUMMARY_INTERVAL,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_CLIENTS_PER_ADDRESS,
  DEFAULT_MAX_MESSAGE_BURST,
  DEFAULT_MAX_MESSAGE_RATE,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_SERVER_HOST,
  DEFAULT_SERVER_INTERVAL,
  DEFAULT_SERVER_PORT,
  MAX_CLIENT_PAYLOAD,
} from './server-options.js';
export type { TlsCredentials } from './tls-credentials.js';
