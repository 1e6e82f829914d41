import { useEffect, useMemo, useState } from 'react';
import { DemoConfigContext, loadDemoConfig, type DemoConfig } from './config.js';
import { Demo } from './Demo.js';
import { httpSync, indexedDbStorage, ScratchpadProvider, ScratchpadStyles, workerCompute } from './lib.js';
import { AGENT_COLORS } from './script.js';
import { agentLabeller, DATABASE_NAME, GENERATION_KEY, LEGACY_WORKFLOW_KEY, loadIdentity, SESSION_ID } from './settings.js';

// Blame and diffs of big sections run in a worker, so that the page never freezes on a 1 MB section.
const compute = workerCompute(new Worker(new URL('./compute.worker.ts', import.meta.url), { type: 'module', name: 'scratchpad-compute' }));
const identity = loadIdentity();
const agentLabel = agentLabeller(identity);
// Progress used to be kept per browser; it is in the scratchpad now, shared by every device.
localStorage.removeItem(LEGACY_WORKFLOW_KEY);

export function App() {
  // A reset in any tab bumps the generation; the provider's key then makes a fresh scratchpad on the emptied database.
  const [generation, setGeneration] = useState(() => localStorage.getItem(GENERATION_KEY) ?? '0');
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === GENERATION_KEY) setGeneration(event.newValue ?? '0');
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);
  const [config, setConfig] = useState<DemoConfig | undefined>(undefined);
  useEffect(() => {
    void loadDemoConfig().then(setConfig);
  }, []);
  const colors = useMemo(() => AGENT_COLORS, []);
  if (config === undefined) return <Loading />;

  return (
    <DemoConfigContext.Provider value={config}>
      <ScratchpadStyles />
      <ScratchpadProvider
        key={generation}
        // IndexedDB in this browser; with `npm start`, also synced to the reference server it runs next to the page.
        options={{
          sessionId: SESSION_ID,
          storage: indexedDbStorage({ name: DATABASE_NAME }),
          ...(config.syncUrl && config.token ? { sync: httpSync({ url: config.syncUrl, token: config.token, pullIntervalMs: 2_000 }) } : {}),
        }}
        agentColors={colors}
        agentLabel={agentLabel}
        compute={compute}
        fallback={<Loading />}
        renderError={(error) => <StorageError error={error} />}
      >
        <Demo
          identity={identity}
          onReset={() => {
            const next = String(Number(generation) + 1);
            localStorage.setItem(GENERATION_KEY, next);
            setGeneration(next);
          }}
        />
      </ScratchpadProvider>
    </DemoConfigContext.Provider>
  );
}

function Loading() {
  return (
    <div className="demo-loading" role="status">
      <span className="demo-spinner" aria-hidden="true" />
      Opening the scratchpad…
    </div>
  );
}

function StorageError({ error }: { error: Error }) {
  return (
    <div className="demo-loading demo-loading--error" role="alert">
      <strong>The scratchpad could not be opened.</strong>
      <span>{error.message}</span>
      <span>IndexedDB may be disabled in this browser (private mode in some browsers disables it).</span>
    </div>
  );
}
