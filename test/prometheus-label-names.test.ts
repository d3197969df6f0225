import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LabelSchema, OWN_LABELS, sanitizeLabelName } from '../src/prometheus/label-names.js';

const VALID = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

describe('sanitizeLabelName', () => {
  it('makes any key a valid label name that is neither reserved nor one of ours', () => {
    assert.equal(sanitizeLabelName('site'), 'site');
    assert.equal(sanitizeLabelName('rack-no'), 'rack_no');
    assert.equal(sanitizeLabelName('app.kubernetes.io/name'), 'app_kubernetes_io_name');
    assert.equal(sanitizeLabelName('9lives'), '_9lives');
    assert.equal(sanitizeLabelName('__name__'), 'label__name__');
    assert.equal(sanitizeLabelName('target'), 'exported_target');
    assert.equal(sanitizeLabelName('host'), 'exported_host');
    assert.equal(sanitizeLabelName('été'), '_t_');
    assert.equal(sanitizeLabelName(''), undefined);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (key) => {
        const name = sanitizeLabelName(key)!;
        return VALID.test(name) && !name.startsWith('__') && !OWN_LABELS.has(name);
      }),
    );
  });
});

describe('LabelSchema', () => {
  it('grows with new names only, and labels a target with the names it knows', () => {
    const schema = new LabelSchema();
    assert.equal(schema.add({ site: 'a', 'rack-no': '1' }), true);
    assert.equal(schema.add({ site: 'b' }), false);
    assert.equal(schema.add({ rack_no: '2' }), false, 'same name once sanitized');
    assert.equal(schema.add({ zone: 'z' }), true);
    assert.deepEqual(schema.names, ['site', 'rack_no', 'zone']);
    assert.deepEqual(
      schema.labelsOf({ 'rack-no': '1', rack_no: '2', site: '', constructor: 'c' }, { target: 't' }),
      {
        target: 't',
        rack_no: '1',
      },
    );
    assert.equal(schema.add({ constructor: 'c' }), true);
    assert.deepEqual(schema.labelsOf({ constructor: 'c' }, { target: 't' }), {
      target: 't',
      constructor: 'c',
    });
  });
});
