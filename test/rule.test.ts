import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../src/alerts/duration.js';
import {
  AlertRuleError,
  alertsSectionSchema,
  checkRuleSet,
  parseRule,
  RULE_SYNTAX,
  rulesFromSection,
} from '../src/alerts/rule.js';
import { targetMatcher } from '../src/alerts/target-pattern.js';

function ruleError(text: string, extras = {}): AlertRuleError {
  try {
    parseRule(text, extras);
  } catch (error) {
    assert.ok(error instanceof AlertRuleError, `not an AlertRuleError: ${String(error)}`);
    return error;
  }
  assert.fail(`${JSON.stringify(text)} was accepted`);
}

describe('parseRule', () => {
  it('reads METRIC OP NUMBER with every metric and operator', () => {
    const rule = parseRule('cpu > 90');
    assert.equal(rule.kind, 'threshold');
    assert.deepEqual(
      rule.kind === 'threshold' && [rule.metric, rule.op, rule.threshold, rule.forMs, rule.severity],
      ['cpu', '>', 90, 0, 'warning'],
    );
    for (const metric of ['memory', 'disk', 'gpu', 'gpu_memory', 'gpu_temperature', 'cpu_temperature'])
      for (const op of ['>', '>=', '<', '<=']) {
        const parsed = parseRule(`${metric} ${op} 42.5`);
        assert.ok(parsed.kind === 'threshold' && parsed.metric === metric && parsed.op === op);
        assert.equal(parsed.kind === 'threshold' && parsed.threshold, 42.5);
      }
  });

  it('reads "for DURATION", units, and tolerates spacing', () => {
    const rule = parseRule('  cpu>90%   for 1m30s ');
    assert.equal(rule.text, 'cpu>90% for 1m30s');
    assert.ok(rule.kind === 'threshold');
    assert.equal(rule.forMs, 90_000);
    assert.equal(rule.threshold, 90);
    const temperature = parseRule('gpu_temperature >= 85°C for 10s');
    assert.ok(
      temperature.kind === 'threshold' && temperature.threshold === 85 && temperature.forMs === 10_000,
    );
  });

  it('reads "stale DURATION"', () => {
    const rule = parseRule('stale 15s');
    assert.ok(rule.kind === 'stale');
    assert.equal(rule.afterMs, 15_000);
    assert.equal(rule.text, 'stale 15s');
  });

  it('takes severity, targets, name, labels and margin from the file form', () => {
    const rule = parseRule('disk >= 85', {
      severity: 'critical',
      targets: ['web*', 'db-?'],
      name: 'DiskFull',
      labels: { team: 'ops' },
      margin: 2,
    });
    assert.equal(rule.severity, 'critical');
    assert.equal(rule.name, 'DiskFull');
    assert.deepEqual(rule.labels, { team: 'ops' });
    assert.equal(rule.margin, 2);
    assert.ok(rule.appliesTo('web-1'));
    assert.ok(rule.appliesTo('db-2'));
    assert.ok(!rule.appliesTo('db-10'));
    assert.ok(!rule.appliesTo('cache'));
  });

  it('names the rule, what is wrong and what is allowed', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['cpux > 90', /unknown metric "cpux"/],
      ['cpu 90', /expected an OP \(one of >, >=, <, <=\) after "cpu"/],
      ['cpu >> 90', /expected a NUMBER after ">"/],
      ['cpu > ninety', /expected a NUMBER after ">" \(got "ninety"\)/],
      ['cpu > 150', /outside the range of cpu \(0 to 100 %\)/],
      ['cpu > 90 during 30s', /unexpected "during 30s" after the threshold/],
      ['cpu > 90 for ever', /"for" needs a DURATION/],
      ['cpu > 90°C', /measured in %, not °C/],
      ['stale', /"stale" needs a DURATION/],
      ['stale soon', /"stale" needs a DURATION/],
      ['stale 0s', /more than 0/],
    ];
    for (const [text, reason] of cases) {
      const error = ruleError(text);
      assert.equal(error.code, 'INVALID_ALERT_RULE');
      assert.equal(error.rule, text.trim());
      assert.match(error.reason, reason, text);
      assert.ok(error.message.includes(JSON.stringify(text.trim())), error.message);
    }
    // An unknown metric lists every form that is allowed.
    assert.ok(ruleError('load > 2').reason.includes(RULE_SYNTAX));
  });

  it('refuses bad extras', () => {
    assert.match(
      ruleError('cpu > 90', { severity: 'fatal' }).reason,
      /unknown severity "fatal" \(expected warning or critical\)/,
    );
    assert.match(
      ruleError('cpu > 90', { labels: { 'bad-name': 'x' } }).reason,
      /invalid label name "bad-name"/,
    );
    assert.match(ruleError('cpu > 90', { labels: { severity: 'x' } }).reason, /reserved/);
    assert.match(ruleError('cpu > 90', { targets: '' }).reason, /target pattern is empty/);
    assert.match(ruleError('cpu > 90', { margin: -1 }).reason, /margin/);
  });
});

