/**
 * Core benchmarks (`npm run bench`): history-keeping writes against the naive port's cost, in one process and run.
 * Figures are this machine's; the goals are ratios and bounds from issue 2. Nothing here is a test: it prints.
 */
import { cpus, loadavg } from 'node:os';
import 'fake-indexeddb/auto';
import { structuredPatch } from 'diff';
import { createScratchpad, memoryStorage } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import { packEntry } from '../src/core/packed.js';

const quick = process.argv.includes('--quick');
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const results: { name: string; value: string; goal: string; ok: boolean }[] = [];
const report = (name: string, value: string, goal: string, ok: boolean) => {
  results.push({ name, value, goal, ok });
  console.log(`${ok ? 'met   ' : 'missed'} ${name}: ${value} (goal: ${goal})`);
};
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const ms = (start: number) => performance.now() - start;

/** A deterministic PRNG (mulberry32) so every run does the same work. */
function random(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bigLimits = { maxSectionBytes: 256 * 1024 * 1024 };

async function smallEdits() {
  const rand = random(1);
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}: the agent noted something about item ${i} worth keeping`);
  const versions: string[] = [lines.join('\n') + '\n'];
  for (let i = 0; i < 3_000; i++) {
    lines[Math.floor(rand() * lines.length)] = `edited ${i}: a changed finding with a fresh number ${rand().toFixed(6)}`;
    versions.push(lines.join('\n') + '\n');
  }
  const writeAll = async (sp: ReturnType<typeof createScratchpad>) => {
    for (let i = 1; i < versions.length; i++) await sp.write('bench', 'doc', versions[i]!);
  };
  // Warm-up: the ratio settles only after ~6,000 writes (JIT tiers, inline caches, GC sizing), so both sides run
  // 2 × 3,000 writes (and diffs) before anything is timed.
  for (let w = 0; w < 2; w++) {
    const warm = createScratchpad({ limits: bigLimits });
    await warm.write('bench', 'doc', versions[0]!);
    await writeAll(warm);
    warm.close();
    for (let i = 1; i < versions.length; i++) structuredPatch('doc', 'doc', versions[i - 1]!, versions[i]!);
  }
  // Rounds alternate the two sides, so that neither gets a warmer JIT or a quieter machine; medians over rounds.
  const rounds = quick ? 3 : 7;
  const ours: number[] = [];
  const naive: number[] = [];
  const burst: number[] = [];
  for (let round = 0; round < rounds; round++) {
    gc();
    const sp = createScratchpad({ limits: bigLimits });
    await sp.write('bench', 'doc', versions[0]!);
    let start = performance.now();
    await writeAll(sp);
    ours.push(ms(start) / (versions.length - 1));
    sp.close();
    gc();
    start = performance.now();
    // jsdiff as the naive port would call it: whole texts, default options.
    for (let i = 1; i < versions.length; i++) structuredPatch('doc', 'doc', versions[i - 1]!, versions[i]!);
    naive.push(ms(start) / (versions.length - 1));
    gc();
    const bursty = createScratchpad({ limits: bigLimits });
    await bursty.write('bench', 'doc', versions[0]!);
    start = performance.now();
    for (let i = 1; i < versions.length; i += 100) {
      const writes: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(i + 100, versions.length); j++) writes.push(bursty.write('bench', 'doc', versions[j]!));
      await Promise.all(writes);
    }
    burst.push(ms(start) / (versions.length - 1));
    bursty.close();
  }
  const ratios = ours.map((o, i) => naive[i]! / o);
  const ratio = median(ratios);
  report(
    'small edits (one-line replaces of a 200-line section, history included), after 6,000 warm-up writes',
    `${(median(ours) * 1000).toFixed(1)} µs/write vs ${(median(naive) * 1000).toFixed(1)} µs for jsdiff structuredPatch alone: ${ratio.toFixed(1)}× (median of ${rounds} rounds; range ${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)}×)`,
    '≥ 10×',
    ratio >= 10,
  );
  report('small edits, writes issued in bursts of 100 (one group commit each)', `${(median(burst) * 1000).toFixed(1)} µs/write: ${(median(naive) / median(burst)).toFixed(1)}× jsdiff`, '—', true);
}

/** One-line edits of a section in a pad of 1 and of 10,000 sections: publishing must not copy the pad. */
async function padSize() {
  for (const kind of ['memory', 'IndexedDB (fake-indexeddb)'] as const) {
    const perWrite: Record<number, number[]> = { 1: [], 10_000: [] };
    const writes = quick ? 300 : 1_000;
    for (let round = 0; round < (quick ? 2 : 5); round++) {
      for (const size of [1, 10_000]) {
        gc();
        const storage = kind === 'memory' ? memoryStorage() : indexedDbStorage({ name: `bench-pad-${size}-${round}-${Math.random()}` });
        const sp = createScratchpad({ storage, limits: bigLimits });
        await sp.ready;
        const fills: Promise<unknown>[] = [];
        for (let i = 0; i < size; i++) fills.push(sp.write('big', `s${i}`, `section ${i}\nsecond line\n`));
        await Promise.all(fills);
        const start = performance.now();
        for (let i = 0; i < writes; i++) await sp.write('big', 's0', `section 0 edit ${i}\nsecond line\n`);
        perWrite[size]!.push(ms(start) / writes);
        sp.close();
      }
    }
    const one = median(perWrite[1]!);
    const many = median(perWrite[10_000]!);
    const ratio = many / one;
    report(
      `pad size, ${kind}: a one-line edit in a pad of 10,000 sections vs a pad of one`,
      `${(many * 1000).toFixed(1)} µs vs ${(one * 1000).toFixed(1)} µs per awaited write: ${ratio.toFixed(2)}×`,
      '≤ 2×',
      ratio <= 2,
    );
  }
}

/** 10,000 one-line edits of a 2,000-line section: how much heap (memory storage) and how many stored bytes the history takes. */
async function historyMemory() {
  const rand = random(3);
  const lines = Array.from({ length: 2_000 }, (_, i) => `line ${i}: a finding of the research agent about source ${i} and its score`);
  gc();
  const before = process.memoryUsage().heapUsed;
  const sp = createScratchpad({ limits: bigLimits });
  await sp.write('bench', 'doc', lines.join('\n') + '\n');
  const edits = 10_000;
  for (let i = 0; i < edits; i++) {
    const n = 1 + Math.floor(rand() * lines.length);
    await sp.edit('bench', 'doc', { replaceLines: { from: n, to: n }, text: `edit ${i}: ${rand().toFixed(8)}` });
  }
  gc();
  gc();
  const heap = process.memoryUsage().heapUsed - before;
  const snapshot = await sp.exportJSON();
  const content = sp.read('bench', 'doc')!;
  const encoder = new TextEncoder();
  const stored =
    snapshot.history.reduce((n, e) => n + encoder.encode(JSON.stringify(packEntry(e))).length, 0) +
    snapshot.snapshots.reduce((n, a) => n + encoder.encode(JSON.stringify(a)).length, 0);
  const fullSnapshots = snapshot.snapshots.filter((a) => a.content !== undefined).length;
  report(
    'history memory: 10,000 one-line edits of a 2,000-line section, heap growth (memory storage)',
    `${(heap / 1e6).toFixed(1)} MB (content ${(content.length / 1e3).toFixed(0)} KB, ${fullSnapshots} full snapshots)`,
    '≤ 5 MB',
    heap <= 5e6,
  );
  report(
    'history size on disk (packed entries + anchors as stored, JSON bytes) for the same history',
    `${(stored / 1e6).toFixed(2)} MB: ${(stored / encoder.encode(content).length).toFixed(1)}× the content`,
    'like ratio to the heap figure',
    true,
  );
  const picks = Array.from({ length: 2_000 }, () => 1 + Math.floor(rand() * edits));
  const start = performance.now();
  for (const v of picks) await sp.contentAt('bench', 'doc', v);
  const perCall = ms(start) / picks.length;
  report('history memory: contentAt of random versions of that section', `${(perCall * 1000).toFixed(0)} µs/call`, '< 1 ms', perCall < 1);
  sp.close();
}

const appendLine = (i: number) => `event ${i}: researcher appended a finding about source ${i % 97} with score ${(i % 1000) / 1000}`;

async function appends(count: number, terminated = false) {
  gc();
  const sp = createScratchpad({ limits: bigLimits });
  const start = performance.now();
  const eol = terminated ? '\n' : '';
  for (let i = 0; i < count; i++) await sp.write('bench', 'log', appendLine(i) + eol, { mode: 'append', agent: 'researcher' });
  const total = ms(start);
  return { sp, total };
}

async function appendsAndSize() {
  const small = await appends(10_000);
  small.sp.close();
  const large = await appends(100_000);
  const ratio = large.total / small.total;
  report('appends: 10,000 single-line appends', `${small.total.toFixed(0)} ms total`, '—', true);
  report('appends: 100,000 single-line appends', `${large.total.toFixed(0)} ms total`, '< 1,500 ms', large.total < 1_500);
  report('appends: 100k/10k time ratio', ratio.toFixed(2), '≤ 12 (linear)', ratio <= 12);

  report('history size after 100,000 appends of unterminated lines', historySize(await large.sp.exportJSON(), large.sp.read('bench', 'log')!), '≤ 3×', lastRatio <= 3);
  large.sp.close();
  const terminated = await appends(100_000, true);
  report('history size after 100,000 appends of lines ending in \\n', historySize(await terminated.sp.exportJSON(), terminated.sp.read('bench', 'log')!), '≤ 3×', lastRatio <= 3);
  terminated.sp.close();
}

let lastRatio = 0;
/** What a storage adapter keeps: every entry in its packed form plus every anchor, as JSON bytes (UTF-8). */
function historySize(snapshot: Awaited<ReturnType<ReturnType<typeof createScratchpad>['exportJSON']>>, content: string): string {
  const encoder = new TextEncoder();
  const historyBytes =
    snapshot.history.reduce((n, e) => n + encoder.encode(JSON.stringify(packEntry(e))).length, 0) +
    snapshot.snapshots.reduce((n, s) => n + encoder.encode(JSON.stringify(s)).length, 0);
  const contentBytes = encoder.encode(content).length;
  lastRatio = historyBytes / contentBytes;
  return `${(historyBytes / 1e6).toFixed(1)} MB kept for ${(contentBytes / 1e6).toFixed(1)} MB of content: ${lastRatio.toFixed(2)}× (lines of ~${Math.round(contentBytes / 100_000)} bytes)`;
}

async function rebuild() {
  const rand = random(2);
  // A 10,000-version history of mixed agent work on one section: edits, appends, the odd rewrite.
  const sp = createScratchpad({ limits: bigLimits });
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}: initial content of the section for item ${i}`);
  await sp.write('bench', 'doc', lines.join('\n') + '\n');
  for (let v = 2; v <= 10_000; v++) {
    const r = rand();
    if (r < 0.6) {
      const n = Math.floor(rand() * sp.lines('bench', 'doc').split('\n').length) + 1;
      await sp.edit('bench', 'doc', { replaceLines: { from: n, to: n }, text: `edit ${v}: ${rand().toFixed(8)}` });
    } else if (r < 0.95) await sp.write('bench', 'doc', `appended at ${v}\n`, { mode: 'append' });
    else await sp.write('bench', 'doc', lines.map((l) => `${l} (rewrite ${v})`).join('\n') + '\n');
  }
  const picks = Array.from({ length: 2_000 }, () => 1 + Math.floor(rand() * 9_999));
  gc();
  const start = performance.now();
  for (const v of picks) await sp.contentAt('bench', 'doc', v);
  const perCall = ms(start) / picks.length;
  report('rebuild: contentAt of random versions in a 10,000-version history', `${(perCall * 1000).toFixed(0)} µs/call`, '< 1 ms', perCall < 1);

  const log = createScratchpad({ limits: bigLimits });
  for (let i = 0; i < 10_000; i++) await log.write('bench', 'log', appendLine(i), { mode: 'append' });
  const logPicks = Array.from({ length: 2_000 }, () => 1 + Math.floor(rand() * 9_999));
  const logStart = performance.now();
  for (const v of logPicks) await log.contentAt('bench', 'log', v);
  const logPerCall = ms(logStart) / logPicks.length;
  report('rebuild: contentAt of random versions in a 10,000-append log', `${(logPerCall * 1000).toFixed(0)} µs/call`, '< 1 ms', logPerCall < 1);
}

