import { memo, useContext, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { isScratchpadError } from '../../core/errors.js';
import type { Section, WriteResult } from '../../core/types.js';
import { useAgentColor } from '../agent-colors.js';
import { useAgentLabel } from '../agent-labels.js';
import { cx } from '../class-names.js';
import { useScratchpad } from '../context.js';
import { agentStyle, plural } from '../format.js';
import { withLineEndings } from '../line-endings.js';
import { useSection } from '../use-section.js';
import { AgentBadge } from './agent-badge.js';
import { PanelUserContext } from './panel-user.js';
import { RelativeTime } from './relative-time.js';
import { VirtualList } from './virtual-list.js';

export interface SectionCardProps {
  readonly pad: string;
  readonly section: string;
  /** Who edits made here are attributed to. Default: the panel's user, else 'user'. */
  readonly user?: string;
  readonly selected?: boolean;
  readonly onSelect?: (section: string) => void;
  /** Offer Edit and Delete buttons. Default true. */
  readonly editable?: boolean;
  /** After the section was deleted here: the app can offer an undo (revert to `result.previousVersion`). */
  readonly onDeleted?: (pad: string, section: string, result: WriteResult) => void;
}

/** Lines shown before "Show all": a 1 MB section must not lay out 20,000 lines to show a card. */
const PREVIEW_LINES = 40;
const PREVIEW_CHARS = 6_000;

/**
 * A section's live content with who wrote it last, an editor for a person (Ctrl/Cmd+Enter saves, Esc cancels, focus
 * goes back to the Edit button), and Delete with an in-place confirmation. Memoised: a card re-renders when its own
 * section changes, not when a neighbour does or when the person renames themselves.
 */
export const SectionCard = memo(function SectionCard({ pad, section, user, selected = false, onSelect, editable = true, onDeleted }: SectionCardProps): ReactNode {
  const sp = useScratchpad();
  const current = useSection(pad, section);
  const colorOf = useAgentColor();
  const panelUser = useContext(PanelUserContext);
  const who = user ?? panelUser;
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<string | undefined>(undefined);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const keepButton = useRef<HTMLButtonElement>(null);
  const focusAfter = useRef<'edit' | 'delete' | undefined>(undefined);

  useEffect(() => {
    // Back to the button that opened the editor or the confirmation, not to <body>.
    const target = focusAfter.current === 'edit' ? editButton.current : focusAfter.current === 'delete' ? deleteButton.current : null;
    focusAfter.current = undefined;
    target?.focus();
  }, [editing, confirming]);
  useEffect(() => {
    if (confirming) keepButton.current?.focus();
  }, [confirming]);

  if (current === undefined) return null;

  async function remove(): Promise<void> {
    try {
      const result = await sp.delete(pad, section, { agent: who });
      onDeleted?.(pad, section, result);
    } catch (error) {
      setDeleteError(error instanceof Error ? error.message : String(error));
      setConfirming(false);
    }
  }

  return (
    <article
      className={cx('sp-section', selected && 'sp-section--selected', editing && 'sp-section--editing')}
      style={agentStyle(colorOf(current.updatedBy))}
      aria-label={`Section ${section}`}
      data-section={section}
    >
      <header className="sp-section-header">
        <button type="button" className="sp-section-title" onClick={() => onSelect?.(section)} aria-pressed={selected}>
          {section}
        </button>
        <span className="sp-version" title="Version">
          v{current.version}
        </span>
        <AgentBadge agent={current.updatedBy} />
        <RelativeTime timestamp={current.updatedAt} />
        {editable && !editing && !confirming ? (
          <>
            <button ref={editButton} type="button" className="sp-button sp-button--quiet" onClick={() => setEditing(true)} aria-label={`Edit ${section}`}>
              Edit
            </button>
            <button ref={deleteButton} type="button" className="sp-button sp-button--quiet sp-button--danger" onClick={() => setConfirming(true)} aria-label={`Delete ${section}`}>
              Delete
            </button>
          </>
        ) : null}
      </header>
      {confirming ? (
        <div
          className="sp-confirm"
          role="group"
          aria-label={`Delete ${section}?`}
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.stopPropagation();
              focusAfter.current = 'delete';
              setConfirming(false);
            }
          }}
        >
          <span>
            Delete <strong>{section}</strong>? Its history is kept: undo it from the history.
          </span>
          <button type="button" className="sp-button sp-button--danger-solid" onClick={() => void remove()}>
            Delete
          </button>
          <button
            ref={keepButton}
            type="button"
            className="sp-button"
            onClick={() => {
              focusAfter.current = 'delete';
              setConfirming(false);
            }}
          >
            Keep
          </button>
        </div>
      ) : null}
      {deleteError ? (
        <p className="sp-error" role="alert">
          {deleteError}
        </p>
      ) : null}
      {editing ? (
        <Editor
          pad={pad}
          section={section}
          user={who}
          current={current}
          onClose={() => {
            focusAfter.current = 'edit';
            setEditing(false);
          }}
        />
      ) : (
        <Preview key={current.version} content={current.content} onSelect={() => onSelect?.(section)} section={section} />
      )}
    </article>
  );
});

