#!/usr/bin/env node
// Placeholder until the CLI issue lands: the bin entry exists so the package installs.
process.stdout.write('monitoring-websocket-client: the command-line interface is not built yet\n');
