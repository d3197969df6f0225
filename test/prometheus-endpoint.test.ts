import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { InvalidOptionError } from '../src/errors.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { checkListenOptions, ListenError, MetricsEndpoint } from '../src/prometheus/endpoint.js';
import { PrometheusSink } from '../src/prometheus/prometheus-sink.js';
import { parseFrame } from '../src/protocol/frame.js';
import { parseExposition } from './helpers/exposition.js';
import { fixtureFrame } from './helpers/fixtures.js';
import { recordingLogger } from './helpers/recording-logger.js';

const closing: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closing.splice(0)) await close();
});

async function served(options: { token?: string } = {}) {
  const sink = new PrometheusSink({ port: 0, processMetrics: false, ...options });
  const pipeline = new Pipeline({ sinks: [sink] });
  await pipeline.start();
  closing.push(() => pipeline.close());
  pipeline.emit({ type: 'target_added', target: 'web-1', at: Date.now(), uri: 'ws://x', labels: {} });
  pipeline.emit({ type: 'connected', target: 'web-1', at: Date.now(), uri: 'ws://x', attempt: 0 });
  pipeline.receive('web-1', parseFrame(fixtureFrame('real-server', 'monitoring_data'), false, Date.now()));
  return { sink, pipeline, url: sink.url! };
}

describe('the /metrics endpoint', () => {
  it('serves GET /metrics on 127.0.0.1 by default, in the format asked for', async () => {
    const { url, sink } = await served();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.equal(sink.address?.address, '127.0.0.1');
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const metrics = parseExposition(await response.text());
    assert.equal(metrics.value('monitoring_target_up', { target: 'web-1' }), 1);
    const om = await fetch(url, { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.equal(
      om.headers.get('content-type'),
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    assert.ok((await om.text()).endsWith('# EOF\n'));
    const withQuery = await fetch(`${url}?x=1`);
    assert.equal(withQuery.status, 200);
    await withQuery.text();
  });

  it('answers HEAD with the headers only, other paths with 404 and other methods with 405', async () => {
    const { url } = await served();
    const head = await fetch(url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get('content-length')) > 100);
    assert.equal(await head.text(), '');
    const other = await fetch(url.replace('/metrics', '/'));
    assert.equal(other.status, 404);
    await other.text();
    const nested = await fetch(`${url}/x`);
    assert.equal(nested.status, 404);
    await nested.text();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(url, { method, body: method === 'DELETE' ? undefined : 'x' });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
      await response.text();
    }
  });

  it('with a token, refuses a scraper without the right Bearer token (401)', async () => {
    const { url } = await served({ token: 's3cret-token' });
    for (const headers of [
      {} as Record<string, string>,
      { Authorization: 'Bearer wrong' },
      { Authorization: 'Bearer s3cret-toke' },
      { Authorization: 'Bearer s3cret-token2' },
      { Authorization: 'Basic s3cret-token' },
      { Authorization: 's3cret-token' },
    ]) {
      const response = await fetch(url, { headers });
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.doesNotMatch(await response.text(), /monitoring_/);
    }
    const other = await fetch(url.replace('/metrics', '/nothing'));
    assert.equal(other.status, 401, 'paths are not revealed either');
    await other.text();
    const ok = await fetch(url, { headers: { Authorization: 'Bearer s3cret-token' } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /monitoring_target_up/);
    const lower = await fetch(url, { headers: { Authorization: 'bearer s3cret-token' } });
    assert.equal(lower.status, 200, 'the scheme is case-insensitive');
    await lower.text();
  });

  it('refuses to listen beyond this machine without a token', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'metrics.example.com']) {
      assert.throws(
        () => new PrometheusSink({ port: 0, host }),
        (error: unknown) =>
          error instanceof InvalidOptionError &&
          error.option === 'host' &&
          error.message.includes(JSON.stringify(host)) &&
          /unless a token is given/.test(error.message),
        host,
      );
    }
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
      assert.doesNotThrow(() => checkListenOptions(host, 0, undefined), host);
    }
    assert.doesNotThrow(() => checkListenOptions('0.0.0.0', 9464, 'token'));
    assert.throws(() => checkListenOptions('127.0.0.1', 70000, undefined), /invalid port: 70000/);
    assert.throws(() => checkListenOptions('127.0.0.1', 1, 'two\nlines'), /invalid token: "\[redacted\]"/);
  });

  it('says which address could not be bound, and why', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    closing.push(() => new Promise((resolve) => taken.close(() => resolve())));
    const { port } = taken.address() as AddressInfo;
    const sink = new PrometheusSink({ port, processMetrics: false });
    await assert.rejects(
      sink.listen(),
      (error: unknown) =>
        error instanceof ListenError &&
        error.code === 'LISTEN_FAILED' &&
        error.message === `cannot serve /metrics on 127.0.0.1:${port}: the port is in use (EADDRINUSE)`,
    );
  });

  it('answers 500 and logs it when rendering fails, and goes on serving', async () => {
    const logger = recordingLogger();
    let fail = true;
    const endpoint = new MetricsEndpoint({
      host: '127.0.0.1',
      port: 0,
      logger,
      render: async () => {
        if (fail) throw new Error('boom');
        return { contentType: 'text/plain', body: 'x 1\n' };
      },
    });
    await endpoint.listen();
    closing.push(() => endpoint.close());
    const failed = await fetch(endpoint.url!);
    assert.equal(failed.status, 500);
    await failed.text();
    assert.ok(
      logger.lines.some((line) => /a scrape failed: Error: boom/.test(line)),
      logger.lines.join('\n'),
    );
    fail = false;
    const ok = await fetch(endpoint.url!);
    assert.equal(await ok.text(), 'x 1\n');
    assert.deepEqual(endpoint.stats(), { scrapes: 1, refused: 0, failures: 1 });
  });

  it('stops listening on close (idempotent) and listens again on restart', async () => {
    const { url, pipeline, sink } = await served();
    await pipeline.close();
    await pipeline.close();
    await assert.rejects(fetch(url), /fetch failed/);
    assert.equal(sink.url, undefined);
    await pipeline.start();
    assert.ok(sink.url);
    const response = await fetch(sink.url!);
    assert.equal(response.status, 200);
    await response.text();
  });
});
