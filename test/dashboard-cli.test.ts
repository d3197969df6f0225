/**
 * `--dashboard` through the real command: refused without a terminal, and used in a real
 * terminal (tmux) as a person would: two servers, sort with a key, open a target and come
 * back, one server frozen (no pong: only the heartbeat can tell), quit with q.
 * Needs the built CLI (`npm test` builds first) and tmux.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { run } from '../src/cli/run.js';
import { monitoringMessage } from './helpers/dashboard-fleet.js';
import { CLI_BIN, type FloodServer, killAll, REPO, runCli, startFloodServer } from './helpers/processes.js';
import { TestServer, until } from './helpers/test-server.js';
import { Tmux } from './helpers/tmux.js';

const PING_INTERVAL = 0.5;
const PING_TIMEOUT = 0.5;
const REFRESH = 0.5;

describe('--dashboard without a terminal', () => {
  it('exits 2 with one line when stdout is a pipe (spawned)', async () => {
    const child = runCli(['--dashboard', '-u', 'a=ws://127.0.0.1:9']);
    const exit = await child.exit;
    assert.equal(exit.code, 2);
    const lines = child.stderr().trim().split('\n');
    assert.equal(lines.length, 1, child.stderr());
    assert.match(lines[0]!, /--dashboard needs a terminal/);
    assert.equal(child.stdout(), '');
  });

  it('exits 2 with one line when stdout is not a terminal (in-process run)', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let errors = '';
    stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const code = await run(['--dashboard', '-u', 'a=ws://127.0.0.1:9'], { stdout, stderr, env: {} });
    assert.equal(code, 2);
    assert.match(errors, /^monitoring-websocket-client: error: --dashboard needs a terminal/);
  });
});

describe('--dashboard-refresh', () => {
  it('refuses a value out of 0.1..60 with one line naming the flag: exit 2', async () => {
    for (const value of ['0', '61', 'soon']) {
      const stderr = new PassThrough();
      let errors = '';
      stderr.on('data', (chunk: Buffer) => {
        errors += chunk.toString();
      });
      const code = await run(['--dashboard', '--dashboard-refresh', value, '-u', 'a=ws://127.0.0.1:9'], {
        stdout: new PassThrough(),
        stderr,
        env: {},
      });
      assert.equal(code, 2, value);
      assert.equal(errors.trim().split('\n').length, 1, errors);
      assert.match(errors, /--dashboard-refresh.*expected a number of seconds from 0\.1 to 60/);
    }
  });
});

/**
 * The command in this process with `--dashboard` on a stream that says it is a terminal,
 * watching one server that sends one frame (CPU 42 %); stderr is also kept apart for what came
 * while the screen was up (before the alternate screen was left).
 */
async function dashboardInProcess(extra: string[]) {
  const server = await TestServer.start();
  const frame = JSON.stringify(monitoringMessage({ cpu: 42, hostname: 'solo-host' }));
  server.wss.on('connection', (socket) => socket.send(frame));
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 });
  let written = '';
  stdout.on('data', (chunk: Buffer) => {
    written += chunk.toString();
  });
  const stderr = new PassThrough();
  let errors = '';
  let errorsWhileDrawn = '';
  stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
    if (!written.endsWith('\u001b[?1049l')) errorsWhileDrawn += chunk.toString();
  });
  const stop = new AbortController();
  const running = run(
    ['--dashboard', '--dashboard-refresh', '0.2', '-u', `solo=${server.url}`, '--no-color', ...extra],
    { stdout, stderr, env: {}, signal: stop.signal },
  );
  return {
    server,
    written: () => written,
    errors: () => errors,
    errorsWhileDrawn: () => errorsWhileDrawn,
    /** Once the data is on screen, ends the run (as on SIGTERM); resolves with its exit code. */
    async stopOnceDrawn(): Promise<number> {
      await until(() => /CPU +42\.0% /.test(written), 20_000, 'the data on screen');
      stop.abort();
      return running;
    },
  };
}

describe('--dashboard in-process (run(argv, io)) on a stream that says it is a terminal', () => {
  it('draws the one target on the alternate screen, and gives the screen back when the run ends: exit 0', async () => {
    const dashboard = await dashboardInProcess([]);
    try {
      assert.equal(await dashboard.stopOnceDrawn(), 0, dashboard.errors());
      const written = dashboard.written();
      assert.ok(written.startsWith('\u001b[?1049h'), 'the alternate screen first');
      assert.match(written, /solo · host solo-host · Linux/);
      assert.ok(written.endsWith('\u001b[?1049l'), 'left at the end');
      assert.equal(dashboard.errors(), '', 'nothing on stderr while the screen is up');
    } finally {
      await dashboard.server.close();
    }
  });

  it('holds the log lines asked for on stderr while the screen is up, and writes them once it is given back', async () => {
    const dashboard = await dashboardInProcess(['--verbose']);
    try {
      assert.equal(await dashboard.stopOnceDrawn(), 0, dashboard.errors());
      assert.equal(dashboard.errorsWhileDrawn(), '', 'no log line drawn over the screen');
      assert.match(dashboard.errors(), / DEBUG options: /, 'the log lines, after the screen was given back');
    } finally {
      await dashboard.server.close();
    }
  });
});

