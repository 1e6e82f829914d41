import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { WriteResult } from '../../core/types.js';
import { cx } from '../class-names.js';
import { useScratchpad } from '../context.js';
import { plural } from '../format.js';
import { useDeletedSections, type DeletedSection } from '../use-deleted.js';
import { usePads } from '../use-pads.js';
import { useSections } from '../use-sections.js';
import { BlameView } from './blame-view.js';
import { HistoryTimeline } from './history-timeline.js';
import { NewSectionForm } from './new-section-form.js';
import { PadList } from './pad-list.js';
import { PanelUserContext } from './panel-user.js';
import { SectionCard } from './section-card.js';

/** What the panel shows: a pad, and optionally one of its sections. */
export interface PanelSelection {
  readonly pad: string;
  readonly section?: string;
}

export interface ScratchpadPanelProps {
  /** Who edits, new sections, deletes and reverts made in the panel are attributed to. Default 'user'. */
  readonly user?: string;
  /** Show only this agent's changes in the history. */
  readonly agentFilter?: string;
  /** The pad shown first; default the first pad in natural order. */
  readonly initialPad?: string;
  /** Controlled selection: the panel shows this pad (and section) and reports clicks through `onSelectionChange`. */
  readonly selection?: PanelSelection;
  readonly onSelectionChange?: (selection: PanelSelection | undefined) => void;
  /** Pads the panel does not list (an app's own bookkeeping). Default: all are shown. */
  readonly padFilter?: (pad: string) => boolean;
  /** Let people edit, add, delete and restore. Default true. */
  readonly editable?: boolean;
  readonly onRevert?: (result: WriteResult) => void;
  /** Shown in place of the sections while the scratchpad has no pad. */
  readonly emptyText?: ReactNode;
  readonly className?: string;
}

type Tab = 'history' | 'blame';
const TABS: readonly Tab[] = ['history', 'blame'];
const TAB_LABELS: Readonly<Record<Tab, string>> = { history: 'History', blame: 'Blame' };

/** Section cards rendered at first, then this many more each time the end of the list scrolls into view. */
const SECTION_CHUNK = 30;

interface Undo {
  readonly text: string;
  readonly restore: () => Promise<unknown>;
}

/**
 * The whole scratchpad in three columns: pads, the selected pad's sections (live, editable), and the history or blame
 * of the selected section (or the pad's history when no section is selected).
 */
