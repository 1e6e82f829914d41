import { useCallback, useEffect, useRef, useState } from 'react';
import { FilterBar } from './FilterBar.js';
import { Header } from './Header.js';
import { ScratchpadPanel, useScratchpad, type PanelSelection, type Scratchpad } from './lib.js';
import { FOLLOW_KEY, personAgent, USER_KEY, type Identity } from './settings.js';
import { WorkflowCard } from './WorkflowCard.js';
import { useWorkflow } from './use-workflow.js';
import { WORKFLOW_PAD } from './workflow.js';

declare global {
  interface Window {
    /** The demo's scratchpad, for trying the API from the devtools console. */
    scratchpad?: Scratchpad;
  }
}

const visiblePad = (pad: string): boolean => pad !== WORKFLOW_PAD;

export function Demo({ identity, onReset }: { identity: Identity; onReset: () => void }) {
  const sp = useScratchpad();
  const workflow = useWorkflow(identity);
  const [agentFilter, setAgentFilter] = useState<string | undefined>(undefined);
  const [user, setUser] = useState(() => localStorage.getItem(USER_KEY) || 'you');
  const agent = personAgent(user, identity);
  const [selection, setSelection] = useState<PanelSelection | undefined>({ pad: 'output' });
  const [follow, setFollow] = useState(() => localStorage.getItem(FOLLOW_KEY) !== 'off');

  useEffect(() => {
    window.scratchpad = sp;
    return () => {
      if (window.scratchpad === sp) delete window.scratchpad;
    };
  }, [sp]);

  // The view follows the agent that just worked (in this tab or any other), unless the person turned that off.
  const seen = useRef(workflow.progress.log.length);
  useEffect(() => {
    const log = workflow.progress.log;
    if (log.length > seen.current && follow) {
      const args = log.at(-1)?.args ?? {};
      if (typeof args.pad === 'string') setSelection({ pad: args.pad, ...(typeof args.section === 'string' ? { section: args.section } : {}) });
    }
    seen.current = log.length;
  }, [workflow.progress.log, follow]);

  const onSelectionChange = useCallback((next: PanelSelection | undefined) => setSelection(next), []);

  return (
    <div className="demo">
      <Header workflow={workflow} onReset={onReset} />
      <main className="demo-main">
        <WorkflowCard
          workflow={workflow}
          follow={follow}
          onFollow={(on) => {
            setFollow(on);
            localStorage.setItem(FOLLOW_KEY, on ? 'on' : 'off');
          }}
        />
        <FilterBar
          agentFilter={agentFilter}
          onFilter={setAgentFilter}
          user={user}
          personAgent={agent}
          onUser={(name) => {
            // A filter on "you" stays on you under the new name.
            if (agentFilter === agent) setAgentFilter(personAgent(name, identity));
            setUser(name);
            localStorage.setItem(USER_KEY, name);
          }}
        />
        <ScratchpadPanel
          className="demo-panel"
          user={agent}
          agentFilter={agentFilter}
          selection={selection}
          onSelectionChange={onSelectionChange}
          padFilter={visiblePad}
          emptyText={
            <>
              <strong className="demo-empty-title">Nothing written yet</strong>
              Press <em>Run all</em> to watch four agents write a brief here, or start a pad of your own with <em>New pad</em>.
            </>
          }
        />
      </main>
      <footer className="demo-footer">
        Agents call the same tools an LLM would (<code>createTools(sp, {'{'} agent {'}'})</code>), scripted here so the demo needs no
        network. Open this page in a second tab or another browser to watch both update; the scratchpad is{' '}
        <code>window.scratchpad</code> in the console.
      </footer>
    </div>
  );
}
