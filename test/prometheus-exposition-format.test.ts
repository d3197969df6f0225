import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateFormat } from '../src/prometheus/exposition-format.js';

describe('negotiateFormat', () => {
  it('answers OpenMetrics when the scraper prefers it, the Prometheus text format otherwise', () => {
    // What Prometheus 2.x sends.
    assert.equal(
      negotiateFormat(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
      'openmetrics',
    );
    assert.equal(negotiateFormat('application/openmetrics-text; version=1.0.0'), 'openmetrics');
    assert.equal(negotiateFormat(undefined), 'prometheus');
    assert.equal(negotiateFormat(''), 'prometheus');
    assert.equal(negotiateFormat('*/*'), 'prometheus');
    assert.equal(negotiateFormat('text/plain;version=0.0.4'), 'prometheus');
    assert.equal(negotiateFormat('text/plain;q=1,application/openmetrics-text;q=0.5'), 'prometheus');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0,text/plain;q=0.1'), 'prometheus');
    assert.equal(negotiateFormat('application/json'), 'prometheus');
    assert.equal(negotiateFormat('*/*;q=0.5,application/openmetrics-text;q=0.5'), 'openmetrics');
    assert.equal(negotiateFormat(';;;,=,q=x'), 'prometheus');
  });
});
