import type { WriteResult } from '../core/types.js';
import type { Scratchpad } from '../types.js';
import { capMessage } from './format.js';
import type { Policy } from './permissions.js';
import type { IntegerSchema, ObjectSchema, StringSchema } from './schema.js';
import type { SeenVersions } from './seen.js';
import type { ToolName } from './types.js';

/** What every tool works with: one per `createTools` call. */
export interface ToolContext {
  readonly sp: Scratchpad;
  readonly policy: Policy;
  readonly seen: SeenVersions;
  readonly maxDiffLines: number;
}

/** Arguments after validation against the tool's schema. */
export type Args = Readonly<Record<string, unknown>>;

/** One tool: how it presents itself to a model and what it does. */
export interface ToolSpec {
  readonly name: ToolName;
  /** Whether it can change the scratchpad; its errors then say that nothing was changed. */
  readonly mutates: boolean;
  define(policy: Policy): { description: string; inputSchema: ObjectSchema };
  /** A refusal on grounds of permission, checked before the schema (whose enums would only call it invalid). */
  refuse?(policy: Policy, args: Args): string | undefined;
  /** Runs on arguments that passed the schema. Throws `ToolError` or `ScratchpadError` to answer `Error: …`. */
  run(ctx: ToolContext, args: Args): Promise<string>;
}

/** A problem the model can fix, reported as `Error: <message>`. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

export function padSchema(policy: Policy, description = 'Pad name: a pad is a named document made of sections.'): StringSchema {
  // A fixed list of pads is offered as an enum, so the model never has to guess; an empty list would be invalid JSON Schema.
  const list = policy.padList;
  return list !== undefined && list.length > 0
    ? { type: 'string', description, enum: [...list] }
    : { type: 'string', description, minLength: 1 };
}

export function sectionSchema(description = 'Section name within the pad.'): StringSchema {
  return { type: 'string', description, minLength: 1 };
}

export function versionSchema(description: string, minimum = 0): IntegerSchema {
  return { type: 'integer', description, minimum };
}

export const EXPECTED_VERSION_DESCRIPTION =
  'The version of the section you last read (0 if you expect the section not to exist yet). If someone changed it ' +
  'since, nothing is written and you get their changes as a diff, so you can redo your change on top. Use it to ' +
  "avoid overwriting others' work.";

/** After a change by this agent: what it has now seen of the section. */
export function noteChange(ctx: ToolContext, result: WriteResult, seenBefore: number, sawWholeChange: boolean): void {
  // Versions between the last one this agent saw and the one its change started from were made by others. Unless
  // its change showed it everything that changed (a whole replace shows the old text as removed lines), those
  // stay unseen, so that `scratchpad_changes` still reports them.
  if (result.previousVersion <= seenBefore || sawWholeChange) ctx.seen.see(result.pad, result.section, result.version);
}

/**
 * The scratchpad's message for a change, its diff capped, and the version to pass as `expected_version` next time
 * (an unchanged result already names its version in the headline).
 */
export function changeText(ctx: ToolContext, result: WriteResult): string {
  const message = capMessage(result.message, ctx.maxDiffLines);
  return result.changed ? `${message}\n\nNow at version ${result.version} (was ${result.previousVersion}).` : message;
}
