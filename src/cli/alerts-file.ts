/**
 * `--alerts FILE`: alert rules kept in a file of their own (the `alerts:` section of a YAML or
 * JSON file; a targets file will do), for live watching and for replay alike.
 */
import type { TargetsFileSections } from './feature.js';
import { UsageError } from './options.js';
import { readYamlFile } from './targets-file.js';

/**
 * `--alerts FILE`: the sections of a YAML or JSON file, for the features, as a targets file
 * hands them (the alerts feature checks its `alerts:` section). Its `targets:`, if any, are
 * not used: the targets come from `-u`/`--targets`, or from the recording in a replay.
 * @throws UsageError naming the flag, the file and what is wrong.
 */
export function readAlertsFile(path: string): TargetsFileSections {
  const document = readYamlFile(path, '--alerts');
  if (
    document === null ||
    typeof document !== 'object' ||
    Array.isArray(document) ||
    !('alerts' in document)
  ) {
    throw new UsageError(`invalid --alerts: "${path}" (expected an alerts: section, a list of rules)`);
  }
  const { targets: _targets, ...sections } = document as Record<string, unknown>;
  return { path, sections };
}
