/**
 * "Nothing lost": the real command saving a flood of 100,000 messages from a server in a child
 * process, across many rotations, ended by SIGINT or SIGTERM at the end of the flood (spawned,
 * `dist/cli/bin.js`: run `npm run build` first), by an interrupt in the middle of it or by
 * --duration (in this process, through `run(argv, io)`). The saved lines are
 * counted against what the client says it received (`--stats -f jsonl`, on stderr) and what
 * the server says it sent; each message carries a sequence number, so a line lost, split or
 * saved twice shows. Then write errors: the save-data file cannot grow (a full disk, simulated
 * with `ulimit -f`, spawned: the limit is the process's) or its folder is removed; the error is
 * reported and counted and the data keeps being displayed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type CorruptLine, readSavedSession, savedSessionFiles } from '../src/handlers/logging-handler.js';
import { type InProcessRun, runInProcess } from './helpers/in-process-cli.js';
import { type CliRun, killAll, lastJsonLine, runCli, startFloodServer } from './helpers/processes.js';
import { until } from './helpers/test-server.js';

const FLOOD = 100_000;
const ROTATE_AT = 2 * 1024 * 1024;
const TEST = { timeout: 20_000 };

let tmp: string;
let runs = 0;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'monitoring-flood-'));
});
afterEach(() => {
  // A failed test may leave its processes running: they would slow the next tests down.
  killAll();
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface LoggingStats {
  messageCount: number;
  messagesWritten: number;
  messagesLost: number;
  rotations: number;
  writeErrors: number;
  lastError: string | null;
}

interface Stats {
  messagesReceived: number;
  invalidMessages: number;
  recordsDisplayed: number;
  logging: LoggingStats;
}

/** The saved session, oldest first: each line's `seq`, and the lines that are not a record. */
async function readSession(path: string): Promise<{ seqs: number[]; corrupt: CorruptLine[] }> {
  const seqs: number[] = [];
  const corrupt: CorruptLine[] = [];
  // The connection events saved around the frames are not counted here: the frames are.
  for await (const record of readSavedSession(path, {
    events: false,
    onCorruptLine: (line) => corrupt.push(line),
  })) {
    seqs.push((record.message as { seq: number }).seq);
  }
  return { seqs, corrupt };
}

/** Asserts that `seqs` is 0, 1, 2, ... n-1: nothing lost, split, reordered or saved twice. */
function assertContiguous(seqs: number[], n: number): void {
  assert.equal(seqs.length, n, 'lines saved');
  for (let i = 0; i < seqs.length; i++) {
    if (seqs[i] !== i) assert.fail(`line ${i + 1} holds seq ${seqs[i]} (expected ${i})`);
  }
}

function saveArgs(url: string, path: string, extra: string[] = []): string[] {
  return [
    '-u',
    url,
    '--save-data',
    path,
    '--save-data-max-size',
    String(ROTATE_AT),
    // Far more than the run's rotations: every rotated file of the run is kept.
    '--save-data-keep',
    '200',
    '-f',
    'jsonl',
    '--ping-interval',
    '0',
    '--stats',
    ...extra,
  ];
}

