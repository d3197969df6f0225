/**
 * The alert sink: evaluates every rule on every record of every target, watches for targets
 * that send nothing (`stale`), turns the server's own alerts into alerts of ours, and
 * publishes each firing and resolved as an `alert` event through `context.publish`, so that
 * every other sink (the notices, `--on-alert`, webhooks, Alertmanager, the events file, the
 * target rows) learns of it the same way.
 *
 * Threshold rules are evaluated on records, at the time each was received (`receivedAt`, on
 * the pipeline's clock, as the target rows count it). Stale rules need
 * no record to fire, so they run on one timer chain on the pipeline's clock: the timer is set
 * for the earliest moment any stale rule could fire, and records only move that moment later,
 * so a record never touches a timer; when the timer finds nothing due it sets itself again.
 *
 * A removed target, and every target when the pipeline closes, has its firing alerts
 * resolved, so that no receiver is left with an alert that will never end.
 */
import { InvalidOptionError } from '../errors.js';
import type { AlertEvent, PipelineEvent } from '../pipeline/events.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink, SinkContext } from '../pipeline/sink.js';
import type { AlertSnapshot } from '../protocol/snapshot.js';
import type { TimerHandle } from '../transport/clock.js';
import { formatDuration } from './duration.js';
import { ALERT_METRICS, metricIndex, metricUnit, readMetrics } from './metric-value.js';
import { QuietBand } from './quiet-band.js';
import type { AlertRule, StaleRule, ThresholdRule } from './rule.js';
import {
  type Condition,
  DEFAULT_ALERT_MARGIN,
  effectiveMargin,
  holds,
  nextRuleState,
  OK_STATE,
  type RuleState,
  transition,
} from './rule-state.js';
import { serverAlertFiring, serverAlertKey, serverAlertResolved } from './server-alerts.js';

export interface AlertEngineOptions {
  /** The rules, evaluated for every target they apply to. */
  rules: readonly AlertRule[];
  /**
   * Hysteresis: how far back past its threshold a firing value must go to resolve, in
   * percentage points (or °C for temperatures). A rule's own `margin` wins.
   * @default 5
   */
  margin?: number;
  /** Turn the server's own alerts into alert events (`origin: 'server'`). @default true */
  serverAlerts?: boolean;
}

export interface AlertEngineStats extends Record<string, unknown> {
  rules: number;
  targets: number;
  /** Alerts firing now. */
  firing: number;
  /** Firing and resolved events published over the run. */
  fired: number;
  resolved: number;
}

/**
 * A threshold rule ready to evaluate, shared by every target it applies to: a record reads
 * the same few objects whatever its target, which keeps them in the CPU's cache.
 */
interface CompiledThreshold {
  readonly rule: ThresholdRule;
  /** Where its metric is in the values read once per record. */
  readonly metricIndex: number;
  readonly op: Condition['op'];
  readonly threshold: number;
  readonly condition: Condition;
}

interface CompiledStale {
  readonly rule: StaleRule;
  readonly condition: Condition;
}

/** The rules of one metric within a rule set: a run of `thresholds`, and their quiet band. */
interface MetricGroup {
  readonly metricIndex: number;
  /** The group's rules are `thresholds[start]` to `thresholds[end - 1]`. */
  readonly start: number;
  readonly end: number;
  /** The values for which none of the group's rules holds. */
  readonly band: QuietBand;
}

/** The rules that apply to a target, shared by every target to which the same apply. */
interface RuleSet {
  /** Grouped by metric (in the order the metrics first appear), as written within a metric. */
  readonly thresholds: readonly CompiledThreshold[];
  readonly groups: readonly MetricGroup[];
  readonly stale: readonly CompiledStale[];
}

interface Watched {
  readonly name: string;
  readonly rules: RuleSet;
  /** The state of each threshold rule, by index: all `OK_STATE` (one shared object) at rest. */
  readonly states: RuleState[];
  /** Per metric group, its rules not at rest (pending or firing). */
  readonly busy: number[];
  readonly staleStates: RuleState[];
  /** Stale rules firing. */
  staleFiring: number;
  /** Epoch ms (pipeline clock) of the last record, or of when watching began. */
  lastDataAt: number;
  hadData: boolean;
  /** Firing alerts of rules, by rule text; of the server, by component:level. */
  readonly firing: Map<string, AlertEvent>;
  readonly server: Map<string, AlertEvent>;
}

