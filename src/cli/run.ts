/**
 * The command: arguments in, exit code out. The `bin` file only wires the process to this
 * function, so tests can call it and the process can be spawned alike.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { type Command, CommanderError } from 'commander';
import { readEnvironmentConfig } from '../config.js';
import { InvalidOptionError } from '../errors.js';
import { defaultTargetName } from '../fleet/target.js';
import type { BaseFormatter } from '../formatters/base-formatter.js';
import { createFormatter } from '../formatters/create-formatter.js';
import type { Logger } from '../logger.js';
import { shouldUseColor } from '../output/color-support.js';
import type { Sink } from '../pipeline/sink.js';
import type { ReplaySource } from '../recording/replay-source.js';
import {
  collectSecrets,
  createSecretRedactor,
  REDACTED,
  redactHeaders,
  secretsOfArguments,
} from '../redact.js';
import { systemClock, type TimerHandle } from '../transport/clock.js';
import { readAlertsFile } from './alerts-file.js';
import { createCliLogger } from './cli-logger.js';
import type { ReplaySettings } from './commands/replay.js';
import type { TargetsFileSections } from './feature.js';
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
  // Asking a recording is a command of its own; playing one again is a source like live
  // targets, with the same options and sinks. Both are loaded only when used.
  if (argv[0] === 'query') return (await import('./commands/query.js')).runQuery(argv.slice(1), io);
  const env = io.env ?? process.env;
  let command: ParsedCommand;
  try {
    const parsed =
      argv[0] === 'replay'
        ? await parseReplay(argv.slice(1), io, env)
        : parseArguments(argv, io, env, undefined);
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

type ReplayModule = typeof import('./commands/replay.js');

interface ParsedCommand {
  options: CliOptions;
  features: ActiveFeature[];
  /** `replay FILE`: the recording, open, and its settings; undefined when watching live targets. */
  replay?: { module: ReplayModule; settings: ReplaySettings; source: ReplaySource };
}

interface ParsedArguments extends ParsedCommand {
  program: Command;
}

/**
 * The command line of live watching, or (with `replay`) of a replay: the same program, the
 * same options and features, plus replay's own flags and minus what only a connection uses.
 */
function parseArguments(
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
  replay: ReplayModule | undefined,
): ParsedArguments | number {
  const program = createProgram(packageVersion(), {
    out: (text) => io.stdout.write(text),
    // Commander quotes a bad argument: a secret given on the command line is not repeated.
    err: (text) => io.stderr.write(createSecretRedactor(secretsOfArguments(argv, env))(text)),
  });
  for (const feature of FEATURES) feature.declare(program);
  replay?.toReplayProgram(program);
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
  let fileSections: TargetsFileSections | undefined;
  let options: CliOptions;
  if (replay === undefined) {
    options = resolveOptions(flags, readEnvironmentConfig(env), env);
    fileSections = options.fileSections;
  } else {
    replay.checkReplayFlags(program, program.args[0]!);
    // The server's address and token from the environment mean nothing to a replay.
    const { MONITORING_WEBSOCKET_URI: _uri, MONITORING_TOKEN: _token, ...replayEnv } = env;
    options = { ...resolveOptions(flags, readEnvironmentConfig(replayEnv), replayEnv), warnings: [] };
  }
  const alertsFile = (flags as { alerts?: string }).alerts;
  if (alertsFile !== undefined) {
    // Rules in one place: a second list would leave unclear which one the user meant.
    if (fileSections?.sections.alerts !== undefined) {
      throw new UsageError(
        `--alerts ${alertsFile}: ${fileSections.path} has an alerts: section too; give the rules in one of them`,
      );
    }
    fileSections = readAlertsFile(alertsFile);
  }
  const features: ActiveFeature[] = [];
  for (const feature of FEATURES) {
    const settings = feature.resolve(flags as unknown as Record<string, unknown>, env, fileSections);
    if (settings !== undefined) features.push({ feature, settings });
  }
  return { options, features, program };
}

/** `replay FILE ...`: checked like the live command, then the recording opened (or served). */
async function parseReplay(
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
): Promise<ParsedCommand | number> {
  const module = await import('./commands/replay.js');
  const parsed = parseArguments(argv, io, env, module);
  if (typeof parsed === 'number') return parsed;
  const file = parsed.program.args[0]!;
  const settings = module.resolveReplaySettings(file, parsed.program.opts());
  if (settings.serve !== undefined) return module.serveReplay(settings, io);
  const source = await module.openReplay(settings);
  // The targets are the recording's: the sinks are assembled for them as for live ones.
  const options = { ...parsed.options, targets: source.targets.map(({ name, uri }) => ({ name, uri })) };
  return { options, features: parsed.features, replay: { module, settings, source } };
}

/** Why a run ended. */
export type EndReason = 'duration' | 'signal' | 'gave_up' | 'feature' | 'replayed' | 'failed';

/**
 * Where the records of a run come from: live targets (the fleet) or a recording (replay).
 * Everything else, the sinks above all, is the same for both.
 */