/** The notices and errors the run printed on stderr (JSON with -f jsonl), without the statistics. */
function notices(run: CliRun | InProcessRun): Record<string, unknown>[] {
  return run
    .stderr()
    .trimEnd()
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function endedRun(run: CliRun | InProcessRun): Promise<Stats> {
  const exit = await run.exit;
  assert.equal(typeof exit === 'number' ? exit : exit.code, 0, run.stderr().slice(-2000));
  return lastJsonLine(run.stderr()) as unknown as Stats;
}

describe('save-data under a flood of 100,000 messages: nothing lost', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // Spawned: the signal reaches a real process, which saves every line before it exits.
    it(
      `ended by ${signal} after the flood: lines saved = frames received = frames sent, across rotations`,
      TEST,
      async (t) => {
        const server = await startFloodServer({ count: FLOOD });
        const path = join(tmp, `end-${++runs}.jsonl`);
        const run = runCli(saveArgs(server.url, path), { keepStdout: false });
        const done = await server.waitFor((e) => e.event === 'done', 15_000, 'the end of the flood');
        await until(() => run.stdoutLines() >= FLOOD, 10_000, 'every record displayed');
        run.child.kill(signal);
        const stats = await endedRun(run);
        await server.kill('SIGKILL');

        assert.equal(done.sent, FLOOD);
        assert.equal(stats.messagesReceived, FLOOD);
        assert.equal(stats.invalidMessages, 0);
        assert.equal(stats.recordsDisplayed, FLOOD);
        assert.equal(stats.logging.messagesWritten, FLOOD);
        assert.equal(stats.logging.messagesLost, 0);
        assert.equal(stats.logging.writeErrors, 0);
        const files = await savedSessionFiles(path);
        t.diagnostic(`${stats.logging.rotations} rotations, ${files.length} files`);
        assert.ok(stats.logging.rotations >= 1, 'at least one rotation');
        assert.equal(files.length, stats.logging.rotations + 1, 'every rotated file is kept');
        const { seqs, corrupt } = await readSession(path);
        assert.deepEqual(corrupt, []);
        assertContiguous(seqs, FLOOD);
      },
    );
  }

  // In this process: SIGINT and SIGTERM are the same abort of the run (spawned just above).
  it(
    'interrupted in the middle of the flood: lines saved = frames received <= frames sent',
    TEST,
    async () => {
      const server = await startFloodServer({ count: FLOOD });
      const path = join(tmp, `middle-${++runs}.jsonl`);
      const run = runInProcess(saveArgs(server.url, path), {}, { keepStdout: false });
      await until(() => server.sent() >= 30_000, 15_000, '30,000 frames sent');
      run.interrupt();
      const stats = await endedRun(run);
      const closed = await server.waitFor((e) => e.event === 'close', 5000, 'the server to see the close');
      await server.kill('SIGKILL');

      assert.ok(
        stats.messagesReceived < FLOOD,
        `received ${stats.messagesReceived}: the interrupt came too late`,
      );
      assert.ok(
        stats.messagesReceived <= closed.sent!,
        `received ${stats.messagesReceived}, sent ${closed.sent}`,
      );
      assert.equal(stats.recordsDisplayed, stats.messagesReceived);
      assert.equal(run.stdoutLines(), stats.messagesReceived);
      assert.equal(stats.logging.messageCount, stats.messagesReceived);
      assert.equal(stats.logging.messagesWritten, stats.messagesReceived);
      assert.equal(stats.logging.messagesLost, 0);
      assert.ok(stats.logging.rotations >= 1, 'at least one rotation');
      assert.equal(
        (await savedSessionFiles(path)).length,
        stats.logging.rotations + 1,
        'every rotated file is kept',
      );
      const { seqs, corrupt } = await readSession(path);
      assert.deepEqual(corrupt, []);
      assertContiguous(seqs, stats.messagesReceived);
    },
  );

  it(
    'ended by --duration in the middle of an endless flood: lines saved = frames received',
    TEST,
    async (t) => {
      const server = await startFloodServer({});
      const path = join(tmp, 'duration.jsonl');
      const run = runInProcess(saveArgs(server.url, path, ['--duration', '1']), {}, { keepStdout: false });
      const stats = await endedRun(run);
      const closed = await server.waitFor((e) => e.event === 'close', 5000, 'the server to see the close');
      await server.kill('SIGKILL');
      t.diagnostic(`received ${stats.messagesReceived} frames in 1 s; the server sent ${closed.sent}`);

      assert.ok(stats.messagesReceived > 0 && stats.messagesReceived <= closed.sent!);
      assert.equal(stats.logging.messagesWritten, stats.messagesReceived);
      assert.equal(stats.recordsDisplayed, stats.messagesReceived);
      assert.equal(run.stdoutLines(), stats.messagesReceived);
      const { seqs, corrupt } = await readSession(path);
      assert.deepEqual(corrupt, []);
      assertContiguous(seqs, stats.messagesReceived);
    },
  );
});

