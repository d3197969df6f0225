/**
 * The current state of one target, as a table row: what a dashboard, the Prometheus endpoint
 * or `--stats` shows. The fleet keeps one per target and hands out read-only copies.
 */
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import type { AlertEvent } from './events.js';

/**
 * - `connecting`: started, no connection yet;
 * - `up`: connected and data is fresh;
 * - `stale`: connected (or not) but the last valid data is older than the staleness limit;
 * - `reconnecting`: the link is down and a retry is scheduled;
 * - `down`: gave up, or stopped.
 */
export type TargetStatus = 'connecting' | 'up' | 'stale' | 'reconnecting' | 'down';

export interface TargetRow {
  readonly name: string;
  readonly uri: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly status: TargetStatus;
  /** Host name the server reports (display-safe), once known. */
  readonly host: string | undefined;
  /** Epoch ms of the current connection's start; null when not connected. */
  readonly connectedSince: number | null;
  /** Epoch ms (client clock) of the last valid monitoring record; null before the first. */
  readonly lastMessageAt: number | null;
  /** Seconds since `lastMessageAt` at the time of the row; null before the first. */
  readonly ageSeconds: number | null;
  /** Round trip of the last answered ping, in ms; null before the first. */
  readonly rttMs: number | null;
  readonly reconnects: number;
  /** Frames received, valid or not. */
  readonly messages: number;
  readonly invalidMessages: number;
  /** The last accepted snapshot; null before the first. */
  readonly snapshot: MonitoringSnapshot | null;
  /** The server's own alerts in the last snapshot. */
  readonly serverAlerts: MonitoringSnapshot['alerts'];
  /** Alerts of our rules that are firing for this target now. */
  readonly firingAlerts: readonly AlertEvent[];
}
