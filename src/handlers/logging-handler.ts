/**
 * The documented names of save-data (the README and the original documentation use them):
 * `LoggingHandler` is the save-data sink of src/save-data/, under its original name, with
 * its options and statistics; `readSavedSession` and `savedSessionFiles` read a session back.
 */
export { SaveDataError } from '../errors.js';
export type { SavedEventRecord, SavedRecord } from '../save-data/line-format.js';
export { isSavedEvent } from '../save-data/line-format.js';
export type { CorruptLine, ReadSavedSessionOptions } from '../save-data/reader.js';
export { readSavedSession, savedSessionFiles } from '../save-data/reader.js';
export { BATCH_BYTES } from '../save-data/rotating-writer.js';
export type {
  SaveDataSinkOptions as LoggingHandlerOptions,
  SaveDataStats as LoggingHandlerStats,
} from '../save-data/save-data-sink.js';
export { SaveDataSink as LoggingHandler } from '../save-data/save-data-sink.js';
