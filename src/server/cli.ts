/**
 * The `monitoring-websocket-server` command, as a function that returns an exit code so
 * that it is tested in-process; `bin.ts` only calls it.
 *
 * Exit codes: 0 stopped by SIGINT/SIGTERM (or the given signal), or --help/--version;
 * 1 the server could not start (port in use, ...); 2 invalid arguments.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import { Command, CommanderError } from 'commander';
import { InvalidOptionError, MonitoringError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type AlertThresholds, DEFAULT_ALERT_THRESHOLDS, resolveThresholds } from './alerts.js';
import {
  DEFAULT_MAX_CLIENTS,
  DEFAULT_SERVER_HOST,
  DEFAULT_SERVER_INTERVAL,
  DEFAULT_SERVER_PORT,
  MonitoringServer,
  type NumberRule,
  SERVER_NUMBER_RULES,
  satisfiesRule,
} from './monitoring-server.js';
import { formatLocalTimestamp } from './timestamp.js';

export const SERVER_COMMAND_NAME = 'monitoring-websocket-server';

/** Where the command writes, and how it is told to stop. */
export interface ServerCliIo {
  /** Help, version and the `listening on` line. */
  stdout: NodeJS.WritableStream;
  /** Errors and the server's log (connections, refusals, drops). */
  stderr: NodeJS.WritableStream;
  /** Environment; reserved, no variable is read yet. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Stops the server when aborted. Default: SIGINT and SIGTERM of this process. */
  signal?: AbortSignal;
}

const PERCENT_RULE: NumberRule = { integer: false, min: 0, max: 100, allowed: 'a percentage from 0 to 100' };

const THRESHOLD_FLAGS: Record<keyof AlertThresholds, string> = {
  memoryWarning: '--memory-warning',
  memoryCritical: '--memory-critical',
  diskWarning: '--disk-warning',
  diskCritical: '--disk-critical',
};

const EXAMPLES = `
Examples:
  $ ${SERVER_COMMAND_NAME}
      serve ws://127.0.0.1:8765, one message a second (then run monitoring-websocket-client)
  $ ${SERVER_COMMAND_NAME} --port 0
      any free port; the URL is printed
  $ ${SERVER_COMMAND_NAME} --host 0.0.0.0 --interval 0.5 --max-clients 50
      serve the network, two messages a second
  $ ${SERVER_COMMAND_NAME} --disk-path /home --memory-warning 70 --memory-critical 85
      report the disk of /home, alert on memory from 70 %

Stop with Ctrl+C (SIGINT) or SIGTERM: clients get close 1001 and the exit code is 0.
`;

/** The version in package.json: `../../package.json` from both `src/server/` and `dist/server/`. */
function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function streamLogger(stream: NodeJS.WritableStream): Logger {
  const write =
    (level: string) =>
    (message: string, ...args: unknown[]): void => {
      // Milliseconds are enough for a log line.
      stream.write(`${formatLocalTimestamp(Date.now()).slice(0, 23)} ${level} ${format(message, ...args)}\n`);
    };
  return { debug: () => {}, info: write('INFO'), warn: write('WARNING'), error: write('ERROR') };
}

/** A number flag's value, checked against its rule; undefined when the flag is absent. */
function numberFlag(flag: string, raw: string | undefined, rule: NumberRule): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!satisfiesRule(rule, value)) throw new InvalidOptionError(flag, raw, rule.allowed);
  return value;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1';
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Runs the server until stopped; returns the exit code. Never throws for a user error. */
export async function runServer(argv: string[], io: ServerCliIo): Promise<number> {
  const program = new Command()
    .name(SERVER_COMMAND_NAME)
    .description(
      "Serves this machine's CPU, memory, disk (and NVIDIA GPU) metrics over WebSocket, " +
        'in the format of the Python monitoring-websocket-server.',
    )
    .option(
      '--host <host>',
      `interface to listen on; 0.0.0.0 exposes the metrics to the network (default: ${DEFAULT_SERVER_HOST})`,
    )
    .option(
      '--port <port>',
      `TCP port; 0 picks a free one, printed at start (default: ${DEFAULT_SERVER_PORT})`,
    )
    .option('--interval <seconds>', `seconds between two messages (default: ${DEFAULT_SERVER_INTERVAL})`)
    .option('--disk-path <path>', 'path whose disk usage is reported (default: /)')
    .option(
      '--max-clients <n>',
      `clients served at once; more are refused with close 1008 (default: ${DEFAULT_MAX_CLIENTS})`,
    )
    .option(
      '--memory-warning <percent>',
      `memory alert WARNING from (default: ${DEFAULT_ALERT_THRESHOLDS.memoryWarning})`,
    )
    .option(
      '--memory-critical <percent>',
      `memory alert CRITICAL from (default: ${DEFAULT_ALERT_THRESHOLDS.memoryCritical})`,
    )
    .option(
      '--disk-warning <percent>',
      `disk alert WARNING from (default: ${DEFAULT_ALERT_THRESHOLDS.diskWarning})`,
    )
    .option(
      '--disk-critical <percent>',
      `disk alert CRITICAL from (default: ${DEFAULT_ALERT_THRESHOLDS.diskCritical})`,
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    // Commander has written its message (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }

  const flags = program.opts<Record<string, string | undefined>>();
  let server: MonitoringServer;
  try {
    if (flags.host !== undefined && flags.host.trim() === '') {
      throw new InvalidOptionError('--host', flags.host, 'a host name or IP address');
    }
    const thresholds: Partial<AlertThresholds> = {};
    for (const [key, flag] of Object.entries(THRESHOLD_FLAGS) as [keyof AlertThresholds, string][]) {
      const value = numberFlag(flag, flags[key], PERCENT_RULE);
      if (value !== undefined) thresholds[key] = value;
    }
    resolveThresholds(thresholds, THRESHOLD_FLAGS);
    const port = numberFlag('--port', flags.port, SERVER_NUMBER_RULES.port);
    const interval = numberFlag('--interval', flags.interval, SERVER_NUMBER_RULES.interval);
    const maxClients = numberFlag('--max-clients', flags.maxClients, SERVER_NUMBER_RULES.maxClients);
    const diskPath = flags.diskPath ?? '/';
    try {
      await fs.statfs(diskPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new InvalidOptionError('--disk-path', diskPath, `an existing path; statfs failed with ${code}`);
    }
    server = new MonitoringServer({
      host: flags.host,
      port,
      interval,
      diskPath,
      maxClients,
      thresholds,
      logger: streamLogger(io.stderr),
    });
  } catch (error) {
    if (error instanceof InvalidOptionError) {
      io.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  // Listen for the signals before listening on the port, so that none is missed.
  const controller = io.signal ? undefined : new AbortController();
  const onSignal = (signal: NodeJS.Signals) => controller?.abort(signal);
  if (controller) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    const stopSignal = io.signal ?? (controller as AbortController).signal;
    let address: Awaited<ReturnType<MonitoringServer['start']>>;
    try {
      address = await server.start();
    } catch (error) {
      if (error instanceof MonitoringError) {
        io.stderr.write(`error: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    io.stdout.write(`${SERVER_COMMAND_NAME} listening on ${address.url}\n`);
    if (!isLoopback(address.host)) {
      io.stderr.write(
        `warning: listening on ${address.host}: anyone who can reach this machine can read its metrics\n`,
      );
    }
    await aborted(stopSignal);
    return 0;
  } finally {
    // Graceful: clients get close 1001, then the port is released.
    await server.stop();
    if (controller) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
