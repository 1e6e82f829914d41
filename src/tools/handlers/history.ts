import type { HistoryQuery } from '../../core/types.js';
import { isoTime, opName, sectionName } from '../format.js';
import { objectSchema } from '../schema.js';
import { padSchema, sectionSchema, type Args, type ToolSpec } from '../spec.js';

interface HistoryArgs {
  readonly pad?: string;
  readonly section?: string;
  readonly agent?: string;
  readonly limit?: number;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 200;

export const historyTool: ToolSpec = {
  name: 'scratchpad_history',
  mutates: false,
  define(policy) {
    return {
      description:
        'List past versions, newest first: which agent changed which section, when, how (replace, append, prepend, ' +
        'edit, revert, delete) and how many lines it added and removed. Filter by pad, section and agent. Use ' +
        'scratchpad_diff to see what a version changed and scratchpad_revert to go back to one.',
      inputSchema: objectSchema({
        pad: padSchema(policy, 'Only this pad.'),
        section: sectionSchema('Only sections with this name.'),
        agent: { type: 'string', description: 'Only changes by this agent.', minLength: 1 },
        limit: { type: 'integer', description: `How many entries at most. Default ${DEFAULT_LIMIT}.`, minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
      }),
    };
  },
  async run(ctx, args: Args) {
    const { pad, section, agent, limit = DEFAULT_LIMIT } = args as unknown as HistoryArgs;
    const query: HistoryQuery = {
      order: 'desc',
      ...(pad === undefined ? {} : { pad }),
      ...(section === undefined ? {} : { section }),
      ...(agent === undefined ? {} : { agent }),
      // Across all pads, an agent limited to some pads has the rest filtered out afterwards: the limit applies after that.
      ...(pad === undefined && ctx.policy.padsLimited ? {} : { limit }),
    };
    const entries = (await ctx.sp.history(query)).filter((entry) => ctx.policy.mayTouch(entry.pad)).slice(0, limit);
    if (entries.length === 0) return 'No history matches.';
    const lines = entries.map(
      (e) =>
        `- ${sectionName(e.pad, e.section)} v${e.version}: ${opName(e.op)} by ${e.agent} at ${isoTime(e.timestamp)} (+${e.stats.added} -${e.stats.removed})${e.conflict === true ? ' [merged with a conflict]' : ''}`,
    );
    const count = entries.length === 1 ? '1 entry' : `${entries.length} entries`;
    return `History, newest first (${count}):\n${lines.join('\n')}`;
  },
};
