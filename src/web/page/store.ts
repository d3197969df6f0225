/**
 * What the page knows of the fleet: the last row of every target from the live stream, a short
 * CPU history per target for the sparkline, and the server's clock (ages are computed against
 * it, so a page on a machine whose clock is off still shows the right ages).
 */
import type { LiveBatch, WebRow } from '../web-row.js';

/** CPU values kept per target for the sparkline. */
export const SPARK_LENGTH = 30;

export interface PageRow extends WebRow {
  readonly sparkValues: (number | null)[];
}

export class FleetStore {
  readonly #rows = new Map<string, PageRow>();
  /** Server clock minus page clock, ms. */
  #offset = 0;
  #listeners: ((changed: ReadonlySet<string>, reset: boolean) => void)[] = [];

  get size(): number {
    return this.#rows.size;
  }

  rows(): IterableIterator<PageRow> {
    return this.#rows.values();
  }

  get(name: string): PageRow | undefined {
    return this.#rows.get(name);
  }

  /** Now on the server's clock (epoch ms). */
  serverNow(): number {
    return Date.now() + this.#offset;
  }

  /** Seconds since the row's last data, or null before the first. */
  ageOf(row: WebRow): number | null {
    return row.lastMessageAt === null ? null : Math.max(0, this.serverNow() - row.lastMessageAt) / 1000;
  }

  onChange(listener: (changed: ReadonlySet<string>, reset: boolean) => void): void {
    this.#listeners.push(listener);
  }

  apply(batch: LiveBatch): void {
    this.#offset = batch.now - Date.now();
    const changed = new Set<string>();
    if (batch.reset) {
      const keep = new Set(batch.rows.map((row) => row.name));
      for (const name of this.#rows.keys()) if (!keep.has(name)) this.#rows.delete(name);
    }
    for (const row of batch.rows) {
      const previous = this.#rows.get(row.name);
      let sparkValues: (number | null)[];
      if (row.spark !== undefined) sparkValues = [...row.spark];
      else {
        sparkValues = previous?.sparkValues ?? [];
        // A new point only for new data: a status change alone repeats no value.
        if (row.lastMessageAt !== null && row.lastMessageAt !== previous?.lastMessageAt)
          sparkValues.push(row.cpu);
      }
      if (sparkValues.length > SPARK_LENGTH) sparkValues.splice(0, sparkValues.length - SPARK_LENGTH);
      // The parsed row is ours alone: extended in place rather than copied (1,000 a second).
      (row as { sparkValues?: (number | null)[] }).sparkValues = sparkValues;
      this.#rows.set(row.name, row as PageRow);
      changed.add(row.name);
    }
    for (const name of batch.removed) {
      if (this.#rows.delete(name)) changed.add(name);
    }
    for (const listener of this.#listeners) listener(changed, batch.reset);
  }
}
