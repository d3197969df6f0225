/**
 * For a set of threshold rules, the values of each metric for which none of them holds: a
 * record whose every metric lies in its quiet band changes no rule at rest, so the alert
 * sink skips the rules one by one. Almost every record of a healthy fleet is such a record.
 *
 * Per metric, only the most sensitive rule of each operator matters: the lowest threshold of
 * the `>` rules, the lowest of the `>=`, the highest of the `<` and of the `<=`.
 */
import type { ComparisonOperator } from './rule.js';

export interface BandRule {
  readonly metricIndex: number;
  readonly op: ComparisonOperator;
  readonly threshold: number;
}

export class QuietBand {
  /** The metrics (indexes) that some rule tests, and per metric the four limits. */
  readonly #metrics: Int32Array;
  readonly #above: Float64Array;
  readonly #atOrAbove: Float64Array;
  readonly #below: Float64Array;
  readonly #atOrBelow: Float64Array;

  constructor(rules: readonly BandRule[]) {
    const metrics = [...new Set(rules.map((rule) => rule.metricIndex))];
    this.#metrics = Int32Array.from(metrics);
    this.#above = new Float64Array(metrics.length).fill(Number.POSITIVE_INFINITY);
    this.#atOrAbove = new Float64Array(metrics.length).fill(Number.POSITIVE_INFINITY);
    this.#below = new Float64Array(metrics.length).fill(Number.NEGATIVE_INFINITY);
    this.#atOrBelow = new Float64Array(metrics.length).fill(Number.NEGATIVE_INFINITY);
    for (const rule of rules) {
      const i = metrics.indexOf(rule.metricIndex);
      if (rule.op === '>') this.#above[i] = Math.min(this.#above[i] as number, rule.threshold);
      else if (rule.op === '>=') this.#atOrAbove[i] = Math.min(this.#atOrAbove[i] as number, rule.threshold);
      else if (rule.op === '<') this.#below[i] = Math.max(this.#below[i] as number, rule.threshold);
      else this.#atOrBelow[i] = Math.max(this.#atOrBelow[i] as number, rule.threshold);
    }
  }

  /** True when no rule holds for `values` (indexed by metric; undefined: not observed). */
  quiet(values: readonly (number | undefined)[]): boolean {
    const metrics = this.#metrics;
    for (let i = 0; i < metrics.length; i++) {
      const value = values[metrics[i] as number];
      if (value === undefined) continue;
      if (
        value > (this.#above[i] as number) ||
        value >= (this.#atOrAbove[i] as number) ||
        value < (this.#below[i] as number) ||
        value <= (this.#atOrBelow[i] as number)
      )
        return false;
    }
    return true;
  }
}
