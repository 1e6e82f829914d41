/**
 * `@scratchpad-store/mcp`: a scratchpad served over the Model Context Protocol (Node). The tools of
 * `scratchpad-store/tools` with the same schemas and texts, and every pad and section as a subscribable resource.
 */
export { createMcpServer, agentName, type McpServerOptions, type ScratchpadMcpServer } from './server.js';
export { padUri, sectionUri, parseUri, URI_SCHEME, type ResourceAddress } from './uri.js';
export { runMcpCommand, parseMcpArgs, MCP_USAGE, type McpCommandOptions, type McpCommandIO } from './cli.js';
export {
  createMcpHttpHandler,
  McpHttpError,
  type McpHttpHandler,
  type McpHttpHandlerOptions,
  type McpHttpOpenContext,
  type McpHttpScratchpad,
} from './http.js';
