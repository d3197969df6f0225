import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InvalidOptionError } from '../src/errors.js';
import { MonitoringFleet } from '../src/fleet/monitoring-fleet.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { TargetRow } from '../src/pipeline/target-row.js';
import { TOKEN_COOKIE } from '../src/web/access.js';
import { MAX_HISTORY_POINTS } from '../src/web/api.js';
import { emptySeries, type HistorySeries } from '../src/web/history-source.js';
import { CONTENT_SECURITY_POLICY } from '../src/web/http-server.js';
import { WebDashboardError } from '../src/web/web-error.js';
import type { LiveBatch } from '../src/web/web-row.js';
import { WebSink } from '../src/web/web-sink.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture } from './helpers/fixtures.js';
import { SseReader } from './helpers/sse.js';
import { TestServer, until } from './helpers/test-server.js';
import { httpGet, requireBuiltPage } from './helpers/web-page.js';

const HOSTILE = '<script>globalThis.pwned=1</script><img src=x onerror=alert(1)>';

function monitoringData(cpu: number, hostname: string): Record<string, unknown> {
  const message = fixture('real-server', 'monitoring_data_alerts') as {
    data: { processor: { usage_percent: number; per_core_usage: number[] }; system: { hostname: string } };
  };
  message.data.processor.usage_percent = cpu;
  message.data.processor.per_core_usage = [cpu, 100 - cpu];
  message.data.system.hostname = hostname;
  return message;
}

