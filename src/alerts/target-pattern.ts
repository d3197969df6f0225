/**
 * Which targets a rule applies to: a name, or a glob where `*` matches any run of
 * characters and `?` one character (`web*`, `db-?`), or a list of them. Matched once per
 * target when it is added, never per record.
 */

export type TargetMatcher = (target: string) => boolean;

export const matchAllTargets: TargetMatcher = () => true;

/** A matcher for one glob or a list of globs (a target matching any of them matches). */
export function targetMatcher(patterns: string | readonly string[] | undefined): TargetMatcher {
  if (patterns === undefined) return matchAllTargets;
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  if (list.some((pattern) => pattern === '*')) return matchAllTargets;
  const regex = new RegExp(`^(?:${list.map(globSource).join('|')})$`, 'u');
  return (target) => regex.test(target);
}

function globSource(glob: string): string {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[\\^$.|+()[\]{}/]/g, '\\$&');
  }
  return source;
}
