/**
 * Credential and certificate files are read without ever blocking, and only when they are
 * regular files of a sane size: a FIFO, a device, a folder or a huge file is refused with a
 * clear reason, never with its content. A secret file that others can read is flagged.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CredentialFileError } from '../src/errors.js';
import { MAX_TOKEN_FILE_BYTES, readCredentialFile, sharedSecretWarning } from '../src/files/secure-files.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'secure-files-test-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function refusal(path: string, maxBytes = MAX_TOKEN_FILE_BYTES): string {
  try {
    readCredentialFile(path, maxBytes);
  } catch (error) {
    assert.ok(error instanceof CredentialFileError, String(error));
    assert.equal(error.code, 'CREDENTIAL_FILE');
    assert.equal(error.path, path);
    return error.reason;
  }
  return assert.fail(`${path} was read`);
}

describe('readCredentialFile', () => {
  it('reads a regular file and reports who may read it', () => {
    const path = join(tmp, 'token.txt');
    writeFileSync(path, 'tok-1\n');
    chmodSync(path, 0o600);
    assert.deepEqual(readCredentialFile(path, 100), {
      text: 'tok-1\n',
      mode: 0o600,
      readableByOthers: false,
    });
    chmodSync(path, 0o644);
    assert.equal(readCredentialFile(path, 100).readableByOthers, true);
    chmodSync(path, 0o640);
    assert.equal(readCredentialFile(path, 100).readableByOthers, true);
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    assert.equal(refusal(fifo), 'it is a named pipe (FIFO), not a regular file');
    assert.ok(Date.now() - started < 1000);
  });

  it('refuses devices and folders', () => {
    assert.equal(refusal('/dev/zero'), 'it is a character device, not a regular file');
    const folder = join(tmp, 'folder');
    mkdirSync(folder);
    assert.equal(refusal(folder), 'it is a folder, not a regular file');
  });

  it('refuses a file larger than allowed, without reading it all', () => {
    const path = join(tmp, 'big.txt');
    writeFileSync(path, 'x'.repeat(2000));
    assert.equal(refusal(path, 1000), 'it is 2000 bytes, more than the 1000 allowed');
    assert.equal(readCredentialFile(path, 2000).text.length, 2000);
  });

  it('names a missing file and a denied one by their reason', () => {
    assert.equal(refusal(join(tmp, 'missing')), 'no such file');
  });
});

describe('sharedSecretWarning', () => {
  it('says which file, its mode, and how to fix it; nothing for a private file', () => {
    const path = join(tmp, 'shared.txt');
    writeFileSync(path, 'tok');
    chmodSync(path, 0o644);
    assert.equal(
      sharedSecretWarning('--token-file', path, readCredentialFile(path, 10)),
      `--token-file ${path} is readable by other users (mode 644): protect it with chmod 600 ${path}`,
    );
    chmodSync(path, 0o600);
    assert.equal(sharedSecretWarning('--token-file', path, readCredentialFile(path, 10)), undefined);
  });
});
