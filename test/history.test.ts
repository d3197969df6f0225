import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidOptionError } from '../src/errors.js';
import { RingBuffer } from '../src/handlers/history.js';

describe('RingBuffer', () => {
  it('keeps items oldest first until full', () => {
    const buffer = new RingBuffer<number>(3);
    assert.deepEqual(buffer.toArray(), []);
    assert.equal(buffer.push(1), undefined);
    assert.equal(buffer.push(2), undefined);
    assert.deepEqual(buffer.toArray(), [1, 2]);
    assert.equal(buffer.size, 2);
    assert.equal(buffer.capacity, 3);
  });

  it('drops the oldest first and returns it', () => {
    const buffer = new RingBuffer<number>(3);
    for (const n of [1, 2, 3]) buffer.push(n);
    assert.equal(buffer.push(4), 1);
    assert.equal(buffer.push(5), 2);
    assert.deepEqual(buffer.toArray(), [3, 4, 5]);
    assert.deepEqual([...buffer], [3, 4, 5]);
    assert.equal(buffer.size, 3);
  });

  it('keeps the last 1000 of many, in order', () => {
    const buffer = new RingBuffer<number>(1000);
    for (let n = 0; n < 2500; n++) buffer.push(n);
    const items = buffer.toArray();
    assert.equal(items.length, 1000);
    assert.equal(items[0], 1500);
    assert.equal(items[999], 2499);
  });

  it('pushes in constant time, whatever the capacity', () => {
    const timeMillionPushes = (capacity: number): number => {
      const buffer = new RingBuffer<number>(capacity);
      for (let n = 0; n < capacity; n++) buffer.push(n); // Full: every push below drops one.
      const start = performance.now();
      for (let n = 0; n < 1_000_000; n++) buffer.push(n);
      const elapsed = performance.now() - start;
      assert.equal(buffer.toArray()[capacity - 1], 999_999);
      return elapsed;
    };
    const small = timeMillionPushes(1000);
    const large = timeMillionPushes(1_000_000);
    assert.ok(small < 500, `1e6 pushes into 1000 slots took ${small.toFixed(0)} ms`);
    // O(capacity) per push would make the large buffer about 1000 times slower.
    assert.ok(large < 20 * Math.max(small, 5), `small ${small.toFixed(1)} ms, large ${large.toFixed(1)} ms`);
  });

  it('clear empties it and it can be filled again', () => {
    const buffer = new RingBuffer<string>(2);
    buffer.push('a');
    buffer.push('b');
    buffer.push('c');
    buffer.clear();
    assert.equal(buffer.size, 0);
    assert.deepEqual(buffer.toArray(), []);
    buffer.push('d');
    assert.deepEqual(buffer.toArray(), ['d']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new RingBuffer(bad), InvalidOptionError, String(bad));
    }
  });

  it('behaves like "the last `capacity` items pushed", for any sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer(), { maxLength: 100 }),
        (capacity, items) => {
          const buffer = new RingBuffer<number>(capacity);
          for (const item of items) buffer.push(item);
          const expected = items.slice(Math.max(0, items.length - capacity));
          assert.deepEqual(buffer.toArray(), expected);
          assert.equal(buffer.size, expected.length);
        },
      ),
    );
  });
});
