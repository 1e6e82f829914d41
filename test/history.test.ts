import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, type SessionStorage, type StorageAdapter } from '../src/index.js';

/** A memory storage that records how many history entries each chain read returned. */
function countingStorage(): { storage: StorageAdapter; chainLengths: number[] } {
  const inner = memoryStorage();
  const chainLengths: number[] = [];
  return {
    chainLengths,
    storage: {
      name: 'counting-memory',
      async open(sessionId) {
        const session = await inner.open(sessionId);
        const counted: SessionStorage = {
          ...session,
          async readChain(pad, section, upTo) {
            const chain = await session.readChain(pad, section, upTo);
            chainLengths.push(chain.entries.length);
            return chain;
          },
        };
        return counted;
      },
    },
  };
}

describe('history queries', () => {
  it('filters by pad, section, agent and time, orders and limits', async () => {
    let t = 100;
    const sp = createScratchpad({ now: () => (t += 10) });
    await sp.write('a', 'x', '1', { agent: 'planner' }); // 110
    await sp.write('a', 'y', '1', { agent: 'writer' }); // 120
    await sp.write('b', 'x', '1', { agent: 'planner' }); // 130
    await sp.write('a', 'x', '2', { agent: 'writer' }); // 140
    const ids = (q: Parameters<typeof sp.history>[0]) => sp.history(q).then((h) => h.map((e) => `${e.pad}.${e.section}@${e.version}`));
    expect(await ids({})).toEqual(['a.x@1', 'a.y@1', 'b.x@1', 'a.x@2']);
    expect(await ids({ pad: 'a' })).toEqual(['a.x@1', 'a.y@1', 'a.x@2']);
    expect(await ids({ section: 'x' })).toEqual(['a.x@1', 'b.x@1', 'a.x@2']);
    expect(await ids({ pad: 'a', section: 'x' })).toEqual(['a.x@1', 'a.x@2']);
    expect(await ids({ agent: 'planner' })).toEqual(['a.x@1', 'b.x@1']);
    expect(await ids({ since: 120, until: 130 })).toEqual(['a.y@1', 'b.x@1']);
    expect(await ids({ order: 'desc', limit: 2 })).toEqual(['a.x@2', 'b.x@1']);
    const [entry] = await sp.history({ pad: 'a', section: 'x', order: 'desc', limit: 1 });
    expect(entry).toMatchObject({ id: 'a/x@2', sessionId: 'default', op: 'write_replace', agent: 'writer', timestamp: 140, stats: { added: 1, removed: 1 } });
  });

  it('sees writes that were not awaited yet', async () => {
    const sp = createScratchpad();
    void sp.write('p', 's', 'one');
    void sp.write('p', 's', 'two', { mode: 'append' });
    expect((await sp.history()).map((e) => e.version)).toEqual([1, 2]);
  });
});

