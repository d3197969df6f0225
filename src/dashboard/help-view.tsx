/**
 * The keys, and what the status marks and colours mean (`?`). Pure.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { THRESHOLD_CRITICAL, THRESHOLD_WARNING } from '../config.js';
import { STATUS_MARK } from './cells.js';
import { theme } from './theme.js';

export interface HelpViewProps {
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
  /** Seconds per sparkline character. */
  readonly stepSeconds: number;
}

const KEYS: readonly (readonly [string, string])[] = [
  ['c m d g', 'sort by CPU, memory (RAM), disk, GPU: highest first'],
  ['n s', 'sort by name, by status (worst first)'],
  ['same key again', 'reverse the order'],
  ['↑ ↓ PgUp PgDn Home End', 'move the selection'],
  ['Enter', 'open the selected target'],
  ['↑ ↓ (one target)', 'previous / next target'],
  ['Esc', 'back to the fleet; in the fleet, clear the filter'],
  ['/', 'filter by name (type, Backspace, Enter keeps, Esc clears)'],
  ['?', 'this help (any key closes it)'],
  ['q  Ctrl-C', 'quit'],
];

export function HelpView(props: HelpViewProps): ReactElement {
  const paint = theme(props.color);
  const lines = [
    paint.bold('Keys'),
    ...KEYS.map(([key, what]) => `  ${paint.cyan(key.padEnd(24))}${what}`),
    '',
    paint.bold('Status'),
    `  ${paint.status('up')(`${STATUS_MARK.up} up`)}  connected, data fresh    ${paint.status('connecting')(`${STATUS_MARK.connecting} conn`)}  first connection`,
    `  ${paint.status('stale')(`${STATUS_MARK.stale} stale`)}  no data for a while    ${paint.status('reconnecting')(`${STATUS_MARK.reconnecting} reconn`)}  link lost, retrying`,
    `  ${paint.status('down')(`${STATUS_MARK.down} down`)}  gave up or stopped`,
    '',
    paint.bold('Colours'),
    `  ${paint.green('green')} below ${THRESHOLD_WARNING}% · ${paint.yellow('yellow')} from ${THRESHOLD_WARNING}% · ${paint.red('red')} from ${THRESHOLD_CRITICAL}% · n/a: not sent by the server`,
    '',
    `Sparklines: one character per ${props.stepSeconds} s, newest on the right; a gap is a time without data.`,
    '',
    paint.dim('Press any key to go back.'),
  ];
  return (
    <Box flexDirection="column" width={props.width}>
      {lines.slice(0, props.height).map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: fixed lines, their place is their identity
        <Text key={index} wrap="truncate-end">
          {line === '' ? ' ' : line}
        </Text>
      ))}
    </Box>
  );
}
