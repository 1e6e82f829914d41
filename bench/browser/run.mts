/**
 * `npm run bench:browser`: builds bench/browser with Vite, serves it on loopback, and drives Debian's Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium) with Playwright over a persistent profile in a temporary folder, so that
 * IndexedDB is on disk as in a real browser. Prints each workload's figures against the goals of issue 3, then the
 * minified and gzipped size of scratchpad-store + scratchpad-store/idb with their dependencies.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildUpFront, viteUpFront } from '../../test/helpers/bundle-size.js';
import { buildPage, call, launchChromium, median, serve } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const work = mkdtempSync(join(tmpdir(), 'scratchpad-bench-'));

type Rate = { writes: number; ms: number; perSecond: number };
const lines: string[] = [];
function print(text = ''): void {
  lines.push(text);
  console.log(text);
}
const goals: { label: string; ok: boolean; detail: string }[] = [];
function goal(label: string, ok: boolean, detail: string): void {
  goals.push({ label, ok, detail });
  print(`${ok ? 'met   ' : 'missed'} ${label}: ${detail}`);
}
/** Long phases say what they are doing on stderr, so that a run is never silent for a minute. */
const started = Date.now();
function progress(text: string): void {
  console.error(`  … ${((Date.now() - started) / 1000).toFixed(0)} s: ${text}`);
}
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

async function bundleSizes(): Promise<void> {
  print('\n## Bundle size: what an app on IndexedDB loads up front (createScratchpad + indexedDbStorage, minified, gzip -9; zustand, idb and diff included)');
  for (const [label, measure] of [
    ['Vite (consumer build, inline config)', viteUpFront],
    ['esbuild (bundle, splitting)', esbuildUpFront],
  ] as const) {
    const size = await measure();
    goal(`up-front bundle with ${label}`, size.gzip <= 13 * 1024, `${kb(size.gzip)} min+gzip in ${size.chunks} chunk(s), ${kb(size.bytes)} minified (goal ≤ 13 KB)`);
  }
}

