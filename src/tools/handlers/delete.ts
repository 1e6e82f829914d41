import { plural } from '../format.js';
import { objectSchema } from '../schema.js';
import { changeText, padSchema, sectionSchema, type Args, type ToolContext, type ToolSpec } from '../spec.js';
import { missingPad, missingSection } from './missing.js';

interface DeleteArgs {
  readonly pad: string;
  readonly section?: string;
}

export const deleteTool: ToolSpec = {
  name: 'scratchpad_delete',
  mutates: true,
  define(policy) {
    return {
      description:
        'Delete a section, or with no section the whole pad and all its sections. The history stays: ' +
        'scratchpad_history still lists the deleted versions. Only delete what is really no longer needed; to empty ' +
        'a section but keep it, write empty content with scratchpad_write.',
      inputSchema: objectSchema(
        {
          pad: padSchema(policy),
          section: sectionSchema('Section to delete; leave out to delete the whole pad.'),
        },
        ['pad'],
      ),
    };
  },
  async run(ctx, args: Args) {
    const { pad, section } = args as unknown as DeleteArgs;
    return section === undefined ? deletePad(ctx, pad) : deleteSection(ctx, pad, section);
  },
};

async function deleteSection(ctx: ToolContext, pad: string, section: string): Promise<string> {
  if (ctx.sp.get(pad, section) === undefined) throw missingSection(ctx, pad, section);
  const result = await ctx.sp.delete(pad, section, { agent: ctx.policy.agent });
  ctx.seen.see(pad, section, result.version);
  return changeText(ctx, result);
}

async function deletePad(ctx: ToolContext, pad: string): Promise<string> {
  const sections = ctx.sp.sections(pad);
  if (sections.length === 0) throw missingPad(ctx, pad);
  const results = await ctx.sp.deletePad(pad, { agent: ctx.policy.agent });
  for (const result of results) ctx.seen.see(result.pad, result.section, result.version);
  return `Deleted pad '${pad}' and its ${plural(results.length, 'section')}: ${results.map((r) => r.section).join(', ')}.`;
}
