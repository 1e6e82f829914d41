/**
 * Definitions in the tool formats of the common LLM SDKs. Each passes the same schema object through untouched: the
 * schemas are written to be accepted by all of them, so no format needs its own rewrite.
 */
import type { ObjectSchema } from './schema.js';
import type { ToolDefinition } from './types.js';

/** OpenAI Chat Completions `tools` entries. */
export type OpenAITool = {
  type: 'function';
  function: { name: string; description: string; parameters: ObjectSchema };
};

/** Anthropic Messages API `tools` entries. */
export type AnthropicTool = { name: string; description: string; input_schema: ObjectSchema };

/** Model Context Protocol `tools/list` entries. */
export type McpTool = { name: string; description: string; inputSchema: ObjectSchema };

/** Vercel AI SDK tools, keyed by name. */
export type AiSdkTool = {
  description: string;
  inputSchema: ObjectSchema;
  execute?: (args: unknown) => Promise<string>;
};

export function toOpenAITools(definitions: readonly ToolDefinition[]): OpenAITool[] {
  return definitions.map((d) => ({ type: 'function', function: { name: d.name, description: d.description, parameters: d.inputSchema } }));
}

export function toAnthropicTools(definitions: readonly ToolDefinition[]): AnthropicTool[] {
  return definitions.map((d) => ({ name: d.name, description: d.description, input_schema: d.inputSchema }));
}

export function toMcpTools(definitions: readonly ToolDefinition[]): McpTool[] {
  return definitions.map((d) => ({ name: d.name, description: d.description, inputSchema: d.inputSchema }));
}

/**
 * Tools for the Vercel AI SDK (`generateText({ tools })`). `inputSchema` is the raw JSON Schema: wrap it with the SDK's
 * `jsonSchema()` helper (`import { jsonSchema } from 'ai'`), which this package does not depend on. Pass `call`
 * (`tools.call`) to get an `execute` on each tool, so the SDK can run them itself.
 */
export function toAiSdkTools(
  definitions: readonly ToolDefinition[],
  call?: (name: string, args: unknown) => Promise<string>,
): Record<string, AiSdkTool> {
  const tools: Record<string, AiSdkTool> = {};
  for (const d of definitions) {
    tools[d.name] = {
      description: d.description,
      inputSchema: d.inputSchema,
      ...(call === undefined ? {} : { execute: (args: unknown) => call(d.name, args) }),
    };
  }
  return tools;
}
