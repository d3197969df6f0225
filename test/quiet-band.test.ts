import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type BandRule, QuietBand } from '../src/alerts/quiet-band.js';
import { holds } from '../src/alerts/rule-state.js';

const OPS = ['>', '>=', '<', '<='] as const;

describe('QuietBand', () => {
  it('is quiet exactly when no rule holds', () => {
    const band = new QuietBand([
      { metricIndex: 0, op: '>', threshold: 90 },
      { metricIndex: 0, op: '>=', threshold: 95 },
      { metricIndex: 2, op: '<', threshold: 10 },
      { metricIndex: 2, op: '<=', threshold: 5 },
    ]);
    assert.ok(band.quiet([90, 99, 10]));
    assert.ok(!band.quiet([90.1, 0, 50]));
    assert.ok(!band.quiet([0, 0, 9.9]));
    assert.ok(band.quiet([undefined, 0, undefined]), 'a metric not sent holds nothing');
    assert.ok(new QuietBand([]).quiet([100, 100]));
  });

  it('agrees with the rules one by one (property)', () => {
    const rule = fc.record({
      metricIndex: fc.integer({ min: 0, max: 6 }),
      op: fc.constantFrom(...OPS),
      threshold: fc.integer({ min: 0, max: 100 }),
    });
    const value = fc.option(fc.integer({ min: -1, max: 101 }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 20 }),
        fc.array(value, { minLength: 7, maxLength: 7 }),
        (rules, values) => {
          const anyHolds = rules.some((r: BandRule) => {
            const v = values[r.metricIndex];
            return v !== undefined && holds(v, r.op, r.threshold);
          });
          assert.equal(new QuietBand(rules).quiet(values), !anyHolds);
        },
      ),
    );
  });
});
