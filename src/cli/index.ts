/**
 * `monitoring-websocket-client/cli`: the whole command as a function, `run(argv, io)`, for a
 * program (or a test) that runs it in its own process. A separate entry point so that a
 * program using the library never loads the command line.
 */
export type { CliIo } from './run.js';
export { run } from './run.js';
