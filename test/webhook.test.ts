/**
 * `--webhook`: alerts POSTed to a real HTTP server, retries on the pipeline's clock (fake
 * here), and the URL's secrets kept out of every log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDeliveryUrl } from '../src/alerts/delivery-url.js';
import { type WebhookOptions, WebhookSink } from '../src/alerts/webhook.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { parseFrame } from '../src/protocol/frame.js';
import { alertEvent } from './helpers/alert-events.js';
import { FakeClock } from './helpers/fake-clock.js';
import { RecordingHttpServer, type Responder } from './helpers/http-server.js';
import { metricsFrame } from './helpers/metrics-frame.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { until } from './helpers/test-server.js';

const NO_JITTER = { baseMs: 500, multiplier: 2, maxMs: 30_000, jitter: 0 };

async function setup(responder: Responder | undefined, options: Partial<WebhookOptions> = {}) {
  const server = await RecordingHttpServer.start(responder);
  const clock = new FakeClock();
  const logger = recordingLogger();
  const sink = new WebhookSink({ url: `${server.url}/hook`, backoff: NO_JITTER, ...options });
  const pipeline = new Pipeline({ sinks: [sink], clock, logger });
  await pipeline.start();
  return { server, clock, logger, sink, pipeline };
}

/**
 * Waits until the delivery sleeps on the clock for `expectedMs` (its only timer: the attempt's
 * timeout is gone), then moves time to the end of the wait.
 */
async function tickThroughBackoff(clock: FakeClock, expectedMs: number): Promise<void> {
  await until(
    () => clock.pending === 1 && clock.nextDelay() === expectedMs,
    3000,
    `a wait of ${expectedMs} ms`,
  );
  clock.tick(expectedMs);
}

