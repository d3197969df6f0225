/**
 * One redaction rule for every form a secret takes: the values handed in, in every form they
 * can take in a text (a URI's password, the Basic credential built from it, a bearer token,
 * a private key), found in a command line before it is parsed too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  collectSecrets,
  createSecretRedactor,
  REDACTED,
  redactUri,
  secretsOfArguments,
  secretsOfUri,
} from '../src/redact.js';
import { TEST_KEY } from './helpers/tls.js';

const basic = (userinfo: string) => Buffer.from(userinfo).toString('base64');

describe('secretsOfUri', () => {
  it('gives the password, user:password and the Basic credential, as written and decoded', () => {
    const secrets = secretsOfUri('ws://admin:p%40ss-w0rd@10.0.0.5:8765/');
    for (const secret of ['p%40ss-w0rd', 'p@ss-w0rd', 'admin:p@ss-w0rd', basic('admin:p@ss-w0rd')]) {
      assert.ok(secrets.includes(secret), secret);
    }
    assert.deepEqual(secretsOfUri('ws://10.0.0.5:8765/'), []);
    assert.deepEqual(secretsOfUri('not a uri'), []);
  });
});

describe('createSecretRedactor', () => {
  it('replaces the Basic credential a server echoes back, not only the password', () => {
    const redact = createSecretRedactor(secretsOfUri('ws://monitor:uri-password-4a6b@127.0.0.1:1/'));
    const echoed = `HTTP 401 Refused Basic ${basic('monitor:uri-password-4a6b')}`;
    assert.equal(redact(echoed), `HTTP 401 Refused Basic ${REDACTED}`);
  });

  it('replaces any URI password and any PEM private key, even ones it was not told of', () => {
    const redact = createSecretRedactor([]);
    assert.equal(
      redact('bad --uri: "http://admin:hunter22@host/"'),
      `bad --uri: "http://admin:${REDACTED}@host/"`,
    );
    assert.equal(redact(`key: ${TEST_KEY.trim()} end`), `key: ${REDACTED} end`);
    assert.equal(
      redact('ws://host:8765/path@x and user@example.com'),
      'ws://host:8765/path@x and user@example.com',
    );
  });

  it('replaces every line of a private key and the credential part of headers', () => {
    const secrets = collectSecrets({
      headers: { Authorization: 'Bearer tok-123456', 'X-Trace': 'visible', Cookie: 'session=abcd1234' },
      keys: [TEST_KEY],
      tokens: ['env-token-5f1c'],
    });
    const redact = createSecretRedactor(secrets);
    const keyLine = TEST_KEY.split('\n')[1]!;
    const text = `tok-123456 visible session=abcd1234 ${keyLine} env-token-5f1c`;
    assert.equal(redact(text), `${REDACTED} visible ${REDACTED} ${REDACTED} ${REDACTED}`);
  });

  it('decodes a Basic header handed in, and hides its password alone too', () => {
    const redact = createSecretRedactor(
      collectSecrets({ headers: { Authorization: `Basic ${basic('u:pa55word')}` } }),
    );
    assert.equal(
      redact('login u:pa55word failed, password pa55word'),
      `login ${REDACTED} failed, password ${REDACTED}`,
    );
  });

  it('leaves short values alone: they would mangle words without protecting anything', () => {
    assert.equal(createSecretRedactor(['abc'])('abc abcd'), 'abc abcd');
  });
});

describe('redactUri', () => {
  it('hides the password of a URI, whatever its scheme', () => {
    assert.equal(redactUri('http://admin:pw@h/'), `http://admin:${REDACTED}@h/`);
    assert.equal(redactUri('ws://h:8765'), 'ws://h:8765');
  });
});

describe('secretsOfArguments', () => {
  it('finds the secrets of a command line before it is parsed, in every spelling', () => {
    const secrets = secretsOfArguments(
      [
        '-H',
        'Authorization: Bearer first-token',
        '--header=X-Api-Key: api-key-77c3',
        '-HCookie: c00kie-value',
        '--header',
        'Authorization Bearer no-colon-token',
        '-H',
        'X-Trace: visible-1',
        '-u',
        'ws://admin:uri-pass@h/',
        '--uri=ws://u:second-pass@h/',
      ],
      { MONITORING_TOKEN: ' env-token \n', MONITORING_WEBSOCKET_URI: 'http://root:env-pass@h/' },
    );
    for (const secret of [
      'first-token',
      'api-key-77c3',
      'c00kie-value',
      'no-colon-token',
      'uri-pass',
      'second-pass',
      'env-token',
      'env-pass',
    ]) {
      assert.ok(secrets.includes(secret), secret);
    }
    assert.ok(!secrets.some((secret) => secret.includes('visible-1')));
  });
});
