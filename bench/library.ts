/**
 * The library side of each case: a {@link MonitoringClient} doing what the matching bare
 * client of baselines.ts does. The library is loaded from dist/ (what the package ships), so
 * `npm run bench` builds first.
 */
import type * as Library from '../src/index.js';
import { TEST_CERT } from '../test/helpers/tls.js';
import { FAN_IN_BATCH, measureWindow, memoryCheckpoint, OPEN_GATE, type WindowGate } from './baselines.js';
import { latencyMs } from './message.js';
import type {
  FanInResult,
  LatencyResult,
  MemoryCheckpoint,
  MemoryResult,
  StormResult,
  ThroughputResult,
} from './results.js';

type FormatType = Library.FormatType;
type MonitoringClient = Library.MonitoringClient;
type Options = Library.MonitoringClientOptions;

let library: Promise<typeof Library> | undefined;

/** dist/index.js, typed by its source. */
export function loadLibrary(): Promise<typeof Library> {
  library ??= import(new URL('../dist/index.js', import.meta.url).href) as Promise<typeof Library>;
  return library;
}

/** Starts a client that connects once, and resolves `closed` when the server closes. */
async function startClient(options: Options): Promise<{ client: MonitoringClient; closed: Promise<void> }> {
  const { MonitoringClient } = await loadLibrary();
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    onClosed = resolve;
  });
  const client = new MonitoringClient({
    notices: null,
    reconnect: false,
    ...options,
    onDisconnect: () => onClosed(),
  });
  await client.start();
  return { client, closed };
}

/** Each message formatted in `format` and written to stdout (the harness points it at /dev/null). */
export async function libThroughput(uri: string, format: FormatType): Promise<ThroughputResult> {
  const { client, closed } = await startClient({ uri, formatType: format, output: process.stdout });
  await closed;
  await client.stop();
  return { received: client.getStatistics().messagesReceived };
}

/** Send-to-onMessage time of each message after the first `warmup`, `simple` lines to stdout. */
export async function libLatency(uri: string, warmup: number): Promise<LatencyResult> {
  const samples: number[] = [];
  let received = 0;
  const { client, closed } = await startClient({
    uri,
    formatType: 'simple',
    output: process.stdout,
    onMessage: (message) => {
      const latency = latencyMs(message);
      if (++received > warmup) samples.push(latency);
    },
  });
  await closed;
  await client.stop();
  return { received, samples };
}

/** Memory after each of `checkpoints` messages, with the history on (bounded to its default size). */
export async function libMemory(uri: string, checkpoints: readonly number[]): Promise<MemoryResult> {
  const points: MemoryCheckpoint[] = [];
  let received = 0;
  const { client, closed } = await startClient({
    uri,
    storeHistory: true,
    output: null,
    onMessage: () => {
      if (checkpoints.includes(++received)) points.push(memoryCheckpoint(received));
    },
  });
  await closed;
  await client.stop();
  return { received, checkpoints: points };
}

/**
 * `count` clients in this process (no output, no notices, default heartbeat and reconnection);
 * after `warmupMs`, CPU time over `windowMs` and RSS.
 */
export async function libFanIn(
  uri: string,
  count: number,
  warmupMs: number,
  windowMs: number,
  gate: WindowGate = OPEN_GATE,
): Promise<FanInResult> {
  const { MonitoringClient } = await loadLibrary();
  const clients: MonitoringClient[] = [];
  let received = 0;
  const onMessage = () => {
    received++;
  };
  for (let i = 0; i < count; i += FAN_IN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + FAN_IN_BATCH); j++) {
      const client = new MonitoringClient({ uri, output: null, notices: null, onMessage });
      clients.push(client);
      batch.push(client.start());
    }
    await Promise.all(batch);
  }
  const result = await measureWindow(warmupMs, windowMs, () => received, gate);
  await Promise.all(clients.map((client) => client.stop()));
  return result;
}

/**
 * Fan-in through one `MonitoringFleet` of `count` targets (no sink but the count), the way
 * a user watching a fleet runs it: one process, one pipeline.
 */
export async function fleetFanIn(
  uri: string,
  count: number,
  warmupMs: number,
  windowMs: number,
  gate: WindowGate = OPEN_GATE,
): Promise<FanInResult> {
  const { MonitoringFleet } = await loadLibrary();
  let received = 0;
  const fleet = new MonitoringFleet({
    targets: Array.from({ length: count }, (_v, i) => ({ name: `t${i}`, uri })),
    sinks: [
      {
        name: 'count',
        write: () => {
          received++;
        },
      },
    ],
  });
  await fleet.start();
  for (let i = 0; i < count; i += FAN_IN_BATCH) {
    await Promise.all(
      fleet
        .targetNames()
        .slice(i, i + FAN_IN_BATCH)
        .map((name) => fleet.whenConnected(name)),
    );
  }
  const result = await measureWindow(warmupMs, windowMs, () => received, gate);
  await fleet.stop();
  return result;
}

/** How long a storm run may take before it counts as never all up. */
const STORM_LIMIT_MS = 120_000;

/**
 * `count` wss:// targets of one fleet started at once, with the fleet's bound on handshakes
 * in flight (`bounded`) or without (`maxConnecting: null`): how long until all are up, and
 * how many handshakes ran out of time on the way.
 */
export async function fleetStorm(uri: string, count: number, bounded: boolean): Promise<StormResult> {
  const { MonitoringFleet } = await loadLibrary();
  const fleet = new MonitoringFleet({
    targets: Array.from({ length: count }, (_v, i) => ({ name: `t${i}`, uri })),
    ca: TEST_CERT,
    ...(bounded ? {} : { maxConnecting: null }),
  });
  const up = new Set<string>();
  let connectTimeouts = 0;
  let allUp!: () => void;
  const done = new Promise<void>((resolve) => {
    allUp = resolve;
  });
  fleet.on('connected', ({ target }) => {
    up.add(target);
    if (up.size === count) allUp();
  });
  fleet.on('connection_error', ({ code }) => {
    if (code === 'CONNECT_TIMEOUT') connectTimeouts++;
  });
  const started = performance.now();
  await fleet.start();
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    done.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STORM_LIMIT_MS);
    }),
  ]);
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  await fleet.stop();
  return { secondsToAllUp: inTime ? seconds : null, connectTimeouts, rssMb };
}
