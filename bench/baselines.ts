/**
 * The baselines: bare `ws` clients doing the mandatory work of each case and nothing else,
 * written the way anyone would write them. Each library case is compared with the one that
 * does the same work (see the table in bench/README.md):
 *
 *   receive   count the frames                                 (the transport's limit)
 *   parse     + JSON.parse                                     (a library must parse)
 *   line      + one `simple` line per message, process.stdout.write() each
 *   save      + append the raw message to a file, pausing the socket while the file stream
 *               is over its high-water mark of 1 MiB (backpressure), as --save-data must
 *
 * Each function connects, works until the server closes, and resolves with what it saw.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import WebSocket from 'ws';
import { allowedCpus } from './affinity.js';
import { latencyMs, preciseNow } from './message.js';
import type {
  FanInResult,
  LatencyResult,
  MemoryCheckpoint,
  MemoryResult,
  ThroughputResult,
} from './results.js';

export type ThroughputBaseline = 'receive' | 'parse' | 'line' | 'save';

type Metrics = {
  processor?: { usage_percent?: number };
  memory?: { percentage?: number };
  disk?: { percentage?: number };
};

/** The `simple` format's line, built the obvious way. */
function simpleLine(message: { data?: Metrics }): string {
  const data = message.data ?? {};
  return `CPU: ${percent(data.processor?.usage_percent)} | RAM: ${percent(data.memory?.percentage)} | Disk: ${percent(data.disk?.percentage)}\n`;
}

function percent(value: number | undefined): string {
  return typeof value === 'number' ? `${value.toFixed(1)}%` : 'n/a';
}

function connect(uri: string): WebSocket {
  // As the library does: no permessage-deflate (it costs about 20x in throughput).
  return new WebSocket(uri, { perMessageDeflate: false });
}

function closed(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

/** Receives frames until the server closes; `saveData` is the file for the `save` kind. */
export async function bareThroughput(
  uri: string,
  kind: ThroughputBaseline,
  saveData?: string,
): Promise<ThroughputResult> {
  const socket = connect(uri);
  let received = 0;
  // A 1 MiB buffer before backpressure pauses the socket: with the default 16 KiB, pausing
  // every ~20 messages costs about a quarter of the throughput.
  const file =
    kind === 'save' ? createWriteStream(saveData ?? '', { flags: 'a', highWaterMark: 2 ** 20 }) : undefined;
  switch (kind) {
    case 'receive':
      socket.on('message', () => {
        received++;
      });
      break;
    case 'parse':
      socket.on('message', (data) => {
        JSON.parse(String(data));
        received++;
      });
      break;
    case 'line':
      socket.on('message', (data) => {
        process.stdout.write(simpleLine(JSON.parse(String(data))));
        received++;
      });
      break;
    case 'save':
      socket.on('message', (data) => {
        const text = String(data);
        process.stdout.write(simpleLine(JSON.parse(text)));
        received++;
        if (!file!.write(`${text}\n`)) {
          socket.pause();
          file!.once('drain', () => socket.resume());
        }
      });
      break;
  }
  await closed(socket);
  if (file)
    await new Promise<void>((resolve, reject) =>
      file.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  return { received };
}

/**
 * Latency of each message after the first `warmup`, in ms: parse, read `sent_at_us`, then write
 * the message's line to stdout (as the library's client does after its onMessage).
 */
export async function bareLatency(uri: string, warmup: number): Promise<LatencyResult> {
  const socket = connect(uri);
  const samples: number[] = [];
  let received = 0;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { sent_at_us: number; data?: Metrics };
    const latency = latencyMs(message);
    if (++received > warmup) samples.push(latency);
    process.stdout.write(simpleLine(message));
  });
  await closed(socket);
  return { received, samples };
}

/** Memory after each of `checkpoints` messages (after a full GC), parsing every message. */
export async function bareMemory(uri: string, checkpoints: readonly number[]): Promise<MemoryResult> {
  const socket = connect(uri);
  const points: MemoryCheckpoint[] = [];
  let received = 0;
  socket.on('message', (data) => {
    JSON.parse(String(data));
    if (checkpoints.includes(++received)) points.push(memoryCheckpoint(received));
  });
  await closed(socket);
  return { received, checkpoints: points };
}

