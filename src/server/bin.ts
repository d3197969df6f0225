#!/usr/bin/env node
// Placeholder until the server issue lands.
process.stdout.write('monitoring-websocket-server: not built yet\n');
