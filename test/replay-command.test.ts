/**
 * `replay FILE` through every output of the command, with real files: the recording of two
 * real servers played back to jsonl gives what was shown live; alert rules (from --alert and
 * from an --alerts file) fire at the recorded times, timers included (stale); the Prometheus
 * endpoint and the web API serve the replayed values and keep the final state, recorded time
 * standing still, until the run is ended (spawned: SIGINT); the dashboard in a real terminal
 * (tmux) draws the recorded targets and quits with q; every flag replay cannot honour is one
 * line naming it, exit 2. Spawned parts need dist/ (`npm test` builds it) and tmux.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { run } from '../src/cli/run.js';
import { parseExposition } from './helpers/exposition.js';
import { runInProcess } from './helpers/in-process-cli.js';
import { CLI_BIN, killAll, REPO, runCli } from './helpers/processes.js';
import { metricsFrame, writeRecording } from './helpers/recording.js';
import { TestServer, until } from './helpers/test-server.js';
import { Tmux } from './helpers/tmux.js';

const T0 = Date.UTC(2026, 10, 25, 2, 0, 0);

let tmp: string;
/** A 2-minute recording: gpu-3 every second (CPU 97 % from 40 s to 90 s, else 20 %), web every second until 60 s. */
let session: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mwc-replay-cli-'));
  session = join(tmp, 'session.db');
  const frames: [string, number, { cpu: number; seq: number }][] = [];
  for (let i = 0; i < 120; i++) {
    frames.push(['gpu-3', T0 + i * 1000, { cpu: i >= 40 && i < 90 ? 97 : 20, seq: i }]);
    if (i <= 60) frames.push(['web', T0 + i * 1000 + 500, { cpu: 10 + (i % 5), seq: i }]);
  }
  await writeRecording(session, frames);
});

