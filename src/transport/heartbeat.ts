/**
 * Dead-link detection with WebSocket ping frames. A TCP connection whose peer vanished (cable
 * pulled, VM frozen, NAT entry expired) sends no close and no error; only an unanswered ping
 * reveals it.
 *
 *   start() ── intervalMs ──▶ ping ── pong within timeoutMs ──▶ (next ping intervalMs after the last)
 *                                 └─ no pong within timeoutMs ──▶ onDead()
 *
 * A peer that stops answering right after a pong is therefore declared dead at most
 * `intervalMs + timeoutMs` later. Depends only on {@link HeartbeatPeer} and a {@link Clock}.
 */
import type { Clock, TimerHandle } from './clock.js';

/** What the heartbeat drives: the connection it watches. */
export interface HeartbeatPeer {
  /** Sends one protocol ping frame. */
  sendPing(): void;
  /** A pong arrived `rttMs` milliseconds after its ping. */
  onRoundTrip(rttMs: number): void;
  /** No pong arrived within the timeout: the link is dead. Called once; the heartbeat is stopped. */
  onDead(): void;
}

export class Heartbeat {
  readonly #peer: HeartbeatPeer;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  /** One timer at a time: either until the next ping or until the pong deadline. */
  #timer: TimerHandle | undefined;
  /** When the unanswered ping was sent; undefined while no ping is outstanding. */
  #pingSentAt: number | undefined;

  /**
   * @param intervalMs milliseconds between pings (from one ping to the next).
   * @param timeoutMs milliseconds a ping may stay unanswered.
   */
  constructor(peer: HeartbeatPeer, clock: Clock, intervalMs: number, timeoutMs: number) {
    this.#peer = peer;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  /** True between start() and stop() (or death). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Schedules the first ping `intervalMs` from now; restarts if already running. */
  start(): void {
    this.stop();
    this.#timer = this.#clock.setTimeout(this.#onTimer, this.#intervalMs);
  }

  /** Cancels the pending ping or deadline. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pingSentAt = undefined;
  }

  /** To be called on every pong frame; an unsolicited pong (none outstanding) is ignored. */
  pongReceived(): void {
    const sentAt = this.#pingSentAt;
    if (sentAt === undefined || this.#timer === undefined) return;
    const now = this.#clock.now();
    this.#clock.clearTimeout(this.#timer);
    this.#pingSentAt = undefined;
    // Keep the ping cadence: the next ping goes intervalMs after the previous one, not after the pong.
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, sentAt + this.#intervalMs - now));
    this.#peer.onRoundTrip(now - sentAt);
  }

  // One bound callback for every timer, so a running heartbeat allocates no closures.
  readonly #onTimer = (): void => {
    if (this.#pingSentAt !== undefined) {
      this.#timer = undefined;
      this.#pingSentAt = undefined;
      this.#peer.onDead();
      return;
    }
    this.#pingSentAt = this.#clock.now();
    this.#timer = this.#clock.setTimeout(this.#onTimer, this.#timeoutMs);
    this.#peer.sendPing();
  };
}
