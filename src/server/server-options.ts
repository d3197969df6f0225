/**
 * The server's options: their defaults, their rules (shared with the command, so both say the
 * same thing), and their validation, done once, at construction, into {@link ServerSettings}.
 */
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../transport/clock.js';
import { type AlertThresholds, resolveThresholds } from './alerts.js';
import { isValidToken, TOKEN_ALLOWED } from './bearer-token.js';
import type { MetricsSource } from './metrics-source.js';
import { canonicalOrigin, ORIGIN_ALLOWED } from './origin-policy.js';
import { type TlsCredentials, tlsCredentialsProblem } from './tls-credentials.js';

/** Interface the server listens on by default: this machine only. */
export const DEFAULT_SERVER_HOST = '127.0.0.1';
/** Port of the Python server, and the client's default. */
export const DEFAULT_SERVER_PORT = 8765;
/** Seconds between two `monitoring_data` messages by default. */
export const DEFAULT_SERVER_INTERVAL = 1;
/** Clients served at once by default, as the Python server. */
export const DEFAULT_MAX_CLIENTS = 1000;
/** Unsent bytes a client may accumulate by default before it is dropped (1 MiB, some 700 messages). */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Seconds `stop()` waits by default for clients to answer the close frame. */
export const DEFAULT_CLOSE_TIMEOUT = 1;
/** Largest frame accepted from a client by default (64 KiB): clients send only tiny requests. */
export const MAX_CLIENT_PAYLOAD = 64 * 1024;
/** Seconds from accept to the end of the WebSocket handshake by default. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 5;
/** Connections whose handshake is not complete, by default. */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 128;
/** Connections from one address (pending and served) by default. */
export const DEFAULT_MAX_CLIENTS_PER_ADDRESS = 64;
/** Messages per second a client may send in the long run, by default. */
export const DEFAULT_MAX_MESSAGE_RATE = 10;
/** Messages a client may send at once (above the rate), by default. */
export const DEFAULT_MAX_MESSAGE_BURST = 20;
/** Seconds between two lines of the refusal summary, at most one a period, by default. */
export const DEFAULT_LOG_SUMMARY_INTERVAL = 10;

export interface MonitoringServerOptions {
  /**
   * Interface to listen on. Default `'127.0.0.1'`, this machine only; `'0.0.0.0'` or `'::'`
   * lets anyone who reaches the machine connect: set `token` (a warning is logged otherwise).
   */
  host?: string;
  /** TCP port, 0 to 65535. Default 8765; 0 picks a free port (see `start()`'s result or `url`). */
  port?: number;
  /** Seconds between two `monitoring_data` messages, from 0.01 to 86400. Default 1. */
  interval?: number;
  /** Path whose disk usage the default metrics source reports. Default `'/'`; ignored with `metricsSource`. */
  diskPath?: string;
  /** Clients served at once, at least 1; the next ones are closed with 1008 "Server at capacity". Default 1000. */
  maxClients?: number;
  /** Alert thresholds in %; each one left out keeps its default (memory 80/90, disk 85/95). */
  thresholds?: Partial<AlertThresholds>;
  /** Where the metrics come from. Default: a {@link SystemMetricsSource} for `diskPath`. */
  metricsSource?: MetricsSource;
  /** Where connections, the refusal summary and collection failures are reported. Default: silent. */
  logger?: Logger;
  /**
   * Bytes a client may leave unsent (in the socket's buffers) before it is disconnected
   * instead of sent more, at least 1024. Default 1 MiB. A client that does not read thus
   * costs at most this much memory and never delays the others.
   */
  maxBufferedBytes?: number;
  /** Seconds `stop()` (and a cut-off) waits for a client to answer its close frame before cutting it, 0 to 60. Default 1. */
  closeTimeout?: number;
  /** Time of the interval's timers, of the timestamps and of every limit. Default: the system clock. */
  clock?: Clock;
  /**
   * Token every connection must present as `Authorization: Bearer TOKEN`; a missing or wrong
   * one is refused with HTTP 401 before the WebSocket handshake. Compared in constant time,
   * never logged. Default: none (anyone may connect).
   */
  token?: string;
  /** Certificate and key (PEM) to serve `wss://`; {@link MonitoringServer.reloadTls} replaces them. Default: `ws://`. */
  tls?: TlsCredentials;
  /**
   * Origins whose pages may connect, e.g. `['https://dashboard.example']`. A connection with
   * an `Origin` header (a browser's) is refused with 403 unless its origin is listed; one
   * without (other clients) is not affected. Default: none, every browser page is refused.
   */
  allowedOrigins?: readonly string[];
  /** Seconds a connection has to complete TLS and the WebSocket handshake, from 0.01 to 300. Default 5. */
  handshakeTimeout?: number;
  /** Connections whose handshake is not complete; more are closed at once, unanswered. At least 1. Default 128. */
  maxPendingHandshakes?: number;
  /**
   * Connections from one address, pending and served together; more are closed at once,
   * unanswered. At least 1. Default 64. Behind a reverse proxy every client has its address.
   */
  maxClientsPerAddress?: number;
  /** Messages (and pings) per second a client may send in the long run, 0.01 to 100000. Default 10. */
  maxMessageRate?: number;
  /** Messages a client may send at once above that rate, 1 to 100000; past it the client is closed with 1008. Default 20. */
  maxMessageBurst?: number;
  /** Largest message accepted from a client, in bytes, 128 to 16 MiB; a larger one closes it with 1009. Default 64 KiB. */
  maxMessageSize?: number;
  /** Seconds between two lines of the refusal summary, from 0.01 to 3600. Default 10. */
  logSummaryInterval?: number;
}

