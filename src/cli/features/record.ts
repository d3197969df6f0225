/**
 * `--record FILE [--retention DURATION]`: keeps every record, the targets and their events in
 * a SQLite recording (src/recording/), for `query` and `replay`.
 */
import { existsSync } from 'node:fs';
import { LoggingHandler } from '../../handlers/logging-handler.js';
import { DURATION_HELP, parseDuration } from '../../recording/duration.js';
import { recordingFileProblem } from '../../recording/file-header.js';
import type { CliFeature } from '../feature.js';
import { UsageError } from '../options.js';

export interface RecordSettings {
  path: string;
  /** Milliseconds of data kept; undefined keeps everything. */
  retention: number | undefined;
}

export const recordFeature: CliFeature<RecordSettings> = {
  name: 'record',

  declare(program) {
    program
      .option(
        '--record <file>',
        'keep every record, the targets and their events in FILE (SQLite), for query and replay',
      )
      .option(
        '--retention <duration>',
        `with --record: delete data older than this as it runs (${DURATION_HELP})`,
      );
  },

  resolve(flags) {
    const path = flags.record as string | undefined;
    const retentionText = flags.retention as string | undefined;
    if (path === undefined) {
      if (retentionText !== undefined) throw new UsageError('invalid --retention: it needs --record FILE');
      return undefined;
    }
    const reason = LoggingHandler.validatePath(path);
    if (reason !== undefined) throw new UsageError(`invalid --record: "${path}" (${reason})`);
    checkRecordable(path);
    let retention: number | undefined;
    if (retentionText !== undefined) {
      retention = parseDuration(retentionText);
      if (retention === undefined || retention <= 0) {
        throw new UsageError(`invalid --retention: "${retentionText}" (expected ${DURATION_HELP})`);
      }
    }
    return { path, retention };
  },

  async sinks(settings) {
    // Loaded only when recording: the recorder brings SQLite with it.
    const { RecorderSink } = await import('../../recording/recorder-sink.js');
    return [
      new RecorderSink({
        path: settings.path,
        ...(settings.retention ? { retention: settings.retention } : {}),
      }),
    ];
  },
};

/** An existing file must be a recording already: recording never writes into other data. */
function checkRecordable(path: string): void {
  if (!existsSync(path)) return;
  const problem = recordingFileProblem(path);
  if (problem !== undefined) throw new UsageError(`invalid --record: ${problem}`);
}
