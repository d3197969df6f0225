/**
 * Reads a recording back in the order it was received, as pages of items (a frame of a
 * target, or a lifecycle event), whichever file it is:
 * - a SQLite recording of the recorder (schema.ts): the snapshots' frames, and the recorded
 *   connection events and server notices put back between them where they happened;
 * - a save-data file (JSON Lines, with its rotated files, see logging-handler.ts): every
 *   frame saved, valid or not. It names no target: its frames belong to one target, named
 *   after the file unless told otherwise.
 *
 * Alerts are not read back: a replay feeds a pipeline, and the pipeline and its alert rules
 * find them again from the data.
 */

import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Statement } from 'better-sqlite3';
import { CONNECTION_EVENT_TYPES, type PipelineEvent } from '../pipeline/events.js';
import type { SavedRecord } from '../save-data/line-format.js';
import { savedSessionFiles } from '../save-data/reader.js';
import { SQLITE_MAGIC } from './file-header.js';
import { decodeFrames } from './frame-batch.js';
import { parseLabels, parseNumberList, parseObject } from './json-text.js';
import { RecordingError } from './recording-error.js';
import { openRecording, type RecordingDatabase } from './schema.js';

/** One frame as received: its text (or base64 bytes when `binary`), or the size of a frame refused unread. */
export interface FrameItem {
  readonly kind: 'frame';
  /** Epoch ms of receipt. */
  readonly at: number;
  readonly target: string;
  readonly raw: string;
  readonly binary: boolean;
  /** Set for a frame over `maxPayload`, refused unread: its size in bytes. */
  readonly tooLarge?: number;
}

export interface EventItem {
  readonly kind: 'event';
  readonly at: number;
  readonly event: PipelineEvent;
}

export type RecordingItem = FrameItem | EventItem;

export interface RecordedTarget {
  readonly name: string;
  readonly uri: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface RecordingReaderOptions {
  /** Only these targets (SQLite recordings). */
  targets?: readonly string[];
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Name of the target of a save-data file. Default: the file's name without its extension. */
  targetName?: string;
  /** Told of each line of a save-data file that is not a saved record (it is skipped). */
  onCorruptLine?: (file: string, line: number) => void;
  /** Items per page. Default 1000. */
  pageSize?: number;
}

export interface RecordingReader {
  readonly format: 'sqlite' | 'save-data';
  readonly path: string;
  /** The targets known before reading (a SQLite recording lists them; a save-data file has one). */
  readonly targets: readonly RecordedTarget[];
  /** Time of the first item, or undefined for an empty recording. */
  readonly firstAt: number | undefined;
  /** Every item, in order, a page at a time. Each call reads from the start. */
  pages(): AsyncGenerator<RecordingItem[]>;
  close(): void;
}

/** Event types given back by a replay; alerts are found again by the pipeline from the data. */
const REPLAYED_EVENTS = ['target_removed', ...CONNECTION_EVENT_TYPES, 'server_notice'] as const;

/**
 * Opens a recording for reading.
 * @throws RecordingError `RECORDING_NOT_FOUND`, `NOT_A_RECORDING` (neither a recording nor a
 * save-data file), `UNKNOWN_TARGET`, ...
 */
export async function openRecordingReader(
  path: string,
  options: RecordingReaderOptions = {},
): Promise<RecordingReader> {
  const pageSize = options.pageSize ?? 1000;
  if (existsSync(path) && statSync(path).isFile() && startsWith(path, SQLITE_MAGIC)) {
    return SqliteReader.open(path, options, pageSize);
  }
  return SaveDataReader.open(path, options, pageSize);
}

/** True when the file's first bytes are `prefix`. */
function startsWith(path: string, prefix: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(prefix.length);
    const read = readSync(fd, buffer, 0, prefix.length, 0);
    return read === prefix.length && buffer.toString('latin1') === prefix;
  } finally {
    closeSync(fd);
  }
}

