#!/usr/bin/env node
// A standalone entry for `scratchpad-store mcp`, usable as `node dist/mcp/bin.js [options]` until (and besides) the
// `scratchpad-store` command dispatches to it.
import { runMcpCommand } from './cli.js';

process.exitCode = await runMcpCommand(process.argv.slice(2));
