/**
 * `--web` through the real command: in-process with `run(argv, io)`, and the built CLI
 * spawned (`dist/cli/bin.js`; `npm test` builds it), as a user would start it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { run } from '../src/cli/run.js';
import type { TargetRow } from '../src/pipeline/target-row.js';
import type { HistorySeries } from '../src/web/history-source.js';
import type { LiveBatch } from '../src/web/web-row.js';
import { fixture } from './helpers/fixtures.js';
import { killAll, runCli } from './helpers/processes.js';
import { SseReader } from './helpers/sse.js';
import { TestServer } from './helpers/test-server.js';
import { httpGet, requireBuiltPage } from './helpers/web-page.js';
import { writeRecording } from './helpers/web-recording.js';

/** A stream that keeps what is written to it. */
function capture(): PassThrough & { text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return Object.assign(stream, { text: () => text });
}

/** Resolves with the value `probe` returns once it is not undefined; rejects after `timeoutMs`. */
async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function data(cpu: number, hostname: string): Record<string, unknown> {
  const message = fixture('real-server', 'monitoring_data') as {
    data: { processor: { usage_percent: number }; system: { hostname: string } };
  };
  message.data.processor.usage_percent = cpu;
  message.data.system.hostname = hostname;
  return message;
}

const URL_LINE = /web dashboard: (http:\/\/[^\s?]+\/)(?:\?token=([A-Za-z0-9_-]+))?/;

