/**
 * Credentials through the real command, run in this process (`run(argv, io)`): where a token
 * comes from, that it is sent on every (re)connection, and that no secret (token, header value,
 * password of the URI, private key) ever shows in what the client writes: --verbose logs, the
 * --log-file, --stats, error messages, saved data, and anything that reached this process's own
 * stdout or stderr instead of the streams given. Also the --insecure warning.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { fixtureFrame } from './helpers/fixtures.js';
import { type InProcessRun, runInProcess, runUntil } from './helpers/in-process-cli.js';
import { until } from './helpers/test-server.js';
import { TEST_CERT, TEST_KEY } from './helpers/tls.js';

const TEST = { timeout: 10_000 };
const MONITORING_DATA = fixtureFrame('real-server', 'monitoring_data');
const ENV_TOKEN = 'env-token-5f1c9a7e';
const FILE_TOKEN = 'file-token-0b8d2e44';
const API_KEY = 'api-key-77c3e1d9';
const URI_PASSWORD = 'uri-password-4a6b';
/** A line of the private key, as it would appear if the key were printed. */
const KEY_LINE = TEST_KEY.split('\n')[1]!;

let tmp: string;
const cleanups: (() => unknown)[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'monitoring-security-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Connection {
  headers: Record<string, string | string[] | undefined>;
}

