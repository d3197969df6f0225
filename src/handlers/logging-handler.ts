/**
 * The save-data handler: every frame received, of every type and valid or not, becomes one
 * line of JSON (JSON Lines) in a file rotated by size, so that a session can be read back or
 * replayed with {@link readSavedSession}.
 *
 * Files: the current file keeps the exact path the user gave; rotation renames it, the
 * classic logrotate way, so `monitoring.log.1` is always the newest rotated file and
 * `monitoring.log.<maxFiles>` the oldest (removed at the next rotation). Names that do not
 * depend on the date keep `tail -F monitoring.log` working and make the reading order plain.
 *
 * Hot path: a line is built with one template string and encoded straight into a batch
 * buffer; the batch is written as one chunk when it is full ({@link BATCH_BYTES}) or at the
 * end of the event-loop turn. rotating-file-stream issues one write per chunk and never splits a chunk
 * between two files, so batching gives both the speed of big writes and whole lines.
 *
 * Nothing is dropped on purpose: when the disk is slower than the server, chunks wait in
 * memory (`pendingBytes` in the statistics). A write error stops nothing but saving; it is
 * reported once, counted, and the file is opened again after `retryDelay`. On a full disk the
 * last write may be cut short (rotating-file-stream does not retry short writes, and counts
 * it as written); the next write starts on a new line, and the reader reports the cut one.
 */
