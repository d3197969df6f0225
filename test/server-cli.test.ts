import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { runServer } from '../src/server/cli.js';
import { MonitoringServer } from '../src/server/monitoring-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string })
  .version;

/** The built bin when it is newer than every source file (as after `npm test`'s build), else the source via tsx. */
const binCommand: { args: string[]; label: string } = (() => {
  const dist = path.join(root, 'dist', 'server', 'bin.js');
  const newestSource = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
        const file = path.join(dir, entry.name);
        return entry.isDirectory() ? newestSource(file) : statSync(file).mtimeMs;
      }),
    );
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestSource(path.join(root, 'src'))) {
    return { args: [dist], label: 'dist/server/bin.js' };
  }
  return {
    args: ['--import', 'tsx', path.join(root, 'src', 'server', 'bin.ts')],
    label: 'src/server/bin.ts via tsx',
  };
})();

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

async function waitFor<T>(read: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const LISTENING = /^monitoring-websocket-server listening on (ws:\/\/127\.0\.0\.1:(\d+))$/m;

/** Runs the command in-process with captured output. */
async function run(argv: string[], signal?: AbortSignal) {
  const stdout = capture();
  const stderr = capture();
  const code = await runServer(argv, { stdout: stdout.stream, stderr: stderr.stream, signal });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Connects and reads messages until one of type `monitoring_data`; returns them all and the socket. */
async function readUntilData(url: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const ws = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no monitoring_data in time')), 5000);
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      messages.push(message);
      if (message.type === 'monitoring_data') {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.on('error', reject);
  });
  return { ws, messages };
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function spawnServer(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [...binCommand.args, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    err += String(chunk);
  });
  return { child, stdout: () => out, stderr: () => err };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, signal: null });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('runServer: help, version, invalid arguments', () => {
  it('--help lists every option with examples and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.match(stdout, /^Usage: monitoring-websocket-server \[options\]/);
    for (const flag of [
      '--host',
      '--port',
      '--interval',
      '--disk-path',
      '--max-clients',
      '--token-file',
      '--tls-cert',
      '--tls-key',
      '--allowed-origin',
      '--handshake-timeout',
      '--max-pending-handshakes',
      '--max-clients-per-address',
      '--max-message-rate',
      '--max-message-burst',
      '--max-message-size',
      '--memory-warning',
      '--memory-critical',
      '--disk-warning',
      '--disk-critical',
      '--version',
      '--help',
    ]) {
      assert.ok(stdout.includes(flag), flag);
    }
    assert.match(stdout, /\nExamples:\n {2}\$ monitoring-websocket-server\n/);
    assert.match(stdout, /\n {2}\$ monitoring-websocket-server --port 0\n/);
  });

  it('--version prints the version of package.json', async () => {
    assert.deepEqual(await run(['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('refuses an invalid value with one line naming the option, the value and what is allowed, exit 2', async () => {
    const cases: [string[], string][] = [
      [
        ['--port', 'abc'],
        'error: invalid --port: "abc" (expected an integer from 0 to 65535, 0 for any free port)',
      ],
      [
        ['--port', '70000'],
        'error: invalid --port: "70000" (expected an integer from 0 to 65535, 0 for any free port)',
      ],
      [
        ['--interval', '0'],
        'error: invalid --interval: "0" (expected a number of seconds from 0.01 to 86400)',
      ],
      [['--interval', ''], 'error: invalid --interval: "" (expected a number of seconds from 0.01 to 86400)'],
      [['--max-clients', '1.5'], 'error: invalid --max-clients: "1.5" (expected an integer of at least 1)'],
      [
        ['--disk-critical', '101'],
        'error: invalid --disk-critical: "101" (expected a percentage from 0 to 100)',
      ],
      [
        ['--memory-warning', '95'],
        'error: invalid --memory-warning: 95 (expected a percentage no higher than --memory-critical, 90)',
      ],
      [
        ['--disk-path', '/no/such/dir'],
        'error: invalid --disk-path: "/no/such/dir" (expected an existing path; statfs failed with ENOENT)',
      ],
      [['--host', ' '], 'error: invalid --host: " " (expected a host name or IP address)'],
      [['--bogus'], "error: unknown option '--bogus'"],
      [['extra'], 'error: too many arguments. Expected 0 arguments but got 1.'],
      [['--port'], "error: option '--port <port>' argument missing"],
    ];
    for (const [argv, line] of cases) {
      const { code, stdout, stderr } = await run(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.equal(stdout, '', argv.join(' '));
      assert.equal(stderr, `${line}\n`, argv.join(' '));
    }
  });

  it('exits 1 with the reason when the port is taken', async () => {
    const taken = new MonitoringServer({ port: 0 });
    const { port } = await taken.start();
    try {
      const { code, stdout, stderr } = await run(['--port', String(port)]);
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(
        stderr,
        `error: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)\n`,
      );
    } finally {
      await taken.stop();
    }
  });
});

describe('runServer: serving', () => {
  it('prints the URL of a free port, serves real metrics, and stops with 1001 when signalled', async () => {
    const controller = new AbortController();
    const stdout = capture();
    const stderr = capture();
    const done = runServer(['--port', '0', '--interval', '0.02'], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      signal: controller.signal,
    });
    const url = await waitFor(() => LISTENING.exec(stdout.text())?.[1], 'the listening line');
    const { ws, messages } = await readUntilData(url);
    assert.equal(messages[0]?.type, 'connection');
    const data = messages.at(-1)?.data as { memory: { percentage: number }; disk: { path: string } };
    assert.ok(data.memory.percentage >= 0 && data.memory.percentage <= 100);
    assert.equal(data.disk.path, '/');
    const closed = closeOf(ws);
    controller.abort();
    assert.equal(await done, 0);
    assert.deepEqual(await closed, { code: 1001, reason: 'Server shutting down' });
    assert.match(stderr.text(), /INFO client 127\.0\.0\.1:\d+ connected; 1 connected/);
  });

  it('warns when it listens beyond this machine', async () => {
    const controller = new AbortController();
    controller.abort();
    const { code, stdout, stderr } = await run(['--host', '0.0.0.0', '--port', '0'], controller.signal);
    assert.equal(code, 0);
    assert.match(stdout, /listening on ws:\/\/0\.0\.0\.0:\d+\n/);
    assert.match(
      stderr,
      /^[\d-]+T[\d:.]+ WARNING listening on 0\.0\.0\.0 without a token: anyone who can reach this machine can read its host name, operating system, CPU, memory, disk and GPU usage and its disk paths; require a token \(--token-file or MONITORING_TOKEN, or the token option\)\n$/,
    );
  });
});

describe(`the monitoring-websocket-server process (${binCommand.label})`, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serves on --port 0 and exits 0 on ${signal}, closing clients with 1001`, async () => {
      const server = spawnServer(['--port', '0', '--interval', '0.05']);
      const url = await waitFor(() => LISTENING.exec(server.stdout())?.[1], 'the listening line', 15_000);
      const { ws, messages } = await readUntilData(url);
      assert.deepEqual(
        messages.map((m) => m.type),
        ['connection', 'monitoring_data'],
      );
      const closed = closeOf(ws);
      server.child.kill(signal);
      assert.deepEqual(await exitOf(server.child), { code: 0, signal: null });
      assert.deepEqual(await closed, { code: 1001, reason: 'Server shutting down' });
    });
  }

  it('exits 2 with one line on stderr for an invalid argument', async () => {
    const server = spawnServer(['--interval', 'soon']);
    assert.deepEqual(await exitOf(server.child), { code: 2, signal: null });
    assert.equal(server.stdout(), '');
    assert.equal(
      server.stderr(),
      'error: invalid --interval: "soon" (expected a number of seconds from 0.01 to 86400)\n',
    );
  });
});
