import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerToken, isValidToken } from '../src/server/bearer-token.js';

describe('BearerToken', () => {
  const token = new BearerToken('s3cret-token');

  it('accepts the token after "Bearer", the scheme in any case, spaces around ignored', () => {
    for (const header of ['Bearer s3cret-token', 'bearer s3cret-token', 'BEARER \ts3cret-token  ']) {
      assert.equal(token.check(header), 'ok', header);
    }
  });

  it('tells a missing token from a wrong one', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer   ', 'Basic s3cret-token', 's3cret-token']) {
      assert.equal(token.check(header), 'missing', String(header));
    }
    for (const header of ['Bearer s3cret-toke', 'Bearer s3cret-token2', 'Bearer S3CRET-TOKEN', 'Bearer x']) {
      assert.equal(token.check(header), 'wrong', header);
    }
  });

  it('keeps no copy of the token', () => {
    assert.ok(!JSON.stringify(token).includes('s3cret'));
    assert.ok(!String(Object.values(token)).includes('s3cret'));
  });

  it('isValidToken: visible ASCII on one line, inner spaces allowed', () => {
    for (const value of ['a', 'abc-DEF_123.~+/=', 'two words'])
      assert.equal(isValidToken(value), true, value);
    for (const value of ['', ' lead', 'trail ', 'line\nbreak', 'tab\there', 'é', 42, undefined]) {
      assert.equal(isValidToken(value), false, String(value));
    }
  });
});
