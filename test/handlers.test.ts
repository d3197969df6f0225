/**
 * The contract of MessageHandler, run against every implementation: the two built-in ones
 * and a minimal one written here, which shows that the suite asks nothing beyond the
 * interface (an application's handler can be checked the same way).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { IncomingMessage, MessageHandler } from '../src/handlers/handler.js';
import { LoggingHandler } from '../src/handlers/logging-handler.js';
import { MonitoringHandler } from '../src/handlers/monitoring-handler.js';
import { messageType, parseFrame } from '../src/protocol/frame.js';
import type { MonitoringSnapshot } from '../src/protocol/snapshot.js';
import { fixtureFrame } from './helpers/fixtures.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** What the client would hand over for this frame. */
function incoming(data: string | Buffer, isBinary = false): IncomingMessage {
  const frame = parseFrame(data, isBinary, T0);
  const result: IncomingMessage = { frame };
  if (frame.message === undefined) return result;
  result.message = frame.message;
  const type = messageType(frame.message);
  if (type === undefined) return result;
  result.type = type;
  if (type === 'monitoring_data') {
    const snapshot: MonitoringSnapshot = {
      receivedAt: T0,
      dialect: 'real',
      cpu: {},
      memory: {},
      disk: {},
      alerts: [],
      warnings: [],
    };
    result.snapshot = snapshot;
  }
  return result;
}

/** One frame of every kind a client can receive. */
function everyKindOfFrame(): [string, IncomingMessage][] {
  return [
    ['monitoring_data (real dialect)', incoming(fixtureFrame('real-server', 'monitoring_data'))],
    ['monitoring_data (documented dialect)', incoming(fixtureFrame('documented', 'monitoring_data'))],
    [
      'monitoring_data without a snapshot',
      { ...incoming('{"type":"monitoring_data"}'), snapshot: undefined },
    ],
    ['connection', incoming(fixtureFrame('real-server', 'connection'))],
    ['pong', incoming(fixtureFrame('real-server', 'pong'))],
    ['unknown type', incoming('{"type":"surprise","x":[1,{"y":null}]}')],
    ['object without type', incoming('{"data":1}')],
    ['not JSON', incoming('Invalid message')],
    ['empty text', incoming('')],
    ['not an object', incoming('[1,2,3]')],
    ['binary', incoming(Buffer.from([0xff, 0x00, 0x1b]), true)],
    ['too large', { frame: { raw: '', size: 5_000_000, receivedAt: T0, invalidReason: 'too_large' } }],
    ['escape sequences', incoming('{"type":"error","message":"\\u001b[2J\\u001b]0;pwned\\u0007"}')],
    ['pretty-printed', incoming('{\n  "type": "pong"\r\n}')],
  ];
}

interface Implementation {
  name: string;
  create(): MessageHandler;
  /** The keys `getStats()` documents. */
  statsKeys: string[];
}

/** A handler that only counts: the least an implementation can do. */
class CountingHandler implements MessageHandler {
  #frames = 0;
  #closed = false;
  handleMessage(_incoming: IncomingMessage): void {
    if (!this.#closed) this.#frames++;
  }
  getStats(): { frames: number } {
    return { frames: this.#frames };
  }
  async close(): Promise<void> {
    this.#closed = true;
  }
}

let folder: string;
let files = 0;
before(() => {
  folder = mkdtempSync(join(tmpdir(), 'handlers-test-'));
});
after(() => {
  rmSync(folder, { recursive: true, force: true });
});

const implementations: Implementation[] = [
  {
    name: 'MonitoringHandler',
    create: () => new MonitoringHandler({ storeHistory: true, maxHistorySize: 10, onRecord: () => {} }),
    statsKeys: [
      'messagesHandled',
      'filtered',
      'recordsAccepted',
      'callbackErrors',
      'historySize',
      'historyCapacity',
    ],
  },
  {
    name: 'LoggingHandler',
    create: () =>
      new LoggingHandler({ path: join(folder, `session-${++files}.log`), maxSize: 4096, maxFiles: 2 }),
    statsKeys: [
      'messageCount',
      'messagesWritten',
      'messagesLost',
      'bytesWritten',
      'pendingBytes',
      'logFile',
      'rotations',
      'writeErrors',
      'lastError',
    ],
  },
  {
    name: 'CountingHandler (defined by this test)',
    create: () => new CountingHandler(),
    statsKeys: ['frames'],
  },
];

for (const implementation of implementations) {
  describe(`MessageHandler contract: ${implementation.name}`, () => {
    it('takes every kind of frame without throwing', async () => {
      const handler = implementation.create();
      for (const [kind, message] of everyKindOfFrame()) {
        assert.doesNotThrow(() => handler.handleMessage(message), kind);
      }
      await handler.close();
    });

    it('takes arbitrary frames without throwing', async () => {
      const handler = implementation.create();
      const frame = fc.oneof(
        fc.string().map((text) => incoming(text)),
        fc.json().map((text) => incoming(text)),
        fc.uint8Array({ maxLength: 32 }).map((bytes) => incoming(Buffer.from(bytes), true)),
        fc
          .record({ type: fc.constantFrom('monitoring_data', 'pong', 'error'), data: fc.anything() })
          .map((message) => incoming(JSON.stringify(message) ?? '{}')),
      );
      fc.assert(
        fc.property(frame, (message) => {
          handler.handleMessage(message);
        }),
        { numRuns: 200 },
      );
      await handler.close();
    });

    it('getStats returns the documented keys, counters as finite numbers', async () => {
      const handler = implementation.create();
      for (const [, message] of everyKindOfFrame()) handler.handleMessage(message);
      const stats = handler.getStats() as Record<string, unknown>;
      assert.deepEqual(Object.keys(stats).sort(), [...implementation.statsKeys].sort());
      for (const [key, value] of Object.entries(stats)) {
        if (typeof value === 'number') assert.ok(Number.isFinite(value) && value >= 0, `${key} = ${value}`);
      }
      await handler.close();
    });

    it('getStats returns a snapshot the caller may change', async () => {
      const handler = implementation.create();
      const stats = handler.getStats() as Record<string, unknown>;
      const before = structuredClone(stats);
      for (const key of Object.keys(stats)) stats[key] = 'changed';
      assert.deepEqual(handler.getStats(), before);
      await handler.close();
    });

    it('close() is idempotent, and frames after it are taken without throwing', async () => {
      const handler = implementation.create();
      handler.handleMessage(everyKindOfFrame()[0]![1]);
      const first = handler.close();
      const second = handler.close();
      assert.ok(first instanceof Promise && second instanceof Promise);
      await Promise.all([first, second]);
      await handler.close();
      const stats = JSON.stringify(handler.getStats());
      for (const [kind, message] of everyKindOfFrame()) {
        assert.doesNotThrow(() => handler.handleMessage(message), kind);
      }
      assert.equal(JSON.stringify(handler.getStats()), stats, 'a closed handler counts nothing more');
    });

    it('close() resolves when nothing was handled', async () => {
      const handler = implementation.create();
      await assert.doesNotReject(handler.close());
    });
  });
}