export function ScratchpadPanel({
  user = 'user',
  agentFilter,
  initialPad,
  selection,
  onSelectionChange,
  padFilter,
  editable = true,
  onRevert,
  emptyText = 'The scratchpad is empty. Whatever agents or people write shows up here as it happens.',
  className,
}: ScratchpadPanelProps): ReactNode {
  const sp = useScratchpad();
  const allPads = usePads();
  const pads = useMemo(() => (padFilter ? allPads.filter(padFilter) : allPads), [allPads, padFilter]);
  const [ownSelection, setOwnSelection] = useState<PanelSelection | undefined>(initialPad === undefined ? undefined : { pad: initialPad });
  const chosen = selection ?? ownSelection;
  const [tab, setTab] = useState<Tab>('history');
  const [adding, setAdding] = useState<'section' | 'pad' | undefined>(undefined);
  const [confirmPad, setConfirmPad] = useState(false);
  const [undo, setUndo] = useState<Undo | undefined>(undefined);
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const newPadButton = useRef<HTMLButtonElement>(null);
  const addSectionButton = useRef<HTMLButtonElement>(null);
  const deletePadButton = useRef<HTMLButtonElement>(null);
  // The button a form or a confirmation was opened from: focus goes back to it on cancel, not to <body>.
  const focusAfter = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    const target = focusAfter.current;
    focusAfter.current = null;
    target?.focus();
  }, [adding, confirmPad]);
  // A pad that disappeared (deleted, reset in another tab) falls back to the first one instead of an empty view.
  const pad = chosen !== undefined && pads.includes(chosen.pad) ? chosen.pad : pads[0];
  const sections = useSections(pad ?? '');
  const section = chosen?.section !== undefined && chosen.pad === pad && sections.includes(chosen.section) ? chosen.section : undefined;
  const deleted = useDeletedSections();
  const visibleDeleted = useMemo(() => (padFilter ? deleted.filter((d) => padFilter(d.pad)) : deleted), [deleted, padFilter]);

  const select = useCallback(
    (next: PanelSelection | undefined) => {
      setOwnSelection(next);
      onSelectionChange?.(next);
    },
    [onSelectionChange],
  );

  function selectPad(next: string): void {
    select({ pad: next });
    setAdding(undefined);
    setConfirmPad(false);
  }

  const padRef = useRef(pad);
  padRef.current = pad;
  const sectionRef = useRef(section);
  sectionRef.current = section;
  // Stable, so that memoised cards do not re-render when the panel does.
  const selectSection = useCallback(
    (next: string) => {
      const current = padRef.current;
      if (current !== undefined) select({ pad: current, ...(next === sectionRef.current ? {} : { section: next }) });
    },
    [select],
  );
  const onDeleted = useCallback((deletedPad: string, name: string, result: WriteResult) => {
    setUndo({ text: `Deleted ${name} from ${deletedPad}.`, restore: () => sp.revert(deletedPad, name, result.previousVersion, { agent: userRef.current }) });
  }, [sp]);
  const userRef = useRef(user);
  userRef.current = user;

  async function deletePad(): Promise<void> {
    if (pad === undefined) return;
    const results = await sp.deletePad(pad, { agent: user });
    setConfirmPad(false);
    setUndo({
      text: `Deleted pad ${pad} (${plural(results.length, 'section')}).`,
      restore: () => Promise.all(results.map((r) => sp.revert(r.pad, r.section, r.previousVersion, { agent: userRef.current }))),
    });
  }

  function onTabKey(event: KeyboardEvent<HTMLButtonElement>, index: number): void {
    const next =
      event.key === 'ArrowRight' ? (index + 1) % TABS.length : event.key === 'ArrowLeft' ? (index - 1 + TABS.length) % TABS.length : event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : undefined;
    if (next === undefined) return;
    event.preventDefault();
    setTab(TABS[next]!);
    tabRefs.current[next]?.focus();
  }

  return (
    <PanelUserContext.Provider value={user}>
      <div className={cx('sp-panel', className)}>
        <section className="sp-panel-pads" aria-label="Pads and recently deleted" tabIndex={0}>
          <div className="sp-column-header">
            <h2 className="sp-heading">Pads</h2>
            {editable ? (
              <button
                ref={newPadButton}
                type="button"
                className="sp-button sp-button--quiet"
                onClick={() => setAdding(adding === 'pad' ? undefined : 'pad')}
                aria-expanded={adding === 'pad'}
              >
                New pad
              </button>
            ) : null}
          </div>
          {pads.length === 0 ? <p className="sp-empty">No pads yet.</p> : <PadList selected={pad} onSelect={selectPad} filter={padFilter} />}
          {editable && visibleDeleted.length > 0 ? <RecentlyDeleted deleted={visibleDeleted} user={user} onRestored={(p, s) => select({ pad: p, section: s })} /> : null}
        </section>

        <section className="sp-panel-sections" aria-label={pad === undefined ? 'Sections' : `Pad ${pad}`} tabIndex={0}>
          <div className="sp-column-header">
            <h2 className="sp-heading">{pad ?? 'Sections'}</h2>
            {editable && pad !== undefined ? (
              <div className="sp-column-actions">
                <button
                  ref={addSectionButton}
                  type="button"
                  className="sp-button sp-button--quiet"
                  onClick={() => setAdding(adding === 'section' ? undefined : 'section')}
                  aria-expanded={adding === 'section'}
                >
                  Add section
                </button>
                <button ref={deletePadButton} type="button" className="sp-button sp-button--quiet sp-button--danger" onClick={() => setConfirmPad(true)} disabled={confirmPad}>
                  Delete pad
                </button>
              </div>
            ) : null}
          </div>
          {confirmPad && pad !== undefined ? (
            <ConfirmPad
              pad={pad}
              count={sections.length}
              onConfirm={() => void deletePad()}
              onCancel={() => {
                focusAfter.current = deletePadButton.current;
                setConfirmPad(false);
              }}
            />
          ) : null}
          {undo ? (
            <div className="sp-undo" role="status">
              <span>{undo.text}</span>
              <button
                type="button"
                className="sp-button"
                onClick={() => {
                  const restore = undo.restore;
                  setUndo(undefined);
                  void restore();
                }}
              >
                Undo
              </button>
              <button type="button" className="sp-button sp-button--quiet" onClick={() => setUndo(undefined)} aria-label="Dismiss">
                ×
              </button>
            </div>
          ) : null}
          {adding !== undefined ? (
            <NewSectionForm
              key={adding}
              pad={adding === 'section' ? pad : undefined}
              user={user}
              onCancel={() => {
                focusAfter.current = adding === 'pad' ? newPadButton.current : addSectionButton.current;
                setAdding(undefined);
              }}
              onCreated={(newPad, newSection) => {
                setAdding(undefined);
                select({ pad: newPad, section: newSection });
              }}
            />
          ) : null}
          {pad === undefined && adding === undefined ? <div className="sp-empty-state">{emptyText}</div> : null}
          {pad === undefined ? null : (
            <SectionList key={pad} pad={pad} sections={sections} selected={section} onSelect={selectSection} editable={editable} onDeleted={onDeleted} />
          )}
        </section>

        <section className="sp-panel-inspector" aria-label="Inspector" tabIndex={0}>
          <div className="sp-column-header">
            <div className="sp-tabs" role="tablist" aria-label="Inspector view">
              {TABS.map((t, i) => (
                <button
                  key={t}
                  ref={(element) => {
                    tabRefs.current[i] = element;
                  }}
                  type="button"
                  role="tab"
                  id={`sp-tab-${t}`}
                  aria-controls="sp-tabpanel"
                  className="sp-tab"
                  aria-selected={tab === t}
                  tabIndex={tab === t ? 0 : -1}
                  onClick={() => setTab(t)}
                  onKeyDown={(event) => onTabKey(event, i)}
                >
                  {TAB_LABELS[t]}
                </button>
              ))}
            </div>
            <span className="sp-scope" title="Select a section to narrow the view to it">
              {pad === undefined ? '' : section === undefined ? `all of ${pad}` : `${pad} / ${section}`}
            </span>
          </div>
          <div role="tabpanel" id="sp-tabpanel" aria-labelledby={`sp-tab-${tab}`} className="sp-tabpanel">
            {pad === undefined ? (
              <p className="sp-empty">No history yet.</p>
            ) : tab === 'history' ? (
              <HistoryTimeline
                key={`${pad}\u0000${section ?? ''}`}
                pad={pad}
                section={section}
                agent={agentFilter}
                user={user}
                allowRevert={editable}
                onRevert={onRevert}
                emptyText={agentFilter === undefined ? 'No changes yet.' : 'No changes by this agent here.'}
              />
            ) : section === undefined ? (
              <p className="sp-empty">Select a section to see who wrote each of its lines.</p>
            ) : (
              <BlameView key={`${pad}\u0000${section}`} pad={pad} section={section} />
            )}
          </div>
        </section>
      </div>
    </PanelUserContext.Provider>
  );
}

