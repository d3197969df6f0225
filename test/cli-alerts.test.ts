/**
 * Alerts through the real command line, in process with `run(argv, io)`: a real monitoring
 * server crossing a threshold, a target never reached, `--on-alert` running a real command,
 * a real webhook server, the events file, and a real Alertmanager. (The stop by SIGTERM that
 * ends the Alertmanager case is an interrupt here: the bin file turns SIGTERM into the same
 * abort, spawned and checked in save-data-flood.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Alertmanager, type GettableAlert } from './helpers/alertmanager.js';
import { RecordingHttpServer } from './helpers/http-server.js';
import { runInProcess } from './helpers/in-process-cli.js';
import { metricsFrame } from './helpers/metrics-frame.js';
import { TestServer, until } from './helpers/test-server.js';

/** Resolves once `check` (asked again and again) resolves true; rejects after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  let ok = false;
  let asking = false;
  await until(
    () => {
      if (!asking) {
        asking = true;
        void check()
          .then((value) => {
            ok = value;
          })
          .finally(() => {
            asking = false;
          });
      }
      return ok;
    },
    timeoutMs,
    what,
  );
}

describe('the command with alerts', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cli-alerts-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('fires and resolves on a real server’s values, for a target never reached too, through every delivery', async () => {
    const monitoring = await TestServer.start();
    const webhook = await RecordingHttpServer.start();
    const out = join(tmp, 'on-alert.log');
    const events = join(tmp, 'events.jsonl');
    const targets = join(tmp, 'fleet.yaml');
    await writeFile(
      targets,
      [
        'targets:',
        `  - { name: web1, uri: "${monitoring.url}", labels: { site: paris } }`,
        '  - { name: ghost, uri: "ws://127.0.0.1:1" }',
        'alerts:',
        '  - { rule: stale 300ms, severity: critical, targets: ghost }',
        '',
      ].join('\n'),
    );
    const run = runInProcess(
      [
        '--targets',
        targets,
        '--ping-interval',
        '0',
        '--alert',
        'cpu > 90',
        '--on-alert',
        `/bin/sh -c 'echo "$ALERT_STATE $ALERT_TARGET $ALERT_RULE $ALERT_VALUE" >> "$0"' ${out}`,
        '--webhook',
        `${webhook.url}/hook?token=s3cr3t-t0ken`,
        '--events',
        events,
        '--verbose',
      ],
      { PATH: process.env.PATH ?? '' },
    );
    try {
      await monitoring.nextClient();
      await monitoring.broadcast(metricsFrame({ cpu: 40 }), metricsFrame({ cpu: 95.5 }));
      await until(() => run.stderr().includes('» alert FIRING web1'), 5000, 'the cpu alert');
      await monitoring.broadcast(
        metricsFrame({ cpu: 88 }),
        metricsFrame({ cpu: 91 }),
        metricsFrame({ cpu: 20 }),
      );
      await until(() => run.stderr().includes('» alert resolved web1'), 5000, 'the resolve');
      await until(() => run.stderr().includes('» alert FIRING ghost'), 5000, 'the stale alert');
      await until(() => webhook.requests.length >= 3, 5000, 'the webhook');
      run.interrupt();
      assert.equal(await run.exit, 0);

      const notices = run
        .stderr()
        .split('\n')
        .filter((line) => line.includes('» alert'));
      const stale = /^» alert FIRING ghost \[critical\] stale 300ms \(no data for \d+ms \(never reached\)\)$/;
      assert.ok(
        notices.some((line) => stale.test(line)),
        notices.join('\n'),
      );
      assert.deepEqual(notices.filter((line) => !stale.test(line)).sort(), [
        '» alert FIRING web1 [warning] cpu > 90 (cpu 95.5 % > 90 %)',
        '» alert resolved ghost [critical] stale 300ms (monitoring stopped)',
        '» alert resolved web1 [warning] cpu > 90 (cpu back to 20 %)',
      ]);
      assert.ok(!run.stderr().includes('s3cr3t-t0ken'), 'the webhook token is never printed');

      // The command ran for each, the one resolved at the stop included.
      const ran = readFileSync(out, 'utf8').split('\n').filter(Boolean).sort();
      assert.match(ran[0] ?? '', /^firing ghost stale 300ms 0\.\d$/, 'the seconds without data');
      assert.deepEqual(ran.slice(1), [
        'firing web1 cpu > 90 95.5',
        'resolved ghost stale 300ms ',
        'resolved web1 cpu > 90 20',
      ]);

      const posted = webhook.requests.map((request) => JSON.parse(request.body));
      const web1 = posted.filter((body) => body.target === 'web1');
      assert.deepEqual(
        web1.map((body) => `${body.state} ${body.value} ${body.host}`),
        ['firing 95.5 vm', 'resolved 20 vm'],
      );
      assert.equal(webhook.requests[0]?.url, '/hook?token=s3cr3t-t0ken');

      const lines = readFileSync(events, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const fired = lines.find((event) => event.type === 'alert' && event.target === 'web1');
      assert.deepEqual(Object.keys(fired).sort(), [
        'at',
        'metric',
        'origin',
        'rule',
        'severity',
        'since',
        'state',
        'summary',
        'target',
        'threshold',
        'type',
        'value',
      ]);
      assert.deepEqual(
        [fired.state, fired.rule, fired.metric, fired.value, fired.threshold, fired.severity],
        ['firing', 'cpu > 90', 'cpu', 95.5, 90, 'warning'],
      );
      assert.match(fired.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(fired.since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    } finally {
      run.interrupt();
      await run.exit;
      await monitoring.close();
      await webhook.close();
    }
  });

  it('delivers the server’s own alerts, marked as such, without a second notice on stderr', async () => {
    const monitoring = await TestServer.start();
    const webhook = await RecordingHttpServer.start();
    const run = runInProcess([
      '-u',
      `vm=${monitoring.url}`,
      '--ping-interval',
      '0',
      '--webhook',
      webhook.url,
    ]);
    try {
      await monitoring.nextClient();
      const alert = {
        component: 'disk',
        level: 'WARNING',
        value: 86,
        threshold: 85,
        message: 'High disk usage: 86.0%',
      };
      await monitoring.broadcast(metricsFrame({ disk: 86, alerts: [alert] }));
      await until(() => webhook.requests.length === 1, 5000, 'the server alert');
      await monitoring.broadcast(metricsFrame({ disk: 50, alerts: [] }));
      await until(() => webhook.requests.length === 2, 5000, 'its resolve');
      run.interrupt();
      assert.equal(await run.exit, 0);
      const [fired, resolved] = webhook.requests.map((request) => JSON.parse(request.body));
      assert.deepEqual(
        [fired.state, fired.origin, fired.rule, fired.metric, fired.severity, fired.value, fired.threshold],
        ['firing', 'server', 'server:disk', 'disk', 'warning', 86, 85],
      );
      assert.equal(fired.summary, 'server alert: High disk usage: 86.0%');
      assert.equal(resolved.state, 'resolved');
      assert.ok(!run.stderr().includes('» alert'), run.stderr());
      assert.match(run.stderr(), /High disk usage: 86\.0%/, 'the display shows it, once');
    } finally {
      run.interrupt();
      await run.exit;
      await monitoring.close();
      await webhook.close();
    }
  });

  it('reads the rules of --alerts FILE while watching live, as a replay does', async () => {
    const rules = join(tmp, 'rules.yaml');
    await writeFile(rules, 'alerts:\n  - { rule: cpu > 90, severity: critical }\n');
    const server = await TestServer.start();
    server.wss.on('connection', (socket) => socket.send(metricsFrame({ cpu: 95.5 })));
    const run = runInProcess(['-u', `web1=${server.url}`, '--alerts', rules]);
    try {
      await until(() => run.stderr().includes('» alert FIRING web1'), 5000, 'the alert of the file');
      assert.match(run.stderr(), /» alert FIRING web1 \[critical\] cpu > 90 \(cpu 95\.5 % > 90 %\)/);
    } finally {
      run.interrupt();
      await run.exit;
      await server.close();
    }
  });

  it('refuses a malformed rule or delivery with one line and exit 2', async () => {
    const file = join(tmp, 'bad-alerts.yaml');
    await writeFile(
      file,
      'targets:\n  - { name: a, uri: "ws://127.0.0.1:1" }\nalerts:\n  - { rule: cpu > 90, severity: high }\n',
    );
    const cases: [string[], RegExp][] = [
      [['--alert', 'cpu >> 90'], /invalid --alert: "cpu >> 90" \(expected a NUMBER after ">"/],
      [['--alert', 'load > 1'], /invalid --alert: "load > 1" \(unknown metric "load"/],
      [['--alert', 'stale soon'], /invalid --alert: "stale soon" \("stale" needs a DURATION/],
      [['--alert', 'cpu > 1', '--alert-margin', 'x'], /invalid --alert-margin: "x"/],
      [['--on-alert', '"unclosed'], /invalid --on-alert: .*unterminated " quote/],
      [
        ['--webhook', 'ftp://x'],
        /invalid --webhook: "ftp:\/\/x" \(expected an http:\/\/ or https:\/\/ URL\)/,
      ],
      [['--alertmanager', 'nope'], /invalid --alertmanager: "nope"/],
      [['--targets', file], /alerts\[0\]\.severity/],
      [['--alerts', file], /invalid .*bad-alerts\.yaml: .*severity/],
      [['--alerts', join(tmp, 'missing.yaml')], /invalid --alerts: ".*missing\.yaml" \(ENOENT\)/],
      [
        ['--targets', file, '--alerts', file],
        /--alerts .*bad-alerts\.yaml: .*bad-alerts\.yaml has an alerts: section too; give the rules in one of them/,
      ],
    ];
    for (const [argv, expected] of cases) {
      const run = runInProcess(argv);
      assert.equal(await run.exit, 2, argv.join(' '));
      assert.match(run.stderr(), expected);
      assert.equal(run.stderr().trim().split('\n').length, 1, `one line: ${run.stderr()}`);
    }
  });

  it('sends its alerts to a real Alertmanager: active while firing, resolved after, and at the stop', async () => {
    const am = await Alertmanager.start();
    const monitoring = await TestServer.start();
    const cli = runInProcess([
      '-u',
      `web1=${monitoring.url}`,
      '--ping-interval',
      '0',
      '--alert',
      'memory >= 80',
      '--alertmanager',
      am.url,
    ]);
    try {
      await monitoring.nextClient();
      const ours = async (): Promise<GettableAlert | undefined> =>
        (await am.alerts()).find((alert) => alert.labels.alertname === 'memory >= 80');
      await monitoring.broadcast(metricsFrame({ memory: 85, hostname: 'web1.example' }));
      let firing: GettableAlert | undefined;
      await eventually(async () => {
        firing = await ours();
        return firing !== undefined;
      }, 'the alert in Alertmanager');
      assert.equal(firing?.status.state, 'active');
      assert.deepEqual(firing?.labels, {
        alertname: 'memory >= 80',
        target: 'web1',
        host: 'web1.example',
        severity: 'warning',
      });
      assert.equal(firing?.annotations.summary, 'memory 85 % >= 80 %');

      await monitoring.broadcast(metricsFrame({ memory: 40, hostname: 'web1.example' }));
      await eventually(async () => (await ours()) === undefined, 'the alert resolved in Alertmanager');

      await monitoring.broadcast(metricsFrame({ memory: 99, hostname: 'web1.example' }));
      await eventually(async () => (await ours()) !== undefined, 'the alert firing again');
      cli.interrupt();
      assert.equal(await cli.exit, 0, cli.stderr());
      assert.equal(await ours(), undefined, 'resolved when the client stopped');
      assert.match(cli.stderr(), /» alert FIRING web1 \[warning\] memory >= 80 \(memory 85 % >= 80 %\)/);
    } finally {
      cli.interrupt();
      await cli.exit;
      await monitoring.close();
      await am.stop();
    }
  });
});
