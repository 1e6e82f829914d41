import type { HistoryEntry } from '../../core/types.js';
import { diffLines } from '../conflict.js';
import { authors, fencedDiff, sectionName } from '../format.js';
import { objectSchema } from '../schema.js';
import type { ToolContext, ToolSpec } from '../spec.js';

export const NO_CHANGES = 'No changes by other agents since your last read.';

/** Sections reported per call: a fresh agent in a busy session would otherwise get every section at once. */
const MAX_SECTIONS = 20;

export const changesTool: ToolSpec = {
  name: 'scratchpad_changes',
  mutates: false,
  define() {
    return {
      description:
        'Show what other agents changed since you last read or wrote each section: a diff per section with who made ' +
        'it. Sections you have never read count from the beginning. Call it before building on shared work, and after ' +
        'a pause. Afterwards those changes count as seen, so the next call only shows newer ones.',
      inputSchema: objectSchema({}),
    };
  },
  async run(ctx) {
    const reports: string[] = [];
    let more = 0;
    for (const [pad, section] of candidates(ctx)) {
      // Past the cap, only count: those sections stay unseen, so the next call reports them.
      if (reports.length >= MAX_SECTIONS) {
        if (await hasOthersChanges(ctx, pad, section)) more++;
        continue;
      }
      const report = await sectionReport(ctx, pad, section);
      if (report !== undefined) reports.push(report);
    }
    if (reports.length === 0) return NO_CHANGES;
    const rest = more === 0 ? '' : `\n\n${more} more changed section${more === 1 ? '' : 's'} not shown: call scratchpad_changes again to see them.`;
    return `Changes by other agents since your last read:\n\n${reports.join('\n\n')}${rest}`;
  },
};

/** Every live section the agent may see, and the ones it has seen that may since have been deleted. */
function candidates(ctx: ToolContext): Array<[string, string]> {
  const keys = new Map<string, [string, string]>();
  for (const pad of ctx.sp.pads()) {
    if (!ctx.policy.mayTouch(pad)) continue;
    for (const section of ctx.sp.sections(pad)) keys.set(JSON.stringify([pad, section]), [pad, section]);
  }
  for (const [pad, section] of ctx.seen.sections()) {
    if (ctx.policy.mayTouch(pad)) keys.set(JSON.stringify([pad, section]), [pad, section]);
  }
  return [...keys.values()];
}

/** Versions of a section after the last one this agent saw, oldest first. */
async function unseenEntries(ctx: ToolContext, pad: string, section: string): Promise<HistoryEntry[]> {
  const seen = ctx.seen.get(pad, section);
  const current = ctx.sp.get(pad, section)?.version;
  // The common case, answered without reading history: nothing new since the agent last looked.
  if (current !== undefined && current <= seen) return [];
  return (await ctx.sp.history({ pad, section, order: 'asc' })).filter((e) => e.version > seen);
}

async function hasOthersChanges(ctx: ToolContext, pad: string, section: string): Promise<boolean> {
  return (await unseenEntries(ctx, pad, section)).some((e) => e.agent !== ctx.policy.agent);
}

async function sectionReport(ctx: ToolContext, pad: string, section: string): Promise<string | undefined> {
  const entries = await unseenEntries(ctx, pad, section);
  if (entries.length === 0) return undefined;
  const current = ctx.sp.get(pad, section)?.version;
  const latest = entries[entries.length - 1]!.version;

  const parts: string[] = [];
  for (const run of othersRuns(entries, ctx.policy.agent)) {
    const from = run[0]!.version - 1;
    const to = run[run.length - 1]!.version;
    const body = await diffLines(ctx, pad, section, from, to, run);
    const range = from + 1 === to ? `Version ${to}` : `Versions ${from + 1}-${to}`;
    const deleted = run.some((e) => e.op === 'delete') ? ' (deleted)' : '';
    parts.push(`${range} by ${authors(run)}${deleted}:\n${body.length === 0 ? '(no line changes)' : fencedDiff(body, ctx.maxDiffLines)}`);
  }
  ctx.seen.see(pad, section, latest);
  if (parts.length === 0) return undefined;
  const state = current === undefined ? 'now deleted' : `now version ${current}`;
  return `${sectionName(pad, section)} (${state}):\n${parts.join('\n')}`;
}

/**
 * Consecutive versions by other agents, each run shown as one diff. The agent's own versions split the runs: it knows
 * what it wrote, and a diff across them would show its own text as someone else's.
 */
function othersRuns(entries: readonly HistoryEntry[], agent: string): HistoryEntry[][] {
  const runs: HistoryEntry[][] = [];
  let run: HistoryEntry[] = [];
  let previous: number | undefined;
  for (const entry of entries) {
    const contiguous = previous === undefined || entry.version === previous + 1;
    if (entry.agent === agent || !contiguous) {
      if (run.length > 0) runs.push(run);
      run = [];
    }
    if (entry.agent !== agent) run.push(entry);
    previous = entry.version;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
