import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { messageType, parseFrame } from '../src/protocol/frame.js';

const AT = Date.UTC(2026, 10, 25, 16, 46, 29);
const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('parseFrame', () => {
  it('parses a text frame holding a JSON object', () => {
    const raw = '{"type":"pong","timestamp":"2026-11-25T16:46:29.043436"}';
    assert.deepEqual(parseFrame(raw, false, AT), {
      raw,
      size: raw.length,
      receivedAt: AT,
      message: { type: 'pong', timestamp: '2026-11-25T16:46:29.043436' },
    });
  });

  it('gives the same record for a Buffer and for a string', () => {
    const raw = '{"type":"status","connected_clients":1,"monitoring_active":true}';
    assert.deepEqual(parseFrame(Buffer.from(raw), false, AT), parseFrame(raw, false, AT));
  });

  it('counts the size in bytes, not characters, for multibyte text', () => {
    const raw = '{"type":"connection_message","message":"Connexion établie 😀"}';
    // é is 2 bytes in UTF-8, the emoji 4 (and 2 UTF-16 units).
    const bytes = raw.length - 3 + 2 + 4;
    const fromString = parseFrame(raw, false, AT);
    const fromBuffer = parseFrame(Buffer.from(raw, 'utf8'), false, AT);
    assert.equal(fromString.size, bytes);
    assert.equal(fromBuffer.size, bytes);
    assert.equal(fromBuffer.raw, raw);
    assert.equal(fromBuffer.message?.message, 'Connexion établie 😀');
  });

  it('flags text that is not JSON, and keeps it as received', () => {
    for (const raw of ['hello', '{"type":', '', "{'type':'pong'}", '{"a":1} trailing']) {
      const frame = parseFrame(raw, false, AT);
      assert.equal(frame.invalidReason, 'not_json', raw);
      assert.equal(frame.message, undefined);
      assert.equal(frame.raw, raw);
      assert.equal(frame.size, Buffer.byteLength(raw));
    }
  });

  it("reads Python's NaN and Infinity as null, outside strings only, and keeps the raw text", () => {
    const raw = '{"type":"monitoring_data","v":NaN,"w":[Infinity,-Infinity,1],"s":"NaN \\" Infinity"}';
    const frame = parseFrame(raw, false, AT);
    assert.equal(frame.invalidReason, undefined);
    assert.deepEqual(frame.message, {
      type: 'monitoring_data',
      v: null,
      w: [null, null, 1],
      s: 'NaN " Infinity',
    });
    assert.equal(frame.raw, raw);
    assert.equal(
      frame.repairedJson,
      '{"type":"monitoring_data","v":null,"w":[null,null,1],"s":"NaN \\" Infinity"}',
    );
    assert.equal(parseFrame('{"type":"pong"}', false, AT).repairedJson, undefined);
  });

  it('still flags text that is not JSON even with NaN repaired', () => {
    assert.equal(parseFrame('{"v":NaN', false, AT).invalidReason, 'not_json');
    assert.equal(parseFrame('NaN', false, AT).invalidReason, 'not_object');
    assert.equal(parseFrame('{v:NaN}', false, AT).invalidReason, 'not_json');
  });

  it('flags JSON that is not an object', () => {
    for (const raw of ['[1,2]', '[]', '42', '-1.5', 'null', '"monitoring_data"', 'true']) {
      const frame = parseFrame(raw, false, AT);
      assert.equal(frame.invalidReason, 'not_object', raw);
      assert.equal(frame.message, undefined);
      assert.equal(frame.raw, raw);
    }
  });

  it('flags a binary frame and keeps its bytes as base64', () => {
    const frame = parseFrame(Buffer.from([0x00, 0x01, 0xff]), true, AT);
    assert.deepEqual(frame, { raw: 'AAH/', size: 3, receivedAt: AT, invalidReason: 'binary' });
  });

  it('refuses a binary frame even when it holds a JSON object', () => {
    const json = '{"type":"pong"}';
    const frame = parseFrame(Buffer.from(json), true, AT);
    assert.equal(frame.invalidReason, 'binary');
    assert.equal(frame.message, undefined);
    assert.equal(Buffer.from(frame.raw, 'base64').toString('utf8'), json);
    // A string given as binary is encoded as UTF-8 bytes.
    const fromString = parseFrame('é', true, AT);
    assert.deepEqual(fromString, { raw: 'w6k=', size: 2, receivedAt: AT, invalidReason: 'binary' });
  });

  it('parses every fixture into an object with its type', () => {
    let count = 0;
    for (const dialect of readdirSync(FIXTURES)) {
      for (const name of readdirSync(join(FIXTURES, dialect))) {
        const text = readFileSync(join(FIXTURES, dialect, name), 'utf8');
        const frame = parseFrame(Buffer.from(text), false, AT);
        assert.equal(frame.invalidReason, undefined, name);
        assert.ok(frame.message, name);
        assert.equal(messageType(frame.message), JSON.parse(text).type, name);
        count++;
      }
    }
    assert.ok(count >= 10, `only ${count} fixtures found`);
  });
});

describe('messageType', () => {
  it('returns a non-empty string type', () => {
    assert.equal(messageType({ type: 'monitoring_data' }), 'monitoring_data');
    assert.equal(messageType({ type: 'something_new' }), 'something_new');
  });

  it('returns undefined for a missing, empty or non-string type', () => {
    assert.equal(messageType({}), undefined);
    assert.equal(messageType({ type: '' }), undefined);
    assert.equal(messageType({ type: 42 }), undefined);
    assert.equal(messageType({ type: null }), undefined);
    assert.equal(messageType({ type: ['pong'] }), undefined);
  });
});
