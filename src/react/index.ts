/**
 * `scratchpad-store/react`: a provider, hooks on the scratchpad's zustand store, and components to show and edit a
 * scratchpad. Every hook selects the narrowest part of the state it needs, so a component re-renders only when that
 * part changes.
 */
export { ScratchpadProvider, type ScratchpadProviderProps } from './provider.js';
export { useScratchpad } from './context.js';
export { usePads } from './use-pads.js';
export { useSections } from './use-sections.js';
export { useSection } from './use-section.js';
export { useHistory, type HistoryState } from './use-history.js';
export { useBlame, type BlameState } from './use-blame.js';
export { useSyncStatus } from './use-sync-status.js';
export { agentColor, useAgentColor, AGENT_PALETTE, type AgentColors } from './agent-colors.js';
export { DiffView, type DiffViewProps } from './components/diff-view.js';
export { HistoryTimeline, type HistoryTimelineProps } from './components/history-timeline.js';
export { BlameView, type BlameViewProps } from './components/blame-view.js';
export { SectionCard, type SectionCardProps } from './components/section-card.js';
export { NewSectionForm, type NewSectionFormProps } from './components/new-section-form.js';
export { PadList, type PadListProps } from './components/pad-list.js';
export { AgentBadge, type AgentBadgeProps } from './components/agent-badge.js';
export { ScratchpadPanel, type ScratchpadPanelProps } from './components/scratchpad-panel.js';
export { diffRows, type DiffRow, type DiffRowKind } from './diff-rows.js';
export { scratchpadStyles, ScratchpadStyles } from './styles.js';
export { readableDiffRows, parseUnifiedDiff } from './diff-rows.js';
export { RelativeTime } from './components/relative-time.js';
export { VirtualList, type VirtualListProps } from './components/virtual-list.js';
export { workerCompute, inlineCompute, type ScratchpadCompute } from './compute.js';
export { serveCompute, type ComputeRequest, type ComputeResponse } from './compute-core.js';
export { useDeletedSections, type DeletedSection } from './use-deleted.js';
export { lineEnding, withLineEndings, type LineEnding } from './line-endings.js';
export { useAgentLabel, type AgentLabel } from './agent-labels.js';
export { formatRelative, formatExactTime } from './format.js';
export type { PanelSelection } from './components/scratchpad-panel.js';
