/**
 * The command line: every option, its default, and the checks that turn bad input into one
 * clear line and exit code 2. Parsing is commander's; this file only declares and validates.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  CONNECT_TIMEOUT,
  DEFAULT_FORMAT_TYPE,
  DEFAULT_WEBSOCKET_URI,
  type EnvironmentConfig,
  FORMAT_TYPES,
  type FormatType,
  isWebSocketUri,
  LOG_ROTATION_KEEP,
  LOG_ROTATION_SIZE,
  type LogLevel,
  MAX_CONNECTING,
  MAX_PAYLOAD,
  PING_INTERVAL,
  PING_TIMEOUT,
  RECONNECT_INTERVAL,
} from '../config.js';
import { validateOutputPath } from '../files/output-file.js';
import {
  MAX_PEM_FILE_BYTES,
  MAX_TOKEN_FILE_BYTES,
  readCredentialFile,
  sharedSecretWarning,
} from '../files/secure-files.js';
import { defaultTargetName } from '../fleet/target.js';
import { DEFAULT_STALE_AFTER } from '../pipeline/target-table.js';
import { redactUri } from '../redact.js';
import {
  credentialsSentInClear,
  headerValueProblem,
  isReservedHandshakeHeader,
  RESERVED_HANDSHAKE_HEADERS,
} from '../transport/handshake-headers.js';
import type { TargetsFileSections } from './feature.js';
import { readTargetsFile } from './targets-file.js';

/** A server to watch, as the command line and the targets file describe it. */
export interface CliTarget {
  name: string;
  uri: string;
  labels?: Record<string, string>;
  headers?: Record<string, string>;
  token?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  reconnect?: boolean;
  reconnectInterval?: number;
  maxReconnectAttempts?: number | null;
  pingInterval?: number;
  pingTimeout?: number;
  connectTimeout?: number;
}

/** Everything the command line decides, validated. */
export interface CliOptions {
  /** The first target's URI (the only one, most of the time). */
  uri: string;
  /** Every target, named: from `-u [NAME=]URI` (repeatable) and `--targets FILE`. */
  targets: CliTarget[];
  /** The sections of the targets file other than `targets`, for the features. */
  fileSections: TargetsFileSections | undefined;
  /** `--events`: a file, or `-` for stderr. */
  events: string | undefined;
  /** Seconds without data after which a target is stale. */
  staleAfter: number;
  demo: boolean;
  reconnect: boolean;
  reconnectInterval: number;
  maxReconnects: number | null;
  pingInterval: number;
  pingTimeout: number;
  connectTimeout: number;
  /** Handshakes in flight at once across the targets. */
  maxConnecting: number;
  maxPayload: number;
  format: FormatType;
  /** false with --no-color; undefined lets the terminal and NO_COLOR/FORCE_COLOR decide. */
  color: boolean | undefined;
  saveData: string | undefined;
  saveDataMaxSize: number;
  saveDataKeep: number;
  history: boolean;
  duration: number | undefined;
  stats: boolean;
  verbose: boolean;
  logFile: string | undefined;
  logLevel: LogLevel | undefined;
  headers: Record<string, string>;
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  insecure: boolean;
  /** Warnings to print before the run (one line each): a shared token file, credentials in clear text. */
  warnings: string[];
}

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const EXAMPLES = `
Examples:
  monitoring-websocket-client --demo                      live metrics of this machine, no server needed
  monitoring-websocket-client -u ws://192.168.1.100:8765  watch a remote server
  monitoring-websocket-client -f detailed                 bars, amounts, cores, temperatures, alerts
  monitoring-websocket-client -f jsonl | jq .data.memory  one JSON object per line, for scripts
  monitoring-websocket-client --save-data data.jsonl --duration 60 --stats
  monitoring-websocket-client -u wss://host:8765 --ca ca.pem --token-file token.txt

Environment:
  MONITORING_WEBSOCKET_URI, MONITORING_FORMAT, MONITORING_LOG_LEVEL, MONITORING_LOG_FILE
  supply defaults (flags win); MONITORING_TOKEN sends "Authorization: Bearer <token>";
  NO_COLOR turns colour off, FORCE_COLOR turns it on.

Output:
  stdout carries the data only, one record per message; connection notices, server errors,
  alerts and --stats go to stderr.

Exit codes:
  0  the run ended: --duration elapsed, or SIGINT/SIGTERM
  1  the connection failed and the client gave up (--no-reconnect or --max-reconnects reached),
     or a runtime error
  2  invalid arguments or environment
`;

