import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RefusalSummary } from '../src/server/refusal-summary.js';
import { FakeClock } from './helpers/fake-clock.js';

function summary(periodMs = 10_000) {
  const clock = new FakeClock();
  const lines: string[] = [];
  return {
    clock,
    lines,
    summary: new RefusalSummary({ clock, periodMs, report: (line) => lines.push(line) }),
  };
}

describe('RefusalSummary', () => {
  it('writes one line per period with the counts by reason and the address seen most', () => {
    const { clock, lines, summary: s } = summary();
    for (let i = 0; i < 1995; i++) s.count('atCapacity', '10.0.0.5');
    for (let i = 0; i < 5; i++) s.count('unauthorized', '10.0.0.9');
    assert.deepEqual(lines, []);
    clock.tick(10_000);
    assert.deepEqual(lines, [
      'refused or cut off 2000 connections in 10.0 s: 5 without the right token (401), 1995 at capacity (1008); most from 10.0.0.5 (1995)',
    ]);
    assert.equal(s.totals.atCapacity, 1995);
  });

  it('says nothing while nothing happens, and starts a new period with the next event', () => {
    const { clock, lines, summary: s } = summary(1000);
    clock.tick(5000);
    assert.equal(clock.pending, 0);
    s.count('handshakeTimeout', '::1');
    clock.tick(400);
    s.count('messageRate', '::1');
    clock.tick(600);
    assert.deepEqual(lines, [
      'refused or cut off 2 connections in 1.0 s: 1 handshake too slow, 1 sending too many messages (1008); most from ::1 (2)',
    ]);
    assert.equal(clock.pending, 0);
    s.count('fileLimit');
    clock.tick(1000);
    assert.equal(
      lines[1],
      'refused or cut off 1 connection in 1.0 s: 1 over the open-file limit (ulimit -n)',
    );
    assert.equal(s.totals.handshakeTimeout, 1);
    assert.equal(s.totals.messageRate, 1);
    assert.equal(s.totals.fileLimit, 1);
    assert.equal(s.totals.atCapacity, 0);
  });

  it('flush() writes the pending line at once (at shutdown), and nothing when there is none', () => {
    const { clock, lines, summary: s } = summary();
    s.flush();
    assert.deepEqual(lines, []);
    s.count('slowReader', '127.0.0.1');
    clock.tick(2500);
    s.flush();
    assert.deepEqual(lines, [
      'refused or cut off 1 connection in 2.5 s: 1 not reading (send buffer full); most from 127.0.0.1 (1)',
    ]);
    assert.equal(clock.pending, 0);
  });

  it('remembers a bounded number of addresses per period', () => {
    const { clock, lines, summary: s } = summary();
    for (let i = 0; i < 5000; i++) s.count('perAddressLimit', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    s.count('perAddressLimit', '10.0.0.7');
    clock.tick(10_000);
    assert.match(
      lines[0]!,
      /^refused or cut off 5001 connections in 10\.0 s: 5001 over the per-address limit; most from 10\.0\.0\.7 \(2\)$/,
    );
  });
});