export class AlertEngine implements Sink {
  readonly name = 'alerts';
  readonly #rules: readonly AlertRule[];
  readonly #compiledThresholds: readonly CompiledThreshold[];
  readonly #compiledStale: readonly CompiledStale[];
  /** The rule lists of targets, by which rules apply: targets alike share one array. */
  readonly #ruleSets = new Map<string, RuleSet>();
  readonly #margin: number;
  readonly #serverAlerts: boolean;
  readonly #hasStaleRules: boolean;
  readonly #watched = new Map<string, Watched>();
  /** The metrics of the record being evaluated (reused: no allocation per record). */
  readonly #values = new Float64Array(ALERT_METRICS.length);
  #context: SinkContext | undefined;
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #fired = 0;
  #resolved = 0;

  constructor(options: AlertEngineOptions) {
    this.#rules = [...options.rules];
    this.#margin = options.margin ?? DEFAULT_ALERT_MARGIN;
    if (!(Number.isFinite(this.#margin) && this.#margin >= 0))
      throw new InvalidOptionError('margin', options.margin, 'a number >= 0');
    this.#serverAlerts = options.serverAlerts ?? true;
    this.#hasStaleRules = this.#rules.some((rule) => rule.kind === 'stale');
    const thresholds: CompiledThreshold[] = [];
    const stale: CompiledStale[] = [];
    for (const rule of this.#rules) {
      if (rule.kind === 'threshold') {
        const margin = effectiveMargin(rule.metric, rule.op, rule.threshold, rule.margin ?? this.#margin);
        const condition: Condition = { op: rule.op, threshold: rule.threshold, forMs: rule.forMs, margin };
        thresholds.push({
          rule,
          metricIndex: metricIndex(rule.metric),
          op: rule.op,
          threshold: rule.threshold,
          condition,
        });
      } else {
        stale.push({ rule, condition: { op: '>=', threshold: rule.afterMs / 1000, forMs: 0, margin: 0 } });
      }
    }
    this.#compiledThresholds = thresholds;
    this.#compiledStale = stale;
  }

  get rules(): readonly AlertRule[] {
    return this.#rules;
  }

  start(context: SinkContext): void {
    this.#stopTimer();
    this.#watched.clear();
    this.#context = context;
    const now = context.clock.now();
    for (const row of context.targets()) {
      const watched = this.#watch(row.name, row.lastMessageAt ?? now);
      watched.hadData = row.lastMessageAt !== null;
    }
    this.#schedule();
  }

  write(record: MonitoringRecord): void {
    const context = this.#context;
    if (context === undefined) return;
    const watched = this.#watched.get(record.target) ?? this.#watchLate(record.target, context.clock.now());
    const values = this.#values;
    readMetrics(record.snapshot, values);
    this.#evaluate(watched, values, record.frame.receivedAt);
    // The record's time of receipt, on the same clock: reading the clock again costs more
    // than every rule together.
    const now = record.frame.receivedAt;
    const silentFor = now - watched.lastDataAt;
    if (now > watched.lastDataAt) watched.lastDataAt = now;
    watched.hadData = true;
    if (watched.staleFiring > 0) this.#dataResumed(watched, now, silentFor);
  }

  #evaluate(watched: Watched, values: Float64Array, at: number): void {
    const { thresholds, groups } = watched.rules;
    const states = watched.states;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] as MetricGroup;
      const value = values[group.metricIndex] as number;
      // Not sent (NaN): no rule of the metric changes. At rest in the quiet band: none can.
      if (Number.isNaN(value) || (watched.busy[g] === 0 && group.band.quiet(value))) continue;
      for (let i = group.start; i < group.end; i++) {
        const compiled = thresholds[i] as CompiledThreshold;
        const before = states[i] as RuleState;
        if (before === OK_STATE && !holds(value, compiled.op, compiled.threshold)) continue;
        const after = nextRuleState(before, value, at, compiled.condition);
        if (after === before) continue;
        states[i] = after;
        if (before === OK_STATE) (watched.busy[g] as number)++;
        if (after === OK_STATE) (watched.busy[g] as number)--;
        const change = transition(before, after);
        if (change !== undefined) this.#thresholdChanged(watched, compiled, after, change, value, at, before);
      }
    }
  }

  event(event: PipelineEvent): void {
    if (this.#context === undefined) return;
    switch (event.type) {
      case 'target_added':
        if (!this.#watched.has(event.target)) this.#watchLate(event.target, event.at);
        break;
      case 'target_removed':
        this.#unwatch(event.target, event.at, 'target removed');
        break;
      case 'server_alerts':
        if (this.#serverAlerts) this.#serverAlertsChanged(event.target, event.alerts, event.at);
        break;
      default:
        break;
    }
  }

  /** Resolves every firing alert (monitoring stops: nobody would ever end them) and stops the timer. */
  async close(): Promise<void> {
    const context = this.#context;
    if (context === undefined) return;
    this.#stopTimer();
    const now = context.clock.now();
    for (const name of [...this.#watched.keys()]) this.#unwatch(name, now, 'monitoring stopped');
    this.#context = undefined;
  }

  /** The alerts firing now, of every target. */
  firingAlerts(): AlertEvent[] {
    const alerts: AlertEvent[] = [];
    for (const watched of this.#watched.values())
      alerts.push(...watched.firing.values(), ...watched.server.values());
    return alerts;
  }

  stats(): AlertEngineStats {
    let firing = 0;
    for (const watched of this.#watched.values()) firing += watched.firing.size + watched.server.size;
    return {
      rules: this.#rules.length,
      targets: this.#watched.size,
      firing,
      fired: this.#fired,
      resolved: this.#resolved,
    };
  }

  // ---- targets ---------------------------------------------------------------------------

  #watch(name: string, since: number): Watched {
    const rules = this.#ruleSet(name);
    const watched: Watched = {
      name,
      rules,
      states: rules.thresholds.map(() => OK_STATE),
      busy: rules.groups.map(() => 0),
      staleStates: rules.stale.map(() => OK_STATE),
      staleFiring: 0,
      lastDataAt: since,
      hadData: false,
      firing: new Map(),
      server: new Map(),
    };
    this.#watched.set(name, watched);
    return watched;
  }

  /** The rules that apply to a target, shared with every target to which the same apply. */
  #ruleSet(name: string): RuleSet {
    const applying = this.#compiledThresholds.filter((compiled) => compiled.rule.appliesTo(name));
    const stale = this.#compiledStale.filter((compiled) => compiled.rule.appliesTo(name));
    const key = [...applying, ...stale].map((compiled) => compiled.rule.text).join('\u0000');
    let set = this.#ruleSets.get(key);
    if (set === undefined) {
      const thresholds: CompiledThreshold[] = [];
      const groups: MetricGroup[] = [];
      for (const metricIndex of new Set(applying.map((compiled) => compiled.metricIndex))) {
        const rules = applying.filter((compiled) => compiled.metricIndex === metricIndex);
        groups.push({
          metricIndex,
          start: thresholds.length,
          end: thresholds.length + rules.length,
          band: new QuietBand(rules),
        });
        thresholds.push(...rules);
      }
      set = { thresholds, groups, stale };
      this.#ruleSets.set(key, set);
    }
    return set;
  }

  /** A target seen after start (added, or known only by its data): its stale rules start counting. */
  #watchLate(name: string, since: number): Watched {
    const watched = this.#watch(name, since);
    this.#schedule();
    return watched;
  }

  #unwatch(name: string, at: number, why: string): void {
    const watched = this.#watched.get(name);
    if (watched === undefined) return;
    this.#watched.delete(name);
    for (const firing of watched.firing.values())
      this.#publish({ ...firing, state: 'resolved', at, value: null, summary: why });
    for (const firing of watched.server.values()) this.#publish(serverAlertResolved(firing, at));
  }

  // ---- threshold rules -------------------------------------------------------------------

  #thresholdChanged(
    watched: Watched,
    compiled: CompiledThreshold,
    after: RuleState,
    change: 'firing' | 'resolved',
    value: number | null,
    at: number,
    before: RuleState,
  ): void {
    const rule = compiled.rule;
    const unit = metricUnit(rule.metric);
    if (change === 'firing') {
      const duration = rule.forMs > 0 ? ` for ${formatDuration(rule.forMs)}` : '';
      const event = this.#ruleEvent(
        rule,
        watched.name,
        'firing',
        value,
        rule.threshold,
        at,
        after.since ?? at,
      );
      const summary = `${rule.metric} ${formatValue(value, unit)} ${rule.op} ${formatValue(rule.threshold, unit)}${duration}`;
      watched.firing.set(rule.text, { ...event, summary });
      this.#publish({ ...event, summary });
      return;
    }
    watched.firing.delete(rule.text);
    this.#publish({
      ...this.#ruleEvent(rule, watched.name, 'resolved', value, rule.threshold, at, before.since ?? at),
      summary: `${rule.metric} back to ${formatValue(value, unit)}`,
    });
  }

