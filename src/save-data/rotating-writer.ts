/**
 * A file of lines, rotated by size, written in order without losing or splitting a line, and
 * with backpressure: what waits in memory is bounded, and the owner is told when to stop
 * reading its source.
 *
 * Files: the current file keeps the exact path given; rotation renames it, the classic
 * logrotate way, so `<path>.1` is always the newest rotated file and `<path>.<maxFiles>` the
 * oldest (overwritten at the next rotation). Names that do not depend on the date keep
 * `tail -F` working and make the reading order plain.
 *
 * Hot path: a line is encoded straight into a batch buffer; the batch becomes one chunk when
 * it is full ({@link BATCH_BYTES}) or at the end of the event-loop turn. Chunks are written
 * one at a time, in order, by one loop; the file is rotated between two chunks only, so a
 * line is never split across files, and a file exceeds `maxSize` by less than one chunk.
 *
 * Backpressure: when the memory held by the chunks waiting (whole batch buffers, reused) and
 * the batch passes `maxPendingBytes`, the writer says it is congested; once it is down to a
 * quarter of it, that it is not. The owner stops reading its socket meanwhile, so memory is
 * bounded whatever the server sends. Lines taken but not yet handed to the operating system
 * are then at most `maxPendingBytes`, plus the batch that crossed it, plus what the owner
 * takes after being told (one socket read, 64 KiB): that is what a crash (SIGKILL) can lose.
 * With a disk that keeps up, a line is handed over at the end of the event-loop turn that
 * took it.
 *
 * Errors: a failed open or write stops nothing but the writing; the first error is reported,
 * every one is counted, the lines that could not be written are counted as lost, and the file
 * is opened again after `retryDelay`. A file removed or moved by another program is noticed
 * within `checkInterval` (writes to a removed file succeed and vanish) and created again.
 *
 * Why not rotating-file-stream: it opens its files with the fixed flag "a", so it follows a
 * symbolic link planted at the path (at start or between a rotation's rename and the open of
 * the new file) and cannot create files 0600 without following; it scans every index up to
 * its `rotate` count at each rotation; and it does not retry a short write. Files here are
 * opened by `openOutputFile` (see files/output-file.ts).
 */
import { type FileHandle, readdir, rename, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { openOutputFile, validateOutputPath } from '../files/output-file.js';
import type { Logger } from '../logger.js';
import { type Clock, type TimerHandle, unrefTimer } from '../transport/clock.js';

/** Bytes gathered at most before a batch is written without waiting for the end of the turn. */
export const BATCH_BYTES = 64 * 1024;
/** Default bound of the bytes waiting to be written before the writer says it is congested (1 MiB). */
export const DEFAULT_MAX_PENDING_BYTES = 1024 * 1024;

const LINE_FEED = Buffer.from('\n');

export interface RotatingWriterOptions {
  /** Absolute path of the current file. */
  path: string;
  /** Size in bytes from which the file is rotated. */
  maxSize: number;
  /** Rotated files kept. */
  maxFiles: number;
  /** Time for the retry delay and the removed-file check. */
  clock: Clock;
  /** Where the first error, recoveries and rotations are logged. */
  logger: Logger;
  /** Names the writer in log lines, e.g. `save-data`. */
  label: string;
  /** The error reported for a failure: `reason` says what happened, `cause` is the system's error. */
  errorOf(reason: string, cause?: unknown): Error;
  /** Told of the first error of a run (start to close); later ones are only counted. */
  onError?: ((error: Error) => void) | undefined;
  /** Milliseconds after an error before the file is opened again. */
  retryDelay: number;
  /** Milliseconds between checks that the file is still at `path`; 0: never. */
  checkInterval: number;
  /** Bytes waiting to be written above which the writer is congested. */
  maxPendingBytes: number;
}

/** Lines of two kinds are counted apart: records of data, and events about them. */
export type LineKind = 'frame' | 'event';

export interface RotatingWriterCounters {
  framesTaken: number;
  framesWritten: number;
  framesLost: number;
  eventsTaken: number;
  eventsWritten: number;
  eventsLost: number;
  bytesWritten: number;
  /** Bytes in memory, not yet handed to the operating system. */
  pendingBytes: number;
  rotations: number;
  writeErrors: number;
  lastError: string | null;
  /** True while the writer is congested. */
  congested: boolean;
  /** Times it became congested. */
  congestions: number;
}

interface Chunk {
  /** The lines: the start of `batch`. */
  data: Buffer;
  /** The batch buffer that holds them, used again once they are written. */
  batch: Buffer;
  frames: number;
  events: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes all of `data`, going on after a short write (a write of part of it). */
async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    if (bytesWritten <= 0) throw new Error('the system wrote nothing');
    offset += bytesWritten;
  }
}

