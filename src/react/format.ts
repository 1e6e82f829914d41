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

/** A timestamp for a list: the time of day for today, else date and time. */
export function formatTime(timestamp: number, now: number = Date.now()): string {
  const date = new Date(timestamp);
  return new Date(now).toDateString() === date.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/** Machine-readable, for `<time dateTime>`. */
export function formatFullTime(timestamp: number): string {
  return new Date(timestamp).toISOString();
}

const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/** The exact local time, for a tooltip: "Tuesday, 3 June 2025 at 14:05:09". */
export function formatExactTime(timestamp: number): string {
  return exactFormat.format(new Date(timestamp));
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "just now", "4 min ago", "2 hours ago", "yesterday"; older than a week: the date and time. */
export function formatRelative(timestamp: number, now: number = Date.now()): string {
  const seconds = Math.round((now - timestamp) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return relativeFormat.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 24) return relativeFormat.format(-hours, 'hour');
  const days = Math.round(hours / 24);
  if (days < 7) return relativeFormat.format(-days, 'day');
  return formatTime(timestamp, now);
}

/** Inline style that hands an agent's colour to the stylesheet, which derives tints from it. */
export function agentStyle(color: string): CSSProperties {
  return { '--sp-agent': color } as CSSProperties;
}

// Made once: `Number.prototype.toLocaleString` builds a formatter on every call, which showed in the panel's profile.
const countFormat = new Intl.NumberFormat();

/** A count grouped as the reader's locale groups digits: "1,000" in English, not "1000". */
export function formatCount(count: number): string {
  return countFormat.format(count);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
