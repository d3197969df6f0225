import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { DashboardSink, type DashboardSinkOptions } from '../src/dashboard/dashboard-sink.js';
import type { KeyPress } from '../src/dashboard/keys.js';
import type { DashboardTerminal, TerminalListener, TerminalSize } from '../src/dashboard/terminal.js';
import { TestFleet } from './helpers/dashboard-fleet.js';

/** A terminal that keeps every frame, and lets the test press keys and resize it. */
class FakeTerminal implements DashboardTerminal {
  frames: string[] = [];
  opened = 0;
  closed = 0;
  failDraw = false;
  #size: TerminalSize;
  #listener: TerminalListener | undefined;

  constructor(columns = 100, rows = 30) {
    this.#size = { columns, rows };
  }
  size(): TerminalSize {
    return this.#size;
  }
  open(listener: TerminalListener): void {
    this.opened++;
    this.#listener = listener;
  }
  draw(frame: string): void {
    if (this.failDraw) throw new Error('the screen broke');
    this.frames.push(frame);
  }
  close(): void {
    this.closed++;
  }
  press(key: Partial<KeyPress>): void {
    this.#listener?.key({ text: '', ctrl: false, ...key });
  }
  resize(columns: number, rows: number): void {
    this.#size = { columns, rows };
    this.#listener?.resize();
  }
  get last(): string {
    return this.frames.at(-1) ?? '';
  }
}

async function setup(options: Partial<DashboardSinkOptions> = {}, size?: [number, number]) {
  const terminal = new FakeTerminal(...(size ?? []));
  // Frames take no time on the injected timer unless a test says otherwise: timing stays deterministic.
  const sink = new DashboardSink({ terminal, measure: () => 0, ...options });
  const fleet = await new TestFleet([sink]).start();
  return { terminal, sink, fleet, clock: fleet.clock };
}

