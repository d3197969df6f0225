/**
 * A real Prometheus Alertmanager (Debian package prometheus-alertmanager) for end-to-end
 * tests: started on a free loopback port with a generated configuration and a temporary
 * storage directory, read back through its own API v2. A missing binary fails the test with
 * a message saying how to install it: never skipped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './test-server.js';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

/** An alert as `GET /api/v2/alerts` returns it (the fields the tests read). */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed' };
}

const CONFIG = `route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
`;

export class Alertmanager {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #exited: Promise<void>;
  #stderr = '';

  private constructor(url: string, child: ChildProcess, dir: string) {
    this.url = url;
    this.#child = child;
    this.#dir = dir;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
  }

  static async start(): Promise<Alertmanager> {
    if (!existsSync(ALERTMANAGER_BIN)) {
      throw new Error(
        `Alertmanager not found at ${ALERTMANAGER_BIN}: install the Debian package prometheus-alertmanager ` +
          '(apt-get install -y prometheus-alertmanager; .ci/run does it) or set ALERTMANAGER_BIN',
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'mwc-alertmanager-'));
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(config, CONFIG);
    const port = await freePort();
    const child = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const manager = new Alertmanager(`http://127.0.0.1:${port}`, child, dir);
    let ready = false;
    const poll = async (): Promise<void> => {
      try {
        ready = (await fetch(`${manager.url}/-/ready`)).ok;
      } catch {
        ready = false;
      }
    };
    try {
      await until(
        () => {
          if (child.exitCode !== null) throw new Error(`Alertmanager exited: ${manager.#stderr}`);
          if (!ready) void poll();
          return ready;
        },
        20_000,
        'Alertmanager to be ready',
      );
    } catch (error) {
      await manager.stop();
      throw error;
    }
    return manager;
  }

  /** Every alert Alertmanager holds that has not ended (its `GET /api/v2/alerts`). */
  async alerts(): Promise<GettableAlert[]> {
    const response = await fetch(`${this.url}/api/v2/alerts`);
    if (!response.ok) throw new Error(`GET /api/v2/alerts: HTTP ${response.status}`);
    return (await response.json()) as GettableAlert[];
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A port free on 127.0.0.1 right now (the OS's choice for port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
