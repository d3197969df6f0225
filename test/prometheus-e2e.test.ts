/**
 * End to end with a real Prometheus (Debian package `prometheus`): two test servers send
 * chosen values, the command (run in this process through `run(argv, io)`) watches both
 * from a targets file with labels and serves `/metrics` with a bearer token, Prometheus
 * scrapes it, and what Prometheus stored is read back through its HTTP API.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixture } from './helpers/fixtures.js';
import { runInProcess } from './helpers/in-process-cli.js';
import { PrometheusServer, type VectorSample } from './helpers/prometheus-server.js';
import { TestServer, until } from './helpers/test-server.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** A real-server message with the given values. */
function message(values: {
  host: string;
  cpu: number;
  cores: number[];
  memory: { percentage: number; used: number; total: number };
  disk: { percentage: number; used: number; total: number };
  gpu?: { usage: number; used: number; total: number; temperature: number; power: number };
}): Record<string, unknown> {
  const base = structuredClone(fixture('real-server', 'monitoring_data_gpu')) as {
    data: Record<string, Record<string, unknown>>;
  };
  const { data } = base;
  Object.assign(data.processor!, { usage_percent: values.cpu, per_core_usage: values.cores });
  Object.assign(data.memory!, values.memory);
  Object.assign(data.disk!, values.disk);
  data.system!.hostname = values.host;
  if (values.gpu === undefined) delete data.gpu;
  else {
    Object.assign(data.gpu!, {
      gpu_usage_percent: values.gpu.usage,
      memory_used: values.gpu.used,
      memory_total: values.gpu.total,
      temperature: values.gpu.temperature,
      power_draw: values.gpu.power,
    });
  }
  return base;
}

const GIB = 1024 ** 3;
const ALPHA = message({
  host: 'alpha.example',
  cpu: 12.5,
  cores: [10, 15],
  memory: { percentage: 40.25, used: 4 * GIB, total: 10 * GIB },
  disk: { percentage: 55.5, used: 111 * GIB, total: 200 * GIB },
  gpu: { usage: 61, used: 3 * GIB, total: 16 * GIB, temperature: 70, power: 150.5 },
});
const BETA = message({
  host: 'beta',
  cpu: 87.75,
  cores: [80, 95.5, 87.75, 88],
  memory: { percentage: 91.3, used: 21 * GIB, total: 23 * GIB },
  disk: { percentage: 12, used: 30 * GIB, total: 250 * GIB },
});

/** Prometheus's value of each target, for `name`. */
async function byTarget(prometheus: PrometheusServer, promql: string): Promise<Record<string, number>> {
  const samples: VectorSample[] = await prometheus.query(promql);
  return Object.fromEntries(samples.map((s) => [s.metric.target ?? '?', s.value]));
}