/** Full GC (needs --expose-gc), then memory figures in MB. */
export function memoryCheckpoint(messages: number): MemoryCheckpoint {
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return { messages, rssMb: usage.rss / 2 ** 20, heapUsedMb: usage.heapUsed / 2 ** 20 };
}

/**
 * `count` connections in this process, each parsing its messages; after `warmupMs`, CPU time
 * over `windowMs` and RSS.
 */
export async function bareFanIn(
  uri: string,
  count: number,
  warmupMs: number,
  windowMs: number,
  gate: WindowGate = OPEN_GATE,
): Promise<FanInResult> {
  const sockets: WebSocket[] = [];
  let received = 0;
  const onMessage = (data: WebSocket.RawData) => {
    JSON.parse(String(data));
    received++;
  };
  for (let i = 0; i < count; i += FAN_IN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + FAN_IN_BATCH); j++) {
      const socket = connect(uri);
      socket.on('message', onMessage);
      sockets.push(socket);
      batch.push(
        new Promise((resolve, reject) => {
          socket.once('open', () => resolve());
          socket.once('error', reject);
        }),
      );
    }
    await Promise.all(batch);
  }
  const result = await measureWindow(warmupMs, windowMs, () => received, gate);
  await Promise.all(
    sockets.map((socket) => {
      const done = closed(socket);
      socket.close();
      return done;
    }),
  );
  return result;
}

/** Connections opened at once, so as not to overflow the server's accept backlog. */
export const FAN_IN_BATCH = 100;

/** RSS samples per second in a window. */
const RSS_SAMPLES_PER_SECOND = 4;

/** Resolves when a window may start: at once, or, side by side, when the harness says so. */
export type WindowGate = () => Promise<void>;
export const OPEN_GATE: WindowGate = () => Promise.resolve();

/**
 * Waits for `gate`, then `warmupMs`, then measures CPU time, messages and RSS over
 * `windowMs`. RSS is the mean of samples taken through the window, with its peak: one sample
 * fell anywhere on the old generation's sawtooth (up to 10 MB apart between identical runs
 * of 1,000 targets).
 */
export async function measureWindow(
  warmupMs: number,
  windowMs: number,
  messages: () => number,
  gate: WindowGate = OPEN_GATE,
): Promise<FanInResult> {
  await gate();
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  // bench/profile.ts asks for a CPU profile of the window alone (not of the connections' setup).
  const profileFile = process.env.BENCH_PROFILE_WINDOW;
  const session = profileFile ? await startProfile() : undefined;
  const messagesStart = messages();
  const cpuStart = process.cpuUsage();
  const wallStart = preciseNow();
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage.rss()), 1000 / RSS_SAMPLES_PER_SECOND);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  clearInterval(sampler);
  rss.push(process.memoryUsage.rss());
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = preciseNow() - wallStart;
  if (session && profileFile) await stopProfile(session, profileFile);
  const messagesInWindow = messages() - messagesStart;
  const usage = process.memoryUsage();
  const cpus = allowedCpus();
  return {
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    rssMb: rss.reduce((sum, bytes) => sum + bytes, 0) / rss.length / 2 ** 20,
    rssPeakMb: Math.max(...rss) / 2 ** 20,
    heapUsedMb: usage.heapUsed / 2 ** 20,
    messagesInWindow,
    windowMs: wallMs,
    ...(cpus === undefined ? {} : { cpusAllowed: cpus }),
  };
}

async function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<void>((resolve, reject) =>
      session.post(method, (error) => (error ? reject(error) : resolve())),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return session;
}

async function stopProfile(session: Session, file: string): Promise<void> {
  const profile = await new Promise<unknown>((resolve, reject) =>
    session.post('Profiler.stop', (error, result) => (error ? reject(error) : resolve(result.profile))),
  );
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}
