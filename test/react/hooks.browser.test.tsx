import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, type Scratchpad, type Section, type StorageAdapter } from '../../src/index.js';
import {
  ScratchpadProvider,
  useBlame,
  useHistory,
  usePads,
  useScratchpad,
  useSection,
  useSections,
  useSyncStatus,
} from '../../src/react/index.js';
import { cleanup, preloadLazyModules, render, settle } from './render.js';

const opened: Scratchpad[] = [];
// The library loads its default memory storage and blame on first use; load them once up front, as an app's
// first use would, so that renders settle within act() as they do afterwards.
beforeAll(preloadLazyModules);
afterEach(async () => {
  await cleanup();
  for (const sp of opened.splice(0)) sp.close();
});

/** A scratchpad that has loaded its storage (`memoryStorage` loads its code on first open). */
async function scratchpad(storage: StorageAdapter = memoryStorage()): Promise<Scratchpad> {
  const sp = createScratchpad({ storage });
  opened.push(sp);
  await sp.ready;
  return sp;
}

describe('selectors re-render only what changed', () => {
  it('a component showing section A does not re-render when section B changes', async () => {
    const sp = await scratchpad();
    await sp.write('notes', 'a', 'alpha');
    await sp.write('notes', 'b', 'beta');
    await sp.write('other', 'x', 'ex');

    const renders = { a: 0, b: 0, pads: 0, sections: 0, otherSections: 0 };
    function ShowSection({ name }: { name: 'a' | 'b' }) {
      const section = useSection('notes', name);
      renders[name]++;
      return <p data-name={name}>{section?.content}</p>;
    }
    function ShowPads() {
      const pads = usePads();
      renders.pads++;
      return <p data-name="pads">{pads.join(',')}</p>;
    }
    function ShowSections({ pad, counter }: { pad: string; counter: 'sections' | 'otherSections' }) {
      const names = useSections(pad);
      renders[counter]++;
      return <p data-name={counter}>{names.join(',')}</p>;
    }

    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <ShowSection name="a" />
        <ShowSection name="b" />
        <ShowPads />
        <ShowSections pad="notes" counter="sections" />
        <ShowSections pad="other" counter="otherSections" />
      </ScratchpadProvider>,
    );
    const text = (name: string) => container.querySelector(`[data-name="${name}"]`)?.textContent;
    expect(text('a')).toBe('alpha');
    expect(text('pads')).toBe('notes,other');
    const initial = { ...renders };

    await settle(() => sp.write('notes', 'b', 'beta, changed'));
    expect(text('b')).toBe('beta, changed');
    expect(renders.b).toBe(initial.b + 1);
    expect(renders.a).toBe(initial.a);
    // Same names: neither the pad list nor the section lists re-render on a content change.
    expect(renders.pads).toBe(initial.pads);
    expect(renders.sections).toBe(initial.sections);
    expect(renders.otherSections).toBe(initial.otherSections);

    await settle(() => sp.write('notes', 'c', 'gamma'));
    expect(text('sections')).toBe('a,b,c');
    expect(renders.sections).toBe(initial.sections + 1);
    expect(renders.pads).toBe(initial.pads);
    expect(renders.a).toBe(initial.a);
    expect(renders.otherSections).toBe(initial.otherSections);

    await settle(() => sp.write('3_new', 'y', 'why'));
    expect(text('pads')).toBe('3_new,notes,other');
    expect(renders.pads).toBe(initial.pads + 1);
    expect(renders.a).toBe(initial.a);

    await settle(() => sp.delete('notes', 'a'));
    expect(text('a')).toBe('');
    expect(text('sections')).toBe('b,c');
  });

  it('useSyncStatus is idle with nothing pending when no sync is configured', async () => {
    const sp = await scratchpad();
    let seen: unknown;
    function Status() {
      seen = useSyncStatus();
      return null;
    }
    await render(
      <ScratchpadProvider scratchpad={sp}>
        <Status />
      </ScratchpadProvider>,
    );
    expect(seen).toEqual({ state: 'idle', pending: 0 });
  });
});

