import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture, fixtureFrame } from './helpers/fixtures.js';
import { runInProcess, runUntil } from './helpers/in-process-cli.js';
import { TestServer, until } from './helpers/test-server.js';

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/**
 * Spawns the built CLI with a clean environment (no colour forcing, no inherited MONITORING_*).
 * Only for what needs the process itself (its output as a binary, a pipe as stdout, signals,
 * its exit code); the rest runs `run(argv, io)` in this process (./helpers/in-process-cli.ts).
 */
function cli(args: string[], env: Record<string, string> = {}): Run {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, ms: Date.now() - started })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function closedPort(): Promise<number> {
  const server = await TestServer.start();
  const { port } = server;
  await server.close();
  return port;
}

const ESC = '\u001b';

describe('monitoring-websocket-client (the command)', () => {
  let tmp: string;
  let server: TestServer;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'monitoring-cli-'));
    server = await TestServer.start({ greeting: [fixtureFrame('real-server', 'connection')] });
    // Each new client receives both dialects, then the stream goes on from the test.
    server.wss.on('connection', (socket) => {
      socket.send(fixtureFrame('real-server', 'monitoring_data'));
      socket.send(fixtureFrame('documented', 'monitoring_data'));
      socket.send(fixtureFrame('real-server', 'monitoring_data_alerts'));
    });
  });
  after(async () => {
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  /** True once `run` printed the three monitoring messages each client gets. */
  const threeRecords = (run: { stdout(): string }) => run.stdout().split('\n').length >= 4;

  // Spawned: the binary's own output and exit code for --help and --version.
  it('prints --help with examples and exit codes, and --version', async () => {
    const help = cli(['--help']);
    assert.equal((await help.exit).code, 0);
    assert.match(help.stdout(), /--uri <uri>/);
    assert.match(help.stdout(), /Exit codes:/);
    assert.match(help.stdout(), /monitoring-websocket-client --demo/);
    const version = cli(['--version']);
    assert.equal((await version.exit).code, 0);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.equal(version.stdout().trim(), pkg.version);
  });

  // Spawned: stdout is a real pipe (no colour), and --duration ends the process with 0. The
  // duration leaves a loaded machine time to connect: the records come within milliseconds.
  it('prints exactly one simple record per message on stdout, notices on stderr', async () => {
    const run = cli(['-u', server.url, '--duration', '1.5', '--ping-interval', '0']);
    const { code } = await run.exit;
    assert.equal(code, 0);
    assert.deepEqual(run.stdout().split('\n'), [
      'CPU: 0.0% | RAM: 1.2% | Disk: 21.5%',
      'CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%',
      'CPU: 0.0% | RAM: 91.3% | Disk: 86.0% | GPU: 37.0%',
      '',
    ]);
    assert.match(run.stderr(), /Connected to monitoring server/);
    assert.match(run.stderr(), /Critical memory usage: 91\.3%/);
    assert.ok(!run.stdout().includes(ESC), 'no colour when stdout is a pipe');
  });

  it('shows the alerts once with -f detailed: in the record, not again as a notice', async () => {
    const run = await runUntil(
      ['-u', server.url, '-f', 'detailed', '--ping-interval', '0'],
      (r) => r.stdout().includes('Critical memory usage'),
      'the record with the alerts',
    );
    assert.equal(run.code, 0);
    assert.equal(run.stdout.match(/Critical memory usage: 91\.3%/g)?.length, 1);
    assert.match(run.stdout, /=== Monitoring System - 14:30:25 ===/);
    assert.doesNotMatch(run.stderr, /Critical memory usage/);
  });

  // Spawned for FORCE_COLOR: the environment of a real process, its stdout a real pipe.
  it('colours by threshold when FORCE_COLOR is set, and not with --no-color or NO_COLOR', async () => {
    const coloured = cli(['-u', server.url, '--ping-interval', '0'], { FORCE_COLOR: '1' });
    await until(() => threeRecords(coloured), 8000, 'the coloured records');
    coloured.child.kill('SIGINT');
    assert.equal((await coloured.exit).code, 0);
    const line = coloured.stdout().split('\n')[2] ?? '';
    assert.ok(line.includes(`${ESC}[31m91.3%`), `red critical value in ${JSON.stringify(line)}`);
    assert.ok(line.includes(`${ESC}[32m0.0%`), `green normal value in ${JSON.stringify(line)}`);
    // The same decision in this process: FORCE_COLOR would colour, were it not for these.
    const plain = await runUntil(
      ['-u', server.url, '--ping-interval', '0', '--no-color'],
      threeRecords,
      'records',
      {
        FORCE_COLOR: '1',
        NO_COLOR: undefined,
      },
    );
    assert.equal(plain.stdout.split('\n').length, 4);
    assert.ok(!plain.stdout.includes(ESC));
    const noColor = await runUntil(['-u', server.url, '--ping-interval', '0'], threeRecords, 'records', {
      FORCE_COLOR: '1',
      NO_COLOR: '1',
    });
    assert.equal(noColor.stdout.split('\n').length, 4);
    assert.ok(!noColor.stdout.includes(ESC));
    const forced = await runUntil(['-u', server.url, '--ping-interval', '0'], threeRecords, 'records', {
      FORCE_COLOR: '1',
      NO_COLOR: undefined,
    });
    assert.ok(forced.stdout.includes(ESC), 'the in-process runs above could colour');
  });

  it('prints jsonl that jq could read, one object per message', async () => {
    const run = await runUntil(
      ['-u', server.url, '-f', 'jsonl', '--ping-interval', '0'],
      threeRecords,
      'records',
    );
    assert.equal(run.code, 0);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(JSON.parse(lines[1] ?? ''), fixture('documented', 'monitoring_data'));
  });

  it('takes the format from MONITORING_FORMAT, and the flag wins', async () => {
    const fromEnv = await runUntil(['-u', server.url, '--ping-interval', '0'], threeRecords, 'records', {
      MONITORING_FORMAT: 'compact',
    });
    assert.match(fromEnv.stdout.split('\n')[1] ?? '', /^\[14:30:25\] CPU:45% │ RAM:63%/);
    const flagWins = await runUntil(
      ['-u', server.url, '--ping-interval', '0', '-f', 'simple'],
      threeRecords,
      'records',
      { MONITORING_FORMAT: 'compact' },
    );
    assert.match(flagWins.stdout, /^CPU: 0\.0% \| RAM: 1\.2%/);
  });

  it('prints statistics at the end with --stats, as JSON with a JSON format', async () => {
    const run = await runUntil(
      ['-u', server.url, '--ping-interval', '0', '--stats', '-f', 'json'],
      (r) => (r.stdout().match(/"type": "monitoring_data"/g)?.length ?? 0) >= 3,
      'records',
    );
    assert.equal(run.code, 0);
    const start = run.stderr.lastIndexOf('\n{');
    const stats = JSON.parse(run.stderr.slice(start + 1));
    assert.equal(stats.messagesReceived, 4);
    assert.equal(stats.totalDisconnections, 0);
  });

  // Spawned: the exit code of the binary, and a process that ends by itself once it gave up.
  it('prints statistics even when it never connected, and gives up with exit code 1', async () => {
    const port = await closedPort();
    const run = cli(['-u', `ws://127.0.0.1:${port}`, '--no-reconnect', '--stats']);
    const { code, ms } = await run.exit;
    assert.equal(code, 1);
    // No retry wait: it exits as soon as the refusal is known. The bound leaves room for a
    // process start-up on a busy machine (seconds), far below a retry interval plus the run.
    assert.ok(ms < 10_000, `exited in ${ms} ms`);
    assert.match(run.stderr(), /refused/i);
    assert.match(run.stderr(), /Messages received: 0/);
    assert.equal(run.stdout(), '');
  });

  it('refuses a frame over --max-payload unread, counts it, and keeps what came before', async () => {
    // The alerts message (about 1.3 KB) is the third monitoring message each client gets.
    const run = runInProcess([
      '-u',
      server.url,
      '--max-payload',
      '1000',
      '--no-reconnect',
      '--stats',
      '-f',
      'jsonl',
    ]);
    assert.equal(await run.exit, 1);
    assert.equal(run.stdout().trimEnd().split('\n').length, 2);
    const stats = JSON.parse(run.stderr().trimEnd().split('\n').at(-1) ?? '');
    assert.equal(stats.invalidMessages, 1);
    assert.equal(stats.messagesReceived, 4);
  });

  it('gives up after --max-reconnects attempts, spaced by --reconnect-interval', async () => {
    const port = await closedPort();
    const started = Date.now();
    const run = runInProcess([
      '-u',
      `ws://127.0.0.1:${port}`,
      '--max-reconnects',
      '2',
      '--reconnect-interval',
      '0.1',
    ]);
    const code = await run.exit;
    const ms = Date.now() - started;
    assert.equal(code, 1);
    // Two waits of 0.1 s, then it gives up at once: far below a second retry of 0.1 s per
    // attempt plus a run that lingers (no process start-up to allow for in this process).
    // At least 150 ms proves both waits (one alone reads about 100). Not 200: each Node timer
    // counts from the loop's cached time, which lags by however long the loop has run since it
    // last read the clock, so each wait may read a few milliseconds short (CI: 199, then 197).
    assert.ok(ms >= 150 && ms < 5000, `gave up in ${ms} ms`);
    assert.match(run.stderr(), /reconnecting in 0\.1 s \(attempt 1\/2\)/);
    assert.match(run.stderr(), /attempt 2\/2/);
    assert.match(run.stderr(), /gave up after/);
  });

  // Spawned: SIGINT reaches a real process, which flushes before it exits.
  it('flushes every saved frame on SIGINT', async () => {
    const path = join(tmp, 'sigint.jsonl');
    const run = cli(['-u', server.url, '--save-data', path, '--ping-interval', '0', '-f', 'jsonl']);
    await until(() => run.stdout().split('\n').length >= 4, 5000, 'three records');
    const socket = [...server.wss.clients].at(-1);
    for (let i = 0; i < 200; i++)
      socket?.send(JSON.stringify({ ...fixture('real-server', 'monitoring_data'), seq: i }));
    await until(() => run.stdout().split('\n').length >= 204, 5000, 'all records');
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    assert.equal(code, 0);
    // Connection events are saved as lines too; the frames are the lines without `event`.
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .filter((line) => !line.includes('"event":'));
    // The greeting, three monitoring messages, then the 200 sent here.
    assert.equal(lines.length, 204);
    for (const line of lines) JSON.parse(line);
    assert.ok(!run.stderr().includes('"seq"'), 'saved data is never echoed to the terminal');
  });

  const usageCases: [string[], RegExp][] = [
    [['-f', 'fancy'], /'fancy'.*simple, detailed, compact, json, jsonl/],
    [
      ['-u', 'http://localhost:8765'],
      /invalid --uri: "http:\/\/localhost:8765" \(expected a ws:\/\/ or wss:\/\/ URI/,
    ],
    [['--reconnect-interval', '-1'], /--reconnect-interval.*'-1'.*seconds from 0\.1 to 86400/],
    [['--ping-interval', 'abc'], /--ping-interval.*'abc'.*0 \(off\) or a decimal number of seconds/],
    [['--duration', '0'], /--duration.*'0'.*seconds > 0/],
    [['--max-reconnects', '1.5'], /--max-reconnects.*'1\.5'.*integer from 0 to/],
    [['--max-payload', '0'], /--max-payload.*'0'.*bytes from 1 to/],
    [
      ['--save-data', '/nonexistent-folder/data.jsonl'],
      /invalid --save-data: "\/nonexistent-folder\/data\.jsonl" \(.+\)/,
    ],
    [['--log-file', '/nonexistent-folder/client.log'], /invalid --log-file/],
    [['--bogus'], /unknown option '--bogus'/],
    [['-H', 'no colon'], /--header.*'no colon'.*Name: value/],
  ];
  for (const [index, [args, expected]] of usageCases.entries()) {
    // The first one spawned: the binary's exit code 2 and its whole stderr; the rest in this process.
    const spawned = index === 0;
    it(`rejects ${args.join(' ')} with one clear line and exit code 2${spawned ? ' (spawned)' : ''}`, async () => {
      let code: number | null;
      let stderr: string;
      let stray = '';
      if (spawned) {
        const run = cli(args);
        code = (await run.exit).code;
        stderr = run.stderr();
      } else {
        const run = runInProcess(args);
        code = await run.exit;
        stderr = run.stderr();
        stray = run.stray();
      }
      assert.equal(code, 2);
      assert.match(stderr, expected);
      assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(stray, /\n\s+at |error/i, 'nothing printed around the streams given');
    });
  }

  it('rejects a bad MONITORING_FORMAT with exit code 2', async () => {
    const run = runInProcess([], { MONITORING_FORMAT: 'fancy' });
    assert.equal(await run.exit, 2);
    assert.match(run.stderr(), /MONITORING_FORMAT: "fancy"/);
  });

  it('never lets a hostile server write control sequences to the terminal', async () => {
    const hostile = await TestServer.start();
    const evil = `${ESC}]0;pwned${String.fromCharCode(7)}${ESC}[2J\u009b31m\u202eevil`;
    const message = fixture('real-server', 'monitoring_data_alerts') as {
      data: { system: Record<string, unknown>; gpu: Record<string, unknown> };
      alerts: { message: string }[];
    };
    message.data.system.hostname = evil;
    message.data.gpu.name = evil;
    for (const alert of message.alerts) alert.message = evil;
    hostile.wss.on('connection', (socket) => {
      socket.send(
        JSON.stringify({ type: 'connection', status: 'connected', timestamp: evil, message: evil }),
      );
      socket.send(JSON.stringify(message));
      socket.send(JSON.stringify({ type: 'error', message: evil }));
      socket.send(JSON.stringify({ type: 'error_message', error: evil, severity: evil }));
      socket.send(evil);
      // Frames are handled in order: once this one is printed, so were all the others.
      socket.send(JSON.stringify({ type: 'error', message: 'end-of-hostile-frames' }));
    });
    for (const format of ['simple', 'detailed', 'compact', 'json', 'jsonl']) {
      const run = await runUntil(
        ['-u', hostile.url, '-f', format, '--ping-interval', '0', '--stats', '-v'],
        (r) => r.stderr().includes('end-of-hostile-frames'),
        `${format}: every frame`,
      );
      for (const [name, text] of [
        ['stdout', run.stdout],
        ['stderr', run.stderr],
        ['this process', run.stray],
      ]) {
        assert.ok(
          !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/.test(text ?? ''),
          `${format} ${name}: ${JSON.stringify(text)}`,
        );
      }
      assert.match(run.stdout, /./, `${format} printed the record`);
    }
    await hostile.close();
  });
});