after(() => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
});

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('replay through the outputs of the command', () => {
  it('record two servers, then replay --max-speed -f jsonl: the same lines as shown live, in the same order', async () => {
    const servers = [await TestServer.start(), await TestServer.start()];
    const path = join(tmp, 'two.db');
    const live = runInProcess([
      '-u',
      `a=${servers[0]!.url}`,
      '-u',
      `b=${servers[1]!.url}`,
      '--record',
      path,
      '--ping-interval',
      '0',
      '-f',
      'jsonl',
    ]);
    try {
      await until(() => servers.every((s) => s.wss.clients.size === 1), 5000, 'both connected');
      for (let i = 0; i < 12; i++) {
        await servers[i % 3 === 0 ? 1 : 0]!.broadcast(metricsFrame({ cpu: i, seq: i }));
        await until(() => live.stdout().split('\n').length === i + 2, 5000, `record ${i} shown`);
      }
      live.interrupt();
      assert.equal(await live.exit, 0, live.stderr());
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
    const replay = runInProcess(['replay', path, '--max-speed', '-f', 'jsonl']);
    assert.equal(await replay.exit, 0, replay.stderr());
    assert.equal(live.stdout().split('\n').length, 13);
    assert.equal(replay.stdout(), live.stdout());
  });

  it('--alerts FILE and --alert: rules fire and resolve at the recorded times, a stale rule on the recorded clock', async () => {
    const rules = join(tmp, 'rules.yaml');
    writeFileSync(
      rules,
      [
        'targets:   # a targets file will do: its targets are not used',
        "  - { name: elsewhere, uri: 'ws://10.9.9.9:8765' }",
        'alerts:',
        '  - rule: cpu > 90 for 30s',
        '    severity: critical',
        '    targets: gpu-*',
        '',
      ].join('\n'),
    );
    const events = join(tmp, 'alerts.jsonl');
    const replay = runInProcess([
      'replay',
      session,
      '--max-speed',
      '--alerts',
      rules,
      '--alert',
      'stale 15s',
      '--events',
      events,
      '-f',
      'compact',
    ]);
    assert.equal(await replay.exit, 0, replay.stderr());
    const alerts = jsonLines(readFileSync(events, 'utf8'))
      .filter((e) => e.type === 'alert')
      .map((e) => [e.state, e.rule, e.target, e.at]);
    const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
    assert.deepEqual(alerts, [
      // Over 90 from 40 s: firing 30 s later; back under at 90 s.
      ['firing', 'cpu > 90 for 30s', 'gpu-3', at(70)],
      // web's last data at 60.5 s: stale 15 s later, on the replay's clock (a timer, no data).
      ['firing', 'stale 15s', 'web', at(75.5)],
      ['resolved', 'cpu > 90 for 30s', 'gpu-3', at(90)],
      // Still stale at the end of the recording: resolved as the run ends, at the recorded end.
      ['resolved', 'stale 15s', 'web', at(119)],
    ]);
    assert.match(replay.stderr(), /alert FIRING gpu-3 \[critical\] cpu > 90 for 30s/);
    assert.equal(replay.stdout().trim().split('\n').length, 120 + 61, 'every record displayed');
  });

  it('--on-alert at full speed: the command runs on real time, not killed when recorded seconds fly by', async () => {
    const out = join(tmp, 'on-alert.txt');
    const replay = runInProcess([
      'replay',
      session,
      '--max-speed',
      '--alert',
      'cpu > 90 for 30s',
      '--on-alert',
      `sh -c 'sleep 0.3; echo "$ALERT_STATE $ALERT_TARGET" >> ${out}'`,
      '-f',
      'jsonl',
    ]);
    assert.equal(await replay.exit, 0, replay.stderr());
    // Each command outlives the 10 s it is allowed in recorded time by far, in real time not.
    assert.equal(readFileSync(out, 'utf8'), 'firing gpu-3\nresolved gpu-3\n');
    assert.doesNotMatch(replay.stderr(), /timed out|killed/);
  });

  it('--stats says what was replayed, in the display format', async () => {
    const replay = runInProcess(['replay', session, '--max-speed', '-f', 'json', '--stats']);
    assert.equal(await replay.exit, 0, replay.stderr());
    const stats = JSON.parse(replay.stderr()) as {
      targets: Record<string, { messagesReceived: number }>;
      framesReplayed: number;
      recordsDisplayed: number;
      replaySpeed: string;
      recordedSpan: string;
    };
    assert.equal(stats.targets['gpu-3']?.messagesReceived, 120);
    assert.equal(stats.targets.web?.messagesReceived, 61);
    assert.equal(stats.framesReplayed, 181);
    assert.equal(stats.recordsDisplayed, 181);
    assert.equal(stats.replaySpeed, 'max');
    assert.equal(stats.recordedSpan, '1m 59s');
  });

  it('--web: the API serves the final state at the recorded end time, until the run is ended', async () => {
    const replay = runInProcess(['replay', session, '--max-speed', '--web', '127.0.0.1:0', '-f', 'compact']);
    await until(() => /end of the recording/.test(replay.stderr()), 10_000, 'the end of the recording');
    const url = /web dashboard: (http:\/\/\S+)/.exec(replay.stderr())?.[1];
    assert.ok(url, replay.stderr());
    const answer = await httpGet(new URL('/api/targets', url).href);
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.body) as {
      now: number;
      targets: { name: string; status: string; messages: number; ageSeconds: number }[];
    };
    assert.equal(body.now, T0 + 119_000, 'recorded time stands still at the end');
    assert.deepEqual(
      body.targets.map((t) => [t.name, t.status, t.messages, t.ageSeconds]),
      [
        ['gpu-3', 'up', 120, 0],
        ['web', 'stale', 61, 58.5],
      ],
    );
    replay.interrupt();
    assert.equal(await replay.exit, 0, replay.stderr());
  });

  it('--prometheus (spawned): the scrape shows the replayed values; SIGINT ends it with 0', async () => {
    const child = runCli(['replay', session, '--max-speed', '--prometheus', '127.0.0.1:0', '-f', 'jsonl']);
    await until(() => /end of the recording/.test(child.stderr()), 20_000, 'the end of the recording');
    const url = /Prometheus metrics at (http:\/\/\S+)/.exec(child.stderr())?.[1];
    assert.ok(url, child.stderr());
    const scrape = parseExposition((await httpGet(url)).body);
    assert.equal(scrape.value('monitoring_cpu_usage_ratio', { target: 'gpu-3' }), 0.2);
    // web sent nothing for the last 58.5 s of the recording: down for Prometheus, no stale value served.
    assert.equal(scrape.value('monitoring_target_up', { target: 'gpu-3' }), 1);
    assert.equal(scrape.value('monitoring_target_up', { target: 'web' }), 0);
    assert.equal(scrape.find('monitoring_cpu_usage_ratio', { target: 'web' }).length, 0);
    assert.equal(scrape.value('monitoring_messages_received_total', { target: 'gpu-3' }), 120);
    assert.equal(scrape.value('monitoring_messages_received_total', { target: 'web' }), 61);
    assert.equal(child.stdout().trim().split('\n').length, 181, 'and every record on stdout');
    child.child.kill('SIGINT');
    const exit = await child.exit;
    assert.equal(exit.code, 0, child.stderr());
  });
});

