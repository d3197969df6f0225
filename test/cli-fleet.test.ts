import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureFrame } from './helpers/fixtures.js';
import { holdingServer } from './helpers/holding-server.js';
import { runInProcess } from './helpers/in-process-cli.js';
import { TestServer, until } from './helpers/test-server.js';

const FRAME = fixtureFrame('documented', 'monitoring_data');

/** A server that sends one record to each client as it connects. */
async function greetingServer(): Promise<TestServer> {
  return TestServer.start({ greeting: [FRAME] });
}

describe('the command with several targets', () => {
  let tmp: string;
  let one: TestServer;
  let two: TestServer;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cli-fleet-'));
    one = await greetingServer();
    two = await greetingServer();
  });
  after(async () => {
    await one.close();
    await two.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('prefixes each line with the target name, named NAME=URI or after host and port', async () => {
    const run = runInProcess(['-u', `web1=${one.url}`, '-u', two.url, '--ping-interval', '0']);
    await until(() => run.stdout().split('\n').length >= 3, 5000, 'a record from each');
    run.interrupt();
    assert.equal(await run.exit, 0);
    const lines = run.stdout().trim().split('\n').sort();
    assert.deepEqual(lines, [
      `[127.0.0.1:${two.port}] CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%`,
      '[web1] CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%',
    ]);
    assert.match(run.stderr(), /\[web1\] » connected to/);
  });

  it('prints jsonl as {"source": NAME, "message": FRAME}, the frame as received', async () => {
    const run = runInProcess([
      '-u',
      `a=${one.url}`,
      '-u',
      `b=${two.url}`,
      '-f',
      'jsonl',
      '--ping-interval',
      '0',
    ]);
    await until(() => run.stdout().split('\n').length >= 3, 5000, 'a record from each');
    run.interrupt();
    await run.exit;
    const lines = run.stdout().trim().split('\n');
    assert.deepEqual(lines.map((line) => JSON.parse(line).source).sort(), ['a', 'b']);
    for (const line of lines) assert.ok(line.endsWith(`"message":${FRAME}}`), line);
  });

  it('reads the targets from a YAML file, and refuses a bad one naming the file and the path in it', async () => {
    const good = join(tmp, 'targets.yaml');
    await writeFile(
      good,
      `targets:\n  - name: alpha\n    uri: ${one.url}\n    labels: { site: paris }\n  - name: beta\n    uri: ${two.url}\n    pingInterval: 0\n`,
    );
    const run = runInProcess(['--targets', good, '--ping-interval', '0', '-f', 'compact']);
    await until(
      () => run.stdout().includes('[alpha]') && run.stdout().includes('[beta]'),
      5000,
      'both targets',
    );
    run.interrupt();
    assert.equal(await run.exit, 0);

    const json = join(tmp, 'targets.json');
    await writeFile(json, JSON.stringify({ targets: [{ name: 'j', uri: one.url }] }));
    const fromJson = runInProcess(['--targets', json, '--ping-interval', '0']);
    await until(() => fromJson.stdout().includes('CPU: 45.2%'), 5000, 'a record');
    fromJson.interrupt();
    assert.equal(await fromJson.exit, 0);

    const cases: [string, RegExp][] = [
      ['targets:\n  - name: a\n    uri: http://x\n', /targets\[0\]\.uri: expected a ws:\/\/ or wss:\/\/ URI/],
      ['targets:\n  - name: a\n    uri: ws://x\n    colour: red\n', /targets\[0\]: Unrecognized key.*colour/],
      ['targets: []\n', /targets: Too small: expected array to have >=1 items/],
      [
        'targets:\n  - { name: a, uri: "ws://x" }\n  - { name: a, uri: "ws://y" }\n',
        /targets\[1\]\.name: "a" is already/,
      ],
      ['targets: [ {', /not YAML or JSON/],
      [
        'targets:\n  - name: a\n    uri: ws://x\n    reconnectInterval: -1\n',
        /targets\[0\]\.reconnectInterval/,
      ],
    ];
    for (const [text, expected] of cases) {
      const bad = join(tmp, 'bad.yaml');
      await writeFile(bad, text);
      const refused = runInProcess(['--targets', bad]);
      assert.equal(await refused.exit, 2, text);
      assert.match(refused.stderr(), expected);
      assert.ok(refused.stderr().includes(bad), 'names the file');
      assert.equal(refused.stderr().trim().split('\n').length, 1, 'one line');
    }
    const missing = runInProcess(['--targets', join(tmp, 'none.yaml')]);
    assert.equal(await missing.exit, 2);
    assert.match(missing.stderr(), /ENOENT/);
    const same = runInProcess(['-u', one.url, '-u', one.url]);
    assert.equal(await same.exit, 2);
    assert.match(same.stderr(), /two targets are named/);
  });

  it('writes every connection event of every target to --events, gaps included', async () => {
    const flaky = await greetingServer();
    const events = join(tmp, 'events.jsonl');
    const run = runInProcess([
      '-u',
      `steady=${one.url}`,
      '-u',
      `flaky=${flaky.url}`,
      '--events',
      events,
      '--reconnect-interval',
      '0.1',
      '--ping-interval',
      '0',
    ]);
    await until(() => run.stdout().includes('[flaky]'), 5000, 'flaky record');
    await flaky.close();
    await until(() => run.stderr().includes('[flaky] » reconnecting'), 5000, 'reconnecting');
    run.interrupt();
    assert.equal(await run.exit, 0);
    const lines = readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    for (const line of lines) {
      assert.equal(typeof line.type, 'string');
      assert.equal(typeof line.target, 'string');
      assert.ok(!Number.isNaN(Date.parse(line.at)), line.at);
    }
    const flakyTypes = lines.filter((l) => l.target === 'flaky').map((l) => l.type);
    assert.ok(flakyTypes.includes('connected'));
    assert.ok(flakyTypes.includes('disconnected'));
    assert.ok(flakyTypes.includes('reconnecting'));
    const disconnected = lines.find((l) => l.target === 'flaky' && l.type === 'disconnected');
    assert.equal(typeof disconnected.code, 'number');
    assert.ok(lines.some((l) => l.target === 'steady' && l.type === 'connected'));
  });

  it('goes on while one target has given up, and exits 1 only when all have', async () => {
    const down = await TestServer.start();
    const downUrl = down.url;
    await down.close();
    const run = runInProcess([
      '-u',
      `up=${one.url}`,
      '-u',
      `down=${downUrl}`,
      '--no-reconnect',
      '--ping-interval',
      '0',
    ]);
    await until(() => run.stderr().includes('[down] ✗'), 5000, 'the give-up notice');
    await until(() => run.stdout().includes('[up]'), 5000, 'the other target still printing');
    run.interrupt();
    assert.equal(await run.exit, 0);

    const allDown = runInProcess(['-u', `a=${downUrl}`, '-u', `b=${downUrl}`, '--no-reconnect', '--stats']);
    assert.equal(await allDown.exit, 1);
    assert.match(allDown.stderr(), /=== Statistics: a ===/);
    assert.match(allDown.stderr(), /=== Totals ===\nTargets: 2 \(0 connected\)/);
  });

  it('--max-connecting bounds the handshakes in flight; 0 is refused', async () => {
    const server = await holdingServer();
    try {
      const run = runInProcess(['-u', `a=${server.url}`, '-u', `b=${server.url}`, '--max-connecting', '1']);
      await until(() => server.received === 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answeredAt = performance.now();
      server.answer(0);
      await until(() => server.received === 2, 3000, 'the second handshake once the first ended');
      // The second waits for the first to end, or (on a machine stalled for a second) for the
      // first's slot to pass its 1 s hold limit.
      const [first, second] = server.arrivals as [number, number];
      assert.ok(
        second >= answeredAt || second - first >= 1000,
        `the second handshake came ${(second - first).toFixed(0)} ms after the first, before it ended`,
      );
      server.answer(1);
      await until(() => (run.stderr().match(/» connected to/g) ?? []).length === 2);
      run.interrupt();
      assert.equal(await run.exit, 0);
    } finally {
      await server.close();
    }
    const refused = runInProcess(['-u', 'ws://127.0.0.1:1', '--max-connecting', '0']);
    assert.equal(await refused.exit, 2);
    assert.match(refused.stderr(), /--max-connecting.*expected an integer from 1 to 100000/);
  });
});

describe('the command, small things users noticed', () => {
  it('shows a server going away (1001) as a notice, not an error, and says why it stops without reconnection', async () => {
    const server = await TestServer.start({ greeting: [FRAME] });
    server.wss.on('connection', (socket) => setTimeout(() => socket.close(1001, 'going away'), 50));
    const run = runInProcess(['-u', server.url, '--no-reconnect', '--ping-interval', '0']);
    assert.equal(await run.exit, 1);
    assert.match(run.stderr(), /» disconnected: code 1001 \(going away\)/);
    assert.equal(run.stderr().match(/✗/g)?.length, 1, 'one error line: the give-up, not the close');
    assert.match(run.stderr(), /✗ Error: connection lost and reconnection is off/);
    assert.doesNotMatch(run.stderr(), /after 0 attempts/);
    await server.close();
  });

  it('says when the server alerts clear', async () => {
    const server = await TestServer.start({
      greeting: [
        fixtureFrame('real-server', 'monitoring_data_alerts'),
        fixtureFrame('real-server', 'monitoring_data'),
      ],
    });
    const run = runInProcess(['-u', server.url, '--ping-interval', '0']);
    await until(() => run.stderr().includes('server alerts cleared'), 5000, 'the cleared notice');
    run.interrupt();
    assert.equal(await run.exit, 0);
    assert.match(run.stderr(), /Critical memory usage/);
    await server.close();
  });
});
