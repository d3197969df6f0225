/**
 * `--dashboard`: one live full-screen view of every target (or of the only one) instead of a
 * line per message. It draws on stdout, which must be a terminal: with a pipe or a file the
 * run stops before connecting, with one line and exit code 2. While it runs, the line display
 * must be off (the command leaves it out when this feature is on).
 *
 * React and ink are loaded only here, when the flag is given (they take about a second).
 */
import { InvalidArgumentError, Option } from 'commander';
import type { Sink } from '../../pipeline/sink.js';
import type { CliFeature, FeatureContext } from '../feature.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../options.js';

export interface DashboardSettings {
  /** Seconds between two frames while nothing is pressed. */
  readonly refresh: number;
}

/** The longest --dashboard-refresh accepted, in seconds. */
const MAX_REFRESH = 60;

function refreshSeconds(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0.1 || number > MAX_REFRESH) {
    throw new InvalidArgumentError(`expected a number of seconds from 0.1 to ${MAX_REFRESH}`);
  }
  return number;
}

export const dashboardFeature: CliFeature<DashboardSettings> = {
  name: 'dashboard',

  declare(program) {
    program.addOption(
      new Option(
        '--dashboard',
        'live full-screen view of every target, worst first (needs a terminal; q quits)',
      ),
    );
    program.addOption(
      new Option('--dashboard-refresh <seconds>', 'seconds between two dashboard frames (0.1 to 60)')
        .argParser(refreshSeconds)
        .default(2),
    );
  },

  resolve(flags) {
    if (flags.dashboard !== true) return undefined;
    return { refresh: typeof flags.dashboardRefresh === 'number' ? flags.dashboardRefresh : 2 };
  },

  async sinks(settings, context) {
    const stdout = context.stdout as NodeJS.WriteStream;
    if (stdout.isTTY !== true) {
      throw new UsageError(
        '--dashboard needs a terminal, and stdout is not one (a pipe or a file): run it in a terminal, or leave out --dashboard to get one line per message',
      );
    }
    return [await dashboardSink(stdout, settings, context)];
  },
};

async function dashboardSink(
  stdout: NodeJS.WriteStream,
  settings: DashboardSettings,
  context: FeatureContext,
): Promise<Sink> {
  // React's production build: a quarter faster per frame, and none of its development
  // warnings, which would be written over the screen. This process is the application.
  process.env.NODE_ENV ??= 'production';
  const [{ DashboardSink }, { TtyTerminal }] = await Promise.all([
    import('../../dashboard/dashboard-sink.js'),
    import('../../dashboard/terminal.js'),
  ]);
  return new DashboardSink({
    terminal: new TtyTerminal({ stdout, stdin: process.stdin }),
    color: context.color,
    refresh: settings.refresh,
    onQuit: () => context.end(EXIT_OK),
    onError: (error) => {
      // The terminal is back to normal by now: the line lands on the shell's screen.
      context.stderr.write(`monitoring-websocket-client: error: dashboard: ${error.message}\n`);
      context.end(EXIT_FAILURE);
    },
  });
}
