import type { AlertEvent } from '../../src/pipeline/events.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** An alert event as the alert sink publishes it, with the fields a test cares about changed. */
export function alertEvent(fields: Partial<AlertEvent> = {}): AlertEvent {
  return {
    type: 'alert',
    state: 'firing',
    rule: 'cpu > 90 for 30s',
    target: 'web-1',
    at: T0 + 30_000,
    metric: 'cpu',
    value: 97.5,
    threshold: 90,
    severity: 'critical',
    since: T0,
    origin: 'rule',
    summary: 'cpu 97.5 % > 90 % for 30s',
    ...fields,
  };
}
