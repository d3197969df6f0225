import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  escapeJsonForTerminal,
  JsonFormatter,
  JsonLinesFormatter,
} from '../src/formatters/json-formatter.js';
import { documentedSnapshot, fixture, HOSTILE, realServer } from './helpers/formatter-snapshots.js';

const message = fixture('documented', 'monitoring_data');
const UNSAFE_RAW = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('JsonFormatter', () => {
  it('prints the message as received, indented by 2', () => {
    const formatter = new JsonFormatter();
    assert.equal(
      formatter.formatMonitoringData(documentedSnapshot(), message),
      JSON.stringify(message, null, 2),
    );
    const { snapshot, message: real } = realServer('monitoring_data_alerts');
    const text = formatter.formatMonitoringData(snapshot, real);
    assert.ok(
      text.startsWith('{\n  "type": "monitoring_data",\n  "timestamp": "2026-11-25T16:49:37.422672",'),
    );
    assert.deepEqual(JSON.parse(text), real);
  });

  it('jsonl prints a one-line frame byte for byte, and re-serializes a pretty-printed one', () => {
    const formatter = new JsonLinesFormatter();
    const raw = '{"type": "monitoring_data", "timestamp": "2025-01-03T14:30:25.123456", "data": {"x": 45.0}}';
    assert.equal(formatter.formatMonitoringData(documentedSnapshot(), JSON.parse(raw), raw), raw);
    const pretty = '{\n  "type": "monitoring_data",\n  "data": {"x": 45.0}\n}';
    assert.equal(
      formatter.formatMonitoringData(documentedSnapshot(), JSON.parse(pretty), pretty),
      '{"type":"monitoring_data","data":{"x":45}}',
    );
    const hostile = `{"type":"monitoring_data","host":"${HOSTILE.replaceAll('\u001b', '\\u001b').replaceAll('\u0007', '\\u0007')}"}`;
    const printed = formatter.formatMonitoringData(documentedSnapshot(), JSON.parse(hostile), hostile);
    assert.ok(!UNSAFE_RAW.test(printed), printed);
    assert.deepEqual(JSON.parse(printed), JSON.parse(hostile));
    // The indented format always re-serializes.
    assert.equal(
      new JsonFormatter().formatMonitoringData(documentedSnapshot(), JSON.parse(raw), raw).split('\n').length,
      7,
    );
  });

  it('is never coloured', () => {
    const formatter = new JsonFormatter({ color: true });
    assert.equal(formatter.color, false);
    assert.ok(!formatter.formatError('x').includes('\u001b'));
    assert.ok(!formatter.formatMonitoringData(documentedSnapshot(), message).includes('\u001b'));
  });

  it('wraps the record with showSource: {"source": NAME, "message": FRAME}, the frame as received', () => {
    const snapshot = documentedSnapshot({ source: 'web-1' });
    const indented = new JsonFormatter({ showSource: true }).formatMonitoringData(snapshot, message);
    assert.ok(indented.startsWith('{\n  "source": "web-1",\n  "message": {\n    "'), indented);
    assert.deepEqual(JSON.parse(indented), { source: 'web-1', message });
    const raw = JSON.stringify(message);
    const line = new JsonLinesFormatter({ showSource: true }).formatMonitoringData(snapshot, message, raw);
    assert.equal(line, `{"source":"web-1","message":${raw}}`);
    assert.equal(
      new JsonLinesFormatter({ showSource: true }).formatMonitoringData(snapshot, {}),
      '{"source":"web-1","message":{}}',
    );
    assert.deepEqual(JSON.parse(new JsonFormatter({ showSource: true }).formatMonitoringData(snapshot, {})), {
      source: 'web-1',
      message: {},
    });
    assert.equal(new JsonLinesFormatter().formatMonitoringData(snapshot, message), JSON.stringify(message));
  });

  it('indents the frame as received, keeping the numbers as the server wrote them', () => {
    const raw =
      '{"type": "monitoring_data", "data": {"cpu": {"usage_percent": 22.0, "per_core": [1.50, 2]}, "gpu": {}}}';
    const parsed = JSON.parse(raw);
    const text = new JsonFormatter().formatMonitoringData(documentedSnapshot(), parsed, raw);
    assert.match(text, /"usage_percent": 22\.0,/);
    assert.match(text, /\n {8}1\.50,\n/);
    assert.equal(text.replace('22.0', '22').replace('1.50', '1.5'), JSON.stringify(parsed, null, 2));
  });

  it('prints events and statistics as JSON objects', () => {
    const formatter = new JsonLinesFormatter();
    assert.equal(
      formatter.formatConnectionMessage('Connected to monitoring server', '2026-11-25T16:46:29.042542'),
      '{"type":"connection","message":"Connected to monitoring server","timestamp":"2026-11-25T16:46:29.042542"}',
    );
    const error = Object.assign(new Error('refused'), { code: 'CONNECTION_REFUSED' });
    assert.equal(
      formatter.formatError(error),
      '{"type":"error","severity":"error","message":"refused","code":"CONNECTION_REFUSED"}',
    );
    assert.equal(
      formatter.formatError('full', 'warning'),
      '{"type":"error","severity":"warning","message":"full"}',
    );
    assert.equal(
      formatter.formatNotice('reconnecting in 5 s'),
      '{"type":"notice","message":"reconnecting in 5 s"}',
    );
    assert.equal(formatter.formatAlerts([]), '');
    assert.equal(
      formatter.formatAlerts([{ level: 'WARNING', component: 'disk', value: 86 }]),
      '{"type":"alerts","alerts":[{"level":"WARNING","component":"disk","value":86}]}',
    );
    assert.equal(
      new JsonLinesFormatter({ showSource: true }).formatNotice('up', 'web-1'),
      '{"type":"notice","message":"up","source":"web-1"}',
    );
  });

  it('prints statistics as one object, with errors readable', () => {
    const stats = {
      messagesReceived: 0,
      connectionStart: null,
      uptimeSeconds: 0,
      lastError: new Error('nope'),
      logging: null,
    };
    assert.equal(
      new JsonLinesFormatter().formatStatistics(stats),
      '{"messagesReceived":0,"connectionStart":null,"uptimeSeconds":0,"lastError":{"name":"Error","message":"nope"},"logging":null}',
    );
    const indented = new JsonFormatter().formatStatistics({ messagesReceived: 3 });
    assert.equal(indented, '{\n  "messagesReceived": 3\n}');
  });

  it('escapes C1 controls and bidi overrides that JSON.stringify leaves raw', () => {
    const hostile = { type: 'monitoring_data', data: { system: { hostname: HOSTILE } }, [HOSTILE]: 1 };
    for (const formatter of [new JsonFormatter(), new JsonLinesFormatter()]) {
      const outputs = [
        formatter.formatMonitoringData(documentedSnapshot({ source: HOSTILE }), hostile),
        formatter.formatError(HOSTILE, HOSTILE),
        formatter.formatNotice(HOSTILE),
        formatter.formatConnectionMessage(HOSTILE, HOSTILE),
        formatter.formatAlerts([{ message: HOSTILE }]),
        formatter.formatStatistics({ lastError: HOSTILE }),
      ];
      for (const output of outputs) {
        const withoutLayout = output.replaceAll('\n', '');
        assert.ok(!UNSAFE_RAW.test(withoutLayout), JSON.stringify(output));
      }
      assert.deepEqual(JSON.parse(outputs[0]!), hostile);
      assert.ok(outputs[0]!.includes('\\u009b31m\\u202eevil'), outputs[0]);
    }
  });
});

