/**
 * `--prometheus [HOST:]PORT`: serve `/metrics` for Prometheus (see src/prometheus/). The
 * endpoint binds 127.0.0.1 unless HOST says otherwise, and any other address needs
 * `--prometheus-token-file FILE` (scrapers then send `Authorization: Bearer <token>`). The
 * exporter, and prom-client with it, is loaded only when the flag is given.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isLoopbackHost, parseListenAddress } from '../../prometheus/listen-address.js';
import type { CliFeature } from '../feature.js';
import { UsageError } from '../options.js';

export interface PrometheusSettings {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
}

/** One token on one line, from `path`. */
function readTokenFile(flag: string, path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new UsageError(
      `invalid ${flag}: "${path}" (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  if (token === '' || /[\r\n]/.test(token)) {
    throw new UsageError(`invalid ${flag}: "${path}" (expected one token on one line)`);
  }
  return token;
}

export const prometheusFeature: CliFeature<PrometheusSettings> = {
  name: 'prometheus',

  declare(program: Command): void {
    program
      .option(
        '--prometheus <[host:]port>',
        'serve /metrics for Prometheus on PORT (127.0.0.1 unless HOST is given; any other host needs --prometheus-token-file)',
      )
      .option(
        '--prometheus-token-file <file>',
        'scrapers of --prometheus must send "Authorization: Bearer <token>" with the token read from FILE',
      );
  },

  resolve(flags): PrometheusSettings | undefined {
    const address = flags.prometheus;
    const tokenFile = flags.prometheusTokenFile;
    if (address === undefined) {
      if (tokenFile !== undefined) {
        throw new UsageError(
          `invalid --prometheus-token-file: "${String(tokenFile)}" (it needs --prometheus)`,
        );
      }
      return undefined;
    }
    const text = String(address);
    const parsed = parseListenAddress(text);
    if (parsed === undefined) {
      throw new UsageError(
        `invalid --prometheus: "${text}" (expected [HOST:]PORT with PORT from 0 to 65535, e.g. 9464, 0.0.0.0:9464 or [::1]:9464)`,
      );
    }
    const token =
      tokenFile === undefined ? undefined : readTokenFile('--prometheus-token-file', String(tokenFile));
    if (token === undefined && !isLoopbackHost(parsed.host)) {
      throw new UsageError(
        `invalid --prometheus: "${text}" (listening beyond this machine needs --prometheus-token-file)`,
      );
    }
    return { host: parsed.host, port: parsed.port, token };
  },

  async sinks(settings, context) {
    const [{ PrometheusSink }, { ListenError }] = await Promise.all([
      import('../../prometheus/prometheus-sink.js'),
      import('../../prometheus/endpoint.js'),
    ]);
    const sink = new PrometheusSink({
      host: settings.host,
      port: settings.port,
      ...(settings.token === undefined ? {} : { token: settings.token }),
      logger: context.logger,
    });
    // Bound now, so that a port in use ends the run before it connects anywhere: like a
    // folder that cannot be written, a usage error (exit 2) naming the flag and the value.
    try {
      await sink.listen();
    } catch (error) {
      if (!(error instanceof ListenError)) throw error;
      const address = `${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`;
      throw new UsageError(`invalid --prometheus: "${address}" (${error.reason})`);
    }
    context.stderr.write(`» Prometheus metrics at ${sink.url}\n`);
    return [sink];
  },
};