  #ruleEvent(
    rule: AlertRule,
    target: string,
    state: 'firing' | 'resolved',
    value: number | null,
    threshold: number,
    at: number,
    since: number,
  ): Omit<AlertEvent, 'summary'> {
    return {
      type: 'alert',
      state,
      rule: rule.text,
      target,
      at,
      metric: rule.kind === 'threshold' ? rule.metric : 'stale',
      value,
      threshold,
      severity: rule.severity,
      since,
      origin: 'rule',
    };
  }

  // ---- stale rules -----------------------------------------------------------------------

  /** Data came: every firing stale rule of the target resolves, valued by the silence's length. */
  #dataResumed(watched: Watched, now: number, silentForMs: number): void {
    let resolvedAny = false;
    const states = watched.staleStates;
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as RuleState;
      if (state.phase !== 'firing') continue;
      const rule = (watched.rules.stale[i] as CompiledStale).rule;
      states[i] = OK_STATE;
      watched.staleFiring--;
      watched.firing.delete(rule.text);
      resolvedAny = true;
      this.#publish({
        ...this.#ruleEvent(
          rule,
          watched.name,
          'resolved',
          round(silentForMs / 1000),
          rule.afterMs / 1000,
          now,
          state.since ?? now,
        ),
        summary: `data again after ${formatDuration(silentForMs)}`,
      });
    }
    if (resolvedAny) this.#schedule();
  }

  #evaluateStale(now: number): void {
    for (const watched of this.#watched.values()) {
      const age = (now - watched.lastDataAt) / 1000;
      const states = watched.staleStates;
      for (let i = 0; i < states.length; i++) {
        const compiled = watched.rules.stale[i] as CompiledStale;
        const before = states[i] as RuleState;
        const after = nextRuleState(before, age, now, compiled.condition);
        if (after === before) continue;
        states[i] = after;
        if (transition(before, after) !== 'firing') continue;
        watched.staleFiring++;
        const event = {
          ...this.#ruleEvent(
            compiled.rule,
            watched.name,
            'firing',
            round(age),
            compiled.rule.afterMs / 1000,
            now,
            now,
          ),
          summary: watched.hadData
            ? `no data for ${formatDuration(now - watched.lastDataAt)}`
            : `no data for ${formatDuration(now - watched.lastDataAt)} (never reached)`,
        };
        watched.firing.set(compiled.rule.text, event);
        this.#publish(event);
      }
    }
  }

  /** Sets the one timer for the earliest moment a stale rule that is not firing could fire. */
  #schedule(): void {
    const context = this.#context;
    if (context === undefined || !this.#hasStaleRules) return;
    let due = Number.POSITIVE_INFINITY;
    for (const watched of this.#watched.values()) {
      for (let i = 0; i < watched.staleStates.length; i++) {
        if (watched.staleStates[i]?.phase !== 'firing')
          due = Math.min(due, watched.lastDataAt + (watched.rules.stale[i] as CompiledStale).rule.afterMs);
      }
    }
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    this.#stopTimer();
    if (due === Number.POSITIVE_INFINITY) return;
    this.#timerDue = due;
    this.#timer = context.clock.setTimeout(this.#onTimer, Math.max(0, due - context.clock.now()));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const context = this.#context;
    if (context === undefined) return;
    this.#evaluateStale(context.clock.now());
    this.#schedule();
  };

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#context?.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  // ---- server alerts ---------------------------------------------------------------------

  #serverAlertsChanged(target: string, alerts: readonly AlertSnapshot[], at: number): void {
    const watched = this.#watched.get(target) ?? this.#watchLate(target, at);
    const current = new Set<string>();
    for (const alert of alerts) {
      const key = serverAlertKey(alert);
      current.add(key);
      if (watched.server.has(key)) continue;
      const event = serverAlertFiring(target, alert, at);
      watched.server.set(key, event);
      this.#publish(event);
    }
    for (const [key, firing] of watched.server) {
      if (current.has(key)) continue;
      watched.server.delete(key);
      this.#publish(serverAlertResolved(firing, at));
    }
  }

  #publish(event: AlertEvent): void {
    if (event.state === 'firing') this.#fired++;
    else this.#resolved++;
    this.#context?.publish(event);
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function formatValue(value: number | null, unit: string): string {
  return value === null ? 'n/a' : `${round(value)} ${unit}`;
}
