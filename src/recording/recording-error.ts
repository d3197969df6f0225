/**
 * What can go wrong with a recording, one stable code each, so that the CLI can say it in one
 * line (exit 2) and a library user can test `error.code`.
 */
import { MonitoringError } from '../errors.js';

export type RecordingErrorCode =
  /** The file does not exist (or cannot be read). */
  | 'RECORDING_NOT_FOUND'
  /** The file exists but is not a recording of ours (not SQLite, or another application's database). */
  | 'NOT_A_RECORDING'
  /** The recording was written by a newer version, with a schema this one does not know. */
  | 'RECORDING_TOO_NEW'
  /** SQLite failed to open or write the file (permission, full disk, locked, corrupt). */
  | 'RECORDING_FAILED'
  /** A metric name that is not recorded. */
  | 'UNKNOWN_METRIC'
  /** An aggregate that is not offered, or a metric that cannot be aggregated. */
  | 'UNKNOWN_AGGREGATE'
  /** A target name that is not in the recording. */
  | 'UNKNOWN_TARGET'
  /** A query option out of range (`every` of 0, `since` after `until`, ...). */
  | 'INVALID_QUERY';

export class RecordingError extends MonitoringError {
  override name = 'RecordingError';
  declare readonly code: RecordingErrorCode;
  /** The file concerned, when there is one. */
  readonly path: string | undefined;
  constructor(code: RecordingErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.path = options.path;
  }
}
