/**
 * Strings from a server are data: before one reaches a terminal, every control character
 * and escape sequence is removed, so that a hostile server cannot move the cursor, change
 * the title, hide text or inject a hyperlink.
 *
 * Written by hand rather than with a library such as strip-ansi: those remove well-formed
 * ANSI sequences only, and leave bare C0/C1 controls (a lone ESC, CSI as U+009B, BEL,
 * backspace, carriage return) that terminals still obey.
 */

// ESC-introduced sequences (CSI, OSC, DCS, ...), then any remaining C0 (except none), DEL, C1,
// and Unicode bidirectional overrides that can reorder what the user reads.
const ESCAPE_SEQUENCE =
  /\u001b(?:\[[0-?]*[ -/]*[@-~]?|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[PX^_][^\u001b]*(?:\u001b\\)?|[ -/]*[0-~]?)/g;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Returns `text` without escape sequences and control characters. Tabs and line breaks
 * become spaces, so a field stays on its line.
 */
export function sanitizeForTerminal(text: string): string {
  // Fast path: almost every string from a server is already safe.
  if (!UNSAFE.test(text)) return text;
  return text
    .replace(ESCAPE_SEQUENCE, '')
    .replace(/[\t\n\r\v\f]/g, ' ')
    .replace(CONTROL_CHARACTERS, '');
}

/** True when `text` holds no character that {@link sanitizeForTerminal} would remove. */
export function isTerminalSafe(text: string): boolean {
  return !UNSAFE.test(text);
}