describe('WebhookSink', () => {
  it('POSTs every alert as JSON, in order, with the target’s host', async () => {
    const t = await setup(undefined);
    try {
      t.pipeline.receive(
        'web-1',
        parseFrame(metricsFrame({ hostname: 'web-1.example' }), false, t.clock.now()),
      );
      t.pipeline.emit(alertEvent());
      t.pipeline.emit(alertEvent({ state: 'resolved', value: 70, at: alertEvent().at + 60_000 }));
      await t.sink.idle();
      assert.equal(t.server.requests.length, 2);
      const [first, second] = t.server.requests;
      assert.equal(first?.method, 'POST');
      assert.equal(first?.url, '/hook');
      assert.equal(first?.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(first?.body ?? ''), {
        type: 'alert',
        state: 'firing',
        rule: 'cpu > 90 for 30s',
        target: 'web-1',
        metric: 'cpu',
        value: 97.5,
        threshold: 90,
        severity: 'critical',
        since: '2026-11-25T12:00:00.000Z',
        at: '2026-11-25T12:00:30.000Z',
        origin: 'rule',
        summary: 'cpu 97.5 % > 90 % for 30s',
        host: 'web-1.example',
      });
      assert.equal(JSON.parse(second?.body ?? '').state, 'resolved');
      assert.deepEqual(t.sink.stats(), { delivered: 2, failed: 0, retries: 0, dropped: 0, queued: 0 });
    } finally {
      await t.pipeline.close();
      await t.server.close();
    }
  });

  it('retries with growing waits a server that fails twice before accepting', async () => {
    const t = await setup((_request, response, index) => {
      response.statusCode = index < 2 ? 503 : 204;
      response.end();
    });
    try {
      t.pipeline.emit(alertEvent());
      t.pipeline.emit(alertEvent({ state: 'resolved' }));
      await tickThroughBackoff(t.clock, 500);
      await tickThroughBackoff(t.clock, 1000);
      await t.sink.idle();
      assert.deepEqual(
        t.server.requests.map((r) => JSON.parse(r.body).state),
        ['firing', 'firing', 'firing', 'resolved'],
        'the resolved waits for the firing: never out of order',
      );
      assert.deepEqual(t.sink.stats(), { delivered: 2, failed: 0, retries: 2, dropped: 0, queued: 0 });
      assert.ok(t.logger.lines.some((l) => l.includes('not delivered: HTTP 503; retry 1/3 in 500 ms')));
      assert.ok(t.logger.lines.some((l) => l.includes('delivered after 3 attempts')));
    } finally {
      await t.pipeline.close();
      await t.server.close();
    }
  });

  it('gives up after the retries, does not retry a 4xx, and is never fatal', async () => {
    const failures: string[] = [];
    const t = await setup(
      (request, response) => {
        response.statusCode = JSON.parse(request.body).state === 'firing' ? 500 : 400;
        response.end();
      },
      { retries: 1, onFailure: (message) => failures.push(message) },
    );
    try {
      t.pipeline.emit(alertEvent());
      t.pipeline.emit(alertEvent({ state: 'resolved' }));
      await tickThroughBackoff(t.clock, 500);
      await t.sink.idle();
      assert.equal(t.server.requests.length, 3);
      assert.deepEqual(t.sink.stats(), { delivered: 0, failed: 2, retries: 1, dropped: 0, queued: 0 });
      assert.ok(
        t.logger.lines.some((l) => /\(firing\) not delivered: HTTP 500 \(after 2 attempts\)/.test(l)),
      );
      assert.ok(t.logger.lines.some((l) => /\(resolved\) not delivered: HTTP 400$/.test(l)));
      // Given up: told to onFailure too (the command line prints it on stderr); retries are not.
      assert.equal(failures.length, 2);
      assert.match(
        failures[1] ?? '',
        /^webhook http:\/\/127\.0\.0\.1:\d+\/…: alert web-1 cpu > 90 for 30s \(resolved\) not delivered: HTTP 400$/,
      );
    } finally {
      await t.pipeline.close();
      await t.server.close();
    }
  });

  it('times out a server that never answers (on the clock), then retries', async () => {
    const t = await setup(
      (_request, response, index) => {
        if (index > 0) response.end('ok');
      },
      { timeoutMs: 2000 },
    );
    try {
      t.pipeline.emit(alertEvent());
      await until(() => t.server.requests.length === 1, 3000, 'the request');
      assert.equal(t.clock.nextDelay(), 2000);
      t.clock.tick(2000);
      await tickThroughBackoff(t.clock, 500);
      await t.sink.idle();
      assert.equal(t.sink.stats().delivered, 1);
      assert.ok(t.logger.lines.some((l) => l.includes('no answer within 2000 ms; retry 1/3')));
    } finally {
      await t.pipeline.close();
      await t.server.close();
    }
  });

  it('keeps the URL’s secrets out of every log and sends the password as Basic authentication', async () => {
    const t = await setup(
      (_request, response) => {
        response.statusCode = 500;
        response.end();
      },
      { retries: 0 },
    );
    const secretUrl = `http://alice:s3cret-pass@127.0.0.1:${t.server.port}/hooks/T0123SECRETPATH?token=tok3n-value&x=1`;
    const logger = recordingLogger();
    const sink = new WebhookSink({ url: secretUrl, retries: 1, backoff: NO_JITTER });
    const refused = new WebhookSink({
      url: 'http://bob:other-secret@127.0.0.1:1/x?token=tok3n-value',
      retries: 0,
    });
    const pipeline = new Pipeline({ sinks: [sink, refused], clock: t.clock, logger });
    await pipeline.start();
    try {
      pipeline.emit(alertEvent());
      await tickThroughBackoff(t.clock, 500);
      await sink.idle();
      await refused.idle();
      const request = t.server.requests.at(-1);
      assert.equal(
        request?.headers.authorization,
        `Basic ${Buffer.from('alice:s3cret-pass').toString('base64')}`,
      );
      assert.equal(request?.url, '/hooks/T0123SECRETPATH?token=tok3n-value&x=1');
      const logs = logger.lines.join('\n');
      assert.ok(logs.includes(`webhook http://127.0.0.1:${t.server.port}/…: alert web-1`), logs);
      assert.ok(
        logs.includes(
          'webhook http://127.0.0.1:1/…: alert web-1 cpu > 90 for 30s (firing) not delivered: ECONNREFUSED',
        ),
        logs,
      );
      for (const secret of ['s3cret-pass', 'alice', 'tok3n-value', 'SECRETPATH', 'other-secret', 'bob'])
        assert.ok(!logs.includes(secret), `${secret} leaked: ${logs}`);
    } finally {
      await pipeline.close();
      await t.pipeline.close();
      await t.server.close();
    }
  });

  it('refuses a URL that is not http(s), without echoing its secrets', () => {
    assert.throws(
      () => new WebhookSink({ url: 'ftp://u:pw-secret@host/x' }),
      (error: Error) => {
        assert.match(error.message, /expected an http:\/\/ or https:\/\/ URL/);
        assert.ok(!error.message.includes('pw-secret'), error.message);
        return true;
      },
    );
    assert.throws(() => new WebhookSink({ url: 'not a url' }), /invalid url/);
  });
});

describe('parseDeliveryUrl', () => {
  it('names a URL by scheme, host and port, and redacts every secret part in a text', () => {
    const url = parseDeliveryUrl(
      'https://u:p%40ss-word@hooks.example.com:8443/services/T00/B00/XXXXsecret?token=abcd1234',
      'x',
    );
    assert.equal(url.display, 'https://hooks.example.com:8443/…');
    assert.equal(url.url.href, 'https://hooks.example.com:8443/services/T00/B00/XXXXsecret?token=abcd1234');
    assert.equal(url.authorization, `Basic ${Buffer.from('u:p@ss-word').toString('base64')}`);
    const text = url.redact(
      `failed https://u:p%40ss-word@hooks.example.com:8443/services/T00/B00/XXXXsecret?token=abcd1234 p@ss-word abcd1234`,
    );
    for (const secret of ['ss-word', 'abcd1234', 'XXXXsecret']) assert.ok(!text.includes(secret), text);
    assert.equal(parseDeliveryUrl('http://127.0.0.1:9093', 'x').display, 'http://127.0.0.1:9093');
  });
});
