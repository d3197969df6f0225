/**
 * A recording served as a monitoring server, read by our own WebSocketClient over real
 * sockets: the frames byte for byte at their pace, one path per target, the live server's
 * answers, the end of the recording, and who may connect.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runReplay } from '../src/cli/commands/replay.js';
import { type ConnectionError, GaveUpError, InvalidOptionError } from '../src/errors.js';
import { LoggingHandler } from '../src/handlers/logging-handler.js';
import { parseFrame, type ReceivedFrame } from '../src/protocol/frame.js';
import { END_OF_RECORDING_REASON, ReplayServer } from '../src/recording/replay-server.js';
import { WebSocketClient, type WebSocketClientOptions } from '../src/transport/websocket-client.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixtureFrame } from './helpers/fixtures.js';
import { capture, metricsFrame, writeRecording } from './helpers/recording.js';
import { until } from './helpers/test-server.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

let tmp: string;
let recording: string;
const framesOf: Record<string, string[]> = { 'gpu-1': [], 'ws://host:8765/x y': [] };
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mwc-replay-server-'));
  recording = join(tmp, 'two.db');
  const frames: [string, number, { cpu: number; seq: number }][] = [];
  for (let i = 0; i < 10; i++) {
    const target = i % 2 === 0 ? 'gpu-1' : 'ws://host:8765/x y';
    frames.push([target, T0 + i * 1000, { cpu: i, seq: i }]);
    framesOf[target]!.push(metricsFrame({ cpu: i, seq: i }));
  }
  await writeRecording(recording, frames);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Connects our client to `url` and collects its frames until the server closes. */
async function watch(url: string, options: WebSocketClientOptions = {}) {
  const client = new WebSocketClient(url, { reconnect: false, pingInterval: 0, ...options });
  const frames: ReceivedFrame[] = [];
  const closes: { code: number; reason: string }[] = [];
  client.on('frame', (frame) => frames.push(frame));
  client.on('disconnected', ({ code, reason }) => closes.push({ code, reason }));
  await client.start();
  return {
    client,
    frames,
    closes,
    data: () => frames.map((f) => f.raw).filter((raw) => raw.includes('monitoring_data')),
  };
}

