/**
 * Which exposition format a scraper asked for. Prometheus asks for OpenMetrics first
 * (`Accept: application/openmetrics-text;version=1.0.0,...;q=0.75,text/plain;version=0.0.4;q=0.5,...`);
 * curl and older scrapers get the Prometheus text format, which is also the answer to
 * anything this endpoint does not speak.
 */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

const OPENMETRICS = 'application/openmetrics-text';

/** The format to answer an `Accept` header with: the supported media range of highest `q`. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept === '') return 'prometheus';
  let best: ExpositionFormat = 'prometheus';
  let bestQ = -1;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';');
    const media = type.trim().toLowerCase();
    const format: ExpositionFormat | undefined =
      media === OPENMETRICS
        ? 'openmetrics'
        : media === 'text/plain' || media === 'text/*' || media === '*/*'
          ? 'prometheus'
          : undefined;
    if (format === undefined) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') q = Number(value);
    }
    if (!Number.isFinite(q) || q <= 0) continue;
    // On a tie the explicit OpenMetrics range wins over a wildcard.
    if (q > bestQ || (q === bestQ && format === 'openmetrics')) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}
