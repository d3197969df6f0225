import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { AlertNoticeSink, describeAlert, formatAlertNotice } from '../src/alerts/alert-notices.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { alertEvent } from './helpers/alert-events.js';

describe('AlertNoticeSink', () => {
  it('writes one line per firing and resolved alert, and nothing for other events', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const pipeline = new Pipeline({ sinks: [new AlertNoticeSink({ stream })] });
    await pipeline.start();
    pipeline.emit({ type: 'target_removed', target: 'x', at: 0 });
    pipeline.emit(alertEvent());
    pipeline.emit(alertEvent({ state: 'resolved', summary: 'cpu back to 80 %' }));
    await pipeline.close();
    assert.equal(
      text,
      '» alert FIRING web-1 [critical] cpu > 90 for 30s (cpu 97.5 % > 90 % for 30s)\n' +
        '» alert resolved web-1 [critical] cpu > 90 for 30s (cpu back to 80 %)\n',
    );
  });

  it('sanitizes what may come from a server', () => {
    const hostile = alertEvent({
      target: 'web\u001b]0;owned\u0007-1',
      rule: 'server:mem\u009b31mory',
      summary: 'line\nbreak \u202eevil',
    });
    const line = formatAlertNotice(hostile);
    assert.equal(line, '» alert FIRING web-1 [critical] server:memory (line break evil)');
    assert.equal(describeAlert(hostile), 'alert web-1 server:memory (firing)');
  });

  it('leaves out the server’s alerts when asked', () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
    const sink = new AlertNoticeSink({ stream, serverAlerts: false });
    sink.event(alertEvent({ origin: 'server' }));
    sink.event(alertEvent());
    assert.equal(lines.length, 1);
    assert.deepEqual(sink.stats(), { notices: 1 });
  });
});