/**
 * The documented range of every duration and count of the command line. A value outside is
 * refused at the flag, with the flag's name: the library's own limits (a Node timer's range)
 * are never reached, and nothing absurd (an attempt every nanosecond, a billion rotated
 * files scanned at each rotation) can be asked for.
 */
export const RANGES = {
  reconnectInterval: { min: 0.1, max: 86_400 },
  maxReconnects: { min: 0, max: 1_000_000 },
  pingInterval: { min: 0.1, max: 3600 },
  pingTimeout: { min: 0.1, max: 3600 },
  connectTimeout: { min: 0.1, max: 3600 },
  maxConnecting: { min: 1, max: 100_000 },
  maxPayload: { min: 1, max: 256 * 1024 * 1024 },
  saveDataMaxSize: { min: 1024, max: 1024 ** 4 },
  saveDataKeep: { min: 1, max: 1000 },
  /** Seconds; the run may last ten years (timers are chained beyond Node's 24.8 days). */
  duration: { min: 0, max: 315_360_000 },
} as const;

// Plain decimal only: Number() would also take "0x10", "1e3", "Infinity" or " 5".
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const WHOLE = /^\d+$/;

/** A number of seconds from `min` to `max` (`min` excluded when `exclusive`); 0 too with `zeroMeansOff`. */
function seconds(
  range: { min: number; max: number },
  options: { exclusive?: boolean; zeroMeansOff?: boolean } = {},
) {
  const { min, max } = range;
  const expected = options.exclusive
    ? `expected a decimal number of seconds > ${min} and <= ${max}`
    : `expected ${options.zeroMeansOff ? '0 (off) or ' : ''}a decimal number of seconds from ${min} to ${max}`;
  return (value: string): number => {
    const number = DECIMAL.test(value) ? Number(value) : Number.NaN;
    const inRange = options.exclusive ? number > min && number <= max : number >= min && number <= max;
    if (!(inRange || (options.zeroMeansOff && number === 0))) throw new InvalidArgumentError(expected);
    return number;
  };
}

/** A whole number from `min` to `max`. */
function integer(range: { min: number; max: number }, what: string) {
  return (value: string): number => {
    const number = WHOLE.test(value) ? Number(value) : Number.NaN;
    if (!(number >= range.min && number <= range.max)) {
      throw new InvalidArgumentError(`expected ${what} from ${range.min} to ${range.max}`);
    }
    return number;
  };
}

