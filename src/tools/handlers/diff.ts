import { diffLines } from '../conflict.js';
import { authors, fencedDiff, sectionName } from '../format.js';
import { objectSchema } from '../schema.js';
import { missingSection } from './missing.js';
import { padSchema, sectionSchema, versionSchema, type Args, type ToolSpec } from '../spec.js';

interface DiffArgs {
  readonly pad: string;
  readonly section: string;
  readonly from_version: number;
  readonly to_version?: number;
}

export const diffTool: ToolSpec = {
  name: 'scratchpad_diff',
  mutates: false,
  define(policy) {
    return {
      description:
        'Show what changed in a section between two versions, as a unified diff (lines starting with - were removed, ' +
        '+ added), and who made those changes. to_version defaults to the current version. Version numbers come ' +
        'from scratchpad_history, scratchpad_list or scratchpad_read.',
      inputSchema: objectSchema(
        {
          pad: padSchema(policy),
          section: sectionSchema(),
          from_version: versionSchema('The older version (0: before the section existed).'),
          to_version: versionSchema('The newer version. Default: the current version.'),
        },
        ['pad', 'section', 'from_version'],
      ),
    };
  },
  async run(ctx, args: Args) {
    const { pad, section, from_version: from, to_version } = args as unknown as DiffArgs;
    const history = await ctx.sp.history({ pad, section });
    if (history.length === 0 && ctx.sp.get(pad, section) === undefined) throw missingSection(ctx, pad, section);
    const to = to_version ?? ctx.sp.get(pad, section)?.version ?? Math.max(0, ...history.map((e) => e.version));
    const [low, high] = from <= to ? [from, to] : [to, from];
    const entries = history.filter((e) => e.version > low && e.version <= high);
    const body = await diffLines(ctx, pad, section, from, to, entries);
    const name = sectionName(pad, section);
    if (body.length === 0) return `No differences in ${name} between version ${from} and version ${to}.`;
    const by = entries.length > 0 ? ` Changes by ${authors(entries)}.` : '';
    return `Diff of ${name} from version ${from} to version ${to}.${by}\n${fencedDiff(body, ctx.maxDiffLines)}`;
  },
};
