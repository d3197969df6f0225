/**
 * The one place that maps a format name to its formatter.
 */
import { FORMAT_TYPES, type FormatType } from '../config.js';
import { InvalidOptionError } from '../errors.js';
import type { BaseFormatter, FormatterOptions } from './base-formatter.js';
import { CompactFormatter } from './compact-formatter.js';
import { CsvFormatter } from './csv-formatter.js';
import { DetailedFormatter } from './detailed-formatter.js';
import { InfluxFormatter } from './influx-formatter.js';
import { JsonFormatter, JsonLinesFormatter } from './json-formatter.js';
import { SimpleFormatter } from './simple-formatter.js';

/** True when `value` names one of {@link FORMAT_TYPES}. */
export function isFormatType(value: unknown): value is FormatType {
  return typeof value === 'string' && (FORMAT_TYPES as readonly string[]).includes(value);
}

/**
 * A new formatter of the named format.
 * @throws InvalidOptionError naming the valid formats, for any other name.
 */
export function createFormatter(type: FormatType, options: FormatterOptions = {}): BaseFormatter {
  switch (type) {
    case 'simple':
      return new SimpleFormatter(options);
    case 'detailed':
      return new DetailedFormatter(options);
    case 'compact':
      return new CompactFormatter(options);
    case 'json':
      return new JsonFormatter(options);
    case 'jsonl':
      return new JsonLinesFormatter(options);
    case 'csv':
      return new CsvFormatter(options);
    case 'influx':
      return new InfluxFormatter(options);
    default:
      // Reached from JavaScript, or from a string cast to FormatType.
      throw new InvalidOptionError('format', type as unknown, `one of ${FORMAT_TYPES.join(', ')}`);
  }
}
