/**
 * The HTTP side of the exporter: `GET /metrics` (and `HEAD`), nothing else. It binds
 * 127.0.0.1 by default; any other address needs a token, checked on every request as
 * `Authorization: Bearer <token>` in constant time (a timing difference must not tell how
 * much of a guess was right). Other paths get 404, other methods 405.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError, MonitoringError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isLoopbackHost } from './listen-address.js';

export const METRICS_PATH = '/metrics';

/** What the endpoint serves on each scrape. */
export type RenderMetrics = (accept: string | undefined) => Promise<{ contentType: string; body: string }>;

export interface MetricsEndpointOptions {
  readonly host: string;
  /** 0 picks a free port (see {@link MetricsEndpoint.address}). */
  readonly port: number;
  /** Required to listen on anything but a loopback address. */
  readonly token?: string | undefined;
  readonly render: RenderMetrics;
  readonly logger: Logger;
}

/** Could not listen (port in use, address not on this machine, permission). */
export class ListenError extends MonitoringError {
  override name = 'ListenError';
  declare readonly code: 'LISTEN_FAILED';
  /** Why, in a few words: `the port is in use (EADDRINUSE)`. */
  readonly reason: string;
  constructor(host: string, port: number, reason: string, cause: unknown) {
    super('LISTEN_FAILED', `cannot serve ${METRICS_PATH} on ${host}:${port}: ${reason}`, { cause });
    this.reason = reason;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Checks the options a listener needs; throws an InvalidOptionError naming the one at fault. */
export function checkListenOptions(host: string, port: number, token: string | undefined): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError('port', port, 'an integer from 0 to 65535');
  }
  if (token !== undefined && (token === '' || /[\r\n]/.test(token))) {
    throw new InvalidOptionError('token', '[redacted]', 'a non-empty token on one line');
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new InvalidOptionError(
      'host',
      host,
      'a loopback address (127.0.0.1, ::1, localhost) unless a token is given: the metrics would be open to the network',
    );
  }
}

export class MetricsEndpoint {
  readonly #options: MetricsEndpointOptions;
  readonly #expected: Buffer | undefined;
  #server: Server | undefined;
  #address: AddressInfo | undefined;
  #scrapes = 0;
  #refused = 0;
  #failures = 0;

  constructor(options: MetricsEndpointOptions) {
    checkListenOptions(options.host, options.port, options.token);
    this.#options = options;
    this.#expected = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);
  }

  /** The address bound, once listening. */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  /** `http://HOST:PORT/metrics`, once listening. */
  get url(): string | undefined {
    const address = this.#address;
    if (address === undefined) return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}${METRICS_PATH}`;
  }

  stats(): { scrapes: number; refused: number; failures: number } {
    return { scrapes: this.#scrapes, refused: this.#refused, failures: this.#failures };
  }

  /** Starts listening; resolves once bound. Idempotent. @throws ListenError */
  async listen(): Promise<AddressInfo> {
    if (this.#address !== undefined) return this.#address;
    const server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#options.logger.error(`prometheus: a scrape failed: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end();
      });
    });
    // A scrape is one small request: a client that holds a socket open without sending one
    // must not keep it for the default five minutes.
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    server.keepAliveTimeout = 60_000;
    const { host, port } = this.#options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(new ListenError(host, port, reason(error), error));
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => this.#options.logger.error(`prometheus: ${String(error)}`));
    this.#server = server;
    this.#address = server.address() as AddressInfo;
    return this.#address;
  }

  /** Stops listening and drops open connections. Idempotent. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#address = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.#expected !== undefined && !this.#authorized(request.headers.authorization)) {
      this.#refused++;
      response.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'text/plain' });
      response.end('unauthorized\n');
      return;
    }
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end(`not found: the metrics are at ${METRICS_PATH}\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
      response.end('method not allowed\n');
      return;
    }
    let rendered: { contentType: string; body: string };
    try {
      rendered = await this.#options.render(request.headers.accept);
    } catch (error) {
      this.#failures++;
      throw error;
    }
    this.#scrapes++;
    response.writeHead(200, {
      'Content-Type': rendered.contentType,
      'Content-Length': Buffer.byteLength(rendered.body),
      'Cache-Control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : rendered.body);
  }

  #authorized(header: string | undefined): boolean {
    if (header === undefined || this.#expected === undefined) return false;
    // Digests have one length whatever was sent, as timingSafeEqual needs.
    return timingSafeEqual(digest(header.replace(/^bearer /i, 'Bearer ')), this.#expected);
  }
}

function reason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'the port is in use (EADDRINUSE)';
    case 'EADDRNOTAVAIL':
      return 'the address is not one of this machine (EADDRNOTAVAIL)';
    case 'EACCES':
      return 'permission denied (EACCES): ports below 1024 need privileges';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${error.code})`;
    default:
      return error.code ? `${error.message} (${error.code})` : error.message;
  }
}
