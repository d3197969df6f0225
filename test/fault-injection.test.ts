/**
 * Faults a monitoring client meets over weeks of unattended running, each injected with real
 * servers on 127.0.0.1 (in this process, or in a child process when it must crash) against the
 * real command, run in this process through `run(argv, io)`; only the flood, whose point is the
 * memory of the client's own process, spawns the built CLI (`dist/cli/bin.js`: run `npm run
 * build` first). Each has its expected outcome. Timings use tiny intervals (0.05 to 0.2 s); the
 * fake-clock versions of the same timing rules are in websocket-client.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { RealMonitoringData } from '../src/protocol/messages.js';
import { MonitoringServer } from '../src/server/monitoring-server.js';
import { fixture, fixtureFrame } from './helpers/fixtures.js';
import { runInProcess, runUntil } from './helpers/in-process-cli.js';
import { killAll, lastJsonLine, rssMiB, runCli, startFloodServer } from './helpers/processes.js';
import { until } from './helpers/test-server.js';
import { TEST_CERT, TEST_KEY } from './helpers/tls.js';

const TEST = { timeout: 15_000 };
const MONITORING_DATA = fixtureFrame('real-server', 'monitoring_data');

let tmp: string;
const cleanups: (() => unknown)[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'monitoring-faults-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // A failed test may leave its processes running: they would slow the next tests down.
  killAll();
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A ws server on 127.0.0.1, port 0, closed after the tests. */
async function wsServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(wss, 'listening');
  cleanups.push(() => {
    for (const socket of wss.clients) socket.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` };
}

/** The records (jsonl lines) of a run's stdout, parsed. */
function records(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('fault: the server restarts', () => {
  it(
    'a graceful restart (1001) and a crash (SIGKILL, 1006) on the same port: reconnected each time, no record lost while connected',
    TEST,
    async () => {
      let server = await startFloodServer({ intervalMs: 20, label: 'A' });
      const { port } = server;
      const run = runInProcess([
        '-u',
        server.url,
        '-f',
        'jsonl',
        '--reconnect-interval',
        '0.1',
        '--ping-interval',
        '0',
        '--stats',
      ]);
      const labelled = (label: string) => records(run.stdout()).filter((r) => r.label === label).length;
      await until(() => labelled('A') >= 3, 8000, 'records of server A');

      await server.kill('SIGTERM');
      server = await startFloodServer({ port, intervalMs: 20, label: 'B' });
      await until(() => labelled('B') >= 3, 8000, 'records of server B after a graceful restart');

      await server.kill('SIGKILL');
      server = await startFloodServer({ port, intervalMs: 20, label: 'C' });
      await until(() => labelled('C') >= 3, 8000, 'records of server C after a crash');

      run.interrupt();
      const code = await run.exit;
      await server.kill('SIGKILL');
      assert.equal(code, 0, run.stderr());
      const stderr = run.stderr();
      assert.match(stderr, /disconnected: code 1001 \(server restarting\)/);
      assert.match(stderr, /disconnected: code 1006/);
      assert.match(stderr, /reconnecting in 0\.1 s \(attempt 1\)/);
      assert.equal(stderr.match(/connected to ws:\/\/127\.0\.0\.1/g)?.length, 3, stderr);

      // Servers in order A, B, C; from each, every frame from the first to the last received.
      const all = records(run.stdout()).filter((r) => r.type === 'monitoring_data');
      const labels = all.map((r) => r.label).join('');
      assert.match(labels, /^A+B+C+$/);
      for (const label of ['A', 'B', 'C']) {
        const seqs = all.filter((r) => r.label === label).map((r) => r.seq);
        assert.deepEqual(
          seqs,
          seqs.map((_, i) => i),
          `server ${label}`,
        );
      }
      const stats = lastJsonLine(stderr);
      assert.equal(stats.totalDisconnections, 2);
      assert.equal(stats.recordsDisplayed, all.length);
    },
  );
});

describe('fault: the handshake fails', () => {
  it(
    'a server that accepts TCP but never answers the handshake: connect timeout, retried, then gives up',
    TEST,
    async () => {
      let accepted = 0;
      const sockets = new Set<net.Socket>();
      const blackHole = net.createServer((socket) => {
        accepted++;
        sockets.add(socket);
        socket.on('error', () => {});
        socket.resume();
      });
      blackHole.listen(0, '127.0.0.1');
      await once(blackHole, 'listening');
      cleanups.push(() => {
        for (const socket of sockets) socket.destroy();
        blackHole.close();
      });
      const url = `ws://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
      const started = Date.now();
      const run = runInProcess([
        '-u',
        url,
        '--connect-timeout',
        '0.2',
        '--max-reconnects',
        '1',
        '--reconnect-interval',
        '0.1',
        '--stats',
        '-f',
        'jsonl',
      ]);
      const code = await run.exit;
      const ms = Date.now() - started;
      assert.equal(code, 1);
      assert.equal(accepted, 2, 'one attempt and one retry');
      // Two timeouts of 0.2 s and a wait of 0.1 s; the upper bound only catches a run that
      // waits for something else (another timeout, a further retry) before giving up.
      assert.ok(ms >= 400 && ms < 5000, `exited after ${ms} ms`);
      assert.match(run.stderr(), new RegExp(`no connection to ${url} within 0\\.2 s`));
      assert.match(run.stderr(), /gave up after 2 attempts/);
      const stats = lastJsonLine(run.stderr());
      assert.deepEqual(
        (stats.errorHistory as { type: string }[]).map((e) => e.type),
        ['CONNECT_TIMEOUT', 'CONNECT_TIMEOUT'],
      );
      assert.equal(run.stdout(), '');
    },
  );

  it(
    'HTTP 401, 403 and 404 on the handshake: named in the error, retried per --max-reconnects, exit 1',
    TEST,
    async () => {
      const requests = new Map<string, number>();
      const http = createHttpServer();
      http.on('upgrade', (request, socket) => {
        const status = Number(request.url?.slice(1));
        requests.set(String(status), (requests.get(String(status)) ?? 0) + 1);
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
      });
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      cleanups.push(() => {
        http.closeAllConnections();
        http.close();
      });
      const base = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const statuses = [401, 403, 404] as const;
      const started = Date.now();
      const runs = statuses.map((status) =>
        runInProcess(['-u', `${base}/${status}`, '--max-reconnects', '2', '--reconnect-interval', '0.1']),
      );
      for (const [index, status] of statuses.entries()) {
        const run = runs[index]!;
        const code = await run.exit;
        const ms = Date.now() - started;
        const stderr = run.stderr();
        assert.equal(code, 1, stderr);
        // Two waits of 0.1 s: the bound catches a run that lingers after giving up.
        assert.ok(ms < 5000, `${status}: exited after ${ms} ms`);
        assert.match(
          stderr,
          new RegExp(`refused the WebSocket handshake with HTTP ${status} ${STATUS_CODES[status]}`),
        );
        assert.match(stderr, /\(attempt 1\/2\)/);
        assert.match(stderr, /\(attempt 2\/2\)/);
        assert.match(stderr, new RegExp(`gave up after 3 attempts: .*HTTP ${status}`));
        assert.equal(requests.get(String(status)), 3, `${status}: one attempt and two retries`);
        assert.equal(run.stdout(), '');
      }
    },
  );

  it('an unknown host (.invalid): DNS failure named with the host, then gives up', TEST, async () => {
    const started = Date.now();
    const run = runInProcess([
      '-u',
      'ws://monitoring-server.invalid:8765',
      '--max-reconnects',
      '1',
      '--reconnect-interval',
      '0.1',
      '--stats',
      '-f',
      'jsonl',
    ]);
    const code = await run.exit;
    const ms = Date.now() - started;
    assert.equal(code, 1);
    assert.ok(ms < 10_000, `exited after ${ms} ms`);
    assert.match(run.stderr(), /cannot resolve the host of ws:\/\/monitoring-server\.invalid:8765/);
    assert.match(run.stderr(), /gave up after 2 attempts/);
    const stats = lastJsonLine(run.stderr());
    assert.deepEqual(
      (stats.errorHistory as { type: string }[]).map((e) => e.type),
      ['DNS_FAILURE', 'DNS_FAILURE'],
    );
  });
});

