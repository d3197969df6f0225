/**
 * What a recording's file says about itself in its first 100 bytes (the SQLite header), read
 * without loading SQLite: the command line checks `--record FILE` with it before anything
 * starts, and the marks it checks are defined here, once.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** "MWCR" in `PRAGMA application_id`: marks a SQLite file as a recording of this package. */
export const APPLICATION_ID = 0x4d574352;

/** The schema this version writes and reads (`PRAGMA user_version`). */
export const SCHEMA_VERSION = 1;

/** The first 16 bytes of every SQLite database file. */
export const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Why the existing file at `path` cannot be recorded to, or undefined when it can (it is a
 * recording of a version this one reads, or a SQLite file without tables yet). A recording
 * whose latest writes are still in its WAL may show an older header: what this lets through,
 * opening the database checks again.
 */
export function recordingFileProblem(path: string): string | undefined {
  const header = Buffer.alloc(100);
  let read: number;
  const fd = openSync(path, 'r');
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read === 0) return undefined;
  if (read < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    return `${path} is not a recording (not a SQLite database)`;
  }
  const pages = header.readUInt32BE(28);
  const version = header.readUInt32BE(60);
  const applicationId = header.readUInt32BE(68);
  if ((applicationId !== 0 && applicationId !== APPLICATION_ID) || (applicationId === 0 && pages > 1)) {
    return `${path} is not a recording (a SQLite database of another application)`;
  }
  if (version > SCHEMA_VERSION) {
    return `${path} was written by a newer version (schema ${version}; this version reads up to ${SCHEMA_VERSION}): upgrade monitoring-websocket-client`;
  }
  return undefined;
}
