/**
 * The keys of the dashboard: what a key press is, and what it does to the view state.
 *
 *   fleet view      c m d g n s sort (again: reverse) · ↑ ↓ PgUp PgDn Home End move ·
 *                   Enter opens the selected target · / filter by name · Esc clears the filter
 *   one target      ↑ ↓ previous / next target · Esc back to the fleet
 *   everywhere      ? help · q or Ctrl-C quit
 *   filter (after /) letters type · Backspace deletes · Enter keeps · Esc clears
 *
 * Key presses are decoded by node:readline (`emitKeypressEvents`, in terminal.ts); this
 * module only maps them. Pure: state and key in, state out.
 */
import { nextSort, SORT_KEYS } from './sort.js';
import { resolveView, selectedIndex, type ViewState } from './view-state.js';

export type KeyName =
  | 'up'
  | 'down'
  | 'pageup'
  | 'pagedown'
  | 'home'
  | 'end'
  | 'return'
  | 'escape'
  | 'backspace';

export interface KeyPress {
  /** A named key, when it is one. */
  readonly name?: KeyName;
  /** The printable text of the key (`c`, `/`, `?`), or `''`. */
  readonly text: string;
  readonly ctrl: boolean;
}

/** The longest filter kept: a filter is typed by hand. */
export const MAX_FILTER_LENGTH = 64;

const NAMED: Readonly<Record<string, KeyName>> = {
  up: 'up',
  down: 'down',
  pageup: 'pageup',
  pagedown: 'pagedown',
  home: 'home',
  end: 'end',
  return: 'return',
  enter: 'return',
  escape: 'escape',
  backspace: 'backspace',
};

// Any control character or escape: such a key is never typed into the filter.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The key press node:readline reports as `(text, key)` on a `keypress` event. */
export function keyFromReadline(
  text: string | undefined,
  key: { name?: string; ctrl?: boolean; meta?: boolean } | undefined,
): KeyPress {
  const name = key?.name === undefined ? undefined : NAMED[key.name];
  const printable = text !== undefined && text !== '' && !CONTROL.test(text) && key?.meta !== true;
  const press: { name?: KeyName; text: string; ctrl: boolean } = {
    text: printable && key?.ctrl !== true ? text : '',
    ctrl: key?.ctrl === true,
  };
  if (name !== undefined) press.name = name;
  else if (key?.ctrl === true && key.name !== undefined) press.text = key.name;
  return press;
}

/** What the dashboard knows when a key arrives: the table as last drawn. */
export interface KeyContext {
  /** Names of the rows of the fleet table, in the order shown (after the filter). */
  readonly names: readonly string[];
  /** Rows the table shows at once (PgUp/PgDn move by this much). */
  readonly pageSize: number;
}

export interface KeyResult {
  readonly state: ViewState;
  /** q or Ctrl-C. */
  readonly quit: boolean;
}

/** The state after `key`. */
export function applyKey(current: ViewState, key: KeyPress, context: KeyContext): KeyResult {
  if (key.ctrl && key.text === 'c') return { state: current, quit: true };
  const state = resolveView(current, context.names);
  if (state.editingFilter) return { state: filterKey(state, key), quit: false };
  if (state.help) return key.text === 'q' ? quit(state) : same({ ...state, help: false });
  if (key.text === 'q') return quit(state);
  if (key.text === '?') return same({ ...state, help: true });
  const sortKey = SORT_KEYS[key.text];
  if (sortKey !== undefined) return same({ ...state, sort: nextSort(state.sort, sortKey) });
  const moved = move(state, key, context);
  if (moved !== undefined) return same(moved);
  if (state.view === 'target') {
    return same(key.name === 'escape' ? { ...state, view: 'fleet' } : state);
  }
  if (key.text === '/') return same({ ...state, editingFilter: true });
  if (key.name === 'return' && context.names.length > 0) {
    return same({ ...state, view: 'target', selected: context.names[selectedIndex(state, context.names)] });
  }
  if (key.name === 'escape' && state.filter !== '') return same({ ...state, filter: '', scroll: 0 });
  return same(state);
}

/** Arrows, pages, Home and End: the new selection, or undefined for another key. */
function move(state: ViewState, key: KeyPress, context: KeyContext): ViewState | undefined {
  const { names } = context;
  const page = Math.max(1, context.pageSize);
  let delta: number;
  switch (key.name) {
    case 'up':
      delta = -1;
      break;
    case 'down':
      delta = 1;
      break;
    case 'pageup':
      delta = -page;
      break;
    case 'pagedown':
      delta = page;
      break;
    case 'home':
      delta = -names.length;
      break;
    case 'end':
      delta = names.length;
      break;
    default:
      return undefined;
  }
  if (names.length === 0) return state;
  const at = Math.min(names.length - 1, Math.max(0, selectedIndex(state, names) + delta));
  return { ...state, selected: names[at] };
}

function filterKey(state: ViewState, key: KeyPress): ViewState {
  switch (key.name) {
    case 'return':
      return { ...state, editingFilter: false };
    case 'escape':
      return { ...state, editingFilter: false, filter: '', scroll: 0 };
    case 'backspace':
      return { ...state, filter: state.filter.slice(0, -1), scroll: 0 };
    default:
      if (key.text === '' || key.ctrl || state.filter.length + key.text.length > MAX_FILTER_LENGTH)
        return state;
      return { ...state, filter: state.filter + key.text, scroll: 0 };
  }
}

function same(state: ViewState): KeyResult {
  return { state, quit: false };
}

function quit(state: ViewState): KeyResult {
  return { state, quit: true };
}
