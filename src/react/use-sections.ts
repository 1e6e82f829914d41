import { useCallback } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { ScratchpadState } from '../store/state.js';
import { useScratchpad } from './context.js';
import { selectSectionNames } from './selectors.js';

/**
 * The names of a pad's sections, in natural order (empty for an unknown pad). Re-renders only when a section of that
 * pad appears or disappears.
 */
export function useSections(pad: string): readonly string[] {
  const sp = useScratchpad();
  const select = useCallback((state: ScratchpadState) => selectSectionNames(state, pad), [pad]);
  return useStore(sp.store, useShallow(select));
}
