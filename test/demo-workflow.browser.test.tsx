import { act, StrictMode, type ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { useWorkflow, type WorkflowHandle } from '../demo/src/use-workflow.js';
import { parseLease, parseProgress, WORKFLOW_PAD } from '../demo/src/workflow.js';
import { createScratchpad, type Scratchpad } from '../src/index.js';
import { ScratchpadProvider } from '../src/react/index.js';
import { cleanup, render, settle } from './react/render.js';

// The demo's runner as React mounts it. In development builds StrictMode mounts every effect twice (mount → cleanup →
// mount): a workflow that took its unmount as final stopped "Run all" after taking the lease, which is how the e2e
// tests stalled when vitest's NODE_ENV=test made `npm start` build React's development version.
const identity = { device: 'd1', deviceName: 'Chromium on Linux d1', tab: 't1' };
const opened: Scratchpad[] = [];

afterEach(async () => {
  await cleanup();
  for (const sp of opened.splice(0)) sp.close();
});

function Probe({ onHandle }: { onHandle: (handle: WorkflowHandle) => void }): ReactNode {
  onHandle(useWorkflow(identity));
  return null;
}

async function mount(strict: boolean): Promise<{ sp: Scratchpad; handle: () => WorkflowHandle }> {
  const sp = createScratchpad();
  opened.push(sp);
  // The provider renders its children once the scratchpad is ready (memoryStorage loads on first use).
  await sp.ready;
  let latest: WorkflowHandle | undefined;
  const tree = (
    <ScratchpadProvider scratchpad={sp}>
      <Probe onHandle={(h) => (latest = h)} />
    </ScratchpadProvider>
  );
  await render(strict ? <StrictMode>{tree}</StrictMode> : tree);
  return { sp, handle: () => latest! };
}

describe('the demo workflow under React', () => {
  for (const strict of [true, false]) {
    it(`runs every step and gives the lease back${strict ? ' in StrictMode (effects mounted twice)' : ''}`, async () => {
      const { sp, handle } = await mount(strict);
      await settle(() => handle().run(0));
      expect(parseProgress(sp.get(WORKFLOW_PAD, 'progress')).next).toBe(handle().total);
      expect(parseProgress(sp.get(WORKFLOW_PAD, 'progress')).log.filter((r) => r.isError)).toEqual([]);
      expect(parseLease(sp.get(WORKFLOW_PAD, 'lease'))).toBeUndefined();
      expect(handle().local).toMatchObject({ running: false, busy: false });
    });
  }

  it('stops a run when it unmounts, and gives the lease back', async () => {
    const { sp, handle } = await mount(true);
    // One act() around the run, its unmount and its end: every state update of the runner happens inside it.
    await act(async () => {
      const running = handle().run(50);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await cleanup();
      await running;
    });
    const done = parseProgress(sp.get(WORKFLOW_PAD, 'progress')).next;
    expect(done).toBeLessThan(handle().total);
    expect(parseLease(sp.get(WORKFLOW_PAD, 'lease'))).toBeUndefined();
  });
});
