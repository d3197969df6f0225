/**
 * `--alerts FILE`: alert rules kept in a file of their own (the `alerts:` section of a YAML or
 * JSON file; a targets file will do), for live watching and for replay alike.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { TargetsFileSections } from './feature.js';
import { UsageError } from './options.js';

/** A rules file larger than this is refused. */
const MAX_RULES_FILE_BYTES = 16 * 1024 * 1024;

/**
 * `--alerts FILE`: the sections of a YAML or JSON file, for the features, as a targets file
 * hands them (the alerts feature checks its `alerts:` section). Its `targets:`, if any, are
 * not used: the targets come from `-u`/`--targets`, or from the recording in a replay.
 * @throws UsageError naming the flag, the file and what is wrong.
 */
export function readAlertsFile(path: string): TargetsFileSections {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`invalid --alerts: "${path}" (not a regular file)`);
    if (stat.size > MAX_RULES_FILE_BYTES) {
      throw new UsageError(`invalid --alerts: "${path}" (larger than ${MAX_RULES_FILE_BYTES} bytes)`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `invalid --alerts: "${path}" (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`invalid --alerts: "${path}": not YAML or JSON (${reason})`);
  }
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
