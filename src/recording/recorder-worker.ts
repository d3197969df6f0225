/**
 * The recorder's worker thread: hands each request of the sink to a RecorderWriter and
 * answers, in order. See recorder-writer.ts.
 */
import { parentPort } from 'node:worker_threads';
import { RecorderWriter, type WriterRequest } from './recorder-writer.js';

const writer = new RecorderWriter();
parentPort?.on('message', (request: WriterRequest) => parentPort?.postMessage(writer.handle(request)));
