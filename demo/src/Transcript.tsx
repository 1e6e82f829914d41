import { AgentBadge } from './lib.js';
import type { CallRecord } from './workflow.js';

/** Tool calls as a model makes them: the call with its JSON arguments, then the text the tool answered. */
export function Transcript({ records, compact = false }: { records: readonly CallRecord[]; compact?: boolean }) {
  return (
    <ol className={compact ? 'demo-transcript demo-transcript--compact' : 'demo-transcript'}>
      {records.map((record) => (
        <li key={`${record.step}-${record.at}`} className={record.isError ? 'demo-call demo-call--error' : 'demo-call'}>
          <div className="demo-call-head">
            <AgentBadge agent={record.agent} />
            <code className="demo-tool">{record.tool}</code>
            <span className="demo-call-intent">{record.intent}</span>
          </div>
          <pre className="demo-call-args" title={compact ? JSON.stringify(record.args, null, 2) : undefined}>
            {JSON.stringify(record.args, null, compact ? undefined : 2)}
          </pre>
          <pre className="demo-call-output">{record.output}</pre>
        </li>
      ))}
    </ol>
  );
}
