import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { QuietBand } from '../src/alerts/quiet-band.js';
import { holds } from '../src/alerts/rule-state.js';

const OPS = ['>', '>=', '<', '<='] as const;

describe('QuietBand', () => {
  it('is quiet exactly when no rule of the metric holds', () => {
    const band = new QuietBand([
      { op: '>', threshold: 90 },
      { op: '>=', threshold: 95 },
      { op: '<', threshold: 10 },
      { op: '<=', threshold: 5 },
    ]);
    assert.ok(band.quiet(90));
    assert.ok(band.quiet(10));
    assert.ok(!band.quiet(90.1));
    assert.ok(!band.quiet(9.9));
    assert.ok(new QuietBand([]).quiet(100));
    assert.ok(!new QuietBand([{ op: '>=', threshold: 50 }]).quiet(50));
    assert.ok(!new QuietBand([{ op: '<=', threshold: 50 }]).quiet(50));
  });

  it('agrees with the rules one by one (property)', () => {
    const rule = fc.record({ op: fc.constantFrom(...OPS), threshold: fc.integer({ min: 0, max: 100 }) });
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 20 }),
        fc.double({ min: -1, max: 101, noNaN: true }),
        (rules, value) => {
          const anyHolds = rules.some((r) => holds(value, r.op, r.threshold));
          assert.equal(new QuietBand(rules).quiet(value), !anyHolds);
        },
      ),
    );
  });
});
