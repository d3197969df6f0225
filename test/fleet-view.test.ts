import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement, type ReactElement } from 'react';
import { type FleetLine, FleetView, type FleetViewProps, fleetColumns } from '../src/dashboard/fleet-view.js';
import { MetricHistory } from '../src/dashboard/metric-history.js';
import { buildScreen } from '../src/dashboard/screen.js';
import { INITIAL_VIEW_STATE } from '../src/dashboard/view-state.js';
import type { TargetRow } from '../src/pipeline/target-row.js';
import { TestFleet } from './helpers/dashboard-fleet.js';

const ESC = '\u001b';

function props(rows: readonly TargetRow[], overrides: Partial<FleetViewProps> = {}): FleetViewProps {
  const counts = { up: 0, connecting: 0, stale: 0, reconnecting: 0, down: 0 };
  for (const row of rows) counts[row.status]++;
  const lines: FleetLine[] = rows.map((row, index) => ({
    row,
    cpuHistory: Float32Array.from([10, 50, 95]),
    selected: index === 0,
  }));
  return {
    lines,
    first: 0,
    shown: rows.length,
    counts,
    sort: { key: 'worst', reverse: false },
    filter: '',
    editingFilter: false,
    width: 100,
    height: 20,
    color: false,
    ...overrides,
  };
}

function frame(element: ReactElement): string {
  const instance = render(element);
  const text = instance.lastFrame() ?? '';
  instance.unmount();
  return text;
}

/** The line of the table that names `name`. */
function rowOf(text: string, name: string): string {
  const line = text.split('\n').find((candidate) => ` ${plain(candidate)} `.includes(` ${name} `));
  assert.ok(line !== undefined, `a row for ${name} in:\n${text}`);
  return line;
}

