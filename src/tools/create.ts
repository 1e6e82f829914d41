import { ScratchpadError } from '../core/errors.js';
import type { Scratchpad } from '../types.js';
import { errorText } from './errors.js';
import { resolvePolicy } from './permissions.js';
import { TOOLS } from './registry.js';
import { deepFreeze, type ObjectSchema } from './schema.js';
import { SeenVersions } from './seen.js';
import { ToolError, type Args, type ToolContext, type ToolSpec } from './spec.js';
import type { ToolDefinition, ToolName, ToolResult, Tools, ToolsOptions } from './types.js';
import { validate } from './validate.js';

const DEFAULT_MAX_DIFF_LINES = 50;

/**
 * LLM tools over one scratchpad, acting as one agent. Hand `definitions` to the model (converted with
 * `toOpenAITools` and friends) and pass each tool call it makes to `call`.
 */
export function createTools(sp: Scratchpad, options: ToolsOptions): Tools {
  // Mistakes here are the programmer's, not the model's: they throw, unlike `call`.
  if (typeof options?.agent !== 'string' || options.agent.trim() === '') {
    throw new ScratchpadError('INVALID_ARGUMENT', 'createTools: options.agent must be a non-empty string');
  }
  const maxDiffLines = options.maxDiffLines ?? DEFAULT_MAX_DIFF_LINES;
  if (!Number.isInteger(maxDiffLines) || maxDiffLines < 1) {
    throw new ScratchpadError('INVALID_ARGUMENT', 'createTools: options.maxDiffLines must be a positive integer');
  }
  const policy = resolvePolicy(options.agent, options.allow);
  const ctx: ToolContext = { sp, policy, seen: new SeenVersions(), maxDiffLines };

  const available = TOOLS.filter((tool) => policy.mayUse(tool.name));
  const definitions: ToolDefinition[] = deepFreeze(available.map((tool) => ({ name: tool.name, ...tool.define(policy) })));
  const specs = new Map<string, { spec: ToolSpec; definition: ToolDefinition }>(
    definitions.map((definition, i) => [definition.name, { spec: available[i]!, definition }]),
  );
  const names: readonly ToolName[] = Object.freeze(definitions.map((d) => d.name));

  async function run(name: string, rawArgs?: unknown): Promise<ToolResult> {
    const entry = typeof name === 'string' ? specs.get(name) : undefined;
    if (entry === undefined) return { text: unknownTool(name), isError: true };
    const { spec, definition } = entry;
    let text: string;
    try {
      text = await dispatch(spec, definition, rawArgs);
    } catch (error) {
      text = errorText(error);
    }
    const isError = text.startsWith('Error: ');
    if (isError && spec.mutates && !text.includes('Nothing was changed.')) text += '\nNothing was changed.';
    return { text, isError };
  }

  async function dispatch(spec: ToolSpec, definition: ToolDefinition, rawArgs: unknown): Promise<string> {
    const args = withoutNullOptionals(definition.inputSchema, parseArgs(rawArgs));
    // Permission first: "you may not" tells the model more than the schema's enum would ("must be one of").
    const pad = args['pad'];
    if (typeof pad === 'string' && !policy.mayTouch(pad)) throw new ToolError(padRefusal(pad));
    const refusal = spec.refuse?.(policy, args);
    if (refusal !== undefined) throw new ToolError(refusal);
    const problems = validate(definition.inputSchema, args);
    if (problems.length > 0) {
      throw new ToolError(`invalid arguments for ${spec.name}:\n${problems.map((p) => `- ${p}`).join('\n')}\nFix these and call ${spec.name} again.`);
    }
    await sp.ready;
    return spec.run(ctx, args);
  }

  function unknownTool(name: unknown): string {
    const shown = typeof name === 'string' ? `'${name}'` : `a tool name that is not a string (${typeof name})`;
    const known = TOOLS.find((tool) => tool.name === name);
    const available = `Available tools: ${names.join(', ')}.`;
    return known === undefined
      ? `Error: there is no tool ${shown}. ${available}`
      : `Error: ${known.name} is not available: ${policy.whyNot(known.name)}. ${available}${known.mutates ? '\nNothing was changed.' : ''}`;
  }

  function padRefusal(pad: string): string {
    const list = policy.padList;
    const which = list === undefined ? '' : list.length === 0 ? ' It may not use any pad.' : ` Pads it may use: ${list.join(', ')}.`;
    return `agent '${policy.agent}' may not use pad '${pad}'.${which}`;
  }

  return {
    definitions,
    names,
    run,
    call: async (name, args) => (await run(name, args)).text,
  };
}

/** The arguments object. SDKs hand over either the object or its JSON text (OpenAI's `function.arguments`). */
function parseArgs(raw: unknown): Args {
  if (raw === undefined) return {};
  if (typeof raw === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw === '' ? '{}' : raw);
    } catch {
      throw new ToolError('the arguments are not valid JSON. Send a JSON object such as {"pad": "notes", "section": "todo"}.');
    }
    return asObject(parsed);
  }
  return asObject(raw);
}

/**
 * The arguments without the optional ones that are null. Strict function calling (OpenAI's `strict: true`, see
 * `toOpenAIResponsesTools`) makes every property required and lets a model send null for one it leaves out, so null
 * for an optional argument means "not given". A null for a required argument is left for `validate` to report.
 */
function withoutNullOptionals(schema: ObjectSchema, args: Args): Args {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(args)) {
    const child = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    if (child === undefined) continue;
    const value = args[key];
    let next: unknown = value;
    if (value === null && !schema.required.includes(key)) next = undefined;
    else if (child.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      next = withoutNullOptionals(child, value as Args);
    }
    if (next !== value) {
      out ??= { ...args };
      if (next === undefined) delete out[key];
      else out[key] = next;
    }
  }
  return out ?? args;
}

function asObject(value: unknown): Args {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ToolError(`the arguments must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`);
  }
  return value as Args;
}
