/**
 * Alerts on the command line: `--alert RULE` (repeatable) and the `alerts:` section of the
 * targets file or of `--alerts FILE` (read by src/cli/alerts-file.ts), `--alert-margin`, and the deliveries `--on-alert CMD`, `--webhook URL`,
 * `--alertmanager URL`. Every alert is also a notice on stderr, and an `alert` event for
 * `--events`. The feature is on when a rule or a delivery is given; then the servers' own
 * alerts are delivered too.
 */
import { type Command, Option } from 'commander';
import { AlertCommandSink } from '../../alerts/alert-command.js';
import { AlertEngine } from '../../alerts/alert-engine.js';
import { AlertNoticeSink } from '../../alerts/alert-notices.js';
import { AlertmanagerSink } from '../../alerts/alertmanager.js';
import { splitCommandWords } from '../../alerts/command-words.js';
import { parseDeliveryUrl } from '../../alerts/delivery-url.js';
import {
  type AlertRule,
  AlertRuleError,
  checkRuleSet,
  parseRule,
  RULE_SYNTAX,
  rulesFromSection,
} from '../../alerts/rule.js';
import { DEFAULT_ALERT_MARGIN } from '../../alerts/rule-state.js';
import { WebhookSink } from '../../alerts/webhook.js';
import { InvalidOptionError } from '../../errors.js';
import type { Sink } from '../../pipeline/sink.js';
import type { CliFeature, FeatureContext, TargetsFileSections } from '../feature.js';
import { UsageError } from '../options.js';

export interface AlertSettings {
  rules: AlertRule[];
  /** Hysteresis margin, percentage points or °C. */
  margin: number;
  /** `--on-alert`, split into words. */
  onAlert: string[] | undefined;
  webhook: string | undefined;
  alertmanager: string | undefined;
}

interface AlertFlags {
  alert?: string[];
  alertMargin?: string;
  onAlert?: string;
  webhook?: string;
  alertmanager?: string;
}

const PROGRAM = 'monitoring-websocket-client';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export const alertsFeature: CliFeature<AlertSettings> = {
  name: 'alerts',

  declare(program: Command): void {
    program
      .addOption(
        new Option(
          '--alert <rule>',
          'alert rule (repeatable): "cpu > 90 for 30s", "disk >= 85", "stale 15s" (no data for 15 s); metrics: cpu, memory, disk, gpu, gpu_memory, gpu_temperature, cpu_temperature',
        ).argParser(collect),
      )
      .addOption(
        new Option(
          '--alerts <file>',
          "alert rules from the alerts: section of FILE (YAML or JSON; a targets file will do), instead of the --targets file's",
        ),
      )
      .addOption(
        new Option(
          '--alert-margin <points>',
          `hysteresis: a firing alert resolves only this far back past its threshold, in percentage points or °C (default: ${DEFAULT_ALERT_MARGIN})`,
        ),
      )
      .addOption(
        new Option(
          '--on-alert <command>',
          'run COMMAND (without a shell) for every alert that fires or resolves; details in ALERT_STATE, ALERT_TARGET, ALERT_RULE, ALERT_VALUE, ALERT_JSON, ...',
        ),
      )
      .addOption(new Option('--webhook <url>', 'POST every alert that fires or resolves to URL, as JSON'))
      .addOption(
        new Option('--alertmanager <url>', 'send alerts to a Prometheus Alertmanager at URL (API v2)'),
      );
  },

  resolve(
    flags: Record<string, unknown>,
    _env: NodeJS.ProcessEnv,
    file: TargetsFileSections | undefined,
  ): AlertSettings | undefined {
    const { alert = [], alertMargin, onAlert, webhook, alertmanager } = flags as AlertFlags;
    const rules: AlertRule[] = [];
    for (const text of alert) {
      try {
        rules.push(parseRule(text));
      } catch (error) {
        if (error instanceof AlertRuleError)
          throw new UsageError(`invalid --alert: ${JSON.stringify(text)} (${error.reason})`);
        throw error;
      }
    }
    const section = file?.sections.alerts;
    if (file !== undefined && section !== undefined) {
      try {
        rules.push(...rulesFromSection(section));
      } catch (error) {
        if (error instanceof AlertRuleError) throw new UsageError(`invalid ${file.path}: ${error.message}`);
        throw error;
      }
    }
    try {
      checkRuleSet(rules);
    } catch (error) {
      if (error instanceof AlertRuleError)
        throw new UsageError(`invalid --alert: ${JSON.stringify(error.rule)} (${error.reason})`);
      throw error;
    }

    let margin = DEFAULT_ALERT_MARGIN;
    if (alertMargin !== undefined) {
      margin = Number(alertMargin);
      if (alertMargin.trim() === '' || !Number.isFinite(margin) || margin < 0)
        throw new UsageError(
          `invalid --alert-margin: ${JSON.stringify(alertMargin)} (expected a number >= 0, in percentage points or °C)`,
        );
    }

    let command: string[] | undefined;
    if (onAlert !== undefined) {
      const words = splitCommandWords(onAlert);
      if (!words.ok)
        throw new UsageError(
          `invalid --on-alert: ${JSON.stringify(onAlert)} (${words.reason}; expected a program and its arguments, run without a shell)`,
        );
      command = words.words;
    }
    for (const [option, url] of [
      ['--webhook', webhook],
      ['--alertmanager', alertmanager],
    ] as const) {
      if (url === undefined) continue;
      try {
        parseDeliveryUrl(url, option);
      } catch (error) {
        if (error instanceof InvalidOptionError) throw new UsageError(error.message);
        throw error;
      }
    }

    if (rules.length === 0 && command === undefined && webhook === undefined && alertmanager === undefined) {
      if (alertMargin !== undefined)
        throw new UsageError(
          `invalid --alert-margin: it needs rules (--alert, or alerts: in the targets file; ${RULE_SYNTAX})`,
        );
      return undefined;
    }
    return { rules, margin, onAlert: command, webhook, alertmanager };
  },

  sinks(settings: AlertSettings, context: FeatureContext): Sink[] {
    // Deliveries that fail say so on stderr: the logs are silent without --verbose.
    const onFailure = (message: string): void => {
      context.stderr.write(`${PROGRAM}: ${message}\n`);
    };
    const sinks: Sink[] = [
      new AlertEngine({ rules: settings.rules, margin: settings.margin }),
      // The display already shows the servers' own alerts (or the record does, in detailed).
      new AlertNoticeSink({ stream: context.stderr, serverAlerts: false }),
    ];
    if (settings.onAlert !== undefined) {
      // The command inherits the environment, but not the servers' token: it has no use for it.
      const { MONITORING_TOKEN: _token, ...env } = context.env;
      sinks.push(new AlertCommandSink({ command: settings.onAlert, env, onFailure }));
    }
    if (settings.webhook !== undefined) sinks.push(new WebhookSink({ url: settings.webhook, onFailure }));
    if (settings.alertmanager !== undefined)
      sinks.push(new AlertmanagerSink({ url: settings.alertmanager, rules: settings.rules, onFailure }));
    return sinks;
  },
};
