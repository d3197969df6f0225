import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../src/logger.js';
import { silentLogger } from '../src/logger.js';
import { TypedEmitter } from '../src/transport/typed-emitter.js';

/** A logger that keeps what was logged at error level. */
function recordingLogger(): Logger & { errors: unknown[][] } {
  const errors: unknown[][] = [];
  return { ...silentLogger, errors, error: (...args: unknown[]) => errors.push(args) };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TypedEmitter', () => {
  it('calls the event handlers, then the wildcard handlers with the event name', () => {
    const emitter = new TypedEmitter(silentLogger);
    const calls: unknown[] = [];
    emitter.on('*', (type, data) => {
      calls.push(['*', type, data]);
    });
    emitter.on('status', (data) => {
      calls.push(['status', data]);
    });
    emitter.on('heartbeat', (data) => {
      calls.push(['heartbeat', data.rttMs]);
    });
    emitter.emit('status', { type: 'status', connected_clients: 1 });
    emitter.emit('heartbeat', { rttMs: 3 });
    assert.deepEqual(calls, [
      ['status', { type: 'status', connected_clients: 1 }],
      ['*', 'status', { type: 'status', connected_clients: 1 }],
      ['heartbeat', 3],
      ['*', 'heartbeat', { rttMs: 3 }],
    ]);
  });

  it('off() removes a handler; adding the same handler twice calls it once', () => {
    const emitter = new TypedEmitter(silentLogger);
    let count = 0;
    const handler = () => {
      count++;
    };
    const wildcard = () => {
      count += 10;
    };
    emitter.on('x', handler).on('x', handler).on('*', wildcard).on('*', wildcard);
    emitter.emit('x', {});
    assert.equal(count, 11);
    emitter.off('x', handler).off('*', wildcard).off('never-added', handler);
    emitter.emit('x', {});
    assert.equal(count, 11);
    assert.equal(emitter.hasHandlers('x'), false);
  });

  it('hasHandlers() counts wildcard handlers', () => {
    const emitter = new TypedEmitter(silentLogger);
    assert.equal(emitter.hasHandlers('frame'), false);
    emitter.on('frame', () => {});
    assert.equal(emitter.hasHandlers('frame'), true);
    assert.equal(emitter.hasHandlers('other'), false);
    emitter.on('*', () => {});
    assert.equal(emitter.hasHandlers('other'), true);
  });

  it('a handler removed during an emit still completes that dispatch; later ones do not see it', () => {
    const emitter = new TypedEmitter(silentLogger);
    const calls: string[] = [];
    const second = () => {
      calls.push('second');
    };
    emitter.on('e', () => {
      calls.push('first');
      emitter.off('e', second);
    });
    emitter.on('e', second);
    emitter.emit('e', null);
    emitter.emit('e', null);
    assert.deepEqual(calls, ['first', 'second', 'first']);
  });

  it('isolates a throwing handler: logged, counted, reported as handler_error, others still run', () => {
    const logger = recordingLogger();
    const emitter = new TypedEmitter(logger);
    const boom = new Error('boom');
    const reports: unknown[] = [];
    let after = 0;
    emitter.on('monitoring_data', () => {
      throw boom;
    });
    emitter.on('monitoring_data', () => {
      after++;
    });
    emitter.on('handler_error', (report) => {
      reports.push(report);
    });
    assert.doesNotThrow(() => emitter.emit('monitoring_data', { type: 'monitoring_data' }));
    assert.equal(after, 1);
    assert.deepEqual(reports, [{ event: 'monitoring_data', error: boom }]);
    assert.equal(emitter.handlerErrors, 1);
    assert.equal(logger.errors.length, 1);
    assert.equal(logger.errors[0]?.[1], boom);
  });

  it('isolates a rejecting async handler', async () => {
    const emitter = new TypedEmitter(silentLogger);
    const reports: { event: string; error: unknown }[] = [];
    emitter.on('status', async () => {
      await tick();
      throw new Error('late');
    });
    emitter.on('handler_error', (report) => {
      reports.push(report);
    });
    emitter.emit('status', {});
    assert.equal(emitter.handlerErrors, 0);
    await tick();
    await tick();
    assert.equal(emitter.handlerErrors, 1);
    assert.equal(reports[0]?.event, 'status');
    assert.match(String(reports[0]?.error), /late/);
  });

  it('a throwing handler_error handler (or wildcard) is counted once, never re-reported', async () => {
    const logger = recordingLogger();
    const emitter = new TypedEmitter(logger);
    let handlerErrorCalls = 0;
    emitter.on('e', () => {
      throw new Error('first');
    });
    emitter.on('handler_error', () => {
      handlerErrorCalls++;
      throw new Error('second');
    });
    emitter.on('handler_error', async () => {
      throw new Error('third');
    });
    emitter.emit('e', null);
    await tick();
    assert.equal(handlerErrorCalls, 1);
    assert.equal(emitter.handlerErrors, 3);
    assert.equal(logger.errors.length, 3);

    const wildcardOnly = new TypedEmitter(silentLogger);
    let wildcardCalls = 0;
    wildcardOnly.on('*', () => {
      wildcardCalls++;
      throw new Error('always');
    });
    wildcardOnly.emit('e', null);
    // 'e' once, then the 'handler_error' it caused once; its own failure is not re-emitted.
    assert.equal(wildcardCalls, 2);
    assert.equal(wildcardOnly.handlerErrors, 2);
  });

  it('refuses a handler that is not a function', () => {
    const emitter = new TypedEmitter(silentLogger);
    assert.throws(() => emitter.on('e', 42 as never), TypeError);
  });
});
