import { AgentBadge } from './lib.js';
import { AGENTS } from './script.js';

interface FilterBarProps {
  readonly agentFilter: string | undefined;
  readonly onFilter: (agent: string | undefined) => void;
  readonly user: string;
  /** The agent name this person's edits carry: their name and this device. */
  readonly personAgent: string;
  readonly onUser: (name: string) => void;
}

export function FilterBar({ agentFilter, onFilter, user, personAgent, onUser }: FilterBarProps) {
  const options = [...AGENTS, personAgent];
  return (
    <div className="demo-filter">
      <div className="demo-filter-group" role="group" aria-label="Show history by agent">
        <span className="demo-filter-label">History by</span>
        <button type="button" className="demo-chip" aria-pressed={agentFilter === undefined} onClick={() => onFilter(undefined)}>
          everyone
        </button>
        {options.map((agent) => (
          <button key={agent} type="button" className="demo-chip" aria-pressed={agentFilter === agent} onClick={() => onFilter(agentFilter === agent ? undefined : agent)}>
            <AgentBadge agent={agent} />
          </button>
        ))}
      </div>
      <label className="demo-user">
        <span className="demo-filter-label">You edit as</span>
        <input className="sp-input" value={user} maxLength={40} onChange={(event) => onUser(event.target.value)} aria-label="Your name" />
      </label>
    </div>
  );
}
