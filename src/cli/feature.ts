/**
 * How a feature of the command line (the dashboard, alerts, the recorder, an exporter, ...)
 * plugs in without touching the rest: it declares its own flags, turns them into settings
 * (or a usage error naming the flag), and builds its sinks. `features/index.ts` lists them;
 * adding one is one file there and one line in that list.
 */
import type { Command } from 'commander';
import type { Logger } from '../logger.js';
import type { Sink } from '../pipeline/sink.js';

/** What a feature may use to build its sinks. */
export interface FeatureContext {
  /** Where data records go (the process's stdout in the command). */
  readonly stdout: NodeJS.WritableStream;
  /** Where notices go; secrets are already redacted from what is written here. */
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** Whether colour is on for stdout. */
  readonly color: boolean;
  /** Names of the targets watched at start (more may be added by a library user). */
  readonly targetNames: readonly string[];
  /** Aborted when the run must end (Ctrl-C, SIGTERM, --duration). */
  readonly signal: AbortSignal;
  /** Ends the run from inside a feature (the dashboard's `q`), with this exit code. */
  end(exitCode: number): void;
}

/**
 * The sections of the `--targets` file other than `targets` (for example `alerts:`), as read
 * from YAML or JSON and not yet checked: a feature validates its own section (with zod) and
 * throws a UsageError naming `path`, the path inside the file and what is allowed.
 */
export interface TargetsFileSections {
  readonly path: string;
  readonly sections: Readonly<Record<string, unknown>>;
}

export interface CliFeature<Settings> {
  /** Names the feature in errors. */
  readonly name: string;
  /** Declares the feature's flags (commander `Option`s). */
  declare(program: Command): void;
  /**
   * The feature's settings from the parsed flags (commander's camelCase names), or undefined
   * when the feature is off. Throws a UsageError (one line naming the flag, the value and
   * what is allowed) for bad input.
   */
  resolve(
    flags: Record<string, unknown>,
    env: NodeJS.ProcessEnv,
    file: TargetsFileSections | undefined,
  ): Settings | undefined;
  /** Builds the sinks of the feature. Called once per run, after every check passed. */
  sinks(settings: Settings, context: FeatureContext): Sink[] | Promise<Sink[]>;
}
