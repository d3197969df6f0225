/**
 * The dashboard's colours: the line formats' palette, with the same thresholds and the same
 * on/off decision, plus inverse video for the selected row.
 *
 * Colours are written into the text as escape codes (picocolors) rather than through ink's
 * `color` props: those follow chalk's own guess about process.stdout, while the dashboard
 * must follow the caller's decision (`--no-color`, NO_COLOR, FORCE_COLOR).
 */
import pc from 'picocolors';
import { THRESHOLD_CRITICAL, THRESHOLD_WARNING } from '../config.js';
import { type Paint, type Palette, palette } from '../formatters/colors.js';
import type { TargetStatus } from '../pipeline/target-row.js';

export interface Theme extends Palette {
  readonly inverse: Paint;
  /** Green below THRESHOLD_WARNING, yellow below THRESHOLD_CRITICAL, red from it; none when missing. */
  usage(percent: number | undefined): Paint;
  /** up green, connecting cyan, stale and reconnecting yellow, down red. */
  status(status: TargetStatus): Paint;
  /** An alert's level: CRITICAL red, WARNING yellow, anything else as is. */
  severity(level: string | undefined): Paint;
}

const identity: Paint = (text) => text;

function buildTheme(enabled: boolean): Theme {
  const base = palette(enabled);
  const inverse = enabled ? pc.createColors(true).inverse : identity;
  const statusPaint: Record<TargetStatus, Paint> = {
    up: base.green,
    connecting: base.cyan,
    stale: base.yellow,
    reconnecting: base.yellow,
    down: base.red,
  };
  return {
    ...base,
    inverse,
    usage(percent) {
      if (!enabled || percent === undefined || Number.isNaN(percent)) return identity;
      if (percent >= THRESHOLD_CRITICAL) return base.red;
      if (percent >= THRESHOLD_WARNING) return base.yellow;
      return base.green;
    },
    status: (status) => statusPaint[status],
    severity(level) {
      const upper = level?.toUpperCase();
      if (upper === 'CRITICAL') return base.red;
      if (upper === 'WARNING') return base.yellow;
      return identity;
    },
  };
}

const WITH_COLOR = buildTheme(true);
const WITHOUT_COLOR = buildTheme(false);

/** The shared theme: escape codes when `enabled`, plain text otherwise. */
export function theme(enabled: boolean): Theme {
  return enabled ? WITH_COLOR : WITHOUT_COLOR;
}
