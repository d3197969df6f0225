/**
 * The fleet view: one row per target, only the rows that fit on the screen (the caller
 * passes those and no others, so a fleet of 1,000 costs what a screenful costs).
 *
 *   Fleet · 3 targets: 1 up · 1 reconn · 0 stale · 1 down          sort: worst first
 *     STATUS   NAME      HOST      CPU    RAM   DISK    GPU  TEMP     RTT     AGE ALERTS CPU HISTORY
 *   ▶ ✗ down   db-1      db        n/a    n/a    n/a    n/a   n/a     n/a     12s      0
 *     ● up     web-1     web     45.2%  62.8%  28.5%  15.0%  41°C  0.4 ms    0.5s      2 ▁▂▃▅▆▇
 *   rows 1-3 of 3 · ↑↓ PgUp PgDn move · Enter detail · c m d g n s sort · / filter · ? help · q quit
 *
 * Pure: props in, text out. Names and host names are cut by ink, which knows how wide each
 * character is; every other cell is ASCII or a known symbol and is padded here.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { MISSING } from '../formatters/base-formatter.js';
import type { Paint } from '../formatters/colors.js';
import type { TargetRow, TargetStatus } from '../pipeline/target-row.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import {
  ageText,
  alertCount,
  alertLevel,
  celsiusText,
  fit,
  hostText,
  hottest,
  percentText,
  rttText,
  STATUS_MARK,
  STATUS_SHORT,
} from './cells.js';
import type { SortOrder } from './sort.js';
import { sparkline } from './sparkline.js';
import { type Theme, theme } from './theme.js';

/** One visible row of the table. */
export interface FleetLine {
  readonly row: TargetRow;
  /** CPU usage per history step, oldest first (NaN: no data). */
  readonly cpuHistory: ArrayLike<number>;
  readonly selected: boolean;
}

export interface FleetViewProps {
  /** The rows on screen, and only those. */
  readonly lines: readonly FleetLine[];
  /** Position of the first of them among the rows that pass the filter (0-based). */
  readonly first: number;
  /** Rows that pass the filter. */
  readonly shown: number;
  /** Every target, by status. */
  readonly counts: Readonly<Record<TargetStatus, number>>;
  readonly sort: SortOrder;
  readonly filter: string;
  readonly editingFilter: boolean;
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
}

/** Lines of the view that are not table rows: title, column names, footer. */
const CHROME_LINES = 3;

/** Table rows that fit in a screen of `height` lines. */
export function fleetPageSize(height: number): number {
  return Math.max(1, height - CHROME_LINES);
}

export interface FleetColumns {
  readonly name: number;
  readonly host: number;
  /** 0: the column is left out (narrow screen). */
  readonly temp: number;
  readonly rtt: number;
  readonly age: number;
  readonly alerts: number;
  readonly history: number;
}

// Fixed cells: cursor (2) + status (8) + CPU, RAM, DISK, GPU (6 each), each followed by a space.
const FIXED = 2 + 9 + 4 * 7;
const OPTIONAL = { age: 7, rtt: 6, temp: 5, alerts: 6 } as const;
/** The history column's narrowest: its title, `CPU HISTORY`. */
const MIN_HISTORY = 11;

/**
 * Widths of the columns for a screen `width` wide, given the longest name and host on screen
 * (`content`, in characters). Every column fits from 100 columns on. Name and host get up
 * to 12 and 8 columns first (less only below 61 columns, or when what is on screen is
 * shorter); on a narrower screen the CPU history, then alerts, temperature, RTT and age are
 * left out. What is left goes to the name and host up to what they need (24 at most), then
 * to the history (30 at most), then to the name and host again.
 */
