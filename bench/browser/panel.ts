/**
 * The demo's situation, reproduced: 1,000 versions of one section written through the library API, each awaited,
 * with `ScratchpadPanel` mounted on the same scratchpad (history tab showing the pad's history), against the same
 * writes with no React at all. Loaded by the bench page on demand, so that the other workloads run without React.
 */
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { createScratchpad } from '../../src/index.js';
import { ScratchpadPanel, ScratchpadProvider } from '../../src/react/index.js';
import { indexedDbStorage } from '../../src/storage/idb.js';

const text = (i: number): string =>
  Array.from({ length: 20 }, (_, l) => (l === i % 20 ? `version ${i}: the writer changed this line` : `line ${l} of the brief, kept as it was`)).join('\n') + '\n';

export async function panelWrites(count: number, withPanel: boolean): Promise<{ ms: number; perWrite: number }> {
  const name = `panel-${crypto.randomUUID()}`;
  const sp = createScratchpad({ storage: indexedDbStorage({ name }), sessionId: 'demo' });
  await sp.ready;
  await sp.write('brief', 'draft', text(0), { agent: 'writer' });
  const host = document.createElement('div');
  document.body.append(host);
  const root = withPanel ? createRoot(host) : undefined;
  if (root) {
    root.render(createElement(ScratchpadProvider, { scratchpad: sp }, createElement(ScratchpadPanel, { user: 'bench' })));
    // Let the panel mount and load what it shows before timing.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const start = performance.now();
  for (let i = 1; i <= count; i++) await sp.write('brief', 'draft', text(i), { agent: i % 2 ? 'writer' : 'reviewer' });
  const ms = performance.now() - start;
  root?.unmount();
  host.remove();
  sp.close();
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  return { ms: Math.round(ms), perWrite: ms / count };
}