describe('Prometheus scraping the exporter', () => {
  it('stores what the servers sent, for each target, and sees a killed one go down', {
    timeout: 90_000,
  }, async () => {
    const alpha = await TestServer.start({ greeting: [JSON.stringify(ALPHA)] });
    const beta = await TestServer.start({ greeting: [JSON.stringify(BETA)] });
    cleanups.push(
      () => alpha.close(),
      () => beta.close(),
    );

    const dir = await mkdtemp(join(tmpdir(), 'mwc-prometheus-e2e-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const token = 'e2e-token-0123456789';
    await writeFile(join(dir, 'token'), `${token}\n`);
    await writeFile(
      join(dir, 'targets.yml'),
      [
        'targets:',
        `  - { name: alpha, uri: "${alpha.url}", labels: { site: paris, rack_no: "7" } }`,
        `  - { name: beta, uri: "${beta.url}", labels: { site: lyon } }`,
        '',
      ].join('\n'),
    );
    const cli = runInProcess([
      '--targets',
      join(dir, 'targets.yml'),
      '--prometheus',
      '0',
      '--prometheus-token-file',
      join(dir, 'token'),
      '--ping-interval',
      '0',
      '--reconnect-interval',
      '0.2',
      '-f',
      'csv',
    ]);
    cleanups.push(async () => {
      cli.interrupt();
      await cli.exit;
    });
    await until(
      () => /Prometheus metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(cli.stderr()),
      10_000,
      'the endpoint',
    );
    const port = /127\.0\.0\.1:(\d+)\/metrics/.exec(cli.stderr())![1]!;
    await until(() => cli.stdoutLines() >= 3, 10_000, 'the header and both first records');
    assert.match(cli.stdout(), /^target,received_at,timestamp,host,/, 'csv on stdout, target first');

    const prometheus = await PrometheusServer.start([{ address: `127.0.0.1:${port}`, bearerToken: token }]);
    cleanups.push(() => prometheus.stop());

    const up = await prometheus.until('both targets up in Prometheus', async () => {
      const values = await byTarget(prometheus, 'monitoring_target_up');
      return values.alpha === 1 && values.beta === 1 ? values : undefined;
    });
    assert.deepEqual(up, { alpha: 1, beta: 1 });
    const [health] = await prometheus.targets();
    assert.equal(health?.health, 'up', health?.lastError);

    const expected: Record<string, Record<string, number>> = {
      monitoring_cpu_usage_ratio: { alpha: 0.125, beta: 0.8775 },
      monitoring_memory_usage_ratio: { alpha: 0.4025, beta: 0.913 },
      monitoring_memory_used_bytes: { alpha: 4 * GIB, beta: 21 * GIB },
      monitoring_memory_total_bytes: { alpha: 10 * GIB, beta: 23 * GIB },
      monitoring_disk_usage_ratio: { alpha: 0.555, beta: 0.12 },
      monitoring_disk_used_bytes: { alpha: 111 * GIB, beta: 30 * GIB },
      monitoring_disk_total_bytes: { alpha: 200 * GIB, beta: 250 * GIB },
      monitoring_gpu_usage_ratio: { alpha: 0.61 },
      monitoring_gpu_memory_used_bytes: { alpha: 3 * GIB },
      monitoring_gpu_memory_total_bytes: { alpha: 16 * GIB },
      monitoring_gpu_temperature_celsius: { alpha: 70 },
      monitoring_gpu_power_watts: { alpha: 150.5 },
      monitoring_messages_received_total: { alpha: 1, beta: 1 },
      monitoring_invalid_messages_total: { alpha: 0, beta: 0 },
      monitoring_cpu_temperature_celsius: {},
    };
    for (const [name, values] of Object.entries(expected)) {
      assert.deepEqual(await byTarget(prometheus, name), values, name);
    }
    assert.deepEqual(await byTarget(prometheus, 'count by (target) (monitoring_cpu_core_usage_ratio)'), {
      alpha: 2,
      beta: 4,
    });
    const cores = await prometheus.query('monitoring_cpu_core_usage_ratio{target="beta"}');
    assert.deepEqual(cores.map((s) => [s.metric.core, s.value]).sort(), [
      ['0', 0.8],
      ['1', 0.955],
      ['2', 0.8775],
      ['3', 0.88],
    ]);
    const [labelled] = await prometheus.query('monitoring_memory_used_bytes{target="alpha"}');
    assert.deepEqual(
      { ...labelled!.metric, instance: undefined },
      {
        __name__: 'monitoring_memory_used_bytes',
        target: 'alpha',
        host: 'alpha.example',
        site: 'paris',
        rack_no: '7',
        job: 'monitoring-0',
        instance: undefined,
      },
    );
    assert.ok(
      (await prometheus.query('process_resident_memory_bytes')).length === 1,
      "the client's own metrics",
    );

    // One server dies: its target goes down, its values go stale, the other stays.
    await beta.close();
    const down = await prometheus.until('beta down in Prometheus', async () => {
      const values = await byTarget(prometheus, 'monitoring_target_up');
      return values.beta === 0 ? values : undefined;
    });
    assert.deepEqual(down, { alpha: 1, beta: 0 });
    const cpu = await prometheus.until('beta values gone', async () => {
      const values = await byTarget(prometheus, 'monitoring_cpu_usage_ratio');
      return values.beta === undefined ? values : undefined;
    });
    assert.deepEqual(cpu, { alpha: 0.125 });
    assert.ok((await byTarget(prometheus, 'monitoring_reconnects_total')).beta! >= 1);
  });

  it('fails with a clear message when Prometheus is not installed', async () => {
    await assert.rejects(
      PrometheusServer.start([], { bin: '/nonexistent/prometheus' }),
      /Prometheus is not installed \(\/nonexistent\/prometheus\).*apt-get install -y prometheus/,
    );
  });
});
