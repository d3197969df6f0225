/**
 * The public surface of the monitoring server (`monitoring-websocket-client/server`).
 */

export type { AlertThresholds } from './alerts.js';
export { DEFAULT_ALERT_THRESHOLDS } from './alerts.js';
export type { ServerCliIo } from './cli.js';
export { runServer } from './cli.js';
export type { MetricsSource, SystemMetricsSourceOptions } from './metrics-source.js';
export { SystemMetricsSource } from './metrics-source.js';
export type { MonitoringServerOptions, ServerAddress } from './monitoring-server.js';
export {
  DEFAULT_MAX_CLIENTS,
  DEFAULT_SERVER_HOST,
  DEFAULT_SERVER_INTERVAL,
  DEFAULT_SERVER_PORT,
  MonitoringServer,
} from './monitoring-server.js';
