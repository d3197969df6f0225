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
  /**
   * Set when the frame is JSON only once Python's non-standard `NaN`, `Infinity` and
   * `-Infinity` literals are read as `null`: the valid JSON text that was parsed. `raw`
   * keeps the text as received.
   */
  repairedJson?: string;
}

/** Parses one frame. Never throws. */
export function parseFrame(data: Buffer | string, isBinary: boolean, receivedAt: number): ReceivedFrame {
  if (isBinary) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return { raw: bytes.toString('base64'), size: bytes.length, receivedAt, invalidReason: 'binary' };
  }
  // toString() without arguments decodes UTF-8 without looking the encoding up: this runs per frame.
  const raw = typeof data === 'string' ? data : data.toString();
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  let value: unknown;
  let repairedJson: string | undefined;
  try {
    value = JSON.parse(raw);
  } catch {
    // Python's json.dumps writes NaN and Infinity by default: one sensor without a value
    // must not cost the whole message. Tried only after the strict parse failed.
    repairedJson = NON_STANDARD_NUMBER.test(raw) ? replaceNonStandardNumbers(raw) : undefined;
    try {
      if (repairedJson === undefined) throw new SyntaxError('not JSON');
      value = JSON.parse(repairedJson);
    } catch {
      return { raw, size, receivedAt, invalidReason: 'not_json' };
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { raw, size, receivedAt, invalidReason: 'not_object' };
  }
  const frame: ReceivedFrame = { raw, size, receivedAt, message: value as ParsedMessage };
  if (repairedJson !== undefined) frame.repairedJson = repairedJson;
  return frame;
}

const NON_STANDARD_NUMBER = /NaN|Infinity/;

/**
 * Replaces the literals NaN, Infinity and -Infinity outside strings by null. Outside a
 * string, JSON allows no other letters than those of true, false and null, so any of these
 * words found there is the literal.
 */
export function replaceNonStandardNumbers(text: string): string {
  let out = '';
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \\ */) i++;
      else if (char === 0x22 /* " */) inString = false;
      continue;
    }
    if (char === 0x22) {
      inString = true;
      continue;
    }
    let length = 0;
    if (text.startsWith('NaN', i)) length = 3;
    else if (text.startsWith('Infinity', i)) length = 8;
    else if (text.startsWith('-Infinity', i)) length = 9;
    if (length > 0) {
      out += `${text.slice(start, i)}null`;
      i += length - 1;
      start = i + 1;
    }
  }
  return out + text.slice(start);
}

/** The message's type when it is a non-empty string, else undefined. */
export function messageType(message: ParsedMessage): string | undefined {
  return typeof message.type === 'string' && message.type !== '' ? message.type : undefined;
}
