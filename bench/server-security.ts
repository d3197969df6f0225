/**
 * 6. What authentication and TLS cost the server: messages per second delivered to 100
 * clients, and the time to connect them, for `ws://`, `ws://` with a token, `wss://` and
 * `wss://` with a token, each beside plain `ws://` measured in the same round.
 *
 * The server (`MonitoringServer`, with the defaults but for the per-address cap: the 100
 * clients share 127.0.0.1) runs in this process; the clients (bare ws, server-clients.ts) in
 * one child process. The server broadcasts the real `monitoring_data` text in windows: the
 * next window goes once every client has the previous one, so buffers stay bounded and what
 * is measured is delivery, not queueing. Each broadcast gets its own turn of the event loop,
 * as each interval's does. Besides the rate (which the clients' process may
 * limit: both share the machine), the server's own CPU time per message delivered.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MonitoringServer, type MonitoringServerOptions } from '../src/server/monitoring-server.js';
import { TEST_CERT, TEST_KEY } from '../test/helpers/tls.js';
import { compiledEntry } from './compiled.js';
import { childEnv, ROOT } from './harness.js';
import { realDialectText } from './message.js';
import { type Summary, summarize } from './results.js';
import type { ClientsReport, ClientsSpec } from './server-clients.js';
import type { Row, Settings } from './suites.js';

const CLIENTS_ENTRY = fileURLToPath(new URL('./server-clients.ts', import.meta.url));
const CLIENTS = 100;
const WINDOW = 100;
const TOKEN = 'bench-token-7e4a19c2d05b';

const CASES = ['ws://', 'ws:// + token', 'wss://', 'wss:// + token'] as const;
type Case = (typeof CASES)[number];

interface Measure {
  /** Messages delivered per second, all clients together. */
  deliveries: number;
  /** Milliseconds from the first connection attempt until all clients are connected. */
  connectMs: number;
  /** CPU time of the server's process (user + system) per message delivered, in microseconds. */
  cpuPerMessageUs: number;
}

/** Waits for the clients' next report that satisfies `accept`; rejects if they fail or exit. */
function nextReport(child: ChildProcess, accept: (r: ClientsReport) => boolean): Promise<ClientsReport> {
  return new Promise((resolve, reject) => {
    const onMessage = (report: ClientsReport) => {
      if (report.event === 'failed') finish(() => reject(new Error(`bench clients: ${report.error}`)));
      else if (accept(report)) finish(() => resolve(report));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`bench clients exited (${code})`)));
    const finish = (settle: () => void) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function measure(name: Case, messages: number): Promise<Measure> {
  const tls = name.startsWith('wss');
  const token = name.endsWith('token');
  const options: MonitoringServerOptions = {
    port: 0,
    interval: 86400,
    maxClientsPerAddress: CLIENTS + 10,
    metricsSource: { collect: async () => ({}) as never },
    ...(tls ? { tls: { cert: TEST_CERT, key: TEST_KEY } } : {}),
    ...(token ? { token: TOKEN } : {}),
  };
  const server = new MonitoringServer(options);
  const { url } = await server.start();
  const spec: ClientsSpec = {
    url,
    count: CLIENTS,
    messages,
    window: WINDOW,
    ...(token ? { token: TOKEN } : {}),
    ...(tls ? { ca: TEST_CERT } : {}),
  };
  const child = spawn(process.execPath, [compiledEntry(CLIENTS_ENTRY), JSON.stringify(spec)], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const connected = await nextReport(child, (r) => r.event === 'connected');
    const text = realDialectText();
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let sent = 0; sent < messages; ) {
      const upTo = Math.min(messages, sent + WINDOW);
      while (sent < upTo) {
        server.broadcast(text);
        sent += 1;
        // One message per turn of the event loop, as the server's interval sends them: the
        // sockets' writes complete in between, so no write is coalesced with the next message's.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await nextReport(child, (r) => r.event === 'received' && r.upTo >= upTo);
    }
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    if (server.clientsDropped > 0) throw new Error(`${name}: ${server.clientsDropped} clients dropped`);
    return {
      deliveries: (messages * CLIENTS) / seconds,
      connectMs: (connected as { connectMs: number }).connectMs,
      cpuPerMessageUs: (used.user + used.system) / (messages * CLIENTS),
    };
  } finally {
    child.disconnect();
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    await server.stop();
  }
}

export async function serverSecuritySuite(
  settings: Settings,
  progress: (text: string) => void,
): Promise<Row[]> {
  // Each message is a turn of the event loop for 100 clients: 2,000 take some 10 s a case.
  const messages = settings.quick ? 500 : 2000;
  const rounds = settings.quick ? 2 : 3;
  const results = Object.fromEntries(CASES.map((name) => [name, [] as Measure[]])) as Record<Case, Measure[]>;
  for (let round = 0; round < rounds; round++) {
    // Plain ws:// is measured in every round, beside each other case, order reversed every other round.
    const order = round % 2 === 0 ? CASES : [...CASES].reverse();
    for (const name of order) {
      progress(`server round ${round + 1}/${rounds}: ${name}`);
      results[name].push(await measure(name, messages));
    }
  }
  const suite = `6. server: authentication and TLS cost (${CLIENTS} clients in one process, ${messages.toLocaleString('en-US')} messages of 720 B each, ${rounds} rounds)`;
  const ratio = (values: number[], baseline: number[]): Summary =>
    summarize(values.map((value, i) => value / baseline[i]!));
  const rows: Row[] = [];
  const plain = results['ws://'];
  for (const [figure, unit, pick] of [
    ['messages delivered', 'msg/s', (m: Measure) => m.deliveries],
    ['server CPU per message delivered', 'us', (m: Measure) => m.cpuPerMessageUs],
    [`connect ${CLIENTS} clients`, 'ms', (m: Measure) => m.connectMs],
  ] as const) {
    rows.push({ suite, name: `ws://: ${figure}`, unit, value: summarize(plain.map(pick)) });
    for (const name of CASES.slice(1)) {
      rows.push({
        suite,
        name: `${name}: ${figure}`,
        unit,
        value: summarize(results[name].map(pick)),
        baselineName: `ws://: ${figure}`,
        baseline: summarize(plain.map(pick)),
        ratio: ratio(results[name].map(pick), plain.map(pick)),
      });
    }
  }
  return rows;
}
