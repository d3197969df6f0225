/**
 * Who may connect to the server: the token (401 before the upgrade), TLS (`wss://`, and a
 * certificate replaced without a restart), the Origin check (browser pages refused unless
 * allowed, DNS rebinding included; other clients unaffected), and the warning of an exposed
 * server. Real sockets on 127.0.0.1; our client is the command run in this process
 * (`run(argv, io)`); the server process (for SIGHUP) runs from source.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { InvalidOptionError } from '../src/errors.js';
import type { RealMonitoringData } from '../src/protocol/messages.js';
import { runServer } from '../src/server/cli.js';
import { MonitoringServer, type MonitoringServerOptions } from '../src/server/monitoring-server.js';
import { fixture } from './helpers/fixtures.js';
import { runInProcess, runUntil } from './helpers/in-process-cli.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { spawnServer } from './helpers/server-process.js';
import { until } from './helpers/test-server.js';
import { RENEWED_CERT, RENEWED_KEY, TEST_CERT, TEST_KEY } from './helpers/tls.js';

const TEST = { timeout: 15_000 };
const TOKEN = 'server-token-3c9e71d2a8';
const data = (fixture('real-server', 'monitoring_data') as { data: RealMonitoringData }).data;

let tmp: string;
const cleanups: (() => unknown)[] = [];
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'monitoring-server-auth-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

async function startServer(options: MonitoringServerOptions = {}) {
  const server = new MonitoringServer({
    port: 0,
    interval: 0.05,
    metricsSource: { collect: async () => structuredClone(data) },
    ...options,
  });
  cleanups.push(() => server.stop());
  const address = await server.start();
  return { server, ...address };
}

interface Answer {
  /** 101 when the upgrade was accepted. */
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A WebSocket handshake with exactly the headers given (Host and Origin included), as raw
 * HTTP: resolves with the server's answer, and closes the connection.
 */
