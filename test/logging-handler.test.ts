import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { InvalidOptionError } from '../src/errors.js';
import type { IncomingMessage } from '../src/handlers/handler.js';
import {
  BATCH_BYTES,
  type CorruptLine,
  LoggingHandler,
  type LoggingHandlerOptions,
  readSavedSession,
  SaveDataError,
  type SavedRecord,
  savedSessionFiles,
} from '../src/handlers/logging-handler.js';
import type { Logger } from '../src/logger.js';
import { parseFrame, type ReceivedFrame } from '../src/protocol/frame.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const REPO = fileURLToPath(new URL('..', import.meta.url));

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'logging-handler-test-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

let folders = 0;
function freshFolder(): string {
  const folder = join(root, `case-${++folders}`);
  mkdirSync(folder);
  return folder;
}

function text(raw: string, receivedAt = T0): IncomingMessage {
  return { frame: parseFrame(raw, false, receivedAt) };
}

/** A monitoring-like frame of about `size` bytes carrying its sequence number. */
function numbered(seq: number, size = 1000): IncomingMessage {
  const raw = JSON.stringify({ type: 'monitoring_data', seq, pad: 'x'.repeat(Math.max(0, size - 50)) });
  return text(raw, T0 + seq);
}

interface Recorded {
  errors: Error[];
  logged: string[];
  logger: Logger;
}

function recorder(): Recorded {
  const errors: Error[] = [];
  const logged: string[] = [];
  const ignore = () => {};
  return {
    errors,
    logged,
    logger: { debug: ignore, info: ignore, warn: ignore, error: (m) => logged.push(m) },
  };
}

function create(options: LoggingHandlerOptions, recorded = recorder()): LoggingHandler {
  return new LoggingHandler({ logger: recorded.logger, onError: (e) => recorded.errors.push(e), ...options });
}

