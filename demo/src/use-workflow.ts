import { useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import { useScratchpad } from './lib.js';
import { WORKFLOW_KEY } from './settings.js';
import { createWorkflow, type Workflow, type WorkflowState } from './workflow.js';

export interface WorkflowHandle extends Workflow {
  readonly state: WorkflowState;
}

/** The scripted agents on this provider's scratchpad, stopped when the scratchpad goes away. */
export function useWorkflow(): WorkflowHandle {
  const sp = useScratchpad();
  const workflow = useMemo(() => createWorkflow(sp, WORKFLOW_KEY), [sp]);
  useEffect(() => () => workflow.dispose(), [workflow]);
  const state = useStore(workflow.store);
  return useMemo(() => ({ ...workflow, state }), [workflow, state]);
}