/** Range of a numeric option, shared with the CLI so both say the same thing. */
export interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
  /** What is allowed, as error messages say it. */
  allowed: string;
}

/** The numeric options' ranges. */
export const SERVER_NUMBER_RULES = {
  port: { integer: true, min: 0, max: 65535, allowed: 'an integer from 0 to 65535, 0 for any free port' },
  interval: { integer: false, min: 0.01, max: 86400, allowed: 'a number of seconds from 0.01 to 86400' },
  maxClients: { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER, allowed: 'an integer of at least 1' },
  maxBufferedBytes: {
    integer: true,
    min: 1024,
    max: Number.MAX_SAFE_INTEGER,
    allowed: 'an integer number of bytes of at least 1024',
  },
  closeTimeout: { integer: false, min: 0, max: 60, allowed: 'a number of seconds from 0 to 60' },
  handshakeTimeout: {
    integer: false,
    min: 0.01,
    max: 300,
    allowed: 'a number of seconds from 0.01 to 300',
  },
  maxPendingHandshakes: {
    integer: true,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    allowed: 'an integer of at least 1',
  },
  maxClientsPerAddress: {
    integer: true,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    allowed: 'an integer of at least 1',
  },
  maxMessageRate: {
    integer: false,
    min: 0.01,
    max: 100_000,
    allowed: 'a number of messages per second from 0.01 to 100000',
  },
  maxMessageBurst: { integer: true, min: 1, max: 100_000, allowed: 'an integer from 1 to 100000' },
  maxMessageSize: {
    integer: true,
    min: 128,
    max: 16 * 1024 * 1024,
    allowed: 'an integer number of bytes from 128 to 16777216',
  },
  logSummaryInterval: {
    integer: false,
    min: 0.01,
    max: 3600,
    allowed: 'a number of seconds from 0.01 to 3600',
  },
} as const satisfies Record<string, NumberRule>;

/** True when `value` is a number that `rule` allows. */
export function satisfiesRule(rule: NumberRule, value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    value >= rule.min &&
    value <= rule.max
  );
}

function numberOption(name: keyof typeof SERVER_NUMBER_RULES, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const rule = SERVER_NUMBER_RULES[name];
  if (!satisfiesRule(rule, value)) throw new InvalidOptionError(name, value, rule.allowed);
  return value;
}

function stringOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidOptionError(name, value, 'a non-empty string');
  return value;
}

/** An object with `methods`, or undefined when not given. */
function objectOption<T>(
  name: string,
  value: T | undefined,
  methods: readonly string[],
  allowed: string,
): T | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw new InvalidOptionError(name, value, allowed);
  return value;
}

function tokenOption(value: unknown): string | undefined {
  if (value === undefined || isValidToken(value)) return value;
  // The value is never shown: it may be a real token with a stray character.
  throw new InvalidOptionError('token', typeof value === 'string' ? '[redacted]' : value, TOKEN_ALLOWED);
}

/** What allowed credentials are, as error messages say it. */
const TLS_ALLOWED = 'a PEM certificate and its private key';

