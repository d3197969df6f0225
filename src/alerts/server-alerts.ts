/**
 * The server's own alerts (the Python server's `alerts` list: memory ≥ 80 %, disk ≥ 85 %)
 * as alert events of ours, marked `origin: 'server'`, so they reach the same deliveries as
 * the user's rules. An alert is identified by its component and level: a memory WARNING that
 * becomes CRITICAL resolves the warning and fires the critical one.
 */
import type { AlertEvent, AlertSeverity } from '../pipeline/events.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import type { AlertSnapshot } from '../protocol/snapshot.js';

/** `memory:CRITICAL`: one server alert's identity within a target. */
export function serverAlertKey(alert: AlertSnapshot): string {
  return `${alert.component ?? 'unknown'}:${alert.level ?? ''}`;
}

/** The server's level (upper case, as sent) as one of our severities. */
export function serverAlertSeverity(level: string | undefined): AlertSeverity {
  return level?.toUpperCase() === 'CRITICAL' ? 'critical' : 'warning';
}

/** The firing event of a server alert newly seen at `at`. */
export function serverAlertFiring(target: string, alert: AlertSnapshot, at: number): AlertEvent {
  const component = alert.component ?? 'unknown';
  return {
    type: 'alert',
    state: 'firing',
    rule: `server:${component}`,
    target,
    at,
    metric: component,
    value: alert.value ?? null,
    threshold: alert.threshold ?? null,
    severity: serverAlertSeverity(alert.level),
    since: at,
    origin: 'server',
    summary: `server alert: ${sanitizeForTerminal(alert.message ?? `${component} ${alert.level ?? ''}`.trim())}`,
  };
}

/** The resolved event of a server alert that is no longer sent (or whose target went away). */
export function serverAlertResolved(firing: AlertEvent, at: number): AlertEvent {
  return {
    ...firing,
    state: 'resolved',
    at,
    value: null,
    summary: `server alert cleared: ${firing.metric}`,
  };
}
