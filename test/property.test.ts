import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatch, createScratchpad, type SectionEdit } from '../src/index.js';

// Lines drawn to stress the line model: unicode (astral too), CRLF, lone '\r', empty lines, no final newline.
const line = fc.oneof(
  fc.constantFrom('', 'a', 'b', 'same', 'ünïcødé', '🚀 rocket', '中文', 'tab\there', 'cr\r', ' lead', 'x'),
  fc.string({ maxLength: 6 }),
);
const text = fc
  .tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([lines, eol, finalNewline]) => lines.join(eol) + (finalNewline && lines.length > 0 ? eol : ''));

type Step =
  | { kind: 'write'; mode: 'replace' | 'append' | 'prepend'; section: string; text: string }
  | { kind: 'edit'; section: string; pick: number; text: string; shape: 'insert' | 'delete' | 'replace' | 'oldText' }
  | { kind: 'revert'; section: string; pick: number }
  | { kind: 'delete'; section: string };

const sectionName = fc.constantFrom('one', 'two');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), mode: fc.constantFrom('replace' as const, 'append' as const, 'prepend' as const), section: sectionName, text }),
  fc.record({ kind: fc.constant('edit' as const), section: sectionName, pick: fc.nat(), text, shape: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const, 'oldText' as const) }),
  fc.record({ kind: fc.constant('revert' as const), section: sectionName, pick: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), section: sectionName }),
);

function editFor(content: string, s: Extract<Step, { kind: 'edit' }>): SectionEdit | undefined {
  const lineCount = content === '' ? 0 : content.split('\n').length - (content.endsWith('\n') ? 1 : 0);
  if (s.shape === 'insert') return { insertAtLine: (s.pick % (lineCount + 1)) + 1, text: s.text };
  if (lineCount === 0) return undefined;
  const from = (s.pick % lineCount) + 1;
  const to = Math.min(lineCount, from + (s.pick % 3));
  if (s.shape === 'delete') return { deleteLines: { from, to } };
  if (s.shape === 'replace') return { replaceLines: { from, to }, text: s.text };
  const needle = content.slice(s.pick % content.length, (s.pick % content.length) + 3);
  if (needle === '' || content.indexOf(needle) !== content.lastIndexOf(needle)) return undefined;
  return { oldText: needle, newText: s.text };
}

describe('history invariants under random operations', () => {
  it('contentAt(v) equals the content right after version v, patches replay, and blame covers every line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (steps, checkpointEvery) => {
        const sp = createScratchpad({ history: { checkpointEvery } });
        const seen = new Map<string, string[]>([
          ['one', []],
          ['two', []],
        ]);
        for (const s of steps) {
          const current = sp.read('p', s.section);
          const versions = seen.get(s.section)!;
          if (s.kind === 'write') {
            await sp.write('p', s.section, s.text, { mode: s.mode });
          } else if (s.kind === 'edit') {
            if (current === undefined) continue;
            const edit = editFor(current, s);
            if (!edit) continue;
            await sp.edit('p', s.section, edit);
          } else if (s.kind === 'revert') {
            if (versions.length === 0) continue;
            await sp.revert('p', s.section, (s.pick % versions.length) + 1);
          } else {
            if (current === undefined) continue;
            await sp.delete('p', s.section);
          }
          const version = sp.get('p', s.section)?.version ?? versions.length + 1;
          while (versions.length < version) versions.push(sp.read('p', s.section) ?? '');
        }
        for (const [section, versions] of seen) {
          const entries = await sp.history({ pad: 'p', section });
          expect(entries.map((e) => e.version)).toEqual(versions.map((_, i) => i + 1));
          let replay = '';
          for (const [i, content] of versions.entries()) {
            expect(await sp.contentAt('p', section, i + 1)).toBe(content);
            replay = applyPatch(replay, entries[i]!.patch);
            expect(replay).toBe(content);
          }
          const current = sp.read('p', section);
          if (current !== undefined) {
            const blame = await sp.blame('p', section);
            const expectedLines = current === '' ? [] : current.split(/(?<=\n)/).map((l) => l.replace(/\r?\n$/, ''));
            expect(blame.map((b) => b.text)).toEqual(expectedLines);
            for (const b of blame) expect(b.version).toBeGreaterThanOrEqual(1);
            for (const b of blame) expect(b.version).toBeLessThanOrEqual(versions.length);
          }
        }
      }),
      { numRuns: 150, seed: 20261127 },
    );
  });
});
