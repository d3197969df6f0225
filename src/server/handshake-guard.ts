/**
 * Bounds what connections cost before they are served. A TCP connection is counted from the
 * moment it is accepted, so a client that never completes its handshake (silent, trickling
 * one byte at a time, stopping half-way through the request or the TLS handshake) holds a
 * slot like a served client:
 *
 *   accept ──▶ pending ──(TLS, HTTP upgrade within handshakeTimeout)──▶ served
 *      │          │ timeout: destroyed
 *      │          └─ refused by the server (401, 403, ...): closes on its own, or at the timeout
 *      └─ too many pending, too many from this address, or too many in all: destroyed at
 *         once, unanswered
 *
 * Every connection, pending or served, counts against `maxPerAddress` and `maxConnections`
 * until its socket closes. A destroyed socket costs no more than the accept. `maxConnections`
 * keeps the process below its open-file limit: past that limit the system would refuse new
 * connections itself, silently (Node reports nothing), and the process could no longer open
 * the files it reads its metrics from.
 */
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../transport/clock.js';

export type GuardRefusal = 'pendingLimit' | 'perAddressLimit' | 'fileLimit' | 'handshakeTimeout';

export interface HandshakeGuardOptions {
  clock: Clock;
  /** Time from accept to the end of the WebSocket handshake, in ms. */
  handshakeTimeoutMs: number;
  /** Connections accepted whose handshake is not complete. */
  maxPending: number;
  /** Connections from one address, pending and served together. */
  maxPerAddress: number;
  /** Connections in all, pending and served together. */
  maxConnections: number;
  /** Told of each connection destroyed by the guard. */
  onRefused(reason: GuardRefusal, address: string): void;
}

interface Pending {
  socket: Socket;
  timer: TimerHandle;
  /** Refused by the server: its end is not a timeout. */
  refused: boolean;
}

/** The address of a peer, IPv4-mapped IPv6 (`::ffff:10.0.0.1`) written as IPv4. */
export function peerAddress(socket: { remoteAddress?: string | undefined }): string {
  const address = socket.remoteAddress ?? '?';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * A connection's key: its peer's address and port, unique among the open connections of one
 * listening port, and the same on the TCP socket and on the TLS socket that wraps it.
 */
function keyOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

export class HandshakeGuard {
  readonly #options: HandshakeGuardOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #perAddress = new Map<string, number>();
  #connections = 0;

  constructor(options: HandshakeGuardOptions) {
    this.#options = options;
  }

  /** Connections whose handshake is not complete. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Open connections, pending and served. */
  get connections(): number {
    return this.#connections;
  }

  /** Open connections from `address`, pending and served. */
  connectionsFrom(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  /** For the listening server's `connection` event: counts the TCP socket, or destroys it. */
  accept(socket: Socket): void {
    const address = peerAddress(socket);
    const key = keyOf(socket);
    if (socket.remoteAddress === undefined || this.#pending.has(key)) {
      // Gone already (reset before we saw it): nothing to count.
      socket.destroy();
      return;
    }
    if (this.#pending.size >= this.#options.maxPending) {
      socket.destroy();
      this.#options.onRefused('pendingLimit', address);
      return;
    }
    if (this.#connections >= this.#options.maxConnections) {
      socket.destroy();
      this.#options.onRefused('fileLimit', address);
      return;
    }
    if (this.connectionsFrom(address) >= this.#options.maxPerAddress) {
      socket.destroy();
      this.#options.onRefused('perAddressLimit', address);
      return;
    }
    this.#connections += 1;
    this.#perAddress.set(address, this.connectionsFrom(address) + 1);
    const pending: Pending = {
      socket,
      refused: false,
      timer: this.#options.clock.setTimeout(() => {
        this.#pending.delete(key);
        socket.destroy();
        if (!pending.refused) this.#options.onRefused('handshakeTimeout', address);
      }, this.#options.handshakeTimeoutMs),
    };
    this.#pending.set(key, pending);
    socket.once('close', () => {
      if (this.#pending.get(key) === pending) {
        this.#pending.delete(key);
        this.#options.clock.clearTimeout(pending.timer);
      }
      this.#connections -= 1;
      const left = this.connectionsFrom(address) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
  }

  /**
   * The connection of `socket` (the TCP socket or its TLS socket) completed its handshake:
   * it is served, no longer pending. False when it is not pending (timed out meanwhile).
   */
  served(socket: Socket): boolean {
    const key = keyOf(socket);
    const pending = this.#pending.get(key);
    if (pending === undefined) return false;
    this.#pending.delete(key);
    this.#options.clock.clearTimeout(pending.timer);
    return true;
  }

  /** The server refused the connection of `socket`: if it lingers, the timeout ends it uncounted. */
  refused(socket: Socket): void {
    const pending = this.#pending.get(keyOf(socket));
    if (pending !== undefined) pending.refused = true;
  }

  /** Destroys every pending connection (at shutdown). */
  close(): void {
    for (const pending of this.#pending.values()) {
      this.#options.clock.clearTimeout(pending.timer);
      pending.socket.destroy();
    }
    this.#pending.clear();
  }
}