/** Milliseconds as `HH:MM:SS.mmm` UTC, for messages. */
function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

export class RotatingWriter {
  readonly #path: string;
  readonly #maxSize: number;
  readonly #maxFiles: number;
  readonly #logger: Logger;
  readonly #label: string;
  readonly #errorOf: (reason: string, cause?: unknown) => Error;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #retryDelay: number;
  readonly #checkInterval: number;
  readonly #maxPending: number;
  readonly #resumeBelow: number;
  #clock: Clock;

  // The open file, its size, and its identity (for the removed-file check).
  #file: FileHandle | undefined;
  #size = 0;
  #identity: { dev: number; ino: number } | undefined;
  // Bumped whenever the file changes, so that a check of an older file is ignored.
  #generation = 0;
  // Set by the check: why the open file must be closed and the path opened again.
  #stale = false;
  // The file ends with a cut line (a full disk, a crash): the next chunk starts with a line
  // break, so that the fragment stays on a line of its own instead of spoiling the next one.
  #needsLineBreak = false;
  #retryAt = 0;

  // Chunks waiting, in order, and the one loop that writes them. Their bytes of lines, and
  // the memory they hold (whole batch buffers), which is what congestion bounds.
  #queue: Chunk[] = [];
  #queuedBytes = 0;
  #queuedMemory = 0;
  #running: Promise<void> | undefined;
  // Files being closed in the background (after the file was removed under the writer).
  readonly #closing = new Set<Promise<void>>();

  // The batch: lines are encoded straight into a buffer (concatenating strings and encoding
  // them later costs about four times more).
  #batch: Buffer = Buffer.allocUnsafe(BATCH_BYTES);
  #batchUsed = 0;
  #batchFrames = 0;
  #batchEvents = 0;
  #flushScheduled = false;
  // Written batch buffers, used again: under a flood, allocating one per batch (or a copy of
  // each small one) leaves tens of MiB of garbage for the collector at any moment.
  readonly #spare: Buffer[] = [];
  readonly #maxSpare: number;

  #accepting = true;
  #closed: Promise<void> | undefined;

  #watchdog: TimerHandle | undefined;
  #checking = false;
  #lastGoodCheck = 0;

  #framesTaken = 0;
  #framesWritten = 0;
  #framesLost = 0;
  #eventsTaken = 0;
  #eventsWritten = 0;
  #eventsLost = 0;
  #bytesWritten = 0;
  #rotations = 0;
  #writeErrors = 0;
  #lastError: string | null = null;
  #reported = false;
  #recovering = false;

  #congested = false;
  #congestions = 0;
  readonly #congestionListeners = new Set<(congested: boolean) => void>();

  constructor(options: RotatingWriterOptions) {
    this.#path = options.path;
    this.#maxSize = options.maxSize;
    this.#maxFiles = options.maxFiles;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#label = options.label;
    this.#errorOf = options.errorOf;
    this.#onError = options.onError;
    this.#retryDelay = options.retryDelay;
    this.#checkInterval = options.checkInterval;
    this.#maxPending = options.maxPendingBytes;
    this.#resumeBelow = Math.floor(options.maxPendingBytes / 4);
    this.#maxSpare = Math.ceil(options.maxPendingBytes / BATCH_BYTES) + 1;
    this.#openSoon();
  }

  /** The file written. */
  get path(): string {
    return this.#path;
  }

  /** True while more than `maxPendingBytes` wait to be written. */
  get congested(): boolean {
    return this.#congested;
  }

  /** Bytes taken and not yet handed to the operating system. */
  get pendingBytes(): number {
    return this.#batchUsed + this.#queuedBytes;
  }

