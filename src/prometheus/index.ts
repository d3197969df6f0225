/**
 * `monitoring-websocket-client/prometheus`: the Prometheus exporter, a separate entry point
 * so that a program that does not export never loads prom-client.
 */
export { ListenError } from './endpoint.js';
export type { PrometheusSinkOptions } from './prometheus-sink.js';
export { PrometheusSink } from './prometheus-sink.js';
