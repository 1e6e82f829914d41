import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { useScratchpad } from './context.js';
import { selectPadNames } from './selectors.js';

/**
 * The pad names, in natural order. Re-renders only when a pad appears or disappears, not when content changes.
 */
export function usePads(): readonly string[] {
  const sp = useScratchpad();
  return useStore(sp.store, useShallow(selectPadNames));
}
