/**
 * Where the command assembles its sinks, in call order: save-data (every frame), history,
 * display, each feature of `features/index.ts`, then the events file. A new sink of the
 * command is one line here or one feature file there.
 */
import { LOG_ROTATION_KEEP } from '../config.js';
import { createFormatter } from '../formatters/create-formatter.js';
import { LoggingHandler } from '../handlers/logging-handler.js';
import { MonitoringHandler } from '../handlers/monitoring-handler.js';
import type { Logger } from '../logger.js';
import type { Sink } from '../pipeline/sink.js';
import { DisplaySink } from '../sinks/display-sink.js';
import { EventsFileSink } from '../sinks/events-file-sink.js';
import type { CliFeature, FeatureContext } from './feature.js';
import type { CliOptions } from './options.js';

/** The built-in sinks the command keeps a hand on, for its statistics. */
export interface CommandSinks {
  sinks: Sink[];
  display: DisplaySink | undefined;
  history: MonitoringHandler | undefined;
  saveData: LoggingHandler | undefined;
}

export interface ActiveFeature {
  feature: CliFeature<unknown>;
  settings: unknown;
}

export async function assembleSinks(
  options: CliOptions,
  features: readonly ActiveFeature[],
  context: FeatureContext,
  onSaveDataError: (error: Error) => void,
  logger: Logger,
): Promise<CommandSinks> {
  const several = options.targets.length > 1;
  const sinks: Sink[] = [];
  let saveData: LoggingHandler | undefined;
  // Save-data failures are notices of the display, like a connection error (set below).
  let display: DisplaySink | undefined;
  if (options.saveData) {
    saveData = new LoggingHandler({
      path: options.saveData,
      maxSize: options.saveDataMaxSize,
      maxFiles: options.saveDataKeep ?? LOG_ROTATION_KEEP,
      logger,
      onError: (error) => {
        onSaveDataError(error);
        display?.error(error);
      },
      labelTargets: several,
    });
    sinks.push(saveData);
  }
  let history: MonitoringHandler | undefined;
  if (options.history) {
    history = new MonitoringHandler({ storeHistory: true });
    sinks.push(history);
  }
  // A feature that takes the screen (the dashboard) turns the line display off.
  display = features.some((f) => f.feature.name === 'dashboard')
    ? undefined
    : new DisplaySink({
        formatter: createFormatter(options.format, { color: context.color, showSource: several }),
        output: context.stdout,
        notices: context.stderr,
      });
  if (display) sinks.push(display);
  for (const { feature, settings } of features) sinks.push(...(await feature.sinks(settings, context)));
  // Last, so that it is still open when the alert sink, closing before it, resolves its alerts.
  if (options.events !== undefined) {
    sinks.push(new EventsFileSink({ destination: options.events === '-' ? context.stderr : options.events }));
  }
  return { sinks, display, history, saveData };
}
