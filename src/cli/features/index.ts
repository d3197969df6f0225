/**
 * Every optional feature of the command line, in the order their sinks are assembled (after
 * the built-in save-data, history and display sinks, before the events file). A new feature: one file here, one line
 * in this list.
 */
import type { CliFeature } from '../feature.js';
import { alertsFeature } from './alerts.js';
import { dashboardFeature } from './dashboard.js';
import { prometheusFeature } from './prometheus.js';
import { recordFeature } from './record.js';
import { webFeature } from './web.js';

export const FEATURES: readonly CliFeature<unknown>[] = [
  alertsFeature,
  dashboardFeature as CliFeature<unknown>,
  prometheusFeature as CliFeature<unknown>,
  recordFeature as CliFeature<unknown>,
  webFeature as CliFeature<unknown>,
];
