/**
 * `monitoring-websocket-client/alerts`: alert rules on the pipeline (the engine, a sink) and
 * their deliveries (command, webhook, Alertmanager). A separate entry point so that a program
 * that sets no rule never loads them (nor zod, which reads a rules section).
 */
export type { AlertCommandOptions } from './alert-command.js';
export { AlertCommandSink } from './alert-command.js';
export type { AlertEngineOptions } from './alert-engine.js';
export { AlertEngine } from './alert-engine.js';
export type { AlertJson } from './alert-json.js';
export type { AlertNoticeOptions } from './alert-notices.js';
export { AlertNoticeSink } from './alert-notices.js';
export type { AlertmanagerOptions } from './alertmanager.js';
export { AlertmanagerSink } from './alertmanager.js';
export type { AlertMetric } from './metric-value.js';
export { ALERT_METRICS } from './metric-value.js';
export type { AlertRule, ComparisonOperator, RuleExtras, StaleRule, ThresholdRule } from './rule.js';
export { AlertRuleError, alertsSectionSchema, parseRule, rulesFromSection } from './rule.js';
export type { Condition, RulePhase, RuleState } from './rule-state.js';
export { DEFAULT_ALERT_MARGIN, nextRuleState, OK_STATE, transition } from './rule-state.js';
export type { WebhookOptions } from './webhook.js';
export { WebhookSink } from './webhook.js';
