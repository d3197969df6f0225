/**
 * Whether to colour a stream. picocolors draws the colours; this decides when.
 *
 * Decided here rather than with picocolors' own `isColorSupported`: that one looks only at
 * file descriptor 1 and turns colour on whenever a `CI` variable exists, even when the output
 * is a pipe, which would put escape codes into `| grep` and `| jq` in every CI job.
 */
export interface ColorDecisionInput {
  /** The stream the coloured text goes to. */
  stream: { isTTY?: boolean } | null | undefined;
  env?: NodeJS.ProcessEnv;
  /** An explicit choice (`--no-color` → false); undefined lets the environment decide. */
  requested?: boolean;
}

/**
 * Order of precedence: an explicit `false` (`--no-color`) always wins; then `NO_COLOR`
 * (any non-empty value, see no-color.org); then `FORCE_COLOR` (any value but `0`/`false`);
 * then an explicit `true`; then colour only on a terminal that is not `TERM=dumb`.
 */
export function shouldUseColor({ stream, env = process.env, requested }: ColorDecisionInput): boolean {
  if (requested === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (requested === true) return true;
  return stream?.isTTY === true && env.TERM !== 'dumb';
}
