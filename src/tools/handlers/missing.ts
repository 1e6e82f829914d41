import { sectionName } from '../format.js';
import { ToolError, type ToolContext } from '../spec.js';

const SHOWN = 20;

/** "Does not exist", with the names that do exist, so that the model can correct a typo in one step. */
export function missingPad(ctx: ToolContext, pad: string): ToolError {
  const pads = ctx.sp.pads().filter((p) => ctx.policy.mayTouch(p));
  const known = pads.length === 0 ? 'There are no pads yet.' : `Existing pads: ${names(pads)}.`;
  return new ToolError(`Pad '${pad}' does not exist. ${known}`);
}

export function missingSection(ctx: ToolContext, pad: string, section: string): ToolError {
  const sections = ctx.sp.sections(pad);
  if (sections.length === 0) return missingPad(ctx, pad);
  return new ToolError(`Section ${sectionName(pad, section)} does not exist. Sections of '${pad}': ${names(sections)}.`);
}

function names(list: readonly string[]): string {
  const shown = list.slice(0, SHOWN).join(', ');
  return list.length > SHOWN ? `${shown}, … (${list.length - SHOWN} more; use scratchpad_list)` : shown;
}
