#!/usr/bin/env node
import { main } from '../agent/cli/main.ts';
// Launcher: Node 24 runs the TypeScript sources directly (type stripping).
import { processIO } from '../core/cli.ts';

process.exitCode = await main(process.argv.slice(2), processIO());
