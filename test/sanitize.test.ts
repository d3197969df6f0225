import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  cutNotice,
  isTerminalSafe,
  MAX_NOTICE_LENGTH,
  sanitizeForTerminal,
  sanitizeNotice,
} from '../src/protocol/sanitize.js';

const ESC = '\u001b';
const BEL = '\u0007';
const ST = `${ESC}\\`;

// Written out here rather than imported, so that the test does not trust the code it checks.
// The zero-width joiner is checked apart: it is kept inside an emoji sequence.
const UNSAFE_CHARACTER =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/;

describe('sanitizeForTerminal', () => {
  it('removes CSI colour and cursor sequences', () => {
    assert.equal(sanitizeForTerminal(`${ESC}[1;31mred${ESC}[0m text`), 'red text');
    assert.equal(sanitizeForTerminal(`a${ESC}[2J${ESC}[Hb`), 'ab');
    assert.equal(sanitizeForTerminal(`${ESC}[?25lhidden cursor`), 'hidden cursor');
    // Cut short at the end of the string.
    assert.equal(sanitizeForTerminal(`ok${ESC}[1;3`), 'ok');
  });

  it('removes an OSC window title ended by BEL or by ST', () => {
    assert.equal(sanitizeForTerminal(`${ESC}]0;pwned${BEL}host`), 'host');
    assert.equal(sanitizeForTerminal(`${ESC}]2;pwned${ST}host`), 'host');
    assert.equal(sanitizeForTerminal(`${ESC}]0;pwned\u009chost`), 'host');
  });

  it('removes an OSC 8 hyperlink and keeps its visible text', () => {
    const link = `${ESC}]8;;https://evil.example/${ST}click me${ESC}]8;;${ST}`;
    assert.equal(sanitizeForTerminal(`see ${link}!`), 'see click me!');
  });

  it('removes a lone ESC and the escape it starts', () => {
    assert.equal(sanitizeForTerminal(`end${ESC}`), 'end');
    // ESC c is a full terminal reset: the "c" belongs to the escape.
    assert.equal(sanitizeForTerminal(`a${ESC}cb`), 'ab');
    // ESC ( 0 switches to line-drawing characters.
    assert.equal(sanitizeForTerminal(`${ESC}(0qqq`), 'qqq');
  });

  it('removes the 8-bit C1 forms with their parameters', () => {
    assert.equal(sanitizeForTerminal('\u009b31mred'), 'red');
    assert.equal(sanitizeForTerminal(`\u009d0;title${BEL}host`), 'host');
    assert.equal(sanitizeForTerminal('\u009d8;;https://evil.example/\u009clink'), 'link');
    assert.equal(sanitizeForTerminal('\u0090q1\u009cafter'), 'after');
    assert.equal(sanitizeForTerminal('a\u0085b'), 'ab');
  });

  it('removes DCS, SOS, PM and APC strings', () => {
    assert.equal(sanitizeForTerminal(`${ESC}P1$r0m${ST}x`), 'x');
    assert.equal(sanitizeForTerminal(`${ESC}_payload${ST}y`), 'y');
  });

  it('removes BEL, backspace and DEL', () => {
    assert.equal(sanitizeForTerminal(`ding${BEL}`), 'ding');
    // Backspaces could overwrite what is shown with something else.
    assert.equal(sanitizeForTerminal('safe\b\b\b\bevil'), 'safeevil');
    assert.equal(sanitizeForTerminal('del\u007f'), 'del');
  });

  it('turns tabs, line breaks and carriage returns into spaces', () => {
    assert.equal(sanitizeForTerminal('a\tb\nc\r\nd\ve\ff'), 'a b c  d e f');
    // A carriage return could rewrite the start of the line.
    assert.equal(sanitizeForTerminal('50%\r99%'), '50% 99%');
  });

  it('removes bidirectional controls that reorder text', () => {
    assert.equal(sanitizeForTerminal('invoice\u202egpj.exe'), 'invoicegpj.exe');
    assert.equal(sanitizeForTerminal('\u2066a\u2069\u200eb\u200f\u061c'), 'ab');
  });

  it('removes invisible characters that make two strings look alike or hide text', () => {
    assert.equal(sanitizeForTerminal('v\u200bm'), 'vm');
    assert.equal(sanitizeForTerminal('a\u200cb\u200dc\u2060d\ufeffe\u00adf\u180eg\u2062h'), 'abcdefgh');
    // Tag characters (U+E0000-U+E007F) can smuggle ASCII text that no one sees.
    assert.equal(sanitizeForTerminal('ok\u{e0069}\u{e0067}\u{e006e}\u{e007f}'), 'ok');
    assert.equal(sanitizeForTerminal('\ufff9a\ufffab\ufffb'), 'ab');
  });

  it('turns the Unicode line and paragraph separators into spaces', () => {
    assert.equal(sanitizeForTerminal('one\u2028two\u2029three'), 'one two three');
  });

  it('keeps a zero-width joiner only inside an emoji sequence', () => {
    assert.equal(sanitizeForTerminal('👩\u200d💻 and 👍🏽\u200d'), '👩\u200d💻 and 👍🏽');
    assert.equal(sanitizeForTerminal('a\u200d💻'), 'a💻');
    assert.equal(isTerminalSafe('👩\u200d💻'), true);
    assert.equal(isTerminalSafe('a\u200db'), false);
  });

  it('keeps Unicode text and emoji', () => {
    const text = 'héllo wörld 日本語 🖥️ 💾 👩‍💻 Ünïcödé';
    assert.equal(sanitizeForTerminal(text), text);
    assert.equal(sanitizeForTerminal(`${ESC}[32m✓ 😀${ESC}[0m`), '✓ 😀');
  });

  it('returns a safe string unchanged', () => {
    for (const text of ['', 'vm', 'NVIDIA H100 80GB HBM3', 'Linux-6.18.44-fc-v657-x86_64-with-glibc2.36']) {
      assert.equal(sanitizeForTerminal(text), text);
      assert.equal(isTerminalSafe(text), true);
    }
  });

  it('never leaves an unsafe character, and is idempotent', () => {
    // Characters that start, continue or end escape sequences, so that random strings form
    // (partial) sequences often, mixed with any UTF-16 code unit.
    const unit = fc.oneof(
      fc.constantFrom(
        ESC,
        BEL,
        '[',
        ']',
        '\\',
        'P',
        '_',
        ';',
        '0',
        '8',
        'm',
        '\u009b',
        '\u009c',
        '\u009d',
        '\u202e',
      ),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (text) => {
        const safe = sanitizeForTerminal(text);
        assert.equal(UNSAFE_CHARACTER.test(safe), false, JSON.stringify(safe));
        assert.equal(isTerminalSafe(safe), true);
        assert.equal(sanitizeForTerminal(safe), safe);
        assert.ok(safe.length <= text.length);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves every string without unsafe characters as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        if (UNSAFE_CHARACTER.test(text)) return;
        assert.equal(sanitizeForTerminal(text), text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('cutNotice and sanitizeNotice', () => {
  it('cut a long notice to MAX_NOTICE_LENGTH, marking how much was left out', () => {
    const long = 'x'.repeat(500_000);
    const cut = cutNotice(long);
    assert.equal(cut, `${'x'.repeat(MAX_NOTICE_LENGTH)}… [cut: 499,000 more characters]`);
    assert.equal(cutNotice('short'), 'short');
    assert.equal(cutNotice('x'.repeat(MAX_NOTICE_LENGTH)), 'x'.repeat(MAX_NOTICE_LENGTH));
  });

  it('never split a surrogate pair, and sanitize after cutting', () => {
    const cut = cutNotice(`${'a'.repeat(9)}😀😀`, 10);
    assert.equal(cut, `${'a'.repeat(9)}… [cut: 4 more characters]`);
    assert.equal(
      sanitizeNotice(`\u001b[2J${'b'.repeat(20)}`, 10),
      `${'b'.repeat(6)}… [cut: 14 more characters]`,
    );
  });
});

describe('isTerminalSafe', () => {
  it('tells whether sanitizing would change the string', () => {
    assert.equal(isTerminalSafe('plain 😀'), true);
    assert.equal(isTerminalSafe(`${ESC}[0m`), false);
    assert.equal(isTerminalSafe('a\tb'), false);
    assert.equal(isTerminalSafe('\u009b'), false);
    assert.equal(isTerminalSafe('\u202e'), false);
  });
});
