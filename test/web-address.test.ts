import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../src/errors.js';
import { formatHostPort, isPrivateBind, parseWebAddress } from '../src/web/address.js';

describe('parseWebAddress', () => {
  it('reads PORT, HOST:PORT and [IPv6]:PORT, with 127.0.0.1 as the default host', () => {
    assert.deepEqual(parseWebAddress('8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseWebAddress('0.0.0.0:9000'), { host: '0.0.0.0', port: 9000 });
    assert.deepEqual(parseWebAddress('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseWebAddress('[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseWebAddress('dash.example.com:80'), { host: 'dash.example.com', port: 80 });
  });

  it('refuses anything else with a message naming the option, the value and the form allowed', () => {
    for (const bad of [
      '',
      'abc',
      '70000',
      '-1',
      '::1:8080',
      '[nothost]:80',
      'host:',
      'a b:80',
      '1.2.3.4:8o',
    ]) {
      assert.throws(
        () => parseWebAddress(bad),
        (error: unknown) =>
          error instanceof InvalidOptionError &&
          error.message.startsWith(`invalid --web: ${JSON.stringify(bad)}`) &&
          error.message.includes('[HOST:]PORT'),
        bad,
      );
    }
  });
});

describe('isPrivateBind', () => {
  it('is true only for 127.0.0.1, ::1 and localhost: any other address needs a token', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost', 'LOCALHOST'])
      assert.equal(isPrivateBind(host), true, host);
    for (const host of ['127.0.0.2', '0.0.0.0', '::', '10.0.0.5', 'dash.example.com'])
      assert.equal(isPrivateBind(host), false, host);
  });
});

describe('formatHostPort', () => {
  it('puts IPv6 addresses in brackets', () => {
    assert.equal(formatHostPort('::1', 80), '[::1]:80');
    assert.equal(formatHostPort('127.0.0.1', 80), '127.0.0.1:80');
  });
});