async function readAll(path: string): Promise<{ records: SavedRecord[]; corrupt: CorruptLine[] }> {
  const records: SavedRecord[] = [];
  const corrupt: CorruptLine[] = [];
  for await (const record of readSavedSession(path, { onCorruptLine: (c) => corrupt.push(c) })) {
    records.push(record);
  }
  return { records, corrupt };
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('LoggingHandler: line format', () => {
  it('writes one JSON object per frame: time of receipt and the frame as received', async () => {
    const path = join(freshFolder(), 'monitoring.log');
    const handler = create({ path });
    const at = Date.UTC(2026, 10, 25, 16, 46, 29, 42);
    handler.handleMessage(text('{"type":"pong","timestamp":"2026-11-25T16:46:29.043436"}', at));
    handler.handleMessage(text('Invalid message', at + 1));
    handler.handleMessage(text('[1, 2]', at + 2));
    handler.handleMessage({ frame: parseFrame(Buffer.from([0, 1, 254, 255]), true, at + 3) });
    handler.handleMessage({
      frame: { raw: '', size: 2_000_000, receivedAt: at + 4, invalidReason: 'too_large' },
    });
    await handler.close();
    assert.deepEqual(readFileSync(path, 'utf8').split('\n'), [
      '{"received_at":"2026-11-25T16:46:29.042Z","message":{"type":"pong","timestamp":"2026-11-25T16:46:29.043436"}}',
      '{"received_at":"2026-11-25T16:46:29.043Z","invalid":"not_json","raw":"Invalid message"}',
      '{"received_at":"2026-11-25T16:46:29.044Z","invalid":"not_object","message":[1, 2]}',
      '{"received_at":"2026-11-25T16:46:29.045Z","invalid":"binary","raw_base64":"AAH+/w=="}',
      '{"received_at":"2026-11-25T16:46:29.046Z","invalid":"too_large","size":2000000}',
      '',
    ]);
  });

  it('embeds a valid frame verbatim, on one line, even when the server pretty-prints it', async () => {
    const path = join(freshFolder(), 'monitoring.log');
    const handler = create({ path });
    // Digits beyond double precision and escapes stay exactly as sent.
    const raw =
      '{\r\n  "type": "monitoring_data",\n  "big": 12345678901234567890123,\n  "s": "a\\nb\\u00e9"\n}\n';
    handler.handleMessage(text(raw));
    await handler.close();
    const [line, rest] = readFileSync(path, 'utf8').split('\n');
    assert.equal(rest, '');
    assert.ok(line?.includes('"big": 12345678901234567890123'), line);
    assert.ok(line?.includes('"s": "a\\nb\\u00e9"'), line);
    assert.deepEqual(JSON.parse(line!).message, JSON.parse(raw));
  });

  it("keeps a frame with Python's NaN as valid JSON (null) plus the text as received", async () => {
    const path = join(freshFolder(), 'monitoring.log');
    const handler = create({ path });
    const raw = '{"type":"monitoring_data","data":{"processor":{"usage_percent":NaN}}}';
    handler.handleMessage({ frame: parseFrame(raw, false, T0) });
    await handler.close();
    const line = JSON.parse(readFileSync(path, 'utf8').trimEnd());
    assert.deepEqual(line.message, { type: 'monitoring_data', data: { processor: { usage_percent: null } } });
    assert.equal(line.raw, raw);
  });

  it('reads back what any frame was: valid, not JSON, not an object, binary', async () => {
    const frame = fc.oneof(
      fc.json().map((raw) => parseFrame(raw, false, T0)),
      fc.jsonValue().map((value) => parseFrame(JSON.stringify(value, null, 2), false, T0)),
      fc.string({ unit: 'binary' }).map((raw) => parseFrame(raw, false, T0)),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => parseFrame(Buffer.from(bytes), true, T0)),
    );
    const frames: ReceivedFrame[] = fc.sample(frame, { numRuns: 500, seed: 42 });
    const path = join(freshFolder(), 'monitoring.log');
    const handler = create({ path });
    for (const f of frames) handler.handleMessage({ frame: f });
    await handler.close();
    const { records, corrupt } = await readAll(path);
    assert.deepEqual(corrupt, []);
    assert.equal(records.length, frames.length);
    frames.forEach((f, i) => {
      const record = records[i]!;
      if (f.invalidReason === 'binary') {
        assert.equal(record.raw_base64, f.raw);
      } else if (f.invalidReason === 'not_json') {
        assert.equal(record.raw, f.raw);
      } else {
        assert.equal(record.invalid, f.invalidReason);
        assert.deepEqual(record.message, JSON.parse(f.repairedJson ?? f.raw));
      }
    });
  });

  it('writes received_at as ISO 8601 UTC with milliseconds, for any time and order', async () => {
    const times = fc.sample(
      fc.oneof(
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        fc.integer({ min: T0, max: T0 + 3000 }), // Same second, neighbouring seconds.
      ),
      { numRuns: 400, seed: 7 },
    );
    const path = join(freshFolder(), 'monitoring.log');
    const handler = create({ path });
    for (const at of times) handler.handleMessage(text('{}', at));
    const before = Date.now();
    handler.handleMessage(text('{}', Number.NaN)); // A broken clock: the time of writing is used.
    await handler.close();
    const after = Date.now();
    const { records } = await readAll(path);
    times.forEach((at, i) => {
      assert.equal(records[i]?.received_at, new Date(at).toISOString());
    });
    const fallback = Date.parse(records.at(-1)!.received_at);
    assert.ok(fallback >= before && fallback <= after);
  });
});

