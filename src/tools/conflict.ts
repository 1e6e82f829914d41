import { isScratchpadError } from '../core/errors.js';
import type { HistoryEntry } from '../core/types.js';
import { authors, diffBody, fencedDiff, patchBody, sectionName } from './format.js';
import type { ToolContext } from './spec.js';

/**
 * Runs a change that may carry `expected_version`. On a version mismatch the model gets what changed since the version
 * it expected, and by whom, so it can redo its change on top instead of blindly retrying.
 */
export async function withConflictAnswer(
  ctx: ToolContext,
  pad: string,
  section: string,
  expected: number | undefined,
  change: () => Promise<string>,
): Promise<string> {
  try {
    return await change();
  } catch (error) {
    if (expected === undefined || !isScratchpadError(error, 'CONFLICT')) throw error;
    const actual = error.details.actualVersion;
    return conflictText(ctx, pad, section, expected, typeof actual === 'number' ? actual : undefined);
  }
}

async function conflictText(ctx: ToolContext, pad: string, section: string, expected: number, reported: number | undefined): Promise<string> {
  const name = sectionName(pad, section);
  const live = ctx.sp.get(pad, section);
  const current = live?.version ?? reported ?? 0;
  const head = `Error: conflict on ${name}: you passed expected_version ${expected}, but the section is at version ${current}. Nothing was changed.`;

  if (live === undefined) {
    return `${head}\nThe section does not exist now. To create it, pass expected_version 0 or leave expected_version out.`;
  }
  if (expected > current) {
    return `${head}\nVersion ${expected} does not exist yet. Read the section with scratchpad_read and pass the version it shows.`;
  }

  const entries = (await ctx.sp.history({ pad, section })).filter((e) => e.version > expected && e.version <= current);
  const body = await diffLines(ctx, pad, section, expected, current, entries);
  // The model has now seen everything since `expected`; if it had seen `expected` itself, it is up to date.
  if (ctx.seen.get(pad, section) >= expected) ctx.seen.see(pad, section, current);
  const by = entries.length > 0 ? ` by ${authors(entries)}` : '';
  return [
    head,
    '',
    `Changes since version ${expected}${by}:`,
    fencedDiff(body, ctx.maxDiffLines),
    '',
    `Redo your change on top of the current content (scratchpad_read shows it) and pass expected_version ${current}.`,
  ].join('\n');
}

/**
 * The diff between two versions as lines. Falls back to the stored patches of the entries when the scratchpad cannot
 * rebuild the older version (retention may have dropped it), so that a conflict or a change report still shows something.
 */
export async function diffLines(
  ctx: ToolContext,
  pad: string,
  section: string,
  from: number,
  to: number,
  entries: readonly HistoryEntry[],
): Promise<string[]> {
  try {
    return diffBody((await ctx.sp.diff(pad, section, from, to)).text);
  } catch (error) {
    if (!isScratchpadError(error) || entries.length === 0) throw error;
    return entries.flatMap((entry) => patchBody(entry.patch));
  }
}
