import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertEvent } from '../src/pipeline/events.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { Sink } from '../src/pipeline/sink.js';
import { METRICS } from '../src/prometheus/catalog.js';
import { PrometheusSink, type PrometheusSinkOptions } from '../src/prometheus/prometheus-sink.js';
import { parseFrame } from '../src/protocol/frame.js';
import { parseExposition } from './helpers/exposition.js';
import { FakeClock } from './helpers/fake-clock.js';
import { fixture } from './helpers/fixtures.js';

const OPENMETRICS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The server's values, by name; the client's view of a target is the rest. */
const VALUE_METRICS = METRICS.map((m) => m.name).filter(
  (name) => !/^monitoring_(target_|messages_|invalid_|reconnects_|ping_|alert_)/.test(name),
);

/** A real Pipeline with the exporter as its only sink, on a fake clock. */
async function exporter(options: PrometheusSinkOptions = {}, staleAfter?: number) {
  const clock = new FakeClock();
  const sink = new PrometheusSink({ processMetrics: false, ...options });
  const pipeline = new Pipeline({ sinks: [sink], clock, ...(staleAfter ? { staleAfter } : {}) });
  await pipeline.start();
  return {
    clock,
    sink,
    pipeline,
    add(target: string, labels: Record<string, string> = {}) {
      const uri = `ws://${target}.example:8765`;
      pipeline.emit({ type: 'target_added', target, at: clock.now(), uri, labels });
      pipeline.emit({ type: 'connected', target, at: clock.now(), uri, attempt: 0 });
    },
    send(target: string, message: Record<string, unknown> | string) {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      pipeline.receive(target, parseFrame(text, false, clock.now()));
    },
    async scrape(accept?: string) {
      return parseExposition((await sink.render(accept)).body);
    },
  };
}

function withHost(message: Record<string, unknown>, hostname: string): Record<string, unknown> {
  const copy = structuredClone(message) as { data: { system?: Record<string, unknown> } };
  copy.data.system = { ...(copy.data.system ?? {}), hostname };
  return copy;
}

function firing(
  target: string,
  at: number,
  rule: string,
  state: 'firing' | 'resolved' = 'firing',
): AlertEvent {
  return {
    type: 'alert',
    target,
    at,
    state,
    rule,
    metric: 'cpu',
    value: 95,
    threshold: 90,
    severity: 'critical',
    since: at,
    origin: 'rule',
    summary: `${rule} on ${target}`,
  };
}

