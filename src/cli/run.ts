/**
 * The command: arguments in, exit code out. The `bin` file only wires the process to this
 * function, so tests can call it and the process can be spawned alike.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import type { MonitoringClient } from '../client/monitoring-client.js';
import { readEnvironmentConfig } from '../config.js';
import { InvalidOptionError } from '../errors.js';
import { shouldUseColor } from '../output/color-support.js';
import {
  collectSecrets,
  createSecretRedactor,
  REDACTED,
  redactHeaders,
  secretsOfArguments,
} from '../redact.js';
import { systemClock, type TimerHandle } from '../transport/clock.js';
import { createCliLogger } from './cli-logger.js';
import {
  type CliOptions,
  createProgram,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type ParsedFlags,
  resolveOptions,
  UsageError,
} from './options.js';

export interface CliIo {
  stdout: Writable | NodeJS.WritableStream;
  stderr: Writable | NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: the run ends gracefully. */
  signal?: AbortSignal;
}

const PROGRAM = 'monitoring-websocket-client';

/** Runs the command line `argv` (without the node and script paths). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  let options: CliOptions;
  try {
    const parsed = parseArguments(argv, io, env);
    if (typeof parsed === 'number') return parsed;
    options = parsed;
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidOptionError) {
      io.stderr.write(
        `${PROGRAM}: error: ${createSecretRedactor(secretsOfArguments(argv, env))(error.message)}\n`,
      );
      return EXIT_USAGE;
    }
    throw error;
  }
  return watch(options, io, env);
}

function parseArguments(argv: string[], io: CliIo, env: NodeJS.ProcessEnv): CliOptions | number {
  const program = createProgram(packageVersion(), {
    out: (text) => io.stdout.write(text),
    // Commander quotes a bad argument: a secret given on the command line is not repeated.
    err: (text) => io.stderr.write(createSecretRedactor(secretsOfArguments(argv, env))(text)),
  });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every parse error has already been printed as one line.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  }
  return resolveOptions(program.opts<ParsedFlags>(), readEnvironmentConfig(env), env);
}

type EndReason = 'duration' | 'signal' | 'gave_up';

async function watch(options: CliOptions, io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const redact = createSecretRedactor(
    collectSecrets({ headers: options.headers, uris: [options.uri], keys: [options.key] }),
  );
  // Notices, errors and statistics may quote what a server echoed (a refused token): they
  // go through the same redactor as the logs.
  const stderr = redactingStream(io.stderr, redact);
  const logger = createCliLogger({
    stderr: io.stderr,
    stderrLevel: options.verbose ? 'DEBUG' : options.logLevel,
    ...(options.logFile
      ? { file: { path: options.logFile, level: options.verbose ? 'DEBUG' : (options.logLevel ?? 'INFO') } }
      : {}),
    redact,
  });
  for (const warning of options.warnings) io.stderr.write(`${PROGRAM}: warning: ${warning}\n`);
  if (options.insecure) {
    io.stderr.write(
      `${PROGRAM}: warning: --insecure: the server's certificate is NOT verified; anyone on the path can read and change the data\n`,
    );
  }

  let demoServer: { stop(): Promise<void> } | undefined;
  let uri = options.uri;
  if (options.demo) {
    const { MonitoringServer } = await import('../server/monitoring-server.js');
    const server = new MonitoringServer({ host: '127.0.0.1', port: 0, logger });
    const { url } = await server.start();
    demoServer = server;
    uri = url;
    io.stderr.write(`${PROGRAM}: demo: watching this machine through ${url}\n`);
  }
  logger.debug(
    `options: ${JSON.stringify({
      ...options,
      headers: redactHeaders(options.headers),
      uri: withoutCredentials(uri),
      key: options.key === undefined ? undefined : REDACTED,
    })}`,
  );

  // Loaded here, not at the top: `--help`, `--version` and usage errors need none of it (start-up time).
  const { MonitoringClient } = await import('../client/monitoring-client.js');
  let client: MonitoringClient;
  try {
    client = new MonitoringClient({
      uri,
      formatType: options.format,
      color: shouldUseColor({ stream: io.stdout as { isTTY?: boolean }, env, requested: options.color }),
      reconnect: options.reconnect,
      reconnectInterval: options.reconnectInterval,
      maxReconnectAttempts: options.maxReconnects,
      pingInterval: options.pingInterval,
      pingTimeout: options.pingTimeout,
      connectTimeout: options.connectTimeout,
      maxPayload: options.maxPayload,
      storeHistory: options.history,
      ...(options.saveData
        ? {
            saveData: options.saveData,
            saveDataMaxSize: options.saveDataMaxSize,
            saveDataMaxFiles: options.saveDataKeep,
          }
        : {}),
      headers: options.headers,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.cert ? { cert: options.cert } : {}),
      ...(options.key ? { key: options.key } : {}),
      ...(options.insecure ? { rejectUnauthorized: false } : {}),
      output: io.stdout,
      notices: stderr,
      logger,
    });
  } catch (error) {
    await demoServer?.stop();
    await logger.close();
    if (error instanceof InvalidOptionError) {
      io.stderr.write(`${PROGRAM}: error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }

  const reason = await new Promise<EndReason>((resolve) => {
    const timers: TimerHandle[] = [];
    const end = (why: EndReason) => {
      for (const timer of timers) systemClock.clearTimeout(timer);
      io.signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAbort = () => end('signal');
    if (io.signal?.aborted) return end('signal');
    io.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.duration !== undefined)
      timers.push(systemClock.setTimeout(() => end('duration'), options.duration * 1000));
    client.wsClient.on('give_up', () => end('gave_up'));
    client.start().catch(() => {
      // Reported through the give_up event; a stop() during start() also lands here.
    });
  });

  await client.stop();
  if (options.stats) stderr.write(`${client.formatter.formatStatistics(client.getStatistics())}\n`);
  await demoServer?.stop();
  await logger.close();
  return reason === 'gave_up' ? EXIT_FAILURE : EXIT_OK;
}

let cachedVersion: string | undefined;

/** The package's version, read from package.json beside dist/ (or src/ under tsx). */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: string;
      };
      cachedVersion = pkg.version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

/** `uri` without the user name and password it may hold. */
function withoutCredentials(uri: string): string {
  const url = new URL(uri);
  if (url.username === '' && url.password === '') return uri;
  url.username = '';
  url.password = '';
  return url.href;
}

/** A stream that writes to `stream` what it is given, with the secrets replaced. */
function redactingStream(
  stream: Writable | NodeJS.WritableStream,
  redact: (text: string) => string,
): Writable {
  const redacting = new Writable({
    write(chunk, _encoding, done) {
      stream.write(redact(String(chunk)));
      done();
    },
  });
  stream.on('error', (error: Error) => redacting.destroy(error));
  return redacting;
}