/** The credentials, checked: both PEM, the key matching the certificate. */
export function tlsOption(value: unknown): TlsCredentials {
  const problem = tlsCredentialsProblem(value);
  // The value is never shown: it holds a private key.
  if (problem !== undefined)
    throw new InvalidOptionError('tls', '[certificate and key]', `${TLS_ALLOWED}; ${problem}`);
  const { cert, key } = value as TlsCredentials;
  return { cert, key };
}

function originsOption(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new InvalidOptionError('allowedOrigins', value, `an array of ${ORIGIN_ALLOWED}`);
  return value.map((origin, i) => {
    const canonical = canonicalOrigin(origin);
    if (canonical === undefined) throw new InvalidOptionError(`allowedOrigins[${i}]`, origin, ORIGIN_ALLOWED);
    return canonical;
  });
}

/** The options, validated, times in milliseconds. */
export interface ServerSettings {
  host: string;
  port: number;
  intervalMs: number;
  diskPath: string;
  maxClients: number;
  thresholds: AlertThresholds;
  metricsSource: MetricsSource | undefined;
  logger: Logger | undefined;
  maxBufferedBytes: number;
  closeTimeoutMs: number;
  clock: Clock | undefined;
  token: string | undefined;
  tls: TlsCredentials | undefined;
  /** Canonical origins. */
  allowedOrigins: string[];
  handshakeTimeoutMs: number;
  maxPendingHandshakes: number;
  maxClientsPerAddress: number;
  maxMessageRate: number;
  maxMessageBurst: number;
  maxMessageSize: number;
  logSummaryIntervalMs: number;
}

/** @throws InvalidOptionError naming the first option that is not allowed (never showing a token or a key). */
export function resolveServerOptions(options: MonitoringServerOptions = {}): ServerSettings {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', options, 'an object');
  }
  const seconds = (name: keyof typeof SERVER_NUMBER_RULES, value: unknown, fallback: number) =>
    numberOption(name, value, fallback) * 1000;
  const settings: ServerSettings = {
    host: stringOption('host', options.host, DEFAULT_SERVER_HOST),
    port: numberOption('port', options.port, DEFAULT_SERVER_PORT),
    intervalMs: seconds('interval', options.interval, DEFAULT_SERVER_INTERVAL),
    diskPath: stringOption('diskPath', options.diskPath, '/'),
    maxClients: numberOption('maxClients', options.maxClients, DEFAULT_MAX_CLIENTS),
    thresholds: resolveThresholds(options.thresholds),
    metricsSource: objectOption(
      'metricsSource',
      options.metricsSource,
      ['collect'],
      'an object with a collect() method',
    ),
    logger: objectOption(
      'logger',
      options.logger,
      ['debug', 'info', 'warn', 'error'],
      'an object with debug, info, warn and error methods',
    ),
    maxBufferedBytes: numberOption('maxBufferedBytes', options.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES),
    closeTimeoutMs: seconds('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT),
    clock: objectOption(
      'clock',
      options.clock,
      ['now', 'setTimeout', 'clearTimeout'],
      'a Clock (now, setTimeout, clearTimeout)',
    ),
    token: tokenOption(options.token),
    tls: options.tls === undefined ? undefined : tlsOption(options.tls),
    allowedOrigins: originsOption(options.allowedOrigins),
    handshakeTimeoutMs: seconds('handshakeTimeout', options.handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT),
    maxPendingHandshakes: numberOption(
      'maxPendingHandshakes',
      options.maxPendingHandshakes,
      DEFAULT_MAX_PENDING_HANDSHAKES,
    ),
    maxClientsPerAddress: numberOption(
      'maxClientsPerAddress',
      options.maxClientsPerAddress,
      DEFAULT_MAX_CLIENTS_PER_ADDRESS,
    ),
    maxMessageRate: numberOption('maxMessageRate', options.maxMessageRate, DEFAULT_MAX_MESSAGE_RATE),
    maxMessageBurst: numberOption('maxMessageBurst', options.maxMessageBurst, DEFAULT_MAX_MESSAGE_BURST),
    maxMessageSize: numberOption('maxMessageSize', options.maxMessageSize, MAX_CLIENT_PAYLOAD),
    logSummaryIntervalMs: seconds(
      'logSummaryInterval',
      options.logSummaryInterval,
      DEFAULT_LOG_SUMMARY_INTERVAL,
    ),
  };
  return settings;
}
