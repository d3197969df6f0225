/**
 * The benchmark server, run as its own process (so that its work never shares a core's time
 * slice with the client measured). It speaks just enough WebSocket for the job: the opening
 * handshake, unmasked text frames out, and close and ping frames in. Frames are built once
 * and written to the TCP socket as they are, so the server costs almost nothing per message
 * and the client is the bottleneck.
 *
 * What a connection gets depends on its URL path:
 *   /flood?n=N&tag=T          N frames as fast as the socket takes them (write() returning
 *                             false waits for 'drain'), then a close frame (1000).
 *   /rate?n=N&rate=R&tag=T    N frames at R per second, each with `"sent_at_us": <µs>` (wall
 *     [&group=G&size=K]       clock), then a close frame; with a group, the
 *                             frames start once K connections of the group are open, and
 *                             each goes to all of them.
 *   /fanin?interval=MS        one frame every MS milliseconds (default 1000), until the
 *                             client closes.
 *   /greet?tag=T              one frame right after the handshake, then nothing.
 *
 * The harness talks to it over IPC: the server sends `{event: 'listening', port}`, then
 * `{event: 'open', tag, t}` and `{event: 'closed', tag, t, sent}` per connection (t from
 * {@link preciseNow}); `{cmd: 'stop'}` ends it, and so does the harness going away.
 *
 * Usage: node bench/.build/flood-server.mjs   (compiled.ts; only through the harness: it needs IPC)
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { TEST_CERT, TEST_KEY } from '../test/helpers/tls.js';
import { preciseNow, realDialectText, SENT_AT_DIGITS, withSentAtPlaceholder } from './message.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Frames per write() in flood mode: about 180 KB per write with the 720-byte message. */
const FRAMES_PER_CHUNK = 256;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

/** What the server tells the harness. */
export type ServerEvent =
  | { event: 'listening'; port: number }
  | { event: 'open'; tag: string; path: string; t: number }
  | { event: 'closed'; tag: string; path: string; t: number; sent: number };

/** An unmasked server-to-client frame: FIN + `opcode`, then the payload. */
function buildFrame(payload: Buffer, opcode = 0x1): Buffer {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([0x80 | opcode, length]);
  } else if (length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

function closeFrame(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return buildFrame(payload, OP_CLOSE);
}

/**
 * Reads the client's frames (always masked) and calls `onControl` for close and ping
 * frames; data frames are skipped. Clients send few frames, so concatenation is fine here.
 */
class ClientFrameReader {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #onControl: (opcode: number, payload: Buffer) => void;

  constructor(onControl: (opcode: number, payload: Buffer) => void) {
    this.#onControl = onControl;
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (b.length < offset + length) return;
      if (opcode === OP_CLOSE || opcode === OP_PING) {
        const payload = Buffer.from(b.subarray(offset, offset + length));
        if (masked) {
          for (let i = 0; i < payload.length; i++) payload[i]! ^= b[maskOffset + (i % 4)]!;
        }
        this.#onControl(opcode, payload);
      }
      this.#buffer = b.subarray(offset + length);
    }
  }
}

/** Resolves on 'drain', or when the socket closes (then no drain will ever come). */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

function send(event: ServerEvent): void {
  process.send?.(event);
}

/** One client connection. */
class Peer {
  readonly socket: Socket;
  readonly tag: string;
  readonly path: string;
  sent = 0;
  closeSent = false;
  readonly timers: NodeJS.Timeout[] = [];
  readonly #normalClose: Buffer;

  /** `head`: bytes the client sent right after its handshake. */
  constructor(socket: Socket, tag: string, path: string, normalClose: Buffer, head: Buffer) {
    this.socket = socket;
    this.tag = tag;
    this.path = path;
    this.#normalClose = normalClose;
    const reader = new ClientFrameReader((opcode, payload) => {
      if (opcode === OP_PING) {
        if (!socket.destroyed) socket.write(buildFrame(payload, 0xa));
        return;
      }
      // Close: answer it (unless we started the close), then end the TCP connection.
      this.stopTimers();
      if (!this.closeSent && !socket.destroyed) {
        this.closeSent = true;
        socket.write(buildFrame(payload.subarray(0, Math.min(payload.length, 2)), OP_CLOSE));
      }
      socket.end();
    });
    socket.on('data', (data: Buffer) => reader.push(data));
    if (head.length > 0) reader.push(head);
    socket.on('error', () => {
      // A client killed mid-run: its close event follows.
    });
    socket.on('close', () => {
      this.stopTimers();
      send({ event: 'closed', tag, path, t: preciseNow(), sent: this.sent });
    });
  }

  get open(): boolean {
    return !this.socket.destroyed && !this.closeSent;
  }

  stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
  }

  /** Sends a close frame (1000); a client that never answers it is cut after 5 s. */
  close(): void {
    if (this.closeSent || this.socket.destroyed) return;
    this.closeSent = true;
    this.socket.write(this.#normalClose);
    const bound = setTimeout(() => this.socket.destroy(), 5000);
    this.socket.once('close', () => clearTimeout(bound));
  }
}

