import type { WriteMode } from '../core/types.js';
import type { ObjectSchema } from './schema.js';

export type { JsonSchema, ObjectSchema, StringSchema, IntegerSchema, BooleanSchema } from './schema.js';

export type ToolName =
  | 'scratchpad_write'
  | 'scratchpad_edit'
  | 'scratchpad_read'
  | 'scratchpad_list'
  | 'scratchpad_history'
  | 'scratchpad_diff'
  | 'scratchpad_revert'
  | 'scratchpad_delete'
  | 'scratchpad_changes';

/** A tool as LLM SDKs describe one: convert it with `toOpenAITools`, `toAnthropicTools`, `toMcpTools`, `toAiSdkTools`. */
export type ToolDefinition = {
  name: ToolName;
  description: string;
  /** A JSON Schema object (`type: 'object'`, `properties`, `required`, `additionalProperties: false`). */
  inputSchema: ObjectSchema;
};

/**
 * What an agent may do. Everything is allowed when `allow` is omitted.
 *
 * - `pads`: the pads it may see and touch, as a list or a predicate. Other pads are invisible in lists, history and
 *   changes, and any call naming one is refused.
 * - `readOnly`: no write, edit, revert or delete; wins over every other field.
 * - `modes`: the write modes it may use. `['append']` makes an append-only agent; `[]` removes `scratchpad_write`.
 * - `edit`, `revert`, `delete`: each defaults to whether `'replace'` is among the allowed modes, because each of them can
 *   rewrite or remove text that is already there. Set one explicitly to override that.
 *
 * A tool the agent may not use is left out of `definitions`, and a call to it is refused with `Error: …`.
 */
export interface ToolPermissions {
  readonly pads?: readonly string[] | ((pad: string) => boolean);
  readonly readOnly?: boolean;
  readonly modes?: readonly WriteMode[];
  readonly edit?: boolean;
  readonly revert?: boolean;
  readonly delete?: boolean;
}

export interface ToolsOptions {
  /** Every change made through these tools is attributed to this agent; `scratchpad_changes` reports everyone else's. */
  readonly agent: string;
  readonly allow?: ToolPermissions;
  /** Diff lines shown to the model per diff; longer diffs end with a line saying how many were cut. Default 50. */
  readonly maxDiffLines?: number;
}

/** The outcome of one call, for hosts that report errors separately (MCP's `isError`). */
export interface ToolResult {
  readonly text: string;
  readonly isError: boolean;
}

export interface Tools {
  /** The tools this agent may use, in a stable order. */
  readonly definitions: readonly ToolDefinition[];
  /** Their names, in the same order. */
  readonly names: readonly ToolName[];
  /**
   * Runs a tool and returns the text for the model. Never throws: bad arguments, refused calls and scratchpad errors
   * come back as text starting with `Error: `. `args` is the arguments object, or its JSON text as some SDKs deliver it.
   */
  call(name: string, args?: unknown): Promise<string>;
  /** Like `call`, with the error flag separate. */
  run(name: string, args?: unknown): Promise<ToolResult>;
}
