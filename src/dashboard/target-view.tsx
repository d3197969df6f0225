/**
 * The one-target view: everything about one target on one screen.
 *
 *   web-1 · host vm · Linux 6.18.44 (x86_64) · ● up · RTT 0.4 ms · last data 0.5s ago
 *
 *   CPU      45.2% [█████████▒▒▒▒▒▒▒▒▒▒▒] ▂▃▅▆▇▆▅▃  2 physical, 2 logical · 2596 MHz · temp n/a
 *      0  40% ████▒▒▒▒▒▒     1  51% █████▒▒▒▒▒
 *   MEMORY   62.8% [█████████████▒▒▒▒▒▒▒] ▅▅▅▅▅▅▅▅  8.2/13.1 GB · 4.9 GB available
 *   DISK     28.5% [██████▒▒▒▒▒▒▒▒▒▒▒▒▒▒] ▃▃▃▃▃▃▃▃  72/252 GB · 180 GB free · mount /
 *   GPU      37.0% [███████▒▒▒▒▒▒▒▒▒▒▒▒▒] ▃▄▃▄▃▄▃▄  NVIDIA H100 80GB HBM3 · driver 550.54.15
 *   GPU MEM  25.1% [█████▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒] ▂▂▂▂▂▂▂▂  20/79.6 GB
 *   GPU TEMP  41°C                        ▄▄▄▄▄▄▄▄  power n/a
 *
 *   EVENT    14:01:02 connected
 *   ALERTS
 *     server [CRITICAL] memory: Critical memory usage: 91.3% (threshold: 90.0%)
 *     rule   [critical] cpu > 90 for 30s: cpu at 95.2 (since 14:02:11)
 *
 *   messages 120 · invalid 0 · reconnects 0 · connected 2m 0s · target 1/3 (↑↓) · Esc back · ? help · q quit
 *
 * Pure: props in, text out. Values the server did not send read `n/a`.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import {
  formatBytePair,
  formatBytes,
  localClockTime,
  MISSING,
  progressBar,
} from '../formatters/base-formatter.js';
import type { AlertEvent } from '../pipeline/events.js';
import type { TargetRow } from '../pipeline/target-row.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import type { AlertSnapshot } from '../protocol/snapshot.js';
import {
  ageText,
  celsiusText,
  fit,
  hostText,
  osText,
  percentText,
  rttText,
  STATUS_MARK,
  wattsText,
} from './cells.js';
import type { HistoryMetric } from './metric-history.js';
import { sparkline } from './sparkline.js';
import { type Theme, theme } from './theme.js';

export interface LastEvent {
  /** Epoch ms. */
  readonly at: number;
  /** As it happened; may quote a server: sanitized when shown. */
  readonly text: string;
}

export interface TargetViewProps {
  readonly row: TargetRow;
  /** Each metric per history step, oldest first (NaN: no data). */
  readonly history: Readonly<Record<HistoryMetric, ArrayLike<number>>>;
  /** Epoch ms of the frame (the pipeline's clock), for the connection's duration. */
  readonly now: number;
  /** Place of the target in the fleet table, when there is more than one. */
  readonly position?: { readonly index: number; readonly count: number };
  /** What last happened to the connection (why it is down, what the server said). */
  readonly lastEvent?: LastEvent;
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
}

const LABEL = 9;
const BAR = 20;

