import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FORMAT_TYPES, type FormatType } from '../src/config.js';
import { InvalidOptionError } from '../src/errors.js';
import { BaseFormatter } from '../src/formatters/base-formatter.js';
import { CompactFormatter } from '../src/formatters/compact-formatter.js';
import { createFormatter, isFormatType } from '../src/formatters/create-formatter.js';
import { CsvFormatter } from '../src/formatters/csv-formatter.js';
import { DetailedFormatter } from '../src/formatters/detailed-formatter.js';
import { InfluxFormatter } from '../src/formatters/influx-formatter.js';
import { JsonFormatter, JsonLinesFormatter } from '../src/formatters/json-formatter.js';
import { SimpleFormatter } from '../src/formatters/simple-formatter.js';
import { documentedSnapshot, fixture } from './helpers/formatter-snapshots.js';

describe('createFormatter', () => {
  it('makes the formatter of each documented format', () => {
    const expected: Record<FormatType, new () => BaseFormatter> = {
      simple: SimpleFormatter,
      detailed: DetailedFormatter,
      compact: CompactFormatter,
      json: JsonFormatter,
      jsonl: JsonLinesFormatter,
      csv: CsvFormatter,
      influx: InfluxFormatter,
    };
    for (const type of FORMAT_TYPES) {
      const formatter = createFormatter(type);
      assert.equal(formatter.constructor, expected[type], type);
      assert.ok(formatter instanceof BaseFormatter);
      assert.equal(formatter.color, false);
    }
  });

  it('passes the options on', () => {
    const formatter = createFormatter('simple', { color: true, showSource: true });
    assert.equal(formatter.color, true);
    assert.equal(formatter.showSource, true);
    const line = formatter.formatMonitoringData(
      documentedSnapshot({ source: 'a' }),
      fixture('documented', 'monitoring_data'),
    );
    assert.ok(line.startsWith('\u001b[36m[a]\u001b[39m CPU: \u001b[32m45.2%'), line);
    assert.equal((createFormatter('jsonl') as JsonLinesFormatter).indent, 0);
    assert.equal((createFormatter('json') as JsonFormatter).indent, 2);
  });

  it('throws InvalidOptionError naming the valid formats', () => {
    assert.throws(
      () => createFormatter('fancy' as FormatType),
      (error: unknown) =>
        error instanceof InvalidOptionError &&
        error.option === 'format' &&
        error.message ===
          'invalid format: "fancy" (expected one of simple, detailed, compact, json, jsonl, csv, influx)',
    );
    assert.throws(() => createFormatter('JSON' as FormatType), InvalidOptionError);
  });
});

describe('isFormatType', () => {
  it('accepts the documented names only', () => {
    assert.equal(isFormatType('compact'), true);
    assert.equal(isFormatType('Compact'), false);
    assert.equal(isFormatType(3), false);
  });
});
