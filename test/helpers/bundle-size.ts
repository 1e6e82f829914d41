/**
 * What a consumer's bundler loads up front for `createScratchpad` + `indexedDbStorage`, minified and gzipped: built
 * with Vite's build API (inline config, no config file) and with esbuild, the package names aliased to src/.
 * Chunks loaded by a dynamic import (sync, history tools…) are not up front and are not counted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CONSUMER_ENTRY = `import { createScratchpad } from 'scratchpad-store';
import { indexedDbStorage } from 'scratchpad-store/idb';
export const sp = createScratchpad({ sessionId: 'user', storage: indexedDbStorage({ name: 'app' }) });
`;
const aliases = { 'scratchpad-store/idb': join(root, 'src/storage/idb.ts'), 'scratchpad-store': join(root, 'src/index.ts') };

export interface UpFront {
  readonly bytes: number;
  readonly gzip: number;
  readonly chunks: number;
  /** Source files (relative to the repository) with code in the up-front chunks. */
  readonly modules: readonly string[];
}

function measure(codes: readonly string[], chunks: number, modules: Iterable<string>): UpFront {
  const code = codes.join('\n');
  const relative = [...modules].map((m) => (m.startsWith(root) ? m.slice(root.length + 1) : m)).filter((m) => !m.startsWith('\0'));
  return { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length, chunks, modules: relative };
}

function withEntry<T>(body: (entry: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'scratchpad-size-'));
  const entry = join(dir, 'app.js');
  writeFileSync(entry, CONSUMER_ENTRY);
  return body(entry).finally(() => rmSync(dir, { recursive: true, force: true }));
}

export function viteUpFront(): Promise<UpFront> {
  return withEntry(async (entry) => {
    const { build } = await import('vite');
    const output = await build({
      configFile: false,
      logLevel: 'silent',
      root: dirname(entry),
      resolve: { alias: Object.entries(aliases).map(([find, replacement]) => ({ find, replacement })) },
      build: { write: false, minify: true, target: 'es2022', rollupOptions: { input: entry } },
    });
    type Chunk = { type: string; code?: string; isEntry?: boolean; imports?: string[]; fileName: string; modules?: Record<string, { renderedLength: number }> };
    const outputs = (Array.isArray(output) ? output : [output]) as { output: Chunk[] }[];
    const chunks = outputs.flatMap((o) => o.output).filter((c) => c.type === 'chunk');
    // Up front: the entry chunk and every chunk it imports statically.
    const byName = new Map(chunks.map((c) => [c.fileName, c]));
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const dep of byName.get(name)?.imports ?? []) visit(dep);
    };
    for (const c of chunks) if (c.isEntry) visit(c.fileName);
    const modules = [...seen].flatMap((n) => Object.entries(byName.get(n)?.modules ?? {}).filter(([, m]) => m.renderedLength > 0).map(([id]) => id));
    return measure([...seen].map((n) => byName.get(n)?.code ?? ''), seen.size, modules);
  });
}

export function esbuildUpFront(): Promise<UpFront> {
  return withEntry(async (entry) => {
    const esbuild = await import('esbuild');
    const outdir = join(dirname(entry), 'out');
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      format: 'esm',
      minify: true,
      target: 'es2022',
      platform: 'browser',
      outdir,
      write: false,
      metafile: true,
      alias: aliases,
      logLevel: 'silent',
    });
    const outputs = result.metafile.outputs;
    const entryOut = Object.keys(outputs).find((k) => outputs[k]!.entryPoint !== undefined)!;
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const dep of outputs[name]?.imports ?? []) if (dep.kind === 'import-statement') visit(dep.path);
    };
    visit(entryOut);
    // metafile paths are relative to the working directory.
    const files = new Map(result.outputFiles.map((f) => [f.path, f.text]));
    const modules = [...seen].flatMap((n) => Object.entries(outputs[n]?.inputs ?? {}).filter(([, i]) => i.bytesInOutput > 0).map(([id]) => resolve(id)));
    return measure([...seen].map((n) => files.get(resolve(n)) ?? ''), seen.size, modules);
  });
}
