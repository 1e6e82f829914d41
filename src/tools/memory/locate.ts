import type { Scratchpad } from '../../types.js';
import { DEFAULT_MEMORY_PAD } from './handlers.js';
import { resolveMemoryPath } from './paths.js';
import { baseOf, INDEX_SECTION, parseIndex } from './tree.js';

/**
 * The section that holds a memory file now, for the scratchpad's own calls on it (`history`, `contentAt`, `diff`,
 * `blame`): after a rename the file keeps the section it was created in, so its path and its section name can
 * differ. Undefined when no file is at that path (or the path is not one the memory tool accepts).
 */
export function memoryFileSection(
  sp: Scratchpad,
  memoryPath: string,
  options: { readonly pad?: string } = {},
): { pad: string; section: string } | undefined {
  const pad = options.pad ?? DEFAULT_MEMORY_PAD;
  let place: string;
  try {
    place = resolveMemoryPath(memoryPath);
  } catch {
    return undefined;
  }
  const moves = parseIndex(sp.read(pad, INDEX_SECTION) ?? '').moves;
  for (const key of sp.sections(pad)) {
    const base = baseOf(key);
    if (base !== undefined && (moves.get(key) ?? base) === place) return { pad, section: key };
  }
  return undefined;
}
