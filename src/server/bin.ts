#!/usr/bin/env node
import { runServer } from './cli.js';

process.exitCode = await runServer(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
