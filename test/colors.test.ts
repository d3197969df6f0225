import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { palette } from '../src/formatters/colors.js';

describe('palette', () => {
  it('wraps text in ANSI codes when enabled', () => {
    const colors = palette(true);
    assert.equal(colors.enabled, true);
    assert.equal(colors.green('ok'), '\u001b[32mok\u001b[39m');
    assert.equal(colors.yellow('ok'), '\u001b[33mok\u001b[39m');
    assert.equal(colors.red('ok'), '\u001b[31mok\u001b[39m');
    assert.equal(colors.bold('ok'), '\u001b[1mok\u001b[22m');
  });

  it('returns text unchanged when disabled, whatever the environment says', () => {
    const colors = palette(false);
    assert.equal(colors.enabled, false);
    for (const paint of [colors.red, colors.yellow, colors.green, colors.cyan, colors.bold, colors.dim]) {
      assert.equal(paint('ok'), 'ok');
    }
  });

  it('is shared, so no colour function is built per formatter or per message', () => {
    assert.equal(palette(true), palette(true));
    assert.equal(palette(false).red, palette(false).red);
  });
});
