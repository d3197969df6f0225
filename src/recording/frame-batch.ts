/**
 * The frames of one flush, kept as one compressed blob (a row of the `frames` table): the
 * texts are encoded straight into one reused buffer as they come, and compressed once per
 * flush with Brotli at its fastest setting. Frames of one server differ only in their
 * numbers, so a 720-byte frame takes about 20 bytes; and one blob per flush costs the event
 * loop a fraction of a row per frame.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/** How a blob of frames is encoded; stored with it, so that another codec can come later. */
export const FRAME_CODEC = 'br';

/** Bytes the buffer starts with; it doubles when a flush holds more. */
const INITIAL_BYTES = 1024 * 1024;
/** A buffer grown beyond this by a burst is given back after the flush; below, it is kept for the next. */
const KEPT_BYTES = 8 * 1024 * 1024;

export class FrameBatch {
  #buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  #used = 0;
  /** Byte length of each frame, in order. */
  #lengths: number[] = [];

  get count(): number {
    return this.#lengths.length;
  }

  /** Adds a frame's text. */
  push(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = text.length * 3;
    if (this.#used + room > this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#used + room));
      this.#buffer.copy(bigger, 0, 0, this.#used);
      this.#buffer = bigger;
    }
    const bytes = this.#buffer.write(text, this.#used);
    this.#used += bytes;
    this.#lengths.push(bytes);
  }

  /** Frames `from` (inclusive) to `to` (exclusive), compressed, with their byte lengths as JSON. */
  encode(from: number, to: number): { lengths: string; data: Buffer } {
    let start = 0;
    for (let i = 0; i < from; i++) start += this.#lengths[i]!;
    let end = start;
    for (let i = from; i < to; i++) end += this.#lengths[i]!;
    const data = brotliCompressSync(this.#buffer.subarray(start, end), {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 1,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: end - start,
      },
    });
    return { lengths: JSON.stringify(this.#lengths.slice(from, to)), data };
  }

  /** Forgets the `count` oldest frames. */
  dropOldest(count: number): void {
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += this.#lengths[i]!;
    this.#buffer.copy(this.#buffer, 0, bytes, this.#used);
    this.#used -= bytes;
    this.#lengths.splice(0, count);
  }

  clear(): void {
    this.#used = 0;
    this.#lengths = [];
    // A burst of huge frames may have grown the buffer: give that memory back.
    if (this.#buffer.length > KEPT_BYTES) this.#buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  }
}

/** The texts of a stored blob of frames; undefined entries when the blob cannot be read. */
export function decodeFrames(codec: string, lengths: readonly (number | null)[], data: Buffer): string[] {
  if (codec !== FRAME_CODEC) return [];
  let bytes: Buffer;
  try {
    bytes = brotliDecompressSync(data);
  } catch {
    return [];
  }
  const texts: string[] = [];
  let offset = 0;
  for (const length of lengths) {
    const end = offset + (length ?? 0);
    if (end > bytes.length) break;
    texts.push(bytes.toString('utf8', offset, end));
    offset = end;
  }
  return texts;
}
