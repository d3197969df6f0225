/**
 * The command: arguments in, exit code out. The `bin` file only wires the process to this
 * function, so tests can call it and the process can be spawned alike.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { readEnvironmentConfig } from '../config.js';
import { InvalidOptionError } from '../errors.js';
import { defaultTargetName } from '../fleet/target.js';
import { createFormatter } from '../formatters/create-formatter.js';
import { shouldUseColor } from '../output/color-support.js';
import type { Sink } from '../pipeline/sink.js';
import {
  collectSecrets,
  createSecretRedactor,
  REDACTED,
  redactHeaders,
  secretsOfArguments,
} from '../redact.js';
import { systemClock, type TimerHandle } from '../transport/clock.js';
import { createCliLogger } from './cli-logger.js';
import { FEATURES } from './features/index.js';
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
import { type ActiveFeature, assembleSinks, type CommandSinks } from './sinks.js';
import { formatRunStatistics } from './statistics.js';

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
  // Subcommands: asking a recording, and playing it again. Loaded only when used.
  if (argv[0] === 'query') return (await import('./commands/query.js')).runQuery(argv.slice(1), io);
  if (argv[0] === 'replay') return (await import('./commands/replay.js')).runReplay(argv.slice(1), io);
  const env = io.env ?? process.env;
  let command: ParsedCommand;
  try {
    const parsed = parseArguments(argv, io, env);
    if (typeof parsed === 'number') return parsed;
    command = parsed;
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidOptionError) {
      io.stderr.write(
        `${PROGRAM}: error: ${createSecretRedactor(secretsOfArguments(argv, env))(error.message)}\n`,
      );
      return EXIT_USAGE;
    }
    throw error;
  }
  return watch(command, io, env);
}

interface ParsedCommand {
  options: CliOptions;
  features: ActiveFeature[];
}

function parseArguments(argv: string[], io: CliIo, env: NodeJS.ProcessEnv): ParsedCommand | number {
  const program = createProgram(packageVersion(), {
    out: (text) => io.stdout.write(text),
    // Commander quotes a bad argument: a secret given on the command line is not repeated.
    err: (text) => io.stderr.write(createSecretRedactor(secretsOfArguments(argv, env))(text)),
  });
  for (const feature of FEATURES) feature.declare(program);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every parse error has already been printed as one line.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  }
  const flags = program.opts<ParsedFlags>();
  const options = resolveOptions(flags, readEnvironmentConfig(env), env);
  const features: ActiveFeature[] = [];
  for (const feature of FEATURES) {
    const settings = feature.resolve(flags as unknown as Record<string, unknown>, env, options.fileSections);
    if (settings !== undefined) features.push({ feature, settings });
  }
  return { options, features };
}

type EndReason = 'duration' | 'signal' | 'gave_up' | 'feature';

async function watch(command: ParsedCommand, io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { options } = command;
  const redact = createSecretRedactor(
    collectSecrets({
      headers: Object.assign({}, options.headers, ...options.targets.map((t) => t.headers ?? {})),
      uris: options.targets.map((t) => t.uri),
      tokens: options.targets.map((t) => t.token),
      keys: [options.key, ...options.targets.map((t) => t.key)],
    }),
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
  if (options.insecure || options.targets.some((t) => t.insecure)) {
    io.stderr.write(
      `${PROGRAM}: warning: --insecure: the server's certificate is NOT verified; anyone on the path can read and change the data\n`,
    );
  }

  let demoServer: { stop(): Promise<void> } | undefined;
  let targets = options.targets;
  if (options.demo) {
    const { MonitoringServer } = await import('../server/monitoring-server.js');
    const server = new MonitoringServer({ host: '127.0.0.1', port: 0, logger });
    const { url } = await server.start();
    demoServer = server;
    targets = [{ name: defaultTargetName(url), uri: url }];
    io.stderr.write(`${PROGRAM}: demo: watching this machine through ${url}\n`);
  }
  logger.debug(
    `options: ${JSON.stringify({
      ...options,
      targets: targets.map((t) => ({
        ...t,
        uri: withoutCredentials(t.uri),
        token: t.token ? REDACTED : undefined,
        key: t.key ? REDACTED : undefined,
        headers: redactHeaders(t.headers ?? {}),
      })),
      headers: redactHeaders(options.headers),
      uri: withoutCredentials(options.uri),
      key: options.key === undefined ? undefined : REDACTED,
    })}`,
  );

  // Loaded here, not at the top: `--help`, `--version` and usage errors need none of it (start-up time).
  const { MonitoringFleet } = await import('../fleet/monitoring-fleet.js');
  const ending = new AbortController();
  let featureExit: number | undefined;
  let endRun: ((why: EndReason) => void) | undefined;
  const color = shouldUseColor({ stream: io.stdout as { isTTY?: boolean }, env, requested: options.color });
  let fleet: InstanceType<typeof MonitoringFleet>;
  let sinks: CommandSinks;
  let built: Sink[] = [];
  try {
    sinks = await assembleSinks(
      { ...options, targets },
      command.features,
      {
        stdout: io.stdout as NodeJS.WritableStream,
        stderr,
        env,
        logger,
        color,
        targetNames: targets.map((t) => t.name),
        signal: ending.signal,
        end: (exitCode) => {
          featureExit = exitCode;
          endRun?.('feature');
        },
      },
      (error) => {
        logger.warn(error.message);
      },
      logger,
    );
    built = sinks.sinks;
    fleet = new MonitoringFleet({
      targets: targets.map((target) => ({
        ...target,
        headers: { ...options.headers, ...target.headers },
        ...((target.ca ?? options.ca) ? { ca: target.ca ?? options.ca } : {}),
        ...((target.cert ?? options.cert) ? { cert: target.cert ?? options.cert } : {}),
        ...((target.key ?? options.key) ? { key: target.key ?? options.key } : {}),
        ...((target.insecure ?? options.insecure) ? { rejectUnauthorized: false } : {}),
      })),
      reconnect: options.reconnect,
      reconnectInterval: options.reconnectInterval,
      maxReconnectAttempts: options.maxReconnects,
      pingInterval: options.pingInterval,
      pingTimeout: options.pingTimeout,
      connectTimeout: options.connectTimeout,
      maxPayload: options.maxPayload,
      staleAfter: options.staleAfter,
      sinks: sinks.sinks,
      logger,
    });
  } catch (error) {
    // Sinks already built (a listening web or metrics server) are closed, not left behind.
    for (const sink of built) await sink.close?.().catch(() => {});
    await demoServer?.stop();
    await logger.close();
    if (error instanceof InvalidOptionError || error instanceof UsageError) {
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
    endRun = end;
    const onAbort = () => end('signal');
    if (io.signal?.aborted) return end('signal');
    io.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.duration !== undefined)
      timers.push(systemClock.setTimeout(() => end('duration'), options.duration * 1000));
    // The run fails only when every target has given up: one server down is a notice.
    const gaveUp = new Set<string>();
    fleet.on('gave_up', ({ target }) => {
      gaveUp.add(target);
      if (gaveUp.size === fleet.targetNames().length) end('gave_up');
    });
    fleet.on('connected', ({ target }) => gaveUp.delete(target));
    fleet.start().catch((error: unknown) => logger.error(`start failed: ${String(error)}`));
  });

  ending.abort();
  await fleet.stop();
  if (options.stats) {
    const formatter =
      sinks.display?.formatter ?? createFormatter(options.format, { color, showSource: targets.length > 1 });
    stderr.write(`${formatRunStatistics(fleet, sinks, formatter)}\n`);
  }
  await demoServer?.stop();
  await logger.close();
  if (reason === 'feature' && featureExit !== undefined) return featureExit;
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
