import { useState, type ReactNode } from 'react';
import { isScratchpadError } from '../../core/errors.js';
import { useAgentColor } from '../agent-colors.js';
import { cx } from '../class-names.js';
import { useScratchpad } from '../context.js';
import { agentStyle, formatFullTime, formatTime } from '../format.js';
import { useSection } from '../use-section.js';
import { AgentBadge } from './agent-badge.js';

export interface SectionCardProps {
  readonly pad: string;
  readonly section: string;
  /** Who edits made here are attributed to. Default 'user'. */
  readonly user?: string;
  readonly selected?: boolean;
  readonly onSelect?: (section: string) => void;
  /** Offer an Edit button. Default true. */
  readonly editable?: boolean;
}

interface Draft {
  readonly text: string;
  /** The version the person started from: saving over a newer one asks first. */
  readonly baseVersion: number;
  readonly conflict?: string;
}

/** A section's live content with who wrote it last, and an editor for a person. */
export function SectionCard({ pad, section, user = 'user', selected = false, onSelect, editable = true }: SectionCardProps): ReactNode {
  const sp = useScratchpad();
  const current = useSection(pad, section);
  const colorOf = useAgentColor();
  const [draft, setDraft] = useState<Draft | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  if (current === undefined) return null;

  async function save(force: boolean): Promise<void> {
    if (draft === undefined) return;
    setSaving(true);
    try {
      await sp.write(pad, section, draft.text, { agent: user, ...(force ? {} : { expectedVersion: draft.baseVersion }) });
      setDraft(undefined);
    } catch (error) {
      const latest = sp.get(pad, section);
      const message =
        isScratchpadError(error) && error.code === 'CONFLICT'
          ? `${latest?.updatedBy ?? 'Someone'} changed this section while you were editing (now version ${latest?.version ?? '?'}).`
          : error instanceof Error
            ? error.message
            : String(error);
      setDraft({ ...draft, conflict: message });
    } finally {
      setSaving(false);
    }
  }

  const changedMeanwhile = draft !== undefined && current.version !== draft.baseVersion;
  return (
    <article
      className={cx('sp-section', selected && 'sp-section--selected', draft && 'sp-section--editing')}
      style={agentStyle(colorOf(current.updatedBy))}
      aria-label={`Section ${section}`}
      data-section={section}
    >
      <header className="sp-section-header">
        <button type="button" className="sp-section-title" onClick={() => onSelect?.(section)} aria-pressed={selected}>
          {section}
        </button>
        <span className="sp-version" title="Version">v{current.version}</span>
        <AgentBadge agent={current.updatedBy} />
        <time className="sp-time" dateTime={formatFullTime(current.updatedAt)} title={formatFullTime(current.updatedAt)}>
          {formatTime(current.updatedAt)}
        </time>
        {editable && draft === undefined ? (
          <button type="button" className="sp-button sp-button--quiet" onClick={() => setDraft({ text: current.content, baseVersion: current.version })}>
            Edit
          </button>
        ) : null}
      </header>
      {draft === undefined ? (
        // `key` restarts the highlight animation on every new version, so a change made elsewhere catches the eye.
        <pre key={current.version} className="sp-content sp-content--fresh" onClick={() => onSelect?.(section)}>
          {current.content === '' ? <span className="sp-muted">(empty)</span> : current.content}
        </pre>
      ) : (
        <div className="sp-editor">
          <textarea
            className="sp-textarea"
            aria-label={`Edit ${section}`}
            value={draft.text}
            rows={Math.min(24, Math.max(4, draft.text.split('\n').length + 1))}
            onChange={(event) => setDraft({ ...draft, text: event.target.value })}
            autoFocus
          />
          {draft.conflict ? (
            <p className="sp-error" role="alert">{draft.conflict}</p>
          ) : changedMeanwhile ? (
            <p className="sp-notice">
              {current.updatedBy} changed this section since you started editing (now version {current.version}).
            </p>
          ) : null}
          <div className="sp-editor-actions">
            {draft.conflict ? (
              <>
                <button type="button" className="sp-button sp-button--primary" disabled={saving} onClick={() => void save(true)}>
                  Save mine anyway
                </button>
                <button type="button" className="sp-button" onClick={() => setDraft({ text: current.content, baseVersion: current.version })}>
                  Start over from theirs
                </button>
              </>
            ) : (
              <button type="button" className="sp-button sp-button--primary" disabled={saving} onClick={() => void save(false)}>
                Save as {user}
              </button>
            )}
            <button type="button" className="sp-button sp-button--quiet" onClick={() => setDraft(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </article>
  );
}
