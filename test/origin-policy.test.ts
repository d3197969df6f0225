import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalOrigin, OriginPolicy } from '../src/server/origin-policy.js';

describe('canonicalOrigin', () => {
  it('lower-cases, drops the default port and a lone trailing slash', () => {
    assert.equal(canonicalOrigin('HTTPS://Dashboard.Example:443'), 'https://dashboard.example');
    assert.equal(canonicalOrigin('http://localhost:3000/'), 'http://localhost:3000');
    assert.equal(canonicalOrigin('http://[::1]:8080'), 'http://[::1]:8080');
  });

  it('refuses what is not an origin', () => {
    for (const value of [
      'dashboard.example',
      'https://a.example/path',
      'https://a.example?x=1',
      'https://a.example#top',
      'https://user:pw@a.example',
      'file:///tmp',
      'ws://a.example',
      'null',
      '',
      42,
    ]) {
      assert.equal(canonicalOrigin(value), undefined, String(value));
    }
  });
});

describe('OriginPolicy', () => {
  const policy = new OriginPolicy(['https://dashboard.example', 'http://localhost:3000']);

  it('serves connections without an Origin (not a browser), empty included', () => {
    assert.equal(policy.allows(undefined), true);
    assert.equal(policy.allows(''), true);
  });

  it('serves the allowed origins in any spelling, and nothing else', () => {
    assert.equal(policy.allows('https://DASHBOARD.example:443'), true);
    assert.equal(policy.allows('http://localhost:3000'), true);
    for (const origin of [
      'http://dashboard.example',
      'https://dashboard.example.evil.example',
      'http://localhost:3001',
      'null',
      'not a url',
    ]) {
      assert.equal(policy.allows(origin), false, origin);
    }
  });

  it('with nothing allowed, refuses every browser', () => {
    assert.equal(new OriginPolicy([]).allows('http://127.0.0.1:8765'), false);
  });
});