/** The content, or its first lines with "Show all" for a long section (then a virtualised view of every line). */
function Preview({ content, section, onSelect }: { content: string; section: string; onSelect: () => void }): ReactNode {
  const [all, setAll] = useState(false);
  const cut = useMemo(() => previewCut(content), [content]);
  const lines = useMemo(() => (all && cut !== undefined ? content.split('\n') : undefined), [all, cut, content]);
  if (content === '') {
    return (
      <pre className="sp-content sp-content--fresh" onClick={onSelect}>
        <span className="sp-muted">(empty)</span>
      </pre>
    );
  }
  if (cut === undefined) {
    // `key` (the version, from the card) restarts the highlight animation on every new version.
    return (
      <pre className="sp-content sp-content--fresh" onClick={onSelect}>
        {content}
      </pre>
    );
  }
  return (
    <div className="sp-content-long">
      {lines ? (
        <VirtualList
          className="sp-content sp-content--virtual"
          count={lines.length}
          rowHeight={22}
          maxHeight={480}
          label={`${section}, ${plural(lines.length, 'line')}`}
          renderRow={(i) => (
            <div key={i} className="sp-vrow sp-content-line">
              {lines[i] === '' ? '\u200b' : lines[i]}
            </div>
          )}
        />
      ) : (
        <pre className="sp-content sp-content--fresh" onClick={onSelect}>
          {content.slice(0, cut.end)}
        </pre>
      )}
      <div className="sp-content-more">
        <span className="sp-muted">{all ? `All ${plural(cut.lines, 'line')}` : `The first ${plural(cut.shownLines, 'line')} of ${cut.lines.toLocaleString()}`}</span>
        <button type="button" className="sp-button sp-button--quiet" onClick={() => setAll(!all)} aria-expanded={all}>
          {all ? 'Show less' : 'Show all'}
        </button>
      </div>
    </div>
  );
}

/** Where the preview of a long section ends, or undefined when the whole section is short enough to show. */
function previewCut(content: string): { end: number; shownLines: number; lines: number } | undefined {
  let end = -1;
  let shown = 0;
  while (shown < PREVIEW_LINES) {
    const next = content.indexOf('\n', end + 1);
    if (next === -1 || next > PREVIEW_CHARS) break;
    end = next;
    shown++;
  }
  if (content.length <= PREVIEW_CHARS && shown < PREVIEW_LINES) return undefined;
  let lines = 1;
  for (let i = content.indexOf('\n'); i !== -1; i = content.indexOf('\n', i + 1)) lines++;
  if (shown === 0) return { end: Math.min(content.length, PREVIEW_CHARS), shownLines: 1, lines };
  return { end, shownLines: shown, lines };
}

