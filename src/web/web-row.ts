/**
 * What the live stream sends per target: the fleet table's columns, the connection state and
 * the alerts, without the rest of the snapshot (the detail view asks for that), so that an
 * update of 1,000 targets stays small. Shared by the server and the page: no Node.js here.
 */
import type { TargetRow, TargetStatus } from '../pipeline/target-row.js';

export interface WebAlert {
  readonly origin: 'rule' | 'server';
  /** `warning`, `critical`, or the server's level in lower case. */
  readonly severity: string;
  /** The rule as written, or the server alert's component. */
  readonly title: string;
  /** Human text, as the rule or the server wrote it. */
  readonly text: string;
  /** Epoch ms when a rule's condition began to hold. */
  readonly since: number | null;
}

export interface WebRow {
  readonly name: string;
  readonly uri: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly status: TargetStatus;
  readonly host: string | null;
  readonly connectedSince: number | null;
  readonly lastMessageAt: number | null;
  readonly rttMs: number | null;
  readonly reconnects: number;
  readonly messages: number;
  readonly invalidMessages: number;
  /** Percent, null when not sent. */
  readonly cpu: number | null;
  readonly memory: number | null;
  readonly disk: number | null;
  readonly gpu: number | null;
  /** The hottest sensor sent (CPU or GPU), °C. */
  readonly temperature: number | null;
  /** Firing alerts of our rules, then the server's own. */
  readonly alerts: readonly WebAlert[];
  /** The last CPU values, oldest first: sent when the page (re)connects, for the sparkline. */
  readonly spark?: readonly (number | null)[];
}

/** One live-stream message: rows that changed since the last, and targets that went away. */
export interface LiveBatch {
  /** The server's clock at sending (epoch ms): the page computes ages against it. */
  readonly now: number;
  /** True for the first message of a connection: `rows` is then every target. */
  readonly reset: boolean;
  readonly rows: readonly WebRow[];
  readonly removed: readonly string[];
}

export function toWebRow(row: TargetRow, spark?: readonly (number | null)[]): WebRow {
  const snapshot = row.snapshot;
  const temperatures = [snapshot?.cpu.temperatureCelsius, snapshot?.gpu?.temperatureCelsius].filter(
    (value): value is number => value !== undefined,
  );
  const alerts: WebAlert[] = row.firingAlerts.map((alert) => ({
    origin: 'rule',
    severity: alert.severity,
    title: alert.rule,
    text: alert.summary,
    since: alert.since,
  }));
  for (const alert of row.serverAlerts) {
    alerts.push({
      origin: 'server',
      severity: (alert.level ?? 'warning').toLowerCase(),
      title: alert.component ?? alert.metric ?? 'server',
      text: alert.message ?? '',
      since: null,
    });
  }
  return {
    name: row.name,
    uri: row.uri,
    labels: row.labels,
    status: row.status,
    host: row.host ?? null,
    connectedSince: row.connectedSince,
    lastMessageAt: row.lastMessageAt,
    rttMs: row.rttMs === null ? null : Math.round(row.rttMs * 10) / 10,
    reconnects: row.reconnects,
    messages: row.messages,
    invalidMessages: row.invalidMessages,
    cpu: snapshot?.cpu.usagePercent ?? null,
    memory: snapshot?.memory.usagePercent ?? null,
    disk: snapshot?.disk.usagePercent ?? null,
    gpu: snapshot?.gpu?.usagePercent ?? null,
    temperature: temperatures.length === 0 ? null : Math.max(...temperatures),
    alerts,
    ...(spark === undefined ? {} : { spark }),
  };
}
