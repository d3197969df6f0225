/**
 * Failures of the web dashboard that a caller can act on, each with a stable code: the page
 * was never built, the address is taken or not allowed.
 */
import { MonitoringError } from '../errors.js';

export type WebDashboardErrorCode =
  /** The bundled page (dist/web/assets) is missing: the package was not built. */
  | 'ASSETS_MISSING'
  /** The server could not listen on the address (in use, not available, not permitted). */
  | 'LISTEN_FAILED';

export class WebDashboardError extends MonitoringError {
  override name = 'WebDashboardError';
  declare readonly code: WebDashboardErrorCode;
  constructor(code: WebDashboardErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
