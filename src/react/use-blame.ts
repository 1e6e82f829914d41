import type { BlameLine } from '../core/types.js';
import { blameWith, useCompute } from './compute.js';
import { instanceKey, useScratchpad } from './context.js';
import { useAsyncValue } from './use-async.js';
import { useSection } from './use-section.js';

export interface BlameState {
  /** Every line of the section with the version, agent and time that last introduced it; empty for no section. */
  readonly lines: readonly BlameLine[];
  readonly loading: boolean;
  readonly error: Error | undefined;
  readonly refresh: () => void;
}

const NO_LINES: readonly BlameLine[] = Object.freeze([]);

/**
 * `sp.blame(pad, section)`, loaded again whenever the section changes. Under a provider with `compute`, the lines are
 * worked out there (a Web Worker) from the section's history.
 */
export function useBlame(pad: string, section: string): BlameState {
  const sp = useScratchpad();
  const compute = useCompute();
  const current = useSection(pad, section);
  const key = JSON.stringify([instanceKey(sp), pad, section]);
  const { data, loading, error, refresh } = useAsyncValue<readonly BlameLine[]>(key, current, NO_LINES, async () =>
    // A section that does not exist (yet, or any more) has no lines to blame: that is not an error to show.
    current === undefined ? NO_LINES : compute ? blameWith(sp, compute, pad, section) : sp.blame(pad, section),
  );
  return { lines: data, loading, error, refresh };
}
