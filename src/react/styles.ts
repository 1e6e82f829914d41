import { createElement, type ReactNode } from 'react';

/**
 * The components' stylesheet. Plain class names prefixed `sp-`, themed by the `--sp-*` custom properties below:
 * override any of them on `:root` or on a container. Kept as a string so that the package needs no CSS loader:
 * render `<ScratchpadStyles />` once, or put the string in a stylesheet of your own.
 */
/**
 * The dark palette: applied when the system prefers dark (unless the page sets data-theme="light" on <html>), or
 * always with data-theme="dark". Every pair of text and background colour here meets WCAG AA (4.5:1).
 */
const DARK = `
  --sp-text: #e5e8f0;
  --sp-muted: #a8b0c4;
  --sp-faint: #9aa2b8;
  --sp-bg: #0e1117;
  --sp-surface: #161a22;
  --sp-surface-2: #1f2430;
  --sp-border: #2f3646;
  --sp-accent: #9d98ff;
  --sp-accent-text: #12141c;
  --sp-add-bg: #10281b;
  --sp-add-fg: #86e0ad;
  --sp-add-num: #163824;
  --sp-remove-bg: #32151a;
  --sp-remove-fg: #ffa3ab;
  --sp-remove-num: #45191f;
  --sp-hunk-bg: #1d2240;
  --sp-hunk-fg: #b5bde6;
  --sp-error: #ff9189;
  --sp-notice-bg: #33270c;
  --sp-notice-fg: #ffd488;
  --sp-shadow: 0 1px 2px rgba(0, 0, 0, 0.4), 0 1px 3px rgba(0, 0, 0, 0.5);
  --sp-agent-ink: #fff;
  --sp-agent-tint: #161a22;
  --sp-revert: #f2b661;
  color-scheme: dark;
`;
const DARK_SELECTORS = ':root[data-theme="dark"]';

