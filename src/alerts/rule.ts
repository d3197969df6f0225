/**
 * Alert rules, as the user writes them: `METRIC OP NUMBER [for DURATION]` (`cpu > 90 for 30s`,
 * `disk >= 85`) or `stale DURATION` (no valid data from a target for that long, connected or
 * not). On the command line a rule is just that text; in the targets file's `alerts:` section
 * it may also carry a severity, the targets it applies to, an alert name and labels.
 *
 * A malformed rule is an {@link AlertRuleError} naming the rule, what is wrong and what is
 * allowed, never a rule that silently never fires.
 */
import { z } from 'zod';
import { MonitoringError } from '../errors.js';
import type { AlertSeverity } from '../pipeline/events.js';
import { DURATION_SYNTAX, parseDuration } from './duration.js';
import { ALERT_METRICS, type AlertMetric, isAlertMetric, metricRange, metricUnit } from './metric-value.js';
import { matchAllTargets, type TargetMatcher, targetMatcher } from './target-pattern.js';

export const COMPARISON_OPERATORS = ['>', '>=', '<', '<='] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export const ALERT_SEVERITIES = ['warning', 'critical'] as const satisfies readonly AlertSeverity[];

/** What a rule may look like, for error messages. */
export const RULE_SYNTAX =
  `METRIC OP NUMBER [for DURATION] (METRIC one of ${ALERT_METRICS.join(', ')}; OP one of ${COMPARISON_OPERATORS.join(', ')})` +
  ' or stale DURATION, e.g. "cpu > 90 for 30s", "disk >= 85", "stale 15s"';

/** Labels our alerts always carry (Alertmanager); a rule's own labels may not redefine them. */
export const RESERVED_LABELS = ['alertname', 'target', 'host', 'severity'] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface RuleBase {
  /** The rule as written (whitespace collapsed): names the rule in events and messages. */
  readonly text: string;
  readonly severity: AlertSeverity;
  /** Which targets it applies to (all by default). */
  readonly appliesTo: TargetMatcher;
  /** The `targets` pattern as written, when there was one. */
  readonly targets: string | readonly string[] | undefined;
  /** Alertmanager `alertname`; the rule text when not given. */
  readonly name: string | undefined;
  /** Extra labels for Alertmanager (and the JSON of webhooks). */
  readonly labels: Readonly<Record<string, string>>;
  /** This rule's hysteresis margin, when it overrides the engine's. */
  readonly margin: number | undefined;
}

/** `METRIC OP NUMBER [for DURATION]`. */
export interface ThresholdRule extends RuleBase {
  readonly kind: 'threshold';
  readonly metric: AlertMetric;
  readonly op: ComparisonOperator;
  readonly threshold: number;
  /** How long the condition must hold before the rule fires (0: at once). */
  readonly forMs: number;
}

/** `stale DURATION`: the dead-man rule. */
export interface StaleRule extends RuleBase {
  readonly kind: 'stale';
  /** Milliseconds without valid data after which it fires. */
  readonly afterMs: number;
}

export type AlertRule = ThresholdRule | StaleRule;

/** What a rule may carry besides its text (the targets file's object form). */
export interface RuleExtras {
  severity?: AlertSeverity | undefined;
  targets?: string | readonly string[] | undefined;
  name?: string | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
  margin?: number | undefined;
}

/** A rule that cannot be understood: `rule` as written, `reason` what is wrong and what is allowed. */
export class AlertRuleError extends MonitoringError {
  override name = 'AlertRuleError';
  declare readonly code: 'INVALID_ALERT_RULE';
  readonly rule: string;
  readonly reason: string;
  /** @param message defaults to `invalid alert rule "<rule>": <reason>`. */
  constructor(
    rule: string,
    reason: string,
    message = `invalid alert rule ${JSON.stringify(rule)}: ${reason}`,
  ) {
    super('INVALID_ALERT_RULE', message);
    this.rule = rule;
    this.reason = reason;
  }
}

const THRESHOLD = /^([A-Za-z_]+)\s*(>=|<=|>|<)?\s*(\S+?)?\s*(%|°C)?(?:\s+(.*))?$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/**
 * Parses one rule.
 * @throws AlertRuleError naming the rule, what is wrong and what is allowed.
 */
