/**
 * The replay's clock on a fake base clock: recorded time at a pace and at full speed, and
 * once the replay is over (`hold`): time stands still at the end, timers fire in real time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayClock } from '../src/recording/replay-clock.js';
import { FakeClock } from './helpers/fake-clock.js';

const T0 = Date.UTC(2026, 10, 25, 2, 0, 0);

describe('ReplayClock', () => {
  it('at full speed, time moves only with the replay, firing the timers it passes at their own time', () => {
    const clock = new ReplayClock('max', T0, new FakeClock());
    clock.begin(T0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 1500);
    const cancelled = clock.setTimeout(() => fired.push(-1), 1000);
    clock.clearTimeout(cancelled);
    clock.advanceTo(T0 + 1000);
    assert.deepEqual(fired, []);
    clock.advanceTo(T0 + 5000);
    assert.deepEqual(fired, [T0 + 1500]);
    assert.equal(clock.now(), T0 + 5000);
  });

  it('held at full speed: time stands still; waiting timers and new ones fire after their delay in real time', () => {
    const base = new FakeClock(Date.UTC(2030, 0, 1));
    const clock = new ReplayClock('max', T0, base);
    clock.begin(T0);
    clock.advanceTo(T0 + 10_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`waiting ${clock.now()}`), 3000);
    const dropped = clock.setTimeout(() => fired.push('dropped'), 4000);
    clock.hold();
    assert.equal(clock.held, true);
    assert.equal(clock.pendingTimers, 0, 'moved to the base clock');
    clock.clearTimeout(dropped);
    clock.setTimeout(() => fired.push(`new ${clock.now()}`), 500);
    const dropped2 = clock.setTimeout(() => fired.push('dropped 2'), 100);
    clock.clearTimeout(dropped2);
    base.tick(499);
    assert.deepEqual(fired, []);
    base.tick(1);
    assert.deepEqual(fired, [`new ${T0 + 10_000}`]);
    base.tick(2500);
    assert.deepEqual(fired, [`new ${T0 + 10_000}`, `waiting ${T0 + 10_000}`], 'the time stood still');
    base.tick(60_000);
    assert.equal(clock.now(), T0 + 10_000);
    assert.equal(base.pending, 0);
  });

  it('held at a pace: time stops where the replay left it; begin() plays again from the start', () => {
    const base = new FakeClock(Date.UTC(2030, 0, 1));
    const clock = new ReplayClock(4, T0, base);
    clock.begin(T0);
    base.tick(1000);
    assert.equal(clock.now(), T0 + 4000, 'four times as fast');
    clock.hold();
    base.tick(1000);
    assert.equal(clock.now(), T0 + 4000);
    let fired = 0;
    clock.setTimeout(() => fired++, 1000);
    base.tick(999);
    assert.equal(fired, 0, 'a held timer runs at its delay, not a quarter of it');
    base.tick(1);
    assert.equal(fired, 1);
    clock.begin(T0);
    assert.equal(clock.held, false);
    base.tick(500);
    assert.equal(clock.now(), T0 + 2000);
  });
});
