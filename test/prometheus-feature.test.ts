import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import type { FeatureContext } from '../src/cli/feature.js';
import { prometheusFeature } from '../src/cli/features/prometheus.js';
import { UsageError } from '../src/cli/options.js';
import { run } from '../src/cli/run.js';
import { silentLogger } from '../src/logger.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { PrometheusSink } from '../src/prometheus/prometheus-sink.js';
import { parseExposition } from './helpers/exposition.js';
import { fixtureFrame } from './helpers/fixtures.js';
import { TestServer, until } from './helpers/test-server.js';

/** The feature's settings for `argv`, as the command line would resolve them. */
function resolve(argv: string[]) {
  const program = new Command().exitOverride();
  prometheusFeature.declare(program);
  program.parse(argv, { from: 'user' });
  return prometheusFeature.resolve(program.opts(), {}, undefined);
}

function context(): FeatureContext & { notices(): string } {
  const stderr = new PassThrough();
  let notices = '';
  stderr.on('data', (chunk) => {
    notices += String(chunk);
  });
  return {
    stdout: new PassThrough(),
    stderr,
    env: {},
    logger: silentLogger,
    color: false,
    targetNames: ['a'],
    signal: new AbortController().signal,
    end: () => {},
    notices: () => notices,
  };
}

describe('--prometheus', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'prometheus-feature-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('is off without the flag', () => {
    assert.equal(resolve([]), undefined);
  });

  it('reads [HOST:]PORT, on 127.0.0.1 by default', () => {
    assert.deepEqual(resolve(['--prometheus', '9464']), { host: '127.0.0.1', port: 9464, token: undefined });
    assert.deepEqual(resolve(['--prometheus', '[::1]:0']), { host: '::1', port: 0, token: undefined });
  });

  it('needs a token file to listen beyond this machine, and reads one token from it', async () => {
    assert.throws(
      () => resolve(['--prometheus', '0.0.0.0:9464']),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message ===
          'invalid --prometheus: "0.0.0.0:9464" (listening beyond this machine needs --prometheus-token-file)',
    );
    const file = join(tmp, 'token');
    await writeFile(file, '  s3cret\n');
    assert.deepEqual(resolve(['--prometheus', '0.0.0.0:9464', '--prometheus-token-file', file]), {
      host: '0.0.0.0',
      port: 9464,
      token: 's3cret',
    });
    await writeFile(join(tmp, 'two'), 'a\nb\n');
    assert.throws(
      () => resolve(['--prometheus', '9464', '--prometheus-token-file', join(tmp, 'two')]),
      /invalid --prometheus-token-file: ".*two" \(expected one token on one line\)/,
    );
    assert.throws(
      () => resolve(['--prometheus', '9464', '--prometheus-token-file', join(tmp, 'missing')]),
      /invalid --prometheus-token-file: ".*missing" \(ENOENT\)/,
    );
    assert.throws(() => resolve(['--prometheus-token-file', file]), /it needs --prometheus/);
  });

  it('names the flag, the value and what is allowed for a bad address', () => {
    for (const value of ['x', '70000', 'host:', '::1:9464']) {
      assert.throws(
        () => resolve(['--prometheus', value]),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message.startsWith(`invalid --prometheus: "${value}" (expected [HOST:]PORT`),
        value,
      );
    }
  });

  it('builds a listening exporter and says where', async () => {
    const settings = resolve(['--prometheus', '0'])!;
    const io = context();
    const sinks = await prometheusFeature.sinks(settings, io);
    assert.equal(sinks.length, 1);
    const sink = sinks[0] as PrometheusSink;
    assert.ok(sink instanceof PrometheusSink);
    const pipeline = new Pipeline({ sinks });
    await pipeline.start();
    try {
      assert.equal(io.notices(), `» Prometheus metrics at ${sink.url}\n`);
      const response = await fetch(sink.url!);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /# TYPE monitoring_target_up gauge/);
    } finally {
      await pipeline.close();
    }
  });

  it('fails before the run when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    try {
      const { port } = taken.address() as AddressInfo;
      await assert.rejects(
        Promise.resolve(prometheusFeature.sinks(resolve(['--prometheus', String(port)])!, context())),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message === `invalid --prometheus: "127.0.0.1:${port}" (the port is in use (EADDRINUSE))`,
      );
    } finally {
      await new Promise((done) => taken.close(done));
    }
  });

  it('through the command: serves the targets of the run while it prints csv, and stops with it', async () => {
    const servers = await Promise.all([
      TestServer.start({ greeting: [fixtureFrame('real-server', 'monitoring_data')] }),
      TestServer.start({ greeting: [fixtureFrame('documented', 'monitoring_data')] }),
    ]);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    stderr.on('data', (chunk) => {
      err += String(chunk);
    });
    const controller = new AbortController();
    const argv = [
      '-u',
      `a=${servers[0]!.url}`,
      '-u',
      `b=${servers[1]!.url}`,
      '--prometheus',
      '0',
      '-f',
      'csv',
    ];
    const exit = run([...argv, '--ping-interval', '0'], {
      stdout,
      stderr,
      env: {},
      signal: controller.signal,
    });
    try {
      await until(() => out.split('\n').length >= 4, 5000, 'the header and two records');
      const url = /Prometheus metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(err)?.[1];
      assert.ok(url, err);
      const metrics = parseExposition(await (await fetch(url)).text());
      assert.equal(metrics.value('monitoring_target_up', { target: 'a', host: 'vm' }), 1);
      assert.equal(metrics.value('monitoring_cpu_usage_ratio', { target: 'b' }), 0.452);
      assert.ok(out.startsWith('target,received_at,'), out);
      controller.abort();
      assert.equal(await exit, 0);
      await assert.rejects(fetch(url), /fetch failed/, 'the endpoint closes with the run');
    } finally {
      controller.abort();
      await exit.catch(() => {});
      for (const server of servers) await server.close();
    }
  });

  it('through the command: a usage error (exit 2) for a bad address, a wide one without a token, a port in use', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as AddressInfo;
    try {
      for (const [value, message] of [
        ['nope', 'invalid --prometheus: "nope" (expected [HOST:]PORT'],
        [
          '0.0.0.0:9464',
          'invalid --prometheus: "0.0.0.0:9464" (listening beyond this machine needs --prometheus-token-file)',
        ],
        [String(port), `invalid --prometheus: "127.0.0.1:${port}" (the port is in use (EADDRINUSE))`],
      ] as const) {
        const stderr = new PassThrough();
        let err = '';
        stderr.on('data', (chunk) => {
          err += String(chunk);
        });
        const code = await run(['-u', 'ws://127.0.0.1:9', '--prometheus', value], {
          stdout: new PassThrough(),
          stderr,
          env: {},
        });
        assert.equal(code, 2, err);
        assert.ok(err.startsWith(`monitoring-websocket-client: error: ${message}`), err);
        assert.equal(err.trimEnd().split('\n').length, 1, 'one line');
      }
    } finally {
      await new Promise((done) => taken.close(done));
    }
  });
});