describe('save-data write errors: reported, counted, and the display goes on', () => {
  it(
    'a full disk (ulimit -f): one clear error, lines lost counted, every record still displayed',
    TEST,
    async (t) => {
      const server = await startFloodServer({ count: 5000 });
      const path = join(tmp, 'full-disk.jsonl');
      // Spawned: the file size limit is set on the process (by the shell that starts it).
      // 1024 blocks (512 or 1024 bytes, by shell): the file stops growing at 0.5 or 1 MiB of the
      // run's 3.5 MiB. Node ignores SIGXFSZ, so writes fail with EFBIG instead of killing it.
      const run = runCli(
        ['-u', server.url, '--save-data', path, '-f', 'jsonl', '--ping-interval', '0', '--stats'],
        {
          keepStdout: false,
          shellPrefix: 'ulimit -f 1024',
        },
      );
      await server.waitFor((e) => e.event === 'done', 10_000, 'the end of the flood');
      await until(() => run.stdoutLines() >= 5000, 10_000, 'every record displayed');
      run.child.kill('SIGINT');
      const stats = await endedRun(run);
      await server.kill('SIGKILL');

      const errors = notices(run).filter((notice) => notice.type === 'error');
      assert.equal(errors.length, 1, run.stderr().slice(0, 2000));
      assert.equal(errors[0]!.code, 'SAVE_DATA_FAILED');
      assert.match(
        String(errors[0]!.message),
        new RegExp(`^cannot save data to ${path}: EFBIG: file too large`),
      );
      assert.equal(stats.recordsDisplayed, 5000);
      assert.equal(run.stdoutLines(), 5000);
      const logging = stats.logging;
      assert.equal(logging.messageCount, stats.messagesReceived);
      assert.equal(logging.messageCount, logging.messagesWritten + logging.messagesLost);
      assert.ok(logging.messagesLost > 0 && logging.messagesWritten > 0, JSON.stringify(logging));
      assert.ok(logging.writeErrors >= 1);
      assert.match(logging.lastError ?? '', /EFBIG/);
      // What was saved is a prefix of the stream; only the write cut by the limit may be broken.
      // The count of lines written is exact but for that one write: cut short, it is counted
      // as written (rotating-file-stream does not retry short writes); failed, as lost,
      // although part of it may be in the file.
      const { seqs, corrupt } = await readSession(path);
      t.diagnostic(`${seqs.length} lines read back; ${logging.messagesWritten} counted as written`);
      assert.ok(corrupt.length <= 1, `${corrupt.length} broken lines`);
      assertContiguous(seqs, seqs.length);
      assert.ok(seqs.length > 0 && seqs.length < logging.messageCount, `${seqs.length} lines read back`);
    },
  );

  it('the folder removed while saving: reported, counted, every record still displayed', TEST, async () => {
    const server = await startFloodServer({ intervalMs: 5 });
    const folder = join(tmp, 'removed');
    mkdirSync(folder);
    const path = join(folder, 'data.jsonl');
    const run = runInProcess(
      ['-u', server.url, '--save-data', path, '-f', 'jsonl', '--ping-interval', '0', '--stats'],
      {},
      { keepStdout: false },
    );
    await until(() => run.stdoutLines() >= 20, 8000, 'the first records');
    rmSync(folder, { recursive: true });
    // The handler looks at its file once a second.
    await until(() => /cannot save data/.test(run.stderr()), 5000, 'the error');
    const atError = run.stdoutLines();
    await until(() => run.stdoutLines() >= atError + 20, 5000, 'records after the error');
    run.interrupt();
    const stats = await endedRun(run);
    await server.kill('SIGKILL');

    const errors = notices(run).filter((notice) => notice.type === 'error');
    assert.equal(errors.length, 1, 'reported once, then counted');
    assert.match(
      String(errors[0]!.message),
      new RegExp(`^cannot save data to ${path}: the file was removed or moved`),
    );
    assert.equal(stats.recordsDisplayed, stats.messagesReceived);
    assert.equal(run.stdoutLines(), stats.messagesReceived);
    const logging = stats.logging;
    assert.ok(logging.writeErrors >= 1);
    assert.equal(logging.messageCount, stats.messagesReceived);
    assert.equal(logging.messageCount, logging.messagesWritten + logging.messagesLost);
    assert.ok(logging.messagesLost > 0, JSON.stringify(logging));
  });
});
