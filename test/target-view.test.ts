import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { HISTORY_METRICS, type HistoryMetric, MetricHistory } from '../src/dashboard/metric-history.js';
import { TargetView, type TargetViewProps } from '../src/dashboard/target-view.js';
import type { TargetRow } from '../src/pipeline/target-row.js';
import { type Metrics, TestFleet } from './helpers/dashboard-fleet.js';

const ESC = '\u001b';

function frame(props: TargetViewProps): string {
  const instance = render(createElement(TargetView, props));
  const text = instance.lastFrame() ?? '';
  instance.unmount();
  return text;
}

/** A target that sent `messages`, one a second, as the view sees it. */
async function target(messages: Metrics[], options: { rtt?: number } = {}) {
  const fleet = await new TestFleet().start();
  const history = new MetricHistory({ stepSeconds: 1 });
  fleet.add('web-1');
  for (const metrics of messages) {
    fleet.send('web-1', metrics);
    const row = fleet.pipeline.target('web-1')!;
    history.add('web-1', row.snapshot!, fleet.clock.now());
    fleet.clock.tick(1000);
  }
  if (options.rtt !== undefined) fleet.pipeline.noteRtt('web-1', options.rtt);
  return { fleet, history };
}

function viewProps(
  row: TargetRow,
  history: MetricHistory,
  now: number,
  extra: Partial<TargetViewProps> = {},
) {
  const series = {} as Record<HistoryMetric, ArrayLike<number>>;
  for (const metric of HISTORY_METRICS) series[metric] = history.series(row.name, metric, now);
  return { row, history: series, now, width: 100, height: 30, color: false, ...extra };
}

const lineOf = (text: string, start: string) => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(start));
  assert.ok(line !== undefined, `a line starting with ${start} in:\n${text}`);
  return line;
};

