import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_JITTER, type ReconnectPolicy, reconnectDelay } from '../src/transport/reconnect-policy.js';

const fixed: ReconnectPolicy = { baseMs: 5000, multiplier: 1, maxMs: 60_000, jitter: 0 };

describe('reconnectDelay', () => {
  it('keeps a fixed interval when the multiplier is 1', () => {
    for (const attempt of [1, 2, 10, 1000]) assert.equal(reconnectDelay(attempt, fixed), 5000);
  });

  it('grows by the multiplier and stops at the cap', () => {
    const policy = { baseMs: 1000, multiplier: 2, maxMs: 10_000, jitter: 0 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((attempt) => reconnectDelay(attempt, policy)),
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    );
    // Far past the point where multiplier ** exponent overflows.
    assert.equal(reconnectDelay(5000, policy), 10_000);
  });

  it('jitter only shortens, by at most the jitter fraction', () => {
    const policy = { ...fixed, jitter: 0.2 };
    assert.equal(
      reconnectDelay(1, policy, () => 0),
      5000,
    );
    assert.equal(
      reconnectDelay(1, policy, () => 0.5),
      4500,
    );
    assert.equal(
      reconnectDelay(1, policy, () => 0.999999),
      4000,
    );
  });

  it('never shortens a wait by more than a fifth, whatever the jitter asked', () => {
    assert.equal(
      reconnectDelay(1, { ...fixed, jitter: 0.9 }, () => 1),
      4000,
    );
    assert.equal(
      reconnectDelay(1, { ...fixed, jitter: -1 }, () => 1),
      5000,
    );
  });

  it('stays within [grown * (1 - jitter), grown] for any policy (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.double({ min: 0, max: MAX_JITTER, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, multiplier, extraMs, jitter, r) => {
          const policy = { baseMs, multiplier, maxMs: baseMs + extraMs, jitter };
          const grown = Math.min(baseMs * multiplier ** (attempt - 1), policy.maxMs);
          const delay = reconnectDelay(attempt, policy, () => r);
          assert.ok(delay <= Math.round(grown), `${delay} > ${grown}`);
          assert.ok(delay >= Math.floor(grown * (1 - MAX_JITTER)), `${delay} < 0.8 * ${grown}`);
          assert.ok(delay <= policy.maxMs);
        },
      ),
    );
  });

  it('never decreases from one attempt to the next without jitter (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        (attempt, multiplier) => {
          const policy = { baseMs: 500, multiplier, maxMs: 30_000, jitter: 0 };
          assert.ok(reconnectDelay(attempt + 1, policy) >= reconnectDelay(attempt, policy));
        },
      ),
    );
  });
});
