import type { WriteMode } from '../core/types.js';
import { ScratchpadError } from '../core/errors.js';
import type { ToolName, ToolPermissions } from './types.js';

export const WRITE_MODES: readonly WriteMode[] = ['replace', 'append', 'prepend'];

/** `ToolPermissions` with its defaults applied: what the tools consult on every call. */
export interface Policy {
  readonly agent: string;
  readonly modes: readonly WriteMode[];
  /** Set when pads were given as a list: the schemas then offer exactly these pads. */
  readonly padList: readonly string[] | undefined;
  /** Whether some pads are out of reach, so that listings across pads must be filtered. */
  readonly padsLimited: boolean;
  mayUse(tool: ToolName): boolean;
  mayTouch(pad: string): boolean;
  /** Why a tool is unavailable, for the refusal text. */
  whyNot(tool: ToolName): string;
}

export function resolvePolicy(agent: string, allow: ToolPermissions = {}): Policy {
  const readOnly = allow.readOnly === true;
  const modes = readOnly ? [] : normalizeModes(allow.modes);
  const rewrites = modes.includes('replace');
  const edit = !readOnly && (allow.edit ?? rewrites);
  const revert = !readOnly && (allow.revert ?? rewrites);
  const remove = !readOnly && (allow.delete ?? rewrites);
  const pads = allow.pads;
  const padList = Array.isArray(pads) ? [...(pads as readonly string[])] : undefined;
  const mayTouch = typeof pads === 'function' ? safePredicate(pads) : padList === undefined ? () => true : (pad: string) => padList.includes(pad);

  const usable: Record<ToolName, boolean> = {
    scratchpad_write: modes.length > 0,
    scratchpad_edit: edit,
    scratchpad_read: true,
    scratchpad_list: true,
    scratchpad_history: true,
    scratchpad_diff: true,
    scratchpad_revert: revert,
    scratchpad_delete: remove,
    scratchpad_changes: true,
  };

  return {
    agent,
    modes,
    padList,
    padsLimited: pads !== undefined,
    mayUse: (tool) => usable[tool],
    mayTouch,
    whyNot: (tool) => {
      if (readOnly) return `agent '${agent}' is read-only`;
      if (modes.length > 0 && !rewrites) return `agent '${agent}' may only ${modes.join(' or ')}`;
      if (tool === 'scratchpad_write') return `agent '${agent}' may not write`;
      return `agent '${agent}' may not use ${tool}`;
    },
  };
}

function normalizeModes(modes: readonly WriteMode[] | undefined): WriteMode[] {
  if (modes === undefined) return [...WRITE_MODES];
  for (const mode of modes) {
    if (!WRITE_MODES.includes(mode)) {
      throw new ScratchpadError('INVALID_ARGUMENT', `createTools: unknown write mode ${JSON.stringify(mode)} in allow.modes`);
    }
  }
  // Canonical order, so that the schema's enum and default do not depend on how the caller listed them.
  return WRITE_MODES.filter((mode) => modes.includes(mode));
}

/** A throwing user predicate must refuse the pad, not break `call`'s promise never to throw. */
function safePredicate(predicate: (pad: string) => boolean): (pad: string) => boolean {
  return (pad) => {
    try {
      return predicate(pad) === true;
    } catch {
      return false;
    }
  };
}