interface EditorProps {
  readonly pad: string;
  readonly section: string;
  readonly user: string;
  readonly current: Section;
  readonly onClose: () => void;
}

/**
 * The textarea is uncontrolled: typing in a 1 MB section costs the browser's own editing, not a React render of a
 * megabyte per keystroke. Its text is read on save, with the section's line endings put back.
 */
function Editor({ pad, section, user, current, onClose }: EditorProps): ReactNode {
  const sp = useScratchpad();
  const labelOf = useAgentLabel();
  const textarea = useRef<HTMLTextAreaElement>(null);
  const [base, setBase] = useState(() => ({ text: current.content, version: current.version, key: 0 }));
  const [conflict, setConflict] = useState<string | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const initial = useMemo(() => base.text.replace(/\r\n/g, '\n'), [base.text]);
  const rows = useMemo(() => {
    let count = 1;
    for (let i = initial.indexOf('\n'); i !== -1 && count < 24; i = initial.indexOf('\n', i + 1)) count++;
    return Math.min(24, Math.max(4, count + 1));
  }, [initial]);
  // Wrapping a megabyte of text costs a long layout on every change; long sections scroll sideways instead.
  const big = initial.length > 100_000;

  useEffect(() => {
    const element = textarea.current;
    if (!element) return;
    element.focus();
    element.setSelectionRange(0, 0);
    element.scrollTop = 0;
  }, [base.key]);

  async function save(force: boolean): Promise<void> {
    const element = textarea.current;
    if (!element || saving) return;
    setSaving(true);
    try {
      const text = withLineEndings(element.value, base.text);
      await sp.write(pad, section, text, { agent: user, ...(force ? {} : { expectedVersion: base.version }) });
      onClose();
    } catch (error) {
      const latest = sp.get(pad, section);
      const by = latest?.updatedBy === user ? 'You (in another tab)' : labelOf(latest?.updatedBy ?? 'Someone');
      setConflict(
        isScratchpadError(error) && error.code === 'CONFLICT'
          ? `${by} changed this section while you were editing (now version ${latest?.version ?? '?'}).`
          : error instanceof Error
            ? error.message
            : String(error),
      );
      setSaving(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void save(conflict !== undefined);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    }
  }

  const changedMeanwhile = current.version !== base.version;
  const hintId = `sp-editor-hint-${pad}-${section}`.replace(/[^\w-]/g, '_');
  return (
    <div className="sp-editor" onKeyDown={onKeyDown}>
      <textarea
        key={base.key}
        ref={textarea}
        className="sp-textarea"
        aria-label={`Edit ${section}`}
        aria-describedby={hintId}
        defaultValue={initial}
        rows={rows}
        wrap={big ? 'off' : 'soft'}
        spellCheck={!big}
      />
      <p className="sp-hint" id={hintId}>
        Ctrl+Enter (⌘+Enter) saves · Esc cancels
      </p>
      {conflict ? (
        <p className="sp-error" role="alert">
          {conflict}
        </p>
      ) : changedMeanwhile ? (
        <p className="sp-notice" role="status">
          {current.updatedBy === user ? 'You (in another tab)' : labelOf(current.updatedBy)} changed this section since you started editing (now version {current.version}).
        </p>
      ) : null}
      <div className="sp-editor-actions">
        {conflict ? (
          <>
            <button type="button" className="sp-button sp-button--primary" disabled={saving} onClick={() => void save(true)}>
              Save mine anyway
            </button>
            <button
              type="button"
              className="sp-button"
              onClick={() => {
                setConflict(undefined);
                setBase((b) => ({ text: current.content, version: current.version, key: b.key + 1 }));
              }}
            >
              Start over from theirs
            </button>
          </>
        ) : (
          <button type="button" className="sp-button sp-button--primary" disabled={saving} onClick={() => void save(false)}>
            Save as {labelOf(user)}
          </button>
        )}
        <button type="button" className="sp-button sp-button--quiet" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}
