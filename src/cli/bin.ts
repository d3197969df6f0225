#!/usr/bin/env node
/**
 * The `monitoring-websocket-client` command: wires the process (argv, streams, signals,
 * exit code) to `run()`, which does the work.
 */
import { run } from './run.js';

const controller = new AbortController();
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  // A second Ctrl-C means "now": skip the graceful stop.
  if (interrupted) process.exit(signal === 'SIGINT' ? 130 : 143);
  interrupted = true;
  controller.abort();
};
// A reader that went away (`--help | head`) is no error of ours: stop writing, quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
  (error: unknown) => {
    // An unexpected failure: one line, no stack trace (set NODE_DEBUG or use --verbose logs to dig).
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`monitoring-websocket-client: error: ${message}\n`);
    process.exitCode = 1;
  },
);