// ---- SQLite --------------------------------------------------------------------------------

class SqliteReader implements RecordingReader {
  readonly format = 'sqlite' as const;
  readonly path: string;
  readonly targets: readonly RecordedTarget[];
  readonly firstAt: number | undefined;
  readonly #db: RecordingDatabase;
  readonly #names: Map<number, string>;
  /** Conditions on `target` and `time`, and their parameters. */
  readonly #conditions: string[] = [];
  readonly #params: number[] = [];
  readonly #pageSize: number;

  private constructor(
    path: string,
    db: RecordingDatabase,
    options: RecordingReaderOptions,
    pageSize: number,
  ) {
    this.path = path;
    this.#db = db;
    this.#pageSize = pageSize;
    const rows = db.prepare('SELECT id, name, uri, labels FROM targets ORDER BY id').all() as {
      id: number;
      name: string;
      uri: string;
      labels: string;
    }[];
    this.#names = new Map(rows.map((row) => [row.id, row.name]));
    let chosen = rows;
    if (options.targets !== undefined && options.targets.length > 0) {
      for (const name of options.targets) {
        if (!rows.some((row) => row.name === name)) {
          throw new RecordingError(
            'UNKNOWN_TARGET',
            `no target ${JSON.stringify(name)} in ${path} (recorded: ${rows.map((r) => r.name).join(', ') || 'none'})`,
            { path },
          );
        }
      }
      chosen = rows.filter((row) => options.targets!.includes(row.name));
    }
    this.targets = chosen.map((row) => ({ name: row.name, uri: row.uri, labels: parseLabels(row.labels) }));
    if (chosen.length !== rows.length) {
      this.#conditions.push(`target IN (${chosen.map(() => '?').join(', ')})`);
      this.#params.push(...chosen.map((row) => row.id));
    }
    if (options.since !== undefined) {
      this.#conditions.push('time >= ?');
      this.#params.push(options.since);
    }
    if (options.until !== undefined) {
      this.#conditions.push('time < ?');
      this.#params.push(options.until);
    }
    const snapshot = db
      .prepare(`SELECT time FROM snapshots s WHERE s.rowid > 0${this.#where('s')} ORDER BY s.rowid LIMIT 1`)
      .get(...this.#params) as { time: number } | undefined;
    const event = db
      .prepare(
        `SELECT time FROM events e WHERE type IN (${REPLAYED_EVENTS.map(() => '?').join(', ')})${this.#where('e')}
         ORDER BY after_snapshot, rowid LIMIT 1`,
      )
      .get(...REPLAYED_EVENTS, ...this.#params) as { time: number } | undefined;
    const times = [snapshot?.time, event?.time].filter((t) => t !== undefined);
    this.firstAt = times.length === 0 ? undefined : Math.min(...times);
  }

  static open(path: string, options: RecordingReaderOptions, pageSize: number): SqliteReader {
    const db = openRecording(path, { mode: 'read' });
    try {
      return new SqliteReader(path, db, options, pageSize);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async *pages(): AsyncGenerator<RecordingItem[]> {
    // Pages by rowid (the order of arrival), never one long-running statement: better-sqlite3
    // allows no other statement on the connection while an iterator is open.
    const snapshots = this.#db
      .prepare(
        `SELECT s.rowid AS id, s.time, s.target FROM snapshots s
         WHERE s.rowid > ?${this.#where('s')} ORDER BY s.rowid LIMIT ?`,
      )
      .raw(true);
    const frames = new FrameTexts(this.#db);
    const events = this.#db
      .prepare(
        `SELECT e.rowid, after_snapshot, time, target, type, detail FROM events e
         WHERE (after_snapshot, e.rowid) > (?, ?) AND type IN (${REPLAYED_EVENTS.map(() => '?').join(', ')})${this.#where('e')}
         ORDER BY after_snapshot, e.rowid LIMIT ?`,
      )
      .raw(true);
    let snapshotPage = snapshots.all(0, ...this.#params, this.#pageSize) as [number, number, number][];
    let eventPage = events.all(-1, 0, ...REPLAYED_EVENTS, ...this.#params, this.#pageSize) as [
      number,
      number,
      number,
      number,
      string,
      string,
    ][];
    let s = 0;
    let e = 0;
    let page: RecordingItem[] = [];
    for (;;) {
      if (s === snapshotPage.length && snapshotPage.length === this.#pageSize) {
        snapshotPage = snapshots.all(
          snapshotPage[s - 1]![0],
          ...this.#params,
          this.#pageSize,
        ) as typeof snapshotPage;
        s = 0;
      }
      if (e === eventPage.length && eventPage.length === this.#pageSize) {
        const last = eventPage[e - 1]!;
        eventPage = events.all(
          last[1],
          last[0],
          ...REPLAYED_EVENTS,
          ...this.#params,
          this.#pageSize,
        ) as typeof eventPage;
        e = 0;
      }
      const snapshot = snapshotPage[s];
      const event = eventPage[e];
      if (snapshot === undefined && event === undefined) break;
      // An event recorded after snapshot n comes before snapshot n + 1.
      if (event !== undefined && (snapshot === undefined || event[1] < snapshot[0])) {
        const [, , time, target, type, detail] = event;
        const name = this.#names.get(target) ?? String(target);
        page.push({
          kind: 'event',
          at: time,
          event: { ...parseObject(detail), type, target: name, at: time } as PipelineEvent,
        });
        e++;
      } else if (snapshot !== undefined) {
        const [id, time, target] = snapshot;
        const raw = frames.text(id);
        // A snapshot without its frame (a file edited by hand) cannot be replayed: skipped.
        if (raw !== undefined) {
          page.push({
            kind: 'frame',
            at: time,
            target: this.#names.get(target) ?? String(target),
            raw,
            binary: false,
          });
        }
        s++;
      }
      if (page.length >= this.#pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** ` AND ...` of the conditions, on the columns of the table called `alias`. */
  #where(alias: string): string {
    return this.#conditions.map((condition) => ` AND ${alias}.${condition}`).join('');
  }
}

/** The text of a snapshot's frame, from the row of frames that holds it (kept while reading in order). */
class FrameTexts {
  readonly #find: Statement;
  #first = 0;
  #texts: string[] = [];

  constructor(db: RecordingDatabase) {
    this.#find = db.prepare(
      'SELECT first_snapshot, lengths, codec, data FROM frames WHERE first_snapshot <= ? ORDER BY first_snapshot DESC LIMIT 1',
    );
  }

  text(snapshot: number): string | undefined {
    if (snapshot < this.#first || snapshot >= this.#first + this.#texts.length) {
      const row = this.#find.get(snapshot) as
        | { first_snapshot: number; lengths: string; codec: string; data: Buffer }
        | undefined;
      if (row === undefined) return undefined;
      this.#first = row.first_snapshot;
      this.#texts = decodeFrames(row.codec, parseNumberList(row.lengths) ?? [], row.data);
    }
    return this.#texts[snapshot - this.#first];
  }
}

// ---- save-data -----------------------------------------------------------------------------

class SaveDataReader implements RecordingReader {
  readonly format = 'save-data' as const;
  readonly path: string;
  readonly targets: readonly RecordedTarget[];
  readonly firstAt: number | undefined;
  readonly #files: string[];
  readonly #options: RecordingReaderOptions;
  readonly #pageSize: number;
  /** The target of the frames that name none (a session of one target). */
  readonly #defaultTarget: string;
  /** The targets replayed; undefined for all. */
  readonly #only: ReadonlySet<string> | undefined;

  private constructor(
    path: string,
    files: string[],
    scan: { firstAt: number | undefined; targets: RecordedTarget[]; defaultTarget: string },
    options: RecordingReaderOptions,
    pageSize: number,
  ) {
    this.path = path;
    this.#files = files;
    this.#options = options;
    this.#pageSize = pageSize;
    this.#defaultTarget = scan.defaultTarget;
    this.#only =
      options.targets !== undefined && options.targets.length > 0 ? new Set(options.targets) : undefined;
    this.targets = scan.targets.filter((t) => this.#only === undefined || this.#only.has(t.name));
    this.firstAt = scan.firstAt;
  }

  static async open(
    path: string,
    options: RecordingReaderOptions,
    pageSize: number,
  ): Promise<SaveDataReader> {
    let files: string[];
    try {
      files = await savedSessionFiles(path);
    } catch {
      files = [];
    }
    if (files.length === 0) {
      throw new RecordingError('RECORDING_NOT_FOUND', `no such recording: ${path}`, { path });
    }
    if (statSync(files[files.length - 1]!).isDirectory()) {
      throw new RecordingError('NOT_A_RECORDING', `${path} is a folder, not a recording`, { path });
    }
    const defaultTarget = options.targetName ?? basename(path, extname(path));
    const scan = await scanSession(files, defaultTarget, options);
    if (scan === undefined) {
      throw new RecordingError(
        'NOT_A_RECORDING',
        `${path} is not a recording (neither a SQLite recording nor a save-data file)`,
        { path },
      );
    }
    if (options.targets !== undefined) {
      for (const name of options.targets) {
        if (!scan.targets.some((t) => t.name === name)) {
          throw new RecordingError(
            'UNKNOWN_TARGET',
            `no target ${JSON.stringify(name)} in ${path} (recorded: ${scan.targets.map((t) => t.name).join(', ') || 'none'})`,
            { path },
          );
        }
      }
    }
    return new SaveDataReader(path, files, { ...scan, defaultTarget }, options, pageSize);
  }

  async *pages(): AsyncGenerator<RecordingItem[]> {
    let page: RecordingItem[] = [];
    for await (const item of readItems(this.#files, this.#defaultTarget, this.#options)) {
      const target = item.kind === 'frame' ? item.target : item.event.target;
      if (this.#only !== undefined && !this.#only.has(target)) continue;
      page.push(item);
      if (page.length >= this.#pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  close(): void {
    // Each read opens and closes its own streams.
  }
}

/** Every item of a saved session, in order, within the options' time range. */
async function* readItems(
  files: readonly string[],
  defaultTarget: string,
  options: RecordingReaderOptions,
): AsyncGenerator<RecordingItem> {
  const { since, until } = options;
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    let number = 0;
    for await (const line of lines) {
      number++;
      if (line === '') continue;
      const item = itemOfLine(line, defaultTarget);
      if (item === undefined) {
        options.onCorruptLine?.(file, number);
        continue;
      }
      if ((since !== undefined && item.at < since) || (until !== undefined && item.at >= until)) continue;
      yield item;
    }
  }
}

/**
 * The session's targets (in the order they first appear) and the time of its first item, read
 * once at open, since a save-data file lists its targets nowhere else; undefined when its
 * first lines are not saved records (a text file, a CSV, ...).
 */
async function scanSession(
  files: readonly string[],
  defaultTarget: string,
  options: RecordingReaderOptions,
): Promise<{ firstAt: number | undefined; targets: RecordedTarget[] } | undefined> {
  const targets = new Map<string, RecordedTarget>();
  let firstAt: number | undefined;
  let lines = 0;
  let records = 0;
  for (const file of files) {
    const input = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of input) {
      if (line === '') continue;
      lines++;
      const item = itemOfLine(line, defaultTarget);
      // A cut line may open a file (a crash mid-write): a few are forgiven, not a whole file.
      if (item === undefined) {
        if (records === 0 && lines >= 3) return undefined;
        continue;
      }
      records++;
      const name = item.kind === 'frame' ? item.target : item.event.target;
      if (!targets.has(name)) {
        const uri = item.kind === 'event' && item.event.type === 'connected' ? item.event.uri : name;
        targets.set(name, { name, uri, labels: {} });
      }
      const inRange =
        (options.since === undefined || item.at >= options.since) &&
        (options.until === undefined || item.at < options.until);
      if (firstAt === undefined && inRange) firstAt = item.at;
    }
  }
  return records === 0 ? undefined : { firstAt, targets: [...targets.values()] };
}

/** What a saved line holds (a frame as received, or a connection event); undefined for a line that is not a saved record. */
export function itemOfLine(line: string, defaultTarget: string): RecordingItem | undefined {
  let record: SavedRecord;
  try {
    record = JSON.parse(line) as SavedRecord;
  } catch {
    return undefined;
  }
  if (record === null || typeof record !== 'object' || typeof record.received_at !== 'string')
    return undefined;
  const at = Date.parse(record.received_at);
  if (!Number.isFinite(at)) return undefined;
  const target = typeof record.target === 'string' ? record.target : defaultTarget;
  if (typeof record.event === 'string') return eventOfRecord(record, target, at);
  const base = { kind: 'frame' as const, at, target };
  switch (record.invalid) {
    case undefined:
      if (typeof record.raw === 'string') return { ...base, raw: record.raw, binary: false };
      if (!('message' in record)) return undefined;
      return { ...base, raw: messageText(line, record), binary: false };
    case 'binary':
      return typeof record.raw_base64 === 'string'
        ? { ...base, raw: record.raw_base64, binary: true }
        : undefined;
    case 'too_large':
      return { ...base, raw: '', binary: false, tooLarge: Number(record.size) || 0 };
    default:
      if (typeof record.raw === 'string') return { ...base, raw: record.raw, binary: false };
      return 'message' in record ? { ...base, raw: messageText(line, record), binary: false } : undefined;
  }
}

/** A saved connection event, as the pipeline event it was. */
function eventOfRecord(record: SavedRecord, target: string, at: number): EventItem | undefined {
  const number = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
  let event: PipelineEvent;
  switch (record.event) {
    case 'connected':
      event = {
        type: 'connected',
        target,
        at,
        uri: record.uri ?? target,
        attempt: number(record.attempt, 0),
      };
      break;
    case 'disconnected':
      event = {
        type: 'disconnected',
        target,
        at,
        code: number(record.code, 1006),
        reason: record.reason ?? '',
        willReconnect: record.will_reconnect === true,
      };
      break;
    case 'reconnecting':
      event = {
        type: 'reconnecting',
        target,
        at,
        attempt: number(record.attempt, 1),
        delayMs: number(record.delay_ms, 0),
        maxAttempts: typeof record.max_attempts === 'number' ? record.max_attempts : null,
        ...(typeof record.last_error === 'string' ? { lastError: record.last_error } : {}),
      };
      break;
    case 'gave_up':
      event = {
        type: 'gave_up',
        target,
        at,
        message: record.reason ?? '',
        attempts: number(record.attempts, 0),
      };
      break;
    default:
      return undefined;
  }
  return { kind: 'event', at, event };
}

/**
 * The frame's text as saved: the save-data writer puts the frame's own text after
 * `"message":`, so it is cut out of the line rather than serialized again (which would lose
 * the server's spacing and number formats).
 */
function messageText(line: string, record: SavedRecord): string {
  const target = record.target === undefined ? '' : `,"target":${JSON.stringify(record.target)}`;
  const invalid = record.invalid === undefined ? '' : `,"invalid":${JSON.stringify(record.invalid)}`;
  const prefix = `{"received_at":${JSON.stringify(record.received_at)}${target}${invalid},"message":`;
  const keys = 2 + (target ? 1 : 0) + (invalid ? 1 : 0);
  if (line.startsWith(prefix) && line.endsWith('}') && Object.keys(record).length === keys) {
    return line.slice(prefix.length, -1);
  }
  return JSON.stringify(record.message);
}
