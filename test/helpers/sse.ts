/** A real HTTP client of a Server-Sent Events stream, for the web dashboard's tests. */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  readonly response: IncomingMessage;
  readonly #request: ClientRequest;
  #buffer = '';
  #waiters: (() => void)[] = [];
  ended = false;

  private constructor(req: ClientRequest, response: IncomingMessage) {
    this.#request = req;
    this.response = response;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let end = this.#buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) this.events.push({ event, data: data.join('\n') });
        end = this.#buffer.indexOf('\n\n');
      }
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
    const ended = () => {
      this.ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter();
    };
    response.on('end', ended);
    response.on('close', ended);
    response.on('error', ended);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { headers: { Accept: 'text/event-stream', ...headers }, agent: false },
        (response) => resolve(new SseReader(req, response)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The data of the `rows` events, parsed. */
  batches<T = unknown>(): T[] {
    return this.events.filter((e) => e.event === 'rows').map((e) => JSON.parse(e.data) as T);
  }

  /** Resolves once `count` events have arrived (or the stream ended); rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} events (got ${this.events.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.#request.destroy();
  }
}

/** Lets pending I/O callbacks run (a few turns of the event loop), without waiting on time. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
