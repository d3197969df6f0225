/**
 * The client's edges (issue 18), each reproduced through the real command: a duration beyond
 * Node's timer range, sane ranges checked at the flag, secrets in usage errors and in what a
 * server echoes, credentials in clear text, hostile credential files (a FIFO, a device),
 * output files (mode 0600, another user's symbolic link), reserved handshake headers, and
 * server notices with invisible characters or of any length.
 *
 * Everything runs the command in this process (`run(argv, io)`). A CLI that opened a FIFO
 * blocking would block this whole process: a worker thread opens the FIFO's other end after a
 * while, so that such a CLI reads nothing and fails the test instead of hanging it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createProgram, type ParsedFlags, resolveOptions } from '../src/cli/options.js';
import { run } from '../src/cli/run.js';
import { readEnvironmentConfig } from '../src/config.js';
import { fixtureFrame } from './helpers/fixtures.js';
import { OTHER_UID, plantForeignSymlink } from './helpers/foreign-symlink.js';
import { runInProcess, runUntil } from './helpers/in-process-cli.js';
import { TestServer, until } from './helpers/test-server.js';

const TEST = { timeout: 10_000 };
const MONITORING_DATA = fixtureFrame('real-server', 'monitoring_data');

let tmp: string;
let files = 0;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'client-edges-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function file(content: string, mode = 0o600): string {
  const path = join(tmp, `file-${++files}`);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function fifo(): string {
  const path = join(tmp, `fifo-${++files}`);
  execFileSync('mkfifo', [path]);
  return path;
}

/**
 * After `ms`, opens the write end of the FIFO at `path` and closes it at once, from another
 * thread: a reader blocked in opening it (this very thread) gets an empty file and goes on.
 */
function unblockFifoAfter(path: string, ms: number): Worker {
  const worker = new Worker(
    `const { closeSync, constants, openSync } = require('node:fs');
     const { workerData } = require('node:worker_threads');
     setTimeout(() => {
       try { closeSync(openSync(workerData, constants.O_WRONLY | constants.O_NONBLOCK)); } catch {}
     }, ${ms});`,
    { eval: true, workerData: path },
  );
  worker.unref();
  return worker;
}

/** Runs the command in this process; for arguments that end in a usage error. */
async function usage(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const collect = (onText: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        onText(String(chunk));
        done();
      },
    });
  const code = await run(argv, {
    stdout: collect(() => {}),
    stderr: collect((text) => {
      stderr += text;
    }),
    env: { PATH: process.env.PATH ?? '', ...env },
    // A command that is wrongly accepted runs: it is stopped, and the test fails on its exit code.
    signal: AbortSignal.timeout(3000),
  });
  return { code, stderr };
}

/** The options the command line resolves to, without running anything. */
function resolved(argv: string[], env: Record<string, string> = {}) {
  const program = createProgram('0.0.0', { out: () => {}, err: () => {} });
  program.parse(argv, { from: 'user' });
  return resolveOptions(program.opts<ParsedFlags>(), readEnvironmentConfig(env), env);
}