describe('--web through the command', () => {
  let servers: TestServer[];
  const dir = mkdtempSync(join(tmpdir(), 'mwc-web-cli-'));

  before(async () => {
    requireBuiltPage();
    servers = [await TestServer.start(), await TestServer.start()];
    for (const [i, server] of servers.entries()) {
      server.wss.on('connection', (socket) => socket.send(JSON.stringify(data(10 + i * 50, `host-${i}`))));
    }
  });

  after(async () => {
    killAll();
    for (const server of servers) await server.close();
  });

  it('run(): serves the targets of the command on the printed URL, live, and stops with the run', async () => {
    const stdout = capture();
    const stderr = capture();
    const abort = new AbortController();
    const exit = run(
      ['-u', `alpha=${servers[0]!.url}`, '-u', `bravo=${servers[1]!.url}`, '--web', '0', '-f', 'jsonl'],
      { stdout, stderr, signal: abort.signal, env: {} },
    );
    try {
      const base = await eventually(() => URL_LINE.exec(stderr.text())?.[1], 'the URL on stderr');
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.doesNotMatch(stderr.text(), /token/, 'no token on loopback');
      const rows = await eventually(async () => {
        const body = JSON.parse((await httpGet(`${base}api/targets`)).body) as { targets: TargetRow[] };
        return body.targets.every((row) => row.snapshot !== null) ? body.targets : undefined;
      }, 'data from both targets');
      assert.deepEqual(
        rows.map((row) => [row.name, row.status, row.host, row.snapshot?.cpu.usagePercent]),
        [
          ['alpha', 'up', 'host-0', 10],
          ['bravo', 'up', 'host-1', 60],
        ],
      );
      const live = await SseReader.open(`${base}api/live`);
      await live.waitFor(1);
      await servers[1]!.broadcast(data(99, 'host-1'));
      await eventually(
        () =>
          live
            .batches<LiveBatch>()
            .some((batch) => batch.rows.some((row) => row.name === 'bravo' && row.cpu === 99)) || undefined,
        'the live update',
      );
      live.close();
      assert.match(stdout.text(), /"source":"alpha"/, 'the line display goes on beside the dashboard');
    } finally {
      abort.abort();
    }
    assert.equal(await exit, 0);
    const base = URL_LINE.exec(stderr.text())![1]!;
    await assert.rejects(httpGet(base), /ECONNREFUSED/, 'the dashboard stops with the run');
  });

  it('run(): with --record, the history reaches back over the recording, then on with the live data', async () => {
    const path = join(dir, 'with-history.db');
    // Two hours of the past, recorded by an earlier run: one point a minute.
    const start = Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000;
    const past = Array.from({ length: 120 }, (_, i) => start + i * 60_000);
    await writeRecording(path, 'alpha', past, (at) => ((at - start) / 60_000) % 100);
    const stderr = capture();
    const abort = new AbortController();
    const exit = run(['-u', `alpha=${servers[0]!.url}`, '--web', '0', '--record', path, '-f', 'jsonl'], {
      stdout: capture(),
      stderr,
      signal: abort.signal,
      env: {},
    });
    try {
      const base = await eventually(() => URL_LINE.exec(stderr.text())?.[1], 'the URL on stderr');
      const series = await eventually(async () => {
        const answer = await httpGet(`${base}api/targets/alpha/history?since=${start - 1}`);
        const body = JSON.parse(answer.body) as HistorySeries;
        // The past, then the live point (cpu 10) the server sent on connection.
        return body.t.length > past.length ? body : undefined;
      }, 'the recorded and the live points');
      assert.equal(series.source, 'recording');
      assert.deepEqual(series.t.slice(0, past.length), past);
      assert.deepEqual(
        series.cpu.slice(0, past.length),
        past.map((_, i) => i % 100),
      );
      assert.equal(series.cpu.at(-1), 10);
      assert.ok(series.t.at(-1)! > Date.now() - 60_000);
    } finally {
      abort.abort();
    }
    assert.equal(await exit, 0);
  });

  it('run(): a bad --web, a lone --web-token-file or a taken port is one line and exit 2', async () => {
    const taken = servers[0]!.port;
    const cases: [string[], RegExp][] = [
      [
        ['--web', 'nope'],
        /^monitoring-websocket-client: error: invalid --web: "nope" \(expected \[HOST:\]PORT/,
      ],
      [
        ['--web-token-file', join(dir, 'x')],
        /^monitoring-websocket-client: error: invalid --web-token-file: it needs --web/,
      ],
      [
        ['--web', `127.0.0.1:${taken}`],
        /^monitoring-websocket-client: error: invalid --web: "127.0.0.1:\d+" \(.*EADDRINUSE\)$/,
      ],
    ];
    for (const [args, message] of cases) {
      const stderr = capture();
      const code = await run(['-u', servers[0]!.url, ...args], { stdout: capture(), stderr, env: {} });
      assert.equal(code, 2, args.join(' '));
      const lines = stderr.text().trimEnd().split('\n');
      assert.equal(lines.length, 1, stderr.text());
      assert.match(lines[0]!, message);
    }
  });

  it('bin: beyond loopback it prints a generated token once and refuses every request without it', async () => {
    const cli = runCli(['-u', `alpha=${servers[0]!.url}`, '--web', '127.0.0.2:0', '-f', 'simple']);
    try {
      const [, base, token] = await eventually(
        () => URL_LINE.exec(cli.stderr()) ?? undefined,
        'the URL line',
        10_000,
      );
      assert.match(base!, /^http:\/\/127\.0\.0\.2:\d+\/$/);
      assert.match(token ?? '', /^[A-Za-z0-9_-]{43}$/);
      for (const path of ['', 'api/targets', 'api/live']) {
        assert.equal((await httpGet(`${base}${path}`)).status, 401, path);
      }
      const allowed = await httpGet(`${base}api/targets`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(allowed.status, 200);
      const login = await httpGet(`${base}?token=${token}`);
      assert.equal(login.status, 303);
      assert.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
      assert.equal(cli.stderr().split(token!).length - 1, 1, 'the token is printed once');
    } finally {
      cli.child.kill('SIGTERM');
    }
    const exit = await cli.exit;
    assert.equal(exit.code, 0);
  });

  it('bin: with --web-token-file, the URL is printed without the token and the file token is required', async () => {
    const tokenFile = join(dir, 'web-token');
    writeFileSync(tokenFile, 'file-token-for-the-web-0123456789\n');
    const cli = runCli(['-u', servers[0]!.url, '--web', '127.0.0.2:0', '--web-token-file', tokenFile]);
    try {
      const [line, base, token] = await eventually(
        () => URL_LINE.exec(cli.stderr()) ?? undefined,
        'the URL line',
        10_000,
      );
      assert.equal(token, undefined, line);
      assert.doesNotMatch(cli.stderr(), /file-token-for-the-web/);
      assert.equal((await httpGet(`${base}api/targets`)).status, 401);
      const allowed = await httpGet(`${base}api/targets`, {
        headers: { Authorization: 'Bearer file-token-for-the-web-0123456789' },
      });
      assert.equal(allowed.status, 200);
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.equal((await cli.exit).code, 0);
  });
});