describe('ScratchpadProvider', () => {
  it('shows the fallback until storage has loaded, then content on the very first render', async () => {
    const storage = memoryStorage();
    const first = await scratchpad(storage);
    await first.write('plan', 'outline', '1. intro\n2. body');
    await first.flush();

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: StorageAdapter = { name: 'slow-memory', open: async (id) => (await gate, storage.open(id)) };
    const seen: (Section | undefined)[] = [];
    function Outline() {
      const section = useSection('plan', 'outline');
      seen.push(section);
      return <pre>{section?.content}</pre>;
    }
    const { container } = await render(
      <ScratchpadProvider options={{ storage: slow }} fallback={<p className="loading">Loading…</p>}>
        <Outline />
      </ScratchpadProvider>,
    );
    expect(container.querySelector('.loading')).not.toBeNull();
    expect(seen).toEqual([]);

    await settle(() => release());
    expect(container.querySelector('.loading')).toBeNull();
    expect(container.querySelector('pre')?.textContent).toBe('1. intro\n2. body');
    // No flash of empty content: not a single render saw the section missing.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s?.content === '1. intro\n2. body')).toBe(true);
  });

  it('creates a scratchpad from options and closes it on unmount', async () => {
    let inside: Scratchpad | undefined;
    function Grab() {
      inside = useScratchpad();
      return null;
    }
    const { unmount } = await render(
      <ScratchpadProvider options={{ sessionId: 'owned' }}>
        <Grab />
      </ScratchpadProvider>,
    );
    // The provider's own scratchpad renders its children once its (default, lazily loaded) storage is open.
    await expect.poll(() => inside?.sessionId).toBe('owned');
    await inside!.write('p', 's', 'text');
    await unmount();
    expect(() => inside!.read('p', 's')).toThrow(/closed/);
  });

  it('renders renderError when storage cannot be opened', async () => {
    const broken: StorageAdapter = { name: 'broken', open: () => Promise.reject(new Error('disk on fire')) };
    const { container } = await render(
      <ScratchpadProvider options={{ storage: broken }} fallback="loading" renderError={(error) => <p role="alert">{error.message}</p>}>
        <p>never</p>
      </ScratchpadProvider>,
    );
    await settle(() => undefined);
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(/disk on fire/);
    expect(container.textContent).not.toContain('never');
  });

  it('useScratchpad outside a provider says what is missing', async () => {
    function Orphan() {
      useScratchpad();
      return null;
    }
    const errors: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      errors.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    try {
      await render(<Orphan />).catch((error: unknown) => errors.push(error));
    } finally {
      window.removeEventListener('error', onError);
    }
    expect(String(errors[0])).toMatch(/ScratchpadProvider/);
  });
});

describe('useHistory and useBlame', () => {
  it('load asynchronously and reload when their section changes, not when another one does', async () => {
    const sp = await scratchpad();
    await sp.write('research', 'findings', 'one\n', { agent: 'researcher' });
    await sp.write('research', 'sources', 'src', { agent: 'researcher' });
    const states: { loading: boolean; versions: number[] }[] = [];
    let blameAgents: string[] = [];
    function Findings() {
      const { entries, loading, error } = useHistory({ pad: 'research', section: 'findings', order: 'desc' });
      const blame = useBlame('research', 'findings');
      expect(error).toBeUndefined();
      states.push({ loading, versions: entries.map((e) => e.version) });
      blameAgents = blame.lines.map((l) => l.agent);
      return null;
    }
    await render(
      <ScratchpadProvider scratchpad={sp}>
        <Findings />
      </ScratchpadProvider>,
    );
    expect(states[0]).toEqual({ loading: true, versions: [] });
    expect(states.at(-1)).toEqual({ loading: false, versions: [1] });

    await settle(() => sp.write('research', 'findings', 'two\n', { mode: 'append', agent: 'writer' }));
    expect(states.at(-1)).toEqual({ loading: false, versions: [2, 1] });
    // A change during a load reloads after a short pause (useAsyncValue): wait for it.
    await expect.poll(() => blameAgents).toEqual(['researcher', 'writer']);
    // While it reloaded, the previous entries stayed: no render in between showed an empty list.
    const loaded = states.findIndex((s) => s.versions.length > 0);
    expect(states.slice(loaded).every((s) => s.versions.length > 0)).toBe(true);

    const before = states.length;
    await settle(() => sp.write('research', 'sources', 'src 2', { agent: 'researcher' }));
    expect(states.length).toBe(before);
  });

  it('a stream of writes reloads the history a few times, not once per write, and ends current', async () => {
    // The demo's finding: with a history view mounted, every write started a history read (and a re-render), and the
    // writes queued behind the reads. 200 awaited writes must cost a handful of reads, and the view must end current.
    const sp = await scratchpad();
    await sp.write('brief', 'draft', 'v0');
    let reads = 0;
    const history = sp.history.bind(sp);
    sp.history = (query) => {
      reads++;
      return history(query);
    };
    let renders = 0;
    let shown: number[] = [];
    function Timeline() {
      const { entries } = useHistory({ pad: 'brief', limit: 5, order: 'desc' });
      renders++;
      shown = entries.map((e) => e.version);
      return null;
    }
    await render(
      <ScratchpadProvider scratchpad={sp}>
        <Timeline />
      </ScratchpadProvider>,
    );
    const [readsBefore, rendersBefore] = [reads, renders];
    await settle(async () => {
      for (let i = 1; i <= 200; i++) await sp.write('brief', 'draft', `v${i}`);
    });
    // The last reload starts after a pause: wait for it.
    await expect.poll(() => shown[0], { timeout: 5_000 }).toBe(201);
    expect(shown).toEqual([201, 200, 199, 198, 197]);
    expect(reads - readsBefore).toBeLessThanOrEqual(10);
    expect(renders - rendersBefore).toBeLessThanOrEqual(20);
  });

  it('reports errors as state instead of throwing', async () => {
    const sp = await scratchpad();
    let error: Error | undefined;
    function Bad() {
      error = useHistory({ limit: -1 }).error;
      return null;
    }
    await render(
      <ScratchpadProvider scratchpad={sp}>
        <Bad />
      </ScratchpadProvider>,
    );
    expect(error?.message).toMatch(/limit/);
  });
});