export const scratchpadStyles: string = `
:root {
  --sp-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --sp-mono: ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  --sp-text: #1c2230;
  --sp-muted: #5c6378;
  --sp-faint: #646b7e;
  --sp-bg: #f5f6fa;
  --sp-surface: #ffffff;
  --sp-surface-2: #f3f4f8;
  --sp-border: #e2e5ee;
  --sp-accent: #4f46e5;
  --sp-accent-text: #ffffff;
  --sp-add-bg: #e7f7ed;
  --sp-add-fg: #146c3a;
  --sp-add-num: #d2efdc;
  --sp-remove-bg: #fdeced;
  --sp-remove-fg: #a32631;
  --sp-remove-num: #f8d7da;
  --sp-hunk-bg: #eef0fb;
  --sp-hunk-fg: #4c5580;
  --sp-error: #b42318;
  --sp-notice-bg: #fff7e6;
  --sp-notice-fg: #8a5300;
  --sp-radius: 10px;
  --sp-shadow: 0 1px 2px rgba(16, 24, 40, 0.04), 0 1px 3px rgba(16, 24, 40, 0.07);
  --sp-agent: #7c5cff;
  /* What agent colours are mixed with for a badge's text and background: dark ink on a light tint. */
  --sp-agent-ink: #111;
  --sp-agent-tint: #fff;
  --sp-revert: #8f5400;
  color-scheme: light;
}
${DARK_SELECTORS} {
${DARK}}
@media (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) {
${DARK}  }
}

.sp-panel, .sp-diff, .sp-history, .sp-blame, .sp-section, .sp-pads, .sp-form {
  font-family: var(--sp-font);
  color: var(--sp-text);
  box-sizing: border-box;
}
.sp-panel *, .sp-diff *, .sp-history *, .sp-blame *, .sp-section *, .sp-pads *, .sp-form * { box-sizing: border-box; }

/* ---- shared bits ---- */
.sp-heading { font-size: 0.8rem; font-weight: 650; letter-spacing: 0.06em; text-transform: uppercase; color: var(--sp-muted); margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.sp-muted { color: var(--sp-muted); }
.sp-empty { color: var(--sp-muted); font-size: 0.9rem; margin: 0.75rem 0.25rem; line-height: 1.5; }
.sp-empty-state { border: 1px dashed var(--sp-border); border-radius: var(--sp-radius); padding: 2.5rem 1.5rem; text-align: center; color: var(--sp-muted); line-height: 1.6; background: color-mix(in srgb, var(--sp-surface) 60%, transparent); }
.sp-error { color: var(--sp-error); font-size: 0.875rem; margin: 0.5rem 0; }
.sp-notice { background: var(--sp-notice-bg); color: var(--sp-notice-fg); font-size: 0.85rem; padding: 0.4rem 0.6rem; border-radius: 6px; margin: 0.5rem 0 0; }
.sp-version { font-family: var(--sp-mono); font-size: 0.75rem; color: var(--sp-muted); background: var(--sp-surface-2); border-radius: 5px; padding: 0.05rem 0.35rem; white-space: nowrap; }
.sp-time { font-size: 0.78rem; color: var(--sp-muted); white-space: nowrap; font-variant-numeric: tabular-nums; }
.sp-agent { display: inline-flex; align-items: center; gap: 0.35rem; font-size: 0.78rem; font-weight: 600; line-height: 1; padding: 0.22rem 0.5rem 0.22rem 0.4rem; border-radius: 999px; white-space: nowrap;
  color: color-mix(in srgb, var(--sp-agent) 60%, var(--sp-agent-ink)); background: color-mix(in srgb, var(--sp-agent) 14%, var(--sp-agent-tint)); }
.sp-agent-dot { width: 0.5rem; height: 0.5rem; border-radius: 50%; background: var(--sp-agent); flex: none; }
.sp-agent--compact { padding: 0.2rem; }

.sp-button { font: inherit; font-size: 0.82rem; font-weight: 550; border: 1px solid var(--sp-border); background: var(--sp-surface); color: var(--sp-text); border-radius: 7px; padding: 0.32rem 0.7rem; cursor: pointer; white-space: nowrap; }
.sp-button:hover:not(:disabled) { border-color: color-mix(in srgb, var(--sp-accent) 40%, var(--sp-border)); }
.sp-button:focus-visible, .sp-tab:focus-visible, .sp-pad:focus-visible, .sp-history-summary:focus-visible, .sp-section-title:focus-visible { outline: 2px solid var(--sp-accent); outline-offset: 2px; }
.sp-virtual:focus-visible, .sp-diff:focus-visible, .sp-panel > :focus-visible { outline: 2px solid var(--sp-accent); outline-offset: 1px; }
.sp-button--danger { color: var(--sp-error); }
.sp-button--danger-solid { background: var(--sp-error); border-color: var(--sp-error); color: var(--sp-surface); }
.sp-hint { margin: 0; font-size: 0.75rem; color: var(--sp-muted); }
.sp-confirm, .sp-undo { display: flex; align-items: center; flex-wrap: wrap; gap: 0.5rem; padding: 0.55rem 0.75rem; font-size: 0.85rem; background: var(--sp-notice-bg); color: var(--sp-text); border-bottom: 1px solid var(--sp-border); }
.sp-confirm > span, .sp-undo > span { margin-right: auto; }
.sp-confirm--pad, .sp-undo { border: 1px solid var(--sp-border); border-radius: var(--sp-radius); margin-bottom: 0.75rem; }
.sp-virtual { overflow: auto; position: relative; }
.sp-vrow { box-sizing: border-box; white-space: pre; }
.sp-button:disabled { opacity: 0.55; cursor: default; }
.sp-button--primary { background: var(--sp-accent); border-color: var(--sp-accent); color: var(--sp-accent-text); }
.sp-button--quiet { border-color: transparent; background: transparent; color: var(--sp-accent); }
.sp-button--quiet:hover:not(:disabled) { background: color-mix(in srgb, var(--sp-accent) 8%, transparent); border-color: transparent; }

.sp-input, .sp-textarea { font: inherit; color: var(--sp-text); background: var(--sp-surface); border: 1px solid var(--sp-border); border-radius: 7px; padding: 0.45rem 0.6rem; width: 100%; }
.sp-textarea { font-family: var(--sp-mono); font-size: 0.85rem; line-height: 1.55; resize: vertical; }
.sp-input:focus, .sp-textarea:focus { outline: none; border-color: var(--sp-accent); box-shadow: 0 0 0 3px color-mix(in srgb, var(--sp-accent) 18%, transparent); }

/* ---- diff ---- */
.sp-diff { font-family: var(--sp-mono); font-size: 0.8rem; line-height: 1.5; border: 1px solid var(--sp-border); border-radius: 8px; overflow: auto; background: var(--sp-surface); }
.sp-diff--empty { padding: 0.5rem 0.75rem; color: var(--sp-muted); font-family: var(--sp-font); }
.sp-diff-table { border-collapse: collapse; width: 100%; }
.sp-diff-num { width: 1%; min-width: 2.4em; padding: 0 0.45rem; text-align: right; color: var(--sp-faint); user-select: none; font-variant-numeric: tabular-nums; vertical-align: top; }
.sp-diff-sign { width: 1%; padding: 0 0.2rem 0 0.35rem; user-select: none; vertical-align: top; }
.sp-diff-text { padding: 0 0.75rem 0 0.2rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.sp-diff-row--add { background: var(--sp-add-bg); color: var(--sp-add-fg); }
.sp-diff-row--add .sp-diff-num { background: var(--sp-add-num); color: var(--sp-add-fg); }
.sp-diff-row--remove { background: var(--sp-remove-bg); color: var(--sp-remove-fg); }
.sp-diff-row--remove .sp-diff-num { background: var(--sp-remove-num); color: var(--sp-remove-fg); }
.sp-diff-meta { padding: 0.15rem 0.75rem; color: var(--sp-hunk-fg); background: var(--sp-hunk-bg); font-size: 0.75rem; }
.sp-diff-row--note .sp-diff-meta { background: transparent; color: var(--sp-muted); font-style: italic; }
.sp-diff--virtual .sp-vrow { display: flex; height: 20px; line-height: 20px; min-width: 100%; width: max-content; }
.sp-diff--virtual .sp-diff-num { display: inline-block; width: 3.4em; flex: none; }
.sp-diff--virtual .sp-diff-sign { display: inline-block; width: 1.2em; flex: none; }
.sp-diff--virtual .sp-diff-meta { flex: 1; }
.sp-diff--virtual .sp-diff-text { white-space: pre; }

/* ---- history ---- */
.sp-history { display: flex; flex-direction: column; gap: 0.5rem; }
.sp-history-list { margin: 0; padding: 2px; }
.sp-history-entry { border: 1px solid var(--sp-border); border-radius: 9px; background: var(--sp-surface); overflow: hidden; height: 40px; margin-bottom: 4px; }
.sp-history-paging { display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; font-size: 0.8rem; padding: 0 0.15rem; }
.sp-history-detail-title { display: flex; align-items: baseline; justify-content: space-between; gap: 0.5rem; margin: 0; font-size: 0.85rem; font-weight: 650; font-family: var(--sp-mono); }
.sp-history-entry--open { border-color: color-mix(in srgb, var(--sp-accent) 35%, var(--sp-border)); box-shadow: var(--sp-shadow); }
.sp-history-entry--conflict { border-left: 3px solid var(--sp-error); }
.sp-history-summary { all: unset; box-sizing: border-box; display: flex; align-items: center; flex-wrap: nowrap; gap: 0.45rem; width: 100%; height: 100%; padding: 0 0.65rem; cursor: pointer; font-size: 0.85rem; overflow: hidden; }
.sp-history-summary > * { flex: none; }
.sp-history-summary .sp-agent { flex: 0 1 auto; min-width: 0; overflow: hidden; }
.sp-history-summary:hover { background: var(--sp-surface-2); }
.sp-op { font-weight: 550; }
.sp-op--revert { color: var(--sp-revert); }
.sp-op--delete { color: var(--sp-error); }
.sp-history-target { font-family: var(--sp-mono); font-size: 0.78rem; color: var(--sp-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 14rem; }
.sp-stats { display: inline-flex; gap: 0.3rem; font-family: var(--sp-mono); font-size: 0.75rem; margin-left: auto; }
.sp-stats-add { color: var(--sp-add-fg); }
.sp-stats-remove { color: var(--sp-remove-fg); }
.sp-history-detail { padding: 0.6rem 0.65rem 0.65rem; display: flex; flex-direction: column; gap: 0.5rem; border: 1px solid color-mix(in srgb, var(--sp-accent) 35%, var(--sp-border)); border-radius: 9px; }
.sp-history-target { flex: 0 1 auto !important; min-width: 0; }
.sp-history-actions { display: flex; align-items: center; gap: 0.6rem; font-size: 0.82rem; }

/* ---- blame ---- */
.sp-blame { border: 1px solid var(--sp-border); border-radius: 8px; overflow: hidden; background: var(--sp-surface); font-size: 0.8rem; }
.sp-blame-row { display: flex; height: 24px; line-height: 24px; min-width: 100%; width: max-content; }
.sp-blame-row--first { box-shadow: inset 0 1px 0 var(--sp-border); }
.sp-blame-who { flex: none; width: 11.5rem; display: flex; align-items: center; gap: 0.4rem; padding: 0 0.6rem; border-left: 3px solid var(--sp-agent); background: color-mix(in srgb, var(--sp-agent) 5%, var(--sp-surface)); overflow: hidden; }
.sp-blame-who .sp-agent { min-width: 0; overflow: hidden; }
.sp-blame-num { flex: none; padding: 0 0.5rem; text-align: right; color: var(--sp-faint); font-family: var(--sp-mono); user-select: none; }
.sp-blame-text { padding: 0 0.75rem 0 0.25rem; font-family: var(--sp-mono); white-space: pre; }

/* ---- sections ---- */
.sp-section { background: var(--sp-surface); border: 1px solid var(--sp-border); border-left: 3px solid var(--sp-agent); border-radius: var(--sp-radius); box-shadow: var(--sp-shadow); overflow: hidden; }
.sp-section--selected { border-color: color-mix(in srgb, var(--sp-accent) 45%, var(--sp-border)); border-left-color: var(--sp-agent); box-shadow: 0 0 0 3px color-mix(in srgb, var(--sp-accent) 12%, transparent), var(--sp-shadow); }
.sp-section-header { display: flex; align-items: center; flex-wrap: wrap; gap: 0.5rem; padding: 0.55rem 0.75rem; border-bottom: 1px solid var(--sp-border); }
.sp-section-title { all: unset; cursor: pointer; font-weight: 650; font-size: 0.95rem; margin-right: auto; overflow-wrap: anywhere; }
.sp-section-title:hover { color: var(--sp-accent); }
.sp-content { margin: 0; padding: 0.75rem 0.9rem; font-family: var(--sp-mono); font-size: 0.84rem; line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; cursor: pointer; }
.sp-content--fresh { animation: sp-fresh 1.6s ease-out; }
@keyframes sp-fresh { from { background: color-mix(in srgb, var(--sp-agent) 16%, var(--sp-surface)); } to { background: var(--sp-surface); } }
@media (prefers-reduced-motion: reduce) { .sp-content--fresh { animation: none; } }
.sp-content--virtual { padding: 0.4rem 0; cursor: auto; }
.sp-content-line { height: 22px; line-height: 22px; padding: 0 0.9rem; min-width: 100%; width: max-content; }
.sp-content-more { display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; padding: 0.3rem 0.9rem 0.5rem; font-size: 0.8rem; border-top: 1px dashed var(--sp-border); }
.sp-section-more { display: flex; justify-content: center; padding: 0.5rem; }
.sp-column-actions { display: flex; gap: 0.25rem; }
.sp-deleted { margin-top: 1rem; padding: 0.5rem 0.25rem 0; border-top: 1px solid var(--sp-border); }
.sp-deleted-list, .sp-deleted-list ul { list-style: none; margin: 0.4rem 0 0; padding: 0; display: flex; flex-direction: column; gap: 0.2rem; font-size: 0.82rem; }
.sp-deleted-name { font-weight: 600; }
.sp-deleted-item { display: flex; align-items: center; justify-content: space-between; gap: 0.25rem; padding-left: 0.5rem; }
.sp-deleted-section { font-family: var(--sp-mono); font-size: 0.78rem; overflow: hidden; text-overflow: ellipsis; }
.sp-editor { padding: 0.75rem; display: flex; flex-direction: column; gap: 0.5rem; }
.sp-editor-actions { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
.sp-editor-window { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; font-size: 0.8125rem; }
.sp-editor-goto { display: inline-flex; gap: 0.375rem; align-items: center; }
.sp-editor-goto .sp-input { width: 6.5rem; }
.sp-form { display: flex; flex-direction: column; gap: 0.6rem; padding: 0.85rem; border: 1px dashed var(--sp-border); border-radius: var(--sp-radius); background: var(--sp-surface); margin-bottom: 0.75rem; }
.sp-field { display: flex; flex-direction: column; gap: 0.25rem; font-size: 0.8rem; font-weight: 600; color: var(--sp-muted); }

/* ---- pads ---- */
.sp-pads-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.2rem; }
.sp-pad { all: unset; box-sizing: border-box; width: 100%; display: flex; flex-direction: column; gap: 0.1rem; padding: 0.5rem 0.7rem; border-radius: 8px; cursor: pointer; }
.sp-pad:hover { background: var(--sp-surface-2); }
.sp-pad--selected { background: color-mix(in srgb, var(--sp-accent) 10%, var(--sp-surface)); }
.sp-pad-name { font-weight: 600; font-size: 0.92rem; overflow-wrap: anywhere; }
.sp-pad--selected .sp-pad-name { color: var(--sp-accent); }
.sp-pad-count { font-size: 0.75rem; color: var(--sp-muted); }

/* ---- panel ---- */
.sp-panel { display: grid; grid-template-columns: minmax(150px, 200px) minmax(0, 1fr) minmax(300px, 0.8fr); gap: 1rem; align-items: start; }
.sp-panel > * { min-width: 0; max-height: var(--sp-panel-height, none); overflow: auto; }
.sp-panel-pads { background: var(--sp-surface); border: 1px solid var(--sp-border); border-radius: var(--sp-radius); padding: 0.5rem; }
.sp-panel-inspector { background: var(--sp-surface); border: 1px solid var(--sp-border); border-radius: var(--sp-radius); padding: 0.5rem 0.75rem 0.75rem; }
.sp-section-list { display: flex; flex-direction: column; gap: 0.85rem; padding-bottom: 0.25rem; }
.sp-column-header { display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; min-height: 2.25rem; padding: 0 0.25rem 0.4rem; }
.sp-panel-sections > .sp-column-header .sp-heading { font-size: 1.05rem; text-transform: none; letter-spacing: 0; color: var(--sp-text); }
.sp-tabs { display: inline-flex; background: var(--sp-surface-2); border-radius: 8px; padding: 0.15rem; }
.sp-tab { all: unset; cursor: pointer; font-size: 0.82rem; font-weight: 600; padding: 0.3rem 0.75rem; border-radius: 6px; color: var(--sp-muted); }
.sp-tab[aria-selected="true"] { background: var(--sp-surface); color: var(--sp-text); box-shadow: var(--sp-shadow); }
.sp-scope { font-family: var(--sp-mono); font-size: 0.75rem; color: var(--sp-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
@media (max-width: 980px) {
  .sp-panel { grid-template-columns: minmax(0, 1fr); }
  .sp-panel > * { max-height: none; }
}
`;

/** Puts `scratchpadStyles` into the page. Render it once, anywhere. */
export function ScratchpadStyles(): ReactNode {
  return createElement('style', { 'data-scratchpad-store': '' }, scratchpadStyles);
}
