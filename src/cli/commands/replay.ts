/**
 * `monitoring-websocket-client replay FILE`: a recording (SQLite from --record, or a
 * save-data file with its rotated files) played back through the pipeline, at the recorded
 * pace (`--speed N`) or as fast as possible (`--max-speed`); or, with `--serve [HOST:]PORT`,
 * served as a monitoring WebSocket server that any client can watch.
 *
 * The pieces are exported for the main command, which routes `replay` through the same
 * options and sinks as live watching: {@link declareReplayFlags}, {@link resolveReplaySettings},
 * {@link openReplay} (a ReplaySource: build the Pipeline on `source.clock`, then
 * `source.play(pipeline, { signal })`), and {@link serveReplay}. {@link runReplay} is the
 * command on its own, with the display (the line formats) as its only sink.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { FORMAT_TYPES, type FormatType } from '../../config.js';
import { InvalidOptionError, MonitoringError } from '../../errors.js';
import { createFormatter } from '../../formatters/create-formatter.js';
import { shouldUseColor } from '../../output/color-support.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { parseTimePoint, TIME_HELP } from '../../recording/duration.js';
import { RecordingError } from '../../recording/recording-error.js';
import type { ReplaySpeed } from '../../recording/replay-clock.js';
import { isLoopbackHost, ReplayServer } from '../../recording/replay-server.js';
import { ReplaySource } from '../../recording/replay-source.js';
import { DEFAULT_SERVER_HOST } from '../../server/server-options.js';
import { DisplaySink } from '../../sinks/display-sink.js';
import { UsageError } from '../options.js';
import type { CliIo } from '../run.js';

const PROGRAM = 'monitoring-websocket-client';

export interface ReplaySettings {
  file: string;
  speed: ReplaySpeed;
  /** Only these targets (SQLite recordings); all when empty. */
  targets: string[];
  since: number | undefined;
  until: number | undefined;
  /** Set with --serve: where to listen, and the token clients must present. */
  serve: { host: string; port: number; token: string | undefined } | undefined;
}

/** Adds replay's own flags to a commander program (the live options stay as they are). */
export function declareReplayFlags(program: Command): Command {
  return program
    .option('--speed <factor>', 'replay N times as fast as recorded (0.5: half as fast)', positiveNumber, 1)
    .option('--max-speed', 'replay as fast as the outputs take it', false)
    .option(
      '--serve <[host:]port>',
      'serve the recording as a monitoring WebSocket server instead (host 127.0.0.1)',
    )
    .option(
      '--serve-token-file <file>',
      'with --serve: clients must send "Authorization: Bearer <token>" (needed beyond 127.0.0.1)',
    )
    .option(
      '--target <name>',
      'only this target of the recording (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--since <time>', `only from this time on (${TIME_HELP})`)
    .option('--until <time>', 'only before this time');
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError('expected a number > 0');
  }
  return number;
}

/**
 * Replay's settings from the parsed flags (commander's names: speed, maxSpeed, serve,
 * serveTokenFile, target, since, until).
 * @throws UsageError naming the flag, the value and what is allowed.
 */
export function resolveReplaySettings(
  file: string,
  flags: Record<string, unknown>,
  now: number = Date.now(),
): ReplaySettings {
  const maxSpeed = flags.maxSpeed === true;
  const speed = (flags.speed as number | undefined) ?? 1;
  if (maxSpeed && speed !== 1) throw new UsageError('give --speed or --max-speed, not both');
  const serveText = flags.serve as string | undefined;
  const tokenFile = flags.serveTokenFile as string | undefined;
  let serve: ReplaySettings['serve'];
  if (serveText !== undefined) {
    const address = parseHostPort(serveText);
    if (address === undefined) {
      throw new UsageError(
        `invalid --serve: "${serveText}" (expected [host:]port, e.g. 8765, 127.0.0.1:8765 or [::1]:8765)`,
      );
    }
    const token = tokenFile === undefined ? undefined : readToken(tokenFile);
    if (token === undefined && !isLoopbackHost(address.host)) {
      throw new UsageError(
        `invalid --serve: "${serveText}" (listening beyond this machine needs --serve-token-file: anyone who reaches the port could read the recording)`,
      );
    }
    serve = { ...address, token };
  } else if (tokenFile !== undefined) {
    throw new UsageError('invalid --serve-token-file: it goes with --serve');
  }
  const time = (flag: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const at = parseTimePoint(String(value), now);
    if (at === undefined) throw new UsageError(`invalid ${flag}: "${String(value)}" (expected ${TIME_HELP})`);
    return at;
  };
  const since = time('--since', flags.since);
  const until = time('--until', flags.until);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new UsageError('invalid --until: it must come after --since');
  }
  return {
    file,
    speed: maxSpeed ? 'max' : speed,
    targets: (flags.target as string[] | undefined) ?? [],
    since,
    until,
    serve,
  };
}

