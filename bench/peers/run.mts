/**
 * `npm run bench:peers` (issue 7): scratchpad-store against the stores users would pick instead (zustand persist on
 * idb-keyval, TinyBase with its IndexedDB persister and checkpoints, Yjs with y-indexeddb and an UndoManager, Dexie
 * with hand-made history rows), on the same workloads, in the same page build, in Debian's Chromium against IndexedDB on
 * disk. Built, served and driven like `npm run bench:browser` (bench/browser/harness.mts).
 *
 * Each run of a store on a workload gets a fresh database in a storage bucket of its own; runs alternate between the
 * stores (the order rotates every round), and each figure is the median of the rounds. Writes
 * bench/results/peers.{json,md,svg} after a full run.
 *
 *   --quick          smaller workloads, one round, results under bench/results/tmp/
 *   --runs N         rounds (default 3)
 *   --only a,b       only these stores (ours, zustand, tinybase, yjs, dexie); results under bench/results/tmp/
 *   --cap-a MS       stop timing (a) after MS ms (default 60000); the rest runs untimed. A capped run is reported as
 *                    "> MS (k of N done)", a lower bound, never projected to a total
 *   --cap-b MS       the same for (b) (default 60000)
 *   --workloads a    only (a) (with its (c), (d), (e)), or only b; results under bench/results/tmp/
 *   --interleave     only (a), with the stores taking turns edit by edit in one page, each edit timed (a finer
 *                    A/B when the machine's load moves); prints totals and ratios, writes nothing
 *   --profile S:W    CPU profile of store S on W (a, b, c-a, c-b, e) through the DevTools protocol, written to
 *                    bench/results/tmp/ with a summary of the hottest functions printed
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CDPSession, Page } from 'playwright';
import { buildPage, callOn, launchChromium, median, serve } from '../browser/harness.mjs';
import { renderChart } from './chart.mjs';
import { FULL, QUICK } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    'cap-a': { type: 'string', default: '60000' },
    'cap-b': { type: 'string', default: '60000' },
    profile: { type: 'string' },
    workloads: { type: 'string', default: 'a,b' },
    interleave: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const runs = Number(args.runs ?? (quick ? 1 : 3));
const capA = Number(args['cap-a']);
const capB = Number(args['cap-b']);
const sizes = quick ? QUICK : FULL;
const ALL = ['ours', 'zustand', 'tinybase', 'yjs', 'dexie'] as const;
type Id = (typeof ALL)[number];
const ids: Id[] = args.only ? (args.only.split(',') as Id[]) : [...ALL];
const workloads = (['edits', 'appends'] as const).filter((w) => args.workloads!.split(',').includes(w === 'edits' ? 'a' : 'b'));
const official = !quick && !args.only && runs >= 3 && workloads.length === 2;
const outDir = official ? join(root, 'bench/results') : join(root, 'bench/results/tmp');
const SETTLE_MS = 1500;
const work = mkdtempSync(join(tmpdir(), 'scratchpad-peers-'));

interface StoreInfo {
  id: Id;
  label: string;
  packages: string[];
  durability: string;
  history: string;
}
interface Timed {
  ms: number;
  timed: number;
  total: number;
  ok: boolean;
  detail: string;
}
interface HistoryResult {
  ms: number;
  contentOk: boolean;
  author: string | null;
  authorOk: boolean;
  diff: string | null;
}

/** One figure of one store: every round's value, and whether the run was capped (the value then is a lower bound). */
interface Figure {
  values: number[];
  capped: boolean[];
  /** For capped runs: how many of the workload's operations were done inside the timed part. */
  done: (number | undefined)[];
}
type MetricId = 'a' | 'b' | 'c-a' | 'c-b' | 'd-a-payload' | 'd-b-payload' | 'd-a-disk' | 'd-b-disk' | 'e';
const figures = new Map<MetricId, Map<Id, Figure>>();
const historyAnswers = new Map<Id, HistoryResult | null>();
const failures: string[] = [];

function record(metric: MetricId, id: Id, value: number, capped = false, done?: number): void {
  let byStore = figures.get(metric);
  if (!byStore) figures.set(metric, (byStore = new Map()));
  let figure = byStore.get(id);
  if (!figure) byStore.set(id, (figure = { values: [], capped: [], done: [] }));
  figure.values.push(value);
  figure.capped.push(capped);
  figure.done.push(done);
}

