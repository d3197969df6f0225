/**
 * Named error classes. Each has a stable `code` that scripts can test, and chains the
 * underlying failure as `cause`.
 */

/** Stable codes of {@link ConnectionError}. */
export type ConnectionErrorCode =
  /** Nothing listens on the port (ECONNREFUSED). */
  | 'CONNECTION_REFUSED'
  /** The host name does not resolve (ENOTFOUND, EAI_AGAIN). */
  | 'DNS_FAILURE'
  /** The server answered the handshake with an HTTP status other than 101 (see `status`). */
  | 'HANDSHAKE_REJECTED'
  /** The TLS handshake failed (bad or untrusted certificate, protocol mismatch). */
  | 'TLS_FAILURE'
  /** The handshake did not complete within `connectTimeout`. */
  | 'CONNECT_TIMEOUT'
  /** The server did not answer a ping within `pingTimeout`: the link is dead. */
  | 'PING_TIMEOUT'
  /** The connection closed unexpectedly (see `closeCode`). */
  | 'CONNECTION_CLOSED'
  /** Any other network failure (ECONNRESET, EHOSTUNREACH, ...). */
  | 'NETWORK_ERROR';

/** Base class of every error this package throws or reports. */
export class MonitoringError extends Error {
  override name = 'MonitoringError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A connection attempt or an established connection failed. */
export class ConnectionError extends MonitoringError {
  override name = 'ConnectionError';
  declare readonly code: ConnectionErrorCode;
  /** HTTP status of a refused handshake (`HANDSHAKE_REJECTED`). */
  readonly status?: number;
  /** WebSocket close code (`CONNECTION_CLOSED`). */
  readonly closeCode?: number;
  constructor(
    code: ConnectionErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; closeCode?: number } = {},
  ) {
    super(code, message, { cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
    if (options.closeCode !== undefined) this.closeCode = options.closeCode;
  }
}

/**
 * The client stopped trying: reconnection is off or `maxReconnectAttempts` was reached.
 * `cause` is the last {@link ConnectionError}; `lastErrorCode` repeats its code.
 */
export class GaveUpError extends MonitoringError {
  override name = 'GaveUpError';
  declare readonly code: 'GAVE_UP';
  readonly attempts: number;
  readonly lastErrorCode: ConnectionErrorCode | undefined;
  constructor(attempts: number, cause: ConnectionError | undefined) {
    const reason = cause ? cause.message : 'no connection could be made';
    // 0 attempts: a working connection dropped and reconnection is off; "after 0 attempts" says nothing.
    const what =
      attempts === 0
        ? 'connection lost and reconnection is off'
        : `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    super('GAVE_UP', `${what}: ${reason}`, { cause });
    this.attempts = attempts;
    this.lastErrorCode = cause?.code;
  }
}

/** `send()` failed: not connected, not serializable, or not flushed within the send timeout. */
export class SendError extends MonitoringError {
  override name = 'SendError';
  declare readonly code: 'NOT_CONNECTED' | 'NOT_SERIALIZABLE' | 'SEND_TIMEOUT' | 'SEND_FAILED';
}

/** The client was stopped while an operation (start, send) was pending. */
export class StoppedError extends MonitoringError {
  override name = 'StoppedError';
  declare readonly code: 'STOPPED';
  constructor(message = 'the client was stopped') {
    super('STOPPED', message);
  }
}

/** An option, argument or environment variable has a value that is not allowed. */
export class InvalidOptionError extends MonitoringError {
  override name = 'InvalidOptionError';
  declare readonly code: 'INVALID_OPTION';
  readonly option: string;
  constructor(option: string, value: unknown, allowed: string) {
    super('INVALID_OPTION', `invalid ${option}: ${describeValue(value)} (expected ${allowed})`);
    this.option = option;
  }
}

/** Saving failed: the folder is missing, permission is denied, the disk is full, ... */
export class SaveDataError extends MonitoringError {
  override name = 'SaveDataError';
  declare readonly code: 'SAVE_DATA_FAILED';
  /** The file that could not be written. */
  readonly path: string;
  /** The operating system's error code, such as `ENOSPC` or `ENOTDIR`, when there is one. */
  readonly osCode: string | undefined;
  constructor(path: string, reason: string, cause?: unknown) {
    super('SAVE_DATA_FAILED', `cannot save data to ${path}: ${reason}`, { cause });
    this.path = path;
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.osCode = typeof code === 'string' ? code : undefined;
  }
}

/** A credential or certificate file cannot be used: missing, not a regular file, too large, ... */
export class CredentialFileError extends MonitoringError {
  override name = 'CredentialFileError';
  declare readonly code: 'CREDENTIAL_FILE';
  /** The file, as given. */
  readonly path: string;
  /** Why, in words (never the file's content). */
  readonly reason: string;
  constructor(path: string, reason: string, cause?: unknown) {
    super('CREDENTIAL_FILE', `cannot use ${path}: ${reason}`, { cause });
    this.path = path;
    this.reason = reason;
  }
}

/** `getHistory()` was called on a client created without `storeHistory`. */
export class HistoryDisabledError extends MonitoringError {
  override name = 'HistoryDisabledError';
  declare readonly code: 'HISTORY_DISABLED';
  constructor() {
    super('HISTORY_DISABLED', 'history is off: create the client with storeHistory: true');
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
