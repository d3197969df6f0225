import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request: write to `response` (and end it), or leave it hanging. */
export type Responder = (request: ReceivedRequest, response: ServerResponse, index: number) => void;

/** A real HTTP server on 127.0.0.1 with a free port that records every request it gets. */
export class RecordingHttpServer {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(
    responder: Responder = (_r, response) => response.end('ok'),
  ): Promise<RecordingHttpServer> {
    let instance: RecordingHttpServer | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        const received = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body,
        };
        instance?.requests.push(received);
        responder(received, response, (instance?.requests.length ?? 1) - 1);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    instance = new RecordingHttpServer(server);
    return instance;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
