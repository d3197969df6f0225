import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ConnectSlot, ConnectSlots } from '../src/transport/connect-slots.js';
import { FakeClock } from './helpers/fake-clock.js';

/** Slots of `limit` with a hold limit of 1 s, and a log of the admissions in order. */
function setup(limit: number) {
  const clock = new FakeClock();
  const slots = new ConnectSlots(limit, 1000, clock);
  const admitted: string[] = [];
  const held = new Map<string, ConnectSlot>();
  const request = (name: string): ConnectSlot =>
    slots.acquire((slot) => {
      admitted.push(name);
      held.set(name, slot);
    });
  return { clock, slots, admitted, held, request };
}

describe('ConnectSlots', () => {
  it('admits up to the limit at once, the rest in arrival order as slots are released', () => {
    const { slots, admitted, held, request } = setup(2);
    for (const name of ['a', 'b', 'c', 'd']) request(name);
    assert.deepEqual(admitted, ['a', 'b']);
    assert.equal(slots.holding, 2);
    assert.equal(slots.waiting, 2);
    held.get('b')!.release();
    assert.deepEqual(admitted, ['a', 'b', 'c']);
    held.get('a')!.release();
    assert.deepEqual(admitted, ['a', 'b', 'c', 'd']);
    assert.equal(slots.waiting, 0);
  });

  it('a waiting place that is released never gets a slot, and costs none', () => {
    const { slots, admitted, held, request } = setup(1);
    request('a');
    const b = request('b');
    request('c');
    b.release();
    assert.equal(slots.waiting, 1);
    held.get('a')!.release();
    assert.deepEqual(admitted, ['a', 'c']);
    assert.equal(slots.holding, 1);
  });

  it('a slot held past the hold limit is freed for the next attempt', () => {
    const { clock, slots, admitted, held, request } = setup(1);
    request('a');
    request('b');
    clock.tick(999);
    assert.deepEqual(admitted, ['a']);
    clock.tick(1);
    assert.deepEqual(admitted, ['a', 'b']);
    // The late release of the expired slot frees nothing more: b still holds the only slot.
    held.get('a')!.release();
    request('c');
    assert.deepEqual(admitted, ['a', 'b']);
    assert.equal(slots.holding, 1);
  });

  it('release is idempotent and cancels the hold timer', () => {
    const { clock, slots, held, request } = setup(2);
    request('a');
    held.get('a')!.release();
    held.get('a')!.release();
    assert.equal(slots.holding, 0);
    assert.equal(clock.pending, 0);
  });

  it('an attempt that releases its slot while being admitted lets the next one in', () => {
    const clock = new FakeClock();
    const slots = new ConnectSlots(1, 1000, clock);
    const admitted: string[] = [];
    slots.acquire((slot) => {
      admitted.push('a');
      slot.release();
    });
    slots.acquire(() => admitted.push('b'));
    assert.deepEqual(admitted, ['a', 'b']);
    assert.equal(slots.holding, 1);
  });
});
