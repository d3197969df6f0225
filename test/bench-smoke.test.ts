/**
 * Keeps bench/ from rotting: runs the harness for real (server process, client processes,
 * table) with a tiny throughput case, in a few seconds. The figures are not checked, only
 * that they exist: benchmarks are not tests (see bench/README.md). Needs dist/ (`npm test`
 * builds it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { BenchServer, CLI, runSideBySide, sharedCpu } from '../bench/harness.js';
import { renderTable } from '../bench/report.js';
import type { FanInResult } from '../bench/results.js';
import { QUICK, throughputSuite } from '../bench/suites.js';

describe('bench harness (smoke run)', { skip: existsSync(CLI) ? false : 'dist/ is not built' }, () => {
  let server: BenchServer;
  before(async () => {
    server = await BenchServer.start();
  });
  after(async () => {
    await server?.stop();
  });

  it('measures the library and the CLI against the bare baseline, and prints the table', async () => {
    const settings = { ...QUICK, messages: 2000, throughputRounds: 1 };
    const rows = await throughputSuite(server, settings, () => {}, ['library simple', 'cli simple']);
    const names = rows.map((row) => row.name);
    assert.deepEqual(names, [
      'bare ws: + one line to stdout',
      'library --format simple',
      'CLI -f simple > /dev/null',
    ]);
    for (const row of rows) {
      assert.ok(
        row.value.median > 0 && Number.isFinite(row.value.median),
        `${row.name}: ${row.value.median}`,
      );
    }
    const library = rows[1]!;
    assert.ok(library.ratio !== undefined && Number.isFinite(library.ratio.median));
    assert.equal(typeof library.pass, 'boolean');
    const table = renderTable(rows);
    assert.match(table, /\| library --format simple \| [\d,]+ msg\/s \| bare ws: \+ one line to stdout \|/);
  });

  it('runs fan-in clients side by side: both connect, then both measure a window of the same stream', async () => {
    const spec = (impl: 'bare' | 'fleet') => ({
      case: 'fanin' as const,
      impl,
      uri: server.url('/fanin', { interval: 100 }),
      count: 10,
      warmupMs: 100,
      windowMs: 500,
    });
    const [bare, fleet] = await runSideBySide<FanInResult>([spec('bare'), spec('fleet')]);
    // Both on one CPU, so that they share its conditions: on Linux with several CPUs, taskset
    // (util-linux, always installed on Debian) is there to pin them.
    const cpu = sharedCpu();
    if (process.platform === 'linux' && availableParallelism() > 1) assert.notEqual(cpu, undefined);
    for (const result of [bare!, fleet!]) {
      assert.ok(result.messagesInWindow > 0, `messages in the window: ${result.messagesInWindow}`);
      assert.ok(result.cpuPercent > 0 && result.rssMb > 0);
      if (cpu !== undefined) assert.equal(result.cpusAllowed, String(cpu));
    }
  });
});
