/**
 * `--targets FILE`: the servers to watch, in YAML or JSON (JSON is YAML), checked with a
 * schema so that a mistake is one line naming the file, the path inside it and what is
 * allowed. The sections other than `targets` (`alerts:`, ...) belong to the features, which
 * check their own.
 *
 *   targets:
 *     - name: web1
 *       uri: ws://10.0.0.5:8765
 *       labels: { site: paris, rack: r12 }
 *       tokenFile: /etc/monitoring/web1.token
 *       reconnectInterval: 2
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isWebSocketUri } from '../config.js';
import type { TargetsFileSections } from './feature.js';
import { UsageError } from './options.js';

/** A targets or rules file larger than this is refused: a fleet of 10,000 targets fits in far less. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

const seconds = (min: number) => z.number().finite().gt(min).lte(86_400);

const targetSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[^\p{C}]+$/u, 'expected printable characters only'),
    uri: z.string().refine(isWebSocketUri, 'expected a ws:// or wss:// URI'),
    labels: z
      .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/, 'expected a label name'), z.string())
      .optional(),
    headers: z.record(z.string(), z.string()).optional(),
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    insecure: z.boolean().optional(),
    reconnect: z.boolean().optional(),
    reconnectInterval: seconds(0).optional(),
    maxReconnectAttempts: z.number().int().min(0).nullable().optional(),
    pingInterval: z.number().finite().min(0).lte(86_400).optional(),
    pingTimeout: seconds(0).optional(),
    connectTimeout: seconds(0).optional(),
  })
  .strict();

const fileSchema = z.object({ targets: z.array(targetSchema).min(1).max(100_000) }).passthrough();

export type TargetsFileTarget = z.infer<typeof targetSchema>;

export interface TargetsFile {
  targets: TargetsFileTarget[];
  sections: TargetsFileSections;
}

/**
 * Reads and checks a targets file. Relative paths inside it (`tokenFile`, `ca`, ...) are
 * relative to the file's folder, so a file works from wherever the command runs.
 * @throws UsageError naming the file, the path inside it and what is allowed.
 */
export function readTargetsFile(path: string): TargetsFile {
  const document = readYamlFile(path, '--targets');
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`invalid --targets: "${path}": ${describePath(issue.path)}: ${issue.message}`);
  }
  const names = new Set<string>();
  parsed.data.targets.forEach((target, index) => {
    if (names.has(target.name)) {
      throw new UsageError(
        `invalid --targets: "${path}": targets[${index}].name: "${target.name}" is already the name of another target`,
      );
    }
    names.add(target.name);
  });
  const folder = dirname(resolve(path));
  const targets = parsed.data.targets.map((target) => {
    const out = { ...target };
    for (const key of ['tokenFile', 'ca', 'cert', 'key'] as const) {
      if (out[key] !== undefined) out[key] = resolve(folder, out[key]);
    }
    return out;
  });
  const { targets: _targets, ...sections } = parsed.data as Record<string, unknown>;
  return { targets, sections: { path, sections } };
}

/**
 * The document of a YAML or JSON file given to `flag` (`--targets`, `--alerts`), unchecked.
 * @throws UsageError naming the flag and the file: unreadable, not a regular file, too large,
 *   not YAML.
 */
export function readYamlFile(path: string, flag: string): unknown {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`invalid ${flag}: "${path}" (not a regular file)`);
    if (stat.size > MAX_FILE_BYTES) {
      throw new UsageError(`invalid ${flag}: "${path}" (larger than ${MAX_FILE_BYTES} bytes)`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `invalid ${flag}: "${path}" (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`invalid ${flag}: "${path}": not YAML or JSON (${reason})`);
  }
}

/** `['targets', 2, 'uri']` → `targets[2].uri`. */
function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  }
  return out;
}
