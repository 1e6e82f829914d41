import type { ReactNode } from 'react';
import { cx } from '../class-names.js';
import { plural } from '../format.js';
import { usePads } from '../use-pads.js';
import { useSections } from '../use-sections.js';

export interface PadListProps {
  readonly selected?: string;
  readonly onSelect: (pad: string) => void;
  readonly className?: string;
  /** Pads not to list. */
  readonly filter?: (pad: string) => boolean;
}

/** The pads as a navigation list, each with its number of sections. */
export function PadList({ selected, onSelect, className, filter }: PadListProps): ReactNode {
  const all = usePads();
  const pads = filter ? all.filter(filter) : all;
  return (
    <nav className={cx('sp-pads', className)} aria-label="Pads">
      <ul className="sp-pads-list">
        {pads.map((pad) => (
          <PadItem key={pad} pad={pad} selected={pad === selected} onSelect={onSelect} />
        ))}
      </ul>
    </nav>
  );
}

function PadItem({ pad, selected, onSelect }: { pad: string; selected: boolean; onSelect: (pad: string) => void }): ReactNode {
  const count = useSections(pad).length;
  return (
    <li>
      <button type="button" className={cx('sp-pad', selected && 'sp-pad--selected')} aria-current={selected ? 'page' : undefined} onClick={() => onSelect(pad)}>
        <span className="sp-pad-name">{pad}</span>
        <span className="sp-pad-count">{plural(count, 'section')}</span>
      </button>
    </li>
  );
}
