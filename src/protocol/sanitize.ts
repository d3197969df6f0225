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
const LINE_BREAKS_AND_TABS = /[\t\n\r\v\f]/g;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Returns `text` without escape sequences and control characters. Tabs and line breaks
 * become spaces, so a field stays on its line.
 */
export function sanitizeForTerminal(text: string): string {
  // Fast path: almost every string from a server is already safe.
  if (!UNSAFE.test(text)) return text;
  return text.replace(ESCAPE_SEQUENCE, '').replace(LINE_BREAKS_AND_TABS, ' ').replace(CONTROL_CHARACTERS, '');
}

/** True when `text` holds no character that {@link sanitizeForTerminal} would remove. */
export function isTerminalSafe(text: string): boolean {
  return !UNSAFE.test(text);
}
