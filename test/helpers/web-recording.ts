/** A recording written by the real recorder for the web dashboard's tests: past data of one target. */
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { parseFrame } from '../../src/protocol/frame.js';
import { RecorderSink } from '../../src/recording/recorder-sink.js';
import { FakeClock } from './fake-clock.js';
import { metricsFrame } from './recording.js';

/**
 * Records `target` at each of `times` (epoch ms, ascending) with CPU `cpu(at)` to `path`,
 * through a pipeline on a fake clock, and closes it (everything committed).
 */
export async function writeRecording(
  path: string,
  target: string,
  times: readonly number[],
  cpu: (at: number) => number,
): Promise<void> {
  const clock = new FakeClock(times[0]);
  const recorder = new RecorderSink({ path, flushRows: 5000 });
  const pipeline = new Pipeline({ sinks: [recorder], clock });
  await pipeline.start();
  pipeline.emit({ type: 'target_added', target, at: clock.now(), uri: `ws://${target}`, labels: {} });
  for (const [i, at] of times.entries()) {
    if (clock.now() < at) clock.tick(at - clock.now());
    pipeline.receive(target, parseFrame(metricsFrame({ cpu: cpu(at) }), false, at));
    if (i % 2000 === 1999) await recorder.flush();
  }
  await pipeline.close();
}
