import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Condition,
  cleared,
  effectiveMargin,
  nextRuleState,
  OK_STATE,
  type RuleState,
  transition,
} from '../src/alerts/rule-state.js';

const T0 = 1_000_000;
const above90For30: Condition = { op: '>', threshold: 90, forMs: 30_000, margin: 5 };

/** Feeds `values` one second apart from T0; returns the transitions seen, with their times. */
function run(values: (number | undefined)[], condition: Condition, stepMs = 1000): string[] {
  let state: RuleState = OK_STATE;
  const seen: string[] = [];
  values.forEach((value, i) => {
    const next = nextRuleState(state, value, T0 + i * stepMs, condition);
    const change = transition(state, next);
    if (change) seen.push(`${change}@${i}`);
    state = next;
  });
  return seen;
}

describe('rule state: ok → pending → firing → resolved', () => {
  it('waits out `for` in pending, then fires once', () => {
    let state = nextRuleState(OK_STATE, 95, T0, above90For30);
    assert.deepEqual(state, { phase: 'pending', since: T0 });
    state = nextRuleState(state, 96, T0 + 29_999, above90For30);
    assert.equal(state.phase, 'pending');
    const firing = nextRuleState(state, 97, T0 + 30_000, above90For30);
    assert.deepEqual(firing, { phase: 'firing', since: T0 });
    assert.equal(transition(state, firing), 'firing');
    // Still firing: the same object, nothing to publish.
    assert.equal(nextRuleState(firing, 99, T0 + 31_000, above90For30), firing);
  });

  it('drops back to ok from pending without an alert when the condition fails', () => {
    const pending = nextRuleState(OK_STATE, 95, T0, above90For30);
    const ok = nextRuleState(pending, 90, T0 + 10_000, above90For30);
    assert.equal(ok, OK_STATE);
    assert.equal(transition(pending, ok), undefined);
    // The wait starts again from the next crossing.
    const again = nextRuleState(ok, 91, T0 + 20_000, above90For30);
    assert.deepEqual(again, { phase: 'pending', since: T0 + 20_000 });
  });

  it('fires on the first value past the threshold when there is no `for`', () => {
    assert.deepEqual(run([80, 90, 90.1], { ...above90For30, forMs: 0 }), ['firing@2']);
    assert.deepEqual(run([80, 90, 84], { op: '>=', threshold: 90, forMs: 0, margin: 5 }), [
      'firing@1',
      'resolved@2',
    ]);
    assert.deepEqual(run([20, 10, 9, 20], { op: '<', threshold: 10, forMs: 0, margin: 5 }), [
      'firing@2',
      'resolved@3',
    ]);
    assert.deepEqual(run([20, 10, 15, 16], { op: '<=', threshold: 10, forMs: 0, margin: 5 }), [
      'firing@1',
      'resolved@3',
    ]);
  });

  it('hysteresis: a value hovering on the line gives one alert, resolved only past the margin', () => {
    const hovering = [91, 89, 91, 88, 92, 86, 91, 85.5, 90.5, 85, 84];
    const condition: Condition = { op: '>', threshold: 90, forMs: 0, margin: 5 };
    assert.deepEqual(run(hovering, condition), ['firing@0', 'resolved@9']);
    // Without a margin the same values are a storm.
    assert.equal(run(hovering, { ...condition, margin: 0 }).length, 10);
  });

  it('a missing value changes nothing, in any phase', () => {
    for (const state of [
      OK_STATE,
      { phase: 'pending', since: T0 } as const,
      { phase: 'firing', since: T0 } as const,
    ])
      assert.equal(nextRuleState(state, undefined, T0 + 3_600_000, above90For30), state);
  });

  it('never fires without `for` having elapsed, and every resolve follows a fire (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }), {
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 10 }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        (values, forSteps, margin) => {
          const condition: Condition = { op: '>=', threshold: 50, forMs: forSteps * 1000, margin };
          let state: RuleState = OK_STATE;
          let firing = false;
          values.forEach((value, i) => {
            const now = T0 + i * 1000;
            const next = nextRuleState(state, value, now, condition);
            const change = transition(state, next);
            if (change === 'firing') {
              assert.ok(!firing);
              assert.ok(value !== undefined && value >= 50);
              assert.ok(now - (next.since ?? now) >= condition.forMs);
              firing = true;
            } else if (change === 'resolved') {
              assert.ok(firing);
              assert.ok(value !== undefined && value < 50 - margin);
              firing = false;
            }
            state = next;
          });
        },
      ),
    );
  });
});

describe('margins', () => {
  it('cleared() moves the threshold towards the value by the margin', () => {
    assert.ok(!cleared(85.1, above90For30));
    assert.ok(cleared(85, above90For30));
    assert.ok(!cleared(85, { ...above90For30, op: '>=' }));
    assert.ok(cleared(84.9, { ...above90For30, op: '>=' }));
    assert.ok(cleared(15, { op: '<', threshold: 10, forMs: 0, margin: 5 }));
  });

  it('never needs a value beyond the end of the scale', () => {
    assert.equal(effectiveMargin('cpu', '>', 90, 5), 5);
    assert.equal(effectiveMargin('cpu', '>', 3, 5), 1.5);
    assert.equal(effectiveMargin('memory', '<', 98, 5), 1);
    assert.equal(effectiveMargin('gpu_temperature', '>', 80, 5), 5);
    assert.equal(effectiveMargin('disk', '>', 0, 5), 0);
  });
});
