/**
 * For the threshold rules on one metric, the values for which none of them holds: a record
 * whose value lies in the band changes none of these rules while they are at rest, so the
 * alert sink skips them without looking at them one by one. Almost every record of a healthy
 * fleet lies in every band.
 *
 * Only the most sensitive rule of each operator matters: the lowest threshold of the `>`
 * rules, the lowest of the `>=`, the highest of the `<` and the highest of the `<=`.
 */
import type { ComparisonOperator } from './rule.js';

export interface BandRule {
  readonly op: ComparisonOperator;
  readonly threshold: number;
}

export class QuietBand {
  readonly #above: number;
  readonly #atOrAbove: number;
  readonly #below: number;
  readonly #atOrBelow: number;

  /** @param rules the rules of one metric. */
  constructor(rules: readonly BandRule[]) {
    let above = Number.POSITIVE_INFINITY;
    let atOrAbove = Number.POSITIVE_INFINITY;
    let below = Number.NEGATIVE_INFINITY;
    let atOrBelow = Number.NEGATIVE_INFINITY;
    for (const { op, threshold } of rules) {
      if (op === '>') above = Math.min(above, threshold);
      else if (op === '>=') atOrAbove = Math.min(atOrAbove, threshold);
      else if (op === '<') below = Math.max(below, threshold);
      else atOrBelow = Math.max(atOrBelow, threshold);
    }
    this.#above = above;
    this.#atOrAbove = atOrAbove;
    this.#below = below;
    this.#atOrBelow = atOrBelow;
  }

  /** True when none of the rules holds for `value`. */
  quiet(value: number): boolean {
    return !(
      value > this.#above ||
      value >= this.#atOrAbove ||
      value < this.#below ||
      value <= this.#atOrBelow
    );
  }
}