describe('replay with --dashboard in a real terminal (tmux)', () => {
  let tmux: Tmux;
  before(async () => {
    tmux = await Tmux.start({ columns: 120, rows: 30, cwd: REPO });
  });
  after(async () => {
    await tmux?.kill();
  });

  it('draws the recorded targets as they were at the end, keeps them on screen, and quits with q: exit 0', async () => {
    await tmux.type(
      `clear; node ${CLI_BIN} replay ${session} --max-speed --dashboard --dashboard-refresh 0.2 --no-color; echo "EXIT=$?"`,
    );
    // The end of the recording: web sent nothing for its last 58.5 s, so it is stale, as it was then.
    const screen = await tmux.waitFor(
      (s) => /up +gpu-3 +vm +20\.0% .* 0s /.test(s) && /stale +web +vm +10\.0% .* 58\.5s /.test(s),
      30_000,
      'both recorded targets as they were at the end',
    );
    assert.match(screen, /2 targets: 1 up · 1 stale/);
    assert.equal(await tmux.display('#{alternate_on}'), '1', 'on the alternate screen');
    // Held: a key still redraws (sort by name), the replay being long over.
    await tmux.keys('n');
    await tmux.waitFor((s) => s.includes('sort: name'), 5000, 'sorted by name');
    await tmux.keys('q');
    const after = await tmux.waitFor((s) => s.includes('EXIT='), 10_000, 'the exit code');
    assert.match(after, /EXIT=0/);
    assert.equal(await tmux.display('#{alternate_on}'), '0', 'the screen given back');
  });
});

describe('replay usage errors', () => {
  async function replayError(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const replay = runInProcess(['replay', ...argv]);
    const code = await replay.exit;
    return { code, stdout: replay.stdout(), stderr: replay.stderr() };
  }

  it('names each flag replay cannot honour, in one line: exit 2, nothing else done', async () => {
    const rulesWithout = join(tmp, 'no-alerts.yaml');
    writeFileSync(rulesWithout, 'targets: []\n');
    const out = join(tmp, 'never.db');
    const cases: [string[], RegExp][] = [
      [
        ['-u', 'ws://127.0.0.1:9'],
        /-u\/--uri does not apply to replay: it plays a recording and connects to no server; the targets are those of the recording/,
      ],
      [['--targets', 'fleet.yaml'], /--targets does not apply to replay/],
      [['--no-reconnect'], /--no-reconnect does not apply to replay/],
      [['--reconnect-interval', '2'], /--reconnect-interval does not apply to replay/],
      [['--max-reconnects', '3'], /--max-reconnects does not apply to replay/],
      [['--ping-interval', '0'], /--ping-interval does not apply to replay/],
      [['-H', 'X-Team: a'], /-H\/--header does not apply to replay/],
      [['--token-file', 'token.txt'], /--token-file does not apply to replay/],
      [['--insecure'], /--insecure does not apply to replay/],
      [['--demo'], /--demo does not apply to replay/],
      [['--serve', '0', '-f', 'jsonl'], /-f\/--format does not apply to replay --serve/],
      [['--serve', '0', '--record', out], /--record does not apply to replay --serve/],
      [['--record', session], /invalid --record: ".*session\.db" is the recording being replayed/],
      [['--alerts', join(tmp, 'missing.yaml')], /invalid --alerts: ".*missing\.yaml" \(ENOENT\)/],
      [['--alerts', rulesWithout], /invalid --alerts: ".*no-alerts\.yaml" \(expected an alerts: section/],
      [['--alert', 'cpu >> 90'], /invalid --alert: "cpu >> 90"/],
      [['--prometheus', 'nowhere'], /invalid --prometheus: "nowhere"/],
      [['--speed', '2', '--max-speed'], /give --speed or --max-speed, not both/],
    ];
    for (const [flags, message] of cases) {
      const { code, stdout, stderr } = await replayError([session, ...flags]);
      assert.equal(code, 2, `${flags.join(' ')}: ${stderr}`);
      assert.equal(stdout, '', flags.join(' '));
      assert.match(stderr, message, flags.join(' '));
      assert.match(stderr, /^monitoring-websocket-client: error: /, flags.join(' '));
      assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
    }
  });

  it('--dashboard without a terminal: one line, exit 2, the recording not played', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let errors = '';
    stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const code = await run(['replay', session, '--max-speed', '--dashboard'], { stdout, stderr, env: {} });
    assert.equal(code, 2);
    assert.match(errors, /^monitoring-websocket-client: error: --dashboard needs a terminal/);
    assert.equal(errors.trim().split('\n').length, 1, errors);
    assert.equal(out, '');
  });

  it('the environment of live watching (server address, token) does not get in the way', async () => {
    const replay = runInProcess(['replay', session, '--max-speed', '-f', 'jsonl', '--target', 'web'], {
      MONITORING_WEBSOCKET_URI: 'not a uri',
      MONITORING_TOKEN: 'secret',
    });
    assert.equal(await replay.exit, 0, replay.stderr());
    assert.equal(replay.stderr(), '');
    assert.equal(replay.stdout().trim().split('\n').length, 61);
  });
});
