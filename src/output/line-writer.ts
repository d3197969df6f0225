/**
 * Writes records, one per line, to an output stream, batching the lines that arrive in the
 * same turn of the event loop into one write.
 *
 * Why by hand: on Linux, process.stdout writes to files are synchronous, so one
 * `write()` per message is one system call per message; a burst of frames read from the
 * socket in one go becomes one write here. Nothing is dropped: `flush()` writes what is
 * pending at once, and the client calls it before it stops. Writes to a pipe are
 * asynchronous: when the reader is slower than the server, `onCongestion` tells the client
 * to stop reading the socket until the pipe drains, so memory stays bounded.
 */
import type { Writable } from 'node:stream';

/** Pending text above which the batch is written without waiting for the end of the turn (bytes, roughly). */
const FLUSH_THRESHOLD = 64 * 1024;

type OutputStream = Writable | NodeJS.WritableStream;

const writers = new WeakMap<OutputStream, LineWriter>();

export class LineWriter {
  readonly #stream: OutputStream;
  #pending = '';
  #scheduled = false;
  #failed = false;
  #linesWritten = 0;
  readonly #errorListeners = new Set<(error: Error) => void>();
  #congested = false;
  readonly #congestionListeners = new Set<(congested: boolean) => void>();

  /**
   * The one writer of `stream`: clients sharing a stream (several servers watched in one
   * process) share its batch, so their lines never interleave mid-line and the stream gets
   * one error listener, not one per client.
   */
  static for(stream: OutputStream): LineWriter {
    let writer = writers.get(stream);
    if (!writer) {
      writer = new LineWriter(stream);
      writers.set(stream, writer);
    }
    return writer;
  }

  /**
   * The writer of `stream`, with its listeners on the stream while at least one user holds it:
   * call `release()` when done, so that a library user's `process.stdout` keeps no listener
   * of ours once every client has stopped.
   */
  static acquire(stream: OutputStream): LineWriter {
    const writer = LineWriter.for(stream);
    if (writer.#users++ === 0) {
      writer.#stream.on('drain', writer.#onDrain);
      writer.#stream.on('error', writer.#onError);
    }
    return writer;
  }

  #users = 0;

  constructor(stream: OutputStream) {
    this.#stream = stream;
  }

  /** Gives back a writer taken with `acquire()`: the last user flushes it and removes its listeners. */
  release(): void {
    if (this.#users === 0) return;
    this.flush();
    if (--this.#users > 0) return;
    this.#stream.removeListener('drain', this.#onDrain);
    this.#stream.removeListener('error', this.#onError);
    this.#congested = false;
  }

  readonly #onDrain = (): void => {
    if (!this.#congested) return;
    this.#congested = false;
    for (const listener of this.#congestionListeners) listener(false);
  };

  // An EPIPE (reader of a pipe went away, e.g. `| head`) must not crash the process.
  readonly #onError = (error: Error): void => {
    if (this.#failed) return;
    this.#failed = true;
    this.#pending = '';
    for (const listener of this.#errorListeners) listener(error);
  };

  /** Calls `listener` once if the stream fails. Returns a function that removes it. */
  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Calls `listener(true)` when the stream's buffer fills (the reader is slower than the
   * writer: a pipe to a slow program), `listener(false)` once it has drained.
   */
  onCongestion(listener: (congested: boolean) => void): () => void {
    this.#congestionListeners.add(listener);
    return () => this.#congestionListeners.delete(listener);
  }

  /** True once the stream has failed; later lines are discarded. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Lines handed to the stream so far. */
  get linesWritten(): number {
    return this.#linesWritten;
  }

  /** Queues `text` followed by a line break. */
  writeLine(text: string): void {
    if (this.#failed) return;
    this.#pending += `${text}\n`;
    this.#linesWritten++;
    if (this.#pending.length >= FLUSH_THRESHOLD) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushScheduled);
    }
  }

  /** Writes everything pending now. */
  flush(): void {
    if (this.#pending === '' || this.#failed) return;
    const chunk = this.#pending;
    this.#pending = '';
    if (this.#stream.write(chunk) === false && !this.#congested) {
      this.#congested = true;
      for (const listener of this.#congestionListeners) listener(true);
    }
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}
