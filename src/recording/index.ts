/**
 * `monitoring-websocket-client/recording`: the SQLite recording (a sink), the query function
 * and replay (a source of records for a pipeline). A separate entry point so that a program
 * that records nothing never loads them.
 */
export type { RecordedMetric } from './metrics.js';
export { RECORDED_METRICS } from './metrics.js';
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
} from './query.js';
export { AGGREGATES, listEvents, listTargets, queryRecording } from './query.js';
export type { RecorderSinkOptions, RecorderStats } from './recorder-sink.js';
export { RecorderSink } from './recorder-sink.js';
export type { RecordingErrorCode } from './recording-error.js';
export { RecordingError } from './recording-error.js';
export type { ReplaySpeed } from './replay-clock.js';
export { ReplayClock } from './replay-clock.js';
export type { ReplayResult, ReplaySourceOptions, ReplayTarget } from './replay-source.js';
export { ReplaySource } from './replay-source.js';
export { SCHEMA_VERSION as RECORDING_SCHEMA_VERSION } from './schema.js';
