/**
 * Everything that happens to a target besides its data, as one typed union: connection
 * lifecycle, server notices, and the alerts that the alert sink publishes. Events go to every
 * sink that listens (`Sink.event`), in the order they happened; `at` is epoch milliseconds
 * on the client's clock.
 */
import type { AlertSnapshot } from '../protocol/snapshot.js';

interface EventBase {
  /** Name of the target. */
  readonly target: string;
  /** When it happened (epoch ms, client clock). */
  readonly at: number;
}

export interface TargetAddedEvent extends EventBase {
  readonly type: 'target_added';
  readonly uri: string;
  readonly labels: Readonly<Record<string, string>>;
}
export interface TargetRemovedEvent extends EventBase {
  readonly type: 'target_removed';
}
export interface ConnectedEvent extends EventBase {
  readonly type: 'connected';
  readonly uri: string;
  /** 0 for the first connection of a run. */
  readonly attempt: number;
}
export interface DisconnectedEvent extends EventBase {
  readonly type: 'disconnected';
  readonly code: number;
  readonly reason: string;
  readonly willReconnect: boolean;
}
export interface ReconnectingEvent extends EventBase {
  readonly type: 'reconnecting';
  readonly attempt: number;
  readonly delayMs: number;
  readonly maxAttempts: number | null;
  /** Message of the error that made the last attempt fail, when there was one. */
  readonly lastError?: string;
}
export interface ConnectionErrorEvent extends EventBase {
  readonly type: 'connection_error';
  readonly code: string;
  readonly message: string;
  /** The WebSocket close code, when the connection was closed (1000 and 1001 are a normal end). */
  readonly closeCode?: number;
}
export interface GaveUpEvent extends EventBase {
  readonly type: 'gave_up';
  readonly message: string;
  /** Attempts made since the last healthy connection. */
  readonly attempts: number;
}
/** A `connection`/`error` message sent by the server. `text` is a string from a server: sanitize it for the medium before showing it. */
export interface ServerNoticeEvent extends EventBase {
  readonly type: 'server_notice';
  readonly kind: 'connection' | 'error';
  readonly text: string;
  readonly severity?: string;
  /** The server's own timestamp, as sent. */
  readonly timestamp?: string;
}
/** The server's own alerts changed (sent when the set of component/level pairs changes, also to empty). */
export interface ServerAlertsEvent extends EventBase {
  readonly type: 'server_alerts';
  readonly alerts: readonly AlertSnapshot[];
}

export type AlertSeverity = 'warning' | 'critical';

/** A rule of ours (or a server alert) changed state. Published by the alert sink. */
export interface AlertEvent extends EventBase {
  readonly type: 'alert';
  readonly state: 'firing' | 'resolved';
  /** The rule as written (`cpu > 90 for 30s`), or `server:<component>` for a server alert. */
  readonly rule: string;
  /** `cpu`, `memory`, ..., `stale`, or the server alert's component. */
  readonly metric: string;
  /** The value that fired or resolved it; for `stale`, seconds since the last data. */
  readonly value: number | null;
  readonly threshold: number | null;
  readonly severity: AlertSeverity;
  /** When the condition began to hold (epoch ms). */
  readonly since: number;
  readonly origin: 'rule' | 'server';
  /** Human text. */
  readonly summary: string;
}

export type PipelineEvent =
  | TargetAddedEvent
  | TargetRemovedEvent
  | ConnectedEvent
  | DisconnectedEvent
  | ReconnectingEvent
  | ConnectionErrorEvent
  | GaveUpEvent
  | ServerNoticeEvent
  | ServerAlertsEvent
  | AlertEvent;

export type PipelineEventType = PipelineEvent['type'];

/** What a connection goes through: the events every consumer of the lifecycle keeps. */
export const CONNECTION_EVENT_TYPES = [
  'connected',
  'disconnected',
  'reconnecting',
  'connection_error',
  'gave_up',
] as const satisfies readonly PipelineEventType[];
