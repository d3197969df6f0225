/**
 * The alert sink in a real Pipeline, on a fake clock: records built from a real server's
 * message with chosen values, lifecycle events as the fleet emits them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AlertEngine, type AlertEngineOptions } from '../src/alerts/alert-engine.js';
import { parseRule, type RuleExtras } from '../src/alerts/rule.js';
import {
  type Condition,
  nextRuleState,
  OK_STATE,
  type RuleState,
  transition,
} from '../src/alerts/rule-state.js';
import type { AlertEvent, PipelineEvent } from '../src/pipeline/events.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { Sink } from '../src/pipeline/sink.js';
import { parseFrame } from '../src/protocol/frame.js';
import { FakeClock } from './helpers/fake-clock.js';
import { type MetricValues, metricsFrame } from './helpers/metrics-frame.js';

type RuleSpec = string | [string, RuleExtras];

async function setup(rules: RuleSpec[], options: Omit<AlertEngineOptions, 'rules'> = {}) {
  const clock = new FakeClock();
  const events: PipelineEvent[] = [];
  const recorder: Sink = { name: 'recorder', event: (event) => void events.push(event) };
  const engine = new AlertEngine({
    ...options,
    rules: rules.map((spec) => (typeof spec === 'string' ? parseRule(spec) : parseRule(spec[0], spec[1]))),
  });
  const pipeline = new Pipeline({ sinks: [engine, recorder], clock });
  const add = (target: string, labels: Record<string, string> = {}) =>
    pipeline.emit({ type: 'target_added', target, at: clock.now(), uri: `ws://${target}`, labels });
  const send = (target: string, values: MetricValues) =>
    pipeline.receive(target, parseFrame(metricsFrame(values), false, clock.now()));
  const alerts = (): AlertEvent[] => events.filter((event): event is AlertEvent => event.type === 'alert');
  /** Alerts as `state target rule`, for compact assertions. */
  const brief = (): string[] => alerts().map((a) => `${a.state} ${a.target} ${a.rule}`);
  return { clock, engine, pipeline, events, add, send, alerts, brief };
}