export interface RunFeed {
  /** Builds the pipeline of `sinks` on the feed's clock. Throws InvalidOptionError for bad settings. */
  attach(sinks: Sink[]): void;
  /** Starts the pipeline and the feeding; `end` ends the run (every target gave up, the recording is over). */
  start(end: (why: EndReason) => void): void;
  /** Stops feeding, then flushes and closes every sink. */
  stop(): Promise<void>;
  /** `--stats`, in the display's format. */
  statistics(sinks: CommandSinks, formatter: BaseFormatter): string;
}

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
  // With the terminal dashboard on, stderr must not write over the screen it draws.
  const ownsScreen = command.features.some((f) => f.feature.name === 'dashboard');
  const logger = createCliLogger({
    stderr: io.stderr,
    stderrLevel: options.verbose ? 'DEBUG' : options.logLevel,
    ...(options.logFile
      ? { file: { path: options.logFile, level: options.verbose ? 'DEBUG' : (options.logLevel ?? 'INFO') } }
      : {}),
    redact,
    // The dashboard owns the screen: log lines meant for stderr wait for it to give it back.
    holdStderr: ownsScreen,
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

  const replay = command.replay;
  const feed: RunFeed = replay
    ? new (await import('./commands/replay-feed.js')).ReplayFeed(replay.source, {
        file: replay.settings.file,
        staleAfter: options.staleAfter,
        logger,
        holds: command.features.some((f) => HOLDING_FEATURES.has(f.feature.name)),
        stderr,
        tellEnd: !ownsScreen,
      })
    : // Loaded here, not at the top: `--help`, `--version` and usage errors need none of it (start-up time).
      await liveFeed({ ...options, targets }, logger);
  const ending = new AbortController();
  let featureExit: number | undefined;
  let endRun: ((why: EndReason) => void) | undefined;
  const color = shouldUseColor({ stream: io.stdout as { isTTY?: boolean }, env, requested: options.color });
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
    feed.attach(sinks.sinks);
  } catch (error) {
    // Sinks already built (a listening web or metrics server) are closed, not left behind.
    for (const sink of built) await sink.close?.().catch(() => {});
    replay?.source.close();
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
    let ended = false;
    const end = (why: EndReason) => {
      if (ended) return;
      ended = true;
      for (const timer of timers) systemClock.clearTimeout(timer);
      io.signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    endRun = end;
    const onAbort = () => end('signal');
    if (io.signal?.aborted) return end('signal');
    io.signal?.addEventListener('abort', onAbort, { once: true });
    // Real seconds, live or replayed.
    if (options.duration !== undefined)
      timers.push(systemClock.setTimeout(() => end('duration'), options.duration * 1000));
    feed.start(end);
  });

  ending.abort();
  await feed.stop();
  if (options.stats) {
    const formatter =
      sinks.display?.formatter ?? createFormatter(options.format, { color, showSource: targets.length > 1 });
    stderr.write(`${feed.statistics(sinks, formatter)}\n`);
  }
  await demoServer?.stop();
  await logger.close();
  if (reason === 'feature' && featureExit !== undefined) return featureExit;
  return reason === 'gave_up' || reason === 'failed' ? EXIT_FAILURE : EXIT_OK;
}

/**
 * Features that show or serve the current state rather than write a stream: when a replay
 * ends, they keep its final state on view until the run is ended (Ctrl-C, `q`, --duration).
 */
const HOLDING_FEATURES = new Set(['dashboard', 'web', 'prometheus']);

/** Live targets: one connection each, in a MonitoringFleet. */
async function liveFeed(options: CliOptions, logger: Logger): Promise<RunFeed> {
  const { MonitoringFleet } = await import('../fleet/monitoring-fleet.js');
  let fleet: InstanceType<typeof MonitoringFleet> | undefined;
  const attached = () => {
    if (fleet === undefined) throw new Error('the feed is not attached');
    return fleet;
  };
  return {
    attach(sinks) {
      fleet = new MonitoringFleet({
        targets: options.targets.map((target) => ({
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
        maxConnecting: options.maxConnecting,
        maxPayload: options.maxPayload,
        staleAfter: options.staleAfter,
        sinks,
        logger,
      });
    },
    start(end) {
      const fleet = attached();
      // The run fails only when every target has given up: one server down is a notice.
      const gaveUp = new Set<string>();
      fleet.on('gave_up', ({ target }) => {
        gaveUp.add(target);
        if (gaveUp.size === fleet.targetNames().length) end('gave_up');
      });
      fleet.on('connected', ({ target }) => gaveUp.delete(target));
      fleet.start().catch((error: unknown) => logger.error(`start failed: ${String(error)}`));
    },
    stop: () => attached().stop(),
    statistics: (sinks, formatter) => formatRunStatistics(attached(), sinks, formatter),
  };
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
  // A recording's targets may carry any text as their address.
  if (!URL.canParse(uri)) return uri;
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
