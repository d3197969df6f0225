import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_SORT,
  filterRows,
  nextSort,
  SORT_KEYS,
  type SortOrder,
  sortRows,
} from '../src/dashboard/sort.js';
import { TestFleet } from './helpers/dashboard-fleet.js';

/** up: web-2 (cpu 10, mem 95), web-10 (cpu 80), db-1 (no CPU sent, disk 50); stale: old; reconnecting: lost; down: dead. */
async function fleet() {
  const fleet = await new TestFleet([], 15).start();
  fleet.add('old').send('old', { cpu: 1, memory: 1, disk: 1, gpu: 1 });
  fleet.clock.tick(20_000);
  fleet.add('web-2').send('web-2', { cpu: 10, memory: 95, disk: 20, gpu: null });
  fleet.add('web-10').send('web-10', { cpu: 80, memory: 30, disk: 20, gpu: 70 });
  fleet.add('db-1').send('db-1', { cpu: null, memory: 10, disk: 50, gpu: null });
  fleet.add('lost').send('lost', { cpu: 5, memory: 5, disk: 5, gpu: null }).lose('lost');
  fleet.add('dead').giveUp('dead');
  return fleet.pipeline.targets();
}

const names = (order: SortOrder, rows: Awaited<ReturnType<typeof fleet>>) =>
  sortRows(rows, order).map((r) => r.name);

describe('dashboard sort', () => {
  it('puts the worst first by default: down, reconnecting, stale, then the highest usage', async () => {
    const rows = await fleet();
    assert.deepEqual(names(DEFAULT_SORT, rows), ['dead', 'lost', 'old', 'web-2', 'web-10', 'db-1']);
  });

  it('sorts a usage highest first, with the targets that did not send it last', async () => {
    const rows = await fleet();
    assert.deepEqual(names({ key: 'cpu', reverse: false }, rows), [
      'web-10',
      'web-2',
      'lost',
      'old',
      'db-1',
      'dead',
    ]);
    assert.deepEqual(names({ key: 'memory', reverse: false }, rows).slice(0, 2), ['web-2', 'web-10']);
    assert.deepEqual(names({ key: 'disk', reverse: false }, rows)[0], 'db-1');
    assert.deepEqual(names({ key: 'gpu', reverse: false }, rows).slice(0, 2), ['web-10', 'old']);
  });

  it('sorts names in natural order (web-2 before web-10), and status worst first', async () => {
    const rows = await fleet();
    assert.deepEqual(names({ key: 'name', reverse: false }, rows), [
      'db-1',
      'dead',
      'lost',
      'old',
      'web-2',
      'web-10',
    ]);
    assert.deepEqual(names({ key: 'status', reverse: false }, rows).slice(0, 3), ['dead', 'lost', 'old']);
  });

  it('reverses the whole order when the same key is chosen again, and starts over on another key', async () => {
    const rows = await fleet();
    let order = nextSort(DEFAULT_SORT, SORT_KEYS.n!);
    assert.deepEqual(order, { key: 'name', reverse: false });
    order = nextSort(order, SORT_KEYS.n!);
    assert.deepEqual(names(order, rows), ['web-10', 'web-2', 'old', 'lost', 'dead', 'db-1']);
    assert.deepEqual(nextSort(order, SORT_KEYS.c!), { key: 'cpu', reverse: false });
    assert.deepEqual(Object.values(SORT_KEYS), ['cpu', 'memory', 'disk', 'gpu', 'name', 'status']);
  });

  it('filters by name, ignoring case, without changing the input', async () => {
    const rows = await fleet();
    assert.deepEqual(
      filterRows(rows, 'WEB').map((r) => r.name),
      ['web-2', 'web-10'],
    );
    assert.equal(filterRows(rows, '  ').length, rows.length);
    assert.equal(filterRows(rows, 'nothing').length, 0);
    assert.equal(rows.length, 6);
  });
});
