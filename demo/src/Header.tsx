import { useContext, useState } from 'react';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DemoConfigContext } from './config.js';
import { useScratchpad, useSyncStatus } from './lib.js';
import { download } from './download.js';
import { applyTheme, loadTheme, type Theme } from './settings.js';
import type { WorkflowHandle } from './use-workflow.js';
import { WORKFLOW_PAD } from './workflow.js';

const THEMES: readonly { value: Theme; label: string; icon: string }[] = [
  { value: 'system', label: 'Follow the system', icon: '◐' },
  { value: 'light', label: 'Light', icon: '☀' },
  { value: 'dark', label: 'Dark', icon: '☾' },
];

export function Header({ workflow, onReset }: { workflow: WorkflowHandle; onReset: () => void }) {
  const sp = useScratchpad();
  const sync = useSyncStatus();
  const { syncUrl } = useContext(DemoConfigContext);
  const [resetting, setResetting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [theme, setTheme] = useState<Theme>(loadTheme);
  const [storageKind, storageName] = splitStorage(sp.storageName);

  async function reset(): Promise<void> {
    setConfirming(false);
    setResetting(true);
    workflow.pause();
    try {
      await sp.deleteSession();
    } finally {
      setResetting(false);
      onReset();
    }
  }

  return (
    <header className="demo-header">
      <div className="demo-brand">
        <span className="demo-logo" aria-hidden="true">
          <svg viewBox="0 0 32 32" width="32" height="32">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <path d="M9 10h14M9 16h10M9 22h12" stroke="white" strokeWidth="2.5" strokeLinecap="round" />
          </svg>
        </span>
        <div>
          <h1 className="demo-title">Scratchpad Store</h1>
          <p className="demo-subtitle">Four agents and you, writing to shared scratchpads with full history</p>
        </div>
      </div>
      <div className="demo-status">
        <span className="demo-pill" title={sp.storageName} data-testid="storage">
          <span className="demo-pill-label">Storage</span>
          {storageKind}
          {storageName ? <span className="demo-pill-detail">{storageName}</span> : null}
        </span>
        <span
          className={`demo-pill demo-pill--sync-${sync.state}${syncUrl && sync.state === 'idle' && sync.pending === 0 ? ' demo-pill--synced' : ''}`}
          data-testid="sync"
          title={[syncUrl ? `Reference server at ${syncUrl}` : 'No sync server: this browser only', sync.lastError].filter(Boolean).join('\n')}
        >
          <span className="demo-pill-label">Sync</span>
          {sync.state === 'idle' && sync.pending === 0 ? (syncUrl ? 'synced' : 'local only') : sync.state}
          {sync.pending > 0 ? <span className="demo-pill-detail">{sync.pending} pending</span> : null}
          {syncUrl && sync.live ? <span className="demo-pill-detail">live</span> : null}
          {sync.reset ? (
            <span className="demo-pill-detail" data-testid="sync-reset" title={`Reset on another device at ${new Date(sync.reset.at).toLocaleTimeString()}: this copy was dropped`}>
              reset elsewhere
            </span>
          ) : null}
        </span>
      </div>
      <div className="demo-actions">
        <div className="demo-theme" role="group" aria-label="Colour theme">
          {THEMES.map((t) => (
            <button
              key={t.value}
              type="button"
              className="demo-theme-option"
              aria-pressed={theme === t.value}
              aria-label={t.label}
              title={t.label}
              onClick={() => {
                setTheme(t.value);
                applyTheme(t.value);
              }}
            >
              <span aria-hidden="true">{t.icon}</span>
            </button>
          ))}
        </div>
        <button type="button" className="sp-button" onClick={() => void exportJson()}>
          Export JSON
        </button>
        <button type="button" className="sp-button" onClick={() => download(`scratchpad-${sp.sessionId}.md`, renderVisible(), 'text/markdown')}>
          Export Markdown
        </button>
        <button type="button" className="sp-button demo-danger" disabled={resetting} onClick={() => setConfirming(true)}>
          Reset
        </button>
      </div>
      <ConfirmDialog open={confirming} title="Reset the demo?" confirmLabel="Delete everything" onConfirm={() => void reset()} onCancel={() => setConfirming(false)}>
        <p>Every pad, section and version of this demo is deleted, in every tab and on the sync server. This cannot be undone.</p>
      </ConfirmDialog>
    </header>
  );

  function renderVisible(): string {
    return sp
      .pads()
      .filter((pad) => pad !== WORKFLOW_PAD)
      .map((pad) => sp.render(pad))
      .join('\n\n');
  }

  async function exportJson(): Promise<void> {
    const snapshot = await sp.exportJSON();
    download(`scratchpad-${sp.sessionId}.json`, JSON.stringify(snapshot, null, 2), 'application/json');
  }
}

/** 'indexeddb:scratchpad-demo' → ['IndexedDB', 'scratchpad-demo']. */
function splitStorage(name: string): [string, string] {
  const [kind = name, ...rest] = name.split(':');
  const label = kind === 'indexeddb' ? 'IndexedDB' : kind === 'memory' ? 'In memory' : kind;
  return [label, rest.join(':')];
}
