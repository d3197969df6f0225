/**
 * The page's end of the live stream: an EventSource on /api/live (same origin, so the token
 * cookie goes with it), which the browser reconnects by itself; each reconnection starts with
 * a reset. The state is shown in the top bar.
 */
import type { LiveBatch } from '../web-row.js';

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface LiveConnectionHandlers {
  batch(batch: LiveBatch): void;
  state(state: LinkState): void;
}

export function connectLive(handlers: LiveConnectionHandlers): EventSource {
  const source = new EventSource('/api/live');
  handlers.state('connecting');
  source.addEventListener('open', () => handlers.state('live'));
  source.addEventListener('error', () => {
    // CLOSED: the server refused the stream (no token, too many pages): the browser gives up.
    handlers.state(source.readyState === EventSource.CLOSED ? 'refused' : 'reconnecting');
  });
  source.addEventListener('rows', (event) => {
    let batch: LiveBatch;
    try {
      batch = JSON.parse((event as MessageEvent<string>).data) as LiveBatch;
    } catch {
      return;
    }
    handlers.batch(batch);
  });
  return source;
}
