import { useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useScratchpad, useSection } from './lib.js';
import type { Identity } from './settings.js';
import { activeLease, createWorkflow, parseProgress, WORKFLOW_PAD, type Lease, type LocalState, type Progress, type Workflow } from './workflow.js';

export type Runner = { readonly where: 'nobody' } | { readonly where: 'here' | 'other-tab' | 'other-device'; readonly lease: Lease };

export interface WorkflowHandle extends Workflow {
  /** Shared by every tab and device: read from the scratchpad. */
  readonly progress: Progress;
  readonly runner: Runner;
  readonly local: LocalState;
}

/** The scripted agents on this provider's scratchpad, stopped when the scratchpad goes away. */
export function useWorkflow(identity: Identity): WorkflowHandle {
  const sp = useScratchpad();
  const workflow = useMemo(() => createWorkflow(sp, identity), [sp, identity]);
  // Connected in an effect, not created dead: StrictMode (and any remount) runs mount → cleanup → mount, and the
  // workflow made by useMemo must still run after that.
  useEffect(() => workflow.connect(), [workflow]);
  const local = useStore(workflow.store);
  const progressSection = useSection(WORKFLOW_PAD, 'progress');
  const leaseSection = useSection(WORKFLOW_PAD, 'lease');
  const progress = useMemo(() => parseProgress(progressSection), [progressSection]);
  const now = useClockWhile(leaseSection !== undefined && leaseSection.content !== '');
  const lease = activeLease(leaseSection, now);
  const runner: Runner =
    lease === undefined
      ? { where: 'nobody' }
      : lease.holder === `${identity.device}/${identity.tab}`
        ? { where: 'here', lease }
        : { where: lease.device === identity.device ? 'other-tab' : 'other-device', lease };
  return useMemo(() => ({ ...workflow, progress, runner, local }), [workflow, progress, runner.where, lease?.holder, local]); // eslint-disable-line react-hooks/exhaustive-deps
}

/** Date.now(), ticking every second while `active`: a lease expires without anyone writing. */
function useClockWhile(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [active]);
  return active ? now : Date.now();
}