/** `-u URI` or `-u NAME=URI`, repeatable. */
function collectUri(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * One `-H 'Name: value'`. Refused with one line that never repeats the value (it may be a
 * credential): a malformed header, a header the handshake owns, a value HTTP cannot carry.
 * Thrown as a UsageError, not commander's InvalidArgumentError, whose message would quote
 * the whole argument.
 */
function collectHeader(value: string, previous: string[]): string[] {
  const colon = value.indexOf(':');
  const name = colon > 0 ? value.slice(0, colon).trim() : '';
  if (name === '' || /[^!#$%&'*+.^`|~0-9A-Za-z-]/.test(name)) {
    throw new UsageError(`invalid --header: ${quotedArgument(value)} (expected 'Name: value')`);
  }
  if (isReservedHandshakeHeader(name)) {
    throw new UsageError(
      `invalid --header: "${name}" is set by the WebSocket handshake itself (${RESERVED_HANDSHAKE_HEADERS}) and cannot be sent with -H`,
    );
  }
  const problem = headerValueProblem(value.slice(colon + 1).trim());
  if (problem !== undefined)
    throw new UsageError(`invalid --header: the value of "${name}" cannot be sent: ${problem}`);
  return [...previous, value];
}

/** A malformed -H argument for a message: quoted, control characters escaped, a credential-looking one hidden. */
function quotedArgument(value: string): string {
  if (/authorization|token|key|secret|password|auth|cookie|bearer|basic/i.test(value)) return "'[redacted]'";
  return `'${JSON.stringify(value).slice(1, -1)}'`;
}

/** The commander program; `run()` parses with it. */
export function createProgram(
  version: string,
  write: { out: (s: string) => void; err: (s: string) => void },
) {
  const program = new Command()
    .name('monitoring-websocket-client')
    .description('Watch a machine’s CPU, memory, disk and GPU live from a monitoring WebSocket server.')
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .option(
      '-u, --uri <uri>',
      `server to watch, NAME=URI to name it; repeat to watch several (default: "${DEFAULT_WEBSOCKET_URI}")`,
      collectUri,
    )
    .option('--targets <file>', 'watch the servers listed in FILE (YAML or JSON: targets: [{ name, uri }])')
    .option('--events <file>', "write every connection event and alert to FILE as JSON Lines ('-': stderr)")
    .option(
      '--stale-after <seconds>',
      'a server without data for this long counts as stale (0.1 s to 1 day)',
      seconds({ min: 0.1, max: 86_400 }),
      DEFAULT_STALE_AFTER,
    )
    .option('--demo', 'start a monitoring server of this machine in-process and watch it', false)
    .option('--no-reconnect', 'do not reconnect after a failure; exit 1 instead')
    .option(
      '--reconnect-interval <seconds>',
      `seconds between reconnection attempts (${RANGES.reconnectInterval.min} to ${RANGES.reconnectInterval.max})`,
      seconds(RANGES.reconnectInterval),
      RECONNECT_INTERVAL,
    )
    .option(
      '--max-reconnects <count>',
      `reconnection attempts before giving up, ${RANGES.maxReconnects.min} to ${RANGES.maxReconnects.max} (default: unlimited)`,
      integer(RANGES.maxReconnects, 'an integer'),
    )
    .option(
      '--ping-interval <seconds>',
      `seconds between heartbeat pings, ${RANGES.pingInterval.min} to ${RANGES.pingInterval.max} (0: off)`,
      seconds(RANGES.pingInterval, { zeroMeansOff: true }),
      PING_INTERVAL,
    )
    .option(
      '--ping-timeout <seconds>',
      `seconds without a pong before the link is dead (${RANGES.pingTimeout.min} to ${RANGES.pingTimeout.max})`,
      seconds(RANGES.pingTimeout),
      PING_TIMEOUT,
    )
    .option(
      '--connect-timeout <seconds>',
      `seconds allowed for the handshake (${RANGES.connectTimeout.min} to ${RANGES.connectTimeout.max})`,
      seconds(RANGES.connectTimeout),
      CONNECT_TIMEOUT,
    )
    .option(
      '--max-connecting <n>',
      `handshakes in flight at once across the targets, ${RANGES.maxConnecting.min} to ${RANGES.maxConnecting.max}; the others wait their turn`,
      integer(RANGES.maxConnecting, 'an integer'),
      MAX_CONNECTING,
    )
    .option(
      '--max-payload <bytes>',
      `largest frame accepted, ${RANGES.maxPayload.min} to ${RANGES.maxPayload.max}; a bigger one is refused before it is read`,
      integer(RANGES.maxPayload, 'a whole number of bytes'),
      MAX_PAYLOAD,
    )
    .addOption(
      new Option('-f, --format <format>', `output format (default: "${DEFAULT_FORMAT_TYPE}")`).choices(
        FORMAT_TYPES,
      ),
    )
    .option('--no-color', 'no colours (also: NO_COLOR, or when stdout is not a terminal)')
    .option('--save-data <file>', 'save every frame received to FILE, one JSON object per line')
    .option(
      '--save-data-max-size <bytes>',
      `rotate the save-data file at this size (${RANGES.saveDataMaxSize.min} to ${RANGES.saveDataMaxSize.max})`,
      integer(RANGES.saveDataMaxSize, 'a whole number of bytes'),
      LOG_ROTATION_SIZE,
    )
    .option(
      '--save-data-keep <count>',
      `rotated save-data files kept (${RANGES.saveDataKeep.min} to ${RANGES.saveDataKeep.max})`,
      integer(RANGES.saveDataKeep, 'an integer'),
      LOG_ROTATION_KEEP,
    )
    .option('--history', 'keep the last 1000 records in memory (shown in --stats)', false)
    .option(
      '-d, --duration <seconds>',
      `stop after this many seconds (at most ${RANGES.duration.max}, ten years)`,
      seconds(RANGES.duration, { exclusive: true }),
    )
    .option('-s, --stats', 'print statistics to stderr at the end', false)
    .option('-v, --verbose', 'debug logs on stderr', false)
    .option('--log-file <file>', 'write timestamped logs to FILE (rotated at 10 MB)')
    .option('-H, --header <header>', "extra handshake header 'Name: value' (repeatable)", collectHeader, [])
    .option('--token-file <file>', 'send "Authorization: Bearer <token>" with the token read from FILE')
    .option('--ca <file>', 'trust this CA certificate (PEM) for wss://')
    .option('--cert <file>', 'client certificate (PEM) for wss://')
    .option('--key <file>', 'client private key (PEM) for wss://')
    .option('--insecure', 'do not verify the server certificate (dangerous)', false)
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: write.out,
      writeErr: write.err,
      outputError: (text, writeErr) =>
        writeErr(text.startsWith('error:') ? `monitoring-websocket-client: ${text}` : text),
    });
  return program;
}