describe('LoggingHandler: nothing lost', () => {
  it('saves every frame exactly once across many rotations, in order', async () => {
    const folder = freshFolder();
    const path = join(folder, 'monitoring.log');
    const maxSize = 128 * 1024;
    const total = 20_000;
    // Enough to keep every rotated file: a file holds at least maxSize bytes. (Not more:
    // rotating-file-stream looks at every kept name at each rotation.)
    const handler = create({ path, maxSize, maxFiles: Math.ceil((total * 1000) / maxSize) + 10 });
    for (let seq = 0; seq < total; seq++) {
      handler.handleMessage(numbered(seq));
      // Frames arrive in bursts, as from a socket, so rotations happen while lines keep coming.
      if (seq % 250 === 249) await new Promise((done) => setImmediate(done));
    }
    await handler.close();
    const stats = handler.getStats();
    assert.equal(stats.messageCount, total);
    assert.equal(stats.messagesWritten, total);
    assert.equal(stats.messagesLost, 0);
    assert.equal(stats.writeErrors, 0);
    assert.equal(stats.pendingBytes, 0);

    const files = await savedSessionFiles(path);
    assert.ok(
      stats.rotations >= (total * 1000) / (maxSize + BATCH_BYTES),
      `only ${stats.rotations} rotations`,
    );
    assert.equal(files.length, stats.rotations + 1);
    assert.equal(files.at(-1), path);
    assert.equal(files[0], `${path}.${stats.rotations}`);
    let bytes = 0;
    for (const file of files) {
      const size = statSync(file).size;
      bytes += size;
      assert.ok(size < maxSize + BATCH_BYTES, `${file} has ${size} bytes`);
      assert.ok(size === 0 || readFileSync(file, 'utf8').endsWith('\n'), `${file} ends mid-line`);
    }
    assert.equal(bytes, stats.bytesWritten);

    const { records, corrupt } = await readAll(path);
    assert.deepEqual(corrupt, []);
    const seqs = records.map((r) => (r.message as { seq: number }).seq);
    assert.equal(seqs.length, total);
    // In order and complete means no line split, duplicated or lost.
    seqs.forEach((seq, i) => {
      if (seq !== i) assert.fail(`line ${i} holds frame ${seq}`);
    });
  });

  it('keeps maxFiles rotated files, the newest, with no gap', async () => {
    const path = join(freshFolder(), 'data.jsonl');
    const handler = create({ path, maxSize: 16 * 1024, maxFiles: 3 });
    for (let seq = 0; seq < 2000; seq++) {
      handler.handleMessage(numbered(seq, 200));
      if (seq % 100 === 99) await new Promise((done) => setImmediate(done));
    }
    await handler.close();
    assert.deepEqual(
      (await savedSessionFiles(path)).map((f) => f.slice(path.length)),
      ['.3', '.2', '.1', ''],
    );
    const { records } = await readAll(path);
    const seqs = records.map((r) => (r.message as { seq: number }).seq);
    assert.equal(seqs.at(-1), 1999);
    assert.ok(seqs.length < 2000, 'older files were removed');
    seqs.forEach((seq, i) => {
      if (i > 0 && seq !== seqs[i - 1]! + 1) assert.fail(`gap after frame ${seqs[i - 1]}`);
    });
  });

  it('close() resolves once every line handed in before it is in the file', async () => {
    const path = join(freshFolder(), 'monitoring.log');
    const handler = create({ path, maxSize: 32 * 1024, maxFiles: 100 });
    for (let seq = 0; seq < 3000; seq++) handler.handleMessage(numbered(seq, 300));
    assert.ok(handler.getStats().pendingBytes > 0, 'lines wait in memory before close');
    const closing = handler.close();
    assert.equal(handler.close(), closing, 'close is idempotent');
    await closing;
    const lines = (await savedSessionFiles(path))
      .map((file) => readFileSync(file, 'utf8'))
      .join('')
      .split('\n')
      .filter(Boolean);
    assert.equal(lines.length, 3000);
    assert.equal(handler.getStats().pendingBytes, 0);
  });

  it('appends to an existing session, and a session is read back across restarts', async () => {
    const path = join(freshFolder(), 'monitoring.log');
    const first = create({ path });
    first.handleMessage(numbered(0, 100));
    await first.close();
    const second = create({ path });
    second.handleMessage(numbered(1, 100));
    await second.close();
    const { records } = await readAll(path);
    assert.deepEqual(
      records.map((r) => (r.message as { seq: number }).seq),
      [0, 1],
    );
  });

  it('starts on a new line when the file ends with a cut line (a full disk, a crash)', async () => {
    const path = join(freshFolder(), 'monitoring.log');
    writeFileSync(
      path,
      '{"received_at":"2026-11-25T12:00:00.000Z","message":{"seq":0}}\n{"received_at":"2026-1',
    );
    const handler = create({ path });
    handler.handleMessage(numbered(1, 100));
    await handler.close();
    const { records, corrupt } = await readAll(path);
    assert.deepEqual(
      records.map((r) => (r.message as { seq: number }).seq),
      [0, 1],
    );
    assert.deepEqual(corrupt, [{ file: path, line: 2, text: '{"received_at":"2026-1' }]);
  });

  it('does not create a file when closed before any frame', async () => {
    const path = join(freshFolder(), 'monitoring.log');
    const handler = create({ path });
    await handler.close();
    assert.equal(existsSync(path), false);
    handler.handleMessage(numbered(0));
    assert.equal(handler.getStats().messageCount, 0, 'frames after close are not taken');
  });
});

