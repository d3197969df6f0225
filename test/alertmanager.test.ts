/**
 * `--alertmanager`: what is posted (against a recording HTTP server, on a fake clock), then
 * the whole chain against a real Alertmanager: a real monitoring server whose CPU crosses a
 * threshold, a real fleet, the alert sink, and Alertmanager's own API to check the result.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AlertEngine } from '../src/alerts/alert-engine.js';
import { AlertmanagerSink, type PostableAlert } from '../src/alerts/alertmanager.js';
import { parseRule } from '../src/alerts/rule.js';
import { MonitoringFleet } from '../src/fleet/monitoring-fleet.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { parseFrame } from '../src/protocol/frame.js';
import { alertEvent } from './helpers/alert-events.js';
import { Alertmanager, type GettableAlert } from './helpers/alertmanager.js';
import { FakeClock } from './helpers/fake-clock.js';
import { RecordingHttpServer } from './helpers/http-server.js';
import { metricsFrame } from './helpers/metrics-frame.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { TestServer, until } from './helpers/test-server.js';

describe('AlertmanagerSink: what it posts', () => {
  it('posts firing alerts with labels and times, re-sends them every interval, and resolves with endsAt', async () => {
    const server = await RecordingHttpServer.start();
    const clock = new FakeClock();
    const rules = [
      parseRule('cpu > 90 for 30s', { name: 'HighCpu', labels: { team: 'ops' }, severity: 'critical' }),
    ];
    const sink = new AlertmanagerSink({ url: server.url, resendIntervalMs: 10_000, rules });
    const pipeline = new Pipeline({ sinks: [sink], clock });
    await pipeline.start();
    const posted = (i: number) => JSON.parse(server.requests[i]?.body ?? '[]') as PostableAlert[];
    try {
      pipeline.emit({
        type: 'target_added',
        target: 'web-1',
        at: clock.now(),
        uri: 'ws://x',
        labels: { env: 'prod', 'bad-name': 'x', host: 'spoof' },
      });
      const fired = alertEvent({ at: clock.now(), since: clock.now() - 30_000 });
      pipeline.emit(fired);
      await sink.idle();
      assert.equal(server.requests[0]?.url, '/api/v2/alerts');
      assert.deepEqual(posted(0), [
        {
          labels: {
            env: 'prod',
            bad_name: 'x',
            team: 'ops',
            alertname: 'HighCpu',
            target: 'web-1',
            severity: 'critical',
          },
          annotations: {
            summary: 'cpu 97.5 % > 90 % for 30s',
            rule: 'cpu > 90 for 30s',
            metric: 'cpu',
            origin: 'rule',
            value: '97.5',
            threshold: '90',
          },
          startsAt: new Date(fired.since).toISOString(),
          endsAt: new Date(fired.at + 40_000).toISOString(),
        },
      ]);
      // The host becomes known: the firing alert keeps the labels it fired with (its identity).
      pipeline.receive('web-1', parseFrame(metricsFrame({ hostname: 'web-1.example' }), false, clock.now()));
      assert.equal(clock.nextDelay(), 10_000);
      clock.tick(10_000);
      await sink.idle();
      assert.equal(server.requests.length, 2);
      assert.deepEqual(posted(1)[0]?.labels, posted(0)[0]?.labels);
      assert.equal(posted(1)[0]?.endsAt, new Date(clock.now() + 40_000).toISOString());
      clock.tick(10_000);
      await sink.idle();
      assert.equal(server.requests.length, 3, 're-sent every interval while firing');
      pipeline.emit({ ...fired, state: 'resolved', at: clock.now(), value: 50, summary: 'cpu back to 50 %' });
      await sink.idle();
      const [resolved] = posted(3);
      assert.deepEqual(resolved?.labels, posted(0)[0]?.labels);
      assert.equal(resolved?.startsAt, posted(0)[0]?.startsAt);
      assert.equal(resolved?.endsAt, new Date(clock.now()).toISOString());
      assert.equal(clock.pending, 0, 'nothing left to re-send');
      // A new alert after that carries the host.
      pipeline.emit(alertEvent({ rule: 'stale 15s', metric: 'stale' }));
      await sink.idle();
      assert.equal(posted(4)[0]?.labels.host, 'web-1.example');
      assert.equal(posted(4)[0]?.labels.alertname, 'stale 15s');
      assert.equal(sink.stats().active, 1);
    } finally {
      await pipeline.close();
      await server.close();
    }
  });

  it('takes the full API URL as well as the address, and refuses a bad interval', () => {
    assert.doesNotThrow(() => new AlertmanagerSink({ url: 'http://127.0.0.1:9093/api/v2/alerts' }));
    assert.throws(
      () => new AlertmanagerSink({ url: 'http://127.0.0.1:9093', resendIntervalMs: 0 }),
      /resendIntervalMs/,
    );
    assert.throws(() => new AlertmanagerSink({ url: 'ws://127.0.0.1:9093' }), /http:\/\/ or https:\/\//);
  });
});

describe('AlertmanagerSink against a real Alertmanager', () => {
  let alertmanager: Alertmanager | undefined;
  let monitoring: TestServer | undefined;
  after(async () => {
    await monitoring?.close();
    await alertmanager?.stop();
  });

  it('is active in Alertmanager while firing, re-sent, and resolved afterwards', async () => {
    // Started here, not in a hook: a missing Alertmanager fails this test, with how to install it.
    const am = await Alertmanager.start();
    alertmanager = am;
    const server = await TestServer.start();
    monitoring = server;
    const logger = recordingLogger();
    const rules = [
      parseRule('cpu > 90', { severity: 'critical', labels: { team: 'ops' } }),
      parseRule('stale 300ms', { targets: 'ghost' }),
    ];
    const sink = new AlertmanagerSink({ url: am.url, resendIntervalMs: 200, rules });
    const fleet = new MonitoringFleet({
      targets: [
        { name: 'web-1', uri: server.url, labels: { env: 'test' } },
        // Never reached: nothing listens on port 1.
        { name: 'ghost', uri: 'ws://127.0.0.1:1' },
      ],
      sinks: [new AlertEngine({ rules }), sink],
      pingInterval: 0,
      logger,
    });
    const ours = async (alertname: string): Promise<GettableAlert | undefined> =>
      (await am.alerts()).find((alert) => alert.labels.alertname === alertname);
    const eventually = async (check: () => Promise<boolean>, what: string) => {
      let ok = false;
      await until(
        () => {
          void check().then((value) => {
            ok = value;
          });
          return ok;
        },
        10_000,
        what,
      );
    };
    try {
      await fleet.start();
      await fleet.whenConnected('web-1');
      await server.broadcast(metricsFrame({ cpu: 42, hostname: 'web-1.example' }));
      await server.broadcast(metricsFrame({ cpu: 97, hostname: 'web-1.example' }));

      let firing: GettableAlert | undefined;
      await eventually(async () => {
        firing = await ours('cpu > 90');
        return firing !== undefined;
      }, 'the cpu alert in Alertmanager');
      assert.equal(firing?.status.state, 'active');
      assert.deepEqual(firing?.labels, {
        alertname: 'cpu > 90',
        target: 'web-1',
        host: 'web-1.example',
        severity: 'critical',
        team: 'ops',
        env: 'test',
      });
      assert.equal(firing?.annotations.value, '97');
      // Re-sent while firing: Alertmanager sees the alert updated.
      const firstUpdate = firing?.updatedAt;
      await eventually(async () => (await ours('cpu > 90'))?.updatedAt !== firstUpdate, 'a re-send');

      // The dead-man rule of a target never reached.
      await eventually(async () => (await ours('stale 300ms'))?.labels.target === 'ghost', 'the stale alert');

      await server.broadcast(metricsFrame({ cpu: 12, hostname: 'web-1.example' }));
      await eventually(async () => (await ours('cpu > 90')) === undefined, 'the cpu alert to be resolved');
      assert.ok((await ours('stale 300ms')) !== undefined, 'the other alert is still active');

      // Stopping resolves what still fires.
      await fleet.stop();
      assert.deepEqual(await am.alerts(), []);
      assert.equal(sink.stats().failed, 0, logger.lines.join('\n'));
    } finally {
      await fleet.stop();
    }
  });
});
