import { useEffect, useState } from 'react';
import { FilterBar } from './FilterBar.js';
import { Header } from './Header.js';
import { ScratchpadPanel, useScratchpad, type Scratchpad } from './lib.js';
import { USER_KEY } from './settings.js';
import { WorkflowCard } from './WorkflowCard.js';
import { useWorkflow } from './use-workflow.js';

export function Demo({ onReset }: { onReset: () => void }) {
  const workflow = useWorkflow();
  const [agentFilter, setAgentFilter] = useState<string | undefined>(undefined);
  const [user, setUser] = useState(() => localStorage.getItem(USER_KEY) || 'you');
  const sp = useScratchpad();
  // The page's scratchpad, for the browser console and for benchmarks that write through the library in the demo.
  useEffect(() => {
    (window as { scratchpad?: Scratchpad }).scratchpad = sp;
  }, [sp]);

  return (
    <div className="demo">
      <Header workflow={workflow} onReset={onReset} />
      <main className="demo-main">
        <WorkflowCard workflow={workflow} />
        <FilterBar
          agentFilter={agentFilter}
          onFilter={setAgentFilter}
          user={user}
          onUser={(name) => {
            setUser(name);
            localStorage.setItem(USER_KEY, name);
          }}
        />
        <ScratchpadPanel
          className="demo-panel"
          user={user.trim() || 'you'}
          agentFilter={agentFilter}
          initialPad="output"
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
        network. Open this page in a second tab to watch both update.
      </footer>
    </div>
  );
}