describe('AlertEngine: threshold rules', () => {
  it('goes pending, then fires once `for` has elapsed, with every field of the event', async () => {
    const t = await setup(['cpu > 90 for 30s']);
    await t.pipeline.start();
    t.add('web-1');
    t.send('web-1', { cpu: 50 });
    t.clock.tick(1000);
    const began = t.clock.now();
    t.send('web-1', { cpu: 95 });
    for (let i = 0; i < 29; i++) {
      t.clock.tick(1000);
      t.send('web-1', { cpu: 96 });
    }
    assert.deepEqual(t.alerts(), [], 'still pending after 29 s');
    t.clock.tick(1000);
    t.send('web-1', { cpu: 97.25 });
    const [fired] = t.alerts();
    assert.deepEqual(fired, {
      type: 'alert',
      state: 'firing',
      rule: 'cpu > 90 for 30s',
      target: 'web-1',
      at: began + 30_000,
      metric: 'cpu',
      value: 97.25,
      threshold: 90,
      severity: 'warning',
      since: began,
      origin: 'rule',
      summary: 'cpu 97.3 % > 90 % for 30s',
    });
    // The row of the target shows it, as the dashboard and the line formats read it.
    assert.deepEqual(
      t.pipeline.target('web-1')?.firingAlerts.map((a) => a.rule),
      ['cpu > 90 for 30s'],
    );
    t.clock.tick(1000);
    t.send('web-1', { cpu: 99 });
    assert.equal(t.alerts().length, 1, 'fires once');
    assert.equal(t.engine.stats().firing, 1);
  });

  it('hysteresis: a value hovering on the threshold fires once and resolves only past the margin', async () => {
    const t = await setup(['memory >= 80'], {});
    await t.pipeline.start();
    for (const memory of [79, 80, 79.5, 81, 77, 80.2, 75.1]) {
      t.clock.tick(700);
      t.send('db', { memory });
    }
    assert.deepEqual(t.brief(), ['firing db memory >= 80']);
    t.clock.tick(700);
    t.send('db', { memory: 74.9 });
    assert.deepEqual(t.brief(), ['firing db memory >= 80', 'resolved db memory >= 80']);
    const resolved = t.alerts()[1];
    assert.equal(resolved?.value, 74.9);
    assert.equal(resolved?.since, t.alerts()[0]?.since);
    assert.equal(resolved?.summary, 'memory back to 74.9 %');
    assert.deepEqual(t.pipeline.target('db')?.firingAlerts, []);
  });

  it('takes the margin from the options, and a rule’s own margin first', async () => {
    const t = await setup(['disk > 50', ['cpu > 50', { margin: 0 }]], { margin: 20 });
    await t.pipeline.start();
    t.send('a', { disk: 60, cpu: 60 });
    t.send('a', { disk: 35, cpu: 50 });
    assert.deepEqual(t.brief(), ['firing a disk > 50', 'firing a cpu > 50', 'resolved a cpu > 50']);
    t.send('a', { disk: 30, cpu: 10 });
    assert.equal(t.brief().at(-1), 'resolved a disk > 50');
  });

  it('applies a rule only to the targets its pattern names, with its severity', async () => {
    const t = await setup([['cpu > 90', { targets: 'web*', severity: 'critical' }], 'disk > 90']);
    await t.pipeline.start();
    t.send('web-1', { cpu: 95, disk: 95 });
    t.send('db-1', { cpu: 95, disk: 95 });
    assert.deepEqual(t.brief(), ['firing web-1 cpu > 90', 'firing web-1 disk > 90', 'firing db-1 disk > 90']);
    assert.equal(t.alerts()[0]?.severity, 'critical');
  });

  it('reads every metric, and a metric the server does not send never fires nor resolves', async () => {
    const t = await setup([
      'gpu > 50',
      'gpu_memory > 50',
      'gpu_temperature > 80',
      'cpu_temperature > 80',
      'memory < 10',
    ]);
    await t.pipeline.start();
    t.send('no-gpu', { memory: 5 });
    t.send('gpu', { gpu: 60, gpuMemory: 70, gpuTemperature: 85, memory: 50 });
    assert.deepEqual(t.brief(), [
      'firing no-gpu memory < 10',
      'firing gpu gpu > 50',
      'firing gpu gpu_memory > 50',
      'firing gpu gpu_temperature > 80',
    ]);
    // The GPU disappears from the messages: its alerts neither fire again nor resolve.
    t.send('gpu', { memory: 50 });
    assert.equal(t.alerts().length, 4);
  });
});

