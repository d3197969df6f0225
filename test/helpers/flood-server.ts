/**
 * A monitoring server run as a child process (`node --import tsx flood-server.ts '<json>'`), so
 * that a test can kill it (SIGKILL: an abrupt crash) or stop it (SIGTERM: a graceful close with
 * 1001), restart it on the same port, and flood a client without loading the test's own
 * process. Start it through `startFloodServer()` of ./processes.ts.
 *
 * Each connection gets a stream of compact `monitoring_data` messages (the real-server fixture)
 * numbered from 0 by `seq` and labelled with `label`; `count` bounds them (default: no bound).
 * `intervalMs` 0 floods: frames go out in batches, the next batch once the previous one is in
 * the kernel's socket buffer, so a client that stops reading stops the flood (the server never
 * buffers more than one batch).
 *
 * Reports on stdout, one JSON object per line:
 *   {"event":"listening","port":P}
 *   {"event":"connection","id":n,"headers":{...}}
 *   {"event":"progress","sent":n,"bytes":b}     totals of the process, every 50 ms while they change
 *   {"event":"done","id":n,"sent":n}           a connection's `count` frames are all in the kernel
 *   {"event":"close","id":n,"code":c,"sent":n} a connection closed; `sent` frames reached the kernel
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FloodServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Frames per connection; default unbounded. */
  count?: number;
  /** Milliseconds between frames; 0 (default) floods. */
  intervalMs?: number;
  /** Frames per batch when flooding. Default 100. */
  batch?: number;
  /** Put in every frame as `label`, to tell two server processes apart. Default "server". */
  label?: string;
}

/** The frame of message `seq`: the compact real-server fixture, plus `seq` and `label`. */
function floodFrame(base: Record<string, unknown>, label: string, seq: number): string {
  return JSON.stringify({ ...base, label, seq });
}

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function main(options: FloodServerOptions): void {
  const base = JSON.parse(
    readFileSync(new URL('../fixtures/real-server/monitoring_data.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
  const label = options.label ?? 'server';
  const count = options.count ?? Number.POSITIVE_INFINITY;
  const batch = options.batch ?? 100;
  let sent = 0;
  let bytes = 0;
  let reported = -1;
  let nextId = 1;

  const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0, perMessageDeflate: false });
  wss.on('listening', () => report({ event: 'listening', port: (wss.address() as AddressInfo).port }));
  wss.on('connection', (ws, request) => {
    const id = nextId++;
    let open = true;
    let connectionSent = 0;
    report({ event: 'connection', id, headers: request.headers });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      open = false;
      report({ event: 'close', id, code, sent: connectionSent });
    });
    const sendOne = (seq: number, done?: () => void) => {
      const text = floodFrame(base, label, seq);
      ws.send(text, (error) => {
        if (!error) {
          connectionSent++;
          sent++;
          bytes += text.length;
        }
        done?.();
      });
    };
    if ((options.intervalMs ?? 0) > 0) {
      let seq = 0;
      const timer = setInterval(() => {
        if (!open || seq >= count) {
          clearInterval(timer);
          return;
        }
        sendOne(seq++);
      }, options.intervalMs);
      return;
    }
    void flood(ws, () => open, count, batch, sendOne).then(() => {
      if (open && connectionSent === count) report({ event: 'done', id, sent: connectionSent });
    });
  });

  const progress = setInterval(() => {
    if (sent === reported) return;
    reported = sent;
    report({ event: 'progress', sent, bytes });
  }, 50);
  progress.unref();

  process.on('SIGTERM', () => {
    // A graceful restart: every client is told 1001 "going away", then the process ends.
    for (const ws of wss.clients) ws.close(1001, 'server restarting');
    const bound = setTimeout(() => process.exit(0), 500);
    wss.close(() => {
      clearTimeout(bound);
      process.exit(0);
    });
  });
}

async function flood(
  ws: WebSocket,
  isOpen: () => boolean,
  count: number,
  batch: number,
  sendOne: (seq: number, done?: () => void) => void,
): Promise<void> {
  let seq = 0;
  while (isOpen() && seq < count) {
    const end = Math.min(count, seq + batch);
    // The callback of a batch's last frame fires once the whole batch is in the kernel.
    await new Promise<void>((resolve) => {
      for (; seq < end; seq++) sendOne(seq, seq === end - 1 ? resolve : undefined);
    });
    if (ws.readyState !== ws.OPEN) return;
    // A write the kernel takes at once calls back on the next tick: without this, a reader as
    // fast as the server would keep the loop on ticks, and timers (the progress report) and
    // signals would wait for the end of the flood.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as FloodServerOptions);
