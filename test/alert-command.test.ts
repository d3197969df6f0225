/**
 * `--on-alert`: real commands, run without a shell, on a pipeline's clock (fake here, so the
 * time limit is tested without waiting for it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AlertCommandOptions, AlertCommandSink, alertEnvironment } from '../src/alerts/alert-command.js';
import { splitCommandWords } from '../src/alerts/command-words.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { alertEvent } from './helpers/alert-events.js';
import { FakeClock } from './helpers/fake-clock.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { until } from './helpers/test-server.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mwc-on-alert-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A node script as a command: node -e SCRIPT ARGS... */
function nodeCommand(script: string, ...args: string[]): string[] {
  return [process.execPath, '-e', script, ...args];
}

async function setup(options: AlertCommandOptions) {
  const clock = new FakeClock();
  const logger = recordingLogger();
  const sink = new AlertCommandSink(options);
  const pipeline = new Pipeline({ sinks: [sink], clock, logger });
  await pipeline.start();
  return { clock, logger, sink, pipeline };
}

describe('AlertCommandSink', () => {
  it('runs the command for each firing and resolved, with the details in ALERT_* variables', async () => {
    const out = join(dir, 'alerts.log');
    const t = await setup({
      command: [
        '/bin/sh',
        '-c',
        'printf "%s %s %s %s\\n" "$ALERT_STATE" "$ALERT_TARGET" "$ALERT_SEVERITY" "$ALERT_VALUE" >> "$0"',
        out,
      ],
      env: { PATH: process.env.PATH },
    });
    t.pipeline.emit(alertEvent());
    await until(() => t.sink.stats().succeeded === 1, 5000, 'the first run');
    t.pipeline.emit(alertEvent({ state: 'resolved', value: 80 }));
    await t.pipeline.close();
    assert.equal(readFileSync(out, 'utf8'), 'firing web-1 critical 97.5\nresolved web-1 critical 80\n');
    assert.deepEqual(t.sink.stats(), {
      started: 2,
      succeeded: 2,
      failed: 0,
      timedOut: 0,
      dropped: 0,
      running: 0,
      queued: 0,
    });
  });

  it('passes every variable, ALERT_JSON included, and never through a shell', async () => {
    const out = join(dir, 'env.json');
    const marker = join(dir, 'PWNED');
    const t = await setup({
      command: nodeCommand(
        `const e = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('ALERT_')));
         require('fs').writeFileSync(process.argv[1], JSON.stringify(e))`,
        out,
      ),
    });
    const hostile = `$(touch ${marker}); touch ${marker} \`touch ${marker}\``;
    t.pipeline.emit(alertEvent({ origin: 'server', rule: 'server:memory', summary: hostile, value: null }));
    await t.pipeline.close();
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(env).sort(), [
      'ALERT_AT',
      'ALERT_HOST',
      'ALERT_JSON',
      'ALERT_METRIC',
      'ALERT_ORIGIN',
      'ALERT_RULE',
      'ALERT_SEVERITY',
      'ALERT_SINCE',
      'ALERT_STATE',
      'ALERT_SUMMARY',
      'ALERT_TARGET',
      'ALERT_THRESHOLD',
      'ALERT_VALUE',
    ]);
    assert.equal(env.ALERT_SUMMARY, hostile);
    assert.equal(env.ALERT_VALUE, '');
    assert.equal(env.ALERT_THRESHOLD, '90');
    assert.equal(env.ALERT_SINCE, '2026-11-25T12:00:00.000Z');
    assert.equal(env.ALERT_RULE, 'server:memory');
    const json = JSON.parse(env.ALERT_JSON ?? '{}');
    assert.deepEqual(
      [json.type, json.state, json.target, json.value, json.at],
      ['alert', 'firing', 'web-1', null, '2026-11-25T12:00:30.000Z'],
    );
    assert.ok(!existsSync(marker), 'nothing of the alert was run as shell syntax');
  });

  it('logs a command that fails or cannot start, with its stderr, and goes on', async () => {
    const reported: string[] = [];
    const t = await setup({
      command: nodeCommand('process.stderr.write("boom\\u001b[31m"); process.exit(3)'),
      onFailure: (message) => reported.push(message),
    });
    t.pipeline.emit(alertEvent());
    t.pipeline.emit(alertEvent({ state: 'resolved' }));
    await t.pipeline.close();
    assert.equal(t.sink.stats().failed, 2);
    const failures = t.logger.lines.filter((line) => line.startsWith('warn on-alert:'));
    assert.equal(failures.length, 2);
    // The two commands run side by side: either may finish first.
    for (const state of ['firing', 'resolved']) {
      assert.ok(
        failures.some((line) =>
          new RegExp(`for web-1 cpu > 90 for 30s \\(${state}\\) failed: exit code 3; stderr: boom$`).test(
            line,
          ),
        ),
        failures.join('\n'),
      );
    }
    // Told to onFailure too (the command line prints these on stderr).
    assert.deepEqual(
      reported,
      failures.map((line) => line.slice('warn '.length)),
    );

    const missing = await setup({ command: [join(dir, 'no-such-program'), 'x'] });
    missing.pipeline.emit(alertEvent());
    await missing.pipeline.close();
    assert.equal(missing.sink.stats().failed, 1);
    assert.ok(
      missing.logger.lines.some((line) => /could not start: ENOENT/.test(line)),
      missing.logger.lines.join('\n'),
    );
  });

  it('kills a command over its time limit (on the pipeline’s clock)', async () => {
    const t = await setup({ command: nodeCommand('setTimeout(() => {}, 60000)'), timeoutMs: 10_000 });
    t.pipeline.emit(alertEvent());
    assert.equal(t.sink.stats().running, 1);
    t.clock.tick(9_999);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(t.sink.stats().running, 1, 'not before the limit');
    t.clock.tick(1);
    await until(() => t.sink.stats().running === 0, 5000, 'the kill');
    assert.equal(t.sink.stats().timedOut, 1);
    assert.ok(t.logger.lines.some((line) => /exceeded its time limit of 10000 ms and was killed/.test(line)));
    await t.pipeline.close();
  });

  it('runs at most maxConcurrent at once, queues the rest, and drops the oldest beyond the queue', async () => {
    const t = await setup({
      command: nodeCommand('setTimeout(() => {}, 60000)'),
      timeoutMs: 1000,
      maxConcurrent: 2,
      maxQueued: 3,
    });
    for (let i = 0; i < 6; i++) t.pipeline.emit(alertEvent({ target: `t-${i}` }));
    assert.deepEqual([t.sink.stats().running, t.sink.stats().queued, t.sink.stats().dropped], [2, 3, 1]);
    let most = 0;
    while (t.sink.stats().started < 5 || t.sink.stats().running > 0) {
      most = Math.max(most, t.sink.stats().running);
      t.clock.tick(1000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(most, 2);
    assert.equal(t.sink.stats().timedOut, 5);
    assert.ok(t.logger.lines.some((line) => /1 alert\(s\) dropped/.test(line)));
    await t.pipeline.close();
  });

  it('refuses an empty command', () => {
    assert.throws(() => new AlertCommandSink({ command: [] }), /invalid command/);
    assert.throws(() => new AlertCommandSink({ command: ['x'], maxConcurrent: 0 }), /invalid maxConcurrent/);
  });

  it('keeps NUL out of the environment', () => {
    const env = alertEnvironment(alertEvent({ summary: 'a\u0000b' }), 'h\u0000ost');
    assert.equal(env.ALERT_SUMMARY, 'ab');
    assert.equal(env.ALERT_HOST, 'host');
  });
});

describe('splitCommandWords', () => {
  it('splits like a shell, without interpreting anything', () => {
    const words = (text: string) => {
      const result = splitCommandWords(text);
      assert.ok(result.ok, text);
      return result.words;
    };
    assert.deepEqual(words('notify-send  Alert'), ['notify-send', 'Alert']);
    assert.deepEqual(words(`say 'two words' "and \\"more\\"" a\\ b ''`), [
      'say',
      'two words',
      'and "more"',
      'a b',
      '',
    ]);
    assert.deepEqual(words('echo $HOME;rm *'), ['echo', '$HOME;rm', '*']);
  });

  it('says what is wrong', () => {
    for (const [text, reason] of [
      ['', /no command/],
      ['   ', /no command/],
      ["echo 'open", /unterminated ' quote/],
      ['echo "open', /unterminated " quote/],
      ['echo \\', /backslash/],
    ] as const) {
      const result = splitCommandWords(text);
      assert.ok(!result.ok && reason.test(result.reason), text);
    }
  });
});
