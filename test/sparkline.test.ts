import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sparkline } from '../src/dashboard/sparkline.js';

describe('sparkline', () => {
  it('draws one block per value, from ▁ (0) to █ (the maximum), newest on the right', () => {
    assert.equal(sparkline([0, 14.3, 28.6, 42.9, 57.1, 71.4, 85.7, 100], 8), '▁▂▃▄▅▆▇█');
  });

  it('right-aligns a short history and keeps only the newest values of a long one', () => {
    assert.equal(sparkline([100, 0], 5), '   █▁');
    assert.equal(sparkline([0, 0, 0, 100, 100], 2), '██');
    assert.equal(sparkline([50], 0), '');
  });

  it('draws a step without data as a gap, never as 0', () => {
    assert.equal(sparkline([0, Number.NaN, 100], 3), '▁ █');
  });

  it('clamps values outside 0..max, and scales to max', () => {
    assert.equal(sparkline([-5, 250], 2), '▁█');
    assert.equal(sparkline([50, 100], 2, { max: 200 }), '▃▅');
  });

  it('colours runs of one colour with one pair of escape codes', () => {
    const red = (t: string) => `<r>${t}</r>`;
    const green = (t: string) => `<g>${t}</g>`;
    const paint = (value: number) => (value >= 90 ? red : green);
    assert.equal(sparkline([10, 20, 95, 99, Number.NaN, 10], 6, { paint }), '<g>▂▂</g><r>██</r> <g>▂</g>');
  });

  it('reads a Float32Array as well', () => {
    assert.equal(sparkline(Float32Array.from([0, 100]), 2), '▁█');
  });
});
