/**
 * `monitoring-websocket-client/prometheus`: the Prometheus exporter, a separate entry point
 * so that a program that does not export never loads prom-client.
 */
export type { MetricSpec, TargetView } from './catalog.js';
export { METRICS } from './catalog.js';
export type { MetricsEndpointOptions, RenderMetrics } from './endpoint.js';
export { ListenError, METRICS_PATH, MetricsEndpoint } from './endpoint.js';
export type { ExpositionFormat } from './exposition-format.js';
export { negotiateFormat } from './exposition-format.js';
export { sanitizeLabelName } from './label-names.js';
export type { ListenAddress } from './listen-address.js';
export { DEFAULT_LISTEN_HOST, isLoopbackHost, parseListenAddress } from './listen-address.js';
export type { PrometheusSinkOptions } from './prometheus-sink.js';
export { PrometheusSink } from './prometheus-sink.js';