export function fleetColumns(width: number, content = { name: 12, host: 8 }): FleetColumns {
  const wantName = Math.min(24, Math.max(4, content.name));
  const wantHost = Math.min(24, Math.max(4, content.host));
  const columns = { name: 12, host: 8, temp: 0, rtt: 0, age: 0, alerts: 0, history: 0 };
  let free = width - FIXED - (columns.name + 1) - (columns.host + 1);
  if (free < 0) {
    // Narrower than 61 columns: the name, then the host, give way (the rest is cut by the screen).
    const fromName = Math.min(-free, columns.name - 6);
    columns.name -= fromName;
    columns.host -= Math.min(-free - fromName, columns.host - 4);
    return columns;
  }
  for (const key of ['age', 'rtt', 'temp', 'alerts'] as const) {
    if (free >= OPTIONAL[key] + 1) {
      columns[key] = OPTIONAL[key];
      free -= OPTIONAL[key] + 1;
    }
  }
  const grow = (key: 'name' | 'host' | 'history', upTo: number) => {
    const more = Math.max(0, Math.min(upTo - columns[key], free));
    columns[key] += more;
    free -= more;
  };
  // Short names and hosts give their columns back.
  free += columns.name - Math.min(columns.name, wantName) + columns.host - Math.min(columns.host, wantHost);
  columns.name = Math.min(columns.name, wantName);
  columns.host = Math.min(columns.host, wantHost);
  if (free >= MIN_HISTORY) grow('history', MIN_HISTORY);
  grow('name', wantName);
  grow('host', wantHost);
  if (columns.history > 0) grow('history', 30);
  grow('name', 24);
  grow('host', 24);
  return columns;
}

const SORT_LABEL: Readonly<Record<SortOrder['key'], string>> = {
  worst: 'worst first',
  cpu: 'CPU',
  memory: 'RAM',
  disk: 'disk',
  gpu: 'GPU',
  name: 'name',
  status: 'status',
};

export function sortText(sort: SortOrder): string {
  return `sort: ${SORT_LABEL[sort.key]}${sort.reverse ? ' (reversed)' : ''}`;
}

export function FleetView(props: FleetViewProps): ReactElement {
  const paint = theme(props.color);
  let longestName = 4;
  let longestHost = 4;
  for (const line of props.lines) {
    longestName = Math.max(longestName, line.row.name.length);
    longestHost = Math.max(longestHost, (line.row.host ?? '').length);
  }
  const columns = fleetColumns(props.width, { name: longestName, host: longestHost });
  const { counts } = props;
  const total = counts.up + counts.connecting + counts.stale + counts.reconnecting + counts.down;
  const title =
    `${paint.bold('Fleet')} · ${total} target${total === 1 ? '' : 's'}: ` +
    (['up', 'connecting', 'reconnecting', 'stale', 'down'] as const)
      .filter((status) => counts[status] > 0 || status === 'up' || status === 'down')
      .map((status) => paint.status(status)(`${counts[status]} ${STATUS_SHORT[status]}`))
      .join(' · ') +
    ` · ${sortText(props.sort)}`;
  return (
    <Box flexDirection="column" width={props.width}>
      <Text wrap="truncate-end">{title}</Text>
      <HeaderRow columns={columns} paint={paint} />
      {props.lines.map((line) => (
        <FleetRow key={line.row.name} line={line} columns={columns} paint={paint} />
      ))}
      {props.lines.length === 0 ? (
        <Text>{props.filter === '' ? '  no targets yet' : '  no target name contains the filter'}</Text>
      ) : null}
      <Text wrap="truncate-end">{footer(props, paint)}</Text>
    </Box>
  );
}

function footer(props: FleetViewProps, paint: Theme): string {
  const range =
    props.shown === 0
      ? 'no rows'
      : `rows ${props.first + 1}-${props.first + props.lines.length} of ${props.shown}`;
  const filter = props.editingFilter
    ? ` · ${paint.cyan(`filter: ${sanitizeForTerminal(props.filter)}▌`)} (Enter keep, Esc clear)`
    : props.filter === ''
      ? ''
      : ` · ${paint.cyan(`filter: ${sanitizeForTerminal(props.filter)}`)} (Esc clear)`;
  return `${range}${filter} · ↑↓ PgUp PgDn move · Enter detail · c m d g n s sort · / filter · ? help · q quit`;
}

interface RowProps {
  readonly columns: FleetColumns;
  readonly paint: Theme;
}