describe('fault: the server refuses or misbehaves once connected', () => {
  it(
    'capacity refusal 1008 "Server at capacity": retried after the interval, served once a place frees',
    TEST,
    async () => {
      const data = fixture('real-server', 'monitoring_data').data as RealMonitoringData;
      const server = new MonitoringServer({
        port: 0,
        maxClients: 1,
        interval: 0.05,
        metricsSource: { collect: async () => data },
      });
      const { url } = await server.start();
      cleanups.push(() => server.stop());
      const occupant = new WebSocket(url);
      await once(occupant, 'message');

      const run = runInProcess([
        '-u',
        url,
        '--reconnect-interval',
        '0.1',
        '--ping-interval',
        '0',
        '-f',
        'jsonl',
        '--stats',
      ]);
      const refusals = () =>
        run.stderr().match(/disconnected: code 1008 \(Server at capacity\)/g)?.length ?? 0;
      await until(() => refusals() >= 2, 8000, 'two refusals');
      assert.equal(run.stdoutLines(), 0, 'no data while refused');
      occupant.close();
      await until(() => run.stdoutLines() >= 2, 8000, 'records once a place is free');
      run.interrupt();
      const code = await run.exit;
      assert.equal(code, 0);
      const stats = lastJsonLine(run.stderr());
      assert.ok((stats.reconnectAttempts as number) >= 2, JSON.stringify(stats));
      assert.ok((stats.recordsDisplayed as number) >= 2);
      assert.match(JSON.stringify(stats.errorHistory), /closed \(code 1008: Server at capacity\)/);
    },
  );

  it(
    'a silent peer (no pong): detected within pingInterval + pingTimeout, cut, reconnected',
    TEST,
    async (t) => {
      const { wss, url } = await wsServer({ autoPong: false });
      const connections: { openedAt: number; closedAt?: number; pings: number }[] = [];
      wss.on('connection', (ws) => {
        const connection: { openedAt: number; closedAt?: number; pings: number } = {
          openedAt: Date.now(),
          pings: 0,
        };
        connections.push(connection);
        ws.on('ping', () => {
          connection.pings++;
        });
        ws.on('close', () => {
          connection.closedAt = Date.now();
        });
        ws.send(MONITORING_DATA);
      });
      const run = runInProcess([
        '-u',
        url,
        '--ping-interval',
        '0.2',
        '--ping-timeout',
        '0.2',
        '--reconnect-interval',
        '0.1',
        '-f',
        'jsonl',
      ]);
      await until(() => connections.length >= 2 && run.stdoutLines() >= 2, 8000, 'a reconnection');
      run.interrupt();
      const code = await run.exit;
      assert.equal(code, 0);
      const first = connections[0]!;
      const detectedMs = first.closedAt! - first.openedAt;
      t.diagnostic(`silent peer detected and cut ${detectedMs} ms after the connection opened`);
      assert.equal(first.pings, 1, 'one ping, unanswered');
      // pingInterval + pingTimeout = 400 ms (first ping 0.2 s after the open, dead 0.2 s later);
      // up to 350 ms more is left to the scheduling of a busy machine.
      assert.ok(detectedMs >= 380 && detectedMs <= 750, `detected after ${detectedMs} ms`);
      assert.match(run.stderr(), new RegExp(`no pong from ${url} within 0\\.2 s: the link is dead`));
      // The data of the new connection is displayed.
      assert.ok(records(run.stdout()).length >= 2);
    },
  );

  it(
    'a frame over maxPayload (1 MiB): refused unread, counted and saved as too_large, reconnected',
    TEST,
    async () => {
      const { wss, url } = await wsServer();
      let connections = 0;
      wss.on('connection', (ws) => {
        connections++;
        ws.on('error', () => {});
        if (connections === 1) {
          ws.send(JSON.stringify({ type: 'monitoring_data', blob: 'x'.repeat(1536 * 1024) }));
          return;
        }
        ws.send(MONITORING_DATA);
      });
      const path = join(tmp, 'too-large.jsonl');
      const run = runInProcess([
        '-u',
        url,
        '--reconnect-interval',
        '0.1',
        '--ping-interval',
        '0',
        '--save-data',
        path,
        '-f',
        'jsonl',
        '--stats',
      ]);
      await until(() => run.stdoutLines() >= 1, 8000, 'the record after the reconnection');
      run.interrupt();
      const code = await run.exit;
      assert.equal(code, 0);
      assert.match(run.stderr(), /disconnected: code 1009/);
      const stats = lastJsonLine(run.stderr());
      assert.equal(stats.messagesReceived, 2);
      assert.equal(stats.invalidMessages, 1);
      assert.equal(stats.recordsDisplayed, 1);
      const saved = (await readFile(path, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line))
        // Connection events are saved too (the gap is visible); the frames are checked here.
        .filter((line) => line.event === undefined);
      assert.deepEqual(
        saved.map((line) => line.invalid ?? line.message.type),
        ['too_large', 'monitoring_data'],
      );
      assert.equal(saved[0].size, 0, 'the frame was never read');
    },
  );

  it(
    'a server flooding faster than the client can print: memory bounded, nothing crashes, every record printed',
    TEST,
    async (t) => {
      // Spawned: the memory measured is that of the client's own process, its stdout a real
      // pipe that nobody reads.
      const server = await startFloodServer({});
      const run = runCli(['-u', server.url, '-f', 'jsonl', '--ping-interval', '0', '--stats'], {
        keepStdout: false,
        stdoutPaused: true,
      });
      await server.waitFor((e) => e.event === 'connection', 8000, 'the client');
      const baseline = rssMiB(run.child.pid);
      let peak = baseline;
      // Nobody reads the client's stdout. The client must stop reading the socket, so that the
      // flood stalls (TCP backpressure); buffering all it cannot print is what this test
      // refuses (and dropping records would break "one record per message", checked below).
      const ahead = 96 * 1024 * 1024;
      let lastSent = -1;
      let lastChange = Date.now();
      const deadline = Date.now() + 6000;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        peak = Math.max(peak, rssMiB(run.child.pid));
        if (server.sent() !== lastSent) {
          lastSent = server.sent();
          lastChange = Date.now();
        }
        if (server.bytes() - run.stdoutBytes() > ahead) break;
        if (Date.now() - lastChange > 400) break;
      }
      const stalledAt = server.sent();
      const blockedPeak = peak;
      t.diagnostic(
        `client RSS: ${baseline.toFixed(0)} MiB at connection, peak ${blockedPeak.toFixed(0)} MiB while stdout was blocked; the server sent ${stalledAt} frames (${(server.bytes() / 2 ** 20).toFixed(0)} MiB) meanwhile`,
      );
      assert.ok(
        blockedPeak - baseline < 64,
        `RSS grew by ${(blockedPeak - baseline).toFixed(0)} MiB while stdout was blocked (the server sent ${stalledAt} frames)`,
      );

      // The reader is back: the client catches up and the flood goes on.
      run.resumeStdout();
      await until(() => server.sent() > stalledAt + 20_000, 8000, 'the flood to go on');
      peak = Math.max(peak, rssMiB(run.child.pid));
      run.child.kill('SIGINT');
      const { code } = await run.exit;
      await server.kill('SIGKILL');
      t.diagnostic(`client RSS peak over the whole run: ${peak.toFixed(0)} MiB`);
      assert.equal(code, 0, run.stderr().slice(-2000));
      const stats = lastJsonLine(run.stderr());
      assert.equal(stats.recordsDisplayed, run.stdoutLines(), 'every record received was printed');
      assert.equal(stats.messagesReceived, stats.recordsDisplayed);
      assert.ok(peak - baseline < 64, `RSS grew by ${(peak - baseline).toFixed(0)} MiB`);
    },
  );
});