/** A ws server that records each connection's handshake headers; `onConnection` acts on the socket. */
async function recordingServer(onConnection: (ws: import('ws').WebSocket, index: number) => void = () => {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const connections: Connection[] = [];
  wss.on('connection', (ws, request) => {
    connections.push({ headers: request.headers });
    ws.on('error', () => {});
    onConnection(ws, connections.length);
  });
  cleanups.push(() => {
    for (const socket of wss.clients) socket.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const port = (wss.address() as AddressInfo).port;
  return { wss, port, url: `ws://127.0.0.1:${port}`, connections };
}

function file(name: string, content: string): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

/** Asserts that none of `secrets` is in `text`, naming where it was found. */
function assertNoSecret(where: string, text: string, secrets: string[]): void {
  for (const secret of secrets) {
    const at = text.indexOf(secret);
    if (at !== -1) {
      assert.fail(
        `${where} shows the secret ${JSON.stringify(secret)}: …${text.slice(Math.max(0, at - 120), at + 60)}…`,
      );
    }
  }
}

async function stopped(run: InProcessRun): Promise<number> {
  run.interrupt();
  return run.exit;
}

describe('credentials are sent', () => {
  it('MONITORING_TOKEN and -H headers go with every reconnection', TEST, async () => {
    // Each connection gets one record, then is closed: the client reconnects again and again.
    const server = await recordingServer((ws) => {
      ws.send(MONITORING_DATA);
      ws.close(1001, 'going away');
    });
    const run = runInProcess(
      [
        '-u',
        server.url,
        '-H',
        `X-Api-Key: ${API_KEY}`,
        '-H',
        'X-Trace: visible-1',
        '--reconnect-interval',
        '0.1',
      ],
      { MONITORING_TOKEN: ENV_TOKEN },
    );
    await until(() => server.connections.length >= 3, 8000, 'three connections');
    assert.equal(await stopped(run), 0);
    for (const [index, connection] of server.connections.entries()) {
      assert.equal(connection.headers.authorization, `Bearer ${ENV_TOKEN}`, `connection ${index + 1}`);
      assert.equal(connection.headers['x-api-key'], API_KEY, `connection ${index + 1}`);
      assert.equal(connection.headers['x-trace'], 'visible-1', `connection ${index + 1}`);
    }
  });

  it(
    '--token-file sends its token (and wins over MONITORING_TOKEN); an explicit -H Authorization wins over both',
    TEST,
    async () => {
      const server = await recordingServer((ws) => ws.send(MONITORING_DATA));
      const tokenFile = file('token.txt', `  ${FILE_TOKEN}\n`);
      const record = (run: InProcessRun) => run.stdoutLines() >= 1;
      const [fromFile, explicit] = await Promise.all([
        runUntil(['-u', server.url, '--token-file', tokenFile], record, 'a record', {
          MONITORING_TOKEN: ENV_TOKEN,
        }),
        runUntil(
          ['-u', server.url, '--token-file', tokenFile, '-H', 'Authorization: Basic abcd'],
          record,
          'a record',
          { MONITORING_TOKEN: ENV_TOKEN },
        ),
      ]);
      assert.equal(fromFile.code, 0);
      assert.equal(explicit.code, 0);
      const authorizations = server.connections.map((c) => c.headers.authorization).sort();
      assert.deepEqual(authorizations, ['Basic abcd', `Bearer ${FILE_TOKEN}`]);
    },
  );

  it(
    'a token file that is not one token on one line is refused without showing its content',
    TEST,
    async () => {
      const tokenFile = file('two-lines.txt', `${FILE_TOKEN}\nsecond-line-secret\n`);
      const run = runInProcess(['--token-file', tokenFile]);
      const code = await run.exit;
      assert.equal(code, 2);
      assert.match(
        run.stderr(),
        /invalid --token-file: ".*two-lines\.txt" \(expected one token on one line\)/,
      );
      assertNoSecret('the usage error', run.stderr(), [FILE_TOKEN, 'second-line-secret']);
      assertNoSecret('this process', run.stray(), [FILE_TOKEN, 'second-line-secret']);
    },
  );
});

describe('secrets never show', () => {
  it(
    'tokens and header values: not in --verbose stderr, --log-file, --stats, nor saved data',
    TEST,
    async () => {
      // The connection is lost once (an error message and a reconnection to log), then data flows.
      const server = await recordingServer((ws, index) => {
        ws.send(MONITORING_DATA);
        if (index === 1) ws.terminate();
      });
      const logFile = join(tmp, 'tokens.log');
      const saved = join(tmp, 'tokens.jsonl');
      const run = runInProcess(
        [
          '-u',
          server.url,
          '-v',
          '--log-file',
          logFile,
          '--stats',
          '--save-data',
          saved,
          '--reconnect-interval',
          '0.1',
          '-H',
          `X-Api-Key: ${API_KEY}`,
          '-H',
          `Cookie: session=${API_KEY}-cookie`,
        ],
        { MONITORING_TOKEN: ENV_TOKEN },
      );
      await until(
        () => server.connections.length >= 2 && run.stdout().split('\n').length >= 3,
        8000,
        'a reconnection',
      );
      assert.equal(await stopped(run), 0);
      // The headers were sent, and the logs talk about them...
      assert.equal(server.connections[1]?.headers.authorization, `Bearer ${ENV_TOKEN}`);
      assert.match(run.stderr(), /"Authorization":"\[redacted\]"/);
      assert.match(run.stderr(), /Messages received: 2/);
      // ...without their values.
      const secrets = [ENV_TOKEN, API_KEY];
      assertNoSecret('--verbose stderr', run.stderr(), secrets);
      assertNoSecret('--log-file', readFileSync(logFile, 'utf8'), secrets);
      assertNoSecret('stdout', run.stdout(), secrets);
      assertNoSecret('this process', run.stray(), secrets);
      assertNoSecret('--save-data', readFileSync(saved, 'utf8'), secrets);
    },
  );

  it(
    'the password of the URI and the private key: not in --verbose stderr nor --log-file',
    TEST,
    async () => {
      const server = await recordingServer((ws) => ws.send(MONITORING_DATA));
      const logFile = join(tmp, 'uri.log');
      const run = await runUntil(
        [
          '-u',
          `ws://monitor:${URI_PASSWORD}@127.0.0.1:${server.port}`,
          '-v',
          '--log-file',
          logFile,
          '--stats',
          '--cert',
          file('client-cert.pem', TEST_CERT),
          '--key',
          file('client-key.pem', TEST_KEY),
        ],
        (r) => r.stdoutLines() >= 1,
        'a record',
      );
      assert.equal(run.code, 0, run.stderr);
      // The credentials of the URI were used...
      const basic = `Basic ${Buffer.from(`monitor:${URI_PASSWORD}`).toString('base64')}`;
      assert.equal(server.connections[0]?.headers.authorization, basic);
      assert.match(run.stderr, /DEBUG options: /);
      // ...and appear nowhere.
      const secrets = [URI_PASSWORD, KEY_LINE, basic.slice(6)];
      assertNoSecret('--verbose stderr', run.stderr, secrets);
      assertNoSecret('this process', run.stray, secrets);
      assertNoSecret('--log-file', readFileSync(logFile, 'utf8'), secrets);
    },
  );

  it(
    'secrets echoed back by a server: not in error messages, --verbose stderr, --log-file nor --stats',
    TEST,
    async () => {
      // A server (or a proxy in front of it) that quotes the credentials it refuses: in the HTTP
      // status line of a refused handshake, then, once accepted, in error messages and in the
      // reason of its close; then it refuses with 403 and the client gives up.
      let upgrades = 0;
      const wss = new WebSocketServer({ noServer: true });
      const http = createHttpServer();
      http.on('upgrade', (request, socket, head) => {
        upgrades++;
        const quoted = `${request.headers.authorization} ${request.headers['x-api-key']}`;
        if (upgrades === 1) {
          socket.end(`HTTP/1.1 401 Refused ${quoted}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
          return;
        }
        if (upgrades > 2) {
          socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        wss.handleUpgrade(request, socket, head, (ws) => {
          ws.send(JSON.stringify({ type: 'error', message: `token ${quoted} expires soon` }));
          ws.send(
            JSON.stringify({ type: 'error_message', error: `token ${quoted} expired`, severity: 'warning' }),
          );
          ws.close(4001, `expired ${ENV_TOKEN}`.slice(0, 120));
        });
      });
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      cleanups.push(() => {
        http.closeAllConnections();
        http.close();
      });
      const logFile = join(tmp, 'echo.log');
      const run = runInProcess(
        [
          '-u',
          `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
          '-v',
          '--log-file',
          logFile,
          '--stats',
          '--reconnect-interval',
          '0.1',
          '--max-reconnects',
          '1',
          '-H',
          `X-Api-Key: ${API_KEY}`,
        ],
        { MONITORING_TOKEN: ENV_TOKEN },
      );
      const code = await run.exit;
      assert.equal(code, 1, run.stderr());
      assert.equal(upgrades, 3);
      // The errors are reported, each with the secret replaced...
      assert.match(run.stderr(), /HTTP 401 Refused (Bearer )?\[redacted\] \[redacted\]/);
      assert.match(run.stderr(), /code 4001/);
      // ...everywhere.
      const secrets = [ENV_TOKEN, API_KEY];
      assertNoSecret('stderr (errors, notices, --verbose, --stats)', run.stderr(), secrets);
      assertNoSecret('this process', run.stray(), secrets);
      assertNoSecret('--log-file', readFileSync(logFile, 'utf8'), secrets);
    },
  );
});

describe('--insecure', () => {
  it('warns once on stderr, before anything else, and never on stdout', TEST, async () => {
    const server = await recordingServer((ws) => ws.send(MONITORING_DATA));
    const run = await runUntil(
      ['-u', server.url, '--insecure', '-f', 'jsonl'],
      (r) => r.stdoutLines() >= 1,
      'a record',
    );
    assert.equal(run.code, 0);
    const lines = run.stderr.split('\n');
    assert.match(
      lines[0] ?? '',
      /^monitoring-websocket-client: warning: --insecure: the server's certificate is NOT verified; anyone on the path can read and change the data$/,
    );
    assert.equal(run.stderr.match(/--insecure/g)?.length, 1);
    assert.doesNotMatch(run.stdout, /insecure|warning/);
    assert.equal(JSON.parse(run.stdout).type, 'monitoring_data');
  });
});
