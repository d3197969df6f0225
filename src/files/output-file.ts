/**
 * The files the client writes (`--save-data`, `--log-file`). They may land in a folder other
 * users can write to (a shared /tmp, a project folder), so:
 *
 * - a new file is created with mode 0600 (the umask may make it stricter, never looser): saved
 *   frames and logs are the server's data and the user's diagnostics, not everyone's;
 * - the file is never reached through a symbolic link that another user owns: someone who
 *   plants `data.jsonl -> ~/.bashrc` must not get the client to append to it. The check is the
 *   one O_NOFOLLOW makes, done by the kernel at open time; a link the user made himself is
 *   followed, as expected;
 * - only a regular file is written: a FIFO would block, a device would swallow the data.
 */
import { accessSync, constants, lstatSync, type Stats, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileKind } from './secure-files.js';

/** Permission bits of a file the client creates: read and write for its owner only. */
export const OUTPUT_FILE_MODE = 0o600;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function currentUser(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** True when `stats` (of lstat) is a symbolic link that belongs to another user. */
function isForeignLink(stats: Stats): boolean {
  const uid = currentUser();
  return stats.isSymbolicLink() && uid !== undefined && stats.uid !== uid;
}

function foreignLinkReason(file: string, stats: Stats): string {
  return `${file} is a symbolic link owned by another user (uid ${stats.uid}): refusing to write through it`;
}

/**
 * Why `path` cannot be written, or undefined when its folder exists and is writable and the
 * file, if it exists, is a writable regular file not reached through another user's link.
 * Synchronous, for the command line to check before connecting.
 */
export function validateOutputPath(path: string): string | undefined {
  if (typeof path !== 'string' || path.trim() === '') return 'no file name given';
  const file = resolve(path);
  const folder = dirname(file);
  let folderStats: Stats;
  try {
    folderStats = statSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `folder ${folder} does not exist`;
    if (code === 'ENOTDIR') return `${folder} is not a folder (a part of it is a file)`;
    return `cannot reach folder ${folder}: ${describe(error)}`;
  }
  if (!folderStats.isDirectory()) return `${folder} is not a folder`;
  let linkStats: Stats | undefined;
  try {
    linkStats = lstatSync(file);
  } catch {
    linkStats = undefined; // Not there yet: it will be created.
  }
  // Said first: whatever else is wrong, this is the one that matters.
  if (linkStats !== undefined && isForeignLink(linkStats)) return foreignLinkReason(file, linkStats);
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (error) {
    return `no permission to create files in folder ${folder} (${(error as NodeJS.ErrnoException).code ?? describe(error)})`;
  }
  if (linkStats === undefined) return undefined;
  let fileStats: Stats;
  try {
    fileStats = statSync(file);
  } catch {
    // A dangling link of the user's own: the file is created where it points.
    return undefined;
  }
  if (fileStats.isDirectory()) return `${file} is a folder, not a file`;
  if (!fileStats.isFile()) return `${file} is not a regular file`;
  try {
    accessSync(file, constants.W_OK);
  } catch (error) {
    return `no permission to write ${file} (${(error as NodeJS.ErrnoException).code ?? describe(error)})`;
  }
  return undefined;
}

/** An output file could not be opened; `message` says why, `code` is the system's code when there is one. */
export class OutputFileError extends Error {
  override name = 'OutputFileError';
  readonly code: string | undefined;
  constructor(message: string, code?: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/**
 * Opens `path` for appending (and reading back its end), creating it with mode 0600, with
 * the checks of this module enforced at open time: O_NOFOLLOW unless the link at `path` is
 * the user's own, O_NONBLOCK so that a FIFO does not block, and a regular file or nothing.
 * @throws OutputFileError
 */
export async function openOutputFile(path: string): Promise<FileHandle> {
  const file = resolve(path);
  let flags =
    constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY;
  let linkStats: Stats | undefined;
  try {
    linkStats = lstatSync(file);
  } catch {
    linkStats = undefined;
  }
  if (linkStats !== undefined && isForeignLink(linkStats)) {
    throw new OutputFileError(foreignLinkReason(file, linkStats), 'ELOOP');
  }
  // A link planted between the check above and the open is refused by the kernel.
  if (!linkStats?.isSymbolicLink()) flags |= constants.O_NOFOLLOW;
  let handle: FileHandle;
  try {
    handle = await open(file, flags, OUTPUT_FILE_MODE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      throw new OutputFileError(`${file} became a symbolic link: refusing to write through it`, code, error);
    }
    throw new OutputFileError(describe(error), code, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new OutputFileError(`${file} is ${fileKind(stats)}, not a regular file`, 'EINVAL');
    }
  } catch (error) {
    await handle.close().catch(() => {});
    if (error instanceof OutputFileError) throw error;
    throw new OutputFileError(describe(error), (error as NodeJS.ErrnoException).code, error);
  }
  return handle;
}