interface SectionListProps {
  readonly pad: string;
  readonly sections: readonly string[];
  readonly selected: string | undefined;
  readonly onSelect: (section: string) => void;
  readonly editable: boolean;
  readonly onDeleted: (pad: string, section: string, result: WriteResult) => void;
}

/**
 * The cards of a pad, rendered a chunk at a time as the list scrolls: a pad of 200 sections opens with 30 cards,
 * not one long task for 200. The selected card is always rendered.
 */
function SectionList({ pad, sections, selected, onSelect, editable, onDeleted }: SectionListProps): ReactNode {
  const [count, setCount] = useState(SECTION_CHUNK);
  const sentinel = useRef<HTMLDivElement>(null);
  const more = sections.length > count;
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !more || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setCount((c) => c + SECTION_CHUNK);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [more, count]);
  const shown = more ? sections.slice(0, count) : sections;
  const withSelected = selected !== undefined && more && !shown.includes(selected) ? [...shown, selected] : shown;
  return (
    <div className="sp-section-list">
      {withSelected.map((name) => (
        <SectionCard key={name} pad={pad} section={name} selected={name === selected} onSelect={onSelect} editable={editable} onDeleted={onDeleted} />
      ))}
      {more ? (
        <div ref={sentinel} className="sp-section-more">
          <button type="button" className="sp-button sp-button--quiet" onClick={() => setCount(count + SECTION_CHUNK)}>
            Show more sections ({sections.length - count} more)
          </button>
        </div>
      ) : null}
    </div>
  );
}

