import { useEffect, useState } from 'react';
import { Demo } from './Demo.js';
import { indexedDbStorage, ScratchpadProvider, ScratchpadStyles } from './lib.js';
import { AGENT_COLORS } from './script.js';
import { DATABASE_NAME, GENERATION_KEY, SESSION_ID } from './settings.js';

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

  return (
    <>
      <ScratchpadStyles />
      <ScratchpadProvider
        key={generation}
        // Local only for now: when `npm start` also runs the reference sync server, add `sync: httpSync({ url })` here.
        options={{ sessionId: SESSION_ID, storage: indexedDbStorage({ name: DATABASE_NAME }) }}
        agentColors={AGENT_COLORS}
        fallback={<Loading />}
        renderError={(error) => <StorageError error={error} />}
      >
        <Demo
          onReset={() => {
            const next = String(Number(generation) + 1);
            localStorage.setItem(GENERATION_KEY, next);
            setGeneration(next);
          }}
        />
      </ScratchpadProvider>
    </>
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
