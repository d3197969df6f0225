/**
 * The few colours the formats use, built once per process from picocolors: a formatter
 * picks one of two shared palettes at construction, so no colour function is ever created
 * per message.
 */
import pc from 'picocolors';

/** A colour or style: wraps text in its escape codes, or returns it as is when colour is off. */
export type Paint = (text: string) => string;

export interface Palette {
  readonly enabled: boolean;
  readonly red: Paint;
  readonly yellow: Paint;
  readonly green: Paint;
  readonly cyan: Paint;
  readonly bold: Paint;
  readonly dim: Paint;
}

function buildPalette(enabled: boolean): Palette {
  const colors = pc.createColors(enabled);
  return {
    enabled,
    red: colors.red,
    yellow: colors.yellow,
    green: colors.green,
    cyan: colors.cyan,
    bold: colors.bold,
    dim: colors.dim,
  };
}

const WITH_COLOR = buildPalette(true);
const WITHOUT_COLOR = buildPalette(false);

/** The shared palette: escape codes when `enabled`, identity functions otherwise. */
export function palette(enabled: boolean): Palette {
  return enabled ? WITH_COLOR : WITHOUT_COLOR;
}
