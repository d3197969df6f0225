/**
 * Splits a command line into a program and its arguments the way a POSIX shell splits words
 * (spaces separate, quotes group, backslash escapes), and nothing more: no variables, no
 * globs, no pipes, no redirections. The command then runs without a shell, so an alert's
 * details, passed in environment variables, can never be interpreted as shell syntax.
 */

export type CommandWords = { ok: true; words: string[] } | { ok: false; reason: string };

export function splitCommandWords(text: string): CommandWords {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\') {
      if (i + 1 >= text.length) return { ok: false, reason: 'it ends with a lone backslash' };
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote !== undefined) return { ok: false, reason: `unterminated ${quote} quote` };
  if (inWord) words.push(word);
  if (words.length === 0) return { ok: false, reason: 'no command' };
  if (words.some((w) => w.includes('\u0000'))) return { ok: false, reason: 'it contains a NUL character' };
  return { ok: true, words };
}