describe('PrometheusSink', () => {
  it('serves every value of the server under its name, in base units and ratios 0..1', async () => {
    const { add, send, scrape, pipeline } = await exporter();
    add('gpu-box');
    send('gpu-box', fixture('real-server', 'monitoring_data_gpu'));
    add('doc');
    send('doc', fixture('documented', 'monitoring_data'));
    const metrics = await scrape();
    const gpu = { target: 'gpu-box', host: 'vm' };
    assert.equal(metrics.value('monitoring_cpu_usage_ratio', gpu), 0);
    assert.equal(metrics.value('monitoring_memory_usage_ratio', gpu), 0.014);
    assert.equal(metrics.value('monitoring_memory_used_bytes', gpu), 183291904);
    assert.equal(metrics.value('monitoring_memory_total_bytes', gpu), 25276510208);
    assert.equal(metrics.value('monitoring_disk_usage_ratio', gpu), 0.215);
    assert.equal(metrics.value('monitoring_disk_used_bytes', gpu), 23465971712);
    assert.equal(metrics.value('monitoring_disk_total_bytes', gpu), 270553174016);
    assert.equal(metrics.value('monitoring_gpu_usage_ratio', gpu), 0.37);
    assert.equal(metrics.value('monitoring_gpu_memory_used_bytes', gpu), 21474836480);
    assert.equal(metrics.value('monitoring_gpu_memory_total_bytes', gpu), 85520809984);
    assert.equal(metrics.value('monitoring_gpu_temperature_celsius', gpu), 41);
    assert.deepEqual(
      metrics.find('monitoring_cpu_core_usage_ratio', gpu).map((s) => [s.labels.core, s.value]),
      [
        ['0', 0],
        ['1', 0],
      ],
    );
    const doc = { target: 'doc' };
    assert.equal(metrics.value('monitoring_cpu_usage_ratio', doc), 0.452);
    assert.equal(metrics.value('monitoring_cpu_temperature_celsius', doc), 65);
    assert.equal(metrics.value('monitoring_memory_used_bytes', doc), Math.round(8.2 * 1024 ** 3));
    assert.equal(metrics.value('monitoring_gpu_usage_ratio', doc), 0.15);
    assert.equal(metrics.value('monitoring_target_up', doc), 1);
    assert.equal(metrics.value('monitoring_messages_received_total', doc), 1);
    assert.equal(metrics.value('monitoring_invalid_messages_total', doc), 0);
    assert.equal(metrics.value('monitoring_reconnects_total', doc), 0);
    assert.equal(
      metrics.value('monitoring_target_last_message_timestamp_seconds', doc),
      pipeline.target('doc')!.lastMessageAt! / 1000,
    );
    for (const name of metrics.names())
      assert.ok(
        METRICS.some((m) => m.name === name),
        `unexpected ${name}`,
      );
  });

  it('leaves out what the server did not send: absent, never 0', async () => {
    const { add, send, scrape } = await exporter();
    add('plain');
    send('plain', fixture('real-server', 'monitoring_data'));
    add('gpu-box');
    send('gpu-box', fixture('real-server', 'monitoring_data_gpu'));
    const metrics = await scrape();
    for (const name of VALUE_METRICS.filter((n) => n.includes('_gpu_'))) {
      assert.deepEqual(metrics.find(name, { target: 'plain' }), [], `${name} of a server without a GPU`);
    }
    assert.deepEqual(
      metrics.find('monitoring_cpu_temperature_celsius'),
      [],
      'no server sent a CPU temperature',
    );
    assert.deepEqual(metrics.find('monitoring_gpu_power_watts'), [], 'power_draw: null');
    assert.deepEqual(metrics.find('monitoring_ping_rtt_seconds'), [], 'no ping answered yet');
    assert.deepEqual(metrics.find('monitoring_alert_firing'), []);
    assert.equal(metrics.value('monitoring_cpu_usage_ratio', { target: 'plain' }), 0, 'a real 0 is served');

    const broken = structuredClone(fixture('real-server', 'monitoring_data')) as {
      data: Record<string, Record<string, unknown>>;
    };
    broken.data.memory!.percentage = null;
    broken.data.disk!.used = 'lots';
    send('plain', broken);
    const after = await scrape();
    assert.deepEqual(after.find('monitoring_memory_usage_ratio', { target: 'plain' }), []);
    assert.deepEqual(after.find('monitoring_disk_used_bytes', { target: 'plain' }), []);
    assert.equal(after.value('monitoring_memory_total_bytes', { target: 'plain' }), 25276510208);
  });

  it('labels every series with target, host and the target labels, made valid', async () => {
    const { add, send, scrape } = await exporter();
    add('web-1', {
      site: 'par',
      'rack-no': '3',
      target: 'not-ours',
      '9lives': 'cat',
      __meta: 'x',
      empty: '',
    });
    send('web-1', withHost(fixture('real-server', 'monitoring_data'), 'web-1.example'));
    const metrics = await scrape();
    const expected = {
      target: 'web-1',
      host: 'web-1.example',
      site: 'par',
      rack_no: '3',
      exported_target: 'not-ours',
      _9lives: 'cat',
      label__meta: 'x',
    };
    for (const sample of metrics.samples) {
      const { core, ...labels } = sample.labels;
      assert.deepEqual(labels, expected, sample.name);
    }
    assert.ok(metrics.samples.length > 10);
  });

  it('takes a label key first seen on a later target, and keeps the others right', async () => {
    const { add, send, scrape } = await exporter();
    add('a', { site: 'par' });
    send('a', fixture('real-server', 'monitoring_data'));
    assert.equal((await scrape()).value('monitoring_target_up', { target: 'a', site: 'par' }), 1);
    add('b', { zone: 'z1' });
    send('b', fixture('documented', 'monitoring_data'));
    const metrics = await scrape();
    assert.deepEqual(metrics.find('monitoring_cpu_usage_ratio', { target: 'a' })[0]?.labels, {
      target: 'a',
      host: 'vm',
      site: 'par',
    });
    assert.deepEqual(metrics.find('monitoring_cpu_usage_ratio', { target: 'b' })[0]?.labels, {
      target: 'b',
      zone: 'z1',
    });
  });

  it('escapes label values from a hostile server so that the exposition still parses', async () => {
    const { add, send, scrape } = await exporter();
    const hostile = 'a"b\\c\nd,e=f }{ g';
    add('t', { note: hostile });
    send('t', withHost(fixture('real-server', 'monitoring_data'), hostile));
    const metrics = await scrape();
    const up = metrics.find('monitoring_target_up', { target: 't' })[0]!;
    assert.equal(up.labels.note, hostile);
    // The host is made terminal-safe by the normalizer: the line break is a space.
    assert.equal(up.labels.host, 'a"b\\c d,e=f }{ g');
    const om = await scrape(OPENMETRICS_ACCEPT);
    assert.equal(om.find('monitoring_target_up', { target: 't' })[0]!.labels.note, hostile);
  });

  it('judges staleness on the client clock: up 0 and no values once the data is older than the limit', async () => {
    const { add, send, scrape, clock } = await exporter({ staleAfter: 5 }, 60);
    add('t');
    const message = structuredClone(fixture('real-server', 'monitoring_data')) as Record<string, unknown>;
    // The server's own clock says the data is years old: it is not what counts.
    message.timestamp = '2001-01-01T00:00:00.000000';
    send('t', message);
    clock.tick(5000);
    let metrics = await scrape();
    assert.equal(metrics.value('monitoring_target_up', { target: 't' }), 1, 'at the limit: still fresh');
    assert.equal(metrics.find('monitoring_memory_usage_ratio').length, 1);
    clock.tick(1);
    metrics = await scrape();
    assert.equal(metrics.value('monitoring_target_up', { target: 't' }), 0);
    for (const name of VALUE_METRICS) assert.deepEqual(metrics.find(name), [], `${name} of a stale target`);
    assert.ok(metrics.find('monitoring_target_last_message_timestamp_seconds').length === 1);
    send('t', message);
    metrics = await scrape();
    assert.equal(metrics.value('monitoring_target_up', { target: 't' }), 1, 'fresh data again');
    assert.equal(metrics.find('monitoring_memory_usage_ratio').length, 1);
  });

  it("follows the pipeline's own staleness, and the link going down", async () => {
    const { add, send, scrape, clock, pipeline } = await exporter({ staleAfter: 60 }, 2);
    add('t');
    send('t', fixture('real-server', 'monitoring_data'));
    pipeline.noteRtt('t', 1.5);
    assert.equal((await scrape()).value('monitoring_ping_rtt_seconds', { target: 't' }), 0.0015);
    clock.tick(2001);
    assert.equal(pipeline.target('t')!.status, 'stale');
    let metrics = await scrape();
    assert.equal(metrics.value('monitoring_target_up', { target: 't' }), 0);
    assert.deepEqual(metrics.find('monitoring_cpu_usage_ratio'), []);
    send('t', fixture('real-server', 'monitoring_data'));
    pipeline.emit({
      type: 'disconnected',
      target: 't',
      at: clock.now(),
      code: 1006,
      reason: '',
      willReconnect: true,
    });
    pipeline.emit({
      type: 'reconnecting',
      target: 't',
      at: clock.now(),
      attempt: 1,
      delayMs: 5000,
      maxAttempts: null,
    });
    metrics = await scrape();
    assert.equal(
      metrics.value('monitoring_target_up', { target: 't' }),
      0,
      'fresh data, but the link is down',
    );
    assert.deepEqual(metrics.find('monitoring_cpu_usage_ratio'), []);
    assert.deepEqual(metrics.find('monitoring_ping_rtt_seconds'), [], 'no round trip while disconnected');
    assert.equal(metrics.value('monitoring_reconnects_total', { target: 't' }), 1);
  });

  it("drops a removed target's series and keeps the others", async () => {
    const { add, send, scrape, pipeline, clock } = await exporter();
    add('a', { site: 'x' });
    add('b');
    send('a', fixture('real-server', 'monitoring_data'));
    send('b', fixture('real-server', 'monitoring_data'));
    pipeline.emit(firing('a', clock.now(), 'cpu > 90'));
    assert.ok((await scrape()).find('monitoring_target_up', { target: 'a' }).length === 1);
    pipeline.emit({ type: 'target_removed', target: 'a', at: clock.now() });
    const metrics = await scrape();
    assert.deepEqual(
      metrics.samples.filter((s) => s.labels.target === 'a'),
      [],
    );
    assert.equal(metrics.value('monitoring_target_up', { target: 'b' }), 1);
    assert.equal(metrics.find('monitoring_cpu_usage_ratio').length, 1);
  });

  it('serves firing alerts with rule, metric and severity, also while the target is stale', async () => {
    const { add, send, scrape, pipeline, clock } = await exporter({ staleAfter: 1 });
    add('t');
    send('t', fixture('real-server', 'monitoring_data'));
    pipeline.emit(firing('t', clock.now(), 'cpu > 90 for 30s'));
    pipeline.emit({ ...firing('t', clock.now(), 'stale > 1m'), metric: 'stale', severity: 'warning' });
    clock.tick(120_000);
    let metrics = await scrape();
    assert.equal(metrics.value('monitoring_target_up', { target: 't' }), 0);
    assert.deepEqual(
      metrics
        .find('monitoring_alert_firing', { target: 't' })
        .map((s) => [s.labels.rule, s.labels.metric, s.labels.severity, s.value]),
      [
        ['cpu > 90 for 30s', 'cpu', 'critical', 1],
        ['stale > 1m', 'stale', 'warning', 1],
      ],
    );
    pipeline.emit(firing('t', clock.now(), 'cpu > 90 for 30s', 'resolved'));
    metrics = await scrape();
    assert.deepEqual(
      metrics.find('monitoring_alert_firing').map((s) => s.labels.rule),
      ['stale > 1m'],
    );
  });

  it('counts frames, invalid ones included', async () => {
    const { add, send, scrape } = await exporter();
    add('t');
    send('t', fixture('real-server', 'monitoring_data'));
    send('t', 'not json');
    send('t', '[1,2]');
    send('t', fixture('real-server', 'pong'));
    const metrics = await scrape();
    assert.equal(metrics.value('monitoring_messages_received_total', { target: 't' }), 4);
    assert.equal(metrics.value('monitoring_invalid_messages_total', { target: 't' }), 2);
  });

  it('speaks OpenMetrics to a scraper that asks for it, the Prometheus text format otherwise', async () => {
    const { add, send, sink } = await exporter();
    add('t');
    send('t', fixture('real-server', 'monitoring_data'));
    for (let round = 0; round < 2; round++) {
      const text = await sink.render();
      assert.equal(text.contentType, 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(text.body, /^# TYPE monitoring_messages_received_total counter$/m);
      assert.match(text.body, /^monitoring_messages_received_total\{target="t",host="vm"\} 1$/m);
      assert.doesNotMatch(text.body, /# EOF/);
      const om = await sink.render(OPENMETRICS_ACCEPT);
      assert.equal(om.contentType, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      assert.match(om.body, /^# TYPE monitoring_messages_received counter$/m);
      assert.match(om.body, /^monitoring_messages_received_total\{target="t",host="vm"\} 1$/m);
      assert.ok(om.body.endsWith('# EOF\n'));
    }
    assert.equal((await sink.render('text/plain;version=0.0.4')).contentType.startsWith('text/plain'), true);
  });

  it('answers scrapes that run at the same time, in both formats, each in full', async () => {
    const { add, send, sink } = await exporter();
    for (const name of ['a', 'b', 'c']) {
      add(name);
      send(name, fixture('real-server', 'monitoring_data'));
    }
    const bodies = await Promise.all([
      sink.render(),
      sink.render(OPENMETRICS_ACCEPT),
      sink.render(),
      sink.render(OPENMETRICS_ACCEPT),
    ]);
    for (const { body } of bodies) {
      const metrics = parseExposition(body);
      assert.deepEqual(
        metrics.find('monitoring_target_up').map((s) => s.labels.target),
        ['a', 'b', 'c'],
      );
      assert.equal(metrics.find('monitoring_cpu_core_usage_ratio').length, 6);
    }
  });

  it("includes the client's own process metrics", async () => {
    const { scrape } = await exporter({ processMetrics: true });
    const metrics = await scrape();
    assert.ok(metrics.names().has('process_cpu_user_seconds_total'));
    assert.ok(metrics.names().has('nodejs_heap_size_used_bytes'));
    const om = await scrape(OPENMETRICS_ACCEPT);
    assert.ok(om.names().has('process_cpu_user_seconds_total'));
    assert.ok(
      (await scrape()).names().has('process_cpu_user_seconds_total'),
      'still named right after OpenMetrics',
    );
  });

  it('does no work per message: a message costs the exporter no call', async () => {
    const sink: Sink = new PrometheusSink({ processMetrics: false });
    assert.equal(sink.write, undefined);
    assert.equal(sink.frame, undefined);
  });

  it('serves no series of targets before the pipeline starts', async () => {
    const sink = new PrometheusSink({ processMetrics: false });
    const metrics = parseExposition((await sink.render()).body);
    assert.deepEqual(metrics.samples, []);
    assert.ok(metrics.types.has('monitoring_target_up'));
  });

  it('reports its figures', async () => {
    const { add, send, sink } = await exporter();
    add('t');
    send('t', fixture('real-server', 'monitoring_data'));
    await sink.render();
    const stats = sink.stats();
    assert.equal(stats.targets, 1);
    assert.ok((stats.seriesLastScrape as number) > 10);
    assert.equal(typeof stats.lastScrapeMs, 'number');
  });
});
