/**
 * JSON kept as text in a recording (labels, event details, per-core lists), read back
 * without trusting it: a file may have been edited or written by a broken version.
 */

/** The object `text` holds, or `{}`. */
export function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The string members of the object `text` holds. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseObject(text)))
    if (typeof value === 'string') labels[key] = value;
  return labels;
}

/** The list of numbers `text` holds (null for an entry that is not a number), or null. */
export function parseNumberList(text: string): (number | null)[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map((v) => (typeof v === 'number' ? v : null)) : null;
  } catch {
    return null;
  }
}