function HeaderRow({ columns, paint }: RowProps): ReactElement {
  return (
    <Box>
      <Text>{paint.bold(`  ${fit('STATUS', 8)} `)}</Text>
      <Box width={columns.name} marginRight={1} flexShrink={0}>
        <Text>{paint.bold('NAME')}</Text>
      </Box>
      <Box width={columns.host} marginRight={1} flexShrink={0}>
        <Text>{paint.bold('HOST')}</Text>
      </Box>
      <Text wrap="truncate-end">{paint.bold(numericCells(columns, HEADER_CELLS))}</Text>
    </Box>
  );
}

interface NumericCells {
  cpu: string;
  ram: string;
  disk: string;
  gpu: string;
  temp: string;
  rtt: string;
  age: string;
  alerts: string;
  history: string;
}

const HEADER_CELLS: NumericCells = {
  cpu: 'CPU',
  ram: 'RAM',
  disk: 'DISK',
  gpu: 'GPU',
  temp: 'TEMP',
  rtt: 'RTT',
  age: 'AGE',
  alerts: 'ALERTS',
  history: 'CPU HISTORY',
};

/** The cells right of the host, each cut or padded to its column, then coloured. */
function numericCells(
  columns: FleetColumns,
  cells: NumericCells,
  paints: Partial<Record<keyof NumericCells, Paint>> = {},
): string {
  const cell = (key: keyof NumericCells, width: number) => {
    if (width === 0) return '';
    const text = fit(cells[key], width, 'right');
    const paint = paints[key];
    return `${paint === undefined ? text : paint(text)} `;
  };
  return (
    cell('cpu', 6) +
    cell('ram', 6) +
    cell('disk', 6) +
    cell('gpu', 6) +
    cell('temp', columns.temp) +
    cell('rtt', columns.rtt) +
    cell('age', columns.age) +
    cell('alerts', columns.alerts) +
    (columns.history === 0 ? '' : cells.history)
  );
}

function FleetRow({ line, columns, paint }: RowProps & { line: FleetLine }): ReactElement {
  const { row } = line;
  const snapshot = row.snapshot;
  const cpu = snapshot?.cpu.usagePercent;
  const ram = snapshot?.memory.usagePercent;
  const disk = snapshot?.disk.usagePercent;
  const gpu = snapshot?.gpu?.usagePercent;
  const alerts = alertCount(row);
  const level = alertLevel(row);
  const cells: NumericCells = {
    cpu: percentText(cpu),
    ram: percentText(ram),
    disk: percentText(disk),
    gpu: snapshot?.gpu === undefined ? MISSING : percentText(gpu),
    temp: celsiusText(hottest(row)),
    rtt: rttText(row.rttMs),
    age: ageText(row.ageSeconds),
    alerts: alerts === 0 ? '-' : String(alerts),
    history:
      columns.history === 0
        ? ''
        : sparkline(line.cpuHistory, columns.history, { paint: (v) => paint.usage(v) }),
  };
  const paints: Partial<Record<keyof NumericCells, Paint>> = {
    cpu: paint.usage(cpu),
    ram: paint.usage(ram),
    disk: paint.usage(disk),
    gpu: paint.usage(gpu),
  };
  if (level !== undefined) paints.alerts = paint.severity(level);
  const status = `${line.selected ? '▶' : ' '} ${paint.status(row.status)(fit(`${STATUS_MARK[row.status]} ${STATUS_SHORT[row.status]}`, 8))} `;
  const name = sanitizeForTerminal(row.name);
  return (
    <Box>
      <Text>{status}</Text>
      <Box width={columns.name} marginRight={1} flexShrink={0}>
        <Text wrap="truncate-end">{line.selected ? paint.inverse(name) : paint.bold(name)}</Text>
      </Box>
      <Box width={columns.host} marginRight={1} flexShrink={0}>
        <Text wrap="truncate-end">{hostText(row)}</Text>
      </Box>
      <Text wrap="truncate-end">{numericCells(columns, cells, paints)}</Text>
    </Box>
  );
}
