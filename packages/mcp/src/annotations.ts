import type { ToolDefinition, ToolName } from 'scratchpad-store/tools';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';

/**
 * Hints for hosts that decide which calls need the user's confirmation. They follow the spec's wording:
 * `destructiveHint: false` means "only additive updates", so whatever can overwrite or remove text that is already
 * there (replace, edit, revert, delete) is destructive, even though the history keeps every version and any of them can
 * be reverted. Nothing here reaches outside the scratchpad, hence `openWorldHint: false` throughout.
 */
const ANNOTATIONS: Record<ToolName, ToolAnnotations> = {
  scratchpad_read: { title: 'Read a pad or section', readOnlyHint: true, openWorldHint: false },
  scratchpad_list: { title: 'List pads and sections', readOnlyHint: true, openWorldHint: false },
  scratchpad_changes: { title: "See other agents' changes", readOnlyHint: true, openWorldHint: false },
  scratchpad_history: { title: 'Version history', readOnlyHint: true, openWorldHint: false },
  scratchpad_diff: { title: 'Diff two versions', readOnlyHint: true, openWorldHint: false },
  // Appending twice appends twice.
  scratchpad_write: { title: 'Write to a section', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  // An insert by line repeats; a replacement of old_text fails the second time, but the tool as a whole is not idempotent.
  scratchpad_edit: { title: 'Edit part of a section', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  // Reverting to the same version again finds the content already there and makes no new version.
  scratchpad_revert: { title: 'Revert a section', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  // Deleting what is already gone changes nothing (the second call answers that it does not exist).
  scratchpad_delete: { title: 'Delete a section or pad', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
};

export function annotationsFor(definition: ToolDefinition): ToolAnnotations {
  const base = ANNOTATIONS[definition.name];
  if (definition.name !== 'scratchpad_write') return { ...base };
  // An agent limited to append and prepend (`allow.modes`) can only add text: its writes are not destructive.
  const mode = definition.inputSchema.properties['mode'];
  const modes = mode?.type === 'string' ? mode.enum : undefined;
  return { ...base, destructiveHint: modes === undefined || modes.includes('replace') };
}
