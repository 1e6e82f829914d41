import { useState } from 'react';
import { AgentBadge } from './lib.js';
import { SCRIPT } from './script.js';
import { stepDelay } from './settings.js';
import { Transcript } from './Transcript.js';
import type { WorkflowHandle } from './use-workflow.js';

interface WorkflowCardProps {
  readonly workflow: WorkflowHandle;
  readonly follow: boolean;
  readonly onFollow: (follow: boolean) => void;
}

export function WorkflowCard({ workflow, follow, onFollow }: WorkflowCardProps) {
  const { progress, runner, local, total } = workflow;
  const [showAll, setShowAll] = useState(false);
  const next = SCRIPT[progress.next];
  const done = next === undefined;
  const last = progress.log.at(-1);
  const percent = Math.round((progress.next / total) * 100);
  const elsewhere = runner.where === 'other-tab' || runner.where === 'other-device';
  const runningHere = local.running || runner.where === 'here';

  return (
    <section className="demo-card demo-workflow" aria-label="Agent workflow">
      <div className="demo-workflow-head">
        <div className="demo-workflow-progress">
          <h2 className="demo-card-title">Agent workflow</h2>
          <div className="demo-progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={progress.next} aria-label="Workflow progress">
            <div className="demo-progress-bar" style={{ width: `${percent}%` }} />
          </div>
          <span className="demo-step-count" data-testid="step-count">
            {done ? `Workflow complete · ${total} tool calls` : `Step ${progress.next + 1} of ${total}`}
          </span>
        </div>
        <div className="demo-workflow-buttons">
          <label className="demo-follow">
            <input type="checkbox" checked={follow} onChange={(event) => onFollow(event.target.checked)} />
            Follow the agents
          </label>
          {progress.log.length > 0 ? (
            <button type="button" className="sp-button sp-button--quiet" aria-expanded={showAll} onClick={() => setShowAll(!showAll)}>
              {showAll ? 'Hide transcript' : `Transcript (${progress.log.length})`}
            </button>
          ) : null}
          <button type="button" className="sp-button" disabled={done || local.busy || runningHere || elsewhere} onClick={() => void workflow.step()}>
            Next step
          </button>
          {local.running ? (
            <button type="button" className="sp-button sp-button--primary" onClick={workflow.pause}>
              Pause
            </button>
          ) : (
            <button type="button" className="sp-button sp-button--primary" disabled={done || local.busy || elsewhere} onClick={() => void workflow.run(stepDelay())}>
              {progress.next === 0 ? 'Run all' : 'Run the rest'}
            </button>
          )}
        </div>
      </div>
      <p className="demo-runner" role="status" data-testid="runner">
        {runner.where === 'other-tab'
          ? 'Running in another tab of this browser. It can be run here once it stops, or a few seconds after that tab closes.'
          : runner.where === 'other-device'
            ? `Running on ${runner.lease.deviceName}. It can be run here once it stops, or a few seconds after that device goes away.`
            : runningHere
              ? 'Running in this tab.'
              : (local.notice ?? '')}
      </p>

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
              reverts a bad edit. Run it step by step or all at once; every tab and device shows the same progress.
            </p>
          </div>
        )}
      </div>

      {showAll ? (
        <div className="demo-transcript-all" role="region" aria-label="Transcript, newest first" tabIndex={0}>
          <Transcript records={[...progress.log].reverse()} />
        </div>
      ) : null}
    </section>
  );
}
