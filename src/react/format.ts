import type { CSSProperties } from 'react';
import type { HistoryOp } from '../core/types.js';

const OP_LABELS: Readonly<Record<HistoryOp, string>> = {
  write_replace: 'wrote',
  write_append: 'appended',
  write_prepend: 'prepended',
  edit: 'edited',
  revert: 'reverted',
  delete: 'deleted',
};

/** What a history entry did, as a past-tense verb: 'appended', 'edited', … */
export function opLabel(op: HistoryOp): string {
  return OP_LABELS[op] ?? op;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/**
 * A timestamp for a list: the time of day for today, else date and time. Absolute, not "3 min ago": a relative time
 * would need a timer to stay true, and re-render every list that shows one.
 */
export function formatTime(timestamp: number, now: number = Date.now()): string {
  const date = new Date(timestamp);
  return new Date(now).toDateString() === date.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/** The full time, for a tooltip. */
export function formatFullTime(timestamp: number): string {
  return new Date(timestamp).toISOString();
}

/** Inline style that hands an agent's colour to the stylesheet, which derives tints from it. */
export function agentStyle(color: string): CSSProperties {
  return { '--sp-agent': color } as CSSProperties;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
