/**
 * The alerts feature of the command line: its flags, the targets file's `alerts:` section,
 * the usage errors, and the sinks it assembles.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import type { FeatureContext, TargetsFileSections } from '../src/cli/feature.js';
import { type AlertSettings, alertsFeature } from '../src/cli/features/alerts.js';
import { FEATURES } from '../src/cli/features/index.js';
import { UsageError } from '../src/cli/options.js';
import { silentLogger } from '../src/logger.js';

function resolve(argv: string[], file?: TargetsFileSections): AlertSettings | undefined {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  alertsFeature.declare(program);
  program.parse(argv, { from: 'user' });
  return alertsFeature.resolve(program.opts(), {}, file);
}

function usageError(argv: string[], file?: TargetsFileSections): string {
  try {
    resolve(argv, file);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail(`accepted: ${argv.join(' ')}`);
}

function context(stderr: NodeJS.WritableStream = new PassThrough()): FeatureContext {
  return {
    stdout: new PassThrough(),
    stderr,
    env: { PATH: process.env.PATH, MONITORING_TOKEN: 'secret-token' },
    logger: silentLogger,
    color: false,
    targetNames: [],
    signal: new AbortController().signal,
    end: () => {},
  };
}

describe('alerts feature', () => {
  it('is listed among the features', () => {
    assert.ok(FEATURES.includes(alertsFeature as never));
  });

  it('is off without rules or deliveries', () => {
    assert.equal(resolve([]), undefined);
  });

  it('reads repeated --alert, the margin, and the deliveries', () => {
    const settings = resolve([
      '--alert',
      'cpu > 90 for 30s',
      '--alert',
      'stale 15s',
      '--alert-margin',
      '2.5',
      '--on-alert',
      "notify-send 'Alert!'",
      '--webhook',
      'https://hooks.example.com/x',
      '--alertmanager',
      'http://127.0.0.1:9093',
    ]);
    assert.deepEqual(
      settings?.rules.map((rule) => rule.text),
      ['cpu > 90 for 30s', 'stale 15s'],
    );
    assert.equal(settings?.margin, 2.5);
    assert.deepEqual(settings?.onAlert, ['notify-send', 'Alert!']);
    assert.equal(settings?.webhook, 'https://hooks.example.com/x');
    assert.equal(settings?.alertmanager, 'http://127.0.0.1:9093');
    assert.equal(resolve(['--alert', 'disk > 1'])?.margin, 5);
    // A delivery alone delivers the servers' own alerts.
    assert.deepEqual(resolve(['--webhook', 'http://127.0.0.1:1/'])?.rules, []);
  });

  it('adds the rules of the targets file', () => {
    const settings = resolve(['--alert', 'cpu > 90'], {
      path: 'fleet.yml',
      sections: { alerts: ['disk >= 85', { rule: 'stale 30s', severity: 'critical', targets: 'web*' }] },
    });
    assert.deepEqual(
      settings?.rules.map((rule) => `${rule.text} ${rule.severity}`),
      ['cpu > 90 warning', 'disk >= 85 warning', 'stale 30s critical'],
    );
  });

  it('says which flag, value and what is allowed, in one line', () => {
    const cases: [string[], RegExp][] = [
      [['--alert', 'cpu >> 90'], /^invalid --alert: "cpu >> 90" \(expected a NUMBER after ">"/],
      [
        ['--alert', 'load > 3'],
        /^invalid --alert: "load > 3" \(unknown metric "load" \(expected METRIC OP NUMBER/,
      ],
      [
        ['--alert', 'cpu > 90', '--alert', 'cpu > 90'],
        /^invalid --alert: "cpu > 90" \(the rule is given twice/,
      ],
      [
        ['--alert', 'cpu > 1', '--alert-margin', '-1'],
        /^invalid --alert-margin: "-1" \(expected a number >= 0/,
      ],
      [['--alert-margin', '3'], /^invalid --alert-margin: it needs rules/],
      [['--on-alert', "say 'x"], /^invalid --on-alert: "say 'x" \(unterminated ' quote; expected a program/],
      [
        ['--webhook', 'ftp://u:hidden-pw@example.com/'],
        /^invalid --webhook: "ftp:\/\/\[redacted\]@example.com\/…" \(expected an http/,
      ],
      [
        ['--alertmanager', 'localhost:9093'],
        /^invalid --alertmanager: .* \(expected an http:\/\/ or https:\/\/ URL\)/,
      ],
    ];
    for (const [argv, expected] of cases) {
      const message = usageError(argv);
      assert.match(message, expected, argv.join(' '));
      assert.ok(!message.includes('\n'));
      assert.ok(!message.includes('hidden-pw'));
    }
    assert.match(
      usageError([], { path: 'fleet.yml', sections: { alerts: [{ rule: 'cpu > 1', severity: 'fatal' }] } }),
      /^invalid fleet.yml: alerts\[0\]\.severity: .*expected one of "warning"\|"critical"/,
    );
    assert.match(
      usageError([], { path: 'fleet.yml', sections: { alerts: ['cpu > 900'] } }),
      /^invalid fleet.yml: invalid alert rule "cpu > 900": the threshold 900 is outside the range of cpu/,
    );
  });

  it('assembles the alert sink, the notices and each delivery asked for', async () => {
    const settings = resolve([
      '--alert',
      'cpu > 90',
      '--on-alert',
      'true',
      '--webhook',
      'http://127.0.0.1:1/',
      '--alertmanager',
      'http://127.0.0.1:1',
    ]);
    assert.ok(settings);
    const sinks = await alertsFeature.sinks(settings, context());
    assert.deepEqual(
      sinks.map((sink) => sink.name),
      ['alerts', 'alert-notices', 'on-alert', 'webhook', 'alertmanager'],
    );
    const minimal = await alertsFeature.sinks(resolve(['--alert', 'stale 5s']) as AlertSettings, context());
    assert.deepEqual(
      minimal.map((sink) => sink.name),
      ['alerts', 'alert-notices'],
    );
  });
});
