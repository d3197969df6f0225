/**
 * Alerts end to end, with real parts only: a real monitoring server whose CPU crosses a
 * threshold, a real fleet, the alert sink, and every delivery: a stderr notice, a real
 * command that writes a file, and a real webhook server that fails twice before accepting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { AlertCommandSink } from '../src/alerts/alert-command.js';
import { AlertEngine } from '../src/alerts/alert-engine.js';
import { AlertNoticeSink } from '../src/alerts/alert-notices.js';
import { parseRule } from '../src/alerts/rule.js';
import { WebhookSink } from '../src/alerts/webhook.js';
import { MonitoringFleet } from '../src/fleet/monitoring-fleet.js';
import { RecordingHttpServer } from './helpers/http-server.js';
import { metricsFrame } from './helpers/metrics-frame.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { TestServer, until } from './helpers/test-server.js';

describe('alerts end to end', () => {
  it('a CPU crossing its threshold is noticed, run through a command and posted to a webhook, then resolved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mwc-alerts-e2e-'));
    const monitoring = await TestServer.start();
    const webhook = await RecordingHttpServer.start((_request, response, index) => {
      response.statusCode = index < 2 ? 500 : 200;
      response.end();
    });
    const stderr = new PassThrough();
    let notices = '';
    stderr.on('data', (chunk: Buffer) => {
      notices += chunk.toString();
    });
    const out = join(dir, 'on-alert.log');
    const logger = recordingLogger();
    const rules = [parseRule('cpu > 90', { severity: 'critical' })];
    const webhookSink = new WebhookSink({ url: `${webhook.url}/alerts`, backoff: { baseMs: 20, jitter: 0 } });
    const commandSink = new AlertCommandSink({
      command: ['/bin/sh', '-c', 'echo "$ALERT_STATE $ALERT_TARGET $ALERT_HOST $ALERT_VALUE" >> "$0"', out],
    });
    const fleet = new MonitoringFleet({
      targets: [{ name: 'web-1', uri: monitoring.url }],
      sinks: [new AlertEngine({ rules }), new AlertNoticeSink({ stream: stderr }), commandSink, webhookSink],
      pingInterval: 0,
      logger,
    });
    await fleet.start();
    await fleet.whenConnected('web-1');
    try {
      await monitoring.broadcast(metricsFrame({ cpu: 40, hostname: 'web-1.example' }));
      await monitoring.broadcast(metricsFrame({ cpu: 95.5, hostname: 'web-1.example' }));
      await monitoring.broadcast(
        metricsFrame({ cpu: 88, hostname: 'web-1.example' }),
        metricsFrame({ cpu: 91 }),
      );
      await until(() => notices.includes('FIRING'), 5000, 'the firing notice');
      await monitoring.broadcast(metricsFrame({ cpu: 30, hostname: 'web-1.example' }));
      await until(() => notices.includes('resolved'), 5000, 'the resolved notice');
      await until(() => webhook.requests.length === 4, 5000, 'the webhook deliveries');
      await fleet.stop();

      assert.equal(
        notices,
        '» alert FIRING web-1 [critical] cpu > 90 (cpu 95.5 % > 90 %)\n' +
          '» alert resolved web-1 [critical] cpu > 90 (cpu back to 30 %)\n',
        'hovering at 88-91 % gave no new alert',
      );
      assert.equal(
        readFileSync(out, 'utf8'),
        'firing web-1 web-1.example 95.5\nresolved web-1 web-1.example 30\n',
      );
      const bodies = webhook.requests.map((request) => JSON.parse(request.body));
      assert.deepEqual(
        bodies.map((body) => `${body.state} ${body.value} ${body.host}`),
        [
          'firing 95.5 web-1.example',
          'firing 95.5 web-1.example',
          'firing 95.5 web-1.example',
          'resolved 30 web-1.example',
        ],
      );
      assert.deepEqual(webhookSink.stats(), { delivered: 2, failed: 0, retries: 2, dropped: 0, queued: 0 });
      assert.equal(commandSink.stats().succeeded, 2);
    } finally {
      await fleet.stop();
      await monitoring.close();
      await webhook.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
