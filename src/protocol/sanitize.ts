/**
 * Strings from a server are data: before one reaches a terminal, every control character
 * and escape sequence is removed, so that a hostile server cannot move the cursor, change
 * the title, hide text or inject a hyperlink.
 *
 * Written by hand rather than with a library such as strip-ansi: those remove well-formed
 * ANSI sequences only, and leave bare C0/C1 controls (a lone ESC, CSI as U+009B, BEL,
 * backspace, carriage return) that terminals still obey.
 */

// Escape sequences, each in its 7-bit form (ESC [, ESC ], ESC P/X/^/_) and its 8-bit C1 form
// (U+009B CSI, U+009D OSC, U+0090/98/9E/9F): CSI, then OSC (ended by BEL, ESC \ or U+009C ST),
// then DCS/SOS/PM/APC (ended by ST), then any other ESC escape. The 8-bit forms are matched
// whole so that their parameters (a title, a hyperlink's URL) do not remain as visible text.
// Then any remaining C0, DEL, C1, and the Unicode bidirectional controls that can reorder
// what the user reads.
const ESCAPE_SEQUENCE =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|(?:\u001b[PX^_]|[\u0090\u0098\u009e\u009f])[^\u001b\u009c]*(?:\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?/g;
// Line breaks for a terminal, and for Unicode (U+2028 line and U+2029 paragraph separators).
const LINE_BREAKS_AND_TABS = /[\t\n\r\v\f\u2028\u2029]/g;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// Characters that show nothing, so that two different strings look the same ("vm" and
// "v\u200bm") or hidden text rides along: soft hyphen, Mongolian vowel separator, zero-width
// space, non-joiner and joiner, word joiner and the invisible operators, byte order mark
// (zero-width no-break space), interlinear annotation marks, and the tag characters
// U+E0000-U+E007F (a UTF-16 surrogate pair each).
const INVISIBLE = /[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/;
// An emoji (with its optional variation selector or skin tone) just before a zero-width
// joiner, and one just after: the joiner then builds one emoji (👩‍💻) and is kept.
const EMOJI_BEFORE = /\p{Extended_Pictographic}[\u{fe0f}\u{1f3fb}-\u{1f3ff}]?$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u;

function dropInvisible(character: string, offset: number, text: string): string {
  if (
    character === '\u200d' &&
    EMOJI_BEFORE.test(text.slice(Math.max(0, offset - 4), offset)) &&
    EMOJI_AFTER.test(text.slice(offset + 1, offset + 3))
  ) {
    return character;
  }
  return '';
}

/**
 * Returns `text` without escape sequences, control characters and invisible characters.
 * Tabs and line breaks (U+2028 and U+2029 included) become spaces, so a field stays on its
 * line. A zero-width joiner is kept only inside an emoji sequence.
 */
export function sanitizeForTerminal(text: string): string {
  // Fast path: almost every string from a server is already safe.
  if (!UNSAFE.test(text)) return text;
  return text
    .replace(ESCAPE_SEQUENCE, '')
    .replace(LINE_BREAKS_AND_TABS, ' ')
    .replace(CONTROL_CHARACTERS, '')
    .replace(INVISIBLE, dropInvisible);
}

/** True when `text` holds no character that {@link sanitizeForTerminal} would remove or replace. */
export function isTerminalSafe(text: string): boolean {
  return !UNSAFE.test(text) || sanitizeForTerminal(text) === text;
}

/**
 * Longest text of a server's notice (an error or connection message, a close reason, an
 * HTTP status), in UTF-16 code units. A monitoring server's messages are a line; a longer
 * one is cut here, visibly, so that it cannot flood a terminal or a log.
 */
export const MAX_NOTICE_LENGTH = 1000;

/**
 * `text` cut to {@link MAX_NOTICE_LENGTH} (or `max`) characters, the cut marked with how much
 * was left out: `… [cut: 499,000 more characters]`. Never splits a surrogate pair. Does not
 * sanitize: see {@link sanitizeNotice} for a terminal.
 */
export function cutNotice(text: string, max = MAX_NOTICE_LENGTH): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… [cut: ${(text.length - end).toLocaleString('en-US')} more characters]`;
}

/** A server's notice, cut ({@link cutNotice}) and made safe for a terminal. */
export function sanitizeNotice(text: string, max = MAX_NOTICE_LENGTH): string {
  return sanitizeForTerminal(cutNotice(text, max));
}
