/**
 * One alert as JSON, the shape every delivery shares (webhook bodies, `ALERT_JSON` of
 * `--on-alert`, and the same fields as the events file writes):
 *
 *   {"type":"alert","state":"firing","rule":"cpu > 90 for 30s","target":"web-1","metric":"cpu",
 *    "value":93.2,"threshold":90,"severity":"critical","since":"2026-11-25T12:00:00.000Z",
 *    "at":"2026-11-25T12:00:30.000Z","origin":"rule","summary":"...","host":"web-1.example"}
 *
 * Times are ISO 8601 (UTC). Strings keep the server's data as sent: JSON escapes make them
 * inert, and whoever shows them sanitizes for the medium.
 */
import type { AlertEvent } from '../pipeline/events.js';

export interface AlertJson {
  type: 'alert';
  state: AlertEvent['state'];
  rule: string;
  target: string;
  metric: string;
  value: number | null;
  threshold: number | null;
  severity: AlertEvent['severity'];
  since: string;
  at: string;
  origin: AlertEvent['origin'];
  summary: string;
  /** Host name the target reports, once known. */
  host?: string;
}

export function alertToJson(event: AlertEvent, host?: string): AlertJson {
  const json: AlertJson = {
    type: 'alert',
    state: event.state,
    rule: event.rule,
    target: event.target,
    metric: event.metric,
    value: event.value,
    threshold: event.threshold,
    severity: event.severity,
    since: isoTime(event.since),
    at: isoTime(event.at),
    origin: event.origin,
    summary: event.summary,
  };
  if (host !== undefined) json.host = host;
  return json;
}

/** Epoch ms as ISO 8601; a time out of Date's range (never expected) as the epoch number. */
export function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
