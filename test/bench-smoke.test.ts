/**
 * Keeps bench/ from rotting: runs the harness for real (server process, client processes,
 * table) with a tiny throughput case, in a few seconds. The figures are not checked, only
 * that they exist: benchmarks are not tests (see bench/README.md). Needs dist/ (`npm test`
 * builds it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BenchServer, CLI } from '../bench/harness.js';
import { renderTable } from '../bench/report.js';
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
});
