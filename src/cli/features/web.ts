/**
 * `--web [HOST:]PORT`: the live web dashboard (src/web/) as a feature of the command line.
 * It listens on 127.0.0.1 unless told otherwise; any other address needs a token, read from
 * `--web-token-file` or generated for the run and printed once on stderr with the URL.
 * With `--record FILE` too, the detail view's charts read the recording beside the memory.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { InvalidOptionError } from '../../errors.js';
import type { Sink } from '../../pipeline/sink.js';
import { generateToken, tokenProblem } from '../../web/access.js';
import { isPrivateBind, parseWebAddress, type WebAddress } from '../../web/address.js';
import { WebDashboardError } from '../../web/web-error.js';
import { WebSink } from '../../web/web-sink.js';
import type { CliFeature, FeatureContext } from '../feature.js';
import { UsageError } from '../options.js';

export interface WebSettings {
  readonly address: WebAddress;
  /** From --web-token-file; undefined with a loopback address, or when one is generated. */
  readonly token: string | undefined;
  /** True when the address needs a token and no file gave one: one is made for the run. */
  readonly generateToken: boolean;
  readonly allowedHosts: readonly string[];
  /** The `--record` file, when recording too: the charts then reach back over it. */
  readonly recording: string | undefined;
}

interface WebFlags {
  web?: string;
  /** The record feature's flag: read here, not declared. */
  record?: string;
  webTokenFile?: string;
  webAllowedHost?: string[];
}

function collectHost(value: string, previous: string[] = []): string[] {
  if (!/^[A-Za-z0-9.-]+$/.test(value))
    throw new InvalidArgumentError('expected a host name, e.g. dash.example.com');
  return [...previous, value];
}

export const webFeature: CliFeature<WebSettings> = {
  name: 'web',

  declare(program: Command): void {
    program
      .option(
        '--web <[host:]port>',
        'serve the live web dashboard on HOST:PORT (host 127.0.0.1 unless given; any other needs a token)',
      )
      .option(
        '--web-token-file <file>',
        'require the token read from FILE on every request to the dashboard (generated when needed and absent)',
      )
      .option(
        '--web-allowed-host <name>',
        'a host name the dashboard answers to besides IP addresses and localhost (repeatable)',
        collectHost,
      );
  },

  resolve(flags): WebSettings | undefined {
    const { web, webTokenFile, webAllowedHost, record } = flags as WebFlags;
    if (web === undefined) {
      if (webTokenFile !== undefined)
        throw new UsageError('invalid --web-token-file: it needs --web [HOST:]PORT');
      if (webAllowedHost !== undefined)
        throw new UsageError('invalid --web-allowed-host: it needs --web [HOST:]PORT');
      return undefined;
    }
    let address: WebAddress;
    try {
      address = parseWebAddress(web, '--web');
    } catch (error) {
      if (error instanceof InvalidOptionError) throw new UsageError(error.message);
      throw error;
    }
    const token = webTokenFile === undefined ? undefined : readWebToken(webTokenFile);
    return {
      address,
      token,
      generateToken: token === undefined && !isPrivateBind(address.host),
      allowedHosts: webAllowedHost ?? [],
      recording: record,
    };
  },

  async sinks(settings: WebSettings, context: FeatureContext): Promise<Sink[]> {
    const token = settings.generateToken ? generateToken() : settings.token;
    const sink = new WebSink({
      host: settings.address.host,
      port: settings.address.port,
      ...(token === undefined ? {} : { token }),
      allowedHosts: [...settings.allowedHosts],
      ...(settings.recording === undefined ? {} : { recording: settings.recording }),
    });
    try {
      // Listen now, so that a taken port is one clear line before anything else starts.
      await sink.listen();
    } catch (error) {
      if (error instanceof WebDashboardError) {
        throw new UsageError(
          `invalid --web: ${JSON.stringify(`${settings.address.host}:${settings.address.port}`)} (${error.message})`,
        );
      }
      throw error;
    }
    // The generated token is shown here once, and nowhere else (not in logs, not in --stats).
    const url = settings.generateToken ? `${sink.url}?token=${token}` : sink.url;
    context.stderr.write(
      `web dashboard: ${url}${settings.generateToken ? ' (token generated for this run; --web-token-file sets one)' : ''}\n`,
    );
    return [sink];
  },
};

/** One token on one line, in the characters a cookie and a URL carry unchanged. */
function readWebToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new UsageError(
      `invalid --web-token-file: ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  const problem = tokenProblem(token);
  if (problem !== undefined)
    throw new UsageError(`invalid --web-token-file: ${JSON.stringify(path)} (${problem})`);
  return token;
}