function ConfirmPad({ pad, count, onConfirm, onCancel }: { pad: string; count: number; onConfirm: () => void; onCancel: () => void }): ReactNode {
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => keep.current?.focus(), []);
  return (
    <div
      className="sp-confirm sp-confirm--pad"
      role="group"
      aria-label={`Delete pad ${pad}?`}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel();
      }}
    >
      <span>
        Delete the pad <strong>{pad}</strong> and its {plural(count, 'section')}? The history keeps them: undo from "Recently deleted".
      </span>
      <button type="button" className="sp-button sp-button--danger-solid" onClick={onConfirm}>
        Delete pad
      </button>
      <button ref={keep} type="button" className="sp-button" onClick={onCancel}>
        Keep
      </button>
    </div>
  );
}

/** Sections deleted lately, by pad, each with Restore (a revert to the version before the delete). */
function RecentlyDeleted({ deleted, user, onRestored }: { deleted: readonly DeletedSection[]; user: string; onRestored: (pad: string, section: string) => void }): ReactNode {
  const sp = useScratchpad();
  const [error, setError] = useState<string | undefined>(undefined);
  async function restore(items: readonly DeletedSection[]): Promise<void> {
    try {
      await Promise.all(items.map((d) => sp.revert(d.pad, d.section, d.entry.version - 1, { agent: user })));
      const first = items[0];
      if (first) onRestored(first.pad, first.section);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  }
  const byPad = new Map<string, DeletedSection[]>();
  for (const d of deleted.slice(0, 20)) byPad.set(d.pad, [...(byPad.get(d.pad) ?? []), d]);
  return (
    <section className="sp-deleted" aria-label="Recently deleted">
      <h3 className="sp-heading">Recently deleted</h3>
      <ul className="sp-deleted-list">
        {[...byPad].map(([padName, items]) => (
          <li key={padName} className="sp-deleted-pad">
            <span className="sp-deleted-name">{padName}</span>
            <ul>
              {items.map((d) => (
                <li key={d.section} className="sp-deleted-item">
                  <span className="sp-deleted-section">{d.section}</span>
                  <button type="button" className="sp-button sp-button--quiet" onClick={() => void restore([d])} aria-label={`Restore ${d.pad} / ${d.section}`}>
                    Restore
                  </button>
                </li>
              ))}
            </ul>
            {items.length > 1 ? (
              <button type="button" className="sp-button sp-button--quiet" onClick={() => void restore(items)} aria-label={`Restore all of ${padName}`}>
                Restore all {items.length}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {error ? (
        <p className="sp-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