/** Raw values as commander parsed them. */
interface ParsedFlags {
  uri?: string[];
  targets?: string;
  events?: string;
  staleAfter: number;
  demo: boolean;
  reconnect: boolean;
  reconnectInterval: number;
  maxReconnects?: number;
  pingInterval: number;
  pingTimeout: number;
  connectTimeout: number;
  maxConnecting: number;
  maxPayload: number;
  format?: FormatType;
  color: boolean;
  saveData?: string;
  saveDataMaxSize: number;
  saveDataKeep: number;
  history: boolean;
  duration?: number;
  stats: boolean;
  verbose: boolean;
  logFile?: string;
  header: string[];
  tokenFile?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure: boolean;
}

/**
 * Turns the parsed flags and the environment into validated options.
 * @throws UsageError with one line naming the option, the value and what is allowed.
 */
export function resolveOptions(
  flags: ParsedFlags,
  env: EnvironmentConfig,
  processEnv: NodeJS.ProcessEnv,
): CliOptions {
  const warnings: string[] = [];
  const file = flags.targets === undefined ? undefined : readTargetsFile(flags.targets);
  const uris =
    flags.uri !== undefined || file !== undefined ? (flags.uri ?? []) : [env.uri ?? DEFAULT_WEBSOCKET_URI];
  const targets: CliTarget[] = uris.map(parseTargetArgument);
  for (const target of file?.targets ?? []) {
    const { tokenFile, ca, cert, key, maxReconnectAttempts, ...rest } = target;
    targets.push({
      ...rest,
      ...(tokenFile !== undefined ? { token: readToken(tokenFile, warnings) } : {}),
      ...(ca !== undefined ? { ca: readPem('--targets ca', ca, warnings) } : {}),
      ...(cert !== undefined ? { cert: readPem('--targets cert', cert, warnings) } : {}),
      ...(key !== undefined ? { key: readPem('--targets key', key, warnings) } : {}),
      ...(maxReconnectAttempts !== undefined ? { maxReconnectAttempts } : {}),
    });
  }
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name)) {
      throw new UsageError(
        `invalid --uri: two targets are named "${target.name}" (name them: -u NAME=URI, each name once)`,
      );
    }
    seen.add(target.name);
  }
  const uri = targets[0]!.uri;
  for (const [option, path] of [
    ['--save-data', flags.saveData],
    ['--log-file', flags.logFile ?? env.logFile],
  ] as const) {
    if (path === undefined) continue;
    const reason = validateOutputPath(path);
    if (reason) throw new UsageError(`invalid ${option}: "${path}" (${reason})`);
  }
  const headers: Record<string, string> = {};
  for (const header of flags.header) {
    const colon = header.indexOf(':');
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  const token = flags.tokenFile
    ? readToken(flags.tokenFile, warnings)
    : checkToken('MONITORING_TOKEN', processEnv.MONITORING_TOKEN?.trim());
  if (token && !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) {
    headers.Authorization = `Bearer ${token}`;
  }
  return {
    uri,
    targets,
    fileSections: file?.sections,
    events: flags.events,
    staleAfter: flags.staleAfter,
    demo: flags.demo,
    reconnect: flags.reconnect,
    reconnectInterval: flags.reconnectInterval,
    maxReconnects: flags.maxReconnects ?? null,
    pingInterval: flags.pingInterval,
    pingTimeout: flags.pingTimeout,
    connectTimeout: flags.connectTimeout,
    maxConnecting: flags.maxConnecting,
    maxPayload: flags.maxPayload,
    format: flags.format ?? env.format ?? DEFAULT_FORMAT_TYPE,
    color: flags.color === false ? false : undefined,
    saveData: flags.saveData,
    saveDataMaxSize: flags.saveDataMaxSize,
    saveDataKeep: flags.saveDataKeep,
    history: flags.history,
    duration: flags.duration,
    stats: flags.stats,
    verbose: flags.verbose,
    logFile: flags.logFile ?? env.logFile,
    logLevel: env.logLevel,
    headers,
    ca: flags.ca === undefined ? undefined : readPem('--ca', flags.ca, warnings),
    cert: flags.cert === undefined ? undefined : readPem('--cert', flags.cert, warnings),
    key: flags.key === undefined ? undefined : readPem('--key', flags.key, warnings),
    insecure: flags.insecure,
    warnings: [
      ...warnings,
      ...targets.flatMap((t) =>
        clearTextWarnings(t.uri, {
          ...headers,
          ...t.headers,
          ...(t.token ? { Authorization: 'Bearer' } : {}),
        }),
      ),
    ],
  };
}