function plain(line: string): string {
  return line.replace(/\u001b\[[0-9;]*m/g, '');
}

const visibleWidth = (line: string) => Array.from(plain(line)).length;

describe('FleetView', () => {
  it('shows one row per target: status, name, host, CPU, RAM, disk, GPU, temperature, RTT, age, alerts, history', async () => {
    const fleet = await new TestFleet().start();
    fleet.add('web-1').send('web-1', {
      cpu: 45.2,
      memory: 62.8,
      disk: 28.5,
      gpu: 15,
      hostname: 'web-host',
      alerts: [{ component: 'memory', level: 'WARNING', message: 'high' }],
    });
    fleet.pipeline.noteRtt('web-1', 1.25);
    fleet.clock.tick(500);
    const text = frame(createElement(FleetView, props(fleet.pipeline.targets())));
    const row = rowOf(text, 'web-1');
    assert.match(
      row,
      /▶ ● up +web-1 +web-host +45\.2% +62\.8% +28\.5% +15\.0% +41°C +1\.3 ms +0\.5s +1 +▂▅█/,
    );
    assert.match(text, /STATUS +NAME +HOST +CPU +RAM +DISK +GPU +TEMP +RTT +AGE +ALERTS +CPU HISTORY/);
    assert.match(text, /Fleet · 1 target: 1 up · 0 down · sort: worst first/);
    assert.match(
      text,
      /rows 1-1 of 1 · ↑↓ PgUp PgDn move · Enter detail · c m d g n s sort · \/ filter · \? help · q quit/,
    );
  });

  it('shows n/a for what a server did not send, and for a target that sent nothing yet', async () => {
    const fleet = await new TestFleet().start();
    fleet.add('no-gpu').send('no-gpu', { cpu: 5, memory: null, gpu: null });
    fleet.add('quiet', false);
    const text = frame(createElement(FleetView, props(fleet.pipeline.targets())));
    assert.match(rowOf(text, 'no-gpu'), /no-gpu +vm +5\.0% +n\/a +21\.5% +n\/a +n\/a +n\/a +0s +-/);
    assert.match(rowOf(text, 'quiet'), /○ conn +quiet +n\/a +n\/a +n\/a +n\/a +n\/a +n\/a +n\/a +n\/a +-/);
  });

  it('marks each status distinctly, with words that need no colour', async () => {
    const fleet = await new TestFleet([], 15).start();
    fleet.add('old').send('old');
    fleet.clock.tick(16_000);
    fleet.add('fine').send('fine');
    fleet.add('lost').lose('lost');
    fleet.add('dead').giveUp('dead');
    const text = frame(createElement(FleetView, props(fleet.pipeline.targets())));
    assert.match(rowOf(text, 'old'), /◐ stale/);
    assert.match(rowOf(text, 'fine'), /● up/);
    assert.match(rowOf(text, 'lost'), /↻ reconn/);
    assert.match(rowOf(text, 'dead'), /✗ down/);
    assert.match(text, /4 targets: 1 up · 1 reconn · 1 stale · 1 down/);
  });

  it('colours usage by the line formats’ thresholds only when colour is on', async () => {
    const fleet = await new TestFleet().start();
    fleet.add('hot').send('hot', { cpu: 95, memory: 85, disk: 10 });
    const rows = fleet.pipeline.targets();
    const colored = frame(createElement(FleetView, props(rows, { color: true })));
    const hot = rowOf(colored, 'hot');
    assert.ok(hot.includes(`${ESC}[31m 95.0%${ESC}[39m`), 'CPU 95 % in red');
    assert.ok(hot.includes(`${ESC}[33m 85.0%${ESC}[39m`), 'RAM 85 % in yellow');
    assert.ok(hot.includes(`${ESC}[32m 10.0%${ESC}[39m`), 'disk 10 % in green');
    const plain = frame(createElement(FleetView, props(rows, { color: false })));
    assert.ok(!plain.includes(ESC), 'no escape code without colour');
  });

  it('sanitizes every string from a server and every name: no escape sequence reaches the terminal', async () => {
    const fleet = await new TestFleet().start();
    const hostile = `ev${ESC}]0;owned${ESC}\\${ESC}[2J\r\nil\u202e`;
    fleet.add('t').send('t', { hostname: hostile });
    const [row] = fleet.pipeline.targets();
    // Also a row that never went through the normalizer, as a library user could build.
    const raw: TargetRow = { ...row!, name: `name${ESC}[31m\u0007x`, host: hostile };
    for (const target of [row!, raw]) {
      const text = frame(createElement(FleetView, props([target], { color: false })));
      assert.ok(!text.includes(ESC), `no ESC in:\n${JSON.stringify(text)}`);
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/.test(text), 'no control character');
      assert.match(text, / ev {0,2}il /);
    }
  });

  it('leaves columns out on a narrow screen instead of overflowing it', async () => {
    assert.deepEqual(fleetColumns(80), {
      name: 16,
      host: 8,
      temp: 0,
      rtt: 6,
      age: 7,
      alerts: 0,
      history: 0,
    });
    assert.deepEqual(fleetColumns(100), {
      name: 12,
      host: 8,
      temp: 5,
      rtt: 6,
      age: 7,
      alerts: 6,
      history: 11,
    });
    const wide = fleetColumns(160);
    assert.ok(wide.history === 30 && wide.name === 24 && wide.alerts > 0);
    // Short names give their room to the host and the history.
    assert.deepEqual(fleetColumns(120, { name: 7, host: 15 }), {
      name: 7,
      host: 15,
      temp: 5,
      rtt: 6,
      age: 7,
      alerts: 6,
      history: 29,
    });
    const fleet = await new TestFleet().start();
    fleet
      .add('a-rather-long-target-name')
      .send('a-rather-long-target-name', { hostname: 'a-very-long-host-name-indeed' });
    for (const width of [40, 60, 80, 100]) {
      const text = frame(createElement(FleetView, props(fleet.pipeline.targets(), { width })));
      for (const line of text.split('\n'))
        assert.ok(visibleWidth(line) <= width, `${visibleWidth(line)} > ${width}: ${line}`);
    }
  });
});

