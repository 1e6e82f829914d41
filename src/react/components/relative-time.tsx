import { memo, useSyncExternalStore, type ReactNode } from 'react';
import { formatExactTime, formatFullTime, formatRelative } from '../format.js';

// One clock for every relative time on the page: a single timer, and only the <time> elements re-render on a tick.
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 15_000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

const getNow = (): number => now;

/**
 * "3 min ago", kept true by a shared 15-second clock, with the exact local time on hover. Memoised: a list re-rendered
 * by a write keeps its rows' times, and formatting the tooltip's full date is not free.
 */
export const RelativeTime = memo(function RelativeTime({ timestamp, className = 'sp-time' }: { readonly timestamp: number; readonly className?: string }): ReactNode {
  const clock = useSyncExternalStore(subscribe, getNow, getNow);
  // A timestamp newer than the last tick (a write just now) reads "just now", not "in 3 seconds".
  const text = formatRelative(timestamp, Math.max(clock, timestamp));
  return (
    <time className={className} dateTime={formatFullTime(timestamp)} title={formatExactTime(timestamp)}>
      {text}
    </time>
  );
});
