/**
 * The dashboard's HTTP server: the page, the JSON API and the live stream on one port, with
 * the same safety on every answer:
 *
 * - access checked first (Host name, then the token when there is one; see access.ts);
 * - GET and HEAD only; nothing is ever written from a request;
 * - a strict Content-Security-Policy (only the page's own bundled script and style: no
 *   inline script, no eval, nothing from elsewhere), no framing, no MIME sniffing, no
 *   referrer (the URL may carry the token once);
 * - any failure answers 500 and is logged; a request never stops the server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import { AccessPolicy } from './access.js';
import { formatHostPort, isPrivateBind } from './address.js';
import { type ApiDependencies, handleApi } from './api.js';
import type { PageAsset } from './page-assets.js';
import { WebDashboardError } from './web-error.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Sockets open at once; beyond, the kernel queues new connections. */
const MAX_CONNECTIONS = 256;

export interface WebServerOptions {
  readonly host: string;
  readonly port: number;
  /** Required on every request when set. */
  readonly token: string | undefined;
  /** Host names the server answers to besides IP literals and `localhost`. */
  readonly allowedHosts: readonly string[];
  readonly assets: ReadonlyMap<string, PageAsset>;
  /** Serves the live stream (live-stream.ts). */
  readonly live: { attach(request: IncomingMessage, response: ServerResponse): void };
  readonly api: ApiDependencies;
  readonly logger: Logger;
}

export class WebServer {
  readonly #options: WebServerOptions;
  readonly #access: AccessPolicy;
  readonly #server: Server;
  #address: AddressInfo | undefined;

  constructor(options: WebServerOptions) {
    this.#options = options;
    const allowedHosts = [...options.allowedHosts];
    // Beyond loopback, people reach the machine by its own name too.
    if (!isPrivateBind(options.host)) allowedHosts.push(hostname());
    if (/[a-z]/i.test(options.host)) allowedHosts.push(options.host);
    this.#access = new AccessPolicy({ token: options.token, allowedHosts });
    this.#server = createServer((request, response) => this.#handle(request, response));
    this.#server.maxConnections = MAX_CONNECTIONS;
    this.#server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Starts listening; resolves with the address actually bound (port 0 gets a free port). */
  listen(): Promise<AddressInfo> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          new WebDashboardError(
            'LISTEN_FAILED',
            `the web dashboard cannot listen on ${formatHostPort(host, port)}: ${error.code ?? error.message}`,
            { cause: error },
          ),
        );
      };
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        this.#address = this.#server.address() as AddressInfo;
        resolve(this.#address);
      });
    });
  }

  /**
   * Whether the listening socket keeps the process alive. Off until the pipeline starts, so
   * that a command failing between listen() and start() still exits.
   */
  keepsProcessAlive(keep: boolean): void {
    if (keep) this.#server.ref();
    else this.#server.unref();
  }

  /** The bound address, once listening. */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  /** Stops accepting and closes every connection, live streams included. */
  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    this.#route(request, response).catch((error: unknown) => {
      this.#options.logger.error(
        `web: ${request.method} ${request.url} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!response.headersSent) sendText(response, 500, 'internal error');
      else response.destroy();
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    } catch {
      return sendText(response, 400, 'malformed request URL');
    }
    const verdict = this.#access.check(request, url);
    if (verdict.kind === 'deny')
      return sendText(response, verdict.status, `${verdict.status}: ${verdict.reason}`);
    if (verdict.kind === 'set-cookie') {
      response.writeHead(303, {
        Location: verdict.location,
        'Set-Cookie': verdict.cookie,
        'Cache-Control': 'no-store',
      });
      response.end();
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return sendText(response, 405, 'only GET and HEAD');
    }
    const path = url.pathname;
    if (path === '/api/live') {
      if (request.method === 'GET') return this.#options.live.attach(request, response);
      // HEAD: the headers of a stream that would never end.
      response.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
      });
      response.end();
      return;
    }
    if (path.startsWith('/api/')) return handleApi(url, response, this.#options.api);
    if (path === '/favicon.ico') {
      response.writeHead(204);
      response.end();
      return;
    }
    const asset = this.#options.assets.get(path === '/index.html' ? '/' : path);
    if (asset === undefined) return sendText(response, 404, 'not found');
    sendAsset(request, response, asset);
  }
}

function sendAsset(request: IncomingMessage, response: ServerResponse, asset: PageAsset): void {
  const headers = { ETag: asset.etag, 'Cache-Control': 'no-cache' };
  if (request.headers['if-none-match'] === asset.etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  response.writeHead(200, {
    ...headers,
    'Content-Type': asset.contentType,
    'Content-Length': asset.body.length,
  });
  response.end(asset.body);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(`${text}\n`);
}
