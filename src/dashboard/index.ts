/**
 * The dashboard for library users: a sink to give a fleet (or any pipeline), drawing on the
 * process's terminal.
 *
 * React and ink take about a second to load, so nothing here loads them until a dashboard
 * is created: a client that never shows one never pays for them.
 *
 * @example
 * const dashboard = await createDashboard({ onQuit: () => fleet.stop() });
 * const fleet = new MonitoringFleet({ targets, sinks: [dashboard] });
 */
import { shouldUseColor } from '../output/color-support.js';
import type { DashboardSink } from './dashboard-sink.js';
import { NotATerminalError, TtyTerminal } from './terminal.js';

export type { DashboardSink, DashboardSinkOptions, DashboardStatistics } from './dashboard-sink.js';
export type { KeyPress } from './keys.js';
export type { DashboardTerminal, TerminalListener, TerminalSize, TtyTerminalOptions } from './terminal.js';
export { NotATerminalError, TtyTerminal };

export interface DashboardOptions {
  /** Where it draws: a terminal. @default process.stdout */
  stdout?: NodeJS.WriteStream;
  /** Where keys come from. @default process.stdin */
  stdin?: NodeJS.ReadStream;
  /** Colours by threshold. @default on unless NO_COLOR (or FORCE_COLOR=0) is set */
  color?: boolean;
  /** Seconds between two frames, at least 0.1. @default 2 */
  refresh?: number;
  /** `q` or Ctrl-C: the terminal is given back already; stop what you run (e.g. `fleet.stop()`). */
  onQuit?: () => void;
  /** A frame failed: the terminal is given back already. */
  onError?: (error: Error) => void;
}

/**
 * A dashboard sink drawing on `stdout`.
 * @throws NotATerminalError when `stdout` is not a terminal.
 */
export async function createDashboard(options: DashboardOptions = {}): Promise<DashboardSink> {
  const stdout = options.stdout ?? process.stdout;
  if (stdout.isTTY !== true) throw new NotATerminalError();
  const { DashboardSink } = await import('./dashboard-sink.js');
  return new DashboardSink({
    terminal: new TtyTerminal({ stdout, stdin: options.stdin ?? process.stdin }),
    color: shouldUseColor({
      stream: stdout,
      ...(options.color === undefined ? {} : { requested: options.color }),
    }),
    ...(options.refresh === undefined ? {} : { refresh: options.refresh }),
    ...(options.onQuit === undefined ? {} : { onQuit: options.onQuit }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}
