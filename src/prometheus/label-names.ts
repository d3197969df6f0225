/**
 * Target labels (from the targets file) as Prometheus label names. A label name must match
 * `[a-zA-Z_][a-zA-Z0-9_]*`, names beginning with `__` are Prometheus's own, and ours
 * (`target`, `host`, ...) must not be overwritten by a user's label of the same name.
 *
 * prom-client fixes a metric's label names when the metric is made, so the exporter keeps
 * the set of every name seen ({@link LabelSchema}) and remakes its metrics when it grows,
 * which happens only when a target with a new label key is added.
 */

/** Labels the exporter sets itself; a target label of the same name becomes `exported_<name>`. */
export const OWN_LABELS: ReadonlySet<string> = new Set([
  'target',
  'host',
  'core',
  'rule',
  'metric',
  'severity',
]);

const INVALID_CHARACTERS = /[^a-zA-Z0-9_]/g;

/**
 * A valid label name for the target label `key`: every other character becomes `_`, a
 * leading digit gets a `_` before it, a leading `__` gets `label` before it, and one of
 * {@link OWN_LABELS} gets `exported_` before it. `undefined` for an empty key.
 */
export function sanitizeLabelName(key: string): string | undefined {
  if (key === '') return undefined;
  let name = key.replace(INVALID_CHARACTERS, '_');
  const first = name.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) name = `_${name}`;
  if (name.startsWith('__')) name = `label${name}`;
  if (OWN_LABELS.has(name)) name = `exported_${name}`;
  return name;
}

/** Every target label name seen so far, sanitized, in the order first seen. */
export class LabelSchema {
  readonly #names: string[] = [];
  readonly #known = new Set<string>();
  /** Target label key → label name (or null when it has none), cached: keys repeat across targets. */
  readonly #byKey = new Map<string, string | null>();

  /** The label names, in the order first seen. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** The label name of the target label `key`, or undefined when it has none. */
  nameOf(key: string): string | undefined {
    let name = this.#byKey.get(key);
    if (name === undefined) {
      name = sanitizeLabelName(key) ?? null;
      this.#byKey.set(key, name);
    }
    return name ?? undefined;
  }

  /** Adds the names of `labels`; true when a new one was added. */
  add(labels: Readonly<Record<string, string>>): boolean {
    let grew = false;
    for (const key of Object.keys(labels)) {
      const name = this.nameOf(key);
      if (name === undefined || this.#known.has(name)) continue;
      this.#known.add(name);
      this.#names.push(name);
      grew = true;
    }
    return grew;
  }

  /**
   * `base` plus the target's labels under their label names. Two keys that sanitize to the
   * same name: the first one (in the labels' order) wins. Empty values are left out (to
   * Prometheus, an empty label is no label).
   */
  labelsOf(labels: Readonly<Record<string, string>>, base: Record<string, string>): Record<string, string> {
    const out = base;
    for (const key of Object.keys(labels)) {
      const name = this.nameOf(key);
      const value = labels[key];
      if (name === undefined || value === undefined || value === '' || Object.hasOwn(out, name)) continue;
      if (!this.#known.has(name)) continue;
      out[name] = value;
    }
    return out;
  }
}
