/**
 * A real Prometheus (the Debian package `prometheus`, /usr/bin/prometheus) for end-to-end
 * tests: started on a free loopback port with a generated configuration that scrapes the
 * given targets every `scrapeInterval`, its storage in a temporary folder, and queried
 * through its HTTP API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface ScrapeTarget {
  /** `127.0.0.1:PORT`. */
  address: string;
  bearerToken?: string;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

/** A free TCP port on 127.0.0.1 (free when this returns; Prometheus takes it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export class PrometheusServer {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  #stderr = '';

  private constructor(child: ChildProcess, url: string, dir: string) {
    this.#child = child;
    this.url = url;
    this.#dir = dir;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-8000);
    });
  }

  /** Starts Prometheus; resolves once it answers `/-/ready`. Fails with a clear message when it is not installed. */
  static async start(
    targets: readonly ScrapeTarget[],
    options: { scrapeInterval?: string; bin?: string } = {},
  ): Promise<PrometheusServer> {
    const bin = options.bin ?? PROMETHEUS_BIN;
    const scrapeInterval = options.scrapeInterval ?? '250ms';
    if (!existsSync(bin)) {
      throw new Error(
        `Prometheus is not installed (${bin}): this end-to-end test needs it. ` +
          'Install the Debian package: apt-get install -y prometheus (or set PROMETHEUS_BIN).',
      );
    }
    const dir = await mkdtemp(join(tmpdir(), 'mwc-prometheus-'));
    const jobs = targets.map((target, i) => {
      const auth = target.bearerToken
        ? `    authorization:\n      credentials: ${JSON.stringify(target.bearerToken)}\n`
        : '';
      return `  - job_name: monitoring-${i}\n    static_configs:\n      - targets: [${JSON.stringify(target.address)}]\n${auth}`;
    });
    const config = `global:\n  scrape_interval: ${scrapeInterval}\n  scrape_timeout: ${scrapeInterval}\nscrape_configs:\n${jobs.join('')}`;
    await writeFile(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    const child = spawn(
      bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const server = new PrometheusServer(child, `http://127.0.0.1:${port}`, dir);
    const exited = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`Prometheus exited (code ${code}):\n${server.#stderr}`)));
    });
    exited.catch(() => {});
    try {
      await Promise.race([server.#waitReady(20_000), exited]);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  async #waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(`${this.url}/-/ready`);
        await response.text();
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline)
        throw new Error(`Prometheus not ready after ${timeoutMs} ms:\n${this.#stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** An instant query (`/api/v1/query`); the samples of its vector result. */
  async query(promql: string): Promise<VectorSample[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || body.data?.resultType !== 'vector') {
      throw new Error(`query ${promql} failed: ${body.error ?? JSON.stringify(body)}`);
    }
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Health of each scrape target as Prometheus sees it (`/api/v1/targets`). */
  async targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]> {
    const response = await fetch(`${this.url}/api/v1/targets`);
    const body = (await response.json()) as {
      data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
    };
    return body.data.activeTargets;
  }

  /** Polls `check` until it returns a value other than undefined; rejects after `timeoutMs`, with the last reason. */
  async until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await check();
      if (result !== undefined) return result;
      if (Date.now() > deadline) {
        const targets = await this.targets().catch(() => []);
        throw new Error(
          `timed out waiting for ${what}; Prometheus targets: ${JSON.stringify(targets)}\n${this.#stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}
