/**
 * Core benchmarks (`npm run bench`): history-keeping writes against the naive port's cost, in one process and run.
 * Figures are this machine's; the goals are ratios and bounds from issue 2. Nothing here is a test: it prints.
 */
import { structuredPatch } from 'diff';
import { createScratchpad } from '../src/index.js';
import { packEntry } from '../src/core/packed.js';

const results: { name: string; value: string; goal: string; ok: boolean }[] = [];
const report = (name: string, value: string, goal: string, ok: boolean) => {
  results.push({ name, value, goal, ok });
  console.log(`${ok ? 'ok  ' : 'MISS'} ${name}: ${value} (goal: ${goal})`);
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
  // Best of 3 each, alternating, so that neither side gets a warmer JIT or a quieter machine.
  let ours = Infinity;
  let naive = Infinity;
  let burst = Infinity;
  for (let round = 0; round < 3; round++) {
    gc();
    const sp = createScratchpad({ limits: bigLimits });
    await sp.write('bench', 'doc', versions[0]!);
    let start = performance.now();
    for (let i = 1; i < versions.length; i++) await sp.write('bench', 'doc', versions[i]!);
    ours = Math.min(ours, ms(start) / (versions.length - 1));
    sp.close();
    gc();
    start = performance.now();
    // jsdiff as the naive port would call it: whole texts, default options.
    for (let i = 1; i < versions.length; i++) structuredPatch('doc', 'doc', versions[i - 1]!, versions[i]!);
    naive = Math.min(naive, ms(start) / (versions.length - 1));
    gc();
    const bursty = createScratchpad({ limits: bigLimits });
    await bursty.write('bench', 'doc', versions[0]!);
    start = performance.now();
    for (let i = 1; i < versions.length; i += 100) {
      const writes: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(i + 100, versions.length); j++) writes.push(bursty.write('bench', 'doc', versions[j]!));
      await Promise.all(writes);
    }
    burst = Math.min(burst, ms(start) / (versions.length - 1));
    bursty.close();
  }
  const ratio = naive / ours;
  report(
    'small edits (3,000 one-line replaces of a 200-line section)',
    `${(ours * 1000).toFixed(1)} µs/write with history vs ${(naive * 1000).toFixed(1)} µs for jsdiff structuredPatch alone: ${ratio.toFixed(1)}× faster`,
    '≥ 10× faster',
    ratio >= 10,
  );
  report(
    'small edits, writes issued in bursts of 100 (one group commit each)',
    `${(burst * 1000).toFixed(1)} µs/write: ${(naive / burst).toFixed(1)}× faster than jsdiff alone`,
    '—',
    true,
  );
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

console.log(`scratchpad-store core benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);
await smallEdits();
await appendsAndSize();
await rebuild();
await worstCase();
const missed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - missed} of ${results.length} goals met`);
