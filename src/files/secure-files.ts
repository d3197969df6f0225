/**
 * Reading the files that hold credentials and certificates (`--token-file`, `--ca`, `--cert`,
 * `--key`). A path is whatever the user typed, or what a script or an attacker on the same
 * machine made of it, so the file is opened without blocking and checked before it is read:
 *
 * - regular files only: a FIFO would block the start forever (and ignore Ctrl-C), a device
 *   such as /dev/zero would never end;
 * - bounded size: a token or a PEM bundle is small, a larger file is a mistake;
 * - readable by other users: said, for the files that hold a secret (token, private key).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { CredentialFileError } from '../errors.js';

/** Largest token file read, in bytes (a bearer token is under 8 KiB). */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;
/** Largest certificate or key file read, in bytes (a bundle of many CAs is under 300 KiB). */
export const MAX_PEM_FILE_BYTES = 1024 * 1024;

export interface CredentialFile {
  /** The content, as UTF-8 text. */
  text: string;
  /** Permission bits of the file (e.g. 0o644). */
  mode: number;
  /** True when users other than the owner may read it (group or other read bit). */
  readableByOthers: boolean;
}

/** What kind of file `stats` is, in words, for a message. */
export function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const OS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * Reads a credential or certificate file of at most `maxBytes`, without ever blocking on it.
 * @throws CredentialFileError naming the reason, never the content.
 */
export function readCredentialFile(path: string, maxBytes: number): CredentialFile {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO does not wait for a writer. O_NOCTTY: a terminal device
    // never becomes the controlling terminal.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new CredentialFileError(path, OS_REASONS[code] ?? (code || 'unreadable'), error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new CredentialFileError(path, `it is ${fileKind(stats)}, not a regular file`);
    if (stats.size > maxBytes) {
      throw new CredentialFileError(path, `it is ${stats.size} bytes, more than the ${maxBytes} allowed`);
    }
    // The size may have changed since fstat (or be 0, as in /proc): read until the end, at
    // most one byte more than allowed, to know whether it is too large.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - length));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      length += read;
      if (length > maxBytes) {
        throw new CredentialFileError(path, `it is more than the ${maxBytes} bytes allowed`);
      }
    }
    return {
      text: Buffer.concat(chunks, length).toString('utf8'),
      mode: stats.mode & 0o777,
      readableByOthers: (stats.mode & 0o044) !== 0,
    };
  } catch (error) {
    if (error instanceof CredentialFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new CredentialFileError(path, OS_REASONS[code] ?? (code || 'unreadable'), error);
  } finally {
    closeSync(fd);
  }
}

/** The warning for a secret file that other users can read, or undefined. */
export function sharedSecretWarning(option: string, path: string, file: CredentialFile): string | undefined {
  if (!file.readableByOthers) return undefined;
  const mode = file.mode.toString(8).padStart(3, '0');
  return `${option} ${path} is readable by other users (mode ${mode}): protect it with chmod 600 ${path}`;
}
