/**
 * The wire protocol: every message of both dialects, as received. See docs/protocol.md: "real" is what the Python monitoring-websocket-server sends,
 * "documented" what the Python client's documentation describes. A server may send either,
 * or a mix, and any field may be missing or of the wrong type: these types say what a
 * well-behaved server sends, and the normalizer checks every value before trusting it.
 */

/** ISO 8601 local time with microseconds and no zone, e.g. `2026-11-25T16:46:29.042542`. */
export type WireTimestamp = string;

// ---- monitoring_data, real dialect ------------------------------------------------------

export interface RealProcessor {
  usage_percent: number;
  core_count?: number;
  logical_count?: number;
  /** MHz; `0.0` when unknown. */
  frequency_current?: number;
  /** MHz; `0.0` when unknown. */
  frequency_max?: number;
  per_core_usage?: number[];
}

export interface RealMemory {
  /** Bytes. */
  total: number;
  /** Bytes. */
  available: number;
  /** Bytes; psutil's `used` excludes caches, so used/total differs from `percentage`. */
  used: number;
  percentage: number;
}

export interface RealDisk {
  /** Bytes. */
  total: number;
  /** Bytes. */
  used: number;
  /** Bytes. */
  free: number;
  /** used / (used + free), as psutil computes it. */
  percentage: number;
  /** Mount point, e.g. "/". */
  path: string;
}

export interface RealGpu {
  name?: string;
  driver_version?: string;
  /** Bytes. */
  memory_total?: number;
  /** Bytes. */
  memory_used?: number;
  /** Bytes. */
  memory_free?: number;
  memory_percentage?: number;
  gpu_usage_percent?: number;
  /** °C or null. */
  temperature?: number | null;
  /** W or null. */
  power_draw?: number | null;
  /** W or null. */
  power_limit?: number | null;
}

export interface RealSystem {
  os_name?: string;
  os_version?: string;
  os_release?: string;
  architecture?: string;
  platform?: string;
  machine?: string;
  processor?: string;
  python_version?: string;
  hostname?: string;
  processes?: number;
  /** Boot time as the server sends it (ISO string or epoch seconds). */
  boot_time?: string | number;
}

export interface RealMonitoringData {
  memory: RealMemory;
  processor: RealProcessor;
  disk: RealDisk;
  system?: RealSystem;
  gpu?: RealGpu;
}

// ---- monitoring_data, documented dialect ------------------------------------------------

export interface DocumentedProcessor {
  usage_percent: number;
  /** °C. */
  temperature?: number;
  frequency_mhz?: number;
}

export interface DocumentedMemory {
  usage_percent: number;
  used_gb?: number;
  total_gb?: number;
  available_gb?: number;
}

export interface DocumentedDisk {
  usage_percent: number;
  used_gb?: number;
  total_gb?: number;
  free_gb?: number;
}

export interface DocumentedGpu {
  usage_percent?: number;
  memory_percent?: number;
  /** °C. */
  temperature?: number;
  memory_used_mb?: number;
  memory_total_mb?: number;
}

export interface DocumentedMonitoringData {
  processor: DocumentedProcessor;
  memory: DocumentedMemory;
  disk: DocumentedDisk;
  gpu?: DocumentedGpu;
}

// ---- alerts (real dialect) ----------------------------------------------------------------

export type AlertLevel = 'WARNING' | 'CRITICAL';

export interface WireAlert {
  timestamp?: WireTimestamp;
  component: 'memory' | 'disk' | string;
  metric?: 'usage_percent' | string;
  value?: number;
  threshold?: number;
  level: AlertLevel | string;
  message: string;
}

// ---- messages ---------------------------------------------------------------------------

export interface MonitoringDataMessage {
  type: 'monitoring_data';
  timestamp: WireTimestamp;
  data: RealMonitoringData | DocumentedMonitoringData;
  /** Real dialect: present only when a threshold is crossed. */
  alerts?: WireAlert[];
}

/** Real dialect: sent once, right after the handshake. */
export interface ConnectionMessage {
  type: 'connection';
  status: 'connected' | string;
  timestamp: WireTimestamp;
  message: string;
}

/** Documented dialect's connection notice. */
export interface DocumentedConnectionMessage {
  type: 'connection_message';
  timestamp: WireTimestamp;
  message: string;
}

/** Real dialect: e.g. the answer to a text frame that is not JSON. No timestamp. */
export interface ErrorMessage {
  type: 'error';
  message: string;
}

/** Documented dialect's error notice. */
export interface DocumentedErrorMessage {
  type: 'error_message';
  timestamp: WireTimestamp;
  error: string;
  severity?: 'warning' | 'error' | 'critical' | string;
}

/** Real dialect: the answer to `{"type":"ping"}`. */
export interface PongMessage {
  type: 'pong';
  timestamp: WireTimestamp;
}

/** Real dialect: the answer to `{"type":"get_status"}`. */
export interface StatusMessage {
  type: 'status';
  connected_clients: number;
  monitoring_active: boolean;
  timestamp: WireTimestamp;
}

/** Any message with a `type` this package does not know. */
export interface UnknownMessage {
  type: string;
  [field: string]: unknown;
}

/** The messages a server sends, by type. */
export interface ServerMessageMap {
  monitoring_data: MonitoringDataMessage;
  connection: ConnectionMessage;
  connection_message: DocumentedConnectionMessage;
  error: ErrorMessage;
  error_message: DocumentedErrorMessage;
  pong: PongMessage;
  status: StatusMessage;
}

export type ServerMessageType = keyof ServerMessageMap;
export type ServerMessage = ServerMessageMap[ServerMessageType];

/** Messages a client sends. */
export type ClientMessage = { type: 'ping' } | { type: 'get_status' };

/** Close code of a server that refuses a client beyond its capacity. */
export const CLOSE_SERVER_AT_CAPACITY = 1008;
/** Reason sent with {@link CLOSE_SERVER_AT_CAPACITY}. */
export const SERVER_AT_CAPACITY_REASON = 'Server at capacity';
/** The real server's answer to text that is not JSON. */
export const INVALID_MESSAGE_TEXT = 'Invalid message';
