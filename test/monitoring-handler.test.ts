import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_HISTORY_SIZE } from '../src/config.js';
import { HistoryDisabledError, InvalidOptionError } from '../src/errors.js';
import type { IncomingMessage } from '../src/handlers/handler.js';
import { MonitoringHandler, type MonitoringRecord } from '../src/handlers/monitoring-handler.js';
import { messageType, parseFrame } from '../src/protocol/frame.js';
import type { MonitoringSnapshot } from '../src/protocol/snapshot.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

// Built by hand rather than by the normalizer: these tests are about the handler only.
function monitoringData(cpu: number, seq = 0): IncomingMessage {
  const text = JSON.stringify({
    type: 'monitoring_data',
    timestamp: '2026-11-25T12:00:00.000000',
    seq,
    data: { processor: { usage_percent: cpu }, memory: { usage_percent: 10 }, disk: { usage_percent: 20 } },
  });
  const frame = parseFrame(text, false, T0 + seq);
  const snapshot: MonitoringSnapshot = {
    receivedAt: frame.receivedAt,
    dialect: 'documented',
    cpu: { usagePercent: cpu },
    memory: { usagePercent: 10 },
    disk: { usagePercent: 20 },
    alerts: [],
    warnings: [],
  };
  return { frame, message: frame.message!, type: 'monitoring_data', snapshot };
}

function other(text: string): IncomingMessage {
  const frame = parseFrame(text, false, T0);
  const incoming: IncomingMessage = { frame };
  if (frame.message) {
    incoming.message = frame.message;
    const type = messageType(frame.message);
    if (type !== undefined) incoming.type = type;
  }
  return incoming;
}