function handshake(
  port: number,
  headers: Record<string, string> = {},
  tls?: { ca: string },
): Promise<Answer> {
  const options = {
    host: '127.0.0.1',
    port,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...headers,
    },
    ...(tls ? { ca: tls.ca } : {}),
  };
  return new Promise((resolve, reject) => {
    const request = tls ? httpsRequest(options) : httpRequest(options);
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' });
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += String(chunk);
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

/** Connects with ws and resolves with the first monitoring_data message. */
function firstData(url: string, options: WebSocket.ClientOptions = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    cleanups.push(() => ws.terminate());
    ws.on('message', (frame) => {
      const message = JSON.parse(String(frame)) as Record<string, unknown>;
      if (message.type === 'monitoring_data') {
        ws.close();
        resolve(message);
      }
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (_request, response) =>
      reject(new Error(`refused with HTTP ${response.statusCode}`)),
    );
  });
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** The command in-process until `stop()`; `url()` once it listens. */
function serveInProcess(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const controller = new AbortController();
  const stdout = capture();
  const stderr = capture();
  const done = runServer(argv, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    signal: controller.signal,
  });
  cleanups.push(() => {
    controller.abort();
    return done;
  });
  const url = async () => {
    await until(
      () => / listening on /.test(stdout.text()) || stderr.text() !== '',
      5000,
      'the server to listen',
    );
    const found = / listening on (wss?:\/\/\S+)/.exec(stdout.text())?.[1];
    if (!found) throw new Error(`not listening: ${stderr.text()}`);
    return found;
  };
  const stop = async () => {
    controller.abort();
    return done;
  };
  return { url, stop, done, stdout: stdout.text, stderr: stderr.text };
}

const portOf = (url: string) => Number(new URL(url).port);

describe('the token', () => {
  it(
    'refuses a missing or wrong token with 401 before the upgrade, serves the right one, and never logs it',
    TEST,
    async () => {
      const logger = recordingLogger();
      const { server, port, url } = await startServer({ token: TOKEN, logger, logSummaryInterval: 0.05 });
      const missing = await handshake(port);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers['www-authenticate'], 'Bearer');
      assert.equal(missing.headers.connection, 'close');
      for (const authorization of [
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Basic ${TOKEN}`,
        'Bearer',
      ]) {
        assert.equal((await handshake(port, { Authorization: authorization })).status, 401, authorization);
      }
      // The scheme is case-insensitive, as HTTP says.
      assert.equal((await handshake(port, { Authorization: `bearer ${TOKEN}` })).status, 101);
      const message = await firstData(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.deepEqual(message.data, data);
      assert.equal(server.refusals.unauthorized, 5);
      // Counted in the summary lines (one per 50 ms period here; a busy machine may split them).
      const counted = () =>
        logger.lines.reduce(
          (sum, l) => sum + Number(/ (\d+) without the right token \(401\)/.exec(l)?.[1] ?? 0),
          0,
        );
      await until(() => counted() === 5, 3000, 'the summary lines');
      assert.ok(!logger.lines.join('\n').includes(TOKEN.slice(0, 12)), logger.lines.join('\n'));
    },
  );

  it(
    'our client: exits 1 naming HTTP 401 without the token or with a wrong one, and gets data with it',
    TEST,
    async () => {
      const { url } = await startServer({ token: TOKEN });
      const none = runInProcess(['-u', url, '--no-reconnect']);
      assert.equal(await none.exit, 1);
      assert.match(none.stderr(), /HTTP 401/);
      const wrong = runInProcess([
        '-u',
        url,
        '--no-reconnect',
        '--token-file',
        file('wrong.txt', 'not-the-token\n'),
      ]);
      assert.equal(await wrong.exit, 1);
      assert.match(wrong.stderr(), /HTTP 401/);
      const right = await runUntil(
        ['-u', url, '-f', 'jsonl', '--token-file', file('token.txt', `${TOKEN}\n`)],
        (run) => run.stdoutLines() >= 1,
        'a record',
      );
      assert.equal(right.code, 0, right.stderr);
      const first = JSON.parse(right.stdout.split('\n')[0]!) as Record<string, unknown>;
      assert.equal(first.type, 'monitoring_data');
      assert.deepEqual(first.data, data);
    },
  );

  it('the command takes it from --token-file, else from MONITORING_TOKEN', TEST, async () => {
    const fromFile = serveInProcess(
      ['--port', '0', '--token-file', file('server-token.txt', `  ${TOKEN}\n`)],
      {
        MONITORING_TOKEN: 'ignored-when-a-file-is-given',
      },
    );
    const port = portOf(await fromFile.url());
    assert.equal((await handshake(port)).status, 401);
    assert.equal(
      (await handshake(port, { Authorization: 'Bearer ignored-when-a-file-is-given' })).status,
      401,
    );
    assert.equal((await handshake(port, { Authorization: `Bearer ${TOKEN}` })).status, 101);
    assert.equal(await fromFile.stop(), 0);
    const fromEnv = serveInProcess(['--port', '0'], { MONITORING_TOKEN: TOKEN });
    const envPort = portOf(await fromEnv.url());
    assert.equal((await handshake(envPort)).status, 401);
    assert.equal((await handshake(envPort, { Authorization: `Bearer ${TOKEN}` })).status, 101);
    assert.equal(await fromEnv.stop(), 0);
    assert.ok(!`${fromFile.stderr()}${fromEnv.stderr()}`.includes(TOKEN));
  });
});

describe('TLS', () => {
  it(
    'serves wss://: our client with --ca gets data; without the CA it refuses the certificate',
    TEST,
    async () => {
      const { url } = await startServer({ tls: { cert: TEST_CERT, key: TEST_KEY }, token: TOKEN });
      assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+$/);
      const ca = file('ca.pem', TEST_CERT);
      const token = file('tls-token.txt', TOKEN);
      const run = await runUntil(
        ['-u', url, '--ca', ca, '--token-file', token, '-f', 'jsonl'],
        (r) => r.stdoutLines() >= 1,
        'a record',
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal((JSON.parse(run.stdout.split('\n')[0]!) as { type: string }).type, 'monitoring_data');
      const untrusted = runInProcess(['-u', url, '--token-file', token, '--no-reconnect']);
      assert.equal(await untrusted.exit, 1);
      assert.match(untrusted.stderr(), /certificate/i);
      // The token is checked behind TLS as well.
      assert.equal((await handshake(portOf(url), {}, { ca: TEST_CERT })).status, 401);
    },
  );

  it(
    'reloadTls() serves the new certificate to new connections, and refuses a bad pair keeping the old',
    TEST,
    async () => {
      const { server, url } = await startServer({ tls: { cert: TEST_CERT, key: TEST_KEY } });
      await firstData(url, { ca: TEST_CERT });
      server.reloadTls({ cert: RENEWED_CERT, key: RENEWED_KEY });
      await firstData(url, { ca: RENEWED_CERT });
      await assert.rejects(firstData(url, { ca: TEST_CERT }), /certificate/);
      assert.throws(
        () => server.reloadTls({ cert: TEST_CERT, key: RENEWED_KEY }),
        (error: unknown) =>
          error instanceof InvalidOptionError &&
          error.message ===
            'invalid tls: "[certificate and key]" (expected a PEM certificate and its private key; the key does not match the certificate)',
      );
      await firstData(url, { ca: RENEWED_CERT });
      const plain = await startServer();
      assert.throws(() => plain.server.reloadTls({ cert: TEST_CERT, key: TEST_KEY }), InvalidOptionError);
    },
  );

  it(
    'the command re-reads --tls-cert and --tls-key on SIGHUP, and keeps the old pair when the new one is bad',
    TEST,
    async () => {
      const cert = file('cert.pem', TEST_CERT);
      const key = file('key.pem', TEST_KEY);
      const server = spawnServer(['--port', '0', '--interval', '0.05', '--tls-cert', cert, '--tls-key', key]);
      cleanups.push(() => server.stop('SIGKILL'));
      const { child, stderr } = server;
      const url = await server.url();
      assert.match(url, /^wss:/);
      await firstData(url, { ca: TEST_CERT });
      writeFileSync(cert, RENEWED_CERT);
      writeFileSync(key, RENEWED_KEY);
      child.kill('SIGHUP');
      await until(() => /INFO reloaded the TLS certificate/.test(stderr()), 5000, 'the reload');
      await firstData(url, { ca: RENEWED_CERT });
      await assert.rejects(firstData(url, { ca: TEST_CERT }), /certificate/);
      // A renewal half-written: the key of another certificate. Refused, the running pair kept.
      writeFileSync(key, TEST_KEY);
      child.kill('SIGHUP');
      await until(() => /ERROR TLS certificate not reloaded/.test(stderr()), 5000, 'the refused reload');
      assert.match(
        stderr(),
        /the previous one is kept: invalid --tls-cert: ".*cert\.pem" \(expected a PEM certificate matching --tls-key; the key does not match the certificate\)/,
      );
      await firstData(url, { ca: RENEWED_CERT });
      assert.ok(!stderr().includes(TEST_KEY.split('\n')[1]!), 'the key is never printed');
      assert.equal(await server.stop('SIGTERM'), 0);
    },
  );
});

describe('the Origin check', () => {
  it(
    'refuses a foreign origin with 403, DNS rebinding included, and serves clients that send no Origin whatever their Host',
    TEST,
    async () => {
      const { server, port, url } = await startServer();
      const evil = await handshake(port, { Origin: 'https://evil.example', Host: 'rebind.evil.example' });
      assert.equal(evil.status, 403);
      // Rebinding: the page's origin is the very host it connects to; same-origin proves nothing.
      const rebound = await handshake(port, {
        Origin: `http://rebind.evil.example:${port}`,
        Host: `rebind.evil.example:${port}`,
      });
      assert.equal(rebound.status, 403);
      assert.equal((await handshake(port, { Origin: 'null' })).status, 403);
      assert.equal((await handshake(port, { Origin: `http://127.0.0.1:${port}` })).status, 403);
      // What the Python `websockets` client sends by default: no Origin, and any Host it was given.
      assert.equal((await handshake(port, { Host: 'rebind.evil.example' })).status, 101);
      assert.equal((await handshake(port, { Host: 'monitor.internal:8765' })).status, 101);
      // Our client sends none either.
      const run = await runUntil(['-u', url, '-f', 'jsonl'], (r) => r.stdoutLines() >= 1, 'a record');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /"type":"monitoring_data"/);
      assert.equal(server.refusals.forbiddenOrigin, 4);
    },
  );

  it('serves the origins allowed, compared in canonical form, and only those', TEST, async () => {
    const { port } = await startServer({
      allowedOrigins: ['https://Dashboard.example:443', 'http://localhost:3000'],
    });
    assert.equal((await handshake(port, { Origin: 'https://dashboard.example' })).status, 101);
    assert.equal((await handshake(port, { Origin: 'http://localhost:3000' })).status, 101);
    assert.equal((await handshake(port, { Origin: 'http://dashboard.example' })).status, 403);
    assert.equal((await handshake(port, { Origin: 'http://localhost:3001' })).status, 403);
    // Version 8 of the protocol carried it as Sec-WebSocket-Origin.
    assert.equal(
      (
        await handshake(port, {
          'Sec-WebSocket-Origin': 'https://evil.example',
          'Sec-WebSocket-Version': '8',
        })
      ).status,
      403,
    );
  });

  it('the command: --allowed-origin, repeatable', TEST, async () => {
    const run = serveInProcess([
      '--port',
      '0',
      '--allowed-origin',
      'https://a.example',
      '--allowed-origin',
      'https://b.example:8443',
    ]);
    const port = portOf(await run.url());
    assert.equal((await handshake(port, { Origin: 'https://a.example' })).status, 101);
    assert.equal((await handshake(port, { Origin: 'https://b.example:8443' })).status, 101);
    assert.equal((await handshake(port, { Origin: 'https://c.example' })).status, 403);
    assert.equal(await run.stop(), 0);
  });
});

