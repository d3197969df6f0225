/**
 * The frames' texts of a recording, as they travel and as they are stored. The recorder
 * encodes each text straight into one reused buffer as it comes ({@link FrameBatch}); at a
 * flush the bytes go to the writer, which stores them as compressed blobs of 64 KiB of text
 * (rows of the `frames` table, {@link encodeFrameBlobs}); a replay reads a blob back
 * ({@link decodeFrames}). DEFLATE at its fastest level: frames of one server differ only in
 * their numbers, so a 720-byte frame takes about 25 bytes. (Brotli packs a third tighter but
 * reads back several times slower, and a replay reads every blob.)
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** How a blob of frames is encoded (raw DEFLATE); stored with it, so that another codec can come later. */
export const FRAME_CODEC = 'deflate';

/**
 * Uncompressed bytes per blob at most (unless one frame is larger). Reading a blob back
 * allocates its whole text at once: blocks this small come from the allocator's reused
 * memory, where megabyte ones cost a fresh mapping, page faults included, every time.
 */
export const BLOB_BYTES = 64 * 1024;

/** Bytes the buffer starts with; it doubles when a flush holds more. */
const INITIAL_BYTES = 1024 * 1024;
/** A buffer grown beyond this by a burst is let go after its flush; below, it is used again. */
const KEPT_BYTES = 8 * 1024 * 1024;

/**
 * The frames waiting for the next flush, as UTF-8 bytes and their lengths. A flush hands the
 * buffer itself to the writer (transferred to its thread, not copied: a copy of a flush's
 * megabytes into fresh memory cost more than encoding the frames); the writer gives it back
 * once the batch is committed ({@link recycle}), so two buffers take turns and none is
 * allocated per flush.
 */
export class FrameBatch {
  #buffer = newBuffer(INITIAL_BYTES);
  #used = 0;
  /** Byte length of each frame, in order. */
  #lengths: number[] = [];
  /** A buffer back from the writer, for the next take. */
  #spare: Buffer | undefined;

  get count(): number {
    return this.#lengths.length;
  }

  /** Adds a frame's text. */
  push(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = text.length * 3;
    if (this.#used + room > this.#buffer.length) {
      const bigger = newBuffer(Math.max(this.#buffer.length * 2, this.#used + room));
      this.#buffer.copy(bigger, 0, 0, this.#used);
      this.#buffer = bigger;
    }
    const bytes = this.#buffer.write(text, this.#used);
    this.#used += bytes;
    this.#lengths.push(bytes);
  }

  /**
   * Everything waiting, and empties the batch. `bytes` is a view from the start of an
   * ArrayBuffer of its own, that the batch no longer touches: transfer it to the writer.
   */
  take(): { bytes: Uint8Array; lengths: number[] } {
    const taken = { bytes: new Uint8Array(this.#buffer.buffer, 0, this.#used), lengths: this.#lengths };
    this.#buffer = this.#spare ?? newBuffer(INITIAL_BYTES);
    this.#spare = undefined;
    this.#used = 0;
    this.#lengths = [];
    return taken;
  }

  /** Forgets what waits. */
  clear(): void {
    this.#used = 0;
    this.#lengths = [];
  }

  /**
   * A buffer taken earlier, back from the writer: the next take fills it rather than new
   * memory. One grown beyond {@link KEPT_BYTES} by a burst is let go.
   */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength < INITIAL_BYTES || buffer.byteLength > KEPT_BYTES) return;
    this.#spare = Buffer.from(buffer);
  }

  /** Forgets the `count` oldest frames. */
  dropOldest(count: number): void {
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += this.#lengths[i]!;
    this.#buffer.copy(this.#buffer, 0, bytes, this.#used);
    this.#used -= bytes;
    this.#lengths.splice(0, count);
  }
}

/**
 * A buffer with an ArrayBuffer of its own, starting at 0 (never a slice of Node's shared
 * pool), so that it can be transferred to another thread.
 */
function newBuffer(bytes: number): Buffer {
  return Buffer.allocUnsafeSlow(bytes);
}

export interface FrameBlob {
  /** Index of its first frame, from `from`. */
  offset: number;
  count: number;
  /** Byte lengths of its frames, as JSON. */
  lengths: string;
  data: Buffer;
}

/**
 * Frames `from` (inclusive) to `to` (exclusive) of `bytes` (frames one after the other, of
 * `lengths` bytes each) as compressed blobs of about {@link BLOB_BYTES} of text each.
 */
export function encodeFrameBlobs(
  bytes: Uint8Array,
  lengths: readonly number[],
  from: number,
  to: number,
): FrameBlob[] {
  let start = 0;
  for (let i = 0; i < from; i++) start += lengths[i]!;
  const blobs: FrameBlob[] = [];
  let first = from;
  while (first < to) {
    let end = start;
    let last = first;
    // At least one frame per blob, however large.
    do end += lengths[last++]!;
    while (last < to && end - start + lengths[last]! <= BLOB_BYTES);
    blobs.push({
      offset: first - from,
      count: last - first,
      lengths: JSON.stringify(lengths.slice(first, last)),
      data: deflateRawSync(bytes.subarray(start, end), { level: 1 }),
    });
    first = last;
    start = end;
  }
  return blobs;
}

/** The texts of a stored blob of frames; fewer (or none) when the blob cannot be read. */
export function decodeFrames(codec: string, lengths: readonly (number | null)[], data: Buffer): string[] {
  if (codec !== FRAME_CODEC) return [];
  let total = 0;
  for (const length of lengths) total += length ?? 0;
  let bytes: Buffer;
  try {
    // One output chunk, a little larger than the known size (an exact fit takes a second
    // chunk to see the end), instead of 16 KiB ones concatenated at the end.
    bytes = inflateRawSync(data, { chunkSize: total + 1024 });
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
