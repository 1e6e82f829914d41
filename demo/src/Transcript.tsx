import { AgentBadge, DiffView, parseUnifiedDiff } from './lib.js';
import type { CallRecord } from './workflow.js';

/** Tool calls as a model makes them: the call with its arguments, then what the tool answered, diffs rendered. */
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
          <Args args={record.args} compact={compact} />
          <Output text={record.output} compact={compact} />
        </li>
      ))}
    </ol>
  );
}

/** The arguments as a short list of names and values; long text shows its first line and how long it is. */
function Args({ args, compact }: { args: Record<string, unknown>; compact: boolean }) {
  const entries = Object.entries(args);
  if (entries.length === 0) return <p className="demo-call-args demo-call-args--none">no arguments</p>;
  return (
    <dl className="demo-call-args">
      {entries.map(([key, value]) => (
        <div key={key} className="demo-arg">
          <dt>{key}</dt>
          <dd>{describe(value, compact)}</dd>
        </div>
      ))}
    </dl>
  );
}

function describe(value: unknown, compact: boolean): string {
  if (typeof value === 'string') {
    const lines = value.split('\n');
    if (!compact) return value;
    const first = lines[0]!.length > 90 ? `${lines[0]!.slice(0, 90)}…` : lines[0]!;
    return lines.length > 1 ? `${first} (+${lines.length - 1} more ${lines.length === 2 ? 'line' : 'lines'})` : first;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('from' in record && 'to' in record) return record.from === record.to ? `line ${String(record.from)}` : `lines ${String(record.from)}–${String(record.to)}`;
    return Object.entries(record)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
  }
  return String(value);
}

/** The tool's answer: its text, with each ```diff block drawn as a diff rather than shown as raw markup. */
function Output({ text, compact }: { text: string; compact: boolean }) {
  const parts = text.split(/```diff\n([\s\S]*?)```/);
  return (
    <div className="demo-call-output" tabIndex={compact ? 0 : undefined} role={compact ? 'region' : undefined} aria-label={compact ? 'Tool output' : undefined}>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <DiffView key={i} patch={parseUnifiedDiff(part)} className="demo-call-diff" />
        ) : part.trim() === '' ? null : (
          <p key={i} className="demo-call-text">
            {part.trim()}
          </p>
        ),
      )}
    </div>
  );
}