describe('LoggingHandler: write errors', () => {
  it('a folder that is a file: reported once, counted, never thrown', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'not-a-folder'), '');
    const path = join(folder, 'not-a-folder', 'monitoring.log');
    const recorded = recorder();
    const handler = create({ path, retryDelay: 0 }, recorded);
    for (let seq = 0; seq < 5; seq++) {
      assert.doesNotThrow(() => handler.handleMessage(numbered(seq)));
      await new Promise((done) => setImmediate(done));
    }
    await handler.close();
    assert.equal(recorded.errors.length, 1);
    const [error] = recorded.errors;
    assert.ok(error instanceof SaveDataError);
    assert.equal(error.code, 'SAVE_DATA_FAILED');
    assert.equal(error.path, path);
    assert.match(error.message, /not-a-folder.*is not a folder/);
    assert.deepEqual(recorded.logged, [error.message]);
    const stats = handler.getStats();
    assert.ok(stats.writeErrors > 1, 'each retry is counted');
    assert.equal(stats.messagesLost, 5);
    assert.equal(stats.messagesWritten, 0);
    assert.equal(stats.lastError, error.message);
  });

  it('a missing folder: reported with its name, not created', async () => {
    const path = join(freshFolder(), 'missing', 'monitoring.log');
    const recorded = recorder();
    const handler = create({ path }, recorded);
    handler.handleMessage(numbered(0));
    await handler.close();
    assert.equal(recorded.errors.length, 1);
    assert.match(recorded.errors[0]!.message, /folder .*missing does not exist/);
    assert.equal(existsSync(join(path, '..')), false);
    assert.equal(handler.getStats().messagesLost, 1);
  });

  it('an onError that throws does not escape', async () => {
    const path = join(freshFolder(), 'missing', 'monitoring.log');
    const handler = new LoggingHandler({
      path,
      onError: () => {
        throw new Error('bad callback');
      },
    });
    handler.handleMessage(numbered(0));
    await handler.close();
    assert.equal(handler.getStats().writeErrors, 1);
  });

  it('a folder removed while saving: detected, reported once, and saving resumes when it is back', async () => {
    const folder = join(freshFolder(), 'logs');
    mkdirSync(folder);
    const path = join(folder, 'monitoring.log');
    const recorded = recorder();
    const handler = create({ path, checkInterval: 5, retryDelay: 0 }, recorded);
    let seq = 0;
    handler.handleMessage(numbered(seq++));
    await until(() => handler.getStats().messagesWritten === 1, 'the first line');
    await sleep(30); // Lets the check learn which file it watches.
    rmSync(folder, { recursive: true });
    await until(() => {
      handler.handleMessage(numbered(seq++));
      return handler.getStats().writeErrors > 0;
    }, 'the removal to be noticed');
    assert.equal(recorded.errors.length, 1);
    assert.match(recorded.errors[0]!.message, /monitoring\.log: the file was removed or moved/);

    // Frames before the removal went to the removed file; this one came after it was noticed.
    const firstAfterRemoval = seq - 1;
    mkdirSync(folder);
    await until(() => {
      handler.handleMessage(numbered(seq++));
      return existsSync(path) && handler.getStats().messagesWritten > 1;
    }, 'saving to resume');
    const last = seq;
    handler.handleMessage(numbered(seq++));
    await handler.close();
    assert.equal(recorded.errors.length, 1, 'later errors are only counted');
    const stats = handler.getStats();
    assert.equal(stats.messageCount, stats.messagesWritten + stats.messagesLost);
    const { records, corrupt } = await readAll(path);
    assert.deepEqual(corrupt, []);
    const seqs = records.map((r) => (r.message as { seq: number }).seq);
    assert.ok(seqs.length > 0 && seqs[0]! >= firstAfterRemoval, `new file starts at ${seqs[0]}`);
    assert.ok(
      seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
      'in order',
    );
    assert.equal(seqs.at(-1), last);
  });

  it('a full disk (a file size limit): reported once with the OS reason, counted, the process goes on', async () => {
    const folder = freshFolder();
    const path = join(folder, 'monitoring.log');
    const script = join(folder, 'flood.mts');
    const source = new URL('../src/handlers/logging-handler.ts', import.meta.url).href;
    const frame = new URL('../src/protocol/frame.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { LoggingHandler } from ${JSON.stringify(source)};
import { parseFrame } from ${JSON.stringify(frame)};
const errors = [];
const logged = [];
const ignore = () => {};
const handler = new LoggingHandler({
  path: ${JSON.stringify(path)},
  retryDelay: 0,
  onError: (e) => errors.push({ message: e.message, osCode: e.osCode }),
  logger: { debug: ignore, info: ignore, warn: ignore, error: (m) => logged.push(m) },
});
for (let seq = 0; seq < 1000; seq++) {
  handler.handleMessage({ frame: parseFrame(JSON.stringify({ seq, pad: 'x'.repeat(900) }), false, Date.now()) });
  if (seq % 50 === 49) await new Promise((done) => setImmediate(done));
}
await handler.close();
console.log(JSON.stringify({ stats: handler.getStats(), errors, logged }));
`,
    );
    // 256 blocks of 512 bytes: the file cannot grow past 128 KiB, as on a full disk (EFBIG
    // instead of ENOSPC). Node ignores SIGXFSZ, so the write fails instead of killing it.
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        '/bin/sh',
        ['-c', 'ulimit -f 256 && exec "$0" --import tsx "$1"', process.execPath, script],
        { cwd: REPO, timeout: 8000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    const { stats, errors, logged } = JSON.parse(stdout.trim().split('\n').at(-1)!);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].osCode, 'EFBIG');
    assert.ok(errors[0].message.startsWith(`cannot save data to ${path}: EFBIG`), errors[0].message);
    assert.deepEqual(logged, [errors[0].message]);
    assert.ok(stats.writeErrors >= 1);
    assert.equal(stats.messageCount, 1000);
    assert.equal(stats.messageCount, stats.messagesWritten + stats.messagesLost);
    assert.ok(stats.messagesLost > 0);
    const { records, corrupt } = await readAll(path);
    // The write that hit the limit may be cut short: at most that one line is broken, and
    // every whole line is a distinct frame, in order.
    assert.ok(corrupt.length <= 1, `${corrupt.length} cut lines`);
    const seqs = records.map((r) => (r.message as { seq: number }).seq);
    // A chunk that failed part-way is counted lost although its first lines reached the
    // file, so the file may hold more whole lines than messagesWritten, never more than sent.
    assert.ok(seqs.length > 0 && seqs.length <= stats.messageCount, `${seqs.length} lines on disk`);
    for (const [i, seq] of seqs.entries()) assert.equal(seq, i);
  });
});

describe('LoggingHandler.validatePath', () => {
  it('accepts a new or existing file in a writable folder', () => {
    const folder = freshFolder();
    assert.equal(LoggingHandler.validatePath(join(folder, 'new.log')), undefined);
    writeFileSync(join(folder, 'old.log'), 'x\n');
    assert.equal(LoggingHandler.validatePath(join(folder, 'old.log')), undefined);
  });

  it('gives a clear reason for each unusable path', () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'file'), '');
    mkdirSync(join(folder, 'dir'));
    const reason = (path: string) => LoggingHandler.validatePath(path) ?? 'accepted';
    assert.equal(reason(''), 'no file name given');
    assert.equal(reason(join(folder, 'nope', 'x.log')), `folder ${join(folder, 'nope')} does not exist`);
    assert.equal(reason(join(folder, 'file', 'x.log')), `${join(folder, 'file')} is not a folder`);
    assert.equal(
      reason(join(folder, 'file', 'deeper', 'x.log')),
      `${join(folder, 'file', 'deeper')} is not a folder (a part of it is a file)`,
    );
    assert.equal(reason(join(folder, 'dir')), `${join(folder, 'dir')} is a folder, not a file`);
    assert.equal(reason('/dev/null'), '/dev/null is not a regular file');
  });
});

describe('LoggingHandler options', () => {
  it('refuses values that are not allowed, naming the option', () => {
    const path = join(root, 'unused.log');
    const cases: [Partial<LoggingHandlerOptions>, string][] = [
      [{ path: '' }, 'path'],
      [{ maxSize: 0 }, 'maxSize'],
      [{ maxSize: 1.5 }, 'maxSize'],
      [{ maxFiles: 0 }, 'maxFiles'],
      [{ retryDelay: -1 }, 'retryDelay'],
      [{ checkInterval: Number.NaN }, 'checkInterval'],
    ];
    for (const [options, name] of cases) {
      assert.throws(
        () => new LoggingHandler({ path, ...options }),
        (error: unknown) => error instanceof InvalidOptionError && error.option === name,
        name,
      );
    }
  });

  it('reports the absolute file in its statistics', async () => {
    const folder = freshFolder();
    const relative = join(folder, '.', 'x.log').replace(`${process.cwd()}/`, '');
    const handler = create({ path: relative });
    assert.equal(handler.getStats().logFile, join(folder, 'x.log'));
    await handler.close();
    assert.deepEqual(readdirSync(folder), []);
  });
});
