import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * A real server that holds every handshake until the test answers it, so that the
 * handshakes in flight can be counted.
 */
export async function holdingServer() {
  const held: ((ok: boolean) => void)[] = [];
  /** performance.now() at the arrival of each handshake. */
  const arrivals: number[] = [];
  /** The path each handshake asked for, in order of arrival. */
  const paths: string[] = [];
  const answered = new Set<number>();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (info, done) => {
      arrivals.push(performance.now());
      paths.push(info.req.url ?? '');
      held.push(done);
    },
  });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    /** Handshakes received so far. */
    get received() {
      return held.length;
    },
    arrivals,
    paths,
    /** Completes the handshake received `index`-th. */
    answer: (index: number) => {
      held[index]!(true);
      answered.add(index);
    },
    /**
     * Refuses the handshakes not answered, then closes: ws does not read a socket whose
     * handshake is pending, so it would never see the client leave, and close() would wait.
     */
    close: () =>
      new Promise<void>((resolve) => {
        held.forEach((done, index) => {
          if (!answered.has(index)) done(false);
        });
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