describe('MonitoringHandler', () => {
  it('passes each monitoring_data record to onRecord, as received', () => {
    const records: MonitoringRecord[] = [];
    const handler = new MonitoringHandler({ onRecord: (record) => records.push(record) });
    const incoming = monitoringData(42);
    handler.handleMessage(incoming);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.message, incoming.message);
    assert.equal(records[0]?.snapshot, incoming.snapshot);
    assert.equal(records[0]?.frame, incoming.frame);
  });

  it('ignores every other frame', () => {
    const records: MonitoringRecord[] = [];
    const handler = new MonitoringHandler({ onRecord: (record) => records.push(record), storeHistory: true });
    handler.handleMessage(other('{"type":"pong","timestamp":"2026-11-25T12:00:00"}'));
    handler.handleMessage(other('{"type":"monitoring_data"}')); // No snapshot: the client could not normalize it.
    handler.handleMessage(other('not json'));
    handler.handleMessage({ frame: parseFrame(Buffer.from([1, 2]), true, T0) });
    assert.equal(records.length, 0);
    assert.equal(handler.lastData, undefined);
    assert.deepEqual(handler.getHistory(), []);
    assert.equal(handler.getStats().messagesHandled, 0);
  });

  it('remembers the last data and its snapshot', () => {
    const fresh = new MonitoringHandler();
    assert.equal(fresh.lastData, undefined);
    assert.equal(fresh.lastSnapshot, undefined);
    const handler = new MonitoringHandler();
    const first = monitoringData(1, 1);
    const second = monitoringData(2, 2);
    handler.handleMessage(first);
    handler.handleMessage(second);
    handler.handleMessage(other('{"type":"pong"}'));
    assert.equal(handler.lastData, second.message);
    assert.equal(handler.lastSnapshot?.cpu.usagePercent, 2);
  });

  it('keeps no history by default, and says so', () => {
    const handler = new MonitoringHandler();
    handler.handleMessage(monitoringData(1));
    assert.equal(handler.historyEnabled, false);
    assert.throws(() => handler.getHistory(), HistoryDisabledError);
    assert.equal(handler.getStats().historyCapacity, 0);
    assert.equal(handler.getStats().historySize, 0);
  });

  it('keeps at most MAX_HISTORY_SIZE records, oldest dropped first, oldest first', () => {
    const handler = new MonitoringHandler({ storeHistory: true });
    for (let seq = 0; seq < MAX_HISTORY_SIZE + 250; seq++) handler.handleMessage(monitoringData(50, seq));
    const history = handler.getHistory();
    assert.equal(history.length, MAX_HISTORY_SIZE);
    assert.equal(history[0]?.message.seq, 250);
    assert.equal(history.at(-1)?.message.seq, MAX_HISTORY_SIZE + 249);
    assert.deepEqual(handler.getStats(), {
      messagesHandled: MAX_HISTORY_SIZE + 250,
      filtered: 0,
      recordsAccepted: MAX_HISTORY_SIZE + 250,
      callbackErrors: 0,
      historySize: MAX_HISTORY_SIZE,
      historyCapacity: MAX_HISTORY_SIZE,
    });
  });

  it('getHistory returns a copy', () => {
    const handler = new MonitoringHandler({ storeHistory: true, maxHistorySize: 3 });
    handler.handleMessage(monitoringData(1));
    const copy = handler.getHistory();
    copy.length = 0;
    assert.equal(handler.getHistory().length, 1);
  });

  it('a record the filter rejects is neither passed on, nor stored, nor the last data', () => {
    const records: MonitoringRecord[] = [];
    const handler = new MonitoringHandler({
      storeHistory: true,
      filter: (record) => (record.snapshot.cpu.usagePercent ?? 0) >= 50,
      onRecord: (record) => records.push(record),
    });
    handler.handleMessage(monitoringData(80, 1));
    handler.handleMessage(monitoringData(10, 2));
    handler.handleMessage(monitoringData(60, 3));
    handler.handleMessage(monitoringData(5, 4));
    assert.deepEqual(
      records.map((r) => r.message.seq),
      [1, 3],
    );
    assert.deepEqual(
      handler.getHistory().map((r) => r.message.seq),
      [1, 3],
    );
    assert.equal(handler.lastData?.seq, 3);
    const stats = handler.getStats();
    assert.equal(stats.messagesHandled, 4);
    assert.equal(stats.filtered, 2);
    assert.equal(stats.recordsAccepted, 2);
  });

  it('a filter that throws rejects the record; the error is reported and the handler goes on', () => {
    const errors: Error[] = [];
    const handler = new MonitoringHandler({
      storeHistory: true,
      filter: (record) => {
        if (record.message.seq === 1) throw new Error('no GPU here');
        return true;
      },
      onError: (error) => errors.push(error),
    });
    assert.doesNotThrow(() => handler.handleMessage(monitoringData(1, 1)));
    handler.handleMessage(monitoringData(1, 2));
    assert.deepEqual(
      errors.map((e) => e.message),
      ['no GPU here'],
    );
    assert.deepEqual(
      handler.getHistory().map((r) => r.message.seq),
      [2],
    );
    assert.equal(handler.getStats().filtered, 1);
    assert.equal(handler.getStats().callbackErrors, 1);
  });

  it('an onRecord that throws does not stop storing or the next records', () => {
    const errors: Error[] = [];
    let calls = 0;
    const handler = new MonitoringHandler({
      storeHistory: true,
      onRecord: () => {
        calls++;
        throw 'a string, not an Error';
      },
      onError: (error) => errors.push(error),
    });
    handler.handleMessage(monitoringData(1, 1));
    handler.handleMessage(monitoringData(1, 2));
    assert.equal(calls, 2);
    assert.equal(handler.getHistory().length, 2);
    assert.equal(errors.length, 2);
    assert.ok(errors[0] instanceof Error);
    assert.equal(errors[0]?.cause, 'a string, not an Error');
  });

  it('after close, history and last data stay readable and new frames are ignored', async () => {
    const handler = new MonitoringHandler({ storeHistory: true });
    handler.handleMessage(monitoringData(1, 1));
    await handler.close();
    handler.handleMessage(monitoringData(1, 2));
    assert.equal(handler.getHistory().length, 1);
    assert.equal(handler.lastData?.seq, 1);
  });

  it('refuses a maxHistorySize that is not a positive integer, naming the option', () => {
    assert.throws(
      () => new MonitoringHandler({ storeHistory: true, maxHistorySize: 0 }),
      (error: unknown) => error instanceof InvalidOptionError && /maxHistorySize/.test(error.message),
    );
    assert.throws(() => new MonitoringHandler({ maxHistorySize: 2.5 }), InvalidOptionError);
  });
});
