/**
 * Turns one WebSocket frame into a record: the text as received, and the parsed message
 * when the frame is a JSON object. Parsing happens here once per frame; everything
 * downstream reuses the result.
 */

export type InvalidFrameReason =
  /** Text that is not JSON. */
  | 'not_json'
  /** Valid JSON that is not an object (an array, a number, ...). */
  | 'not_object'
  /** A binary frame: the protocol is JSON text only. */
  | 'binary'
  /** A frame over `maxPayload`, refused by the socket before it was read. */
  | 'too_large';

/** A parsed message: a JSON object, with its `type` when it has a string one. */
export type ParsedMessage = { type?: unknown; [field: string]: unknown };

export interface ReceivedFrame {
  /** The frame's text as received (UTF-8 decoded); for a binary frame, its bytes as base64. */
  raw: string;
  /** Size of the frame in bytes. */
  size: number;
  /** Milliseconds since the epoch at receipt. */
  receivedAt: number;
  /** The message, when the frame is a JSON object. */
  message?: ParsedMessage;
  /** Why the frame is not a valid message; absent for a valid one. */
  invalidReason?: InvalidFrameReason;
}

/** Parses one frame. Never throws. */
export function parseFrame(data: Buffer | string, isBinary: boolean, receivedAt: number): ReceivedFrame {
  if (isBinary) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return { raw: bytes.toString('base64'), size: bytes.length, receivedAt, invalidReason: 'binary' };
  }
  const raw = typeof data === 'string' ? data : data.toString('utf8');
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { raw, size, receivedAt, invalidReason: 'not_json' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { raw, size, receivedAt, invalidReason: 'not_object' };
  }
  return { raw, size, receivedAt, message: value as ParsedMessage };
}

/** The message's type when it is a non-empty string, else undefined. */
export function messageType(message: ParsedMessage): string | undefined {
  return typeof message.type === 'string' && message.type !== '' ? message.type : undefined;
}
