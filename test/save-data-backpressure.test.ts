/**
 * Save-data applies backpressure to the socket, as stdout does: the real command (`dist/`,
 * run `npm run build` first) under an endless flood from a server process (bench/'s).
 *
 * - Memory: the peak RSS of a flood with `--save-data` stays within 2x of the same flood
 *   without it (it grew without limit, 135 → 515 MiB in 10 s, when the disk fell behind).
 * - Loss bound: a SIGKILL in the middle of the flood loses at most what may wait in memory,
 *   `maxPendingBytes` (1 MiB) plus 128 KiB (the batch that crossed it, one socket read taken
 *   before the pause) of lines: every record displayed before that is on disk (it lost 6,000
 *   to 90,000 records).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { BenchServer, newTag } from '../bench/harness.js';
import { savedSessionFiles } from '../src/save-data/reader.js';
import { BATCH_BYTES, DEFAULT_MAX_PENDING_BYTES } from '../src/save-data/rotating-writer.js';
import { killAll, rssMiB, runCli } from './helpers/processes.js';
import { until } from './helpers/test-server.js';

const TEST = { timeout: 30_000 };

let tmp: string;
// The benchmarks' server: pre-built frames written straight to the socket, a flood faster
// than any disk on any machine (the test server's own flood is paced by its CPU).
let server: BenchServer;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'save-data-backpressure-'));
  server = await BenchServer.start();
});
afterEach(() => killAll());
after(async () => {
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** An endless flood (it ends when the client goes). */
const flood = () => server.url('/flood', { n: 100_000_000, tag: newTag() });

/** Peak resident memory (MiB) of a 5-second run of the command against the flood. */
async function floodPeakRss(extra: string[]): Promise<{ peak: number; records: number }> {
  const cli = runCli(['-u', flood(), '-f', 'jsonl', '--ping-interval', '0', '-d', '5', ...extra], {
    keepStdout: false,
  });
  let peak = 0;
  const poll = setInterval(() => {
    const rss = rssMiB(cli.child.pid);
    if (rss > peak) peak = rss;
  }, 50);
  const { code } = await cli.exit;
  clearInterval(poll);
  assert.equal(code, 0, cli.stderr());
  return { peak, records: cli.stdoutLines() };
}

describe('save-data backpressure', () => {
  it('peak RSS of a flood with --save-data stays within 2x of the same flood without it', TEST, async (t) => {
    const without = await floodPeakRss([]);
    const withSave = await floodPeakRss(['--save-data', join(tmp, 'memory.jsonl'), '--save-data-keep', '3']);
    t.diagnostic(
      `peak RSS ${withSave.peak.toFixed(0)} MiB with --save-data (${withSave.records} records), ${without.peak.toFixed(0)} MiB without (${without.records} records)`,
    );
    assert.ok(without.records > 10_000 && withSave.records > 10_000, 'both runs were flooded');
    assert.ok(
      withSave.peak < 2 * without.peak,
      `${withSave.peak.toFixed(0)} vs ${without.peak.toFixed(0)} MiB`,
    );
  });

  it(
    'SIGKILL in the middle of a flood loses at most maxPendingBytes + 128 KiB of what was displayed',
    TEST,
    async (t) => {
      const path = join(tmp, 'killed.jsonl');
      const cli = runCli(['-u', flood(), '-f', 'jsonl', '--ping-interval', '0', '--save-data', path], {
        keepStdout: false,
      });
      await until(() => cli.stdoutLines() >= 50_000, 20_000, '50,000 records displayed');
      cli.child.kill('SIGKILL');
      await cli.exit;
      // Everything the process wrote to stdout before it died has been read by now: displayed.
      const displayed = cli.stdoutLines();
      const lines: string[] = [];
      for (const file of await savedSessionFiles(path)) {
        const text = readFileSync(file, 'utf8');
        // A line cut by the kill is not a record.
        lines.push(
          ...text
            .slice(0, text.lastIndexOf('\n') + 1)
            .split('\n')
            .filter(Boolean)
            // The connection events saved around the frames are not records.
            .filter((line) => !line.includes('"event":')),
        );
      }
      for (const line of lines)
        assert.equal((JSON.parse(line) as { message: { type: string } }).message.type, 'monitoring_data');
      const shortest = Math.min(...lines.map((line) => Buffer.byteLength(line) + 1));
      // In memory at most: maxPendingBytes, the batch that crossed it, and one socket read (64 KiB)
      // taken before the pause.
      const bound = Math.ceil((DEFAULT_MAX_PENDING_BYTES + 2 * BATCH_BYTES) / shortest);
      const lost = Math.max(0, displayed - lines.length);
      t.diagnostic(`${displayed} displayed, ${lines.length} on disk: ${lost} lost (bound ${bound})`);
      assert.ok(lost <= bound, `${lost} records displayed but not on disk; the bound is ${bound}`);
    },
  );
});