export function parseRule(text: string, extras: RuleExtras = {}): AlertRule {
  const written = text.trim().replace(/\s+/g, ' ');
  function fail(reason: string): never {
    throw new AlertRuleError(written, reason);
  }
  if (written === '') fail(`the rule is empty (expected ${RULE_SYNTAX})`);
  const base = ruleBase(written, extras, fail);

  const stale = /^stale(?:\s+(.*))?$/i.exec(written);
  if (stale) {
    const durationText = stale[1] ?? '';
    const afterMs = parseDuration(durationText);
    if (afterMs === undefined)
      fail(`"stale" needs a DURATION, ${DURATION_SYNTAX} (got ${JSON.stringify(durationText)})`);
    if (afterMs <= 0) fail('the DURATION of "stale" must be more than 0');
    return { ...base, kind: 'stale', afterMs };
  }

  const match = THRESHOLD.exec(written);
  const metricName = (match?.[1] ?? written.split(/[\s<>=]/)[0] ?? '').toLowerCase();
  if (!isAlertMetric(metricName))
    fail(`unknown metric ${JSON.stringify(metricName)} (expected ${RULE_SYNTAX})`);
  const metric = metricName as AlertMetric;
  const op = match?.[2] as ComparisonOperator | undefined;
  if (op === undefined) fail(`expected an OP (one of ${COMPARISON_OPERATORS.join(', ')}) after "${metric}"`);
  const numberText = match?.[3];
  if (numberText === undefined || !NUMBER.test(numberText))
    fail(`expected a NUMBER after "${op}" (got ${JSON.stringify(numberText ?? '')})`);
  const threshold = Number(numberText);
  const unit = metricUnit(metric);
  const writtenUnit = match?.[4];
  if (writtenUnit !== undefined && writtenUnit !== unit)
    fail(`${metric} is measured in ${unit}, not ${writtenUnit}`);
  const { min, max } = metricRange(metric);
  if (threshold < min || threshold > max)
    fail(`the threshold ${threshold} is outside the range of ${metric} (${min} to ${max} ${unit})`);

  let forMs = 0;
  const rest = match?.[5];
  if (rest !== undefined) {
    const forClause = /^for\s+(.+)$/i.exec(rest);
    if (!forClause)
      fail(`unexpected ${JSON.stringify(rest)} after the threshold (expected "for DURATION" or nothing)`);
    const duration = parseDuration(forClause[1] ?? '');
    if (duration === undefined)
      fail(`"for" needs a DURATION, ${DURATION_SYNTAX} (got ${JSON.stringify(forClause[1])})`);
    forMs = duration;
  }
  return { ...base, kind: 'threshold', metric, op, threshold, forMs };
}

function ruleBase(text: string, extras: RuleExtras, fail: (reason: string) => never): RuleBase {
  const severity = extras.severity ?? 'warning';
  if (!(ALERT_SEVERITIES as readonly string[]).includes(severity))
    fail(`unknown severity ${JSON.stringify(severity)} (expected ${ALERT_SEVERITIES.join(' or ')})`);
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(extras.labels ?? {})) {
    if (!LABEL_NAME.test(name))
      fail(
        `invalid label name ${JSON.stringify(name)} (expected letters, digits and _, not starting with a digit)`,
      );
    if ((RESERVED_LABELS as readonly string[]).includes(name))
      fail(
        `the label ${JSON.stringify(name)} is set by the client (reserved: ${RESERVED_LABELS.join(', ')})`,
      );
    labels[name] = value;
  }
  if (extras.name !== undefined && extras.name.trim() === '') fail('the alert name is empty');
  if (extras.margin !== undefined && !(Number.isFinite(extras.margin) && extras.margin >= 0))
    fail(`invalid margin ${extras.margin} (expected a number >= 0)`);
  const targets = extras.targets;
  if (
    targets !== undefined &&
    (typeof targets === 'string' ? [targets] : targets).some((t) => t.trim() === '')
  )
    fail('a target pattern is empty (expected a name or a glob such as web*)');
  return {
    text,
    severity,
    appliesTo: targets === undefined ? matchAllTargets : targetMatcher(targets),
    targets,
    name: extras.name?.trim(),
    labels,
    margin: extras.margin,
  };
}

const ENTRY_SHAPE = '{ rule, severity?, targets?, name?, labels?, margin? }';

/** One entry of the `alerts:` section in its object form. */
export const alertEntrySchema = z.strictObject({
  rule: z.string(),
  severity: z.enum(ALERT_SEVERITIES).optional(),
  targets: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  name: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  margin: z.number().nonnegative().optional(),
});

/**
 * The targets file's `alerts:` section: a list whose entries are a rule's text or an object
 * `{ rule, severity?, targets?, name?, labels?, margin? }`.
 */
export const alertsSectionSchema = z.array(z.union([z.string(), alertEntrySchema]));

export type AlertsSection = z.infer<typeof alertsSectionSchema>;

/**
 * The rules of an `alerts:` section.
 * @throws AlertRuleError for a malformed rule, or for an entry of the wrong shape (its
 *   `rule` then names the entry, e.g. `alerts[2].severity`).
 */
export function rulesFromSection(section: unknown): AlertRule[] {
  if (!Array.isArray(section)) {
    const reason = `expected a list of rules, each a string or ${ENTRY_SHAPE}`;
    throw new AlertRuleError('alerts', reason, `alerts: ${reason}`);
  }
  return section.map((entry: unknown, index) => {
    if (typeof entry === 'string') return parseRule(entry);
    const parsed = alertEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = (issue?.path ?? []).map((key) =>
        typeof key === 'number' ? `[${key}]` : `.${String(key)}`,
      );
      const where = `alerts[${index}]${path.join('')}`;
      const reason = `${issue?.message ?? 'invalid'} (expected a rule, or ${ENTRY_SHAPE})`;
      throw new AlertRuleError(where, reason, `${where}: ${reason}`);
    }
    const { rule, ...extras } = parsed.data;
    return parseRule(rule, extras);
  });
}

/**
 * Checks a whole set of rules: a rule's text names it in every alert, so the same text may
 * appear only once.
 * @throws AlertRuleError for the first repeated rule.
 */
export function checkRuleSet(rules: readonly AlertRule[]): void {
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(rule.text))
      throw new AlertRuleError(
        rule.text,
        'the rule is given twice (each rule names its alerts, so give it once; a target pattern makes one rule apply to several targets)',
      );
    seen.add(rule.text);
  }
}
