/**
 * The state of one rule for one target, as a pure function of the previous state and one
 * observation, with the words and semantics of Prometheus alerting rules:
 *
 *        condition holds                     held for `for`
 *   ok ──────────────────▶ pending ──────────────────────────▶ firing
 *    ▲                       │ condition fails                    │ value back past the
 *    └───────────────────────┘                                    │ threshold by the margin
 *    ▲                                                            ▼
 *    └──────────────────────────────────────────────────────── (resolved)
 *
 * With `for` 0 a rule goes from ok to firing on the first observation that holds. Resolved
 * is the transition firing → ok, reported once. Hysteresis: a firing `cpu > 90` with a margin
 * of 5 resolves only at 85 or below, so a value hovering on the line gives one alert, not a
 * storm. An observation of `undefined` (the metric was not sent) changes nothing.
 */
import type { AlertMetric } from './metric-value.js';
import { metricRange } from './metric-value.js';
import type { ComparisonOperator } from './rule.js';

/** Hysteresis margin by default: 5 percentage points, or 5 °C for temperatures. */
export const DEFAULT_ALERT_MARGIN = 5;

export type RulePhase = 'ok' | 'pending' | 'firing';

export interface RuleState {
  readonly phase: RulePhase;
  /** When the condition began to hold (epoch ms); null when ok. */
  readonly since: number | null;
}

export const OK_STATE: RuleState = Object.freeze({ phase: 'ok', since: null });

/** What a rule tests, as the state machine needs it. */
export interface Condition {
  readonly op: ComparisonOperator;
  readonly threshold: number;
  /** How long the condition must hold before firing, in ms. */
  readonly forMs: number;
  /** How far back past the threshold a firing value must go to resolve (≥ 0). */
  readonly margin: number;
}

/** Whether `value` satisfies `op threshold`. */
export function holds(value: number, op: ComparisonOperator, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/**
 * Whether a firing rule's value has gone back past the threshold by the margin: the
 * condition no longer holds even against a threshold moved `margin` towards the value.
 * With a margin of 0 this is simply "the condition no longer holds".
 */
export function cleared(value: number, condition: Condition): boolean {
  const { op, threshold, margin } = condition;
  const shifted = op === '>' || op === '>=' ? threshold - margin : threshold + margin;
  return !holds(value, op, shifted);
}

/**
 * The next state after observing `value` at `now`. Returns `state` itself when nothing
 * changes (so the common case allocates nothing).
 */
export function nextRuleState(
  state: RuleState,
  value: number | undefined,
  now: number,
  condition: Condition,
): RuleState {
  if (value === undefined) return state;
  switch (state.phase) {
    case 'ok':
      if (!holds(value, condition.op, condition.threshold)) return state;
      return condition.forMs <= 0 ? { phase: 'firing', since: now } : { phase: 'pending', since: now };
    case 'pending':
      if (!holds(value, condition.op, condition.threshold)) return OK_STATE;
      return now - (state.since ?? now) >= condition.forMs ? { phase: 'firing', since: state.since } : state;
    case 'firing':
      return cleared(value, condition) ? OK_STATE : state;
  }
}

/** What happened between two states: an alert to publish, or nothing. */
export function transition(before: RuleState, after: RuleState): 'firing' | 'resolved' | undefined {
  if (before.phase === after.phase) return undefined;
  if (after.phase === 'firing') return 'firing';
  if (before.phase === 'firing') return 'resolved';
  return undefined;
}

/**
 * The margin actually used for a rule: never more than half the room between the threshold
 * and the end of the metric's scale, so that `cpu > 3` with a margin of 5 still resolves (at
 * 1.5 % or below) instead of waiting for a value below 0 that can never come.
 */
export function effectiveMargin(
  metric: AlertMetric,
  op: ComparisonOperator,
  threshold: number,
  margin: number,
): number {
  const { min, max } = metricRange(metric);
  const room = op === '>' || op === '>=' ? threshold - min : max - threshold;
  return Math.max(0, Math.min(margin, room / 2));
}