export function TargetView(props: TargetViewProps): ReactElement {
  const { row, width, height } = props;
  const paint = theme(props.color);
  const snapshot = row.snapshot;
  // Label, percentage and bar take 9 + 7 + 23 columns and the details about 50; the
  // sparkline gets what is left, from 8 to 48 steps (4 minutes of 5 s steps).
  const sparkWidth = Math.max(8, Math.min(48, width - LABEL - 7 - 23 - 52));
  const lines: string[] = [];
  const metric = (label: string, percent: number | undefined, series: ArrayLike<number>, details: string) => {
    const color = paint.usage(percent);
    const bar = percent === undefined ? ' '.repeat(BAR + 2) : `[${color(progressBar(percent, BAR))}]`;
    const spark = sparkline(series, sparkWidth, { paint: (v) => paint.usage(v) });
    lines.push(
      `${paint.bold(fit(label, LABEL))}${color(fit(percentText(percent), 6, 'right'))} ${bar} ${spark}  ${details}`,
    );
  };

  const cpu = snapshot?.cpu;
  metric('CPU', cpu?.usagePercent, props.history.cpu, cpuDetails(row));
  const coreLines = perCoreLines(cpu?.perCoreUsagePercent, width, paint);
  // Per-core bars take what the other sections leave: one line is kept for each of them.
  const budget = Math.max(1, height - 15 - alertLineCount(row));
  lines.push(
    ...(coreLines.length > budget
      ? [...coreLines.slice(0, budget - 1), moreCores(coreLines, budget)]
      : coreLines),
  );

  const memory = snapshot?.memory;
  metric(
    'MEMORY',
    memory?.usagePercent,
    props.history.memory,
    `${formatBytePair(memory?.usedBytes, memory?.totalBytes) ?? `${MISSING} used`} · ${formatBytes(memory?.availableBytes)} available`,
  );
  const disk = snapshot?.disk;
  metric(
    'DISK',
    disk?.usagePercent,
    props.history.disk,
    `${formatBytePair(disk?.usedBytes, disk?.totalBytes) ?? `${MISSING} used`} · ${formatBytes(disk?.freeBytes)} free · mount ${disk?.path === undefined ? MISSING : sanitizeForTerminal(disk.path)}`,
  );
  const gpu = snapshot?.gpu;
  if (gpu === undefined) {
    lines.push(`${paint.bold(fit('GPU', LABEL))}${fit(MISSING, 6, 'right')}  (no GPU reported)`);
  } else {
    const model = gpu.name === undefined ? MISSING : sanitizeForTerminal(gpu.name);
    const driver =
      gpu.driverVersion === undefined ? '' : ` · driver ${sanitizeForTerminal(gpu.driverVersion)}`;
    metric('GPU', gpu.usagePercent, props.history.gpu, `${model}${driver}`);
    metric(
      'GPU MEM',
      gpu.memoryPercent,
      props.history.gpuMemory,
      formatBytePair(gpu.memoryUsedBytes, gpu.memoryTotalBytes) ?? `${MISSING} used`,
    );
    const power =
      gpu.powerDrawWatts === undefined && gpu.powerLimitWatts === undefined
        ? ''
        : `power ${wattsText(gpu.powerDrawWatts)} (limit ${wattsText(gpu.powerLimitWatts)})`;
    const temperature = fit(celsiusText(gpu.temperatureCelsius), 6, 'right');
    const spark = sparkline(props.history.gpuTemp, sparkWidth);
    lines.push(
      `${paint.bold(fit('GPU TEMP', LABEL))}${temperature} ${' '.repeat(BAR + 2)} ${spark}  ${power}`,
    );
  }
  lines.push('');
  const event = props.lastEvent;
  lines.push(
    `${paint.bold(fit('EVENT', LABEL))}${event === undefined ? 'none yet' : `${localClockTime(event.at)} ${sanitizeForTerminal(event.text)}`}`,
  );
  lines.push(...alertLines(row, paint, Math.max(1, height - lines.length - 4)));

  const body = lines.slice(0, Math.max(0, height - 3));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">{header(row, paint)}</Text>
      <Text> </Text>
      {body.map((line, index) => (
        // Lines have no identity of their own: their place is their key.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <Text key={index} wrap="truncate-end">
          {line === '' ? ' ' : line}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text wrap="truncate-end">{statusLine(props, paint)}</Text>
    </Box>
  );
}

/** `web-1 · host vm · Linux 6.18 (x86_64) · ● up · RTT 0.4 ms · last data 0.5s ago` */
function header(row: TargetRow, paint: Theme): string {
  const status = paint.status(row.status)(`${STATUS_MARK[row.status]} ${row.status}`);
  return (
    `${paint.bold(sanitizeForTerminal(row.name))} · host ${hostText(row)} · ${osText(row)} · ${status}` +
    ` · RTT ${rttText(row.rttMs)} · last data ${row.ageSeconds === null ? MISSING : `${ageText(row.ageSeconds)} ago`}`
  );
}

function cpuDetails(row: TargetRow): string {
  const cpu = row.snapshot?.cpu;
  const count = (value: number | undefined) => (value === undefined ? MISSING : String(value));
  const frequency =
    cpu?.frequencyCurrentMhz === undefined ? MISSING : `${Math.round(cpu.frequencyCurrentMhz)} MHz`;
  return `${count(cpu?.physicalCores)} physical, ${count(cpu?.logicalCores)} logical · ${frequency} · temp ${celsiusText(cpu?.temperatureCelsius)}`;
}

/** Cells of 20 columns (`  12  51% █████▒▒▒▒▒`), as many per line as fit. */
function perCoreLines(
  perCore: readonly (number | undefined)[] | undefined,
  width: number,
  paint: Theme,
): string[] {
  if (perCore === undefined || perCore.length === 0) return [];
  const cell = 20;
  const perLine = Math.max(1, Math.floor((width - LABEL) / cell));
  const lines: string[] = [];
  let line = ' '.repeat(LABEL);
  perCore.forEach((value, index) => {
    const color = paint.usage(value);
    const bar = value === undefined ? ' '.repeat(10) : color(progressBar(value, 10));
    const percent = value === undefined ? MISSING : `${Math.round(value)}%`;
    line += `${fit(String(index), 3, 'right')} ${color(fit(percent, 4, 'right'))} ${bar} `;
    if ((index + 1) % perLine === 0 || index === perCore.length - 1) {
      lines.push(line);
      line = ' '.repeat(LABEL);
    }
  });
  return lines;
}

function moreCores(lines: readonly string[], budget: number): string {
  return `${' '.repeat(LABEL)}(${lines.length - budget + 1} more lines of cores: widen or heighten the terminal)`;
}

function alertLineCount(row: TargetRow): number {
  return 1 + Math.max(1, row.serverAlerts.length + row.firingAlerts.length);
}

/** `ALERTS`, then one line per server alert and per firing rule, at most `room` lines. */
function alertLines(row: TargetRow, paint: Theme, room: number): string[] {
  const lines = [paint.bold('ALERTS')];
  const items = [
    ...row.serverAlerts.map((alert) => `  server ${serverAlert(alert, paint)}`),
    ...row.firingAlerts.map((alert) => `  rule   ${firingAlert(alert, paint)}`),
  ];
  if (items.length === 0) lines.push('  none');
  else if (items.length <= room - 1) lines.push(...items);
  else
    lines.push(...items.slice(0, Math.max(0, room - 2)), `  (${items.length - Math.max(0, room - 2)} more)`);
  return lines;
}

function serverAlert(alert: AlertSnapshot, paint: Theme): string {
  const level = alert.level === undefined ? 'ALERT' : sanitizeForTerminal(alert.level);
  const component = alert.component === undefined ? '' : `${sanitizeForTerminal(alert.component)}: `;
  let text: string;
  if (alert.message !== undefined && alert.message !== '') text = sanitizeForTerminal(alert.message);
  else {
    const metric = alert.metric === undefined ? 'value' : sanitizeForTerminal(alert.metric);
    text = `${metric} ${alert.value ?? MISSING} (threshold: ${alert.threshold ?? MISSING})`;
  }
  return `${paint.severity(level)(`[${level}]`)} ${component}${text}`;
}

function firingAlert(alert: AlertEvent, paint: Theme): string {
  const level = alert.severity.toUpperCase();
  const value = alert.value === null ? '' : ` at ${alert.value}`;
  const summary = alert.summary === '' ? '' : `: ${sanitizeForTerminal(alert.summary)}`;
  return `${paint.severity(level)(`[${alert.severity}]`)} ${sanitizeForTerminal(alert.rule)}${summary}${value} (since ${localClockTime(alert.since)})`;
}

/** The target's statistics and the keys. */
function statusLine(props: TargetViewProps, paint: Theme): string {
  const { row } = props;
  const connected =
    row.connectedSince === null
      ? 'not connected'
      : `connected ${ageText(Math.max(0, props.now - row.connectedSince) / 1000)}`;
  const position =
    props.position === undefined ? '' : ` · target ${props.position.index + 1}/${props.position.count} (↑↓)`;
  return paint.dim(
    `messages ${row.messages} · invalid ${row.invalidMessages} · reconnects ${row.reconnects} · ${connected}${position} · Esc back · ? help · q quit`,
  );
}
