/**
 * `monitoring-websocket-client/web`: the web dashboard as a sink (HTTP server, JSON API, live
 * stream, the bundled page). A separate entry point so that a program without a page never
 * loads it.
 */
export type { HistorySeries, HistorySource } from './history-source.js';
export { WebDashboardError, type WebDashboardErrorCode } from './web-error.js';
export type { WebSinkOptions, WebSinkStats } from './web-sink.js';
export { WebSink } from './web-sink.js';
