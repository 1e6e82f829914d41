/**
 * `scratchpad-store/tools`: a scratchpad as tools for LLM agents. JSON Schema definitions for the model, and a
 * dispatcher that validates every call and answers with text, `Error: …` included, instead of throwing.
 */
export { createTools } from './create.js';
export { toAiSdkTools, toAnthropicTools, toMcpTools, toOpenAITools } from './convert.js';
export type { AiSdkTool, AnthropicTool, McpTool, OpenAITool } from './convert.js';
export { toOpenAIResponsesTools, toStrictSchema } from './openai-responses.js';
export type { OpenAIResponsesTool, StrictJsonSchema, StrictObjectSchema } from './openai-responses.js';
export { memoryToolHandlers, memoryFileSection, DEFAULT_MEMORY_AGENT, DEFAULT_MEMORY_PAD } from './memory/index.js';
export type {
  MemoryCommand,
  MemoryCreateCommand,
  MemoryDeleteCommand,
  MemoryInsertCommand,
  MemoryRenameCommand,
  MemoryStrReplaceCommand,
  MemoryToolHandlers,
  MemoryToolOptions,
  MemoryViewCommand,
} from './memory/index.js';
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