/** `8765`, `host:8765`, `[::1]:8765` → host and port; undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):)?(\d{1,5})$/.exec(text.trim());
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  const host = match[1] === undefined ? DEFAULT_SERVER_HOST : match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

function readToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new UsageError(
      `invalid --serve-token-file: "${path}" (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  if (token === '' || /[\r\n]/.test(token)) {
    throw new UsageError(`invalid --serve-token-file: "${path}" (expected one token on one line)`);
  }
  return token;
}

/**
 * Opens the recording for replay.
 * @throws UsageError for a missing file, a file that is not a recording, an unknown target.
 */
export async function openReplay(settings: ReplaySettings): Promise<ReplaySource> {
  try {
    return await ReplaySource.open(settings.file, {
      speed: settings.speed,
      ...(settings.targets.length > 0 ? { targets: settings.targets } : {}),
      ...(settings.since !== undefined ? { since: settings.since } : {}),
      ...(settings.until !== undefined ? { until: settings.until } : {}),
    });
  } catch (error) {
    if (error instanceof RecordingError) throw new UsageError(error.message);
    throw error;
  }
}

/** Serves the recording until `io.signal` aborts. Resolves to the exit code; never throws for a user error. */
export async function serveReplay(settings: ReplaySettings, io: CliIo): Promise<number> {
  const serve = settings.serve;
  if (serve === undefined) throw new Error('serveReplay needs settings.serve');
  let server: ReplayServer;
  try {
    server = new ReplayServer({
      path: settings.file,
      host: serve.host,
      port: serve.port,
      speed: settings.speed,
      ...(serve.token !== undefined ? { token: serve.token } : {}),
      ...(settings.targets[0] !== undefined ? { defaultTarget: settings.targets[0] } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidOptionError) {
      io.stderr.write(`${PROGRAM}: error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  try {
    const address = await server.start();
    io.stderr.write(`${PROGRAM}: replaying ${settings.file} at ${address.url}\n`);
    for (const target of address.targets) io.stderr.write(`  ${target.name}: ${target.url}\n`);
    if (!isLoopbackHost(address.host)) {
      io.stderr.write(`${PROGRAM}: warning: listening on ${address.host}: clients must present the token\n`);
    }
    await aborted(io.signal);
    return 0;
  } catch (error) {
    if (error instanceof RecordingError || error instanceof InvalidOptionError) {
      io.stderr.write(`${PROGRAM}: error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof MonitoringError) {
      io.stderr.write(`${PROGRAM}: error: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await server.stop();
  }
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** `replay FILE ...` on its own (the arguments after the word `replay`). Resolves to the exit code. */
export async function runReplay(argv: string[], io: CliIo): Promise<number> {
  const program = declareReplayFlags(
    new Command('replay')
      .name(`${PROGRAM} replay`)
      .description('Play a recording (--record or --save-data) again, or serve it to any client.')
      .argument('<file>', 'a recording (SQLite, from --record) or a save-data file')
      .addOption(new Option('-f, --format <format>', 'output format').choices(FORMAT_TYPES).default('simple'))
      .option('--no-color', 'no colours'),
  )
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.startsWith('error:') ? `${PROGRAM}: ${text}` : text),
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const flags = program.opts<Record<string, unknown>>();
  let source: ReplaySource;
  let settings: ReplaySettings;
  try {
    settings = resolveReplaySettings(program.args[0]!, flags);
    if (settings.serve !== undefined) return await serveReplay(settings, io);
    source = await openReplay(settings);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${PROGRAM}: error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const color = shouldUseColor({
    stream: io.stdout as { isTTY?: boolean },
    env: io.env ?? process.env,
    requested: flags.color === false ? false : undefined,
  });
  const display = new DisplaySink({
    formatter: createFormatter(flags.format as FormatType, { color, showSource: source.targets.length > 1 }),
    output: io.stdout,
    notices: io.stderr,
  });
  const pipeline = new Pipeline({
    sinks: [display],
    clock: source.clock,
    onSinkError: (sink, error) => io.stderr.write(`${PROGRAM}: error: ${sink}: ${error.message}\n`),
  });
  try {
    await pipeline.start();
    await source.play(pipeline, io.signal ? { signal: io.signal } : {});
  } finally {
    await pipeline.close();
    source.close();
  }
  return 0;
}