describe('WebSink over real HTTP', () => {
  const clock = new FakeClock(Date.now());
  let web: WebSink;
  let pipeline: Pipeline;
  let servers: TestServer[];
  let fleet: MonitoringFleet;
  let base: string;

  before(async () => {
    requireBuiltPage();
    servers = [await TestServer.start(), await TestServer.start()];
    web = new WebSink({ port: 0 });
    fleet = new MonitoringFleet({
      targets: [
        { name: 'alpha', uri: servers[0]!.url },
        { name: 'web 2/b', uri: servers[1]!.url },
      ],
      sinks: [web],
      clock,
      pingInterval: 0,
    });
    pipeline = fleet.pipeline;
    // Listening first: the URL is known before the fleet starts, and the API says so.
    await web.listen();
    base = web.url!;
    const early = await httpGet(`${base}api/targets`);
    assert.equal(early.status, 503);
    await fleet.start();
    await until(() => pipeline.targets().every((row) => row.status === 'up'), 3000, 'both connected');
    await servers[0]!.broadcast(monitoringData(12.5, 'alpha-host'));
    await servers[1]!.broadcast(monitoringData(87, HOSTILE));
    await until(() => pipeline.targets().every((row) => row.snapshot !== null), 3000, 'data from both');
  });

  after(async () => {
    await fleet.stop();
    for (const server of servers) await server.close();
  });

  it('serves the bundled page, its script and its style, with the security headers on every answer', async () => {
    const page = await httpGet(base);
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(page.body, /<script type="module" src="\/assets\/app.js"><\/script>/);
    assert.doesNotMatch(
      page.body,
      /<script>|\son[a-z]+=|https?:\/\//,
      'no inline script, handler or remote URL',
    );
    for (const answer of [page, await httpGet(`${base}api/targets`), await httpGet(`${base}nope`)]) {
      assert.equal(answer.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['x-frame-options'], 'DENY');
      assert.equal(answer.headers['referrer-policy'], 'no-referrer');
    }
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'self'/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe/);
    const script = await httpGet(`${base}assets/app.js`);
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(script.body, /uPlot|u-legend/, 'uPlot is bundled in');
    const style = await httpGet(`${base}assets/app.css`);
    assert.match(style.body, /\.uplot/);
    const again = await httpGet(`${base}assets/app.js`, {
      headers: { 'If-None-Match': String(script.headers.etag) },
    });
    assert.equal(again.status, 304);
    assert.equal((await httpGet(`${base}assets/../../package.json`)).status, 404);
    assert.equal((await httpGet(`${base}favicon.ico`)).status, 204);
    const head = await httpGet(`${base}api/live`, { method: 'HEAD' });
    assert.equal(head.status, 200, 'HEAD of the live stream answers at once');
    assert.equal(head.headers['content-type'], 'text/event-stream; charset=utf-8');
    const post = await httpGet(`${base}api/targets`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('GET /api/targets gives every current row, with the numbers the servers sent', async () => {
    const answer = await httpGet(`${base}api/targets`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    const body = JSON.parse(answer.body) as { now: number; targets: TargetRow[] };
    assert.equal(body.now, clock.now());
    assert.deepEqual(
      body.targets.map((row) => [row.name, row.status, row.host, row.snapshot?.cpu.usagePercent]),
      [
        ['alpha', 'up', 'alpha-host', 12.5],
        ['web 2/b', 'up', HOSTILE, 87],
      ],
    );
    assert.deepEqual(body.targets, JSON.parse(JSON.stringify(pipeline.targets())));
  });

  it('GET /api/targets/NAME gives one row (URL-encoded name), 404 for an unknown one', async () => {
    const one = await httpGet(`${base}api/targets/${encodeURIComponent('web 2/b')}`);
    assert.equal(one.status, 200);
    assert.equal((JSON.parse(one.body) as TargetRow).snapshot?.memory.usagePercent, 91.3);
    const unknown = await httpGet(`${base}api/targets/nobody`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body), { error: 'no such target' });
    assert.equal((await httpGet(`${base}api/targets/%E0%A4%A/history`)).status, 400);
    assert.equal((await httpGet(`${base}api/other`)).status, 404);
  });

  it('GET /api/targets/NAME/history?since= gives the points held in memory, since a time', async () => {
    clock.tick(1000);
    await servers[0]!.broadcast(monitoringData(40, 'alpha-host'));
    await until(() => pipeline.target('alpha')?.snapshot?.cpu.usagePercent === 40, 3000, 'second point');
    const all = JSON.parse((await httpGet(`${base}api/targets/alpha/history`)).body) as HistorySeries;
    assert.equal(all.source, 'memory');
    assert.deepEqual(all.cpu, [12.5, 40]);
    assert.deepEqual(all.cores, [
      [12.5, 40],
      [87.5, 60],
    ]);
    const since = all.t[1]!;
    const recent = JSON.parse(
      (await httpGet(`${base}api/targets/alpha/history?since=${since}`)).body,
    ) as HistorySeries;
    assert.deepEqual(recent.cpu, [40]);
    const iso = JSON.parse(
      (await httpGet(`${base}api/targets/alpha/history?since=${new Date(since).toISOString()}`)).body,
    ) as HistorySeries;
    assert.deepEqual(iso.t, [since]);
    const bad = await httpGet(`${base}api/targets/alpha/history?since=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /invalid since/);
  });

  it('streams live rows: a reset, then what changed, at most once per target per second', async () => {
    const reader = await SseReader.open(`${base}api/live`);
    await reader.waitFor(1);
    assert.deepEqual(
      reader.batches<LiveBatch>()[0]?.rows.map((row) => [row.name, row.cpu, row.host]),
      [
        ['alpha', 40, 'alpha-host'],
        ['web 2/b', 87, HOSTILE],
      ],
    );
    for (const cpu of [50, 51, 52]) await servers[1]!.broadcast(monitoringData(cpu, HOSTILE));
    await until(() => pipeline.target('web 2/b')?.snapshot?.cpu.usagePercent === 52, 3000, 'three records');
    clock.tick(1000);
    await reader.waitFor(2);
    const update = reader.batches<LiveBatch>()[1]!;
    assert.deepEqual(
      update.rows.map((row) => [row.name, row.cpu]),
      [['web 2/b', 52]],
    );
    reader.close();
  });

  it('refuses a request under a host name that is not this server (DNS rebinding)', async () => {
    const answer = await httpGet(`${base}api/targets`, { headers: { host: 'attacker.example:80' } });
    assert.equal(answer.status, 421);
    assert.doesNotMatch(answer.body, /alpha/);
    const live = await httpGet(`${base}api/live`, { headers: { host: 'attacker.example' } });
    assert.equal(live.status, 421);
    assert.equal((await httpGet(base, { headers: { host: `localhost:${web.port}` } })).status, 200);
  });

  it('reports its address and counters in stats()', () => {
    const stats = web.stats();
    assert.equal(stats.url, base);
    assert.ok(stats.batchesSent >= 2);
    assert.equal(stats.historyTargets, 2);
  });
});

describe('WebSink safety and failures', () => {
  const TOKEN = 'test-token-0123456789abcdef';

  it('refuses to start on any address but loopback without a token', () => {
    for (const host of ['127.0.0.2', '0.0.0.0', '::', '10.1.2.3']) {
      assert.throws(
        () => new WebSink({ host, port: 0 }),
        (error: unknown) =>
          error instanceof InvalidOptionError && error.option === 'token' && error.message.includes(host),
        host,
      );
    }
    assert.throws(() => new WebSink({ token: 'short' }), InvalidOptionError);
    assert.throws(() => new WebSink({ port: 70000 }), InvalidOptionError);
  });

  it('with a token (here on 127.0.0.2), refuses every request without it, the live stream included', async () => {
    requireBuiltPage();
    const web = new WebSink({ host: '127.0.0.2', port: 0, token: TOKEN });
    const pipeline = new Pipeline({ sinks: [web] });
    await pipeline.start();
    try {
      const base = web.url!;
      assert.match(base, /^http:\/\/127\.0\.0\.2:\d+\/$/);
      for (const path of ['', 'assets/app.js', 'api/targets', 'api/live']) {
        const answer = await httpGet(`${base}${path}`);
        assert.equal(answer.status, 401, path);
        assert.match(answer.body, /token/);
      }
      assert.equal(
        (await httpGet(`${base}api/targets`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status,
        401,
      );
      assert.equal(
        (await httpGet(`${base}api/targets`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status,
        200,
      );
      const login = await httpGet(`${base}?token=${TOKEN}`);
      assert.equal(login.status, 303);
      assert.equal(login.headers.location, '/');
      const cookie = String(login.headers['set-cookie']);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const pair = cookie.split(';')[0]!;
      assert.equal(pair, `${TOKEN_COOKIE}=${TOKEN}`);
      assert.equal((await httpGet(base, { headers: { Cookie: pair } })).status, 200);
      const live = await SseReader.open(`${base}api/live`, { Cookie: pair });
      assert.equal(live.response.statusCode, 200);
      await live.waitFor(1);
      live.close();
    } finally {
      await pipeline.close();
    }
  });

  it('fails to listen with LISTEN_FAILED naming the address, and with ASSETS_MISSING without a built page', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const web = new WebSink({ port });
      await assert.rejects(
        web.listen(),
        (error: unknown) =>
          error instanceof WebDashboardError &&
          error.code === 'LISTEN_FAILED' &&
          error.message.includes(`127.0.0.1:${port}`) &&
          error.message.includes('EADDRINUSE'),
      );
    } finally {
      blocker.close();
    }
    const unbuilt = new WebSink({ assetsDir: '/nonexistent/assets' });
    assert.throws(
      () => unbuilt.listen(),
      (error: unknown) => error instanceof WebDashboardError && error.code === 'ASSETS_MISSING',
    );
  });

  it('reads the charts from the history source it is given (the recording), and survives one that fails', async () => {
    requireBuiltPage();
    const recorded: HistorySeries = { ...emptySeries('rec', 'recording'), t: [1000], cpu: [42] };
    let failing = false;
    const web = new WebSink({
      historySource: {
        history: async (target, since) => {
          if (failing) throw new Error('disk on fire');
          return target === 'rec' && since <= 1000 ? recorded : undefined;
        },
      },
    });
    const pipeline = new Pipeline({ sinks: [web] });
    await pipeline.start();
    try {
      pipeline.emit({ type: 'target_added', target: 'rec', at: Date.now(), uri: 'ws://x', labels: {} });
      const answer = JSON.parse(
        (await httpGet(`${web.url}api/targets/rec/history?since=0`)).body,
      ) as HistorySeries;
      assert.equal(answer.source, 'recording');
      assert.deepEqual(answer.cpu, [42]);
      failing = true;
      const failed = await httpGet(`${web.url}api/targets/rec/history`);
      assert.equal(failed.status, 500);
      assert.equal((await httpGet(`${web.url}api/targets`)).status, 200, 'the server goes on');
    } finally {
      await pipeline.close();
    }
  });

  it('thins a long recording to at most MAX_HISTORY_POINTS evenly, keeping the first and the last point', async () => {
    requireBuiltPage();
    const length = 10_000;
    const long: HistorySeries = {
      ...emptySeries('rec', 'recording'),
      t: Array.from({ length }, (_, k) => k * 1000),
      cpu: Array.from({ length }, (_, k) => k % 100),
      cores: [Array.from({ length }, () => 50)],
    };
    const web = new WebSink({ historySource: { history: async () => long } });
    const pipeline = new Pipeline({ sinks: [web] });
    await pipeline.start();
    try {
      pipeline.emit({ type: 'target_added', target: 'rec', at: Date.now(), uri: 'ws://x', labels: {} });
      const answer = JSON.parse((await httpGet(`${web.url}api/targets/rec/history`)).body) as HistorySeries;
      assert.equal(answer.t.length, MAX_HISTORY_POINTS);
      assert.equal(answer.cpu.length, MAX_HISTORY_POINTS);
      assert.equal(answer.cores[0]?.length, MAX_HISTORY_POINTS);
      assert.equal(answer.t[0], 0);
      assert.equal(answer.t.at(-1), (length - 1) * 1000);
      assert.ok(answer.t.every((t, k) => k === 0 || t > answer.t[k - 1]!));
    } finally {
      await pipeline.close();
    }
  });

  it('close() ends the live streams and frees the port', async () => {
    requireBuiltPage();
    const web = new WebSink();
    const pipeline = new Pipeline({ sinks: [web] });
    await pipeline.start();
    const base = web.url!;
    const reader = await SseReader.open(`${base}api/live`);
    await reader.waitFor(1);
    await pipeline.close();
    await until(() => reader.ended, 2000, 'stream ended');
    await assert.rejects(httpGet(base), /ECONNREFUSED/);
    assert.equal(web.url, undefined);
  });
});
