/**
 * The clients of the server benchmark, in their own process: `count` bare ws clients connect
 * to the server (with the token and the CA when given), report how long that took, then
 * report over IPC each time every client has received `window` more messages, until
 * `messages`. Bare clients, so that what is measured is the server, not a client.
 *
 * Usage (by server-security.ts): node bench/.build/server-clients.mjs (compiled.ts) '<ClientsSpec as JSON>'
 */
import WebSocket from 'ws';

export interface ClientsSpec {
  url: string;
  count: number;
  messages: number;
  window: number;
  token?: string;
  ca?: string;
}

export type ClientsReport =
  | { event: 'connected'; connectMs: number }
  | { event: 'received'; upTo: number }
  | { event: 'failed'; error: string };

const send = (report: ClientsReport) => process.send?.(report);

async function main(spec: ClientsSpec): Promise<void> {
  const options: WebSocket.ClientOptions = {
    perMessageDeflate: false,
    ...(spec.token ? { headers: { Authorization: `Bearer ${spec.token}` } } : {}),
    ...(spec.ca ? { ca: spec.ca } : {}),
  };
  // -1: the server's greeting comes first, and is not one of the benchmark's messages.
  const counts = new Array<number>(spec.count).fill(-1);
  let reported = 0;
  const started = performance.now();
  const sockets = await Promise.all(
    counts.map(
      (_, i) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(spec.url, options);
          ws.on('message', () => {
            counts[i]! += 1;
            if (counts[i]! < reported + spec.window && counts[i]! < spec.messages) return;
            const upTo = Math.min(...counts);
            if (upTo >= reported + spec.window || upTo === spec.messages) {
              reported = upTo;
              send({ event: 'received', upTo });
            }
          });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
          ws.once('unexpected-response', (_request, response) =>
            reject(new Error(`refused with HTTP ${response.statusCode}`)),
          );
        }),
    ),
  );
  send({ event: 'connected', connectMs: performance.now() - started });
  await new Promise<void>((resolve) => process.once('disconnect', () => resolve()));
  for (const ws of sockets) ws.terminate();
}

main(JSON.parse(process.argv[2] ?? '{}') as ClientsSpec).catch((error: unknown) => {
  send({ event: 'failed', error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
