/**
 * `scratchpad-store/tools`: a scratchpad as tools for LLM agents. JSON Schema definitions for the model, and a
 * dispatcher that validates every call and answers with text, `Error: …` included, instead of throwing.
 */
export { createTools } from './create.js';
export { toAiSdkTools, toAnthropicTools, toMcpTools, toOpenAITools } from './convert.js';
export type { AiSdkTool, AnthropicTool, McpTool, OpenAITool } from './convert.js';
export type {
  BooleanSchema,
  IntegerSchema,
  JsonSchema,
  ObjectSchema,
  StringSchema,
  ToolDefinition,
  ToolName,
  ToolPermissions,
  ToolResult,
  Tools,
  ToolsOptions,
} from './types.js';
