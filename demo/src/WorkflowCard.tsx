import { useState } from 'react';
import { AgentBadge } from './lib.js';
import { SCRIPT } from './script.js';
import { stepDelay } from './settings.js';
import { Transcript } from './Transcript.js';
import type { WorkflowHandle } from './use-workflow.js';

export function WorkflowCard({ workflow }: { workflow: WorkflowHandle }) {
  const { state, total } = workflow;
  const [showAll, setShowAll] = useState(false);
  const next = SCRIPT[state.next];
  const done = next === undefined;
  const last = state.log.at(-1);
  const percent = Math.round((state.next / total) * 100);

  return (
    <section className="demo-card demo-workflow" aria-label="Agent workflow">
      <div className="demo-workflow-head">
        <div className="demo-workflow-progress">
          <h2 className="demo-card-title">Agent workflow</h2>
          <div className="demo-progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={state.next} aria-label="Workflow progress">
            <div className="demo-progress-bar" style={{ width: `${percent}%` }} />
          </div>
          <span className="demo-step-count" data-testid="step-count">
            {done ? `Workflow complete · ${total} tool calls` : `Step ${state.next + 1} of ${total}`}
          </span>
        </div>
        <div className="demo-workflow-buttons">
          {state.log.length > 0 ? (
            <button type="button" className="sp-button sp-button--quiet" aria-expanded={showAll} onClick={() => setShowAll(!showAll)}>
              {showAll ? 'Hide transcript' : `Transcript (${state.log.length})`}
            </button>
          ) : null}
          <button type="button" className="sp-button" disabled={done || state.busy || state.running} onClick={() => void workflow.step()}>
            Next step
          </button>
          {state.running ? (
            <button type="button" className="sp-button sp-button--primary" onClick={workflow.pause}>
              Pause
            </button>
          ) : (
            <button type="button" className="sp-button sp-button--primary" disabled={done || state.busy} onClick={() => void workflow.run(stepDelay())}>
              {state.next === 0 ? 'Run all' : 'Run the rest'}
            </button>
          )}
        </div>
      </div>

      <div className="demo-workflow-body">
        <div className="demo-next">
          <span className="demo-kicker">{done ? 'Done' : 'Next'}</span>
          {done ? (
            <p className="demo-next-text">The brief is drafted, reviewed and restored. Edit a section yourself, or reset to run it again.</p>
          ) : (
            <p className="demo-next-text">
              <AgentBadge agent={next.agent} /> {next.intent} <code className="demo-tool">{next.tool}</code>
            </p>
          )}
        </div>
        {last ? (
          <div className="demo-last">
            <span className="demo-kicker">Last tool call</span>
            <Transcript records={[last]} compact />
          </div>
        ) : (
          <div className="demo-last demo-last--empty">
            <span className="demo-kicker">How it works</span>
            <p className="demo-next-text">
              A planner outlines a brief, a researcher appends findings, a writer drafts and edits it line by line, and a reviewer
              reverts a bad edit. Run it step by step or all at once.
            </p>
          </div>
        )}
      </div>

      {showAll ? (
        <div className="demo-transcript-all" aria-label="Transcript, newest first">
          <Transcript records={[...state.log].reverse()} />
        </div>
      ) : null}
    </section>
  );
}
