/**
 * `--stats`: what the run did, built from typed statistics (the fleet's, the display's, the
 * history's and the save-data's), printed by the formatter. One target prints the one block
 * documented since the first version; several print one block per target, then the totals.
 */

import type { MonitoringFleet } from '../fleet/monitoring-fleet.js';
import type { BaseFormatter } from '../formatters/base-formatter.js';
import { JsonFormatter } from '../formatters/json-formatter.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import type { CommandSinks } from './sinks.js';

export function formatRunStatistics(
  fleet: MonitoringFleet,
  sinks: CommandSinks,
  formatter: BaseFormatter,
): string {
  const fleetStats = fleet.getStatistics();
  const names = Object.keys(fleetStats.targets);
  const sinkErrors = fleetStats.sinks.reduce((sum, sink) => sum + sink.errors, 0);
  const recordsDisplayed = sinks.display?.recordsDisplayed ?? fleetStats.totals.recordsAccepted;
  const perTarget = names.map((name) => ({
    name,
    stats: {
      ...fleetStats.targets[name]!,
      recordsDisplayed,
      dataQualityWarnings: fleet.pipeline.dataQualityWarnings(name),
      callbackErrors: sinkErrors,
    },
  }));
  const shared = sinkStatistics(sinks);
  if (perTarget.length === 1) return formatter.formatStatistics({ ...perTarget[0]!.stats, ...shared });
  for (const target of perTarget) {
    const { recordsDisplayed: _shown, ...own } = target.stats;
    target.stats = own as typeof target.stats;
  }
  if (formatter instanceof JsonFormatter) {
    return formatter.formatStatistics({
      targets: Object.fromEntries(perTarget.map(({ name, stats }) => [name, stats])),
      totals: fleetStats.totals,
      recordsDisplayed,
      ...shared,
    });
  }
  const blocks = targetBlocks(formatter, perTarget);
  const totals = fleetStats.totals;
  const lines = [
    '=== Totals ===',
    `Targets: ${totals.targets} (${totals.connected} connected)`,
    `Messages received: ${totals.messagesReceived}`,
    `Records displayed: ${recordsDisplayed}`,
    `Invalid messages: ${totals.invalidMessages}`,
    `Reconnect attempts: ${totals.reconnectAttempts}`,
    `Disconnections: ${totals.totalDisconnections}`,
    `Errors: ${totals.errorCount}`,
  ];
  if (shared.logging)
    blocks.push(formatter.formatStatistics({ logging: shared.logging }).replace('=== Statistics ===\n', ''));
  return [...blocks, lines.join('\n')].join('\n');
}

/** What save-data and the history report: the same for a live run and a replay. */
export function sinkStatistics(sinks: CommandSinks): { logging: object | null; history: object | null } {
  const history = sinks.history?.getStats();
  return {
    logging: sinks.saveData ? sinks.saveData.getStats() : null,
    history: history ? { size: history.historySize, capacity: history.historyCapacity } : null,
  };
}

/** One `=== Statistics: NAME ===` block per target, in the line formats. */
export function targetBlocks(
  formatter: BaseFormatter,
  perTarget: { name: string; stats: object }[],
): string[] {
  return perTarget.map(({ name, stats }) =>
    formatter
      .formatStatistics(stats)
      .replace('=== Statistics ===', `=== Statistics: ${sanitizeForTerminal(name)} ===`),
  );
}
