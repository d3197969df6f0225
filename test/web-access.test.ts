import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import {
  AccessPolicy,
  generateToken,
  hostName,
  TOKEN_COOKIE,
  tokenProblem,
  tokensEqual,
} from '../src/web/access.js';

/** The part of a request the policy reads: its headers. */
function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

const url = (path: string) => new URL(path, 'http://dashboard.invalid');
const TOKEN = 'correct-horse-battery-staple';

describe('tokens', () => {
  it('generates 43-character base64url tokens, different each time, that pass the format check', () => {
    const a = generateToken();
    const b = generateToken();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(tokenProblem(a), undefined);
  });

  it('refuses short tokens and characters that would break a cookie or a URL', () => {
    for (const bad of ['short', 'has space in it here', 'semi;colon-0123456789', 'quote"0123456789abc']) {
      assert.match(tokenProblem(bad) ?? '', /16 to 512 characters/, bad);
    }
  });

  it('compares equal tokens as equal and any difference, including length, as different', () => {
    assert.equal(tokensEqual(TOKEN, TOKEN), true);
    assert.equal(tokensEqual(`${TOKEN}x`, TOKEN), false);
    assert.equal(tokensEqual(TOKEN.slice(0, -1), TOKEN), false);
    assert.equal(tokensEqual('', TOKEN), false);
  });
});

describe('hostName', () => {
  it('reads the name of a Host header without port or brackets, in lower case', () => {
    assert.equal(hostName('LocalHost:8080'), 'localhost');
    assert.equal(hostName('127.0.0.1'), '127.0.0.1');
    assert.equal(hostName('[::1]:80'), '::1');
    assert.equal(hostName('evil.example'), 'evil.example');
  });

  it('gives undefined for a missing or malformed header', () => {
    for (const bad of [undefined, '', 'a b', 'x:y:z', '[zz]:80', 'host:99999999'])
      assert.equal(hostName(bad), undefined);
  });
});

describe('AccessPolicy', () => {
  it('without a token, serves IP literals and localhost, and refuses other names (DNS rebinding)', () => {
    const policy = new AccessPolicy({ token: undefined, allowedHosts: [] });
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) {
      assert.deepEqual(policy.check(request({ host }), url('/')), { kind: 'allow' }, host);
    }
    const rebound = policy.check(request({ host: 'attacker.example:8080' }), url('/api/targets'));
    assert.equal(rebound.kind, 'deny');
    assert.equal(rebound.kind === 'deny' && rebound.status, 421);
    const missing = policy.check(request({}), url('/'));
    assert.equal(missing.kind === 'deny' && missing.status, 400);
  });

  it('serves the names it is told to allow, in any case', () => {
    const policy = new AccessPolicy({ token: undefined, allowedHosts: ['Dash.Example.com'] });
    assert.equal(policy.check(request({ host: 'dash.example.COM:443' }), url('/')).kind, 'allow');
  });

  it('with a token, refuses a request without it or with a wrong one', () => {
    const policy = new AccessPolicy({ token: TOKEN, allowedHosts: [] });
    const host = '127.0.0.2:8080';
    const attempts: Record<string, string>[] = [
      { host },
      { host, authorization: 'Bearer wrong-token-0123456789' },
      { host, authorization: `Basic ${TOKEN}` },
      { host, cookie: `${TOKEN_COOKIE}=nope` },
      { host, cookie: `other=${TOKEN}` },
    ];
    for (const headers of attempts) {
      const verdict = policy.check(request(headers), url('/api/targets'));
      assert.equal(verdict.kind === 'deny' && verdict.status, 401, JSON.stringify(headers));
    }
  });

  it('accepts the token as a Bearer header or as its cookie', () => {
    const policy = new AccessPolicy({ token: TOKEN, allowedHosts: [] });
    const host = '127.0.0.2:8080';
    assert.equal(policy.check(request({ host, authorization: `Bearer ${TOKEN}` }), url('/')).kind, 'allow');
    assert.equal(
      policy.check(request({ host, cookie: `a=1; ${TOKEN_COOKIE}=${TOKEN}; b=2` }), url('/api/live')).kind,
      'allow',
    );
  });

  it('turns a valid ?token= into an HttpOnly SameSite=Strict cookie and a redirect to the URL without it', () => {
    const policy = new AccessPolicy({ token: TOKEN, allowedHosts: [] });
    const verdict = policy.check(request({ host: '127.0.0.2:8080' }), url(`/?token=${TOKEN}&x=1`));
    assert.deepEqual(verdict, {
      kind: 'set-cookie',
      location: '/?x=1',
      cookie: `${TOKEN_COOKIE}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`,
    });
    const sneaky = policy.check(request({ host: '127.0.0.2:8080' }), url(`/.//evil.example/?token=${TOKEN}`));
    assert.equal(
      sneaky.kind === 'set-cookie' && sneaky.location,
      '/evil.example/',
      'never a //host redirect',
    );
    const wrong = policy.check(request({ host: '127.0.0.2:8080' }), url('/?token=wrong-token-0123456789'));
    assert.equal(wrong.kind === 'deny' && wrong.status, 401);
  });

  it('checks the Host name before the token: the right token under a foreign name is refused', () => {
    const policy = new AccessPolicy({ token: TOKEN, allowedHosts: [] });
    const verdict = policy.check(
      request({ host: 'attacker.example', authorization: `Bearer ${TOKEN}` }),
      url('/'),
    );
    assert.equal(verdict.kind === 'deny' && verdict.status, 421);
  });
});
