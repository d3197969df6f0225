import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWebSocketUri, readEnvironmentConfig } from '../src/config.js';
import { InvalidOptionError } from '../src/errors.js';

describe('readEnvironmentConfig', () => {
  it('reads the documented variables', () => {
    const config = readEnvironmentConfig({
      MONITORING_WEBSOCKET_URI: 'wss://monitoring.example.com:8765',
      MONITORING_FORMAT: 'Detailed',
      MONITORING_LOG_LEVEL: 'warn',
      MONITORING_LOG_FILE: '/tmp/client.log',
    });
    assert.deepEqual(config, {
      uri: 'wss://monitoring.example.com:8765',
      format: 'detailed',
      logLevel: 'WARNING',
      logFile: '/tmp/client.log',
    });
  });

  it('ignores unset and empty variables', () => {
    assert.deepEqual(readEnvironmentConfig({ MONITORING_FORMAT: '' }), {});
  });

  it('names the variable, the value and what is allowed', () => {
    assert.throws(
      () => readEnvironmentConfig({ MONITORING_FORMAT: 'fancy' }),
      (error: unknown) =>
        error instanceof InvalidOptionError &&
        error.message ===
          'invalid MONITORING_FORMAT: "fancy" (expected one of simple, detailed, compact, json, jsonl, csv, influx)',
    );
    assert.throws(
      () => readEnvironmentConfig({ MONITORING_WEBSOCKET_URI: 'http://x' }),
      /MONITORING_WEBSOCKET_URI/,
    );
    assert.throws(() => readEnvironmentConfig({ MONITORING_LOG_LEVEL: 'LOUD' }), /MONITORING_LOG_LEVEL/);
  });
});

describe('isWebSocketUri', () => {
  it('accepts ws and wss only', () => {
    assert.equal(isWebSocketUri('ws://localhost:8765'), true);
    assert.equal(isWebSocketUri('wss://[::1]:8765/path'), true);
    assert.equal(isWebSocketUri('http://localhost:8765'), false);
    assert.equal(isWebSocketUri('localhost:8765'), false);
    assert.equal(isWebSocketUri('ws://'), false);
  });
});
