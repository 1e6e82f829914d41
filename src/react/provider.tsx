import { useEffect, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createScratchpad } from '../scratchpad.js';
import type { ScratchpadState } from '../store/state.js';
import type { Scratchpad, ScratchpadOptions } from '../types.js';
import { AgentColorsContext, type AgentColors } from './agent-colors.js';
import { AgentLabelContext, type AgentLabel } from './agent-labels.js';
import { ComputeContext, type ScratchpadCompute } from './compute.js';
import { ScratchpadContext } from './context.js';

interface CommonProps {
  readonly children?: ReactNode;
  /** Shown until the scratchpad has loaded from storage, instead of empty content. Default: nothing. */
  readonly fallback?: ReactNode;
  /**
   * Shown when the storage cannot be opened (`sp.ready` rejected). Without it the error is thrown during render, for
   * the nearest error boundary.
   */
  readonly renderError?: (error: Error) => ReactNode;
  /** Colours for agents by name; others get one from `AGENT_PALETTE`. */
  readonly agentColors?: AgentColors;
  /** How agent names read on this page, e.g. "you on this browser" for the person's own device. */
  readonly agentLabel?: AgentLabel;
  /** Where blame and context diffs are computed: `workerCompute(worker)` keeps large sections off the page's thread. */
  readonly compute?: ScratchpadCompute;
}

/** Either an existing scratchpad, which the provider never closes, or the options to create one it owns. */
export type ScratchpadProviderProps = CommonProps &
  (
    | { readonly scratchpad: Scratchpad; readonly options?: undefined }
    | {
        /** Read once, when the provider mounts: give the provider a new `key` to start over with other options. */
        readonly options: ScratchpadOptions;
        readonly scratchpad?: undefined;
      }
  );

/**
 * Makes a scratchpad available to the hooks and components below it, and renders them only once it has loaded from
 * storage: they never see an empty scratchpad that then fills up.
 */
export function ScratchpadProvider(props: ScratchpadProviderProps): ReactNode {
  const owned = useOwnedScratchpad(props.scratchpad === undefined ? props.options : undefined);
  const sp = props.scratchpad ?? owned;
  if (sp === undefined) return props.fallback ?? null;
  return (
    <ReadyGate sp={sp} fallback={props.fallback} renderError={props.renderError}>
      <AgentColorsContext.Provider value={props.agentColors}>
        <AgentLabelContext.Provider value={props.agentLabel}>
          <ComputeContext.Provider value={props.compute}>
            <ScratchpadContext.Provider value={sp}>{props.children}</ScratchpadContext.Provider>
          </ComputeContext.Provider>
        </AgentLabelContext.Provider>
      </AgentColorsContext.Provider>
    </ReadyGate>
  );
}

/**
 * Creates the scratchpad in an effect, not during render: render may run twice (StrictMode) and must not leave an
 * unclosed scratchpad with an open database connection behind. The effect's cleanup closes it.
 */
function useOwnedScratchpad(options: ScratchpadOptions | undefined): Scratchpad | undefined {
  const [sp, setSp] = useState<Scratchpad | undefined>(undefined);
  const wanted = options !== undefined;
  useEffect(() => {
    if (!wanted || options === undefined) return;
    const created = createScratchpad(options);
    setSp(created);
    return () => {
      created.close();
      setSp((currentSp) => (currentSp === created ? undefined : currentSp));
    };
    // Options are read once (see ScratchpadProviderProps): an inline object must not recreate the scratchpad.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wanted]);
  return sp;
}

const selectReady = (state: ScratchpadState): boolean => state.ready;

interface ReadyGateProps {
  readonly sp: Scratchpad;
  readonly children: ReactNode;
  readonly fallback: ReactNode;
  readonly renderError: ((error: Error) => ReactNode) | undefined;
}

function ReadyGate({ sp, children, fallback, renderError }: ReadyGateProps): ReactNode {
  const ready = useStore(sp.store, selectReady);
  const [failure, setFailure] = useState<{ sp: Scratchpad; error: Error } | undefined>(undefined);
  useEffect(() => {
    let current = true;
    sp.ready.catch((error: unknown) => {
      if (current) setFailure({ sp, error: error instanceof Error ? error : new Error(String(error)) });
    });
    return () => {
      current = false;
    };
  }, [sp]);
  if (failure !== undefined && failure.sp === sp) {
    if (renderError === undefined) throw failure.error;
    return renderError(failure.error);
  }
  return ready ? children : (fallback ?? null);
}
