import { useCallback, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { cx } from '../class-names.js';

export interface VirtualListProps {
  readonly count: number;
  /** Every row is exactly this tall (px): the stylesheet must agree. */
  readonly rowHeight: number;
  /** The scroller's height at most (px); shorter lists take their own height. */
  readonly maxHeight: number;
  readonly renderRow: (index: number) => ReactNode;
  readonly className?: string;
  /** The scroller's role and accessible name: it is focusable, so keyboard users can scroll it. */
  readonly role?: string;
  readonly label: string;
  /** The role of the element holding the rows: 'rowgroup' in a table, 'list' for list items. */
  readonly innerRole?: string;
  /** Rows rendered above and below the visible ones. */
  readonly overscan?: number;
  /** Scroll so that this row is visible when it changes. */
  readonly scrollToIndex?: number;
  readonly onKeyDown?: (event: KeyboardEvent<HTMLDivElement>) => void;
}

/**
 * Renders only the rows in view (plus a few), so a list of 20,000 lines or 1,000 versions costs what a screenful
 * costs. Rows of one fixed height keep the arithmetic exact; padding stands in for the rows not rendered.
 */
export function VirtualList({ count, rowHeight, maxHeight, renderRow, className, role, label, innerRole, overscan = 8, scrollToIndex, onKeyDown }: VirtualListProps): ReactNode {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(maxHeight);
  const height = Math.min(maxHeight, count * rowHeight);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setViewport(element.clientHeight || maxHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, [maxHeight]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element || scrollToIndex === undefined || scrollToIndex < 0) return;
    const top = scrollToIndex * rowHeight;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + rowHeight > element.scrollTop + element.clientHeight) element.scrollTop = top + rowHeight - element.clientHeight;
  }, [scrollToIndex, rowHeight]);

  const onScroll = useCallback(() => setScrollTop(scroller.current?.scrollTop ?? 0), []);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) rows.push(renderRow(i));

  return (
    <div
      ref={scroller}
      className={cx('sp-virtual', className)}
      style={{ height, maxHeight }}
      onScroll={onScroll}
      tabIndex={0}
      role={role}
      aria-label={label}
      onKeyDown={onKeyDown}
    >
      <div className="sp-virtual-inner" role={innerRole} style={{ paddingTop: first * rowHeight, paddingBottom: (count - last) * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