describe('contentAt, diff, revert, blame', () => {
  it('rebuilds every version and diffs any two', async () => {
    const sp = createScratchpad();
    const versions = ['first\n', 'first\nsecond\n', 'zeroth\nfirst\nsecond\n', 'zeroth\nsecond'];
    for (const v of versions) await sp.write('p', 's', v);
    for (const [i, v] of versions.entries()) expect(await sp.contentAt('p', 's', i + 1)).toBe(v);
    const d = await sp.diff('p', 's', 1, 4);
    expect(d.stats).toEqual({ added: 2, removed: 1 });
    expect(d.text).toContain('--- p/s\tversion 1\n+++ p/s\tversion 4\n');
    const fromNothing = await sp.diff('p', 's', 0);
    expect(fromNothing.stats).toEqual({ added: 2, removed: 0 });
  });

  it('produces diff text that GNU patch applies to yield the new version', async () => {
    const sp = createScratchpad();
    const v1 = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    await sp.write('doc', 'body', v1);
    await sp.edit('doc', 'body', { replaceLines: { from: 5, to: 6 }, text: 'five and six merged' });
    await sp.edit('doc', 'body', { insertAtLine: 30, text: 'inserted ünïcødé line 🚀' });
    await sp.edit('doc', 'body', { deleteLines: { from: 38, to: 40 } });
    await sp.write('doc', 'body', 'tail without newline', { mode: 'append' });
    await sp.write('doc', 'body', 'crlf line\r\n', { mode: 'prepend' });
    const v6 = sp.read('doc', 'body')!;
    const dir = mkdtempSync(join(tmpdir(), 'sp-patch-'));
    try {
      for (const [from, to] of [
        [1, 6],
        [2, 4],
        [3, 5],
      ] as const) {
        const file = join(dir, `file-${from}-${to}.txt`);
        writeFileSync(file, await sp.contentAt('doc', 'body', from));
        writeFileSync(join(dir, 'change.diff'), (await sp.diff('doc', 'body', from, to)).text);
        execFileSync('patch', ['--quiet', '--force', file, join(dir, 'change.diff')]);
        expect(readFileSync(file, 'utf8')).toBe(to === 6 ? v6 : await sp.contentAt('doc', 'body', to));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reverts as a new version and keeps history', async () => {
    const sp = createScratchpad();
    await sp.write('p', 's', 'good');
    await sp.write('p', 's', 'bad', { agent: 'intern' });
    const r = await sp.revert('p', 's', 1, { agent: 'reviewer' });
    expect(r).toMatchObject({ mode: 'revert', version: 3, previousVersion: 2, changed: true });
    expect(r.message.startsWith("Reverted 'p.s' to the content of version 1")).toBe(true);
    expect(sp.read('p', 's')).toBe('good');
    expect((await sp.history()).map((e) => [e.op, e.agent])).toEqual([
      ['write_replace', 'user'],
      ['write_replace', 'intern'],
      ['revert', 'reviewer'],
    ]);
  });

  it('keeps a line with its author when an append only ends it with a newline', async () => {
    const sp = createScratchpad();
    await sp.write('p', 's', 'one', { agent: 'researcher' });
    await sp.write('p', 's', 'two', { mode: 'append', agent: 'writer' });
    await sp.write('p', 's', 'three', { mode: 'append', agent: 'reviewer' });
    expect((await sp.blame('p', 's')).map((b) => [b.text, b.agent])).toEqual([
      ['one', 'researcher'],
      ['two', 'writer'],
      ['three', 'reviewer'],
    ]);
    // A real change of the last line is still the appender's.
    await sp.edit('p', 's', { replaceLines: { from: 3, to: 3 }, text: 'THREE' }, { agent: 'editor' });
    expect((await sp.blame('p', 's')).at(-1)).toMatchObject({ text: 'THREE', agent: 'editor' });
  });

  it('blames every line on the version and agent that introduced it', async () => {
    let t = 0;
    const sp = createScratchpad({ now: () => ++t });
    await sp.write('p', 's', 'title\n', { agent: 'planner' });
    await sp.write('p', 's', 'finding one\nfinding two\n', { mode: 'append', agent: 'researcher' });
    await sp.edit('p', 's', { oldText: 'finding two', newText: 'finding 2' }, { agent: 'editor' });
    const blame = await sp.blame('p', 's');
    expect(blame).toEqual([
      { text: 'title', version: 1, agent: 'planner', timestamp: 1 },
      { text: 'finding one', version: 2, agent: 'researcher', timestamp: 2 },
      { text: 'finding 2', version: 3, agent: 'editor', timestamp: 3 },
    ]);
  });
});

describe('checkpoints', () => {
  it('never applies more than checkpointEvery patches to rebuild a version', async () => {
    const { storage, chainLengths } = countingStorage();
    const sp = createScratchpad({ storage, history: { checkpointEvery: 8 } });
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    for (let v = 0; v < 100; v++) {
      lines[(v * 7) % 50] = `changed ${v}`;
      await sp.write('p', 's', lines.join('\n'));
    }
    const expected: string[] = [];
    const replay = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    for (let v = 0; v < 100; v++) {
      replay[(v * 7) % 50] = `changed ${v}`;
      expected.push(replay.join('\n'));
    }
    for (let v = 1; v <= 100; v++) expect(await sp.contentAt('p', 's', v)).toBe(expected[v - 1]);
    expect(Math.max(...chainLengths)).toBeLessThanOrEqual(8);
  });

  it('rebuilds appends from prefix checkpoints in O(1) patches and stores history linear in the appended text', async () => {
    const { storage, chainLengths } = countingStorage();
    const sp = createScratchpad({ storage, history: { checkpointEvery: 16 } });
    for (let i = 1; i <= 300; i++) await sp.write('log', 'events', `event ${i}`, { mode: 'append' });
    const snapshot = await sp.exportJSON();
    const fullSnapshots = snapshot.snapshots.filter((s) => s.content !== undefined);
    expect(fullSnapshots).toHaveLength(0);
    expect(snapshot.snapshots.length).toBeGreaterThanOrEqual(300 / 16 - 1);
    for (const v of [1, 15, 16, 17, 150, 299]) {
      expect(await sp.contentAt('log', 'events', v)).toBe(Array.from({ length: v }, (_, i) => `event ${i + 1}`).join('\n'));
    }
    expect(Math.max(...chainLengths)).toBeLessThanOrEqual(16);

    // A replace ends the run of appends: the run's last content is stored once, and old versions still rebuild.
    await sp.write('log', 'events', 'reset');
    await sp.write('log', 'events', 'after reset', { mode: 'append' });
    const after = await sp.exportJSON();
    expect(after.snapshots.filter((s) => s.content !== undefined).map((s) => s.version)).toEqual([300]);
    expect(await sp.contentAt('log', 'events', 150)).toBe(Array.from({ length: 150 }, (_, i) => `event ${i + 1}`).join('\n'));
    expect(await sp.contentAt('log', 'events', 301)).toBe('reset');
  });

  it('snapshots when the chain of patches outgrows the content', async () => {
    const sp = createScratchpad({ history: { checkpointEvery: 1000 } });
    for (let i = 0; i < 6; i++) await sp.write('p', 's', `${'x'.repeat(100)} ${i}\n`);
    const { snapshots } = await sp.exportJSON();
    expect(snapshots.length).toBeGreaterThan(0);
    for (let v = 1; v <= 6; v++) expect(await sp.contentAt('p', 's', v)).toBe(`${'x'.repeat(100)} ${v - 1}\n`);
  });
});

describe('retention', () => {
  it('keeps the newest versions and every kept version still rebuilds', async () => {
    const sp = createScratchpad({ history: { checkpointEvery: 4, retain: { maxVersionsPerSection: 10 } } });
    for (let i = 1; i <= 40; i++) await sp.write('p', 's', `v${i}\n`, { mode: i % 3 === 0 ? 'replace' : 'append' });
    const contents: string[] = [];
    const replay = createScratchpad();
    for (let i = 1; i <= 40; i++) {
      await replay.write('p', 's', `v${i}\n`, { mode: i % 3 === 0 ? 'replace' : 'append' });
      contents.push(replay.read('p', 's')!);
    }
    await sp.flush();
    const versions = (await sp.history({ pad: 'p', section: 's' })).map((e) => e.version);
    expect(versions).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i));
    for (let v = 31; v <= 40; v++) expect(await sp.contentAt('p', 's', v)).toBe(contents[v - 1]);
    await expect(sp.contentAt('p', 's', 30)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const blame = await sp.blame('p', 's');
    expect(blame.map((b) => b.text).join('\n') + '\n').toBe(sp.read('p', 's'));
    expect(Math.min(...blame.map((b) => b.version))).toBeGreaterThanOrEqual(31);
  });

  it('drops entries older than maxAgeMs but always keeps the current version', async () => {
    let t = 0;
    const sp = createScratchpad({ now: () => t, history: { retain: { maxAgeMs: 1_000 } } });
    for (let i = 1; i <= 5; i++) {
      t = i * 1_000;
      await sp.write('p', 's', `version ${i}`);
    }
    t = 10_000;
    await sp.flush();
    expect((await sp.history()).map((e) => e.version)).toEqual([5]);
    expect(await sp.contentAt('p', 's', 5)).toBe('version 5');
  });
});
