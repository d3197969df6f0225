/**
 * The `monitoring-websocket-server` command, as a function that returns an exit code so
 * that it is tested in-process; `bin.ts` only calls it.
 *
 * Exit codes: 0 stopped by SIGINT/SIGTERM (or the given signal), or --help/--version;
 * 1 the server could not start (port in use, ...); 2 invalid arguments.
 * SIGHUP re-reads the TLS certificate and key files (a renewal needs no restart).
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import { Command, CommanderError } from 'commander';
import { InvalidOptionError, MonitoringError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type AlertThresholds, DEFAULT_ALERT_THRESHOLDS, resolveThresholds } from './alerts.js';
import { isValidToken, TOKEN_ALLOWED } from './bearer-token.js';
import { MonitoringServer } from './monitoring-server.js';
import { canonicalOrigin, ORIGIN_ALLOWED } from './origin-policy.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_CLIENTS_PER_ADDRESS,
  DEFAULT_MAX_MESSAGE_BURST,
  DEFAULT_MAX_MESSAGE_RATE,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_SERVER_HOST,
  DEFAULT_SERVER_INTERVAL,
  DEFAULT_SERVER_PORT,
  MAX_CLIENT_PAYLOAD,
  type NumberRule,
  SERVER_NUMBER_RULES,
  satisfiesRule,
} from './server-options.js';
import { formatLocalTimestamp } from './timestamp.js';
import { type TlsCredentials, tlsCredentialsProblem } from './tls-credentials.js';

export const SERVER_COMMAND_NAME = 'monitoring-websocket-server';

/** Where the command writes, and how it is told to stop. */
export interface ServerCliIo {
  /** Help, version and the `listening on` line. */
  stdout: NodeJS.WritableStream;
  /** Errors and the server's log (connections, refusals, drops). */
  stderr: NodeJS.WritableStream;
  /** Environment: `MONITORING_TOKEN` is the token when `--token-file` is not given. Default `process.env`. */
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

/** The flags of the limits, each named after its library option. */
const LIMIT_FLAGS = {
  handshakeTimeout: '--handshake-timeout',
  maxPendingHandshakes: '--max-pending-handshakes',
  maxClientsPerAddress: '--max-clients-per-address',
  maxMessageRate: '--max-message-rate',
  maxMessageBurst: '--max-message-burst',
  maxMessageSize: '--max-message-size',
} as const satisfies Partial<Record<keyof typeof SERVER_NUMBER_RULES, string>>;

const EXAMPLES = `
Examples:
  $ ${SERVER_COMMAND_NAME}
      serve ws://127.0.0.1:8765, one message a second (then run monitoring-websocket-client)
  $ ${SERVER_COMMAND_NAME} --port 0
      any free port; the URL is printed
  $ ${SERVER_COMMAND_NAME} --host 0.0.0.0 --interval 0.5 --max-clients 50
      serve the network, two messages a second
  $ ${SERVER_COMMAND_NAME} --host 0.0.0.0 --token-file token.txt --tls-cert cert.pem --tls-key key.pem
      serve wss:// to the network, to clients presenting the token (client: --token-file --ca)
  $ ${SERVER_COMMAND_NAME} --allowed-origin https://dashboard.example
      also serve the pages of https://dashboard.example (other browser pages get 403)
  $ ${SERVER_COMMAND_NAME} --disk-path /home --memory-warning 70 --memory-critical 85
      report the disk of /home, alert on memory from 70 %

Stop with Ctrl+C (SIGINT) or SIGTERM: clients get close 1001 and the exit code is 0.
SIGHUP re-reads --tls-cert and --tls-key: a renewed certificate needs no restart.
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

/** One token on one line, read from `path` (trailing newline and spaces ignored, as the client does). */
async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidOptionError(
      '--token-file',
      path,
      `a readable file holding the token; reading failed with ${code}`,
    );
  }
  const token = text.trim();
  // The file's content is never shown: it is the secret.
  if (!isValidToken(token))
    throw new InvalidOptionError('--token-file', path, `a file holding ${TOKEN_ALLOWED}`);
  return token;
}

/** The certificate and key files, read and checked as a pair. */
async function readTlsFiles(certPath: string, keyPath: string): Promise<TlsCredentials> {
  const read = async (flag: string, path: string) => {
    try {
      return await fs.readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new InvalidOptionError(flag, path, `a readable PEM file; reading failed with ${code}`);
    }
  };
  const credentials = { cert: await read('--tls-cert', certPath), key: await read('--tls-key', keyPath) };
  const problem = tlsCredentialsProblem(credentials);
  if (problem !== undefined) {
    throw new InvalidOptionError('--tls-cert', certPath, `a PEM certificate matching --tls-key; ${problem}`);
  }
  return credentials;
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
      '--token-file <file>',
      'require "Authorization: Bearer <token>" with the token read from FILE (or set MONITORING_TOKEN); others get 401',
    )
    .option('--tls-cert <file>', 'serve wss:// with this PEM certificate (chain); re-read on SIGHUP')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM); re-read on SIGHUP')
    .option(
      '--allowed-origin <origin>',
      'a web origin whose pages may connect, repeatable; other browser pages get 403 (default: none)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--handshake-timeout <seconds>',
      `time to complete TLS and the WebSocket handshake (default: ${DEFAULT_HANDSHAKE_TIMEOUT})`,
    )
    .option(
      '--max-pending-handshakes <n>',
      `connections still in their handshake; more are closed at once (default: ${DEFAULT_MAX_PENDING_HANDSHAKES})`,
    )
    .option(
      '--max-clients-per-address <n>',
      `connections from one address, pending or served; more are closed at once (default: ${DEFAULT_MAX_CLIENTS_PER_ADDRESS})`,
    )
    .option(
      '--max-message-rate <per-second>',
      `messages a client may send per second; a flood is closed with 1008 (default: ${DEFAULT_MAX_MESSAGE_RATE})`,
    )
    .option(
      '--max-message-burst <n>',
      `messages a client may send at once above that rate (default: ${DEFAULT_MAX_MESSAGE_BURST})`,
    )
    .option(
      '--max-message-size <bytes>',
      `largest message accepted from a client; larger closes it with 1009 (default: ${MAX_CLIENT_PAYLOAD})`,
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
  const logger = streamLogger(io.stderr);
  const origins = program.opts<{ allowedOrigin?: string[] }>().allowedOrigin ?? [];
  const env = io.env ?? process.env;
  let server: MonitoringServer;
  let tlsFiles: { cert: string; key: string } | undefined;
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
    const limits: Partial<Record<keyof typeof LIMIT_FLAGS, number>> = {};
    for (const [option, flag] of Object.entries(LIMIT_FLAGS) as [keyof typeof LIMIT_FLAGS, string][]) {
      limits[option] = numberFlag(flag, flags[option], SERVER_NUMBER_RULES[option]);
    }
    for (const origin of origins) {
      if (canonicalOrigin(origin) === undefined)
        throw new InvalidOptionError('--allowed-origin', origin, ORIGIN_ALLOWED);
    }
    let token: string | undefined;
    if (flags.tokenFile !== undefined) token = await readTokenFile(flags.tokenFile);
    else if (env.MONITORING_TOKEN?.trim()) {
      token = env.MONITORING_TOKEN.trim();
      if (!isValidToken(token)) throw new InvalidOptionError('MONITORING_TOKEN', '[redacted]', TOKEN_ALLOWED);
    }
    if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
      const [given, missing] =
        flags.tlsCert === undefined ? ['--tls-key', '--tls-cert'] : ['--tls-cert', '--tls-key'];
      throw new InvalidOptionError(
        given,
        flags.tlsCert ?? flags.tlsKey,
        `${missing} too: a certificate goes with its key`,
      );
    }
    let tls: TlsCredentials | undefined;
    if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
      tlsFiles = { cert: flags.tlsCert, key: flags.tlsKey };
      tls = await readTlsFiles(tlsFiles.cert, tlsFiles.key);
    }
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
      logger,
      token,
      tls,
      allowedOrigins: origins,
      ...limits,
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
  const onHangup = () => void reloadTls();
  const reloadTls = async () => {
    if (tlsFiles === undefined) return;
    try {
      server.reloadTls(await readTlsFiles(tlsFiles.cert, tlsFiles.key));
      logger.info(`reloaded the TLS certificate ${tlsFiles.cert} and key ${tlsFiles.key}`);
    } catch (error) {
      logger.error(`TLS certificate not reloaded, the previous one is kept: ${(error as Error).message}`);
    }
  };
  if (controller) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Without TLS, SIGHUP keeps its default: the end of the terminal ends the server.
    if (tlsFiles) process.on('SIGHUP', onHangup);
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
    await aborted(stopSignal);
    return 0;
  } finally {
    // Graceful: clients get close 1001, then the port is released.
    await server.stop();
    if (controller) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHangup);
    }
  }
}
