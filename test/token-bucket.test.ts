import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../src/server/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst at once, then the rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    assert.deepEqual(
      [bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)],
      [true, true, true, false],
    );
    // 10 per second: one token every 100 ms.
    assert.equal(bucket.take(99), false);
    assert.equal(bucket.take(100), true);
    assert.equal(bucket.take(150), false);
    assert.equal(bucket.take(200), true);
  });

  it('refills up to the burst, never beyond', () => {
    const bucket = new TokenBucket(10, 2, 0);
    bucket.take(0);
    bucket.take(0);
    const taken = Array.from({ length: 4 }, () => bucket.take(60_000)).filter(Boolean).length;
    assert.equal(taken, 2);
  });

  it('a steady client under the rate is never refused', () => {
    const bucket = new TokenBucket(5, 1, 0);
    for (let t = 0; t < 10_000; t += 250) assert.equal(bucket.take(t), true, `at ${t} ms`);
  });

  it('a clock stepping back refills nothing', () => {
    const bucket = new TokenBucket(10, 1, 1000);
    assert.equal(bucket.take(1000), true);
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.take(1050), false);
    assert.equal(bucket.take(1100), true);
  });
});
