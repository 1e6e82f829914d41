import { isoTime, plural } from '../format.js';
import { objectSchema } from '../schema.js';
import { padSchema, type Args, type ToolContext, type ToolSpec } from '../spec.js';
import { missingPad } from './missing.js';

const encoder = new TextEncoder();

export const listTool: ToolSpec = {
  name: 'scratchpad_list',
  mutates: false,
  define(policy) {
    return {
      description:
        'List what exists. Without pad: the pads and how many sections each has. With pad: its sections, each with ' +
        'its current version, size in bytes, last writer and time. Use it to find names before reading or writing.',
      inputSchema: objectSchema({ pad: padSchema(policy, 'Pad whose sections to list; leave out to list the pads.') }),
    };
  },
  async run(ctx, args: Args) {
    const pad = args['pad'];
    return typeof pad === 'string' ? listSections(ctx, pad) : listPads(ctx);
  },
};

function listPads(ctx: ToolContext): string {
  const pads = ctx.sp.pads().filter((pad) => ctx.policy.mayTouch(pad));
  if (pads.length === 0) return 'No pads yet. scratchpad_write creates a pad and a section in one call.';
  const lines = pads.map((pad) => `- ${pad} (${plural(ctx.sp.sections(pad).length, 'section')})`);
  return `${plural(pads.length, 'pad')}:\n${lines.join('\n')}`;
}

function listSections(ctx: ToolContext, pad: string): string {
  const sections = ctx.sp.sections(pad);
  if (sections.length === 0) throw missingPad(ctx, pad);
  const lines: string[] = [];
  for (const section of sections) {
    const current = ctx.sp.get(pad, section);
    if (current === undefined) continue;
    const bytes = encoder.encode(current.content).length;
    lines.push(`- ${section}: version ${current.version}, ${plural(bytes, 'byte')}, last written by ${current.updatedBy} at ${isoTime(current.updatedAt)}`);
  }
  return `Pad '${pad}', ${plural(lines.length, 'section')}:\n${lines.join('\n')}`;
}
