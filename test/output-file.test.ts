/**
 * Output files (save-data, log file): created 0600, only regular files, and never reached
 * through a symbolic link that another user planted (as O_NOFOLLOW would refuse it); a link
 * the user made himself is followed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OutputFileError, openOutputFile, validateOutputPath } from '../src/files/output-file.js';
import { OTHER_UID, plantForeignSymlink } from './helpers/foreign-symlink.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'output-file-test-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let cases = 0;
const fresh = (name: string) => join(tmp, `${++cases}-${name}`);

describe('openOutputFile', () => {
  it('creates a new file with mode 0600 and appends to it', async () => {
    const path = fresh('data.jsonl');
    const file = await openOutputFile(path);
    await file.write('one\n');
    await file.close();
    const again = await openOutputFile(path);
    await again.write('two\n');
    await again.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), 'one\ntwo\n');
  });

  it('refuses a symbolic link owned by another user, and writes nothing through it', async () => {
    const target = fresh('victim');
    writeFileSync(target, 'untouched\n');
    const link = plantForeignSymlink(fresh('data.jsonl'), target);
    await assert.rejects(openOutputFile(link), (error: unknown) => {
      assert.ok(error instanceof OutputFileError);
      assert.match(
        error.message,
        new RegExp(
          `is a symbolic link owned by another user \\(uid ${OTHER_UID}\\): refusing to write through it`,
        ),
      );
      return true;
    });
    assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
    assert.match(validateOutputPath(link) ?? '', /symbolic link owned by another user/);
  });

  it('follows a symbolic link of the user himself', async () => {
    const target = fresh('real.jsonl');
    const link = fresh('link.jsonl');
    symlinkSync(target, link);
    assert.equal(validateOutputPath(link), undefined);
    const file = await openOutputFile(link);
    await file.write('through my link\n');
    await file.close();
    assert.equal(readFileSync(target, 'utf8'), 'through my link\n');
  });

  it('refuses a FIFO without blocking', async () => {
    const fifo = fresh('fifo');
    execFileSync('mkfifo', [fifo]);
    assert.equal(validateOutputPath(fifo), `${fifo} is not a regular file`);
    await assert.rejects(openOutputFile(fifo), /is a named pipe \(FIFO\), not a regular file/);
  });
});
