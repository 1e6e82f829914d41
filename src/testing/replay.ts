import { createTools, type Tools } from '../tools/index.js';
import type { Scratchpad } from '../types.js';
import { AssertionError, firstDifferentLine, showDifference } from './assert.js';
import { parseToolLog, type ToolCallRecord } from './recorder.js';
import { createTestScratchpad, isTestScratchpad } from './scratchpad.js';

export interface ReplayOptions {
  /**
   * The fresh scratchpad to replay against. Default `createTestScratchpad()`. May be async, to seed it with what the
   * recorded run started from (writes made outside the recorded tools).
   */
  readonly createScratchpad?: () => Scratchpad | Promise<Scratchpad>;
  /** The tools of one agent. Default `createTools(sp, { agent })`; pass your own to replay with the same `allow`. */
  readonly createTools?: (sp: Scratchpad, agent: string) => Tools;
  /** The agent for calls recorded without one. Default 'agent'. */
  readonly defaultAgent?: string;
}

export interface Divergence {
  /** The call's position in the log. */
  readonly index: number;
  readonly agent: string;
  readonly tool: string;
  readonly args: unknown;
  readonly expected: { readonly text: string; readonly isError: boolean };
  readonly actual: { readonly text: string; readonly isError: boolean };
  /** First line (1-based) where the texts differ; 0 when only `isError` differs. */
  readonly line: number;
}

export type ReplayReport =
  | { readonly ok: true; readonly calls: number; readonly scratchpad: Scratchpad }
  | {
      readonly ok: false;
      /** Calls that answered as recorded before the divergence. */
      readonly calls: number;
      readonly divergence: Divergence;
      /** The divergence, readable: which call, and both answers around the first line that differs. */
      readonly message: string;
      /** Left as it was after the diverging call, to look into. */
      readonly scratchpad: Scratchpad;
    };

/**
 * Runs a recorded log against a fresh scratchpad, one call after the other, and stops at the first call whose answer
 * differs from the recording. Each agent in the log gets its own tools (and so its own memory of what it has seen),
 * created when its first call comes. When the scratchpad has a fake clock and the calls have times, the clock is set
 * to each call's time first, so that timestamps in the answers match.
 */
export async function replay(log: readonly ToolCallRecord[] | string, options: ReplayOptions = {}): Promise<ReplayReport> {
  const calls = parseToolLog(typeof log === 'string' ? log : [...log]);
  const sp = await (options.createScratchpad ?? createTestScratchpad)();
  const make = options.createTools ?? ((scratchpad: Scratchpad, agent: string) => createTools(scratchpad, { agent }));
  const byAgent = new Map<string, Tools>();

  for (let i = 0; i < calls.length; i++) {
    const call = calls[i]!;
    const agent = call.agent ?? options.defaultAgent ?? 'agent';
    let tools = byAgent.get(agent);
    if (tools === undefined) {
      tools = make(sp, agent);
      byAgent.set(agent, tools);
    }
    if (call.at !== undefined && isTestScratchpad(sp)) sp.clock.set(call.at);
    const actual = await tools.run(call.tool, call.args);
    if (actual.text !== call.text || actual.isError !== call.isError) {
      const divergence: Divergence = {
        index: call.index,
        agent,
        tool: call.tool,
        args: call.args,
        expected: { text: call.text, isError: call.isError },
        actual,
        line: firstDifferentLine(call.text, actual.text),
      };
      return { ok: false, calls: i, divergence, message: describeDivergence(divergence), scratchpad: sp };
    }
  }
  return { ok: true, calls: calls.length, scratchpad: sp };
}

/** `replay`, throwing an `AssertionError` with the divergence when there is one. */
export async function assertReplay(log: readonly ToolCallRecord[] | string, options: ReplayOptions = {}): Promise<Scratchpad> {
  const report = await replay(log, options);
  if (!report.ok) {
    throw new AssertionError(report.message, { actual: report.divergence.actual.text, expected: report.divergence.expected.text, operator: 'replay' });
  }
  return report.scratchpad;
}

function describeDivergence(d: Divergence): string {
  const head = `Replay diverged at call #${d.index}: ${d.agent} called ${d.tool} with ${JSON.stringify(d.args) ?? 'no arguments'}`;
  if (d.line === 0) {
    return `${head}\nsame text, but it was ${d.expected.isError ? '' : 'not '}an error when recorded and is ${d.actual.isError ? '' : 'not '}one now`;
  }
  const flag = d.expected.isError === d.actual.isError ? '' : `\n(and it was ${d.expected.isError ? '' : 'not '}an error when recorded, is ${d.actual.isError ? '' : 'not '}one now)`;
  return `${head}\n${showDifference(d.expected.text, d.actual.text)}${flag}`;
}
