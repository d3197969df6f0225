/**
 * What is on screen, decided in one pure function: the view the state asks for, the fleet's
 * order and filter, the window of rows that fits, and the element that draws it. The sink
 * calls it once per frame; tests call it directly.
 */
import type { ReactElement } from 'react';
import type { TargetRow, TargetStatus } from '../pipeline/target-row.js';
import { FleetView, fleetPageSize } from './fleet-view.js';
import { HelpView } from './help-view.js';
import { HISTORY_METRICS, type HistoryMetric, type MetricHistory } from './metric-history.js';
import { filterRows, sortRows } from './sort.js';
import { type LastEvent, TargetView } from './target-view.js';
import { resolveView, scrollFor, selectedIndex, type ViewState } from './view-state.js';

export interface ScreenInput {
  readonly state: ViewState;
  /** Every target's row (the pipeline's `targets()`). */
  readonly rows: readonly TargetRow[];
  readonly history: MetricHistory;
  /** What last happened to each target's connection. */
  readonly lastEvents?: ReadonlyMap<string, LastEvent>;
  /** Epoch ms of the frame, on the pipeline's clock. */
  readonly now: number;
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
}

export interface Screen {
  readonly element: ReactElement;
  /** What is drawn. */
  readonly view: 'fleet' | 'target' | 'help';
  /** The fleet table's first row, moved if needed to keep the selection visible: the sink keeps it. */
  readonly scroll: number;
  /** Names of the fleet table's rows, in order, after the filter (what keys move through). */
  readonly names: readonly string[];
  readonly pageSize: number;
  /** Table rows drawn (0 in the one-target and help views). */
  readonly rowsDrawn: number;
}

export function buildScreen(input: ScreenInput): Screen {
  const { width, height, color } = input;
  const ordered = sortRows(filterRows(input.rows, input.state.filter), input.state.sort);
  const names = ordered.map((row) => row.name);
  const pageSize = fleetPageSize(height);
  // `auto` is resolved for this frame only: a fleet still being added stays `auto` until a key.
  let state = resolveView(input.state, input.rows.length === 1 ? [input.rows[0]!.name] : names);

  if (state.help) {
    const element = (
      <HelpView width={width} height={height} color={color} stepSeconds={input.history.stepMs / 1000} />
    );
    return { element, view: 'help', scroll: state.scroll, names, pageSize, rowsDrawn: 0 };
  }

  if (state.view === 'target') {
    const row = input.rows.find((candidate) => candidate.name === state.selected);
    if (row !== undefined) {
      const history = {} as Record<HistoryMetric, ArrayLike<number>>;
      for (const metric of HISTORY_METRICS)
        history[metric] = input.history.series(row.name, metric, input.now);
      const index = names.indexOf(row.name);
      const lastEvent = input.lastEvents?.get(row.name);
      const element = (
        <TargetView
          row={row}
          history={history}
          now={input.now}
          width={width}
          height={height}
          color={color}
          {...(input.rows.length > 1 && index >= 0 ? { position: { index, count: names.length } } : {})}
          {...(lastEvent === undefined ? {} : { lastEvent })}
        />
      );
      return { element, view: 'target', scroll: state.scroll, names, pageSize, rowsDrawn: 0 };
    }
    // The target went away: back to the fleet.
    state = { ...state, view: 'fleet' };
  }

  const selected = selectedIndex(state, names);
  const scroll = scrollFor(names.length, selected, state.scroll, pageSize);
  const visible = ordered.slice(scroll, scroll + pageSize);
  const lines = visible.map((row, offset) => ({
    row,
    cpuHistory: input.history.series(row.name, 'cpu', input.now),
    selected: scroll + offset === selected,
  }));
  const element = (
    <FleetView
      lines={lines}
      first={scroll}
      shown={names.length}
      counts={statusCounts(input.rows)}
      sort={state.sort}
      filter={state.filter}
      editingFilter={state.editingFilter}
      width={width}
      height={height}
      color={color}
    />
  );
  return { element, view: 'fleet', scroll, names, pageSize, rowsDrawn: lines.length };
}

function statusCounts(rows: readonly TargetRow[]): Record<TargetStatus, number> {
  const counts: Record<TargetStatus, number> = { up: 0, connecting: 0, stale: 0, reconnecting: 0, down: 0 };
  for (const row of rows) counts[row.status]++;
  return counts;
}