function versionOf(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

function oursVersion(): string {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return `${version} (${commit}${dirty ? ', src modified' : ''})`;
  } catch {
    return version;
  }
}

// ---------------------------------------------------------------- profiling

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function profiled<T>(cdp: CDPSession | undefined, label: string, body: () => Promise<T>): Promise<T> {
  if (!cdp) return body();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
    mkdirSync(join(root, 'bench/results/tmp'), { recursive: true });
    const file = join(root, 'bench/results/tmp', `${label.replace(/[^a-z0-9-]+/gi, '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    summarize(profile, label, file);
  }
}

/** Self time per function, hottest first: enough to see where a store spends a workload. */
function summarize(profile: Profile, label: string, file: string): void {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id)!;
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const where = url ? `${url.split('/').pop()}:${lineNumber + 1}:${columnNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + delta);
  });
  console.log(`\nCPU profile of ${label}: ${(total / 1000).toFixed(0)} ms sampled, written to ${file}`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`);
  }
}

// ---------------------------------------------------------------- formatting

const ms = (value: number): string => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : value >= 10 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`);
const bytes = (value: number): string => (value >= 1024 * 1024 ? `${(value / 1024 / 1024).toFixed(2)} MB` : `${(value / 1024).toFixed(0)} KB`);
const ratio = (value: number): string => (value >= 100 ? `${value.toFixed(0)}×` : value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`);

interface MetricSpec {
  id: MetricId;
  title: string;
  unit: 'ms' | 'bytes';
  short: string;
}
const METRICS: MetricSpec[] = [
  { id: 'a', title: `(a) agent session: ${sizes.edits.toLocaleString('en')} one-line edits to ${sizes.sections} sections of 1 KiB, each awaited`, unit: 'ms', short: '(a) edits' },
  { id: 'b', title: `(b) append log: ${sizes.appends.toLocaleString('en')} one-line appends to one section, each awaited`, unit: 'ms', short: '(b) appends' },
  { id: 'c-a', title: '(c) reopen after (a): fresh page, open the store, every section readable', unit: 'ms', short: '(c) reopen a' },
  { id: 'c-b', title: '(c) reopen after (b)', unit: 'ms', short: '(c) reopen b' },
  { id: 'd-a-payload', title: '(d) storage after (a): every record read back (keys + values)', unit: 'bytes', short: '(d) records a' },
  { id: 'd-b-payload', title: '(d) storage after (b): every record read back', unit: 'bytes', short: '(d) records b' },
  { id: 'd-a-disk', title: "(d) storage after (a): the bucket's usage on disk (navigator.storageBuckets … estimate())", unit: 'bytes', short: '(d) disk a' },
  { id: 'd-b-disk', title: "(d) storage after (b): the bucket's usage on disk", unit: 'bytes', short: '(d) disk b' },
  { id: 'e', title: `(e) history: the section changed by edit ${sizes.historyEdit.toLocaleString('en')} of (a), as it was right after it`, unit: 'ms', short: '(e) history' },
];

interface Summary {
  median: number;
  /** The median run was capped: `median` is the time it ran, a lower bound of the workload's time. */
  capped: boolean;
  done: number | undefined;
  ratio: number | null;
  values: number[];
}

function summaries(metric: MetricId): Map<Id, Summary> {
  const out = new Map<Id, Summary>();
  const byStore = figures.get(metric);
  if (!byStore) return out;
  const base = byStore.get('ours');
  const baseMedian = base ? median(base.values) : undefined;
  for (const id of ids) {
    const figure = byStore.get(id);
    if (!figure) continue;
    const m = median(figure.values);
    const at = figure.values.indexOf(m);
    out.set(id, { median: m, capped: figure.capped[at] ?? false, done: figure.done[at], ratio: baseMedian ? m / baseMedian : null, values: figure.values });
  }
  return out;
}

async function main(): Promise<void> {
  const site = join(work, 'site');
  await buildPage(here, site, { minify: !args.profile });
  const server = await serve(site);
  const context = await launchChromium(join(work, 'profile'));
  const started = Date.now();
  try {
    const page: Page = context.pages()[0] ?? (await context.newPage());
    const load = async (): Promise<void> => {
      await page.goto(server.url);
      await page.waitForFunction(() => document.title === 'ready');
    };
    const peers = <T,>(name: string, ...rest: unknown[]): Promise<T> => callOn<T>(page, 'peers', name, ...rest);
    const cdp = args.profile ? await context.newCDPSession(page) : undefined;
    const profileIf = <T,>(id: Id, what: string, body: () => Promise<T>): Promise<T> =>
      args.profile === `${id}:${what}` ? profiled(cdp, `${id}-${what}`, body) : body();

    await load();
    if (args.interleave) {
      for (let run = 0; run < runs; run++) {
        const bucket = `peers-interleaved-${run}-${Math.random().toString(36).slice(2, 8)}`;
        await load();
        await peers('useBucket', bucket);
        const order = ids.map((_, i) => ids[(i + run) % ids.length]!);
        const result = await peers<Record<string, { total: number; median: number }>>('runInterleaved', order, quick);
        const base = result['ours']?.total;
        console.log(
          `round ${run + 1} (a) interleaved: ` +
            ids.map((id) => `${id} ${ms(result[id]!.total)} (median edit ${result[id]!.median.toFixed(2)} ms${base ? `, ${(result[id]!.total / base).toFixed(2)}×` : ''})`).join(', '),
        );
        await load();
        await peers('deleteBucket', bucket);
      }
      return;
    }
    const stores = (await peers<StoreInfo[]>('describeStores')).filter((s) => ids.includes(s.id));
    const chromiumVersion = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    const versions: Record<string, string> = { 'scratchpad-store': oursVersion() };
    for (const name of ['idb', 'diff', 'zustand', 'idb-keyval', 'tinybase', 'yjs', 'y-indexeddb', 'dexie']) versions[name] = versionOf(name);
    console.log(`# scratchpad-store vs peers, Chromium ${chromiumVersion}, ${runs} round(s)${quick ? ', --quick workloads' : ''}`);
    console.log(Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', '));

    for (let run = 0; run < runs; run++) {
      for (const workload of workloads) {
        const order = ids.map((_, i) => ids[(i + run) % ids.length]!);
        for (const id of order) {
          const tag = workload === 'edits' ? 'a' : 'b';
          const bucket = `peers-${id}-${tag}-${run}-${Math.random().toString(36).slice(2, 8)}`;
          await load();
          await peers('useBucket', bucket);
          const cap = workload === 'edits' ? capA : capB;
          console.error(`  … ${Math.round((Date.now() - started) / 1000)} s: round ${run + 1} of ${runs}, ${id} on (${tag})`);
          const timed = await profileIf(id, tag, () => peers<Timed>(workload === 'edits' ? 'runEdits' : 'runAppends', id, quick, cap));
          if (process.env.PEERS_MARKS) {
            const marks = await peers<number[]>('marks');
            console.log(`  ${id} ${tag} ms per 250 writes: ${marks.map((m, i) => (m - (marks[i - 1] ?? 0)).toFixed(0)).join(' ')}`);
          }
          // A capped run is what it is: it ran `timed.ms` and did `timed.timed` of `timed.total`. No projection.
          const capped = timed.timed < timed.total;
          const time = timed.ms;
          record(tag, id, time, capped, timed.timed);
          if (!timed.ok) failures.push(`${id} ${tag} run ${run + 1}: wrong content, ${timed.detail}`);
          // A page stays open after an agent's burst: let background work (y-indexeddb's compaction, after 1 s) happen.
          await peers('settle', SETTLE_MS);
          const stored = await peers<{ payload: number; records: number; disk: number }>('storage');
          record(`d-${tag}-payload`, id, stored.payload);
          record(`d-${tag}-disk`, id, stored.disk);
          let historyNote = '';
          if (workload === 'edits') {
            const answer = await profileIf(id, 'e', () => peers<HistoryResult | null>('history', quick));
            historyAnswers.set(id, answer);
            if (answer) {
              record('e', id, answer.ms);
              if (!answer.contentOk) failures.push(`${id} e run ${run + 1}: wrong content for the version read`);
              historyNote = `, (e) ${ms(answer.ms)}${answer.authorOk ? ' +author' : ''}${answer.diff ? ' +diff' : ''}`;
              await peers('settle', SETTLE_MS);
            }
          }
          await peers('closeSession');
          await load();
          await peers('useBucket', bucket);
          const reopened = await profileIf(id, `c-${tag}`, () => peers<{ ms: number; ok: boolean; detail: string }>('runReopen', id, quick, workload));
          record(`c-${tag}`, id, reopened.ms);
          if (!reopened.ok) failures.push(`${id} c-${tag} run ${run + 1}: reopened content differs, ${reopened.detail}`);
          await load();
          await peers('deleteBucket', bucket);
          console.log(
            `round ${run + 1} ${tag} ${id.padEnd(8)} ${capped ? `> ${ms(time)} (stopped at the cap: ${timed.timed} of ${timed.total} done)` : ms(time)}` +
              `, reopen ${ms(reopened.ms)}, ${stored.records} records ${bytes(stored.payload)}, disk ${bytes(stored.disk)}${historyNote}` +
              `${timed.ok && reopened.ok ? '' : ' CONTENT MISMATCH'}`,
          );
        }
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    report(stores, versions, chromiumVersion, elapsed);
  } finally {
    await context.close();
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function report(stores: StoreInfo[], versions: Record<string, string>, chromiumVersion: string, elapsed: number): void {
  const label = (id: Id): string => stores.find((s) => s.id === id)?.label ?? id;
  const md: string[] = [];
  md.push('# scratchpad-store vs peers (`npm run bench:peers`)', '');
  const [l1, l5, l15] = loadavg();
  md.push(
    `Chromium ${chromiumVersion} (headless, persistent profile on disk), Node ${process.version}, ${cpus().length} cores, load average at the end ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)}, ${runs} round(s), medians; ${new Date().toISOString().slice(0, 10)}; ` +
      `machine shared with other work; total ${Math.round(elapsed)} s. Every run: a fresh database in a storage bucket of its own; ` +
      'the stores alternate within each round (order rotated every round). Ratio: the store\'s median ÷ scratchpad-store\'s (above 1: scratchpad-store is faster or smaller).',
    '',
  );
  md.push('Versions: ' + Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ') + '.', '');
  const json: Record<string, unknown> = {
    generated: new Date().toISOString(),
    chromium: chromiumVersion,
    node: process.version,
    cores: cpus().length,
    loadAverage: loadavg(),
    rounds: runs,
    quick,
    sizes,
    elapsedSeconds: Math.round(elapsed),
    versions,
    stores,
    metrics: {} as Record<string, unknown>,
    history: Object.fromEntries(historyAnswers),
    failures,
  };
  for (const metric of METRICS) {
    const rows = summaries(metric.id);
    if (rows.size === 0) continue;
    (json.metrics as Record<string, unknown>)[metric.id] = { title: metric.title, unit: metric.unit, stores: Object.fromEntries(rows) };
    md.push(`### ${metric.title}`, '');
    const perOp = metric.id === 'a' ? sizes.edits : metric.id === 'b' ? sizes.appends : undefined;
    md.push(`| store | median${perOp ? ' | per write' : ''} | rounds | × scratchpad-store |`, `|---|---:${perOp ? '|---:' : ''}|---|---:|`);
    for (const [id, s] of rows) {
      const fmt = metric.unit === 'ms' ? ms : bytes;
      const value = s.capped ? `> ${fmt(s.median)} (${(s.done ?? 0).toLocaleString('en')} of ${(perOp ?? 0).toLocaleString('en')} done)` : fmt(s.median);
      const per = perOp ? ` | ${s.capped ? '—' : `${(s.median / perOp).toFixed(2)} ms`}` : '';
      const oursCapped = rows.get('ours')?.capped ?? false;
      const times = s.ratio === null ? '' : oursCapped ? 'scratchpad-store did not finish' : `${s.capped ? '> ' : ''}${ratio(s.ratio)}`;
      md.push(`| ${label(id)} | ${value}${per} | ${s.values.map(fmt).join(', ')} | ${times} |`);
    }
    if ((metric.id === 'a' || metric.id === 'b') && [...rows.values()].some((s) => s.capped)) {
      md.push('', `>: the run was stopped at the cap (${(metric.id === 'a' ? capA : capB) / 1000} s) with the number of operations shown done; its figure is the time it ran, a lower bound of the whole workload's time, never a projection. The rest was stored in one untimed step, so (c) and (d) see the whole workload.`);
    }
    if (metric.id === 'e') {
      md.push('', '| store | content right | author | text diff | survives a reload |', '|---|---|---|---|---|');
      for (const s of stores) {
        const answer = historyAnswers.get(s.id);
        const kept = s.id === 'ours' || s.id === 'dexie';
        if (!answer) md.push(`| ${s.label} | cannot answer | – | – | – |`);
        else md.push(`| ${s.label} | ${answer.contentOk ? 'yes' : 'NO'} | ${answer.authorOk ? 'yes' : answer.author ? 'wrong' : 'no'} | ${answer.diff ? 'yes' : 'no'} | ${kept ? 'yes' : 'no (in memory)'} |`);
      }
    }
    md.push('');
  }
  md.push('### What each store awaits per write, and what it answers (e) with', '');
  md.push('| store | packages | a write counts when | (e) history |', '|---|---|---|---|');
  for (const s of stores) md.push(`| ${s.label} | ${s.packages.map((p) => `${p} ${versions[p] ?? ''}`.trim()).join(', ')} | ${s.durability} | ${s.history} |`);
  md.push('');
  const goals = goalLines();
  if (goals.length > 0) md.push('### Goals (issues 7 and 13)', '', ...goals.map((g) => `- ${g}`), '');
  if (failures.length > 0) md.push('### Content mismatches', '', ...failures.map((f) => `- ${f}`), '');
  md.push('![scratchpad-store vs peers](peers.svg)', '');

  const text = md.join('\n');
  console.log('\n' + text);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'peers.md'), text);
  writeFileSync(join(outDir, 'peers.json'), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(
    join(outDir, 'peers.svg'),
    renderChart({
      title: `scratchpad-store vs peers in Chromium ${chromiumVersion.split('.')[0]} (median of ${runs}; lower is better)`,
      stores: stores.map((s) => ({ id: s.id, label: s.label })),
      groups: METRICS.flatMap((m) => {
        const rows = summaries(m.id);
        if (rows.size === 0) return [];
        return [{ label: m.short, unit: m.unit, values: Object.fromEntries([...rows].map(([id, s]) => [id, { value: s.median, atLeast: s.capped }])) }];
      }),
    }),
  );
  console.log(`\nwritten: ${join(outDir, 'peers.{json,md,svg}')}`);
}

function goalLines(): string[] {
  const lines: string[] = [];
  const ahead = (metric: MetricId): void => {
    const rows = summaries(metric);
    const ours = rows.get('ours');
    if (!ours || rows.size < 2) return;
    if (ours.capped) {
      lines.push(`missed: ${metric} ahead of every peer (scratchpad-store did not finish within the cap)`);
      return;
    }
    const beaten = [...rows].filter(([id, s]) => id !== 'ours' && s.median <= ours.median).map(([id]) => id);
    const closest = [...rows].filter(([id]) => id !== 'ours').sort((a, b) => a[1].median - b[1].median)[0];
    const margin = closest ? ` (closest: ${closest[0]} at ${closest[1].capped ? '> ' : ''}${ratio(closest[1].median / ours.median)})` : '';
    lines.push(`${beaten.length === 0 ? 'met' : 'missed'}: ${metric} ahead of every peer${beaten.length ? ` (not of ${beaten.join(', ')})` : margin}`);
  };
  for (const metric of ['a', 'b', 'c-a', 'c-b'] as const) ahead(metric);
  for (const metric of ['d-a-payload', 'd-b-payload', 'd-a-disk', 'd-b-disk'] as const) {
    const rows = summaries(metric);
    const ours = rows.get('ours');
    if (!ours || rows.size < 2) continue;
    const [smallestId, smallest] = [...rows].sort((a, b) => a[1].median - b[1].median)[0]!;
    const within = ours.median <= smallest.median * 1.5;
    lines.push(`${within ? 'met' : 'missed'}: ${metric} within 1.5× of the smallest (${smallestId}: ${ratio(ours.median / smallest.median)})`);
  }
  const withDiff = [...historyAnswers].filter(([, a]) => a?.diff && a.authorOk).map(([id]) => id);
  if (historyAnswers.size > 0) lines.push(`${withDiff.length === 1 && withDiff[0] === 'ours' ? 'met' : 'missed'}: (e) answered with a text diff and an author by: ${withDiff.join(', ') || 'none'}`);
  return lines;
}

main().catch((error: unknown) => {
  console.error(error);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
