/**
 * What the person looking at the dashboard has chosen: the view, the selected target, the
 * order, the filter, the help screen and the scroll position. A plain value, changed only by
 * `applyKey` (keys.ts), so that every transition is a pure function that tests call directly.
 */
import { DEFAULT_SORT, type SortOrder } from './sort.js';

/**
 * `auto` until the first key: the one-target view while the fleet has exactly one target,
 * the fleet view otherwise.
 */
export type ViewName = 'auto' | 'fleet' | 'target';

export interface ViewState {
  readonly view: ViewName;
  /** Name of the selected target: the selection follows its row when the order changes. */
  readonly selected: string | undefined;
  readonly sort: SortOrder;
  /** Shows only the targets whose name contains it (case ignored). */
  readonly filter: string;
  /** Keys are typed into the filter (after `/`). */
  readonly editingFilter: boolean;
  readonly help: boolean;
  /** Index of the first row shown in the fleet table. */
  readonly scroll: number;
}

export const INITIAL_VIEW_STATE: ViewState = {
  view: 'auto',
  selected: undefined,
  sort: DEFAULT_SORT,
  filter: '',
  editingFilter: false,
  help: false,
  scroll: 0,
};

/** The concrete view of `state`, given the names of the targets (in the table's order). */
export function resolveView(state: ViewState, names: readonly string[]): ViewState {
  if (state.view !== 'auto') return state;
  return names.length === 1 ? { ...state, view: 'target', selected: names[0] } : { ...state, view: 'fleet' };
}

/** Index of the selected row in `names`; the first row when the selection is not among them. */
export function selectedIndex(state: ViewState, names: readonly string[]): number {
  return Math.max(0, state.selected === undefined ? -1 : names.indexOf(state.selected));
}

/**
 * The first row to show so that the selected row is on screen, moving the previous scroll
 * position as little as possible: the table scrolls only when the selection leaves it.
 */
export function scrollFor(count: number, selected: number, scroll: number, pageSize: number): number {
  const page = Math.max(1, pageSize);
  if (count <= page) return 0;
  let first = Math.min(Math.max(0, scroll), count - page);
  if (selected < first) first = selected;
  else if (selected >= first + page) first = selected - page + 1;
  return Math.max(0, Math.min(first, count - page));
}
