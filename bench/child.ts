/**
 * A benchmark client process: runs one case (a bare client of baselines.ts or a library
 * client of library.ts), sends the result to the harness over IPC, and exits. Every client
 * runs in a fresh process, so that no case inherits another's heap, JIT state or sockets.
 *
 * Usage (by the harness): node [--expose-gc] bench/.build/child.mjs (compiled.ts) '<ChildSpec as JSON>'
 */
import type { FormatType } from '../src/index.js';
import { bareFanIn, bareLatency, bareMemory, bareThroughput, type ThroughputBaseline } from './baselines.js';
import { fleetFanIn, fleetStorm, libFanIn, libLatency, libMemory, libThroughput } from './library.js';

/** One case for one client process. */
export type ChildSpec =
  | { case: 'throughput'; impl: 'bare'; kind: ThroughputBaseline; uri: string; saveData?: string }
  | { case: 'throughput'; impl: 'lib'; format: FormatType; uri: string }
  | { case: 'latency'; impl: 'bare' | 'lib'; uri: string; warmup: number }
  | { case: 'memory'; impl: 'bare' | 'lib'; uri: string; checkpoints: number[] }
  | {
      case: 'fanin';
      impl: 'bare' | 'lib' | 'fleet';
      uri: string;
      count: number;
      warmupMs: number;
      windowMs: number;
      /** Run beside other clients (harness.runSideBySide): connect, say so, start the window when told. */
      sideBySide?: boolean;
    }
  | { case: 'storm'; impl: 'bounded' | 'unbounded'; uri: string; count: number };

/** What the child sends to the harness. */
export type ChildReport = { ok: true; result: unknown } | { ok: false; error: string };

/** Sent before the report by a side-by-side child: it is connected. */
export interface ChildReady {
  ready: true;
}

/** Side by side: tells the harness this client is connected, and waits for its word to go on. */
function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    process.once('message', () => resolve());
    process.send?.({ ready: true } satisfies ChildReady);
  });
}

function run(spec: ChildSpec): Promise<unknown> {
  switch (spec.case) {
    case 'throughput':
      return spec.impl === 'bare'
        ? bareThroughput(spec.uri, spec.kind, spec.saveData)
        : libThroughput(spec.uri, spec.format);
    case 'latency':
      return (spec.impl === 'bare' ? bareLatency : libLatency)(spec.uri, spec.warmup);
    case 'memory':
      return (spec.impl === 'bare' ? bareMemory : libMemory)(spec.uri, spec.checkpoints);
    case 'fanin':
      return (spec.impl === 'bare' ? bareFanIn : spec.impl === 'fleet' ? fleetFanIn : libFanIn)(
        spec.uri,
        spec.count,
        spec.warmupMs,
        spec.windowMs,
        spec.sideBySide ? waitForGo : undefined,
      );
    case 'storm':
      return fleetStorm(spec.uri, spec.count, spec.impl === 'bounded');
  }
}

function report(message: ChildReport): void {
  // Disconnecting lets the process exit as soon as its own work is done: the harness times
  // the exit in throughput cases.
  process.send?.(message, () => process.disconnect());
}

run(JSON.parse(process.argv[2] ?? '{}') as ChildSpec).then(
  (result) => report({ ok: true, result }),
  (error: unknown) => {
    process.exitCode = 1;
    report({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  },
);
