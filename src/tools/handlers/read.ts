import { objectSchema } from '../schema.js';
import { lineCount, plural, sectionName } from '../format.js';
import { padSchema, sectionSchema, ToolError, type Args, type ToolContext, type ToolSpec } from '../spec.js';
import { missingPad, missingSection } from './missing.js';

interface ReadArgs {
  readonly pad: string;
  readonly section?: string;
  readonly line_numbers?: boolean;
  readonly from?: number;
  readonly to?: number;
}

export const readTool: ToolSpec = {
  name: 'scratchpad_read',
  mutates: false,
  define(policy) {
    return {
      description:
        'Read a scratchpad. With section: that section\'s current text and its version (pass the version as ' +
        'expected_version when you write or edit it). Set line_numbers: true before editing by line; from and to ' +
        '(1-based, inclusive) show only those lines, numbered. Without section: the whole pad as Markdown, every ' +
        'section under its own heading. Reading also marks the text as seen for scratchpad_changes.',
      inputSchema: objectSchema(
        {
          pad: padSchema(policy),
          section: sectionSchema('Section to read; leave out to read the whole pad.'),
          line_numbers: { type: 'boolean', description: 'Prefix each line with its 1-based number. Default false.', default: false },
          from: { type: 'integer', description: 'First line to show, 1-based (needs section).', minimum: 1 },
          to: { type: 'integer', description: 'Last line to show, inclusive (needs section).', minimum: 1 },
        },
        ['pad'],
      ),
    };
  },
  async run(ctx, args: Args) {
    const input = args as unknown as ReadArgs;
    return input.section === undefined ? readPad(ctx, input) : readSection(ctx, input, input.section);
  },
};

function readSection(ctx: ToolContext, args: ReadArgs, section: string): string {
  const { sp, seen } = ctx;
  const { pad, from, to } = args;
  const current = sp.get(pad, section);
  if (current === undefined) throw missingSection(ctx, pad, section);
  if (from !== undefined && to !== undefined && from > to) throw new ToolError(`'from' (${from}) must not be greater than 'to' (${to}).`);

  const lines = lineCount(current.content);
  if (from !== undefined && from > Math.max(lines, 1)) {
    throw new ToolError(`'from' (${from}) is past the end: ${sectionName(pad, section)} has ${plural(lines, 'line')}.`);
  }
  // A range is always numbered: the model asked by line number, and needs the numbers to edit by line.
  const ranged = from !== undefined || to !== undefined;
  const numbered = args.line_numbers === true || ranged;
  const last = Math.min(to ?? lines, lines);
  const shown = ranged ? `, lines ${from ?? 1}-${last} of ${lines}` : `, ${plural(lines, 'line')}`;
  const body = numbered && lines > 0 ? sp.lines(pad, section, { from: from ?? 1, to: last }) : current.content;
  seen.see(pad, section, current.version);

  const head = `${sectionName(pad, section)}, version ${current.version}, last written by ${current.updatedBy}${shown}:`;
  return `${head}\n\n${body === '' ? '(empty)' : body}`;
}

function readPad(ctx: ToolContext, args: ReadArgs): string {
  const { sp, seen } = ctx;
  const { pad } = args;
  if (args.line_numbers === true || args.from !== undefined || args.to !== undefined) {
    throw new ToolError("'line_numbers: true', 'from' and 'to' need a 'section'; leave them out to read the whole pad.");
  }
  const sections = sp.sections(pad);
  if (sections.length === 0) throw missingPad(ctx, pad);
  const versions: string[] = [];
  for (const section of sections) {
    const current = sp.get(pad, section);
    if (current === undefined) continue;
    versions.push(`${section} v${current.version}`);
    seen.see(pad, section, current.version);
  }
  return `Pad '${pad}' (${plural(sections.length, 'section')}: ${versions.join(', ')}):\n\n${sp.render(pad)}`;
}
