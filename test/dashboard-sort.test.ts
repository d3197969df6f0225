import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_SORT,
  filterRows,
  matchesFilter,
  nextSort,
  SORT_KEYS,
  type SortFields,
  type SortOrder,
  STATUS_MARK,
  sortComparator,
  sortRows,
  worstUsage,
} from '../src/dashboard/sort.js';
import type { TargetStatus } from '../src/pipeline/target-row.js';
import { toWebRow } from '../src/web/web-row.js';
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

/** A row as the web page holds it: only what ordering reads. */
function row(
  name: string,
  status: TargetStatus,
  cpu: number | null,
  memory: number | null = null,
): SortFields {
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

const sortedNames = (order: SortOrder) => [...FLEET].sort(sortComparator(order)).map((r) => r.name);

describe('fleet sort of the web page (the same module)', () => {
  it("orders the page's rows as the terminal orders its own, for every key and direction", async () => {
    const rows = await fleet();
    const pageRows = rows.map((r) => toWebRow(r));
    for (const key of ['worst', ...Object.values(SORT_KEYS)] as const) {
      for (const reverse of [false, true]) {
        const order = { key, reverse };
        assert.deepEqual(
          [...pageRows].sort(sortComparator(order)).map((r) => r.name),
          sortRows(rows, order).map((r) => r.name),
          `${key}${reverse ? ' reversed' : ''}`,
        );
      }
    }
  });

  it('puts the worst first by default: no fresh data, then connecting, then the highest usage', () => {
    assert.deepEqual(sortedNames(DEFAULT_SORT), ['gpu1', 'gpu2', 'db1', 'new1', 'web2', 'web3', 'web1']);
    assert.deepEqual(sortedNames({ key: 'status', reverse: false }), sortedNames(DEFAULT_SORT));
  });

  it('sorts by CPU highest first, a missing value last, ties by name; the same key again reverses', () => {
    const byCpu = nextSort(DEFAULT_SORT, 'cpu');
    assert.deepEqual(sortedNames(byCpu), ['web2', 'gpu2', 'web1', 'db1', 'gpu1', 'new1', 'web3']);
    const reversed = nextSort(byCpu, 'cpu');
    assert.deepEqual(reversed, { key: 'cpu', reverse: true });
    assert.deepEqual(sortedNames(reversed), ['web3', 'new1', 'gpu1', 'db1', 'web1', 'gpu2', 'web2']);
  });

  it('sorts names in natural order, case aside, and a value NaN as one not sent', () => {
    const numbered = [row('web-10', 'up', 1), row('web-2', 'up', 1), row('Web-1', 'up', 1)];
    assert.deepEqual(
      numbered.sort(sortComparator({ key: 'name', reverse: false })).map((r) => r.name),
      ['Web-1', 'web-2', 'web-10'],
    );
    const odd = [row('a', 'up', Number.NaN), row('b', 'up', 3)];
    assert.deepEqual(
      odd.sort(sortComparator({ key: 'cpu', reverse: false })).map((r) => r.name),
      ['b', 'a'],
    );
    assert.equal(worstUsage(row('x', 'up', null)), undefined);
    assert.equal(worstUsage(row('x', 'up', 10, 80)), 80);
  });

  it('filters a name ignoring case and surrounding spaces, and marks each status distinctly', () => {
    assert.equal(matchesFilter('Web-10', ' web- '), true);
    assert.equal(matchesFilter('db-1', 'web'), false);
    assert.equal(matchesFilter('db-1', ''), true);
    assert.equal(new Set(Object.values(STATUS_MARK)).size, 5);
  });
});