describe('DashboardSink', () => {
  it('takes the terminal on start and draws the first frame at once', async () => {
    const { terminal, clock } = await setup();
    assert.equal(terminal.opened, 1);
    clock.tick(0);
    assert.equal(terminal.frames.length, 1);
    assert.match(terminal.last, /Fleet · 0 targets/);
  });

  it('redraws on a steady refresh, however many records arrive in between', async () => {
    const { terminal, sink, fleet, clock } = await setup();
    fleet.add('a').add('b');
    clock.tick(0);
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 100; i++) fleet.send(i % 2 ? 'a' : 'b', { cpu: i });
      clock.tick(1000);
    }
    // The first frame, then one every 2 s (the default refresh).
    assert.equal(terminal.frames.length, 6);
    assert.equal(sink.stats().frames, 6);
    assert.equal(sink.stats().refreshMs, 2000);
    assert.match(terminal.last, /Fleet · 2 targets: 2 up/);
  });

  it('draws soon after a key, but never more than ten frames a second', async () => {
    const { terminal, fleet, clock } = await setup();
    fleet.add('a').add('b');
    clock.tick(0);
    const before = terminal.frames.length;
    clock.tick(300);
    terminal.press({ text: 'n' });
    clock.tick(0);
    assert.equal(terminal.frames.length, before + 1, 'a key long after the last frame draws at once');
    assert.match(terminal.last, /sort: name/);
    // A key every 10 ms for one second: at most ten frames.
    const start = terminal.frames.length;
    for (let i = 0; i < 100; i++) {
      terminal.press({ name: i % 2 ? 'down' : 'up' });
      clock.tick(10);
    }
    const drawn = terminal.frames.length - start;
    assert.ok(drawn <= 10 && drawn >= 9, `${drawn} frames for 100 keys in a second`);
  });

  it('stretches the steady refresh when frames are slow, so drawing takes at most 3 % of a core', async () => {
    // Each frame "takes" 60 ms on the injected timer.
    let spent = 0;
    const measure = () => {
      spent += 60;
      return spent;
    };
    const { terminal, sink, clock } = await setup({ measure, refresh: 1 });
    clock.tick(0);
    // The first frame (loading, compiling) does not count.
    assert.equal(sink.stats().lastFrameMs, 60);
    assert.equal(sink.stats().refreshMs, 1000);
    clock.tick(1000);
    assert.equal(sink.stats().refreshMs, 2000);
    clock.tick(1999);
    assert.equal(terminal.frames.length, 2);
    clock.tick(1);
    assert.equal(terminal.frames.length, 3);
    // A key is still answered at once.
    clock.tick(500);
    terminal.press({ text: 'n' });
    clock.tick(0);
    assert.equal(terminal.frames.length, 4);
  });

  it('opens the one-target view of a single target, goes to the fleet and back with Esc and Enter', async () => {
    const { terminal, sink, fleet, clock } = await setup();
    fleet.add('only').send('only', { cpu: 12 });
    clock.tick(0);
    assert.match(terminal.last, /^only · host vm/);
    terminal.press({ name: 'escape' });
    clock.tick(100);
    assert.match(terminal.last, /Fleet · 1 target/);
    terminal.press({ name: 'return' });
    clock.tick(100);
    assert.match(terminal.last, /^only · host vm/);
    assert.equal(sink.state.view, 'target');
  });

  it('shows in the one-target view what last happened to the connection, sanitized', async () => {
    const { terminal, fleet, clock } = await setup();
    fleet.add('only').send('only');
    clock.tick(0);
    assert.match(terminal.last, /EVENT +\d\d:\d\d:\d\d connected\n/);
    fleet.lose('only');
    clock.tick(2000);
    assert.match(terminal.last, /EVENT +\d\d:\d\d:\d\d reconnecting in 1 s \(attempt 1\)/);
    fleet.pipeline.emit({
      type: 'server_notice',
      target: 'only',
      at: clock.now(),
      kind: 'error',
      text: 'disk \u001b[2Jfull\u0007',
    });
    clock.tick(2000);
    assert.match(terminal.last, /EVENT +\d\d:\d\d:\d\d server error: disk full/);
    assert.ok(!terminal.last.includes('\u001b'));
  });

  it('shows the keys on ?, and any key goes back', async () => {
    const { terminal, fleet, clock } = await setup();
    fleet.add('a').add('b');
    clock.tick(0);
    terminal.press({ text: '?' });
    clock.tick(100);
    assert.match(terminal.last, /^Keys\n/);
    assert.match(terminal.last, /c m d g +sort by CPU, memory \(RAM\), disk, GPU: highest first/);
    assert.match(terminal.last, /q {2}Ctrl-C +quit/);
    assert.match(terminal.last, /one character per 5 s/);
    terminal.press({ name: 'escape' });
    clock.tick(100);
    assert.match(terminal.last, /^Fleet/);
  });

  it('gives the terminal back and calls onQuit on q and on Ctrl-C, and draws no more', async () => {
    for (const key of [{ text: 'q' }, { text: 'c', ctrl: true }]) {
      let quits = 0;
      const { terminal, clock } = await setup({ onQuit: () => quits++ });
      clock.tick(0);
      terminal.press(key);
      assert.equal(terminal.closed, 1);
      assert.equal(quits, 1);
      const frames = terminal.frames.length;
      clock.tick(5000);
      assert.equal(terminal.frames.length, frames);
      assert.equal(clock.pending, 0, 'no timer left');
    }
  });

  it('redraws at once for a resize, at the new size', async () => {
    const { terminal, fleet, clock } = await setup({}, [100, 30]);
    for (let i = 0; i < 50; i++) fleet.add(`t${i}`);
    clock.tick(0);
    assert.equal(terminal.last.split('\n').length, 30);
    clock.tick(200);
    terminal.resize(80, 12);
    clock.tick(0);
    const lines = terminal.last.split('\n');
    assert.equal(lines.length, 12);
    assert.match(lines.at(-1)!, /^rows 1-9 of 50/);
  });

  it('a frame that fails gives the terminal back and is reported once, never thrown', async () => {
    const errors: Error[] = [];
    const { terminal, clock } = await setup({ onError: (error) => errors.push(error) });
    terminal.failDraw = true;
    clock.tick(0);
    clock.tick(5000);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /the screen broke/);
    assert.equal(terminal.closed, 1);
    assert.equal(clock.pending, 0);
  });

  it('keeps history from records for the sparklines, and forgets removed targets', async () => {
    const { terminal, fleet, clock } = await setup({}, [120, 30]);
    fleet.add('a').add('b');
    for (let i = 0; i < 12; i++) {
      fleet.send('a', { cpu: i < 6 ? 0 : 100 });
      clock.tick(5000);
    }
    const row = terminal.last.split('\n').find((line) => line.includes(' a '));
    assert.match(row ?? '', /▁▁▁▁▁▁██████ *$/);
    fleet.pipeline.emit({ type: 'target_removed', target: 'a', at: clock.now() });
    clock.tick(2000);
    assert.ok(!terminal.last.includes(' a '));
  });

  it('draws a screenful of 1,000 targets: only the visible rows', async () => {
    const { terminal, sink, fleet, clock } = await setup({}, [120, 40]);
    for (let i = 0; i < 1000; i++) fleet.add(`n${i}`).send(`n${i}`, { cpu: i % 100 });
    clock.tick(0);
    assert.equal(sink.stats().rowsDrawn, 37);
    assert.equal(terminal.last.split('\n').length, 40);
    terminal.press({ name: 'end' });
    clock.tick(100);
    assert.match(terminal.last, /rows 964-1000 of 1000/);
  });

  it('closes: the terminal is given back, no timer is left, and close is idempotent', async () => {
    const { terminal, fleet, clock } = await setup();
    clock.tick(0);
    await fleet.pipeline.close();
    await fleet.pipeline.close();
    assert.equal(terminal.closed, 1);
    assert.equal(clock.pending, 0);
  });
});

describe('createDashboard (the library entry)', () => {
  it('refuses a stdout that is not a terminal, with a code to test', async () => {
    const { createDashboard, NotATerminalError } = await import('../src/index.js');
    const pipe = new PassThrough() as unknown as NodeJS.WriteStream;
    await assert.rejects(createDashboard({ stdout: pipe }), (error: unknown) => {
      assert.ok(error instanceof NotATerminalError);
      assert.equal(error.code, 'NOT_A_TERMINAL');
      return true;
    });
  });

  it('gives a sink that draws on the terminal it was given, and honours color: false', async () => {
    const { createDashboard } = await import('../src/index.js');
    const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 20 });
    let written = '';
    stdout.on('data', (chunk: Buffer) => {
      written += chunk.toString();
    });
    const dashboard = await createDashboard({
      stdout: stdout as unknown as NodeJS.WriteStream,
      color: false,
    });
    const fleet = await new TestFleet([dashboard]).start();
    fleet.add('web-1').send('web-1', { cpu: 95 });
    fleet.clock.tick(0);
    await fleet.pipeline.close();
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(written.startsWith('\u001b[?1049h'), 'the alternate screen first');
    assert.match(written, /web-1 · host vm/);
    assert.ok(!/\u001b\[3\dm/.test(written), 'no colour');
    assert.ok(written.endsWith('\u001b[?1049l'), 'and left at the end');
  });
});
