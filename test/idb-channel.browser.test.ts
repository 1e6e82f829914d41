import { afterEach, describe, expect, it } from 'vitest';
import { indexedDbStorage } from '../src/storage/idb.js';
import type { SectionKey, SessionStorage } from '../src/storage/types.js';
import { append, uniqueName } from './idb-fixtures.js';

// In a visible page, commits made in quick succession are announced to the other connections in fewer messages
// (src/storage/idb/channel.ts). Whatever the grouping, every changed section must reach them, including the last ones
// of a burst and those committed right before close().

const open: SessionStorage[] = [];
afterEach(() => {
  for (const storage of open.splice(0)) storage.close();
});

async function opened(name: string): Promise<SessionStorage> {
  const storage = await indexedDbStorage({ name }).open('s1');
  open.push(storage);
  return storage;
}

function collect(storage: SessionStorage): { keys: Set<string>; messages: number } {
  const heard = { keys: new Set<string>(), messages: 0 };
  storage.watch?.((changed: readonly SectionKey[]) => {
    heard.messages++;
    for (const { pad, section } of changed) heard.keys.add(`${pad}.${section}`);
  });
  return heard;
}

describe('indexedDbStorage change notifications in a visible page', () => {
  it('a burst of commits reaches the other connection whole, the last commit included', async () => {
    expect(document.visibilityState).toBe('visible');
    const name = uniqueName();
    const writer = await opened(name);
    const reader = await opened(name);
    const heard = collect(reader);
    for (let i = 0; i < 40; i++) await writer.commit(append('s1', 'p', `s${i}`, 1));
    await expect.poll(() => heard.keys.size).toBe(40);
    expect(heard.messages).toBeLessThanOrEqual(40);
  });

  it('close() sends what is still waiting', async () => {
    const name = uniqueName();
    const writer = await opened(name);
    const reader = await opened(name);
    const heard = collect(reader);
    await writer.commit(append('s1', 'p', 'first', 1));
    await writer.commit(append('s1', 'p', 'second', 1));
    writer.close();
    await expect.poll(() => [...heard.keys].sort()).toEqual(['p.first', 'p.second']);
  });
});