describe('rulesFromSection (the targets file alerts: section)', () => {
  it('reads strings and objects', () => {
    const rules = rulesFromSection([
      'cpu > 90 for 30s',
      { rule: 'stale 15s', severity: 'critical', targets: 'web*' },
    ]);
    assert.equal(rules.length, 2);
    assert.equal(rules[1]?.kind, 'stale');
    assert.equal(rules[1]?.severity, 'critical');
    assert.ok(rules[1]?.appliesTo('web-3'));
    assert.ok(!rules[1]?.appliesTo('db'));
    assert.ok(alertsSectionSchema.safeParse(['cpu > 1']).success);
  });

  it('names the entry of the wrong shape', () => {
    const cases: [unknown, RegExp][] = [
      ['cpu > 90', /^alerts:/],
      [[{ rule: 'cpu > 90', severity: 'fatal' }], /alerts\[0\]\.severity/],
      [[{ rule: 'cpu > 90', when: 'always' }], /alerts\[0\]/],
      [['cpu > 90', 42], /alerts\[1\]/],
    ];
    for (const [section, where] of cases) {
      assert.throws(
        () => rulesFromSection(section),
        (error: unknown) =>
          error instanceof AlertRuleError &&
          where.test(error.message) &&
          /expected a (list of rules|rule, or)/.test(error.message),
        JSON.stringify(section),
      );
    }
    assert.throws(() => rulesFromSection([{ rule: 'cpux > 1' }]), /unknown metric "cpux"/);
  });

  it('refuses a rule given twice', () => {
    assert.throws(
      () => checkRuleSet(rulesFromSection(['cpu > 90', 'cpu  >  90'.replace(/\s+/g, ' ')])),
      /given twice/,
    );
    checkRuleSet(rulesFromSection(['cpu > 90', 'cpu > 95']));
  });
});

describe('parseDuration and formatDuration', () => {
  it('reads units, combinations and bare seconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('15'), 15_000);
    for (const bad of ['', 's', '-5s', '5 s', '5x', '1m 30s', 'soon'])
      assert.equal(parseDuration(bad), undefined, bad);
  });

  it('writes the shortest exact form', () => {
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(500), '500ms');
    assert.equal(formatDuration(15_000), '15s');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(1500), '1s500ms');
  });
});

describe('targetMatcher', () => {
  it('matches names and globs, and treats other characters literally', () => {
    assert.ok(targetMatcher(undefined)('anything'));
    assert.ok(targetMatcher('*')('anything'));
    assert.ok(targetMatcher('web*')('web'));
    assert.ok(!targetMatcher('web*')('a-web'));
    assert.ok(targetMatcher('a.b')('a.b'));
    assert.ok(!targetMatcher('a.b')('axb'));
    assert.ok(targetMatcher('(x)[1]+')('(x)[1]+'));
    assert.ok(targetMatcher(['a', 'b?'])('bc'));
    assert.ok(!targetMatcher(['a', 'b?'])('c'));
  });
});
