import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import type { FeatureContext } from '../src/cli/feature.js';
import { FEATURES } from '../src/cli/features/index.js';
import { type WebSettings, webFeature } from '../src/cli/features/web.js';
import { UsageError } from '../src/cli/options.js';
import { silentLogger } from '../src/logger.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { WebSink } from '../src/web/web-sink.js';
import { httpGet, requireBuiltPage } from './helpers/web-page.js';

/** Parses `argv` with the feature's flags only, as the command line does, and resolves them. */
function resolve(argv: string[]): WebSettings | undefined {
  const program = new Command()
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({ writeErr: () => {} });
  webFeature.declare(program);
  program.parse(argv, { from: 'user' });
  return webFeature.resolve(program.opts(), {}, undefined);
}

function context(): FeatureContext & { errText(): string } {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return {
    stdout: new PassThrough(),
    stderr,
    env: {},
    logger: silentLogger,
    color: false,
    targetNames: [],
    signal: new AbortController().signal,
    end: () => {},
    errText: () => text,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'mwc-web-feature-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('the --web feature', () => {
  it('is listed among the command line features', () => {
    assert.ok(FEATURES.includes(webFeature as never));
  });

  it('is off without --web, and its other flags need --web', () => {
    assert.equal(resolve([]), undefined);
    assert.throws(() => resolve(['--web-token-file', 'x']), /invalid --web-token-file: it needs --web/);
    assert.throws(
      () => resolve(['--web-allowed-host', 'a.example']),
      /invalid --web-allowed-host: it needs --web/,
    );
  });

  it('reads PORT and HOST:PORT; only a loopback address goes without a token', () => {
    assert.deepEqual(resolve(['--web', '8080']), {
      address: { host: '127.0.0.1', port: 8080 },
      token: undefined,
      generateToken: false,
      allowedHosts: [],
      recording: undefined,
    });
    assert.equal(resolve(['--web', '0.0.0.0:8080'])?.generateToken, true);
    assert.equal(resolve(['--web', '127.0.0.2:8080'])?.generateToken, true);
    const token = file('token', 'file-token-0123456789abcdef\n');
    assert.deepEqual(
      resolve(['--web', '0.0.0.0:1', '--web-token-file', token, '--web-allowed-host', 'a.example']),
      {
        address: { host: '0.0.0.0', port: 1 },
        token: 'file-token-0123456789abcdef',
        generateToken: false,
        allowedHosts: ['a.example'],
        recording: undefined,
      },
    );
    // The record feature's flag, as the command line parses it beside --web: the charts read it.
    assert.equal(webFeature.resolve({ web: '8080', record: 'run.db' }, {}, undefined)?.recording, 'run.db');
  });

  it('refuses a bad address or token file with one line naming the flag, the value and what is allowed', () => {
    const cases: [string[], RegExp][] = [
      [['--web', 'nope'], /^invalid --web: "nope" \(expected \[HOST:\]PORT/],
      [
        ['--web', '1', '--web-token-file', join(dir, 'missing')],
        /^invalid --web-token-file: ".*missing" \(ENOENT\)$/,
      ],
      [['--web', '1', '--web-token-file', file('short', 'abc')], /16 to 512 characters/],
      [
        ['--web', '1', '--web-token-file', file('spaces', 'two words are not a token')],
        /16 to 512 characters/,
      ],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => resolve(argv),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
        argv.join(' '),
      );
    }
    assert.throws(() => resolve(['--web', '1', '--web-allowed-host', 'bad name']), /expected a host name/);
  });

  it('listens at once and prints the URL; beyond loopback it prints a generated token once, and refuses without it', async () => {
    requireBuiltPage();
    const io = context();
    const [sink] = (await webFeature.sinks(resolve(['--web', '127.0.0.2:0'])!, io)) as [WebSink];
    const pipeline = new Pipeline({ sinks: [sink] });
    await pipeline.start();
    try {
      const line = io.errText();
      const match =
        /^web dashboard: (http:\/\/127\.0\.0\.2:\d+\/)\?token=([A-Za-z0-9_-]{43}) \(token generated for this run; --web-token-file sets one\)\n$/.exec(
          line,
        );
      assert.ok(match, line);
      const [, url, token] = match;
      assert.equal((await httpGet(`${url}api/targets`)).status, 401);
      assert.equal(
        (await httpGet(`${url}api/targets`, { headers: { Authorization: `Bearer ${token}` } })).status,
        200,
      );
      assert.equal(io.errText(), line, 'printed once');
    } finally {
      await pipeline.close();
    }
  });

  it('prints the URL without a token on loopback, and turns a taken port into a usage error', async () => {
    requireBuiltPage();
    const io = context();
    const [sink] = (await webFeature.sinks(resolve(['--web', '0'])!, io)) as [WebSink];
    try {
      assert.match(io.errText(), /^web dashboard: http:\/\/127\.0\.0\.1:\d+\/\n$/);
      const taken = resolve(['--web', String(sink.port)])!;
      await assert.rejects(
        async () => webFeature.sinks(taken, context()),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message.startsWith(`invalid --web: "127.0.0.1:${sink.port}"`) &&
          error.message.includes('EADDRINUSE'),
      );
    } finally {
      await sink.close();
    }
  });
});
