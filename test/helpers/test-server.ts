import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** A real WebSocket server on 127.0.0.1 with a free port, that sends what a test tells it to. */
export class TestServer {
  readonly wss: WebSocketServer;
  readonly received: string[] = [];
  readonly #waiters: ((socket: WebSocket) => void)[] = [];

  private constructor(wss: WebSocketServer, greeting: string[]) {
    this.wss = wss;
    wss.on('connection', (socket, request) => {
      this.lastHeaders = request.headers;
      for (const frame of greeting) socket.send(frame);
      socket.on('message', (data) => this.received.push(String(data)));
      for (const waiter of this.#waiters.splice(0)) waiter(socket);
    });
  }

  lastHeaders: Record<string, string | string[] | undefined> = {};

  static async start(options: { greeting?: string[]; port?: number } = {}): Promise<TestServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 });
    await once(wss, 'listening');
    return new TestServer(wss, options.greeting ?? []);
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Resolves with the next client to connect (or the current one, if `existing` and one is connected). */
  nextClient(existing = true): Promise<WebSocket> {
    const [first] = this.wss.clients;
    if (existing && first) return Promise.resolve(first);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Sends each frame to every connected client; resolves once they are handed to the sockets. */
  async broadcast(...frames: (string | object | Buffer)[]): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const client of this.wss.clients) {
      for (const frame of frames) {
        const data = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
        sends.push(
          new Promise((resolve, reject) =>
            client.send(data, { binary: Buffer.isBuffer(frame) }, (error) =>
              error ? reject(error) : resolve(),
            ),
          ),
        );
      }
    }
    await Promise.all(sends);
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** Resolves when `predicate` holds, checking on each turn of the event loop; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
