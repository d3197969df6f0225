import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyKey, type KeyPress, keyFromReadline, MAX_FILTER_LENGTH } from '../src/dashboard/keys.js';
import { INITIAL_VIEW_STATE, scrollFor, type ViewState } from '../src/dashboard/view-state.js';

const text = (t: string): KeyPress => ({ text: t, ctrl: false });
const named = (name: KeyPress['name']): KeyPress => ({ name, text: '', ctrl: false });
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const context = { names: NAMES, pageSize: 3 };

function press(state: ViewState, ...keys: KeyPress[]): ViewState {
  for (const key of keys) state = applyKey(state, key, context).state;
  return state;
}

describe('dashboard keys', () => {
  it('maps what node:readline reports to key presses', () => {
    assert.deepEqual(keyFromReadline(undefined, { name: 'up' }), { name: 'up', text: '', ctrl: false });
    assert.deepEqual(keyFromReadline('\r', { name: 'return' }), { name: 'return', text: '', ctrl: false });
    assert.deepEqual(keyFromReadline('\u001b', { name: 'escape' }), {
      name: 'escape',
      text: '',
      ctrl: false,
    });
    assert.deepEqual(keyFromReadline('c', { name: 'c' }), { text: 'c', ctrl: false });
    assert.deepEqual(keyFromReadline('\u0003', { name: 'c', ctrl: true }), { text: 'c', ctrl: true });
    assert.deepEqual(keyFromReadline('?', undefined), { text: '?', ctrl: false });
    // A stray escape sequence never becomes text.
    assert.deepEqual(keyFromReadline('\u001b[99~', { name: undefined }), { text: '', ctrl: false });
  });

  it('quits on q and Ctrl-C, whatever the view', () => {
    assert.equal(applyKey(INITIAL_VIEW_STATE, text('q'), context).quit, true);
    assert.equal(applyKey({ ...INITIAL_VIEW_STATE, help: true }, text('q'), context).quit, true);
    const typing = { ...INITIAL_VIEW_STATE, view: 'fleet' as const, editingFilter: true };
    assert.equal(applyKey(typing, { text: 'c', ctrl: true }, context).quit, true);
    // In the filter, q is a letter.
    const typed = applyKey(typing, text('q'), context);
    assert.equal(typed.quit, false);
    assert.equal(typed.state.filter, 'q');
  });

  it('moves the selection with arrows, pages, Home and End, within the rows', () => {
    let state = press(INITIAL_VIEW_STATE, named('down'));
    assert.equal(state.view, 'fleet');
    assert.equal(state.selected, 'b');
    state = press(state, named('pagedown'));
    assert.equal(state.selected, 'e');
    state = press(state, named('pagedown'), named('down'));
    assert.equal(state.selected, 'g');
    state = press(state, named('pageup'), named('up'));
    assert.equal(state.selected, 'c');
    assert.equal(press(state, named('home')).selected, 'a');
    assert.equal(press(state, named('end')).selected, 'g');
    assert.equal(press(state, named('home'), named('up')).selected, 'a');
  });

  it('sorts with c m d g n s, the same key again reversing', () => {
    let state = press(INITIAL_VIEW_STATE, text('c'));
    assert.deepEqual(state.sort, { key: 'cpu', reverse: false });
    state = press(state, text('c'));
    assert.deepEqual(state.sort, { key: 'cpu', reverse: true });
    for (const [key, sort] of [
      ['m', 'memory'],
      ['d', 'disk'],
      ['g', 'gpu'],
      ['n', 'name'],
      ['s', 'status'],
    ]) {
      assert.equal(press(state, text(key!)).sort.key, sort);
    }
  });

  it('opens the selected target on Enter and goes back on Esc', () => {
    let state = press(INITIAL_VIEW_STATE, named('down'), named('return'));
    assert.equal(state.view, 'target');
    assert.equal(state.selected, 'b');
    // In the one-target view the arrows go to the next target.
    state = press(state, named('down'));
    assert.equal(state.selected, 'c');
    assert.equal(state.view, 'target');
    state = press(state, named('escape'));
    assert.equal(state.view, 'fleet');
    assert.equal(state.selected, 'c');
  });

  it('starts on the one-target view when there is a single target', () => {
    const single = { names: ['only'], pageSize: 3 };
    const state = applyKey(INITIAL_VIEW_STATE, text('x'), single).state;
    assert.equal(state.view, 'target');
    assert.equal(state.selected, 'only');
    assert.equal(applyKey(state, named('escape'), single).state.view, 'fleet');
  });

  it('filters by name after /: typing, Backspace, Enter keeps, Esc clears', () => {
    let state = press(INITIAL_VIEW_STATE, text('/'), text('w'), text('e'), text('x'), named('backspace'));
    assert.equal(state.editingFilter, true);
    assert.equal(state.filter, 'we');
    // Sort letters are typed, not obeyed.
    state = press(state, text('c'));
    assert.equal(state.filter, 'wec');
    assert.deepEqual(state.sort, INITIAL_VIEW_STATE.sort);
    state = press(state, named('return'));
    assert.equal(state.editingFilter, false);
    assert.equal(state.filter, 'wec');
    // Esc in the fleet view clears a kept filter; Esc while typing clears it too.
    assert.equal(press(state, named('escape')).filter, '');
    assert.equal(press(state, text('/'), text('z'), named('escape')).filter, '');
    // Control characters are never typed; the filter is bounded.
    assert.equal(press(state, text('/'), { text: '', ctrl: true }).filter, 'wec');
    let long = press(INITIAL_VIEW_STATE, text('/'));
    for (let i = 0; i < 100; i++) long = press(long, text('x'));
    assert.equal(long.filter.length, MAX_FILTER_LENGTH);
  });

  it('shows the help on ?, and any key but q closes it', () => {
    let state = press(INITIAL_VIEW_STATE, text('?'));
    assert.equal(state.help, true);
    state = press(state, named('down'));
    assert.equal(state.help, false);
    assert.equal(state.selected, undefined, 'the key that closes the help does nothing else');
  });

  it('scrolls only as far as needed to keep the selection on screen', () => {
    assert.equal(scrollFor(5, 4, 0, 10), 0);
    assert.equal(scrollFor(100, 5, 0, 10), 0);
    assert.equal(scrollFor(100, 10, 0, 10), 1);
    assert.equal(scrollFor(100, 50, 45, 10), 45);
    assert.equal(scrollFor(100, 3, 45, 10), 3);
    assert.equal(scrollFor(100, 99, 0, 10), 90);
    // A fleet that shrank pulls the window back.
    assert.equal(scrollFor(20, 0, 80, 10), 0);
  });
});