describe('AlertEngine: the same alerts as each rule evaluated alone (property)', () => {
  it('whatever the rules and the values', async () => {
    const op = fc.constantFrom('>', '>=', '<', '<=');
    const ruleText = fc
      .record({
        metric: fc.constantFrom('cpu', 'memory', 'disk'),
        op,
        threshold: fc.integer({ min: 0, max: 100 }),
        forS: fc.constantFrom(0, 0, 2),
      })
      .map((r) => `${r.metric} ${r.op} ${r.threshold}${r.forS > 0 ? ` for ${r.forS}s` : ''}`);
    const sample = fc.record({
      cpu: fc.integer({ min: 0, max: 100 }),
      memory: fc.integer({ min: 0, max: 100 }),
      disk: fc.integer({ min: 0, max: 100 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(ruleText, { maxLength: 8 }),
        fc.array(sample, { maxLength: 30 }),
        fc.integer({ min: 0, max: 10 }),
        async (texts, samples, margin) => {
          const t = await setup(texts, { margin });
          await t.pipeline.start();
          const rules = texts.map((text) => parseRule(text));
          const states: RuleState[] = rules.map(() => OK_STATE);
          const expected: string[] = [];
          const seen: string[] = [];
          for (const values of samples) {
            t.clock.tick(1000);
            const before = t.brief().length;
            t.send('t', values);
            // Within one record, the order of alerts of different rules is not specified.
            seen.push(...t.brief().slice(before).sort());
            const expectedBefore = expected.length;
            rules.forEach((rule, i) => {
              if (rule.kind !== 'threshold') return;
              const condition: Condition = {
                op: rule.op,
                threshold: rule.threshold,
                forMs: rule.forMs,
                margin: Math.min(margin, (rule.op[0] === '>' ? rule.threshold : 100 - rule.threshold) / 2),
              };
              const before = states[i] as RuleState;
              const after = nextRuleState(before, values[rule.metric as 'cpu'], t.clock.now(), condition);
              const change = transition(before, after);
              if (change) expected.push(`${change} t ${rule.text}`);
              states[i] = after;
            });
            expected.push(...expected.splice(expectedBefore).sort());
          }
          assert.deepEqual(seen, expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('AlertEngine: stale (dead-man) rules', () => {
  it('fires for a target never reached, once, and resolves when its first data comes', async () => {
    const t = await setup(['stale 15s']);
    await t.pipeline.start();
    t.add('ghost');
    t.clock.tick(14_999);
    assert.deepEqual(t.alerts(), []);
    t.clock.tick(1);
    const [fired] = t.alerts();
    assert.equal(fired?.state, 'firing');
    assert.equal(fired?.metric, 'stale');
    assert.equal(fired?.value, 15);
    assert.equal(fired?.threshold, 15);
    assert.equal(fired?.summary, 'no data for 15s (never reached)');
    t.clock.tick(120_000);
    assert.equal(t.alerts().length, 1, 'fires once however long the silence');
    t.send('ghost', { cpu: 1 });
    const resolved = t.alerts()[1];
    assert.equal(resolved?.state, 'resolved');
    assert.equal(resolved?.value, 135);
    assert.equal(resolved?.summary, 'data again after 2m15s');
    assert.equal(resolved?.since, fired?.since);
  });

  it('fires for a target known before the pipeline started', async () => {
    const t = await setup(['stale 10s']);
    t.add('early');
    await t.pipeline.start();
    t.clock.tick(10_000);
    assert.deepEqual(t.brief(), ['firing early stale 10s']);
  });

  it('fires for a target that goes silent, whatever its connection does, and again after a new silence', async () => {
    const t = await setup(['stale 15s', 'stale 1m']);
    await t.pipeline.start();
    t.add('web-1');
    for (let i = 0; i < 20; i++) {
      t.clock.tick(700);
      t.send('web-1', { cpu: 10 });
    }
    const lastData = t.clock.now();
    t.pipeline.emit({
      type: 'disconnected',
      target: 'web-1',
      at: t.clock.now(),
      code: 1006,
      reason: '',
      willReconnect: true,
    });
    t.clock.tick(14_999);
    assert.deepEqual(t.alerts(), []);
    t.clock.tick(1);
    assert.deepEqual(t.brief(), ['firing web-1 stale 15s']);
    assert.equal(t.alerts()[0]?.since, lastData + 15_000);
    assert.equal(t.alerts()[0]?.summary, 'no data for 15s');
    t.clock.tick(45_000);
    assert.deepEqual(t.brief(), ['firing web-1 stale 15s', 'firing web-1 stale 1m']);
    t.send('web-1', { cpu: 10 });
    assert.deepEqual(t.brief().slice(2), ['resolved web-1 stale 15s', 'resolved web-1 stale 1m']);
    t.clock.tick(15_000);
    assert.equal(t.brief().at(-1), 'firing web-1 stale 15s');
  });

  it('keeps one timer for every target and rule, and none for rules without stale', async () => {
    const t = await setup(['stale 15s', 'stale 30s', 'cpu > 90']);
    await t.pipeline.start();
    for (let i = 0; i < 50; i++) t.add(`t-${i}`);
    assert.equal(t.clock.pending, 1);
    for (let step = 0; step < 100; step++) {
      t.clock.tick(500);
      t.send(`t-${step % 50}`, { cpu: 1 });
      assert.ok(t.clock.pending <= 1, `at step ${step}: ${t.clock.pending} timers`);
    }
    const none = await setup(['cpu > 90']);
    await none.pipeline.start();
    none.add('a');
    assert.equal(none.clock.pending, 0);
  });

  it('resolves the alerts of a removed target, and forgets it', async () => {
    const t = await setup(['stale 5s', 'cpu > 90']);
    await t.pipeline.start();
    t.add('web-1');
    t.add('web-2');
    t.send('web-1', { cpu: 95 });
    t.clock.tick(5000);
    assert.deepEqual(t.brief(), ['firing web-1 cpu > 90', 'firing web-1 stale 5s', 'firing web-2 stale 5s']);
    t.pipeline.emit({ type: 'target_removed', target: 'web-1', at: t.clock.now() });
    t.pipeline.emit({ type: 'target_removed', target: 'web-2', at: t.clock.now() });
    assert.deepEqual(t.brief().slice(3), [
      'resolved web-1 cpu > 90',
      'resolved web-1 stale 5s',
      'resolved web-2 stale 5s',
    ]);
    assert.equal(t.alerts()[3]?.summary, 'target removed');
    t.clock.tick(60_000);
    assert.equal(t.alerts().length, 6, 'a removed target never fires again');
    assert.equal(t.engine.stats().targets, 0);
  });
});

describe('AlertEngine: the server’s own alerts', () => {
  it('become alert events marked as from the server, resolved when the server stops sending them', async () => {
    const t = await setup([]);
    await t.pipeline.start();
    const memoryWarning = {
      component: 'memory',
      level: 'WARNING',
      value: 85,
      threshold: 80,
      message: 'High \u001b[31mmemory',
    };
    t.send('vm', { memory: 85, alerts: [memoryWarning] });
    t.send('vm', { memory: 85, alerts: [memoryWarning] });
    const [fired] = t.alerts();
    assert.equal(t.alerts().length, 1);
    assert.equal(fired?.origin, 'server');
    assert.equal(fired?.rule, 'server:memory');
    assert.equal(fired?.severity, 'warning');
    assert.equal(fired?.value, 85);
    assert.equal(fired?.threshold, 80);
    assert.ok(!fired?.summary.includes('\u001b'), 'sanitized');
    // WARNING becomes CRITICAL: the warning resolves, the critical fires.
    t.send('vm', { memory: 92, alerts: [{ ...memoryWarning, level: 'CRITICAL', value: 92, threshold: 90 }] });
    assert.deepEqual(
      t
        .alerts()
        .slice(1)
        .map((a) => `${a.state} ${a.severity}`),
      ['firing critical', 'resolved warning'],
    );
    t.send('vm', { memory: 50, alerts: [] });
    assert.deepEqual(
      t
        .alerts()
        .slice(3)
        .map((a) => `${a.state} ${a.severity}`),
      ['resolved critical'],
    );
  });

  it('can be left out', async () => {
    const t = await setup([], { serverAlerts: false });
    await t.pipeline.start();
    t.send('vm', { alerts: [{ component: 'disk', level: 'WARNING' }] });
    assert.deepEqual(t.alerts(), []);
  });
});

describe('AlertEngine: closing', () => {
  it('resolves every firing alert, stops its timer, and starts afresh on restart', async () => {
    const t = await setup(['cpu > 90', 'stale 5s']);
    await t.pipeline.start();
    t.add('a');
    t.add('b');
    t.send('a', { cpu: 95, alerts: [{ component: 'disk', level: 'WARNING' }] });
    t.clock.tick(5000);
    assert.equal(t.engine.stats().firing, 4);
    await t.pipeline.close();
    const resolved = t.alerts().filter((a) => a.state === 'resolved');
    assert.deepEqual(resolved.map((a) => `${a.target} ${a.rule}`).sort(), [
      'a cpu > 90',
      'a server:disk',
      'a stale 5s',
      'b stale 5s',
    ]);
    assert.ok(resolved.every((a) => a.at === t.clock.now()));
    assert.equal(t.clock.pending, 0);
    assert.deepEqual(t.engine.stats(), { rules: 2, targets: 0, firing: 0, fired: 4, resolved: 4 });
    await t.pipeline.start();
    t.clock.tick(5000);
    assert.deepEqual(t.brief().slice(8).sort(), ['firing a stale 5s', 'firing b stale 5s']);
  });
});
