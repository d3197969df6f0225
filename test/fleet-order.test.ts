import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TargetStatus } from '../src/pipeline/target-row.js';
import {
  compareRows,
  DEFAULT_ORDER,
  nextOrder,
  type OrderedRow,
  SORT_KEYS,
  STATUS_MARKS,
  worstUsage,
} from '../src/web/fleet-order.js';

function row(
  name: string,
  status: TargetStatus,
  cpu: number | null,
  memory: number | null = null,
): OrderedRow {
  return { name, status, cpu, memory, disk: null, gpu: null };
}

const FLEET = [
  row('web1', 'up', 20, 30),
  row('web2', 'up', 95, 10),
  row('db1', 'stale', 5, 5),
  row('gpu1', 'down', null),
  row('gpu2', 'reconnecting', 50),
  row('new1', 'connecting', null),
  row('web3', 'up', null, 70),
];

const names = (rows: OrderedRow[]) => rows.map((r) => r.name);

describe('fleet order', () => {
  it('puts the worst first by default: no fresh data, then connecting, then the highest usage', () => {
    assert.deepEqual(names([...FLEET].sort(compareRows(DEFAULT_ORDER))), [
      'gpu1',
      'gpu2',
      'db1',
      'new1',
      'web2',
      'web3',
      'web1',
    ]);
  });

  it('sorts by CPU highest first, a missing value last, ties by name; the same key again reverses', () => {
    const byCpu = nextOrder(DEFAULT_ORDER, 'cpu');
    assert.deepEqual(names([...FLEET].sort(compareRows(byCpu))), [
      'web2',
      'gpu2',
      'web1',
      'db1',
      'gpu1',
      'new1',
      'web3',
    ]);
    const reversed = nextOrder(byCpu, 'cpu');
    assert.deepEqual(reversed, { key: 'cpu', reversed: true });
    assert.deepEqual(names([...FLEET].sort(compareRows(reversed))), [
      'web3',
      'new1',
      'gpu1',
      'db1',
      'web1',
      'gpu2',
      'web2',
    ]);
    assert.deepEqual(nextOrder(reversed, 'name'), { key: 'name', reversed: false });
  });

  it('sorts by name in natural order, and by status as worst first', () => {
    const numbered = [row('web-10', 'up', 1), row('web-2', 'up', 1), row('Web-1', 'up', 1)];
    assert.deepEqual(names(numbered.sort(compareRows({ key: 'name', reversed: false }))), [
      'Web-1',
      'web-2',
      'web-10',
    ]);
    assert.deepEqual(names([...FLEET].sort(compareRows({ key: 'name', reversed: false }))), [
      'db1',
      'gpu1',
      'gpu2',
      'new1',
      'web1',
      'web2',
      'web3',
    ]);
    assert.deepEqual(
      names([...FLEET].sort(compareRows({ key: 'status', reversed: false }))),
      names([...FLEET].sort(compareRows(DEFAULT_ORDER))),
    );
  });

  it('uses the keys of the terminal dashboard and a distinct mark per status', () => {
    assert.deepEqual(SORT_KEYS, { c: 'cpu', m: 'memory', d: 'disk', g: 'gpu', n: 'name', s: 'status' });
    assert.equal(new Set(Object.values(STATUS_MARKS)).size, 5);
    assert.equal(worstUsage(row('x', 'up', null)), -1);
    assert.equal(worstUsage(row('x', 'up', 10, 80)), 80);
  });
});