/**
 * Frames of the message with a send time, stamped just before their write. The stamp is
 * written digit by digit into a frame of a preallocated pool, so that nothing is allocated
 * (and no garbage collection can run) between reading the clock and writing the frame.
 */
class StampedFrames {
  readonly #frames: Buffer[];
  readonly #digitsAt: number;
  #next = 0;

  /** `poolSize` frames are reused in turn: far more than a socket ever has pending at these rates. */
  constructor(text: string, poolSize = 256) {
    const { payload, digitsAt } = withSentAtPlaceholder(text);
    const frame = buildFrame(Buffer.from(payload));
    this.#digitsAt = frame.length - Buffer.byteLength(payload) + digitsAt;
    this.#frames = Array.from({ length: poolSize }, () => Buffer.from(frame));
  }

  stamp(): Buffer {
    const frame = this.#frames[this.#next]!;
    this.#next = (this.#next + 1) % this.#frames.length;
    let micros = Math.round(preciseNow() * 1000);
    for (let i = this.#digitsAt + SENT_AT_DIGITS - 1; i >= this.#digitsAt; i--) {
      frame[i] = 48 + (micros % 10);
      micros = Math.floor(micros / 10);
    }
    return frame;
  }
}

/**
 * Sends `n` messages at `rate` per second to every peer of a group, each with its own
 * send time; the order of the peers alternates from one message to the next, so that
 * neither is always served first.
 */
function sendAtRate(peers: Peer[], frames: StampedFrames, n: number, rate: number): void {
  const start = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) {
      for (let i = 0; i < peers.length; i++) {
        const peer = peers[sent % 2 === 0 ? i : peers.length - 1 - i]!;
        if (!peer.open) continue;
        peer.socket.write(frames.stamp());
        peer.sent++;
      }
      sent++;
    }
    if (sent >= n || peers.every((peer) => !peer.open)) {
      for (const peer of peers) peer.close();
    } else {
      setTimeout(tick, 1);
    }
  };
  tick();
}

function main(): void {
  const text = realDialectText();
  const frame = buildFrame(Buffer.from(text));
  const chunk = Buffer.concat(Array.from({ length: FRAMES_PER_CHUNK }, () => frame));
  const normalClose = closeFrame(1000, 'done');
  const stamped = new StampedFrames(text);
  /** Rate groups waiting for their members. */
  const groups = new Map<string, Peer[]>();

  const refuse: RequestListener = (_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
  };
  // BENCH_SERVER_TLS=1 (BenchServer.start({ tls: true })): wss:// with the tests' certificate.
  const server =
    process.env.BENCH_SERVER_TLS === '1'
      ? createTlsServer({ cert: TEST_CERT, key: TEST_KEY }, refuse)
      : createServer(refuse);

  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const key = request.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const tag = url.searchParams.get('tag') ?? '';
    const path = url.pathname;
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.setNoDelay(true);
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    send({ event: 'open', tag, path, t: preciseNow() });
    const peer = new Peer(socket, tag, path, normalClose, head);

    const n = Number(url.searchParams.get('n') ?? '0');
    switch (path) {
      case '/flood': {
        void (async () => {
          let left = n;
          while (left > 0 && !socket.destroyed) {
            const k = Math.min(left, FRAMES_PER_CHUNK);
            const ok = socket.write(k === FRAMES_PER_CHUNK ? chunk : chunk.subarray(0, k * frame.length));
            left -= k;
            peer.sent += k;
            if (!ok) await drained(socket);
          }
          peer.close();
        })();
        break;
      }
      case '/rate': {
        // ?group=G&size=K: the messages start once K connections of group G are open, and
        // each goes to all of them (the latency case runs its two clients side by side).
        const group = url.searchParams.get('group') ?? tag;
        const size = Number(url.searchParams.get('size') ?? '1');
        const members = groups.get(group) ?? [];
        members.push(peer);
        groups.set(group, members);
        if (members.length >= size) {
          groups.delete(group);
          sendAtRate(members, stamped, n, Number(url.searchParams.get('rate') ?? '1000'));
        }
        break;
      }
      case '/fanin': {
        const interval = Number(url.searchParams.get('interval') ?? '1000');
        // A random phase, so that the clients' messages spread over the interval.
        peer.timers.push(
          setTimeout(() => {
            const beat = () => {
              if (!peer.open) return;
              socket.write(frame);
              peer.sent++;
            };
            beat();
            peer.timers.push(setInterval(beat, interval));
          }, Math.random() * interval),
        );
        break;
      }
      case '/greet':
        socket.write(frame);
        peer.sent = 1;
        break;
      default:
        peer.close();
    }
  });

  server.listen({ host: '127.0.0.1', port: 0, backlog: 2048 }, () => {
    send({ event: 'listening', port: (server.address() as AddressInfo).port });
  });
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('message', (message: { cmd?: string }) => {
    if (message?.cmd === 'stop') stop();
  });
  process.on('disconnect', stop);
}

main();