describe('escapeJsonForTerminal', () => {
  it('returns safe text unchanged and escapes the rest as \\uXXXX', () => {
    const safe = '{"a":"héllo ✓"}';
    assert.equal(escapeJsonForTerminal(safe), safe);
    assert.equal(escapeJsonForTerminal('"\u0085\u2066\u2028\u007f"'), '"\\u0085\\u2066\\u2028\\u007f"');
    // Plain ASCII takes a shorter way; DEL is the one character of it to escape.
    assert.equal(escapeJsonForTerminal('{"a":"x\u007fy"}'), '{"a":"x\\u007fy"}');
    assert.equal(JSON.parse(escapeJsonForTerminal(JSON.stringify('\\\u009b'))), '\\\u009b');
  });

  it('escapes any text as its full character set says, ASCII or not', () => {
    const unsafe =
      /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/;
    const character = fc.oneof(
      fc.constantFrom('a', '"', '{', '\u007f', '\u0085', '\u00e9', '\u202e', '\u{e0041}'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit: character, maxLength: 30 }), (text) => {
        // The reference: every character of the set as \uXXXX, each UTF-16 unit on its own.
        const expected = text.replace(new RegExp(unsafe.source, 'g'), (found) =>
          [...Array(found.length).keys()]
            .map((k) => `\\u${found.charCodeAt(k).toString(16).padStart(4, '0')}`)
            .join(''),
        );
        assert.equal(escapeJsonForTerminal(text), expected, JSON.stringify(text));
      }),
      { numRuns: 500 },
    );
  });

  it('escapes invisible characters too, tag characters as both halves of their pair', () => {
    const text = 'v\u200bm\u00ad\ufeff\u{e0041}';
    const escaped = escapeJsonForTerminal(JSON.stringify(text));
    assert.equal(escaped, '"v\\u200bm\\u00ad\\ufeff\\udb40\\udc41"');
    assert.equal(JSON.parse(escaped), text);
  });
});
