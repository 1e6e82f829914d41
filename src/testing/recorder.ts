import type { ToolResult, Tools } from '../tools/index.js';

/** One tool call and its answer, as the model saw it. Plain JSON, so that a log can be saved as a fixture. */
export interface ToolCallRecord {
  /** Position in the log: calls are numbered in the order they were made. */
  readonly index: number;
  /** Who made the call; replay creates the tools for this agent. */
  readonly agent?: string;
  readonly tool: string;
  /** The arguments as passed: an object, or the JSON text some SDKs deliver. */
  readonly args: unknown;
  readonly text: string;
  readonly isError: boolean;
  /** The fake clock's time when the call was made; replay sets its clock to it. */
  readonly at?: number;
}

export interface RecordOptions {
  /** The agent the tools act as (what was given to `createTools`). Recorded with every call, for replay. */
  readonly agent?: string;
  /** Append to this log instead of a new one: several agents' tools recorded into one log, in the order of their calls. */
  readonly log?: ToolCallRecord[];
  /** Record the time of each call (a `createTestScratchpad` clock), so that replay reproduces timestamps exactly. */
  readonly clock?: { readonly current: number };
}

/** The same tools, every call logged. */
export interface RecordedTools extends Tools {
  /** Every call so far, in the order made. Save it with `JSON.stringify(tools.log)`. */
  readonly log: readonly ToolCallRecord[];
}

// Calls are numbered when they start, so that overlapping calls keep the order in which they reached the scratchpad;
// the counter belongs to the log, which several recorders may share.
const counters = new WeakMap<ToolCallRecord[], { next: number }>();

/**
 * Wraps tools so that every call is logged with its arguments and the text it answered.
 *
 * ```ts
 * const tools = recordTools(createTools(sp, { agent: 'researcher' }), { agent: 'researcher', clock: sp.clock });
 * await runAgent(tools);
 * expect(tools.log.map((c) => c.tool)).toEqual(['scratchpad_list', 'scratchpad_write']);
 * ```
 */
export function recordTools(tools: Tools, options: RecordOptions = {}): RecordedTools {
  const log = options.log ?? [];
  let counter = counters.get(log);
  if (counter === undefined) {
    counter = { next: log.length };
    counters.set(log, counter);
  }
  const numbering = counter;

  async function run(name: string, args?: unknown): Promise<ToolResult> {
    const index = numbering.next++;
    const at = options.clock?.current;
    const sent = snapshot(args);
    const result = await tools.run(name, args);
    const record: ToolCallRecord = {
      index,
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      tool: name,
      args: sent,
      text: result.text,
      isError: result.isError,
      ...(at === undefined ? {} : { at }),
    };
    // Keep the log in call order even when a later call finished first.
    let position = log.length;
    while (position > 0 && log[position - 1]!.index > index) position--;
    log.splice(position, 0, record);
    return result;
  }

  return {
    definitions: tools.definitions,
    names: tools.names,
    log,
    run,
    call: async (name, args) => (await run(name, args)).text,
  };
}

/** A copy of the arguments as they were when sent: a caller that reuses and mutates its object must not rewrite the log. */
function snapshot(args: unknown): unknown {
  if (args === undefined || args === null || typeof args !== 'object') return args;
  try {
    return JSON.parse(JSON.stringify(args)) as unknown;
  } catch {
    return args; // not JSON (a cycle, a BigInt): the tools will answer with an error anyway, keep what was passed
  }
}

/** Reads a log saved with `JSON.stringify`, checking its shape so that a damaged fixture fails with a clear message. */
export function parseToolLog(json: string | unknown): ToolCallRecord[] {
  const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  if (!Array.isArray(value)) throw new TypeError(`a tool call log must be an array of calls, got ${describe(value)}`);
  return value.map((item: unknown, i): ToolCallRecord => {
    if (item === null || typeof item !== 'object') throw new TypeError(`call ${i} of the log is ${describe(item)}, not an object`);
    const record = item as Record<string, unknown>;
    for (const [key, type] of [['tool', 'string'], ['text', 'string'], ['isError', 'boolean']] as const) {
      if (typeof record[key] !== type) throw new TypeError(`call ${i} of the log: '${key}' must be a ${type}, got ${describe(record[key])}`);
    }
    if (record['agent'] !== undefined && typeof record['agent'] !== 'string') throw new TypeError(`call ${i} of the log: 'agent' must be a string`);
    if (record['at'] !== undefined && typeof record['at'] !== 'number') throw new TypeError(`call ${i} of the log: 'at' must be a number`);
    return {
      index: typeof record['index'] === 'number' ? record['index'] : i,
      ...(record['agent'] === undefined ? {} : { agent: record['agent'] as string }),
      tool: record['tool'] as string,
      args: record['args'],
      text: record['text'] as string,
      isError: record['isError'] as boolean,
      ...(record['at'] === undefined ? {} : { at: record['at'] as number }),
    };
  });
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
