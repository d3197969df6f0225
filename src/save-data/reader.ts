/**
 * Reading a saved session back: its files in order (rotated ones first, oldest first), and
 * their lines as records, frames and connection events alike.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { SavedRecord } from './line-format.js';

/**
 * The files of a saved session, oldest first: `<path>.<n>` from the highest number down to
 * `<path>.1`, then `<path>` itself (each when it exists).
 */
export async function savedSessionFiles(path: string): Promise<string[]> {
  const file = resolve(path);
  const folder = dirname(file);
  const name = basename(file);
  const rotated: { index: number; file: string }[] = [];
  let hasCurrent = false;
  for (const entry of await readdir(folder)) {
    if (entry === name) {
      hasCurrent = true;
      continue;
    }
    if (!entry.startsWith(`${name}.`)) continue;
    const suffix = entry.slice(name.length + 1);
    if (/^[1-9][0-9]*$/.test(suffix)) rotated.push({ index: Number(suffix), file: join(folder, entry) });
  }
  rotated.sort((a, b) => b.index - a.index);
  const files = rotated.map((r) => r.file);
  if (hasCurrent) files.push(file);
  return files;
}

/** A line of a saved file that is not a saved record (say, cut short by a full disk). */
export interface CorruptLine {
  file: string;
  /** 1-based. */
  line: number;
  text: string;
}

export interface ReadSavedSessionOptions {
  /** Told of each line that is not a saved record; such lines are skipped. Default: none. */
  onCorruptLine?: (corrupt: CorruptLine) => void;
  /** Also yield the connection events (`record.event` set). Default true. */
  events?: boolean;
}

/**
 * Reads a saved session back, in the order it was received, across its rotated files
 * (see {@link savedSessionFiles}): frames, and connection events (`event` set, see
 * `isSavedEvent`). Empty lines are skipped.
 * @throws the file system's error when the folder cannot be read.
 */
export async function* readSavedSession(
  path: string,
  options: ReadSavedSessionOptions = {},
): AsyncGenerator<SavedRecord> {
  const events = options.events ?? true;
  for (const file of await savedSessionFiles(path)) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    let number = 0;
    for await (const text of lines) {
      number++;
      if (text === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        record = undefined;
      }
      if (
        record === null ||
        typeof record !== 'object' ||
        typeof (record as { received_at?: unknown }).received_at !== 'string'
      ) {
        options.onCorruptLine?.({ file, line: number, text });
        continue;
      }
      if (!events && typeof (record as { event?: unknown }).event === 'string') continue;
      yield record as SavedRecord;
    }
  }
}