describe('exposure', () => {
  it(
    'warns what is exposed when listening beyond loopback without a token, and the clear text without TLS',
    TEST,
    async () => {
      const cases: [MonitoringServerOptions, RegExp | undefined][] = [
        [{}, undefined],
        [
          { host: '0.0.0.0' },
          /^warn listening on 0\.0\.0\.0 without a token: anyone who can reach this machine can read its host name, operating system, CPU, memory, disk and GPU usage and its disk paths; require a token/,
        ],
        [
          { host: '0.0.0.0', token: TOKEN },
          /^warn listening on 0\.0\.0\.0 without TLS: the token and the metrics cross the network in clear text/,
        ],
        [{ host: '0.0.0.0', token: TOKEN, tls: { cert: TEST_CERT, key: TEST_KEY } }, undefined],
      ];
      for (const [options, warning] of cases) {
        const logger = recordingLogger();
        const { server } = await startServer({ ...options, logger });
        const warnings = logger.lines.filter((l) => l.startsWith('warn'));
        if (warning) {
          assert.equal(warnings.length, 1, JSON.stringify(warnings));
          assert.match(warnings[0]!, warning);
        } else {
          assert.deepEqual(warnings, []);
        }
        await server.stop();
      }
    },
  );
});

describe('options', () => {
  it('the library refuses invalid values, naming the option and what is allowed, never showing a secret', () => {
    const cases: [MonitoringServerOptions, string][] = [
      [
        { token: '' },
        'invalid token: "[redacted]" (expected a token of visible ASCII characters on one line)',
      ],
      [
        { token: `${TOKEN}\n` },
        'invalid token: "[redacted]" (expected a token of visible ASCII characters on one line)',
      ],
      [
        { token: 42 as unknown as string },
        'invalid token: 42 (expected a token of visible ASCII characters on one line)',
      ],
      [
        { tls: { cert: TEST_CERT, key: RENEWED_KEY } },
        'invalid tls: "[certificate and key]" (expected a PEM certificate and its private key; the key does not match the certificate)',
      ],
      [
        { tls: { cert: 'not pem', key: TEST_KEY } },
        'invalid tls: "[certificate and key]" (expected a PEM certificate and its private key; the certificate is not PEM (no -----BEGIN line))',
      ],
      [
        { allowedOrigins: ['https://a.example/path'] },
        'invalid allowedOrigins[0]: "https://a.example/path" (expected an origin such as https://dashboard.example:8443 (http or https, host and optional port, no path))',
      ],
      [
        { allowedOrigins: 'https://a.example' as unknown as string[] },
        'invalid allowedOrigins: "https://a.example" (expected an array of an origin such as https://dashboard.example:8443 (http or https, host and optional port, no path))',
      ],
      [
        { handshakeTimeout: 0 },
        'invalid handshakeTimeout: 0 (expected a number of seconds from 0.01 to 300)',
      ],
      [{ maxPendingHandshakes: 0 }, 'invalid maxPendingHandshakes: 0 (expected an integer of at least 1)'],
      [
        { maxClientsPerAddress: 1.5 },
        'invalid maxClientsPerAddress: 1.5 (expected an integer of at least 1)',
      ],
      [
        { maxMessageRate: -1 },
        'invalid maxMessageRate: -1 (expected a number of messages per second from 0.01 to 100000)',
      ],
      [{ maxMessageBurst: 0 }, 'invalid maxMessageBurst: 0 (expected an integer from 1 to 100000)'],
      [
        { maxMessageSize: 64 },
        'invalid maxMessageSize: 64 (expected an integer number of bytes from 128 to 16777216)',
      ],
      [
        { logSummaryInterval: 0 },
        'invalid logSummaryInterval: 0 (expected a number of seconds from 0.01 to 3600)',
      ],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => new MonitoringServer(options),
        (error: unknown) => error instanceof InvalidOptionError && error.message === message,
        message,
      );
    }
  });

  it(
    'the command refuses invalid values with one line and exit 2, never showing a secret',
    TEST,
    async () => {
      const empty = file('empty-token.txt', '\n');
      const cert = file('only-cert.pem', TEST_CERT);
      const otherKey = file('other-key.pem', RENEWED_KEY);
      const cases: [string[], NodeJS.ProcessEnv, string][] = [
        [
          ['--token-file', join(tmp, 'absent.txt')],
          {},
          `invalid --token-file: "${join(tmp, 'absent.txt')}" (expected a readable file holding the token; reading failed with ENOENT)`,
        ],
        [
          ['--token-file', empty],
          {},
          `invalid --token-file: "${empty}" (expected a file holding a token of visible ASCII characters on one line)`,
        ],
        [
          [],
          { MONITORING_TOKEN: 'two\nlines' },
          'invalid MONITORING_TOKEN: "[redacted]" (expected a token of visible ASCII characters on one line)',
        ],
        [
          ['--tls-cert', cert],
          {},
          `invalid --tls-cert: "${cert}" (expected --tls-key too: a certificate goes with its key)`,
        ],
        [
          ['--tls-cert', cert, '--tls-key', otherKey],
          {},
          `invalid --tls-cert: "${cert}" (expected a PEM certificate matching --tls-key; the key does not match the certificate)`,
        ],
        [
          ['--tls-cert', cert, '--tls-key', join(tmp, 'absent.pem')],
          {},
          `invalid --tls-key: "${join(tmp, 'absent.pem')}" (expected a readable PEM file; reading failed with ENOENT)`,
        ],
        [
          ['--allowed-origin', 'evil.example'],
          {},
          'invalid --allowed-origin: "evil.example" (expected an origin such as https://dashboard.example:8443 (http or https, host and optional port, no path))',
        ],
        [
          ['--handshake-timeout', '0'],
          {},
          'invalid --handshake-timeout: "0" (expected a number of seconds from 0.01 to 300)',
        ],
        [
          ['--max-message-rate', 'lots'],
          {},
          'invalid --max-message-rate: "lots" (expected a number of messages per second from 0.01 to 100000)',
        ],
        [
          ['--max-clients-per-address', '0'],
          {},
          'invalid --max-clients-per-address: "0" (expected an integer of at least 1)',
        ],
      ];
      for (const [argv, env, line] of cases) {
        const stdout = capture();
        const stderr = capture();
        const code = await runServer(['--port', '0', ...argv], {
          stdout: stdout.stream,
          stderr: stderr.stream,
          env,
        });
        assert.equal(code, 2, argv.join(' '));
        assert.equal(stdout.text(), '');
        assert.equal(stderr.text(), `error: ${line}\n`);
        assert.ok(!stderr.text().includes(TEST_KEY.split('\n')[1]!));
      }
    },
  );
});