describe('fault: TLS with a self-signed certificate', () => {
  it('is refused by default, accepted with --ca, accepted with --insecure plus a warning', TEST, async () => {
    const https = createHttpsServer({ cert: TEST_CERT, key: TEST_KEY });
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (ws) => ws.send(MONITORING_DATA));
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    cleanups.push(() => {
      for (const socket of wss.clients) socket.terminate();
      https.closeAllConnections();
      https.close();
    });
    const url = `wss://127.0.0.1:${(https.address() as AddressInfo).port}`;
    const ca = join(tmp, 'ca.pem');
    writeFileSync(ca, TEST_CERT);
    const common = ['-u', url, '--ping-interval', '0'];
    const oneRecord = (run: { stdout(): string }) => run.stdout().endsWith('\n');
    const [refused, trusted, insecure] = [
      runInProcess([...common, '--no-reconnect']),
      runUntil([...common, '--ca', ca], oneRecord, 'the record with --ca'),
      runUntil([...common, '--insecure'], oneRecord, 'the record with --insecure'),
    ];

    assert.equal(await refused.exit, 1);
    assert.match(
      refused.stderr(),
      new RegExp(`TLS handshake with ${url} failed: self[- ]signed certificate`, 'i'),
    );
    assert.equal(refused.stdout(), '');

    const trustedRun = await trusted;
    assert.equal(trustedRun.code, 0, trustedRun.stderr);
    assert.equal(trustedRun.stdout, 'CPU: 0.0% | RAM: 1.2% | Disk: 21.5%\n');
    assert.doesNotMatch(trustedRun.stderr, /warning/i);

    const insecureRun = await insecure;
    assert.equal(insecureRun.code, 0, insecureRun.stderr);
    assert.equal(insecureRun.stdout, 'CPU: 0.0% | RAM: 1.2% | Disk: 21.5%\n');
    assert.match(
      insecureRun.stderr,
      /^monitoring-websocket-client: warning: --insecure: the server's certificate is NOT verified/m,
    );
  });
});
