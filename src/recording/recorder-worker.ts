/**
 * The recorder's worker thread: hands each request of the sink to a RecorderWriter and
 * answers, in order. See recorder-writer.ts.
 */
import { parentPort } from 'node:worker_threads';
import { RecorderWriter, transferablesOf, type WriterRequest } from './recorder-writer.js';

const writer = new RecorderWriter();
parentPort?.on('message', (request: WriterRequest) => {
  const reply = writer.handle(request);
  // The batch's buffers go back to the sink without a copy.
  parentPort?.postMessage(reply, transferablesOf(reply));
});
