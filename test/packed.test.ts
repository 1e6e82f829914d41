import { describe, expect, it } from 'vitest';
import { packEntry, unpackEntry, type PackedEntry } from '../src/core/packed.js';
import { computePatch } from '../src/core/patch.js';
import type { HistoryEntry } from '../src/core/types.js';

const entry = (oldText: string, newText: string): HistoryEntry => {
  const { patch, stats } = computePatch(oldText, newText);
  return { id: 'p/s@2', sessionId: 'x', pad: 'p', section: 's', version: 2, op: 'write_append', agent: 'a', timestamp: 5, patch, stats };
};

describe('packed history entries', () => {
  it('keep a hunk as one string and unpack to the same entry', () => {
    for (const [before, after] of [
      ['a\nb\nc\n', 'a\nB\nc\n'],
      ['a\nb', 'a\nb\nc'],
      ['', 'x'],
      ['x\n', ''],
      ['a\n\nb\n', 'a\n\n\nb\\\n'],
    ] as const) {
      const original = entry(before, after);
      const packed = packEntry(original);
      for (const hunk of packed.h) expect(hunk.length).toBe(6);
      expect(unpackEntry(JSON.parse(JSON.stringify(packed)) as PackedEntry, 'x', 'p', 's')).toEqual(original);
    }
  });

  it('still unpack entries packed by earlier versions (one item per line, 1 when re-terminating)', () => {
    const appended = entry('a\nb', 'a\nb\nc');
    // What packEntry wrote before lines were joined: `-b`, `\`, `+b` stored as 1, `+b`, `+c` (the '-' line implied).
    const oldForm: PackedEntry = { v: 2, o: 'a', a: 'a', t: 5, h: [[2, 1, 2, 2, 1, '+b', '+c', '\\']] };
    expect(unpackEntry(oldForm, 'x', 'p', 's').patch.hunks).toEqual(appended.patch.hunks);
    const edited = entry('a\nb\nc\n', 'a\nB\nc\n');
    const plain: PackedEntry = { v: 2, o: 'a', a: 'a', t: 5, h: [[2, 1, 2, 1, '-b', '+B']] };
    expect(unpackEntry(plain, 'x', 'p', 's').patch.hunks).toEqual(edited.patch.hunks);
  });
});
