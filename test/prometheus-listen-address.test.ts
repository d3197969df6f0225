import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost, parseListenAddress } from '../src/prometheus/listen-address.js';

describe('parseListenAddress', () => {
  it('reads [HOST:]PORT, 127.0.0.1 by default', () => {
    assert.deepEqual(parseListenAddress('9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseListenAddress('0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
    assert.deepEqual(parseListenAddress('metrics.local:80'), { host: 'metrics.local', port: 80 });
    assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
    assert.deepEqual(parseListenAddress(' 9464 '), { host: '127.0.0.1', port: 9464 });
  });

  it('refuses anything else', () => {
    for (const text of [
      '',
      'x',
      '65536',
      '-1',
      '9464.5',
      ':9464',
      '::1:9464',
      '[x]:1',
      '[::1]',
      'a b:1',
      'host:',
      '1e3',
    ]) {
      assert.equal(parseListenAddress(text), undefined, JSON.stringify(text));
    }
  });
});

describe('isLoopbackHost', () => {
  it('knows the addresses of this machine only', () => {
    for (const host of ['127.0.0.1', '127.9.9.9', '::1', 'localhost', 'LOCALHOST'])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '127.example.com', 'localhost.example.com', '']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});
