/**
 * The save-data sink: every frame received, of every type and valid or not, becomes one line
 * of JSON in a file rotated by size (see line-format.ts for the lines, rotating-writer.ts for
 * the file), so that a session can be read back or replayed (reader.ts). Connection events
 * are lines too, so that a saved session shows its gaps.
 *
 * It is a pipeline {@link Sink} (`frame`, `event`, `onCongestion`, `stats`, `close`, and
 * `start` again after a close, which reopens the file), and a {@link MessageHandler}
 * (`handleMessage`, `getStats`), the interface of the documented `LoggingHandler`.
 *
 * Nothing is dropped on purpose: while the disk is slower than the server, lines wait in
 * memory up to `maxPendingBytes`, and the sink says it is congested so that the socket stops
 * being read (backpressure). A write error stops nothing but saving; it is reported once,
 * counted, and the file is opened again after `retryDelay`.
 */

import { resolve } from 'node:path';
import { LOG_ROTATION_KEEP, LOG_ROTATION_SIZE } from '../config.js';
import { InvalidOptionError, SaveDataError } from '../errors.js';
import { validateOutputPath } from '../files/output-file.js';
import type { IncomingMessage, MessageHandler } from '../handlers/handler.js';
import { type Logger, silentLogger } from '../logger.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import { type Clock, systemClock } from '../transport/clock.js';
import { LineFormat } from './line-format.js';
import { DEFAULT_MAX_PENDING_BYTES, RotatingWriter } from './rotating-writer.js';

export interface SaveDataSinkOptions {
  /**
   * File the frames are saved to. Its folder must exist. Rotated files are `<path>.1`
   * (newest) to `<path>.<maxFiles>` (oldest). An existing file is appended to; a new one is
   * created with mode 0600. A symbolic link at `path` owned by another user is refused.
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
  /** Where the first write error and rotations are logged. Default: the pipeline's, else {@link silentLogger}. */
  logger?: Logger;
  /**
   * Told of the first write error (a {@link SaveDataError}) of a run; later ones are only
   * counted. Never told from inside the constructor. Default: none.
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
  /**
   * Memory of lines waiting for the disk above which the sink is congested (the socket stops
   * being read until a quarter of it is left). Also what a crash can lose, plus 128 KiB (the
   * batch that crossed it, and one socket read taken before the pause). Default 1 MiB.
   */
  maxPendingBytes?: number;
  /**
   * Lines of frames carry the target's name (`"target"`, after `received_at`): for a file
   * shared by several targets. Default false: the documented one-target lines.
   */
  labelTargets?: boolean;
  /** Time for the retry delay and the check. Default: the pipeline's clock, else the system's. */
  clock?: Clock;
}

/** Counters of the sink. After `close()`, `messageCount = messagesWritten + messagesLost`. */
export type SaveDataStats = {
  /** Frame lines taken for saving: one per frame handled while open. */
  messageCount: number;
  /** Frame lines written to the file (accepted by the operating system). */
  messagesWritten: number;
  /** Frame lines that could not be saved because of a write error. */
  messagesLost: number;
  /** Bytes written to the files. */
  bytesWritten: number;
  /** Bytes of lines waiting in memory to be written (about `maxPendingBytes` at most while the socket is held back). */
  pendingBytes: number;
  /** Absolute path of the current file. */
  logFile: string;
  /** Rotations done. */
  rotations: number;
  /** Write errors: failed writes, failed opens, the file removed under the sink. */
  writeErrors: number;
  /** Message of the latest write error, or null. */
  lastError: string | null;
};

/** {@link SaveDataStats} and the counters of events and backpressure (`Sink.stats()`). */
export type SaveDataSinkStats = SaveDataStats & {
  /** Connection-event lines written and lost. */
  eventsWritten: number;
  eventsLost: number;
  /** True while the sink holds the socket back. */
  congested: boolean;
  /** Times the disk fell behind and the socket was held back. */
  congestions: number;
  maxPendingBytes: number;
};

function positiveInteger(value: number, name: string, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(name, value, what);
  return value;
}

function milliseconds(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(name, value, 'milliseconds, 0 or more');
  }
  return value;
}

export class SaveDataSink implements Sink, MessageHandler {
  readonly name = 'save-data';
  readonly #path: string;
  readonly #labelTargets: boolean;
  readonly #ownClock: boolean;
  readonly #ownLogger: boolean;
  readonly #maxPendingBytes: number;
  readonly #format = new LineFormat();
  readonly #writer: RotatingWriter;
  #logger: Logger;

