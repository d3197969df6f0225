/**
 * The recording's file: a SQLite database marked as ours (`PRAGMA application_id`), with a
 * schema version (`PRAGMA user_version`) and the migrations that bring an older file up to
 * date. Opening is the only place that decides whether a file is a recording, so every
 * command says the same thing about a file that is not.
 *
 * Tables (version 1):
 *   targets    one row per target ever recorded: name, URI, labels (JSON), when added
 *   snapshots  one row per monitoring record: time (client receive time, epoch ms), target,
 *              one column per metric of metrics.ts
 *   frames     the text of the snapshots' frames as received, so that a replay gives them
 *              back byte for byte: a row holds the frames of `count` snapshots from rowid
 *              `first_snapshot` on, one after the other, compressed (`codec`, see
 *              frame-batch.ts; `lengths` is the JSON list of their UTF-8 lengths). Apart
 *              from the snapshots, so that a query scanning the metrics never reads them;
 *              compressed about 90 at a time, because a row per frame cost more than all
 *              the rest of the recording, and a frame takes six times its metrics
 *   minutes    per target and minute, the count, sum, min, max and last value of every
 *              number metric (minute-rollup.ts): buckets of whole minutes read these
 *   events     connection lifecycle, server notices and alerts: time, target, type, the
 *              event as JSON, and `after_snapshot` (the rowid of the last snapshot recorded
 *              before it) so that a replay puts events and frames back in arrival order
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { APPLICATION_ID, SCHEMA_VERSION } from './file-header.js';
import { RECORDED_METRICS } from './metrics.js';
import { MINUTES_TABLE } from './minute-rollup.js';
import { RecordingError } from './recording-error.js';

export type RecordingDatabase = BetterSqlite3.Database;

export { APPLICATION_ID, SCHEMA_VERSION };

// better-sqlite3 is loaded on the first open, not with this module: its native code takes
// tens of milliseconds to load, which `--help` and a client that records nothing must not pay.
const require = createRequire(import.meta.url);
let sqlite: typeof BetterSqlite3 | undefined;
function sqliteDatabase(): typeof BetterSqlite3 {
  sqlite ??= require('better-sqlite3') as typeof BetterSqlite3;
  return sqlite;
}

const METRIC_COLUMNS = RECORDED_METRICS.map((m) => `${m.name} ${m.sqlType}`).join(',\n  ');

/** `MIGRATIONS[v]` brings a file from version v to v + 1. Never edit one that was released: add one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE targets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  uri TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  added_at INTEGER NOT NULL
);
CREATE TABLE snapshots (
  time INTEGER NOT NULL,
  target INTEGER NOT NULL REFERENCES targets(id),
  ${METRIC_COLUMNS}
);
CREATE INDEX snapshots_by_target_time ON snapshots(target, time);
CREATE TABLE frames (
  first_snapshot INTEGER PRIMARY KEY,
  count INTEGER NOT NULL,
  lengths TEXT NOT NULL,
  codec TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE events (
  time INTEGER NOT NULL,
  target INTEGER NOT NULL REFERENCES targets(id),
  type TEXT NOT NULL,
  after_snapshot INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX events_by_time ON events(time);
${MINUTES_TABLE}`,
];

/** Milliseconds a statement waits for a lock held by another process before it fails. */
const BUSY_TIMEOUT_MS = 200;
/**
 * Bytes per page of a new file: a frame is 1-2 KB, and with the default 4 KiB pages SQLite
 * spends twice as long per frame on page management.
 */
const PAGE_SIZE = 16384;
/** Page cache of a reading connection, in KiB. */
const READ_CACHE_KIB = 64 * 1024;

export interface OpenRecordingOptions {
  /** `write` creates the file when missing and migrates it; `read` needs an existing recording. */
  mode: 'read' | 'write';
}

/**
 * Opens the recording at `path`.
 * @throws RecordingError `RECORDING_NOT_FOUND`, `NOT_A_RECORDING`, `RECORDING_TOO_NEW` or
 * `RECORDING_FAILED`, with a message that names the file and says why.
 */
export function openRecording(path: string, options: OpenRecordingOptions): RecordingDatabase {
  if (options.mode === 'read') {
    if (!existsSync(path)) {
      throw new RecordingError('RECORDING_NOT_FOUND', `no such recording: ${path}`, { path });
    }
    if (statSync(path).isDirectory()) {
      throw new RecordingError('NOT_A_RECORDING', `${path} is a folder, not a recording`, { path });
    }
  }
  let db: RecordingDatabase;
  try {
    const Database = sqliteDatabase();
    db = new Database(path, options.mode === 'read' ? { fileMustExist: true } : {});
  } catch (error) {
    throw new RecordingError('RECORDING_FAILED', `cannot open ${path}: ${describe(error)}`, {
      path,
      cause: error,
    });
  }
  try {
    prepare(db, path, options.mode);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function prepare(db: RecordingDatabase, path: string, mode: 'read' | 'write'): void {
  let applicationId: number;
  let version: number;
  let tables: number;
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    applicationId = db.pragma('application_id', { simple: true }) as number;
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (
      db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }
    ).n;
  } catch (error) {
    // SQLITE_NOTADB: "file is not a database".
    throw new RecordingError('NOT_A_RECORDING', `${path} is not a recording (not a SQLite database)`, {
      path,
      cause: error,
    });
  }
  const empty = applicationId === 0 && tables === 0;
  if (!empty && applicationId !== APPLICATION_ID) {
    throw new RecordingError(
      'NOT_A_RECORDING',
      `${path} is not a recording (a SQLite database of another application)`,
      { path },
    );
  }
  if (empty && mode === 'read') {
    throw new RecordingError('NOT_A_RECORDING', `${path} is not a recording (an empty database)`, { path });
  }
  if (version > SCHEMA_VERSION) {
    throw new RecordingError(
      'RECORDING_TOO_NEW',
      `${path} was written by a newer version (schema ${version}; this version reads up to ${SCHEMA_VERSION}): upgrade monitoring-websocket-client`,
      { path },
    );
  }
  try {
    // WAL: readers (a query, a replay) never block the recorder, and a crash leaves a
    // consistent file. NORMAL: a commit is durable against a killed process (the OS has
    // it); only a power cut may lose the last transactions, never corrupt the file.
    // The page size of a file is set before its first table, and cannot change in WAL mode.
    if (empty) db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    if (version < SCHEMA_VERSION) migrate(db, version);
    // Room for a query to group a million rows in memory (a limit, not an allocation).
    if (mode === 'read') db.pragma(`cache_size = -${READ_CACHE_KIB}`);
  } catch (error) {
    throw new RecordingError('RECORDING_FAILED', `cannot prepare ${path}: ${describe(error)}`, {
      path,
      cause: error,
    });
  }
}

/** Runs the migrations from `from` to {@link SCHEMA_VERSION} in one transaction. */
function migrate(db: RecordingDatabase, from: number): void {
  db.transaction(() => {
    for (let version = from; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