describe('TargetView', () => {
  it('shows the header: name, host, OS, connection state, RTT and the age of the last data', async () => {
    const { fleet, history } = await target([{ cpu: 10 }], { rtt: 2.5 });
    const row = fleet.pipeline.target('web-1')!;
    const text = frame(viewProps(row, history, fleet.clock.now()));
    assert.equal(
      text.split('\n')[0],
      'web-1 · host vm · Linux 6.18.44-fc-v657 (x86_64) · ● up · RTT 2.5 ms · last data 1s ago',
    );
  });

  it('shows CPU with a bar per core, memory, disk with its mount, GPU with power when sent, and a sparkline each', async () => {
    const { fleet, history } = await target([
      { cpu: 20, memory: 40, disk: 60, gpu: 10, perCore: [10, 95, 50, 85], gpuPower: 120.5 },
      {
        cpu: 90,
        memory: 45,
        disk: 61,
        gpu: 100,
        perCore: [10, 95, 50, 85],
        gpuPower: 120.5,
        diskPath: '/data',
      },
    ]);
    const row = fleet.pipeline.target('web-1')!;
    const text = frame(viewProps(row, history, fleet.clock.now() - 1000));
    assert.match(
      lineOf(text, 'CPU'),
      /^CPU +90\.0% \[█{18}▒▒\] +▂▇ +2 physical, 2 logical · 2596 MHz · temp n\/a/,
    );
    assert.match(text, / 0 +10% █▒▒▒▒▒▒▒▒▒ +1 +95% ██████████ +2 +50% █████▒▒▒▒▒ +3 +85% █████████▒/);
    assert.match(
      lineOf(text, 'MEMORY'),
      /^MEMORY +45\.0% \[█{9}▒{11}\] +▄▄ +174\.8 MB\/23\.5 GB · 23\.2 GB available/,
    );
    assert.match(
      lineOf(text, 'DISK'),
      /^DISK +61\.0% \[█{12}▒{8}\] +▅▅ +21\.9\/252 GB · 79\.6 GB free · mount \/data/,
    );
    assert.match(
      lineOf(text, 'GPU '),
      /^GPU +100\.0% \[█{20}\] +▂█ +NVIDIA H100 80GB HBM3 · driver 550\.54\.15/,
    );
    assert.match(lineOf(text, 'GPU MEM'), /^GPU MEM +25\.1% .* 20\/79\.6 GB/);
    assert.match(lineOf(text, 'GPU TEMP'), /^GPU TEMP +41°C +▄▄ +power 120\.5 W \(limit 700\.0 W\)/);
  });

  it('shows n/a for every value the server did not send', async () => {
    const { fleet, history } = await target([{ cpu: null, memory: null, gpu: null }]);
    const row = fleet.pipeline.target('web-1')!;
    const text = frame(viewProps(row, history, fleet.clock.now()));
    assert.match(lineOf(text, 'CPU'), /^CPU +n\/a /);
    assert.match(lineOf(text, 'MEMORY'), /^MEMORY +n\/a /);
    assert.match(lineOf(text, 'GPU'), /^GPU +n\/a +\(no GPU reported\)/);
    assert.ok(!text.includes('power'), 'power is shown only when sent');
    // Before the first message, everything reads n/a.
    const fresh = await new TestFleet().start();
    fresh.add('new', false);
    const empty = frame(viewProps(fresh.pipeline.target('new')!, new MetricHistory(), fresh.clock.now()));
    assert.match(empty, /new · host n\/a · n\/a · ○ connecting · RTT n\/a · last data n\/a/);
    assert.match(empty, /DISK +n\/a +n\/a used · n\/a free · mount n\/a/);
  });

  it("lists the server's alerts and our firing rules", async () => {
    const { fleet, history } = await target([
      {
        memory: 91.3,
        alerts: [{ component: 'memory', level: 'CRITICAL', message: 'Critical memory usage: 91.3%' }],
      },
    ]);
    fleet.pipeline.emit({
      type: 'alert',
      target: 'web-1',
      at: fleet.clock.now(),
      state: 'firing',
      rule: 'cpu > 90 for 30s',
      metric: 'cpu',
      value: 95.2,
      threshold: 90,
      severity: 'critical',
      since: fleet.clock.now() - 30_000,
      origin: 'rule',
      summary: 'CPU above 90 %',
    });
    const row = fleet.pipeline.target('web-1')!;
    const text = frame(viewProps(row, history, fleet.clock.now()));
    assert.match(
      text,
      /ALERTS\n {2}server \[CRITICAL\] memory: Critical memory usage: 91\.3%\n {2}rule {3}\[critical\] cpu > 90 for 30s: CPU above 90 % at 95\.2 \(since \d\d:\d\d:\d\d\)/,
    );
    const colored = frame(viewProps(row, history, fleet.clock.now(), { color: true }));
    assert.ok(colored.includes(`${ESC}[31m[CRITICAL]${ESC}[39m`), 'a critical alert in red');
  });

  it('ends with the target’s statistics and the keys', async () => {
    const { fleet, history } = await target([{}, {}, {}]);
    fleet.lose('web-1');
    const row = fleet.pipeline.target('web-1')!;
    const text = frame(viewProps(row, history, fleet.clock.now(), { position: { index: 1, count: 3 } }));
    const lines = text.split('\n');
    assert.equal(lines.length, 30, 'the view fills the screen');
    assert.equal(
      lines.at(-1),
      'messages 3 · invalid 0 · reconnects 1 · not connected · target 2/3 (↑↓) · Esc back · ? help · q quit',
    );
    assert.match(lines[0]!, /↻ reconnecting/);
  });

  it('sanitizes every string from a server', async () => {
    const hostile = `x${ESC}]8;;http://evil${ESC}\\y${ESC}[31m\u0007\r\n\u202ez`;
    const { fleet, history } = await target([{ hostname: hostile }]);
    const row = fleet.pipeline.target('web-1')!;
    const snapshot = row.snapshot!;
    // Strings a library user could pass without the normalizer: the view cleans them again.
    const raw: TargetRow = {
      ...row,
      name: hostile,
      host: hostile,
      snapshot: {
        ...snapshot,
        disk: { ...snapshot.disk, path: hostile },
        gpu: { ...snapshot.gpu, name: hostile, driverVersion: hostile },
        system: { ...snapshot.system, osName: hostile },
      },
      serverAlerts: [{ level: hostile, component: hostile, message: hostile }],
    };
    const text = frame(viewProps(raw, history, fleet.clock.now()));
    assert.ok(!text.includes(ESC), JSON.stringify(text));
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/.test(text), 'no control character');
    assert.match(text.split('\n')[0]!, /^xy {2}z · host xy {2}z/);
  });
});
