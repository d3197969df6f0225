/**
 * `monitoring-websocket-client replay FILE`: a recording (SQLite from --record, or a
 * save-data file with its rotated files) played back through the pipeline, at the recorded
 * pace (`--speed N`) or as fast as possible (`--max-speed`); or, with `--serve [HOST:]PORT`,
 * served as a monitoring WebSocket server that any client can watch.
 *
 * Replay is a source, not a command of its own: `run()` parses `replay FILE ...` with the
 * live command's program (every output flag, every feature) turned into the replay one by
 * {@link toReplayProgram}, checks it with {@link checkReplayFlags}, and assembles the same
 * sinks as for live targets; only the feed differs (replay-feed.ts instead of the fleet).
 * This file holds what is replay's own: its flags and settings, the flags it refuses, its
 * rules file, opening the recording, and `--serve`.
 */
import type { EventEmitter } from 'node:events';
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { InvalidOptionError, MonitoringError } from '../../errors.js';
import { parseTimePoint, TIME_HELP } from '../../recording/duration.js';
import { RecordingError } from '../../recording/recording-error.js';
import type { ReplaySpeed } from '../../recording/replay-clock.js';
import { isLoopbackHost, ReplayServer } from '../../recording/replay-server.js';
import { ReplaySource } from '../../recording/replay-source.js';
import { DEFAULT_SERVER_HOST } from '../../server/server-options.js';
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

/**
 * Options of the live command that mean nothing for a recording (where to connect, how to
 * reconnect, what to present): refused by name, never silently ignored.
 */
const LIVE_ONLY = new Set([
  'uri',
  'targets',
  'demo',
  'reconnect',
  'reconnectInterval',
  'maxReconnects',
  'pingInterval',
  'pingTimeout',
  'connectTimeout',
  'maxConnecting',
  'maxPayload',
  'header',
  'tokenFile',
  'ca',
  'cert',
  'key',
  'insecure',
]);

/** Replay's own options: the only ones `--serve` takes (with --no-color, harmless). */
const SERVE_OPTIONS = new Set([
  'speed',
  'maxSpeed',
  'serve',
  'serveTokenFile',
  'target',
  'since',
  'until',
  'color',
]);

const REPLAY_EXAMPLES = `
Examples:
  ${PROGRAM} replay fleet.db --speed 10 -f detailed       ten times as fast, in any format
  ${PROGRAM} replay fleet.db --max-speed -f jsonl | jq .    every frame, as fast as possible
  ${PROGRAM} replay fleet.db --dashboard                  the recorded targets, as they were
  ${PROGRAM} replay fleet.db --max-speed --alerts rules.yaml --events events.jsonl
  ${PROGRAM} replay fleet.db --max-speed --web 8080       the end state, in a browser
  ${PROGRAM} replay monitoring.log --since 2026-11-25T02:00Z --until 2026-11-25T03:00Z
  ${PROGRAM} replay fleet.db --serve 8765                 any client can watch it

The pipeline runs in the recording's time: ages, staleness and alert durations are those of
the recorded session. Line formats and files end with the recording (exit 0); --dashboard,
--web and --prometheus keep showing its final state until Ctrl-C (q in the dashboard).
`;

/**
 * Turns the live command's program (its options and every feature declared) into the
 * replay one: a FILE argument, replay's flags, the live-only options hidden
 * from the help (still parsed, so that {@link checkReplayFlags} can name them).
 */
export function toReplayProgram(program: Command): Command {
  for (const option of program.options) {
    if (LIVE_ONLY.has(option.attributeName())) option.hideHelp();
  }
  // The live examples (-u, --demo) would mislead here. (A commander Command is an EventEmitter;
  // its help texts are listeners of `afterHelp`.)
  (program as unknown as EventEmitter).removeAllListeners('afterHelp');
  return declareReplayFlags(
    program
      .name(`${PROGRAM} replay`)
      .description(
        'Play a recording (--record or --save-data) again through every output of the command, or serve it to any client.',
      )
      .argument('<file>', 'a recording (SQLite, from --record) or a save-data file'),
  ).addHelpText('after', REPLAY_EXAMPLES);
}

/**
 * The flags given that replay cannot honour, as a usage error naming the first: a live-only
 * option, an output with `--serve`, an output file that is the recording itself.
 * @throws UsageError
 */
export function checkReplayFlags(program: Command, file: string): void {
  const flags = program.opts<Record<string, unknown>>();
  const serving = flags.serve !== undefined;
  for (const option of program.options) {
    const name = option.attributeName();
    if (program.getOptionValueSource(name) !== 'cli') continue;
    const flag =
      option.short && option.long ? `${option.short}/${option.long}` : (option.long ?? option.flags);
    if (LIVE_ONLY.has(name)) {
      const hint =
        name === 'targets' || name === 'uri'
          ? '; the targets are those of the recording (--target NAME picks some)'
          : '';
      throw new UsageError(
        `${flag} does not apply to replay: it plays a recording and connects to no server${hint}`,
      );
    }
    if (serving && !SERVE_OPTIONS.has(name)) {
      throw new UsageError(
        `${flag} does not apply to replay --serve: it serves the recording to other clients and shows nothing here`,
      );
    }
  }
  for (const [flag, path] of [
    ['--record', flags.record],
    ['--save-data', flags.saveData],
    ['--events', flags.events],
  ] as const) {
    if (typeof path === 'string' && sameFile(path, file)) {
      throw new UsageError(
        `invalid ${flag}: "${path}" is the recording being replayed (write to another file)`,
      );
    }
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** `replay FILE ...` (the arguments after the word `replay`): the command's `run`, for callers that have them split. */
export async function runReplay(argv: string[], io: CliIo): Promise<number> {
  const { run } = await import('../run.js');
  return run(['replay', ...argv], io);
}