import {
  accessSync,
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  openSync,
  readSync,
  stat,
  statSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { LOG_ROTATION_KEEP, LOG_ROTATION_SIZE } from '../config.js';
import { InvalidOptionError, MonitoringError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { InvalidFrameReason, ReceivedFrame } from '../protocol/frame.js';
import type { IncomingMessage, MessageHandler } from './handler.js';

/** Bytes gathered at most before a batch is written without waiting for the end of the turn. */
export const BATCH_BYTES = 64 * 1024;

export interface LoggingHandlerOptions {
  /**
   * File the frames are saved to. Its folder must exist. Rotated files are `<path>.1`
   * (newest) to `<path>.<maxFiles>` (oldest). An existing file is appended to.
   */
  path: string;
  /**
   * Size in bytes from which the file is rotated. A file ends with whole lines, so it may
   * exceed this by less than one batch (64 KiB, or one line when a frame is bigger).
   * Default {@link LOG_ROTATION_SIZE} (10 MiB).
   */
  maxSize?: number;
  /** Rotated files kept beside the current one; a positive integer. Default {@link LOG_ROTATION_KEEP} (5). */
  maxFiles?: number;
  /** Where the first write error and rotations are logged. Default: {@link silentLogger}. */
  logger?: Logger;
  /**
   * Told of the first write error (a {@link SaveDataError}); later ones are only counted.
   * Never told from inside the constructor. Default: none.
   */
  onError?: (error: Error) => void;
  /** Milliseconds after a write error before the file is opened again. Default 5000. */
  retryDelay?: number;
  /**
   * Milliseconds between checks that the file is still at `path` (it may be removed or moved
   * by another program, and writes to a removed file vanish silently). 0 turns the check
   * off. Default 1000.
   */
  checkInterval?: number;
}

/** Counters of a {@link LoggingHandler}. After `close()`, `messageCount = messagesWritten + messagesLost`. */
export interface LoggingHandlerStats {
  /** Lines taken for saving: one per frame handled before `close()`. */
  messageCount: number;
  /** Lines written to the file (accepted by the operating system). */
  messagesWritten: number;
  /** Lines that could not be saved because of a write error. */
  messagesLost: number;
  /** Bytes written to the files. */
  bytesWritten: number;
  /** Bytes waiting in memory to be written; grows while the disk is slower than the server. */
  pendingBytes: number;
  /** Absolute path of the current file. */
  logFile: string;
  /** Rotations done. */
  rotations: number;
  /** Write errors: failed writes, failed opens, the file removed under the handler. */
  writeErrors: number;
  /** Message of the latest write error, or null. */
  lastError: string | null;
}

/** Saving failed: the folder is missing, permission is denied, the disk is full, ... */
export class SaveDataError extends MonitoringError {
  override name = 'SaveDataError';
  declare readonly code: 'SAVE_DATA_FAILED';
  /** The file that could not be written. */
  readonly path: string;
  /** The operating system's error code, such as `ENOSPC` or `ENOTDIR`, when there is one. */
  readonly osCode: string | undefined;
  constructor(path: string, reason: string, cause?: unknown) {
    super('SAVE_DATA_FAILED', `cannot save data to ${path}: ${reason}`, { cause });
    this.path = path;
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.osCode = typeof code === 'string' ? code : undefined;
  }
}

/** One saved line, parsed. */
export interface SavedRecord {
  /** Time of receipt, ISO 8601 UTC with milliseconds. */
  received_at: string;
  /** The message exactly as received: for a valid frame, and for `not_object`. */
  message?: unknown;
  /** Why the frame was not a valid message; absent for a valid one. */
  invalid?: InvalidFrameReason;
  /** The text of a `not_json` frame. */
  raw?: string;
  /** The bytes of a `binary` frame, base64. */
  raw_base64?: string;
  /** Size in bytes of a `too_large` frame (its content was never read). */
  size?: number;
}

// '000Z' .. '999Z': the millisecond part of a timestamp, looked up instead of formatted.
const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);
// Range of a valid Date.
const MAX_TIME = 8.64e15;
const LINE_BREAKS = /[\r\n]/g;
const LINE_FEED = Buffer.from('\n');

/** JSON text on one line: in valid JSON a CR or LF can only be whitespace between tokens. */
function oneLine(json: string): string {
  // indexOf is about ten times faster than a regular expression test on a typical frame.
  return json.indexOf('\n') === -1 && json.indexOf('\r') === -1 ? json : json.replace(LINE_BREAKS, ' ');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds as `HH:MM:SS.mmm` UTC, for messages. */
function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True for a file that exists, is not empty, is smaller than `limit` and does not end with LF. */
function endsMidLine(file: string, limit: number): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const { size } = fstatSync(fd);
    if (size === 0 || size >= limit) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export class LoggingHandler implements MessageHandler {
  readonly #path: string;
  readonly #maxSize: number;
  readonly #maxFiles: number;
  readonly #logger: Logger;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #retryDelay: number;
  readonly #watchdog: ReturnType<typeof setInterval> | undefined;

  // The stream lines go to; undefined before the first open and after a failure.
  #stream: RotatingFileStream | undefined;
  // Set while a new stream waits for the previous ones to close (they may still rename files).
  #opening: Promise<void> | undefined;
  // Streams that are closing; a new one is created only once they are closed.
  readonly #retired = new Set<Promise<void>>();
  // Streams whose failure has been counted, so that a failure is counted once.
  readonly #failed = new WeakSet<RotatingFileStream>();
  #retryAt = 0;
  // Set when the file ends with a cut line: a write cut short by a full disk (rotating-file-
  // stream does not retry short writes) or a crash. The next chunk then starts with a line
  // break, so that the fragment stays on a line of its own instead of spoiling the next one.
  #needsLineBreak = false;

  // The batch: lines are encoded straight into a buffer, which is handed to the stream whole
  // (concatenating strings and encoding them later costs about four times more).
  #batch = Buffer.allocUnsafe(BATCH_BYTES);
  #batchUsed = 0;
  #batchLines = 0;
  #flushScheduled = false;
  // Batches kept while a new stream waits for the old one to close.
  #held: { chunk: Buffer; lines: number }[] = [];

  // Identity of the file at `path`, for the removed-file check; bumped on every (re)open.
  #generation = 0;
  #identity: { dev: bigint; ino: bigint } | undefined;
  #checking = false;
  #lastGoodCheck = 0;

  #isoSecond = Number.NaN;
  #isoPrefix = '';

  #messageCount = 0;
  #messagesWritten = 0;
  #messagesLost = 0;
  #bytesWritten = 0;
  #rotations = 0;
  #writeErrors = 0;
  #lastError: string | null = null;
  #reported = false;
  #closing = false;
  #closed: Promise<void> | undefined;

  /** @throws InvalidOptionError naming the option, when an option has a value that is not allowed. */
  constructor(options: LoggingHandlerOptions) {
    if (typeof options?.path !== 'string' || options.path.trim() === '') {
      throw new InvalidOptionError('path', options?.path, 'a file path');
    }
    const maxSize = options.maxSize ?? LOG_ROTATION_SIZE;
    if (!Number.isSafeInteger(maxSize) || maxSize < 1) {
      throw new InvalidOptionError('maxSize', maxSize, 'a positive integer number of bytes');
    }
    const maxFiles = options.maxFiles ?? LOG_ROTATION_KEEP;
    if (!Number.isSafeInteger(maxFiles) || maxFiles < 1) {
      throw new InvalidOptionError('maxFiles', maxFiles, 'a positive integer');
    }
    const retryDelay = options.retryDelay ?? 5000;
    if (!Number.isFinite(retryDelay) || retryDelay < 0) {
      throw new InvalidOptionError('retryDelay', retryDelay, 'milliseconds, 0 or more');
    }
    const checkInterval = options.checkInterval ?? 1000;
    if (!Number.isFinite(checkInterval) || checkInterval < 0) {
      throw new InvalidOptionError('checkInterval', checkInterval, 'milliseconds, 0 or more');
    }
    this.#path = resolve(options.path);
    this.#maxSize = maxSize;
    this.#maxFiles = maxFiles;
    this.#logger = options.logger ?? silentLogger;
    this.#onError = options.onError;
    this.#retryDelay = retryDelay;
    if (checkInterval > 0) {
      this.#watchdog = setInterval(this.#check, checkInterval);
      // The check must not keep a process alive that forgot to call close().
      this.#watchdog.unref();
    }
    // Open soon, so that the file exists (or the error is known) before the first message,
    // but not inside the constructor, which must not call onError.
    queueMicrotask(() => {
      if (this.#stream === undefined && this.#opening === undefined && !this.#closing) this.#open();
    });
  }

  /**
   * Why `path` cannot be used for saving, or undefined when its folder exists and is
   * writable (and the file, if it exists, is a writable regular file). Synchronous, for the
   * CLI to check before connecting.
   */
  static validatePath(path: string): string | undefined {
    if (typeof path !== 'string' || path.trim() === '') return 'no file name given';
    const file = resolve(path);
    const folder = dirname(file);
    let folderStats: ReturnType<typeof statSync>;
    try {
      folderStats = statSync(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return `folder ${folder} does not exist`;
      if (code === 'ENOTDIR') return `${folder} is not a folder (a part of it is a file)`;
      return `cannot reach folder ${folder}: ${describe(error)}`;
    }
    if (!folderStats?.isDirectory()) return `${folder} is not a folder`;
    try {
      accessSync(folder, constants.W_OK | constants.X_OK);
    } catch (error) {
      return `no permission to create files in folder ${folder} (${(error as NodeJS.ErrnoException).code ?? describe(error)})`;
    }
    let fileStats: ReturnType<typeof statSync>;
    try {
      fileStats = statSync(file);
    } catch {
      return undefined; // Not there yet: it will be created.
    }
    if (fileStats?.isDirectory()) return `${file} is a folder, not a file`;
    if (!fileStats?.isFile()) return `${file} is not a regular file`;
    try {
      accessSync(file, constants.W_OK);
    } catch (error) {
      return `no permission to write ${file} (${(error as NodeJS.ErrnoException).code ?? describe(error)})`;
    }
    return undefined;
  }

  /** Records the frame, whatever it is: valid, not JSON, binary, of any type. Never throws. */
  handleMessage(incoming: IncomingMessage): void {
    if (this.#closing) return;
    let line: string;
    try {
      line = this.#line(incoming.frame);
    } catch (error) {
      // Only a caller breaking the IncomingMessage type gets here.
      this.#logger.debug(`save-data: frame skipped: ${describe(error)}`);
      return;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = line.length * 3;
    if (this.#batchUsed + room > this.#batch.length) {
      this.#flush();
      if (room > this.#batch.length) this.#batch = Buffer.allocUnsafe(room); // A huge frame.
    }
    this.#batchUsed += this.#batch.write(line, this.#batchUsed);
    this.#batchLines++;
    this.#messageCount++;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushLater);
    }
  }

  getStats(): LoggingHandlerStats {
    return {
      messageCount: this.#messageCount,
      messagesWritten: this.#messagesWritten,
      messagesLost: this.#messagesLost,
      bytesWritten: this.#bytesWritten,
      pendingBytes:
        this.#batchUsed +
        this.#held.reduce((sum, held) => sum + held.chunk.length, 0) +
        (this.#stream?.writableLength ?? 0),
      logFile: this.#path,
      rotations: this.#rotations,
      writeErrors: this.#writeErrors,
      lastError: this.#lastError,
    };
  }

  /**
   * Writes every line handed in before the call, closes the file, and resolves once it is
   * closed. Never rejects: a write error is reported and counted. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#flush();
    // A flush may have to wait for a file to be opened again; then it keeps the lines.
    while (this.#opening !== undefined) {
      await this.#opening;
      this.#flush();
    }
    const stream = this.#stream;
    if (stream !== undefined) this.#retire(stream);
    while (this.#retired.size > 0) await Promise.all(this.#retired);
    this.#stream = undefined;
  }

  #line(frame: ReceivedFrame): string {
    const time = this.#isoTime(frame.receivedAt);
    switch (frame.invalidReason) {
      case undefined:
        // parseFrame sets `message` for every valid frame; a frame built by hand is checked.
        if (frame.repairedJson !== undefined) {
          // Python's NaN/Infinity: the line keeps valid JSON (null) and the text as received.
          return `{"received_at":"${time}","message":${oneLine(frame.repairedJson)},"raw":${JSON.stringify(frame.raw)}}\n`;
        }
        if (frame.message !== undefined || isJson(frame.raw)) {
          return `{"received_at":"${time}","message":${oneLine(frame.raw)}}\n`;
        }
        return `{"received_at":"${time}","invalid":"not_json","raw":${JSON.stringify(frame.raw)}}\n`;
      case 'not_json':
        return `{"received_at":"${time}","invalid":"not_json","raw":${JSON.stringify(frame.raw)}}\n`;
      case 'not_object':
        // JSON only once Python's NaN/Infinity are read as null ("NaN", "[Infinity]"): kept as text.
        if (!isJson(frame.raw)) {
          return `{"received_at":"${time}","invalid":"not_object","raw":${JSON.stringify(frame.raw)}}\n`;
        }
        return `{"received_at":"${time}","invalid":"not_object","message":${oneLine(frame.raw)}}\n`;
      case 'binary':
        return `{"received_at":"${time}","invalid":"binary","raw_base64":${JSON.stringify(frame.raw)}}\n`;
      case 'too_large':
        return `{"received_at":"${time}","invalid":"too_large","size":${Number(frame.size) || 0}}\n`;
      default:
        return `{"received_at":"${time}","invalid":${JSON.stringify(String(frame.invalidReason))},"raw":${JSON.stringify(String(frame.raw))}}\n`;
    }
  }

  /** ISO 8601 UTC with milliseconds; Date formatting runs once per second, not per line. */
  #isoTime(receivedAt: number): string {
    let ms = receivedAt;
    if (!(ms >= -MAX_TIME && ms <= MAX_TIME)) ms = Date.now();
    ms = Math.floor(ms);
    const second = Math.floor(ms / 1000);
    if (second !== this.#isoSecond) {
      this.#isoSecond = second;
      // Everything but "mmmZ".
      this.#isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    }
    return this.#isoPrefix + MILLISECONDS[ms - second * 1000];
  }

  readonly #flushLater = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  /** Hands the batch to the stream; keeps it while a stream is being opened. */
  #flush(): void {
    if (this.#batchLines === 0) return;
    let chunk: Buffer;
    if (this.#batchUsed < BATCH_BYTES / 4) {
      // A small batch (a quiet server) is copied out, so that a chunk waiting on a slow disk
      // does not hold a whole 64 KiB buffer.
      chunk = Buffer.allocUnsafe(this.#batchUsed);
      this.#batch.copy(chunk, 0, 0, this.#batchUsed);
    } else {
      chunk = this.#batch.subarray(0, this.#batchUsed);
      this.#batch = Buffer.allocUnsafe(BATCH_BYTES);
    }
    const lines = this.#batchLines;
    this.#batchUsed = 0;
    this.#batchLines = 0;
    try {
      if (this.#stream === undefined && this.#opening === undefined && Date.now() >= this.#retryAt) {
        this.#open();
      }
      if (this.#opening !== undefined) {
        this.#held.push({ chunk, lines });
      } else if (this.#stream === undefined) {
        this.#messagesLost += lines;
      } else {
        this.#write(this.#stream, chunk, lines);
      }
    } catch (error) {
      // Nothing above is expected to throw; if it does, this runs from setImmediate, where a
      // throw would end the process.
      this.#messagesLost += lines;
      this.#fail(new SaveDataError(this.#path, describe(error), error));
    }
  }

  #write(stream: RotatingFileStream, chunk: Buffer, lines: number): void {
    if (this.#needsLineBreak) {
      this.#needsLineBreak = false;
      this.#write(stream, LINE_FEED, 0);
    }
    stream.write(chunk, (error) => {
      if (error) {
        this.#messagesLost += lines;
        // After a real error, the stream fails the chunks queued behind it with
        // ERR_STREAM_DESTROYED: those are counted as lost, the real error is the one reported.
        if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_DESTROYED')
          this.#streamFailed(stream, error);
      } else {
        this.#messagesWritten += lines;
        this.#bytesWritten += chunk.length;
      }
    });
  }

  #open(): void {
    const reason = LoggingHandler.validatePath(this.#path);
    if (reason !== undefined) {
      this.#retryAt = Date.now() + this.#retryDelay;
      this.#fail(new SaveDataError(this.#path, reason));
      return;
    }
    if (this.#retired.size === 0) {
      this.#createStream();
      return;
    }
    // A closing stream may still rotate, that is rename the file at `path`: wait for it.
    const opening = Promise.all(this.#retired)
      .then(() => {
        this.#opening = undefined;
        this.#createStream();
        const held = this.#held;
        this.#held = [];
        for (const { chunk, lines } of held) {
          if (this.#stream === undefined) this.#messagesLost += lines;
          else this.#write(this.#stream, chunk, lines);
        }
      })
      .catch((error: unknown) => {
        // Not expected; the promise must not reject (close() awaits it).
        this.#opening = undefined;
        this.#fail(new SaveDataError(this.#path, describe(error), error));
      });
    this.#opening = opening;
  }

  #createStream(): void {
    if (endsMidLine(this.#path, this.#maxSize)) this.#needsLineBreak = true;
    let stream: RotatingFileStream;
    try {
      // `rotate` selects the logrotate scheme: <path>.1 newest ... <path>.<rotate> oldest.
      stream = createStream(this.#path, { size: `${this.#maxSize}B`, rotate: this.#maxFiles });
    } catch (error) {
      this.#retryAt = Date.now() + this.#retryDelay;
      this.#fail(new SaveDataError(this.#path, describe(error), error));
      return;
    }
    this.#stream = stream;
    // Said once per stream, not at every reopen after a rotation.
    let recovering = this.#writeErrors > 0;
    stream.on('error', (error) => this.#streamFailed(stream, error));
    stream.on('close', () => {
      if (this.#stream === stream && !this.#closing) {
        this.#streamFailed(stream, new Error('the file was closed unexpectedly'));
      }
    });
    stream.on('warning', (error) => this.#logger.warn(`save-data: ${describe(error)}`));
    stream.on('rotation', () => {
      this.#generation++;
      this.#identity = undefined;
    });
    stream.on('rotated', (rotatedTo) => {
      this.#rotations++;
      this.#logger.debug(`save-data: ${this.#path} rotated to ${rotatedTo}`);
    });
    stream.on('open', () => {
      const generation = ++this.#generation;
      if (recovering) {
        recovering = false;
        this.#logger.info(`save-data: writing ${this.#path} again (${this.#messagesLost} lines lost so far)`);
      }
      stat(this.#path, { bigint: true }, (error, stats) => {
        if (error || generation !== this.#generation || this.#stream !== stream) return;
        this.#identity = { dev: stats.dev, ino: stats.ino };
        this.#lastGoodCheck = Date.now();
      });
    });
  }

  // Writes to a file that was removed succeed and vanish: look at the path now and then.
  readonly #check = (): void => {
    const stream = this.#stream;
    const identity = this.#identity;
    if (stream === undefined || identity === undefined || this.#checking || this.#closing) return;
    this.#checking = true;
    const generation = this.#generation;
    stat(this.#path, { bigint: true }, (error, stats) => {
      this.#checking = false;
      if (generation !== this.#generation || this.#stream !== stream || this.#closing) return;
      if (error && error.code !== 'ENOENT') return; // Not a proof that the file is gone.
      if (!error && stats.dev === identity.dev && stats.ino === identity.ino) {
        this.#lastGoodCheck = Date.now();
        return;
      }
      this.#failed.add(stream);
      this.#stream = undefined;
      this.#retryAt = 0;
      this.#retire(stream);
      this.#fail(
        new SaveDataError(
          this.#path,
          `the file was removed or moved by another program (lines saved since ${clockTime(this.#lastGoodCheck)} UTC may be lost); it is created again`,
        ),
      );
    });
  };

  #streamFailed(stream: RotatingFileStream, error: Error): void {
    if (this.#failed.has(stream)) return;
    this.#failed.add(stream);
    if (this.#stream === stream) {
      this.#stream = undefined;
      this.#retryAt = Date.now() + this.#retryDelay;
    }
    this.#retire(stream);
    this.#fail(new SaveDataError(this.#path, describe(error), error));
  }

  /** Ends `stream` (when it is still open) and tracks it until it is closed. */
  #retire(stream: RotatingFileStream): void {
    if (stream.closed) return;
    const closed = new Promise<void>((done) => stream.once('close', done));
    this.#retired.add(closed);
    void closed.then(() => this.#retired.delete(closed));
    if (!stream.destroyed && !stream.writableEnded) stream.end();
  }

  #fail(error: SaveDataError): void {
    this.#writeErrors++;
    this.#lastError = error.message;
    if (this.#reported) return;
    this.#reported = true;
    this.#logger.error(error.message);
    if (this.#onError === undefined) return;
    try {
      this.#onError(error);
    } catch {
      // The error callback failed: saving goes on regardless.
    }
  }
}

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
}

/**
 * Reads a saved session back, in the order it was received, across its rotated files
 * (see {@link savedSessionFiles}). Empty lines are skipped.
 * @throws the file system's error when the folder cannot be read.
 */
export async function* readSavedSession(
  path: string,
  options: ReadSavedSessionOptions = {},
): AsyncGenerator<SavedRecord> {
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
      yield record as SavedRecord;
    }
  }
}