describe('ReplayServer', () => {
  it('serves each target at its path: greeting, the recorded frames byte for byte, then the end', async () => {
    const server = new ReplayServer({ path: recording, port: 0, speed: 'max' });
    const address = await server.start();
    try {
      assert.deepEqual(
        address.targets.map((t) => t.name),
        ['gpu-1', 'ws://host:8765/x y'],
      );
      assert.equal(address.targets[1]!.url, `${address.url}/${encodeURIComponent('ws://host:8765/x y')}`);
      for (const target of address.targets) {
        const seen = await watch(target.url);
        await until(() => seen.closes.length > 0, 5000, 'the end of the recording');
        assert.deepEqual(JSON.parse(seen.frames[0]!.raw).type, 'connection');
        assert.deepEqual(seen.data(), framesOf[target.name]);
        assert.deepEqual(seen.closes, [{ code: 1000, reason: END_OF_RECORDING_REASON }]);
        await seen.client.stop();
      }
      const root = await watch(address.url);
      await until(() => root.closes.length > 0, 5000, 'the end of the recording');
      assert.deepEqual(root.data(), framesOf['gpu-1'], '/ serves the first target');
      await root.client.stop();
      assert.equal(server.playbacksCompleted, 3);
    } finally {
      await server.stop();
    }
  });

  it('keeps the recorded pace times speed, from the moment a client connects', async () => {
    const clock = new FakeClock();
    const server = new ReplayServer({ path: recording, port: 0, speed: 2, clock });
    const address = await server.start();
    try {
      const seen = await watch(address.targets[0]!.url);
      await until(() => seen.data().length === 1, 3000, 'the first frame at once');
      // Frames of gpu-1 are 2 s apart in the recording: 1 s apart at speed 2.
      clock.tick(999);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(seen.data().length, 1);
      clock.tick(1);
      await until(() => seen.data().length === 2, 3000, 'the second frame after 1 s');
      for (let i = 0; i < 3; i++) clock.tick(1000);
      await until(() => seen.closes.length > 0, 3000, 'the end of the recording');
      assert.deepEqual(seen.data(), framesOf['gpu-1']);
      await seen.client.stop();
    } finally {
      await server.stop();
    }
  });

  it('answers pings and status requests as the live server does', async () => {
    const clock = new FakeClock();
    const server = new ReplayServer({ path: recording, port: 0, clock });
    const address = await server.start();
    try {
      const seen = await watch(address.url);
      await seen.client.send({ type: 'ping' });
      await seen.client.send({ type: 'get_status' });
      await seen.client.send('not json');
      await until(() => seen.frames.length >= 5, 3000, 'the answers');
      const types = seen.frames.map((f) => (f.message as { type?: string } | undefined)?.type);
      assert.deepEqual(types, ['connection', 'monitoring_data', 'pong', 'status', 'error']);
      assert.equal((seen.frames[3]!.message as { connected_clients?: number }).connected_clients, 1);
      await seen.client.stop();
    } finally {
      await server.stop();
    }
  });

  it('serves a save-data file, its monitoring frames only', async () => {
    const path = join(tmp, 'saved.jsonl');
    const handler = new LoggingHandler({ path, checkInterval: 0 });
    const data = [metricsFrame({ seq: 1 }), metricsFrame({ seq: 2 })];
    for (const [i, text] of [
      fixtureFrame('real-server', 'connection'),
      data[0]!,
      fixtureFrame('real-server', 'pong'),
      data[1]!,
    ].entries()) {
      const frame = parseFrame(text, false, T0 + i * 10);
      handler.handleMessage({ frame, ...(frame.message ? { message: frame.message } : {}) });
    }
    await handler.close();
    const server = new ReplayServer({ path, port: 0, speed: 'max' });
    const address = await server.start();
    try {
      assert.deepEqual(address.targets, [{ name: 'saved', url: `${address.url}/saved` }]);
      const seen = await watch(address.url);
      await until(() => seen.closes.length > 0, 3000, 'the end of the recording');
      assert.deepEqual(seen.data(), data);
      assert.equal(
        seen.frames.length,
        3,
        'greeting + two frames: the recorded greeting and pong are not replayed',
      );
      await seen.client.stop();
    } finally {
      await server.stop();
    }
  });

  it('refuses browsers (403), unknown paths (404) and, with a token, anyone without it (401)', async () => {
    const server = new ReplayServer({ path: recording, port: 0, token: 's3cret', speed: 'max' });
    const address = await server.start();
    const statusOf = async (url: string, headers: Record<string, string>) => {
      const client = new WebSocketClient(url, { reconnect: false, pingInterval: 0, headers });
      try {
        await client.start();
        await client.stop();
        return 101;
      } catch (error) {
        assert.ok(error instanceof GaveUpError, String(error));
        const cause = error.cause as ConnectionError;
        assert.equal(cause.code, 'HANDSHAKE_REJECTED');
        return cause.status;
      }
    };
    try {
      const token = { Authorization: 'Bearer s3cret' };
      assert.equal(await statusOf(address.url, {}), 401);
      assert.equal(await statusOf(address.url, { Authorization: 'Bearer wrong' }), 401);
      assert.equal(await statusOf(address.url, token), 101);
      assert.equal(await statusOf(`${address.url}/nobody`, token), 404);
      assert.equal(await statusOf(address.url, { ...token, Origin: 'https://evil.example' }), 403);
    } finally {
      await server.stop();
    }
  });

  it('will not listen beyond this machine without a token', () => {
    assert.throws(
      () => new ReplayServer({ path: recording, host: '0.0.0.0' }),
      (error: InvalidOptionError) =>
        error instanceof InvalidOptionError && /unless a token is given/.test(error.message),
    );
    assert.doesNotThrow(() => new ReplayServer({ path: recording, host: '0.0.0.0', token: 't' }));
    assert.doesNotThrow(() => new ReplayServer({ path: recording, host: 'localhost' }));
  });

  it('replay --serve: serves until the signal, then exits 0', async () => {
    const stdout = capture();
    const stderr = capture();
    const controller = new AbortController();
    const exit = runReplay([recording, '--serve', '127.0.0.1:0', '--max-speed'], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      signal: controller.signal,
    });
    await until(() => /gpu-1: ws:\/\/\S+\n/.test(stderr.text()), 5000, 'the addresses');
    assert.match(
      stderr.text(),
      /^monitoring-websocket-client: replaying .*two\.db at ws:\/\/127\.0\.0\.1:\d+\n/,
    );
    const url = /gpu-1: (ws:\/\/\S+)\n/.exec(stderr.text())![1]!;
    const seen = await watch(url);
    await until(() => seen.closes.length > 0, 5000, 'the end of the recording');
    assert.deepEqual(seen.data(), framesOf['gpu-1']);
    controller.abort();
    assert.equal(await exit, 0);
    assert.equal(stdout.text(), '');
  });

  it('replay --serve: a token file is required beyond loopback, and then enforced', async () => {
    const tokenFile = join(tmp, 'token');
    writeFileSync(tokenFile, 'tok-123\n');
    const stderr = capture();
    const controller = new AbortController();
    const exit = runReplay([recording, '--serve', '0', '--serve-token-file', tokenFile, '--max-speed'], {
      stdout: capture().stream,
      stderr: stderr.stream,
      signal: controller.signal,
    });
    await until(() => /gpu-1: ws:\/\/\S+\n/.test(stderr.text()), 5000, 'the addresses');
    const url = /gpu-1: (ws:\/\/\S+)\n/.exec(stderr.text())![1]!;
    await assert.rejects(watch(url), GaveUpError);
    const seen = await watch(url, { headers: { Authorization: 'Bearer tok-123' } });
    await until(() => seen.closes.length > 0, 5000, 'the end of the recording');
    assert.deepEqual(seen.data(), framesOf['gpu-1']);
    controller.abort();
    assert.equal(await exit, 0);
  });
});
