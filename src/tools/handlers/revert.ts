import { withConflictAnswer } from '../conflict.js';
import { objectSchema } from '../schema.js';
import { changeText, EXPECTED_VERSION_DESCRIPTION, noteChange, padSchema, sectionSchema, versionSchema, type Args, type ToolSpec } from '../spec.js';

interface RevertArgs {
  readonly pad: string;
  readonly section: string;
  readonly to_version: number;
  readonly expected_version?: number;
}

export const revertTool: ToolSpec = {
  name: 'scratchpad_revert',
  mutates: true,
  define(policy) {
    return {
      description:
        'Restore a section to the content it had at an earlier version. This makes a new version; the history in ' +
        'between is kept, so a revert can itself be undone. Find versions with scratchpad_history and check them with ' +
        'scratchpad_diff first. Returns a diff of what changed and the new version.',
      inputSchema: objectSchema(
        {
          pad: padSchema(policy),
          section: sectionSchema(),
          to_version: versionSchema('The version whose content to restore.', 1),
          expected_version: versionSchema(EXPECTED_VERSION_DESCRIPTION),
        },
        ['pad', 'section', 'to_version'],
      ),
    };
  },
  async run(ctx, args: Args) {
    const { pad, section, to_version: toVersion, expected_version: expected } = args as unknown as RevertArgs;
    const seenBefore = ctx.seen.get(pad, section);
    return withConflictAnswer(ctx, pad, section, expected, async () => {
      const result = await ctx.sp.revert(pad, section, toVersion, {
        agent: ctx.policy.agent,
        ...(expected === undefined ? {} : { expectedVersion: expected }),
      });
      // The revert's diff is against the current content, so the model has seen the whole change.
      noteChange(ctx, result, seenBefore, true);
      return changeText(ctx, result);
    });
  },
};
