/**
 * The detail view's history over a real recording (RecordingHistory): the recorder and the web
 * sink on one pipeline with a fake clock, the recording and the memory joined without a record
 * twice or one missing (also while the recorder's last batch is not committed), long spans in
 * buckets whose values are those recorded, and the memory alone while there is no recording.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { parseFrame } from '../src/protocol/frame.js';
import { RecorderSink } from '../src/recording/recorder-sink.js';
import type { HistorySeries } from '../src/web/history-source.js';
import { RECORDED_POINTS, RecordingHistory } from '../src/web/recording-history.js';
import { WebSink } from '../src/web/web-sink.js';
import { FakeClock } from './helpers/fake-clock.js';
import { metricsFrame } from './helpers/recording.js';
import { recordingLogger } from './helpers/recording-logger.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** On a whole hour, so that hourly values fall on bucket edges. */
const T0 = Date.UTC(2026, 10, 25, 0, 0, 0);

let tmp: string;
let files = 0;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mwc-web-recording-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The CPU a test server "sent" at `at`: the same through each hour, so any bucket inside an hour averages to it. */
const hourly = (at: number) => 10 + (Math.floor((at - T0) / HOUR) % 80);

/**
 * A recorder and a web sink on one pipeline with a fake clock, fed `count` frames of target
 * `a`, one every `everyMs` from T0, with `cpu(at)`; every batch committed but those of the
 * last `uncommittedMs`.
 */
async function recorded(count: number, everyMs: number, cpu: (at: number) => number, uncommittedMs = 0) {
  const clock = new FakeClock(T0);
  const path = join(tmp, `rec-${++files}.db`);
  // Commits only when told: the test decides what is still in flight.
  const recorder = new RecorderSink({ path, flushRows: 1_000_000, flushInterval: 100 * 24 * HOUR });
  const web = new WebSink({ historyPoints: 600 });
  const pipeline = new Pipeline({ sinks: [recorder, web], clock, logger: recordingLogger() });
  await pipeline.start();
  pipeline.emit({ type: 'target_added', target: 'a', at: T0, uri: 'ws://a', labels: {} });
  const times: number[] = [];
  const end = T0 + (count - 1) * everyMs;
  for (let i = 0; i < count; i++) {
    const at = T0 + i * everyMs;
    if (clock.now() < at) clock.tick(at - clock.now());
    pipeline.receive('a', parseFrame(metricsFrame({ cpu: cpu(at) }), false, at));
    times.push(at);
    if (at <= end - uncommittedMs && (i % 500 === 499 || at + everyMs > end - uncommittedMs)) {
      await recorder.flush();
    }
  }
  const history = new RecordingHistory({ path, memory: web.history });
  return { clock, path, recorder, web, pipeline, history, times };
}

/** Every point of `series` in time order, strictly. */
function assertAscending(series: HistorySeries): void {
  for (let k = 1; k < series.t.length; k++) {
    assert.ok(series.t[k]! > series.t[k - 1]!, `point ${k} (${series.t[k]}) after ${series.t[k - 1]}`);
  }
}

