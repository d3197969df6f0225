/**
 * The system clock: a delay longer than one Node timer can hold (2^31 - 1 ms, 24.8 days) must
 * wait, not fire at once. The chaining is checked with a lowered timer limit (real, tiny
 * timers); the real limit with a timer that must not have fired, and a process that must exit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSystemClock, MAX_NODE_TIMER_MS, systemClock, unrefTimer } from '../src/transport/clock.js';
import { REPO } from './helpers/processes.js';

describe('systemClock', () => {
  it('waits for a delay beyond the range of a Node timer instead of firing at once', async () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => {
      fired = true;
    }, MAX_NODE_TIMER_MS + 1000);
    await sleep(50);
    systemClock.clearTimeout(handle);
    assert.equal(fired, false);
  });

  it('chains timers up to the deadline: never early, and fires once', async () => {
    const clock = createSystemClock(20);
    const started = performance.now();
    const firedAt: number[] = [];
    clock.setTimeout(() => firedAt.push(performance.now() - started), 90);
    await sleep(200);
    assert.equal(firedAt.length, 1);
    assert.ok(firedAt[0]! >= 89, `fired after ${firedAt[0]} ms`);
  });

  it('clearTimeout stops a chain in the middle', async () => {
    const clock = createSystemClock(10);
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 60);
    await sleep(25); // Two links of the chain have passed.
    clock.clearTimeout(handle);
    await sleep(80);
    assert.equal(fired, false);
  });

  it('short delays are plain Node timers', async () => {
    const clock = createSystemClock(1000);
    let fired = false;
    clock.setTimeout(() => {
      fired = true;
    }, 5);
    await sleep(40);
    assert.equal(fired, true);
  });

  it('an unref-ed chained timer does not keep the process alive', async () => {
    const clockModule = new URL('../src/transport/clock.ts', import.meta.url).href;
    const script = `import { systemClock, unrefTimer } from ${JSON.stringify(clockModule)};
unrefTimer(systemClock.setTimeout(() => console.log('fired'), 30 * 24 * 3600 * 1000));
console.log('armed');`;
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: REPO, timeout: 8000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    assert.equal(stdout, 'armed\n');
    assert.ok(Date.now() - started < 8000);
    // And unrefTimer accepts a handle without unref (a fake clock's).
    assert.doesNotThrow(() => unrefTimer(7 as never));
  });
});
