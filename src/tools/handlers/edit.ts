import { isScratchpadError } from '../../core/errors.js';
import type { SectionEdit } from '../../core/types.js';
import { withConflictAnswer } from '../conflict.js';
import { objectSchema, type ObjectSchema } from '../schema.js';
import { missingSection } from './missing.js';
import { changeText, EXPECTED_VERSION_DESCRIPTION, noteChange, padSchema, sectionSchema, ToolError, versionSchema, type Args, type ToolSpec } from '../spec.js';

interface Range {
  readonly from: number;
  readonly to: number;
}

interface EditArgs {
  readonly pad: string;
  readonly section: string;
  readonly old_text?: string;
  readonly new_text?: string;
  readonly insert_at_line?: number;
  readonly text?: string;
  readonly delete_lines?: Range;
  readonly replace_lines?: Range;
  readonly expected_version?: number;
}

const OPERATIONS = 'old_text + new_text, insert_at_line + text, delete_lines, or replace_lines + text';

function rangeSchema(description: string): ObjectSchema {
  return objectSchema(
    {
      from: { type: 'integer', description: 'First line, 1-based.', minimum: 1 },
      to: { type: 'integer', description: 'Last line, inclusive, 1-based.', minimum: 1 },
    },
    ['from', 'to'],
    description,
  );
}

export const editTool: ToolSpec = {
  name: 'scratchpad_edit',
  mutates: true,
  define(policy) {
    return {
      description:
        'Change part of an existing section without rewriting it. Give exactly one operation: ' +
        '(1) old_text and new_text: replaces old_text, which must occur exactly once in the section (include enough ' +
        'surrounding text to make it unique; new_text may be empty to delete it); ' +
        '(2) insert_at_line and text: inserts text before that line (line count + 1 adds it at the end); ' +
        '(3) delete_lines {from, to}: deletes those lines; ' +
        '(4) replace_lines {from, to} and text: replaces those lines with text. ' +
        'Line numbers are 1-based and ranges include both ends; read the section with line_numbers: true first to see them. ' +
        "Pass expected_version (the version you read) so that your edit cannot land on text someone else has changed since. " +
        'Returns a diff of what changed and the new version.',
      inputSchema: objectSchema(
        {
          pad: padSchema(policy),
          section: sectionSchema(),
          old_text: { type: 'string', description: 'Exact text to replace; must occur exactly once.', minLength: 1 },
          new_text: { type: 'string', description: 'Replacement for old_text (may be empty).' },
          insert_at_line: { type: 'integer', description: 'Insert text before this 1-based line.', minimum: 1 },
          delete_lines: rangeSchema('Lines to delete, 1-based, inclusive.'),
          replace_lines: rangeSchema('Lines to replace with text, 1-based, inclusive.'),
          text: { type: 'string', description: 'The text for insert_at_line or replace_lines.' },
          expected_version: versionSchema(EXPECTED_VERSION_DESCRIPTION),
        },
        ['pad', 'section'],
      ),
    };
  },
  async run(ctx, args: Args) {
    const input = args as unknown as EditArgs;
    const edit = toSectionEdit(input);
    const { pad, section, expected_version: expected } = input;
    if (ctx.sp.get(pad, section) === undefined) throw missingSection(ctx, pad, section);
    const seenBefore = ctx.seen.get(pad, section);
    return withConflictAnswer(ctx, pad, section, expected, async () => {
      try {
        const result = await ctx.sp.edit(pad, section, edit, {
          agent: ctx.policy.agent,
          ...(expected === undefined ? {} : { expectedVersion: expected }),
        });
        noteChange(ctx, result, seenBefore, false);
        return changeText(ctx, result);
      } catch (error) {
        if (isScratchpadError(error, 'INVALID_ARGUMENT') || isScratchpadError(error, 'NOT_FOUND')) {
          throw new ToolError(`${toToolNames(error.message)} Read the section with scratchpad_read (line_numbers: true) to see its current text.`);
        }
        throw error;
      }
    });
  },
};

/** The one operation the arguments name, or a message saying how to name exactly one. */
function toSectionEdit(args: EditArgs): SectionEdit {
  const given = (['old_text', 'insert_at_line', 'delete_lines', 'replace_lines'] as const).filter((key) => args[key] !== undefined);
  if (given.length === 0) throw new ToolError(`scratchpad_edit needs one operation: ${OPERATIONS}.`);
  if (given.length > 1) {
    throw new ToolError(`scratchpad_edit takes exactly one operation per call, got ${given.join(' and ')}. Make one call per operation.`);
  }
  const needsText = args.insert_at_line !== undefined || args.replace_lines !== undefined;
  if (args.new_text !== undefined && args.old_text === undefined) throw new ToolError("'new_text' goes with 'old_text'.");
  if (args.text !== undefined && !needsText) throw new ToolError("'text' goes with 'insert_at_line' or 'replace_lines'; with old_text use 'new_text'.");

  if (args.old_text !== undefined) {
    if (args.new_text === undefined) throw new ToolError("'old_text' needs 'new_text' (use an empty string to delete the text).");
    return { oldText: args.old_text, newText: args.new_text };
  }
  if (needsText && args.text === undefined) throw new ToolError(`'${given[0]}' needs 'text'.`);
  if (args.insert_at_line !== undefined) return { insertAtLine: args.insert_at_line, text: args.text ?? '' };
  const range = (args.delete_lines ?? args.replace_lines)!;
  if (range.from > range.to) {
    throw new ToolError(`'${given[0]}.from' (${range.from}) must not be greater than '${given[0]}.to' (${range.to}).`);
  }
  const lines = { from: range.from, to: range.to };
  return args.delete_lines !== undefined ? { deleteLines: lines } : { replaceLines: lines, text: args.text ?? '' };
}

const ARGUMENT_NAMES: Record<string, string> = {
  oldText: 'old_text',
  newText: 'new_text',
  insertAtLine: 'insert_at_line',
  deleteLines: 'delete_lines',
  replaceLines: 'replace_lines',
};

/** The scratchpad names edit fields the way its TypeScript API does; the model knows them by the tool's argument names. */
function toToolNames(message: string): string {
  return message.replace(/\b(oldText|newText|insertAtLine|deleteLines|replaceLines)\b/g, (name) => ARGUMENT_NAMES[name] ?? name);
}
