import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { indentJson } from '../src/formatters/json-indent.js';

/** JSON text of `value` as a Python server writes it: `json.dumps` separators `", "` and `": "`. */
function pythonStyle(value: unknown): string {
  const compact = JSON.stringify(value);
  // Re-serialize with spaces after separators, outside strings only.
  let out = '';
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i];
    if (c === '"') {
      let j = i + 1;
      while (compact[j] !== '"') j += compact[j] === '\\' ? 2 : 1;
      out += compact.slice(i, j + 1);
      i = j;
    } else out += c === ',' ? ', ' : c === ':' ? ': ' : c;
  }
  return out;
}

describe('indentJson', () => {
  it('lays out any JSON text as JSON.stringify(value, null, n) does, whatever its whitespace', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (value, indent, layout) => {
          const text =
            layout === 0
              ? JSON.stringify(value)
              : layout === 1
                ? pythonStyle(value)
                : JSON.stringify(value, null, layout);
          assert.equal(indentJson(text, indent), JSON.stringify(value, null, indent));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps strings with quotes, backslashes and separators as they are', () => {
    const value = { 'a\\': 'x\\"y, {z}: [w]', b: ['\\\\', '"', ''], c: {}, d: [] };
    assert.equal(indentJson(pythonStyle(value), 2), JSON.stringify(value, null, 2));
  });

  it('keeps the numbers as the server wrote them', () => {
    assert.equal(
      indentJson('{"a": 22.0, "b": [1e3, -0.50]}', 2),
      '{\n  "a": 22.0,\n  "b": [\n    1e3,\n    -0.50\n  ]\n}',
    );
  });

  it('prefixes every line after the first with the margin', () => {
    const lines = indentJson('{"a": [1, 2]}', 2, '> ').split('\n');
    assert.equal(lines[0], '{');
    assert.ok(lines.slice(1).every((line) => line.startsWith('> ')));
  });
});