describe('the fleet screen', () => {
  it('draws only the rows that fit: 1,000 targets cost a screenful', async () => {
    const fleet = await new TestFleet().start();
    const history = new MetricHistory();
    for (let i = 0; i < 1000; i++) {
      const name = `node-${String(i).padStart(4, '0')}`;
      fleet.add(name).send(name, { cpu: i % 100 });
    }
    const rows = fleet.pipeline.targets();
    const screen = buildScreen({
      state: { ...INITIAL_VIEW_STATE, sort: { key: 'name', reverse: false } },
      rows,
      history,
      now: fleet.clock.now(),
      width: 100,
      height: 40,
      color: false,
    });
    assert.equal(screen.view, 'fleet');
    assert.equal(screen.rowsDrawn, 37);
    assert.equal(screen.names.length, 1000);
    const text = frame(screen.element);
    const lines = text.split('\n');
    assert.equal(lines.length, 40, 'title, column names, 37 rows, footer');
    assert.ok(text.includes(' node-0036 ') && !text.includes(' node-0037 '));
    assert.match(text, /Fleet · 1000 targets: 1000 up · 0 down/);
    assert.match(text, /rows 1-37 of 1000/);
  });

  it('follows the selection: the window scrolls to keep it visible', async () => {
    const fleet = await new TestFleet().start();
    for (let i = 0; i < 100; i++) fleet.add(`n${i}`).send(`n${i}`, { cpu: i });
    const screen = buildScreen({
      state: { ...INITIAL_VIEW_STATE, view: 'fleet', selected: 'n50', sort: { key: 'cpu', reverse: true } },
      rows: fleet.pipeline.targets(),
      history: new MetricHistory(),
      now: fleet.clock.now(),
      width: 100,
      height: 13,
      color: false,
    });
    assert.equal(screen.scroll, 41);
    const text = frame(screen.element);
    assert.match(text, /▶ ● up +n50 /);
    assert.match(text, /rows 42-51 of 100/);
  });

  it('orders the rows as the sort asks: worst first by default, by CPU, by name reversed', async () => {
    const fleet = await new TestFleet().start();
    fleet.add('b').send('b', { cpu: 10, memory: 10, disk: 10, gpu: null });
    fleet.add('a').send('a', { cpu: 90, memory: 10, disk: 10, gpu: null });
    fleet.add('c').send('c', { cpu: 50, memory: 99, disk: 10, gpu: null });
    fleet.add('d').giveUp('d');
    const order = (sort: { key: 'worst' | 'cpu' | 'name'; reverse: boolean }) => {
      const screen = buildScreen({
        state: { ...INITIAL_VIEW_STATE, sort },
        rows: fleet.pipeline.targets(),
        history: new MetricHistory(),
        now: fleet.clock.now(),
        width: 100,
        height: 20,
        color: false,
      });
      const text = frame(screen.element);
      return ['a', 'b', 'c', 'd'].sort((x, y) => text.indexOf(` ${x} `) - text.indexOf(` ${y} `)).join('');
    };
    assert.equal(order({ key: 'worst', reverse: false }), 'dcab');
    assert.equal(order({ key: 'cpu', reverse: false }), 'acbd');
    assert.equal(order({ key: 'name', reverse: true }), 'dcba');
  });

  it('opens on the one-target view when the fleet has one target', async () => {
    const fleet = await new TestFleet().start();
    fleet.add('only').send('only');
    const screen = buildScreen({
      state: INITIAL_VIEW_STATE,
      rows: fleet.pipeline.targets(),
      history: new MetricHistory(),
      now: fleet.clock.now(),
      width: 100,
      height: 30,
      color: false,
    });
    assert.equal(screen.view, 'target');
  });
});