async function worstCase() {
  const sp = createScratchpad({ limits: bigLimits });
  const version = (k: number) => Array.from({ length: 20_000 }, (_, i) => `rewrite ${k} line ${i}: ${((i * 7919 + k) % 10007).toString(36)}`).join('\n') + '\n';
  const texts = Array.from({ length: 6 }, (_, k) => version(k));
  await sp.write('bench', 'big', texts[0]!);
  const times: number[] = [];
  for (let k = 1; k < texts.length; k++) {
    const start = performance.now();
    await sp.write('bench', 'big', texts[k]!);
    times.push(ms(start));
  }
  // Half the lines kept, half rewritten: jsdiff must really search, bounded by its timeout.
  const mixed = texts[5]!.split('\n').map((l, i) => (i % 2 === 0 ? l : `changed ${i}`)).join('\n');
  const start = performance.now();
  await sp.write('bench', 'big', mixed);
  const mixedTime = ms(start);
  const worst = Math.max(...times);
  report('worst case: a 20,000-line section rewritten entirely', `${worst.toFixed(1)} ms/write (max of ${times.length})`, '< 100 ms', worst < 100);
  report('worst case: a 20,000-line section with every other line rewritten', `${mixedTime.toFixed(1)} ms/write`, '< 100 ms', mixedTime < 100);
}

const [l1, l5, l15] = loadavg();
console.log(
  `scratchpad-store core benchmarks — ${new Date().toISOString()}\nnode ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)}${quick ? ', quick run (--quick)' : ''}\n`,
);
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const phases: [string, () => Promise<void>][] = [
  ['small', smallEdits],
  ['pad', padSize],
  ['memory', historyMemory],
  ['appends', appendsAndSize],
  ['rebuild', rebuild],
  ['worst', worstCase],
];
for (const [name, phase] of phases) if (!only || only.split(',').includes(name)) await phase();
const missed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - missed} of ${results.length} goals met`);
process.exit(0);