async function main(): Promise<void> {
  const outDir = join(work, 'site');
  await buildPage(here, outDir);
  const site = await serve(outDir);
  const context = await launchChromium(join(work, 'profile'));
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const load = async (): Promise<void> => {
      await page.goto(site.url);
      await page.waitForFunction(() => document.title === 'ready');
    };
    await load();
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    const [l1, l5, l15] = loadavg();
    print(
      `# scratchpad-store browser benchmarks\n${new Date().toISOString()}; Chromium ${version}, Node ${process.version}, ${cpus().length} cores, load average ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)}; persistent profile on disk; ${quick ? 'quick run (--quick): one run each' : 'medians of 3 runs'}`,
    );

    const runs = quick ? 1 : 3;
    const awaitedCount = quick ? 100 : 500;
    const burstRounds = quick ? 5 : 20;
    const results: Record<string, number> = {};
    for (const durability of ['default', 'strict'] as const) {
      print(`\n## Durable writes per second: small edits (one line of a 1 KB section replaced), 100 sections, durability '${durability}'`);
      const awaited: number[] = [];
      const bursts: number[] = [];
      const rawAwaited: number[] = [];
      const rawPerRecord: number[] = [];
      const rawBatched: number[] = [];
      const memory: number[] = [];
      for (let r = 0; r < runs; r++) {
        progress(`small edits, durability '${durability}', run ${r + 1} of ${runs}`);
        const rates = await page.evaluate(
          async ([count, rounds, d]) => {
            const b = (window as unknown as { bench: Record<string, (...a: never[]) => Promise<{ rate: Rate; batches: unknown[] } | Rate>> }).bench;
            const ours = (await b.oursAwaited!(count as never, 100 as never, d as never)) as { rate: Rate; batches: never };
            const raw = (await b.rawPerWriteAwaited!(ours.batches, d as never)) as Rate;
            const burst = (await b.oursBursts!(rounds as never, 100 as never, 100 as never, d as never)) as { rate: Rate; batches: never };
            const perRecord = (await b.rawPerRecordBurst!(burst.batches, d as never)) as Rate;
            const batched = (await b.rawBatchedBurst!(burst.batches, d as never)) as Rate;
            const memory = (await b.memoryBursts!(rounds as never, 100 as never, 100 as never)) as Rate;
            return { awaited: ours.rate.perSecond, raw: raw.perSecond, bursts: burst.rate.perSecond, perRecord: perRecord.perSecond, batched: batched.perSecond, memory: memory.perSecond };
          },
          [awaitedCount, burstRounds, durability] as const,
        );
        awaited.push(rates.awaited);
        rawAwaited.push(rates.raw);
        bursts.push(rates.bursts);
        rawPerRecord.push(rates.perRecord);
        rawBatched.push(rates.batched);
        memory.push(rates.memory);
      }
      const m = { awaited: median(awaited), raw: median(rawAwaited), bursts: median(bursts), perRecord: median(rawPerRecord), batched: median(rawBatched), memory: median(memory) };
      print(`scratchpad-store, each write awaited (${awaitedCount} writes):            ${m.awaited} writes/s`);
      print(`raw idb, same records, one transaction per write, awaited:   ${m.raw} writes/s`);
      print(`scratchpad-store, bursts of 100 writes (${burstRounds} bursts):           ${m.bursts} writes/s`);
      print(`raw idb, same records, one transaction per record, bursts:   ${m.perRecord} writes/s`);
      print(`raw idb, same records, one transaction per burst:            ${m.batched} writes/s`);
      print(`scratchpad-store on memoryStorage, same bursts (CPU only):   ${m.memory} writes/s`);
      goal(`bursts within 2× of one raw batched put per record (${durability})`, m.bursts * 2 >= m.batched, `${(m.batched / m.bursts).toFixed(2)}× slower than raw batched`);
      results[`bursts-${durability}`] = m.bursts;
      results[`awaited-${durability}`] = m.awaited;
    }

    print(`\n## What users wait for: N concurrent writers, time until all their writes are durable, 1,000 sections (1 KB each), durability 'default'`);
    print(`The alternative is zustand + persist middleware on idb-keyval (the whole state serialised and put on every change).`);
    for (const writers of [1, 10, 100]) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < (quick ? 1 : 5); r++) {
        progress(`${writers} concurrent writers, run ${r + 1}`);
        ours.push(await call<number>(page, 'concurrentOurs', writers, 1000));
        theirs.push(await call<number>(page, 'concurrentZustand', writers, 1000));
      }
      const [o, t] = [median(ours), median(theirs)];
      print(`N = ${writers}: scratchpad-store ${o.toFixed(1)} ms, zustand persist ${t.toFixed(1)} ms: ${(t / o).toFixed(1)}×`);
      if (writers === 100) goal('N = 100 concurrent writers all durable, vs zustand persist + idb-keyval at 1,000 sections', t >= 20 * o, `${(t / o).toFixed(1)}× faster (goal ≥ 20×)`);
    }

    print(`\n## The demo's case: 1,000 awaited writes of one section with ScratchpadPanel mounted, vs the same without React`);
    {
      const count = quick ? 300 : 1000;
      const withPanel: number[] = [];
      const without: number[] = [];
      for (let r = 0; r < (quick ? 1 : 3); r++) {
        progress(`${count} writes without React, run ${r + 1}`);
        without.push((await call<{ perWrite: number }>(page, 'panelWrites', count, false)).perWrite);
        progress(`${count} writes with ScratchpadPanel mounted, run ${r + 1}`);
        withPanel.push((await call<{ perWrite: number }>(page, 'panelWrites', count, true)).perWrite);
      }
      const [p, n] = [median(withPanel), median(without)];
      print(`${count} awaited writes: ${p.toFixed(2)} ms per write with the panel, ${n.toFixed(2)} ms without React`);
      goal('awaited writes with ScratchpadPanel mounted within 2× of the same without React', p <= 2 * n, `${(p / n).toFixed(2)}× (goal ≤ 2×)`);
    }

    const sections = 1000;
    const versions = quick ? 20 : 100;
    print(`\n## Opening a session of ${sections} sections with ${versions} versions each`);
    const name = 'large-session';
    const built = await call<{ ms: number; bytes: number; versions: number; wholeEntryBytes: number; storedEntryBytes: number }>(page, 'buildLargeSession', name, sections, versions);
    print(`built through the library in bursts of ${sections} appends: ${built.versions} versions in ${built.ms} ms (${Math.round((built.versions / built.ms) * 1000)} writes/s)`);
    progress('opening a large session');
    const opens: number[] = [];
    for (let r = 0; r < 5; r++) {
      // A fresh page each time: no module state, a new IndexedDB connection.
      await load();
      const opened = await call<{ ms: number; sections: number }>(page, 'openLargeSession', name);
      if (opened.sections !== sections) throw new Error(`opened ${opened.sections} sections, expected ${sections}`);
      opens.push(opened.ms);
    }
    print(`ms until ready (fresh page each time): ${opens.join(', ')}`);
    goal('open under 150 ms', median(opens) < 150, `median ${median(opens)} ms`);

    print(`\n## Bytes on disk per version`);
    print(`navigator.storage.estimate() grew by ${(built.bytes / 1024 / 1024).toFixed(1)} MB for ${built.versions} versions: ${Math.round(built.bytes / built.versions)} bytes per version (appends of ~50 characters; history entry, section row and checkpoints included)`);
    print(`one history entry of this workload as JSON: ${built.wholeEntryBytes} bytes as a HistoryEntry, ${built.storedEntryBytes} bytes as stored (packed)`);
    await call(page, 'deleteDatabase', name);

    progress('bundle sizes');
    await bundleSizes();
    const missed = goals.filter((g) => !g.ok).length;
    print(`\n${goals.length - missed} of ${goals.length} goals met`);
    if (!quick) {
      mkdirSync(join(here, '../results'), { recursive: true });
      writeFileSync(join(here, '../results/browser.md'), lines.join('\n') + '\n');
    }
  } finally {
    await context.close();
    site.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