describe('--dashboard in a real terminal (tmux)', () => {
  let serverA: TestServer;
  let serverB: FloodServer;
  let sending: NodeJS.Timeout;
  let tmux: Tmux;

  before(async () => {
    serverA = await TestServer.start();
    const frame = JSON.stringify(
      monitoringMessage({ cpu: 75, memory: 40, disk: 30, hostname: 'alpha-host' }),
    );
    sending = setInterval(() => void serverA.broadcast(frame).catch(() => {}), 200);
    serverB = await startFloodServer({ intervalMs: 200, label: 'b' });
    tmux = await Tmux.start({ columns: 120, rows: 40, cwd: REPO });
  });

  after(async () => {
    clearInterval(sending);
    await tmux?.kill();
    serverB?.child.kill('SIGKILL');
    await serverA?.close();
    killAll();
  });

  it('shows both targets, sorts, opens one and comes back, shows a frozen server within the heartbeat bound, and quits with q', async (t) => {
    const command = [
      `node ${CLI_BIN} --dashboard --dashboard-refresh ${REFRESH}`,
      `-u a=${serverA.url} -u b=${serverB.url}`,
      `--ping-interval ${PING_INTERVAL} --ping-timeout ${PING_TIMEOUT} --reconnect-interval 0.5`,
    ].join(' ');
    await tmux.type(`clear; echo MARK-BEFORE-DASHBOARD; ${command}; echo "EXIT=$?"`);

    // Both targets up, with their data.
    let screen = await tmux.waitFor(
      (s) => s.includes('2 targets: 2 up') && /alpha-host +75\.0%/.test(s) && /\bb +vm +0\.0%/.test(s),
      30_000,
      'two targets with data',
    );
    assert.equal(await tmux.display('#{alternate_on}'), '1', 'on the alternate screen');
    assert.equal(await tmux.display('#{cursor_flag}'), '0', 'cursor hidden');
    // Worst first: a (75 % CPU) above b (its highest usage is the disk, 21.5 %).
    assert.ok(screen.indexOf(' a ') < screen.indexOf(' b '), screen);

    // n: by name; n again: reversed, b first.
    await tmux.keys('n');
    await tmux.waitFor((s) => s.includes('sort: name') && !s.includes('(reversed)'), 5000, 'sort by name');
    await tmux.keys('n');
    screen = await tmux.waitFor((s) => s.includes('sort: name (reversed)'), 5000, 'sort by name reversed');
    const rowA = screen.split('\n').findIndex((line) => / a +alpha-host /.test(line));
    const rowB = screen.split('\n').findIndex((line) => / b +vm /.test(line));
    assert.ok(rowB >= 0 && rowA > rowB, `b above a:\n${screen}`);

    // Enter opens the selected row (the first: b); Esc comes back.
    await tmux.keys('Enter');
    screen = await tmux.waitFor((s) => /^b · host vm · Linux/.test(s), 5000, "b's one-target view");
    assert.match(screen, /^CPU +0\.0% /m);
    assert.match(screen, /^DISK +21\.5% .*mount \//m);
    await tmux.keys('Escape');
    await tmux.waitFor((s) => s.startsWith('Fleet · 2 targets'), 5000, 'the fleet again');

    // b freezes: its socket stays open but nothing answers, so only the heartbeat can tell.
    const frozenAt = Date.now();
    serverB.child.kill('SIGSTOP');
    await tmux.waitFor(
      (s) => s.split('\n').some((line) => /(↻ reconn|✗ down|◐ stale) +b /.test(line)),
      20_000,
      'b shown as lost',
    );
    const shownAfterMs = Date.now() - frozenAt;
    t.diagnostic(`the frozen server's row changed ${shownAfterMs} ms after SIGSTOP`);
    // Detected within ping interval + ping timeout, drawn within one refresh; 2 s for a busy machine.
    const boundMs = (PING_INTERVAL + PING_TIMEOUT + REFRESH) * 1000 + 2000;
    assert.ok(shownAfterMs <= boundMs, `shown after ${shownAfterMs} ms (bound ${boundMs} ms)`);
    assert.match(await tmux.capture(), / a +alpha-host +75\.0%/, 'a is still up');

    // q: exit 0, and the terminal as it was.
    await tmux.keys('q');
    screen = await tmux.waitFor((s) => s.includes('EXIT='), 15_000, 'the command to exit');
    assert.match(screen, /EXIT=0/);
    assert.ok(screen.includes('MARK-BEFORE-DASHBOARD'), `the shell's screen is back:\n${screen}`);
    assert.ok(!screen.includes('Fleet ·'), 'nothing of the dashboard is left');
    assert.equal(await tmux.display('#{alternate_on}'), '0');
    assert.equal(await tmux.display('#{cursor_flag}'), '1');
  });
});
