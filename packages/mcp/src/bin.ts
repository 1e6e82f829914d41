#!/usr/bin/env node
// The command `scratchpad-store-mcp`: a scratchpad's tools and pads over MCP (stdio). See cli.ts for its options.
import { runMcpCommand } from './cli.js';

process.exitCode = await runMcpCommand(process.argv.slice(2));
