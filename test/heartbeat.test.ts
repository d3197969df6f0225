import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Heartbeat, type HeartbeatPeer } from '../src/transport/heartbeat.js';
import { FakeClock } from './helpers/fake-clock.js';

/** A peer that records what the heartbeat asks of it; `clock.now()` marks each call. */
class RecordingPeer implements HeartbeatPeer {
  pings: number[] = [];
  rtts: number[] = [];
  deaths: number[] = [];
  constructor(private readonly clock: FakeClock) {}
  sendPing(): void {
    this.pings.push(this.clock.now());
  }
  onRoundTrip(rttMs: number): void {
    this.rtts.push(rttMs);
  }
  onDead(): void {
    this.deaths.push(this.clock.now());
  }
}

function setup(intervalMs = 1000, timeoutMs = 300) {
  const clock = new FakeClock();
  const peer = new RecordingPeer(clock);
  const heartbeat = new Heartbeat(peer, clock, intervalMs, timeoutMs);
  return { clock, peer, heartbeat, t0: clock.now() };
}

describe('Heartbeat', () => {
  it('pings every interval while pongs come back, and records the round trip', () => {
    const { clock, peer, heartbeat, t0 } = setup();
    heartbeat.start();
    clock.tick(999);
    assert.equal(peer.pings.length, 0);
    clock.tick(1);
    assert.deepEqual(peer.pings, [t0 + 1000]);
    clock.tick(40);
    heartbeat.pongReceived();
    assert.deepEqual(peer.rtts, [40]);
    // The cadence is ping to ping, not pong to ping.
    clock.tick(960);
    assert.deepEqual(peer.pings, [t0 + 1000, t0 + 2000]);
    heartbeat.pongReceived();
    for (let i = 0; i < 5; i++) {
      clock.tick(1000);
      heartbeat.pongReceived();
    }
    assert.equal(peer.pings.length, 7);
    assert.equal(peer.deaths.length, 0);
    assert.equal(heartbeat.running, true);
  });

  it('declares the link dead when a ping is not answered within the timeout', () => {
    const { clock, peer, heartbeat, t0 } = setup(1000, 300);
    heartbeat.start();
    clock.tick(1299);
    assert.equal(peer.deaths.length, 0);
    clock.tick(1);
    assert.deepEqual(peer.deaths, [t0 + 1300]);
    // Dead once, then silent: nothing left scheduled.
    assert.equal(heartbeat.running, false);
    assert.equal(clock.pending, 0);
    clock.tick(10_000);
    assert.equal(peer.deaths.length, 1);
    assert.equal(peer.pings.length, 1);
  });

  it('detects a peer that falls silent right after a pong within interval + timeout', () => {
    const { clock, peer, heartbeat } = setup(1000, 300);
    heartbeat.start();
    clock.tick(1000);
    clock.tick(10);
    heartbeat.pongReceived();
    const silentSince = clock.now();
    clock.tick(10_000);
    assert.equal(peer.deaths.length, 1);
    assert.ok((peer.deaths[0] as number) - silentSince <= 1000 + 300);
  });

  it('ignores a pong when no ping is outstanding', () => {
    const { clock, peer, heartbeat } = setup();
    heartbeat.start();
    heartbeat.pongReceived();
    clock.tick(500);
    heartbeat.pongReceived();
    assert.deepEqual(peer.rtts, []);
    clock.tick(500);
    assert.equal(peer.pings.length, 1);
  });

  it('stop() cancels the pending ping or deadline; start() begins afresh', () => {
    const { clock, peer, heartbeat, t0 } = setup();
    heartbeat.start();
    clock.tick(1000);
    heartbeat.stop();
    assert.equal(clock.pending, 0);
    clock.tick(5000);
    assert.equal(peer.deaths.length, 0);
    heartbeat.start();
    heartbeat.start();
    assert.equal(clock.pending, 1);
    clock.tick(1000);
    assert.deepEqual(peer.pings, [t0 + 1000, t0 + 7000]);
  });

  it('stays stopped when the peer stops it from inside sendPing', () => {
    const clock = new FakeClock();
    let heartbeat: Heartbeat | undefined;
    const peer: HeartbeatPeer = {
      sendPing: () => heartbeat?.stop(),
      onRoundTrip: () => {},
      onDead: () => assert.fail('a stopped heartbeat must not declare death'),
    };
    heartbeat = new Heartbeat(peer, clock, 100, 50);
    heartbeat.start();
    clock.tick(1000);
    assert.equal(clock.pending, 0);
  });
});