describe('RecordingHistory', () => {
  it('joins the recording and the memory: every record once, none missing, the values sent', async () => {
    // 20 minutes at one a second: the memory holds the last 10, the recording all but the last 3 s.
    const cpu = (at: number) => ((at - T0) / 1000) % 100;
    const { history, pipeline, recorder, web, times } = await recorded(1200, 1000, cpu, 3000);
    try {
      assert.ok(
        (recorder.stats() as { pendingRows: number }).pendingRows > 0,
        'the last records are not committed yet',
      );
      assert.ok(web.history.oldest('a')! > T0 + 9 * MINUTE, 'the memory holds ten minutes only');
      const series = (await history.history('a', 0))!;
      assert.equal(series.source, 'recording');
      assert.deepEqual(series.t, times);
      assert.deepEqual(series.cpu, times.map(cpu));
      assert.equal(series.cores.length, 2);
      assert.equal(series.cores[0]!.length, times.length);
      // From a time within the recorded part, and within the memory.
      const since = T0 + 5 * MINUTE + 500;
      const later = (await history.history('a', since))!;
      assert.deepEqual(
        later.t,
        times.filter((t) => t >= since),
      );
      const recent = (await history.history('a', T0 + 15 * MINUTE))!;
      assert.equal(recent.source, 'memory');
      assert.equal(recent.t.length, 5 * 60);
    } finally {
      history.close();
      await pipeline.close();
    }
  });

  it('reads hours of snapshots in buckets, each the average of what was recorded in it', async () => {
    // Two hours at one a second: 7,200 snapshots, read in buckets from the snapshots.
    const { history, pipeline, times } = await recorded(7200, 1000, hourly);
    try {
      const series = (await history.history('a', 0))!;
      assert.ok(series.t.length <= RECORDED_POINTS + 600, `${series.t.length} points`);
      assert.ok(series.t.length >= 1000, `${series.t.length} points`);
      assertAscending(series);
      assert.ok(series.t[0]! >= T0 && series.t[0]! < T0 + 10_000);
      assert.equal(series.t.at(-1), times.at(-1));
      for (const [k, t] of series.t.entries()) assert.equal(series.cpu[k], hourly(t), `point at ${t}`);
    } finally {
      history.close();
      await pipeline.close();
    }
  });

  it('reads days from the per-minute totals: the whole span, about RECORDED_POINTS points, values as recorded', async () => {
    // 30 hours, one every 10 s: 10,800 snapshots over 1,800 minutes.
    const { history, pipeline, times } = await recorded(10_800, 10_000, hourly);
    try {
      const series = (await history.history('a', 0))!;
      assert.equal(series.source, 'recording');
      assertAscending(series);
      assert.ok(series.t.length <= RECORDED_POINTS + 600 + 1, `${series.t.length} points`);
      assert.equal(series.t[0], T0);
      assert.equal(series.t.at(-1), times.at(-1));
      for (const [k, t] of series.t.entries()) assert.equal(series.cpu[k], hourly(t), `point at ${t}`);
      // Per-core values: those of a snapshot of the bucket (the fixture's).
      assert.ok(series.cores[0]!.every((value) => value !== null));
      // A window starting inside a minute: nothing before it.
      const since = T0 + 20 * HOUR + 25_000;
      const window = (await history.history('a', since))!;
      assert.ok(window.t[0]! >= since);
      assert.ok(window.t[0]! < since + 60_000);
      assert.equal(window.t.at(-1), times.at(-1));
      for (const [k, t] of window.t.entries())
        assert.equal(window.cpu[k], hourly(t), `${k} ${t - T0} ${window.t.length}`);
    } finally {
      history.close();
      await pipeline.close();
    }
  });

  it('answers from the memory alone while the recording is missing, and says once when it is not one', async () => {
    const clock = new FakeClock(T0);
    const logger = recordingLogger();
    const web = new WebSink();
    const pipeline = new Pipeline({ sinks: [web], clock, logger });
    await pipeline.start();
    pipeline.receive('a', parseFrame(metricsFrame({ cpu: 42 }), false, T0));
    const missing = new RecordingHistory({ path: join(tmp, 'not-yet.db'), memory: web.history, logger });
    assert.deepEqual((await missing.history('a', 0))?.cpu, [42]);
    assert.equal(await missing.history('nobody', 0), undefined);
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'not a database\n'.repeat(100));
    const wrong = new RecordingHistory({ path: text, memory: web.history, logger });
    assert.deepEqual((await wrong.history('a', 0))?.cpu, [42]);
    assert.deepEqual((await wrong.history('a', 0))?.cpu, [42]);
    const warnings = logger.lines.filter((line) => line.includes('charts show the memory only'));
    assert.equal(warnings.length, 1, logger.lines.join('\n'));
    await pipeline.close();
  });
});