  /**
   * Takes one line (with its line break). Returns false, taking nothing, between `close()`
   * and `start()`. Never throws.
   */
  write(line: string, kind: LineKind): boolean {
    if (!this.#accepting) return false;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = line.length * 3;
    if (this.#batchUsed + room > this.#batch.length) {
      this.#flush();
      if (room > this.#batch.length) this.#batch = Buffer.allocUnsafe(room); // A huge line.
    }
    this.#batchUsed += this.#batch.write(line, this.#batchUsed);
    if (kind === 'frame') {
      this.#batchFrames++;
      this.#framesTaken++;
    } else {
      this.#batchEvents++;
      this.#eventsTaken++;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushLater);
    }
    return true;
  }

  /**
   * Calls `listener(true)` when more than `maxPendingBytes` wait, `listener(false)` once they
   * are down to a quarter of it. Returns a function that removes the listener.
   */
  onCongestion(listener: (congested: boolean) => void): () => void {
    this.#congestionListeners.add(listener);
    return () => this.#congestionListeners.delete(listener);
  }

  /** Uses `clock` from now on (the pipeline's, given at start). */
  setClock(clock: Clock): void {
    if (clock === this.#clock) return;
    this.#disarmWatchdog();
    this.#clock = clock;
    this.#retryAt = 0;
    if (this.#file !== undefined) this.#armWatchdog();
  }

  counters(): RotatingWriterCounters {
    return {
      framesTaken: this.#framesTaken,
      framesWritten: this.#framesWritten,
      framesLost: this.#framesLost,
      eventsTaken: this.#eventsTaken,
      eventsWritten: this.#eventsWritten,
      eventsLost: this.#eventsLost,
      bytesWritten: this.#bytesWritten,
      pendingBytes: this.pendingBytes,
      rotations: this.#rotations,
      writeErrors: this.#writeErrors,
      lastError: this.#lastError,
      congested: this.#congested,
      congestions: this.#congestions,
    };
  }

  /**
   * Writes every line taken before the call, closes the file, and resolves once it is
   * closed. Never rejects: a write error is reported and counted. Idempotent until `start()`.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  /** Takes lines again after `close()` (the file is opened again, and appended to). */
  async start(): Promise<void> {
    const closed = this.#closed;
    if (closed === undefined) return;
    await closed;
    if (this.#closed !== closed) return;
    this.#closed = undefined;
    this.#accepting = true;
    this.#reported = false;
    this.#retryAt = 0;
    this.#openSoon();
  }

  // ---- the batch -------------------------------------------------------------------------

  readonly #flushLater = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  /** Turns the batch into a chunk at the end of the queue. */
  #flush(): void {
    if (this.#batchFrames + this.#batchEvents === 0) return;
    const batch = this.#batch;
    const data = batch.subarray(0, this.#batchUsed);
    this.#batch = this.#spare.pop() ?? Buffer.allocUnsafe(BATCH_BYTES);
    this.#queue.push({ data, batch, frames: this.#batchFrames, events: this.#batchEvents });
    this.#queuedBytes += data.length;
    this.#queuedMemory += batch.length;
    this.#batchUsed = 0;
    this.#batchFrames = 0;
    this.#batchEvents = 0;
    this.#updateCongestion();
    this.#kick(false);
  }

  // ---- the one loop that touches the file ------------------------------------------------------

  #openSoon(): void {
    // Soon, so that the file exists (or the error is known) before the first line, but not
    // inside the constructor, which must not call onError.
    queueMicrotask(() => {
      if (this.#accepting && this.#file === undefined) this.#kick(true);
    });
  }

  #kick(openNow: boolean): void {
    if (this.#running !== undefined) return;
    this.#running = this.#drain(openNow)
      .catch((error: unknown) => {
        // Nothing in the loop is expected to throw; if it does, its lines are lost, reported.
        this.#dropQueue();
        this.#fail(describe(error), error);
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#queue.length > 0) this.#kick(false);
      });
  }

  async #drain(openNow: boolean): Promise<void> {
    if (openNow && this.#file === undefined && this.#clock.now() >= this.#retryAt) await this.#open();
    while (this.#queue.length > 0) {
      // Not awaited: the path is looked at in this same turn, as the lines were taken.
      if (this.#stale) this.#track(this.#closeFile());
      if (this.#file === undefined && (this.#clock.now() < this.#retryAt || !(await this.#open()))) {
        // No file to write to until the retry: these lines are lost, and counted.
        this.#dropQueue();
        return;
      }
      const file = this.#file as FileHandle;
      const chunk = this.#queue[0] as Chunk;
      let failure: unknown;
      try {
        if (this.#needsLineBreak) {
          await writeAll(file, LINE_FEED);
          this.#needsLineBreak = false;
          this.#size += 1;
          this.#bytesWritten += 1;
        }
        await writeAll(file, chunk.data);
      } catch (error) {
        failure = error;
      }
      this.#queue.shift();
      this.#queuedBytes -= chunk.data.length;
      this.#queuedMemory -= chunk.batch.length;
      this.#recycle(chunk);
      if (failure === undefined) {
        this.#framesWritten += chunk.frames;
        this.#eventsWritten += chunk.events;
        this.#bytesWritten += chunk.data.length;
        this.#size += chunk.data.length;
        // The next file is created at once, as a rotation does: `tail -F` and readers see it.
        if (this.#size >= this.#maxSize && (await this.#rotate())) await this.#open();
      } else {
        this.#framesLost += chunk.frames;
        this.#eventsLost += chunk.events;
        await this.#closeFile();
        this.#retryAt = this.#clock.now() + this.#retryDelay;
        this.#fail(describe(failure), failure);
      }
      this.#updateCongestion();
    }
  }

  /** Opens the file at the path (rotating it first when it is already full). True when open. */
  async #open(): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const reason = validateOutputPath(this.#path);
      if (reason !== undefined) {
        this.#retryAt = this.#clock.now() + this.#retryDelay;
        this.#fail(reason);
        return false;
      }
      let file: FileHandle;
      let size: number;
      try {
        file = await openOutputFile(this.#path);
        const stats = await file.stat();
        size = stats.size;
        this.#identity = { dev: stats.dev, ino: stats.ino };
        if (size > 0 && size < this.#maxSize) {
          const last = Buffer.alloc(1);
          await file.read(last, 0, 1, size - 1);
          this.#needsLineBreak = last[0] !== 0x0a;
        } else {
          this.#needsLineBreak = false;
        }
      } catch (error) {
        this.#retryAt = this.#clock.now() + this.#retryDelay;
        this.#fail(describe(error), error);
        return false;
      }
      this.#file = file;
      this.#size = size;
      this.#generation++;
      this.#stale = false;
      this.#lastGoodCheck = this.#clock.now();
      this.#armWatchdog();
      if (this.#recovering) {
        this.#recovering = false;
        const lost = this.#framesLost + this.#eventsLost;
        this.#logger.info(`${this.#label}: writing ${this.#path} again (${lost} lines lost so far)`);
      }
      if (size < this.#maxSize) return true;
      await this.#rotate();
    }
    return this.#file !== undefined;
  }

  /** Closes the file and shifts the names: `<path>` → `.1` → `.2` ... → `.<maxFiles>`. True when done. */
  async #rotate(): Promise<boolean> {
    await this.#closeFile();
    try {
      const name = basename(this.#path);
      const indexes: number[] = [];
      for (const entry of await readdir(dirname(this.#path))) {
        if (!entry.startsWith(`${name}.`)) continue;
        const suffix = entry.slice(name.length + 1);
        if (/^[1-9][0-9]*$/.test(suffix) && Number(suffix) < this.#maxFiles) indexes.push(Number(suffix));
      }
      // Highest first, each onto the next name (the oldest kept is overwritten); only the
      // names that exist are touched, however many files are kept.
      indexes.sort((a, b) => b - a);
      for (const index of indexes) await rename(`${this.#path}.${index}`, `${this.#path}.${index + 1}`);
      await rename(this.#path, `${this.#path}.1`);
    } catch (error) {
      this.#retryAt = this.#clock.now() + this.#retryDelay;
      this.#fail(`rotation failed: ${describe(error)}`, error);
      return false;
    }
    this.#rotations++;
    this.#logger.debug(`${this.#label}: ${this.#path} rotated to ${this.#path}.1`);
    return true;
  }

  async #closeFile(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    this.#identity = undefined;
    this.#stale = false;
    this.#generation++;
    this.#disarmWatchdog();
    if (file !== undefined) await file.close().catch(() => {});
  }

  /** Keeps the batch buffer of a chunk that is written (or dropped) for the next batches. */
  #recycle(chunk: Chunk): void {
    // Not a buffer made larger for a huge line, and no more than a full queue uses.
    if (chunk.batch.length === BATCH_BYTES && this.#spare.length < this.#maxSpare)
      this.#spare.push(chunk.batch);
  }

  #dropQueue(): void {
    for (const chunk of this.#queue) {
      this.#framesLost += chunk.frames;
      this.#eventsLost += chunk.events;
      this.#recycle(chunk);
    }
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#queuedMemory = 0;
    this.#updateCongestion();
  }

  async #shutdown(): Promise<void> {
    this.#accepting = false;
    this.#flush();
    while (this.#running !== undefined) await this.#running;
    await this.#closeFile();
    while (this.#closing.size > 0) await Promise.all(this.#closing);
    this.#updateCongestion();
  }

  /** Keeps track of a file being closed in the background, for close() to wait for. */
  #track(closing: Promise<void>): void {
    this.#closing.add(closing);
    void closing.then(() => this.#closing.delete(closing));
  }

  // ---- the removed-file check ------------------------------------------------------------------

  #armWatchdog(): void {
    if (this.#checkInterval <= 0 || this.#watchdog !== undefined) return;
    this.#watchdog = this.#clock.setTimeout(this.#check, this.#checkInterval);
    // The check must not keep a process alive that forgot to call close().
    unrefTimer(this.#watchdog);
  }

  #disarmWatchdog(): void {
    if (this.#watchdog !== undefined) this.#clock.clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }

  // Writes to a file that was removed succeed and vanish: look at the path now and then.
  readonly #check = (): void => {
    this.#watchdog = undefined;
    const identity = this.#identity;
    if (this.#file === undefined || identity === undefined) return;
    this.#armWatchdog();
    if (this.#checking || this.#stale) return;
    this.#checking = true;
    const generation = this.#generation;
    stat(this.#path).then(
      (stats) => this.#checked(generation, stats.dev === identity.dev && stats.ino === identity.ino),
      (error: NodeJS.ErrnoException) => this.#checked(generation, error.code !== 'ENOENT'),
    );
  };

  #checked(generation: number, present: boolean): void {
    this.#checking = false;
    if (generation !== this.#generation || this.#file === undefined) return;
    if (present) {
      this.#lastGoodCheck = this.#clock.now();
      return;
    }
    this.#stale = true;
    this.#retryAt = 0;
    this.#fail(
      `the file was removed or moved by another program (lines saved since ${clockTime(this.#lastGoodCheck)} UTC may be lost); it is created again`,
    );
    // Lines may be waiting for nothing else: the loop reopens the path.
    if (this.#queue.length > 0) this.#kick(false);
  }

  // ---- reporting --------------------------------------------------------------------------------

  #fail(reason: string, cause?: unknown): void {
    this.#writeErrors++;
    this.#recovering = true;
    const error = this.#errorOf(reason, cause);
    this.#lastError = error.message;
    if (this.#reported) return;
    this.#reported = true;
    this.#logger.error(error.message);
    if (this.#onError === undefined) return;
    try {
      this.#onError(error);
    } catch {
      // The error callback failed: writing goes on regardless.
    }
  }

  #updateCongestion(): void {
    // The memory held, not only the bytes of lines: a chunk holds a whole batch buffer.
    const pending = this.#batchUsed + this.#queuedMemory;
    if (!this.#congested && pending > this.#maxPending) {
      this.#congested = true;
      this.#congestions++;
    } else if (this.#congested && pending <= this.#resumeBelow) {
      this.#congested = false;
    } else {
      return;
    }
    for (const listener of this.#congestionListeners) {
      try {
        listener(this.#congested);
      } catch (error) {
        this.#logger.error(`${this.#label}: a congestion listener threw: ${describe(error)}`);
      }
    }
  }
}