function assertOneLine(stderr: string): void {
  assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

describe('--duration beyond the range of a Node timer', () => {
  it('-d 2592000 (30 days) runs instead of ending at once', TEST, async () => {
    const server = await TestServer.start({ greeting: [MONITORING_DATA] });
    try {
      const cli = runInProcess([
        '-u',
        server.url,
        '-d',
        '2592000',
        '--ping-interval',
        '0',
        '--stats',
        '-f',
        'jsonl',
      ]);
      let ended = false;
      void cli.exit.then(() => {
        ended = true;
      });
      await until(() => cli.stdoutLines() >= 1, 5000, 'the first record');
      // A timer beyond Node's range fires at once (after a tick): a second leaves it room.
      const started = Date.now();
      await until(() => Date.now() - started >= 1000, 2000, 'a second of running');
      assert.equal(ended, false, `ended early: ${cli.stderr()}`);
      await server.broadcast(MONITORING_DATA);
      await until(() => cli.stdoutLines() >= 2, 5000, 'a record after a second');
      cli.interrupt();
      assert.equal(await cli.exit, 0);
    } finally {
      await server.close();
    }
  });
});

describe('ranges, checked at the flag with its own name', () => {
  const refused: [string[], RegExp][] = [
    [['--save-data-keep', '1000000000'], /--save-data-keep <count>' argument '1000000000'.*from 1 to 1000$/m],
    [['--reconnect-interval', '1e-9'], /--reconnect-interval <seconds>' argument '1e-9'.*from 0\.1 to 86400/],
    [['--reconnect-interval', '0.01'], /--reconnect-interval.*'0\.01'.*from 0\.1 to 86400/],
    [['--reconnect-interval', '3000000'], /--reconnect-interval.*'3000000'.*from 0\.1 to 86400/],
    [['--ping-interval', '0x10'], /--ping-interval.*'0x10'.*decimal/],
    [['--max-reconnects', '0x10'], /--max-reconnects.*'0x10'/],
    [['--max-payload', '1e3'], /--max-payload.*'1e3'/],
    [['--ping-timeout', 'Infinity'], /--ping-timeout.*'Infinity'/],
    [['--connect-timeout', '0'], /--connect-timeout.*'0'.*from 0\.1 to 3600/],
    [['--duration', '400000000'], /--duration.*'400000000'.*<= 315360000/],
    [['--save-data-max-size', '100'], /--save-data-max-size.*'100'.*from 1024 to/],
  ];
  for (const [argv, expected] of refused) {
    it(`refuses ${argv.join(' ')}`, async () => {
      const { code, stderr } = await usage(argv);
      assert.equal(code, 2);
      assert.match(stderr, expected);
      assert.doesNotMatch(
        stderr,
        /reconnectInterval|pingInterval|maxPayload/,
        'names the flag, not the library option',
      );
      assertOneLine(stderr);
    });
  }

  it('accepts the ends of each range', () => {
    const options = resolved([
      '--reconnect-interval',
      '0.1',
      '--max-reconnects',
      '1000000',
      '--ping-interval',
      '0',
      '--ping-timeout',
      '3600',
      '--save-data-keep',
      '1000',
      '--duration',
      '315360000',
      '--max-payload',
      '1',
    ]);
    assert.equal(options.reconnectInterval, 0.1);
    assert.equal(options.maxReconnects, 1_000_000);
    assert.equal(options.pingInterval, 0);
    assert.equal(options.saveDataKeep, 1000);
    assert.equal(options.duration, 315_360_000);
  });
});

describe('secrets never show in a usage error', () => {
  const cases: [string, string[], Record<string, string>, string, RegExp][] = [
    [
      'MONITORING_TOKEN with a control character',
      [],
      { MONITORING_TOKEN: 'env-secret-token-1\u0007' },
      'env-secret-token-1',
      /invalid MONITORING_TOKEN \(the token cannot be sent in a header: it holds a control character at position 19\)/,
    ],
    [
      '-H with a character beyond Latin-1',
      ['-H', 'X-Api-Key: api-secret-\u20ac-2'],
      {},
      'api-secret-',
      /invalid --header: the value of "X-Api-Key" cannot be sent: it holds a character beyond Latin-1 at position 12/,
    ],
    [
      '-H Authorization without its colon',
      ['-H', 'Authorization Bearer no-colon-secret-3'],
      {},
      'no-colon-secret-3',
      /invalid --header: '\[redacted\]' \(expected 'Name: value'\)/,
    ],
    [
      '-u http://user:password@host/',
      ['-u', 'http://admin:uri-secret-4@monitor.example/'],
      {},
      'uri-secret-4',
      /invalid --uri: "http:\/\/admin:\[redacted\]@monitor\.example\/"/,
    ],
    [
      'MONITORING_WEBSOCKET_URI=http://user:password@host/',
      [],
      { MONITORING_WEBSOCKET_URI: 'http://admin:env-uri-secret-5@monitor.example/' },
      'env-uri-secret-5',
      /invalid MONITORING_WEBSOCKET_URI: "http:\/\/admin:\[redacted\]@monitor\.example\/"/,
    ],
  ];
  for (const [name, argv, env, secret, expected] of cases) {
    it(name, async () => {
      const { code, stderr } = await usage(argv, env);
      assert.equal(code, 2);
      assert.match(stderr, expected);
      assert.ok(!stderr.includes(secret), `the secret shows: ${stderr}`);
      assertOneLine(stderr);
    });
  }

  it('a --token-file holding a character beyond Latin-1', async () => {
    const path = file('file-secret-6-\u2019\n');
    const { code, stderr } = await usage(['--token-file', path]);
    assert.equal(code, 2);
    assert.match(
      stderr,
      /invalid --token-file: ".*" \(the token cannot be sent in a header: it holds a character beyond Latin-1/,
    );
    assert.ok(!stderr.includes('file-secret-6'));
  });
});

describe('reserved handshake headers', () => {
  for (const header of ['Sec-WebSocket-Key: x', 'Upgrade: h2c', 'connection: close', 'Host: evil.example']) {
    it(`refuses -H '${header}'`, async () => {
      const { code, stderr } = await usage(['-H', header]);
      assert.equal(code, 2);
      const name = header.slice(0, header.indexOf(':'));
      assert.match(
        stderr,
        new RegExp(`invalid --header: "${name}" is set by the WebSocket handshake itself`),
      );
      assertOneLine(stderr);
    });
  }
});

describe('credentials in clear text', () => {
  it('a warning when a token, a credential header or a URI password goes unencrypted to another machine', () => {
    const warning =
      /will be sent unencrypted to monitor\.example:8765 \(ws:\/\/\), readable by anyone on the path: use wss:\/\//;
    assert.match(
      resolved(['-u', 'ws://monitor.example:8765'], { MONITORING_TOKEN: 'tok-1' }).warnings.join(),
      warning,
    );
    assert.match(
      resolved(['-u', 'ws://monitor.example:8765', '-H', 'X-Api-Key: k']).warnings.join(),
      /^X-Api-Key will/,
    );
    assert.match(
      resolved(['-u', 'ws://me:pw@monitor.example:8765']).warnings.join(),
      /^the user name and password of the URI will/,
    );
    // Encrypted, local, or nothing secret: no warning.
    assert.deepEqual(
      resolved(['-u', 'wss://monitor.example:8765'], { MONITORING_TOKEN: 'tok-1' }).warnings,
      [],
    );
    assert.deepEqual(resolved(['-u', 'ws://127.0.0.1:8765'], { MONITORING_TOKEN: 'tok-1' }).warnings, []);
    assert.deepEqual(resolved(['-u', 'ws://localhost:8765', '-H', 'Authorization: Bearer t']).warnings, []);
    assert.deepEqual(resolved(['-u', 'ws://monitor.example:8765', '-H', 'X-Trace: 1']).warnings, []);
  });
});

describe('credential and certificate files', () => {
  for (const option of ['--token-file', '--ca', '--cert', '--key']) {
    it(`${option} naming a FIFO: a clear error at once, instead of blocking forever`, TEST, async () => {
      const path = fifo();
      const guard = unblockFifoAfter(path, 3000);
      try {
        const started = Date.now();
        const { code, stderr } = await usage([option, path]);
        const ms = Date.now() - started;
        assert.equal(code, 2);
        assert.match(
          stderr,
          new RegExp(`invalid ${option}: ".*" \\(it is a named pipe \\(FIFO\\), not a regular file\\)`),
        );
        assert.ok(ms < 2000, `answered after ${ms} ms: it waited for a writer`);
      } finally {
        await guard.terminate();
      }
    });
  }

  it('--token-file /dev/zero: refused, not read', TEST, async () => {
    const { code, stderr } = await usage(['--token-file', '/dev/zero']);
    assert.equal(code, 2);
    assert.match(
      stderr,
      /invalid --token-file: "\/dev\/zero" \(it is a character device, not a regular file\)/,
    );
  });

  it('a file larger than allowed: refused, naming the size', async () => {
    const { code, stderr } = await usage(['--token-file', file('x'.repeat(70_000))]);
    assert.equal(code, 2);
    assert.match(stderr, /it is 70000 bytes, more than the 65536 allowed/);
  });

  it(
    'a token file readable by other users is sent, with a warning; a private one without',
    TEST,
    async () => {
      const server = await TestServer.start({ greeting: [MONITORING_DATA] });
      try {
        const shared = file('shared-token-7\n', 0o644);
        const record = (run: { stdoutLines(): number }) => run.stdoutLines() >= 1;
        const [loose, strict] = await Promise.all([
          runUntil(['-u', server.url, '--token-file', shared, '--ping-interval', '0'], record, 'a record'),
          runUntil(
            ['-u', server.url, '--token-file', file('private-token\n'), '--ping-interval', '0'],
            record,
            'a record',
          ),
        ]);
        assert.equal(loose.code, 0, loose.stderr);
        assert.equal(strict.code, 0, strict.stderr);
        assert.match(
          loose.stderr,
          new RegExp(
            `^monitoring-websocket-client: warning: --token-file ${shared} is readable by other users \\(mode 644\\): protect it with chmod 600`,
          ),
        );
        assert.doesNotMatch(strict.stderr, /warning/);
        assert.equal(loose.stdout.split('\n').length, 2, 'one record');
      } finally {
        await server.close();
      }
    },
  );
});

describe('output files', () => {
  it('--save-data and --log-file are created 0600', TEST, async () => {
    const server = await TestServer.start({ greeting: [MONITORING_DATA] });
    try {
      const saved = join(tmp, 'created.jsonl');
      const log = join(tmp, 'created.log');
      const cli = await runUntil(
        ['-u', server.url, '--save-data', saved, '--log-file', log, '--ping-interval', '0'],
        (run) => run.stdoutLines() >= 1,
        'a record',
      );
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(statSync(saved).mode & 0o777, 0o600);
      assert.equal(statSync(log).mode & 0o777, 0o600);
      assert.match(readFileSync(log, 'utf8'), /INFO connected to ws:\/\/127\.0\.0\.1/);
    } finally {
      await server.close();
    }
  });

  for (const option of ['--save-data', '--log-file']) {
    it(
      `${option} through a symbolic link planted by another user: refused, the target untouched`,
      TEST,
      async () => {
        const victim = file('untouched\n');
        const link = plantForeignSymlink(join(tmp, `planted-${++files}`), victim);
        const { code, stderr } = await usage([option, link, '-u', 'ws://127.0.0.1:1']);
        assert.equal(code, 2);
        assert.match(
          stderr,
          new RegExp(
            `invalid ${option}: ".*" \\(.* is a symbolic link owned by another user \\(uid ${OTHER_UID}\\): refusing to write through it\\)`,
          ),
        );
        assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
      },
    );
  }
});

describe('what a server says, printed safely', () => {
  it('invisible characters removed, a huge error message cut with the cut marked', TEST, async () => {
    const connection = JSON.stringify({
      type: 'connection',
      message: 'Conn\u200bected\u2028to\u{e0041}\u{e0042} s\u00aderver\ufeff',
      timestamp: '2026-11-25T16:46:29.043436',
    });
    const huge = JSON.stringify({ type: 'error', message: `boom ${'x'.repeat(500_000)}` });
    const server = await TestServer.start({ greeting: [connection, huge] });
    try {
      // The error comes last: once it is printed, so is the connection notice.
      const [text, json] = await Promise.all([
        runUntil(['-u', server.url, '--ping-interval', '0'], (r) => r.stderr().includes('cut:'), 'the error'),
        runUntil(
          ['-u', server.url, '--ping-interval', '0', '-f', 'jsonl'],
          (r) => r.stderr().includes('cut:'),
          'the error',
        ),
      ]);
      assert.equal(text.code, 0);
      assert.equal(json.code, 0);
      const lines = text.stderr.trimEnd().split('\n');
      assert.ok(lines.includes('[16:46:29] ✓ Connected to server'), text.stderr.slice(0, 500));
      const error = lines.find((line) => line.startsWith('✗ Error: boom'));
      assert.ok(error !== undefined && error.length < 1100, `error line of ${error?.length} characters`);
      assert.match(error, /x… \[cut: 499,005 more characters\]$/);
      assert.doesNotMatch(text.stderr, /[\u200b\u2028\u00ad\ufeff]|\udb40/);

      const notices = json.stderr
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; message: string });
      const jsonConnection = notices.find((notice) => notice.type === 'connection');
      assert.equal(
        jsonConnection?.message,
        'Conn\u200bected\u2028to\u{e0041}\u{e0042} s\u00aderver\ufeff',
        'JSON keeps the data',
      );
      assert.match(json.stderr, /Conn\\u200bected\\u2028to\\udb40\\udc41/, 'escaped, not raw');
      const jsonError = notices.find((notice) => notice.type === 'error');
      assert.ok(jsonError?.message.endsWith('… [cut: 499,005 more characters]'));
    } finally {
      await server.close();
    }
  });

  it('the Basic credential built from the URI is redacted when a server echoes it', TEST, async () => {
    const http = createHttpServer();
    http.on('upgrade', (request, socket) => {
      socket.end(
        `HTTP/1.1 401 Refused ${request.headers.authorization}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    try {
      const port = (http.address() as AddressInfo).port;
      const log = join(tmp, 'echo.log');
      const cli = runInProcess([
        '-u',
        `ws://monitor:uri-secret-8@127.0.0.1:${port}`,
        '--no-reconnect',
        '-v',
        '--log-file',
        log,
      ]);
      assert.equal(await cli.exit, 1);
      const basic = Buffer.from('monitor:uri-secret-8').toString('base64');
      assert.match(cli.stderr(), /HTTP 401 Refused Basic \[redacted\]/);
      for (const where of [cli.stderr(), cli.stray(), readFileSync(log, 'utf8')]) {
        assert.ok(!where.includes(basic) && !where.includes('uri-secret-8'), where);
      }
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });
});