/** `URI` or `NAME=URI`; a target without a name is named after its host and port. */
function parseTargetArgument(value: string): CliTarget {
  const named = /^([^=]+)=(wss?:\/\/.*)$/i.exec(value);
  const name = named ? named[1]!.trim() : undefined;
  const uri = named ? named[2]! : value;
  if (!isWebSocketUri(uri)) {
    throw new UsageError(
      `invalid --uri: "${redactUri(uri)}" (expected a ws:// or wss:// URI, e.g. ws://localhost:8765, optionally named: web1=ws://10.0.0.5:8765)`,
    );
  }
  if (name !== undefined && (name === '' || name.length > 256 || /\p{C}/u.test(name))) {
    throw new UsageError(`invalid --uri: target name "${name}" (expected 1 to 256 printable characters)`);
  }
  return { name: name ?? defaultTargetName(uri), uri };
}

/** The token of --token-file: a regular file, small, one token on one line, sendable in a header. */
function readToken(path: string, warnings: string[]): string {
  let token: string;
  try {
    const file = readCredentialFile(path, MAX_TOKEN_FILE_BYTES);
    const shared = sharedSecretWarning('--token-file', path, file);
    if (shared !== undefined) warnings.push(shared);
    token = file.text.trim();
  } catch (error) {
    throw new UsageError(
      `invalid --token-file: "${path}" (${(error as { reason?: string }).reason ?? 'unreadable'})`,
    );
  }
  if (token === '' || /[\r\n]/.test(token)) {
    throw new UsageError(`invalid --token-file: "${path}" (expected one token on one line)`);
  }
  const problem = headerValueProblem(token);
  if (problem !== undefined) {
    throw new UsageError(
      `invalid --token-file: "${path}" (the token cannot be sent in a header: ${problem})`,
    );
  }
  return token;
}

/** A token from the environment, checked like one from a file, and never quoted. */
function checkToken(variable: string, token: string | undefined): string | undefined {
  if (!token) return undefined;
  const problem = headerValueProblem(token);
  if (problem !== undefined) {
    throw new UsageError(`invalid ${variable} (the token cannot be sent in a header: ${problem})`);
  }
  return token;
}

/** A certificate or key file (PEM): a regular file, at most 1 MiB; a key readable by others is warned about. */
function readPem(option: string, path: string, warnings: string[]): string {
  try {
    const file = readCredentialFile(path, MAX_PEM_FILE_BYTES);
    if (option === '--key') {
      const shared = sharedSecretWarning(option, path, file);
      if (shared !== undefined) warnings.push(shared);
    }
    return file.text;
  } catch (error) {
    throw new UsageError(
      `invalid ${option}: "${path}" (${(error as { reason?: string }).reason ?? 'unreadable'})`,
    );
  }
}

/** The warning for credentials about to cross the network unencrypted (ws:// to another machine). */
function clearTextWarnings(uri: string, headers: Record<string, string>): string[] {
  const sent = credentialsSentInClear(uri, headers);
  if (sent.length === 0) return [];
  const host = new URL(uri).host;
  return [
    `${sent.join(', ')} will be sent unencrypted to ${host} (ws://), readable by anyone on the path: use wss://`,
  ];
}

export type { ParsedFlags };
