import { useState, type ReactNode } from 'react';
import type { WriteResult } from '../../core/types.js';
import { cx } from '../class-names.js';
import { usePads } from '../use-pads.js';
import { useSections } from '../use-sections.js';
import { BlameView } from './blame-view.js';
import { HistoryTimeline } from './history-timeline.js';
import { NewSectionForm } from './new-section-form.js';
import { PadList } from './pad-list.js';
import { SectionCard } from './section-card.js';

export interface ScratchpadPanelProps {
  /** Who edits, new sections and reverts made in the panel are attributed to. Default 'user'. */
  readonly user?: string;
  /** Show only this agent's changes in the history. */
  readonly agentFilter?: string;
  /** The pad shown first; default the first pad in natural order. */
  readonly initialPad?: string;
  /** Let people edit and add sections and restore versions. Default true. */
  readonly editable?: boolean;
  readonly onRevert?: (result: WriteResult) => void;
  /** Shown in place of the sections while the scratchpad has no pad. */
  readonly emptyText?: ReactNode;
  readonly className?: string;
}

type Tab = 'history' | 'blame';

/**
 * The whole scratchpad in three columns: pads, the selected pad's sections (live, editable), and the history or blame
 * of the selected section (or the pad's history when no section is selected).
 */
export function ScratchpadPanel({
  user = 'user',
  agentFilter,
  initialPad,
  editable = true,
  onRevert,
  emptyText = 'The scratchpad is empty. Whatever agents or people write shows up here as it happens.',
  className,
}: ScratchpadPanelProps): ReactNode {
  const pads = usePads();
  const [chosenPad, setChosenPad] = useState<string | undefined>(initialPad);
  const [chosenSection, setChosenSection] = useState<string | undefined>(undefined);
  const [tab, setTab] = useState<Tab>('history');
  const [adding, setAdding] = useState<'section' | 'pad' | undefined>(undefined);
  // A pad that disappeared (deleted, reset in another tab) falls back to the first one instead of an empty view.
  const pad = chosenPad !== undefined && pads.includes(chosenPad) ? chosenPad : pads[0];
  const sections = useSections(pad ?? '');
  const section = chosenSection !== undefined && sections.includes(chosenSection) ? chosenSection : undefined;

  function selectPad(next: string): void {
    setChosenPad(next);
    setChosenSection(undefined);
    setAdding(undefined);
  }

  function selectSection(next: string): void {
    setChosenSection(next === section ? undefined : next);
  }

  return (
    <div className={cx('sp-panel', className)}>
      <aside className="sp-panel-pads">
        <div className="sp-column-header">
          <h2 className="sp-heading">Pads</h2>
          {editable ? (
            <button type="button" className="sp-button sp-button--quiet" onClick={() => setAdding(adding === 'pad' ? undefined : 'pad')}>
              New pad
            </button>
          ) : null}
        </div>
        {pads.length === 0 ? <p className="sp-empty">No pads yet.</p> : <PadList selected={pad} onSelect={selectPad} />}
      </aside>

      <section className="sp-panel-sections" aria-label={pad === undefined ? 'Sections' : `Pad ${pad}`}>
        <div className="sp-column-header">
          <h2 className="sp-heading">{pad ?? 'Sections'}</h2>
          {editable && pad !== undefined ? (
            <button type="button" className="sp-button sp-button--quiet" onClick={() => setAdding(adding === 'section' ? undefined : 'section')}>
              Add section
            </button>
          ) : null}
        </div>
        {adding !== undefined ? (
          <NewSectionForm
            key={adding}
            pad={adding === 'section' ? pad : undefined}
            user={user}
            onCancel={() => setAdding(undefined)}
            onCreated={(newPad, newSection) => {
              setAdding(undefined);
              setChosenPad(newPad);
              setChosenSection(newSection);
            }}
          />
        ) : null}
        {pad === undefined && adding === undefined ? (
          <div className="sp-empty-state">{emptyText}</div>
        ) : null}
        <div className="sp-section-list">
          {pad === undefined
            ? null
            : sections.map((name) => (
                <SectionCard key={name} pad={pad} section={name} user={user} selected={name === section} onSelect={selectSection} editable={editable} />
              ))}
        </div>
      </section>

      <aside className="sp-panel-inspector" aria-label="Inspector">
        <div className="sp-column-header">
          <div className="sp-tabs" role="tablist" aria-label="Inspector view">
            <button type="button" role="tab" className="sp-tab" aria-selected={tab === 'history'} onClick={() => setTab('history')}>
              History
            </button>
            <button type="button" role="tab" className="sp-tab" aria-selected={tab === 'blame'} onClick={() => setTab('blame')}>
              Blame
            </button>
          </div>
          <span className="sp-scope" title="Select a section to narrow the view to it">
            {pad === undefined ? '' : section === undefined ? `all of ${pad}` : `${pad} / ${section}`}
          </span>
        </div>
        <div role="tabpanel" className="sp-tabpanel">
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
              emptyText={agentFilter === undefined ? 'No changes yet.' : `No changes by ${agentFilter} here.`}
            />
          ) : section === undefined ? (
            <p className="sp-empty">Select a section to see who wrote each of its lines.</p>
          ) : (
            <BlameView pad={pad} section={section} />
          )}
        </div>
      </aside>
    </div>
  );
}
