import type { WriteMode } from '../../core/types.js';
import { withConflictAnswer } from '../conflict.js';
import { objectSchema } from '../schema.js';
import { WRITE_MODES, type Policy } from '../permissions.js';
import { changeText, EXPECTED_VERSION_DESCRIPTION, noteChange, padSchema, sectionSchema, versionSchema, type Args, type ToolSpec } from '../spec.js';

interface WriteArgs {
  readonly pad: string;
  readonly section: string;
  readonly content: string;
  readonly mode?: WriteMode;
  readonly expected_version?: number;
}

const MODE_TEXT: Record<WriteMode, string> = {
  replace: "'replace' sets the whole section to `content`",
  append:
    "'append' adds `content` at the end, separated from the existing text by one newline unless the section is empty " +
    'or already ends with a newline (so do not start `content` with a newline yourself)',
  prepend:
    "'prepend' puts `content` at the start, followed by one newline unless the section is empty or `content` already " +
    'ends with one',
};

/** Replace when allowed: it is what a model means when it says nothing; otherwise the first mode it may use. */
function defaultMode(policy: Policy): WriteMode {
  return policy.modes[0] ?? 'replace';
}

export const writeTool: ToolSpec = {
  name: 'scratchpad_write',
  mutates: true,
  define(policy) {
    const modes = policy.modes;
    const only = modes.length < WRITE_MODES.length ? ` You may only ${modes.join(' or ')}.` : '';
    const editHint = policy.mayUse('scratchpad_edit') ? ' To change part of a section, use scratchpad_edit instead of rewriting it.' : '';
    return {
      description:
        'Write text to a section of a scratchpad pad, creating the pad and the section if they do not exist. ' +
        `Modes: ${modes.map((m) => MODE_TEXT[m]).join('; ')}.${only}${editHint} ` +
        'Pass expected_version (the version you last read) to make sure you do not overwrite changes others made since. ' +
        'Returns a diff of what changed and the new version.',
      inputSchema: objectSchema(
        {
          pad: padSchema(policy),
          section: sectionSchema(),
          content: { type: 'string', description: 'The text to write.' },
          mode: {
            type: 'string',
            description: `How to combine content with the existing text. Default '${defaultMode(policy)}'.`,
            enum: [...modes],
            default: defaultMode(policy),
          },
          expected_version: versionSchema(EXPECTED_VERSION_DESCRIPTION),
        },
        ['pad', 'section', 'content'],
      ),
    };
  },
  refuse(policy, args) {
    const mode = args['mode'];
    if (typeof mode === 'string' && (WRITE_MODES as readonly string[]).includes(mode) && !(policy.modes as readonly string[]).includes(mode)) {
      return `mode '${mode}' is not allowed for agent '${policy.agent}'; use ${policy.modes.map((m) => `'${m}'`).join(' or ')}.`;
    }
    return undefined;
  },
  async run(ctx, args: Args) {
    const { pad, section, content, mode = defaultMode(ctx.policy), expected_version: expected } = args as unknown as WriteArgs;
    const seenBefore = ctx.seen.get(pad, section);
    return withConflictAnswer(ctx, pad, section, expected, async () => {
      const result = await ctx.sp.write(pad, section, content, {
        mode,
        agent: ctx.policy.agent,
        ...(expected === undefined ? {} : { expectedVersion: expected }),
      });
      noteChange(ctx, result, seenBefore, mode === 'replace');
      return changeText(ctx, result);
    });
  },
};
