import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { parseFrame } from '../src/protocol/frame.js';
import { LiveStream, type LiveStreamOptions } from '../src/web/live-stream.js';
import type { LiveBatch } from '../src/web/web-row.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture } from './helpers/fixtures.js';
import { SseReader, settle } from './helpers/sse.js';

/** A pipeline of `count` targets (no sinks), a live stream over it, behind a real HTTP server. */
async function setup(count: number, options: Partial<LiveStreamOptions> = {}) {
  const clock = new FakeClock();
  const pipeline = new Pipeline({ clock, staleAfter: 5 });
  await pipeline.start();
  const names = Array.from({ length: count }, (_, i) => `t${i}`);
  for (const name of names) {
    pipeline.emit({ type: 'target_added', target: name, at: clock.now(), uri: `ws://${name}`, labels: {} });
    pipeline.emit({ type: 'connected', target: name, at: clock.now(), uri: `ws://${name}`, attempt: 0 });
  }
  const live = new LiveStream({
    clock,
    rows: () => pipeline.targets(),
    spark: (target) => (target === 't0' ? [1, 2, 3] : []),
    ...options,
  });
  const responses: ServerResponse[] = [];
  const server: Server = createServer((request, response) => {
    responses.push(response);
    live.attach(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/live`;
  const message = fixture('real-server', 'monitoring_data');
  const send = (name: string, cpu: number, host = 'vm') => {
    const data = message.data as { processor: { usage_percent: number }; system: { hostname: string } };
    data.processor.usage_percent = cpu;
    data.system.hostname = host;
    pipeline.receive(name, parseFrame(JSON.stringify(message), false, clock.now()));
    live.changed(name);
  };
  const close = async () => {
    live.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await pipeline.close();
  };
  return { clock, pipeline, live, url, send, close, responses, names };
}

describe('LiveStream', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    ctx = await setup(3);
  });
  after(() => ctx.close());

  it('starts each connection with every row, the sparkline included, and SSE headers', async () => {
    ctx.send('t0', 10);
    const reader = await SseReader.open(ctx.url);
    assert.equal(reader.response.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(reader.response.headers['cache-control'], 'no-store');
    await reader.waitFor(1);
    const [reset] = reader.batches<LiveBatch>();
    assert.equal(reset?.reset, true);
    assert.equal(reset?.now, ctx.clock.now());
    assert.deepEqual(
      reset?.rows.map((row) => [row.name, row.status, row.cpu]),
      [
        ['t0', 'up', 10],
        ['t1', 'up', null],
        ['t2', 'up', null],
      ],
    );
    assert.deepEqual(reset?.rows[0]?.spark, [1, 2, 3]);
    reader.close();
  });

  it('sends, once per interval, only the targets that changed, each once however often it changed', async () => {
    const reader = await SseReader.open(ctx.url);
    await reader.waitFor(1);
    for (let i = 1; i <= 10; i++) ctx.send('t1', i);
    ctx.send('t2', 50);
    ctx.clock.tick(999);
    await settle();
    assert.equal(reader.events.length, 1, 'nothing before the interval has passed');
    ctx.clock.tick(1);
    await reader.waitFor(2);
    const update = reader.batches<LiveBatch>()[1]!;
    assert.equal(update.reset, false);
    assert.deepEqual(
      update.rows.map((row) => [row.name, row.cpu]),
      [
        ['t1', 10],
        ['t2', 50],
      ],
    );
    assert.equal(update.rows[0]?.spark, undefined, 'the sparkline comes with a reset only');
    // A quiet interval sends nothing; the next change is the next message.
    ctx.clock.tick(1000);
    ctx.send('t0', 77);
    ctx.clock.tick(1000);
    await reader.waitFor(3);
    await settle();
    assert.deepEqual(
      reader.batches<LiveBatch>()[2]?.rows.map((row) => [row.name, row.cpu]),
      [['t0', 77]],
    );
    assert.equal(reader.batches().length, 3);
    reader.close();
  });

  it('sends a row whose status changed with time alone (fresh to stale), and removed targets', async () => {
    const reader = await SseReader.open(ctx.url);
    await reader.waitFor(1);
    ctx.send('t0', 5);
    ctx.send('t1', 5);
    ctx.send('t2', 5);
    ctx.clock.tick(1000);
    await reader.waitFor(2);
    ctx.send('t0', 6);
    ctx.send('t1', 6);
    // t2 sends nothing more: stale once more than 5 s have passed since its last data.
    for (let i = 0; i < 5; i++) {
      if (i > 0) {
        ctx.send('t0', 6);
        ctx.send('t1', 6);
      }
      ctx.clock.tick(1000);
    }
    await reader.waitFor(7);
    const last = reader.batches<LiveBatch>().at(-1)!;
    assert.deepEqual(
      last.rows.map((row) => [row.name, row.status]),
      [
        ['t0', 'up'],
        ['t1', 'up'],
        ['t2', 'stale'],
      ],
    );
    ctx.pipeline.emit({ type: 'target_removed', target: 't2', at: ctx.clock.now() });
    ctx.live.removed('t2');
    ctx.clock.tick(1000);
    await reader.waitFor(8);
    assert.deepEqual(reader.batches<LiveBatch>().at(-1)?.removed, ['t2']);
    reader.close();
  });
});

describe('LiveStream limits', () => {
  it('refuses connections beyond maxClients with 503, and serves again once one leaves', async () => {
    const ctx = await setup(1, { maxClients: 2 });
    try {
      const a = await SseReader.open(ctx.url);
      const b = await SseReader.open(ctx.url);
      const c = await SseReader.open(ctx.url);
      assert.equal(c.response.statusCode, 503);
      assert.equal(ctx.live.stats().refused, 1);
      a.close();
      await settle(20);
      const d = await SseReader.open(ctx.url);
      assert.equal(d.response.statusCode, 200);
      b.close();
      d.close();
    } finally {
      await ctx.close();
    }
  });

  it('skips a page that does not read, keeps its queue bounded, and cuts it off; a reading page is not held up', async () => {
    const maxBufferedBytes = 64 * 1024;
    const ctx = await setup(400, { maxBufferedBytes, maxBehindIntervals: 3 });
    try {
      const fast = await SseReader.open(ctx.url);
      // The slow page: a raw socket that sends its request and never reads a byte.
      const slow = connect(Number(new URL(ctx.url).port), '127.0.0.1');
      await once(slow, 'connect');
      slow.pause();
      slow.write(`GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      await settle(20);
      assert.equal(ctx.responses.length, 2);
      const slowResponse = ctx.responses[1]!;
      const longHost = 'h'.repeat(200);
      let largestBatch = 0;
      let maxQueued = 0;
      for (let interval = 0; interval < 400 && ctx.live.stats().cutOff === 0; interval++) {
        for (const name of ctx.names) ctx.send(name, interval % 100, longHost);
        const before = fast.events.length;
        ctx.clock.tick(1000);
        await fast.waitFor(before + 1);
        largestBatch = Math.max(largestBatch, Buffer.byteLength(fast.events.at(-1)!.data));
        maxQueued = Math.max(maxQueued, slowResponse.writableLength);
        await settle();
      }
      const stats = ctx.live.stats();
      assert.equal(stats.cutOff, 1, 'the page that never reads is cut off');
      assert.ok(stats.skipped >= 3, `skipped ${stats.skipped} times before`);
      assert.ok(
        maxQueued <= maxBufferedBytes + largestBatch + 1024,
        `queued at most ${maxQueued} bytes (limit ${maxBufferedBytes} + one batch of ${largestBatch})`,
      );
      assert.equal(slowResponse.destroyed, true);
      // The reading page got every interval's update.
      const fastBatches = fast.batches<LiveBatch>();
      assert.ok(fastBatches.length > stats.skipped);
      assert.ok(fastBatches.slice(1).every((batch) => batch.rows.length === 400));
      assert.equal(stats.clients, 1);
      fast.close();
      slow.destroy();
    } finally {
      await ctx.close();
    }
  });

  it('gives a page that caught up the current rows of what it missed while skipped', async () => {
    const ctx = await setup(2, { maxBufferedBytes: 0 });
    try {
      const reader = await SseReader.open(ctx.url);
      await reader.waitFor(1);
      const response = ctx.responses[0]!;
      // With a limit of 0 bytes, any unflushed byte makes the page "behind": hold one back.
      response.cork();
      response.write(': held\n\n');
      ctx.send('t0', 11);
      ctx.clock.tick(1000);
      assert.equal(ctx.live.stats().skipped, 1);
      response.uncork();
      await settle(20);
      assert.equal(response.writableLength, 0);
      ctx.send('t1', 22);
      ctx.clock.tick(1000);
      await reader.waitFor(2);
      const batch = reader.batches<LiveBatch>()[1]!;
      assert.deepEqual(batch.rows.map((row) => [row.name, row.cpu]).sort(), [
        ['t0', 11],
        ['t1', 22],
      ]);
      reader.close();
    } finally {
      await ctx.close();
    }
  });
});