  /** @throws InvalidOptionError naming the option, when an option has a value that is not allowed. */
  constructor(options: SaveDataSinkOptions) {
    if (typeof options?.path !== 'string' || options.path.trim() === '') {
      throw new InvalidOptionError('path', options?.path, 'a file path');
    }
    const maxSize = positiveInteger(
      options.maxSize ?? LOG_ROTATION_SIZE,
      'maxSize',
      'a positive integer number of bytes',
    );
    const maxFiles = positiveInteger(options.maxFiles ?? LOG_ROTATION_KEEP, 'maxFiles', 'a positive integer');
    const retryDelay = milliseconds(options.retryDelay ?? 5000, 'retryDelay');
    const checkInterval = milliseconds(options.checkInterval ?? 1000, 'checkInterval');
    this.#maxPendingBytes = positiveInteger(
      options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
      'maxPendingBytes',
      'a positive integer number of bytes',
    );
    if (options.labelTargets !== undefined && typeof options.labelTargets !== 'boolean') {
      throw new InvalidOptionError('labelTargets', options.labelTargets, 'true or false');
    }
    this.#labelTargets = options.labelTargets ?? false;
    this.#path = resolve(options.path);
    this.#logger = options.logger ?? silentLogger;
    this.#ownLogger = options.logger !== undefined;
    this.#ownClock = options.clock !== undefined;
    // Through this object, so that the pipeline's logger, given at start, is used from then on.
    const logger: Logger = {
      debug: (message) => this.#logger.debug(message),
      info: (message) => this.#logger.info(message),
      warn: (message) => this.#logger.warn(message),
      error: (message) => this.#logger.error(message),
    };
    this.#writer = new RotatingWriter({
      path: this.#path,
      maxSize,
      maxFiles,
      clock: options.clock ?? systemClock,
      logger,
      label: 'save-data',
      errorOf: (reason, cause) => new SaveDataError(this.#path, reason, cause),
      onError: options.onError,
      retryDelay,
      checkInterval,
      maxPendingBytes: this.#maxPendingBytes,
    });
  }

  /**
   * Why `path` cannot be used for saving, or undefined when its folder exists and is
   * writable (and the file, if it exists, is a writable regular file, not reached through
   * another user's symbolic link). Synchronous, for the CLI to check before connecting.
   */
  static validatePath(path: string): string | undefined {
    return validateOutputPath(path);
  }

  /**
   * Starts (again): after a `close()`, the file is opened again and appended to. Uses the
   * pipeline's clock and logger unless the options gave their own.
   */
  start(context?: SinkContext): Promise<void> {
    if (context !== undefined) {
      if (!this.#ownClock) this.#writer.setClock(context.clock);
      if (!this.#ownLogger) this.#logger = context.logger;
    }
    return this.#writer.start();
  }

  /** Saves a frame of `target`; the line names the target only with `labelTargets`. Never throws. */
  frame(target: string, incoming: IncomingMessage): void {
    this.#save(incoming, this.#labelTargets ? target : undefined);
  }

  /** Saves the frame, whatever it is: valid, not JSON, binary, of any type. Never throws. */
  handleMessage(incoming: IncomingMessage): void {
    this.#save(incoming, undefined);
  }

  /** Saves a connection event (connected, disconnected, reconnecting, gave up); ignores the others. */
  event(event: PipelineEvent): void {
    let line: string | undefined;
    try {
      line = this.#format.eventLine(event);
    } catch (error) {
      this.#logger.debug(
        `save-data: event skipped: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    if (line !== undefined) this.#writer.write(line, 'event');
  }

  onCongestion(listener: (congested: boolean) => void): () => void {
    return this.#writer.onCongestion(listener);
  }

  /** True while the disk is behind and the socket should not be read. */
  get congested(): boolean {
    return this.#writer.congested;
  }

  getStats(): SaveDataStats {
    const c = this.#writer.counters();
    return {
      messageCount: c.framesTaken,
      messagesWritten: c.framesWritten,
      messagesLost: c.framesLost,
      bytesWritten: c.bytesWritten,
      pendingBytes: c.pendingBytes,
      logFile: this.#path,
      rotations: c.rotations,
      writeErrors: c.writeErrors,
      lastError: c.lastError,
    };
  }

  stats(): SaveDataSinkStats {
    const c = this.#writer.counters();
    return {
      ...this.getStats(),
      eventsWritten: c.eventsWritten,
      eventsLost: c.eventsLost,
      congested: c.congested,
      congestions: c.congestions,
      maxPendingBytes: this.#maxPendingBytes,
    };
  }

  /**
   * Writes every line taken before the call, closes the file, and resolves once it is
   * closed. Never rejects: a write error is reported and counted. Idempotent (until `start()`).
   */
  close(): Promise<void> {
    return this.#writer.close();
  }

  #save(incoming: IncomingMessage, target: string | undefined): void {
    let line: string;
    try {
      line = this.#format.frameLine(incoming.frame, target);
    } catch (error) {
      // Only a caller breaking the IncomingMessage type gets here.
      this.#logger.debug(
        `save-data: frame skipped: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    this.#writer.write(line, 'frame');
  }
}
