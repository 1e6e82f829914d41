import { memo, useContext, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { isScratchpadError } from '../../core/errors.js';
import type { Section, WriteResult } from '../../core/types.js';
import { useAgentColor } from '../agent-colors.js';
import { useAgentLabel } from '../agent-labels.js';
import { cx } from '../class-names.js';
import { useScratchpad } from '../context.js';
import { agentStyle, formatCount, plural } from '../format.js';
import { countLines } from '../../core/lines.js';
import { lineEnding, withLineEndings } from '../line-endings.js';
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
 * A section longer than this is edited a window of lines at a time. A textarea holding a megabyte costs a long layout
 * when it opens and on every keystroke (measured: a 456 ms task to open one); 400 lines of a few dozen characters do not.
 */
const WINDOW_LINES = 400;
const BIG_LINES = 2 * WINDOW_LINES;
const BIG_CHARS = 100_000;

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
        <span className="sp-muted">{all ? `All ${plural(cut.lines, 'line')}` : `The first ${plural(cut.shownLines, 'line')} of ${formatCount(cut.lines)}`}</span>
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

/** Lines `from`..`to` (1-based, inclusive) of `text` as a textarea shows them, and what saving them needs to know. */
interface LineWindow {
  readonly from: number;
  readonly to: number;
  readonly total: number;
  /** The lines with '\n' endings and without the last line's terminator. */
  readonly text: string;
  /** The last line of the window ends with a line break (it is not the section's unterminated last line). */
  readonly terminated: boolean;
}

/** The window of up to WINDOW_LINES lines starting at `from`, found by scanning for line breaks only up to its end. */
function lineWindow(content: string, total: number, from: number): LineWindow {
  const first = Math.max(1, Math.min(from, Math.max(1, total - WINDOW_LINES + 1)));
  const last = Math.min(total, first + WINDOW_LINES - 1);
  let start = 0;
  for (let line = 1; line < first; line++) start = content.indexOf('\n', start) + 1;
  let end = start;
  for (let line = first; line <= last; line++) {
    const nl = content.indexOf('\n', end);
    end = nl === -1 ? content.length : nl + 1;
  }
  const slice = content.slice(start, end);
  const terminated = slice.endsWith('\n');
  const body = terminated ? slice.slice(0, slice.endsWith('\r\n') ? -2 : -1) : slice;
  return { from: first, to: last, total, text: body.replace(/\r\n/g, '\n'), terminated };
}

/**
 * The textarea is uncontrolled: typing costs the browser's own editing, not a React render per keystroke. Its text is
 * read on save, with the section's line endings put back. A big section is edited WINDOW_LINES lines at a time and
 * saved as `sp.edit(…, { replaceLines })` of those lines, conditional on the version the window was taken from.
 */
function Editor({ pad, section, user, current, onClose }: EditorProps): ReactNode {
  const sp = useScratchpad();
  const labelOf = useAgentLabel();
  const textarea = useRef<HTMLTextAreaElement>(null);
  const [base, setBase] = useState(() => ({ text: current.content, version: current.version, key: 0 }));
  const [conflict, setConflict] = useState<string | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const [windowFrom, setWindowFrom] = useState(1);
  // Whether the window's text was changed: moving to other lines would lose it.
  const [dirty, setDirty] = useState(false);
  const total = useMemo(() => countLines(base.text), [base.text]);
  const windowed = total > BIG_LINES || base.text.length > BIG_CHARS;
  const view = useMemo(() => (windowed ? lineWindow(base.text, total, windowFrom) : undefined), [windowed, base.text, total, windowFrom]);
  const initial = useMemo(() => (view ? view.text : base.text.replace(/\r\n/g, '\n')), [view, base.text]);
  const rows = useMemo(() => {
    let count = 1;
    for (let i = initial.indexOf('\n'); i !== -1 && count < 24; i = initial.indexOf('\n', i + 1)) count++;
    return Math.min(24, Math.max(4, count + 1));
  }, [initial]);
  // Wrapping very long text costs a long layout on every change; it scrolls sideways instead.
  const big = initial.length > BIG_CHARS;

  useEffect(() => {
    const element = textarea.current;
    if (!element) return;
    element.focus();
    element.setSelectionRange(0, 0);
    element.scrollTop = 0;
  }, [base.key, view?.from]);

  async function save(force: boolean): Promise<void> {
    const element = textarea.current;
    if (!element || saving) return;
    if (view && element.value === view.text) {
      onClose();
      return;
    }
    setSaving(true);
    try {
      if (view) {
        // The window's lines with the section's endings; the break after its last line is part of the range replaced.
        const edited = withLineEndings(element.value, base.text);
        const text = edited !== '' && view.terminated && !edited.endsWith('\n') ? edited + lineEnding(base.text) : edited;
        await sp.edit(pad, section, { replaceLines: { from: view.from, to: view.to }, text }, { agent: user, expectedVersion: base.version });
      } else {
        const text = withLineEndings(element.value, base.text);
        await sp.write(pad, section, text, { agent: user, ...(force ? {} : { expectedVersion: base.version }) });
      }
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
      // "Save mine anyway" replaces the whole section; a window's line numbers may mean other lines in theirs.
      void save(conflict !== undefined && view === undefined);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    }
  }

  function moveTo(from: number): void {
    setDirty(false);
    setWindowFrom(from);
  }

  const changedMeanwhile = current.version !== base.version;
  const id = `sp-editor-${pad}-${section}`.replace(/[^\w-]/g, '_');
  const hintId = `${id}-hint`;
  return (
    <div className="sp-editor" onKeyDown={onKeyDown}>
      {view ? (
        <div className="sp-editor-window" role="group" aria-label="Lines being edited">
          <span id={`${id}-range`}>
            Lines {formatCount(view.from)}–{formatCount(view.to)} of {formatCount(view.total)}
          </span>
          <button type="button" className="sp-button sp-button--quiet" disabled={dirty || view.from === 1} onClick={() => moveTo(view.from - WINDOW_LINES)}>
            Earlier lines
          </button>
          <button type="button" className="sp-button sp-button--quiet" disabled={dirty || view.to === view.total} onClick={() => moveTo(view.to + 1)}>
            Later lines
          </button>
          <label className="sp-editor-goto">
            <span>Go to line</span>
            <input
              className="sp-input"
              type="number"
              min={1}
              max={view.total}
              disabled={dirty}
              onKeyDown={(event) => {
                if (event.key !== 'Enter' || event.ctrlKey || event.metaKey) return;
                event.preventDefault();
                const line = Number(event.currentTarget.value);
                if (Number.isInteger(line) && line >= 1) moveTo(Math.max(1, line - Math.floor(WINDOW_LINES / 4)));
              }}
            />
          </label>
          {dirty ? <span className="sp-muted">Save or cancel to move to other lines.</span> : null}
        </div>
      ) : null}
      <textarea
        key={`${base.key}:${view?.from ?? 0}`}
        ref={textarea}
        className="sp-textarea"
        aria-label={`Edit ${section}`}
        aria-describedby={view ? `${id}-range ${hintId}` : hintId}
        defaultValue={initial}
        rows={rows}
        wrap={big ? 'off' : 'soft'}
        spellCheck={!big && !view}
        onInput={view && !dirty ? () => setDirty(true) : undefined}
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
            {view ? null : (
              <button type="button" className="sp-button sp-button--primary" disabled={saving} onClick={() => void save(true)}>
                Save mine anyway
              </button>
            )}
            <button
              type="button"
              className="sp-button"
              onClick={() => {
                setConflict(undefined);
                setDirty(false);
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
