/**
 * The three packages as their users get them: built and packed (`npm pack`), installed into empty projects, linted
 * (publint --strict, @arethetypeswrong/cli with the ESM-only profile), compiled against by a strict consumer, and
 * bundled by a Vite + React app. Also the rules that keep them apart: each package's dependency list, and which
 * folders of src may import which.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages, PACKAGES, repo, type BuiltPackages, type PackageName } from './helpers/build-packages.js';
import { sourceAliases } from '../vite.config.js';

const run = promisify(execFile);
const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  scripts?: Record<string, string>;
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

describe('what each package depends on', () => {
  it('scratchpad-store: zustand, idb and diff; react an optional peer; no command', () => {
    const root = manifest(PACKAGES['scratchpad-store']);
    expect(Object.keys(root.dependencies ?? {}).sort()).toEqual(['diff', 'idb', 'zustand']);
    expect(root.peerDependencies).toEqual({ react: '>=18' });
    expect(root.peerDependenciesMeta).toEqual({ react: { optional: true } });
    expect(root.bin).toBeUndefined();
  });

  it('@scratchpad-store/server: the embedded SQLite and the HTTP stack; pg, the Azure SDKs and the MCP package optional peers', () => {
    const server = manifest(PACKAGES['@scratchpad-store/server']);
    expect(Object.keys(server.dependencies ?? {}).sort()).toEqual(['@hono/node-server', 'better-sqlite3', 'hono', 'node-diff3', 'scratchpad-store', 'zod']);
    // @scratchpad-store/mcp (and with it the MCP SDK) only for MCP over HTTP at /mcp (--mcp, createServer({ mcp })).
    expect(Object.keys(server.peerDependencies ?? {}).sort()).toEqual(['@azure/cosmos', '@azure/storage-blob', '@scratchpad-store/mcp', 'pg']);
    for (const peer of Object.keys(server.peerDependencies ?? {})) expect(server.peerDependenciesMeta?.[peer]).toEqual({ optional: true });
    expect(server.bin).toEqual({ 'scratchpad-store-server': 'dist/cli/index.js' });
    expect(Object.keys(server.exports ?? {})).toEqual(['.', './sqlite', './postgres', './azure-cosmos', './azure-blob', './package.json']);
  });

  it('@scratchpad-store/mcp: the browser package and the MCP SDK', () => {
    const mcp = manifest(PACKAGES['@scratchpad-store/mcp']);
    expect(Object.keys(mcp.dependencies ?? {}).sort()).toEqual(['@modelcontextprotocol/sdk', 'scratchpad-store']);
    expect(mcp.peerDependencies).toBeUndefined();
    expect(mcp.bin).toEqual({ 'scratchpad-store-mcp': 'dist/bin.js' });
  });

  it('every workspace package asks for the version of scratchpad-store that this repository builds', () => {
    const version = manifest(repo).version;
    for (const name of ['@scratchpad-store/server', '@scratchpad-store/mcp'] as const) {
      expect(manifest(PACKAGES[name]).version).toBe(version);
      expect(manifest(PACKAGES[name]).dependencies?.['scratchpad-store']).toBe(`^${version}`);
    }
  });

  it("the source aliases of vite.config.ts cover exactly the packages' exports", () => {
    const specifiers = (Object.keys(PACKAGES) as PackageName[]).flatMap((name) =>
      Object.keys(manifest(PACKAGES[name]).exports ?? {})
        .filter((subpath) => subpath !== './package.json')
        .map((subpath) => (subpath === '.' ? name : `${name}/${subpath.slice(2)}`)),
    );
    for (const specifier of specifiers) {
      const alias = sourceAliases.find((a) => (a.find as RegExp).test(specifier));
      expect(alias, specifier).toBeDefined();
      expect(existsSync(specifier.replace(alias!.find as RegExp, alias!.replacement)), specifier).toBe(true);
    }
    const probes = ['scratchpad-store/server', 'scratchpad-store/mcp', '@scratchpad-store/server/sql', 'scratchpad-store/core'];
    for (const probe of probes) expect(sourceAliases.some((a) => (a.find as RegExp).test(probe)), probe).toBe(false);
  });
});

/** Every import specifier of a TypeScript file: static imports, re-exports and, unless told not to, dynamic imports. */
function importsOf(file: string, { dynamic = true } = {}): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)import\s*'([^']+)'/g)) {
    if (match[2] !== undefined && !dynamic) continue;
    found.push((match[1] ?? match[2] ?? match[3])!);
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('which folders may import which', () => {
  const src = join(repo, 'src');
  // Data flows one way: core ← store ← storage/sync; the entry files wire them; tools, react and testing on top.
  const allowed: Record<string, { folders: string[]; packages: string[] }> = {
    core: { folders: ['core'], packages: ['diff'] },
    store: { folders: ['core', 'store'], packages: ['zustand'] },
    storage: { folders: ['core', 'store', 'storage'], packages: ['idb'] },
    sync: { folders: ['core', 'store', 'storage', 'sync'], packages: [] },
    '.': { folders: ['core', 'store', 'storage', 'sync', '.'], packages: ['zustand'] },
    tools: { folders: ['core', 'store', 'storage', 'sync', '.', 'tools'], packages: [] },
    react: { folders: ['core', 'store', 'storage', 'sync', '.', 'react'], packages: ['react', 'zustand'] },
    testing: { folders: ['core', 'store', 'storage', 'sync', '.', 'tools', 'testing'], packages: [] },
  };
  const folderOf = (file: string): string => {
    const parts = relative(src, file).split(/[\\/]/);
    return parts.length === 1 ? '.' : parts[0]!;
  };

  it('src: each folder imports only the folders below it, and only the packages listed for it', () => {
    const broken: string[] = [];
    for (const file of filesUnder(src)) {
      const from = folderOf(file);
      const rule = allowed[from];
      if (!rule) {
        broken.push(`${relative(repo, file)}: a folder without a rule (${from})`);
        continue;
      }
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) {
          const target = join(dirname(file), specifier);
          if (!target.startsWith(src + '/')) broken.push(`${relative(repo, file)} imports ${specifier}, outside src`);
          else if (!rule.folders.includes(folderOf(target))) broken.push(`${relative(repo, file)} (${from}) imports ${specifier} (${folderOf(target)})`);
        } else {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
          if (!rule.packages.includes(name)) broken.push(`${relative(repo, file)} (${from}) imports the package ${specifier}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("packages: each imports its own files, the browser package's public entries and its declared dependencies only", () => {
    const broken: string[] = [];
    const builtins = new Set(['node:']);
    for (const name of ['@scratchpad-store/server', '@scratchpad-store/mcp'] as const) {
      const dir = PACKAGES[name];
      const m = manifest(dir);
      const declared = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
      const publicEntries = new Set(
        Object.keys(manifest(repo).exports ?? {}).map((subpath) => (subpath === '.' ? 'scratchpad-store' : `scratchpad-store/${subpath.slice(2)}`)),
      );
      for (const file of filesUnder(join(dir, 'src'))) {
        for (const specifier of importsOf(file)) {
          if (specifier.startsWith('.')) {
            if (!join(dirname(file), specifier).startsWith(join(dir, 'src') + '/')) broken.push(`${relative(repo, file)} imports ${specifier}`);
          } else if ([...builtins].some((prefix) => specifier.startsWith(prefix))) {
            continue;
          } else if (specifier.startsWith('scratchpad-store')) {
            if (!publicEntries.has(specifier)) broken.push(`${relative(repo, file)} imports ${specifier}, not a public entry`);
          } else {
            const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
            if (!declared.has(pkg)) broken.push(`${relative(repo, file)} imports ${pkg}, not a dependency of ${name}`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("the server package's root loads no store and no optional peer (the MCP package neither)", () => {
    const index = join(PACKAGES['@scratchpad-store/server'], 'src', 'index.ts');
    const seen = new Set<string>();
    const reached: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // Static imports only: what a dynamic import() names is loaded when chosen.
      for (const specifier of importsOf(file, { dynamic: false })) {
        if (specifier.startsWith('.')) visit(join(dirname(file), specifier).replace(/\.js$/, '.ts'));
        else reached.push(specifier);
      }
    };
    visit(index);
    const stores = [...seen].map((f) => relative(PACKAGES['@scratchpad-store/server'], f)).filter((f) => /^src\/(sql|azure)\//.test(f));
    expect(stores).toEqual([]);
    expect(reached.filter((s) => /^(pg|@azure\/|better-sqlite3|@scratchpad-store\/mcp|@modelcontextprotocol\/)/.test(s))).toEqual([]);
  });
});

describe('the packages as built, packed and installed', { timeout: 300_000 }, () => {
  let built: BuiltPackages;
  let packs: string;
  const tarball: Partial<Record<PackageName, string>> = {};

  beforeAll(async () => {
    built = await buildPackages({ declarations: true });
    packs = join(built.dir, 'packs');
    mkdirSync(packs);
    for (const name of Object.keys(PACKAGES) as PackageName[]) {
      const { stdout } = await run('npm', ['pack', built.folder(name), '--pack-destination', packs, '--json', '--loglevel=error']);
      const [info] = JSON.parse(stdout) as { filename: string }[];
      tarball[name] = join(packs, info!.filename);
    }
  }, 300_000);
  afterAll(() => built?.remove());

  it('ship only dist, README.md and package.json, with source maps that carry their sources', async () => {
    for (const name of Object.keys(PACKAGES) as PackageName[]) {
      const { stdout } = await run('tar', ['-tzf', tarball[name]!]);
      const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
      expect(files.filter((f) => !/^(dist\/|README\.md$|package\.json$)/.test(f)), name).toEqual([]);
      expect(files, name).toContain('README.md');
      const maps = files.filter((f) => f.endsWith('.map'));
      expect(maps.length, `${name} has source maps`).toBeGreaterThan(0);
      for (const map of maps) {
        const parsed = JSON.parse(readFileSync(join(built.folder(name), map), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
        expect(parsed.sourcesContent?.length, `${name}/${map} carries its sources`).toBe(parsed.sources.length);
      }
    }
  });

  it('publint --strict finds nothing in any package', async () => {
    const publint = join(repo, 'node_modules', '.bin', 'publint');
    for (const name of Object.keys(PACKAGES) as PackageName[]) {
      const { stdout } = await run(publint, ['--strict', built.folder(name)]);
      expect(stdout, name).toContain('All good!');
    }
  });

  it('@arethetypeswrong/cli finds no problem for ESM consumers of any package', async () => {
    const attw = join(repo, 'node_modules', '.bin', 'attw');
    for (const name of Object.keys(PACKAGES) as PackageName[]) {
      // Exits non-zero on any problem that the profile does not ignore.
      const { stdout } = await run(attw, [tarball[name]!, '--profile', 'esm-only', '--format', 'json']);
      const report = JSON.parse(stdout) as { analysis?: { problems?: unknown[] } };
      const problems = (report.analysis?.problems ?? []) as { kind: string; resolutionKind?: string }[];
      expect(problems.filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs'), name).toEqual([]);
    }
  });

  it.each(['bundler', 'node16'] as const)('a strict consumer with skipLibCheck: false compiles against every entry point (moduleResolution %s)', async (resolution) => {
    const consumer = join(built.dir, `consumer-${resolution}`);
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: resolution === 'bundler' ? 'ESNext' : 'Node16',
          moduleResolution: resolution === 'bundler' ? 'Bundler' : 'Node16',
          types: ['node'],
          jsx: 'react-jsx',
        },
        files: ['index.ts'],
      }),
    );
    const lines: string[] = [];
    for (const name of Object.keys(PACKAGES) as PackageName[]) {
      for (const subpath of Object.keys(manifest(PACKAGES[name]).exports ?? {})) {
        if (subpath === './package.json') continue;
        const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
        lines.push(`export * as m${lines.length} from '${specifier}';`);
      }
    }
    lines.push(
      "import { createScratchpad } from 'scratchpad-store';",
      "import { indexedDbStorage } from 'scratchpad-store/idb';",
      "import type { HistoryEntry } from 'scratchpad-store';",
      "const sp = createScratchpad({ storage: indexedDbStorage({ name: 'x' }) });",
      "export const first: Promise<HistoryEntry[]> = sp.history({ limit: 1 });",
    );
    writeFileSync(join(consumer, 'index.ts'), `${lines.join('\n')}\n`);
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(result.stdout).toBe('');
  });

  it('installs the browser package into an empty project as at most 5 packages, none with an install script', async () => {
    const project = emptyProject();
    try {
      await run('npm', [...NPM_INSTALL, tarball['scratchpad-store']!], { cwd: project });
      const installed = installedPackages(project);
      expect(installed.map((p) => p.name).sort()).toEqual(['diff', 'idb', 'scratchpad-store', 'zustand']);
      expect(installed.length).toBeLessThanOrEqual(5);
      for (const p of installed) {
        expect(Object.keys(p.scripts ?? {}).filter((s) => /^(pre|post)?install$/.test(s)), p.name).toEqual([]);
      }
      // And it works there, in plain Node, from the installed files.
      writeFileSync(
        join(project, 'check.mjs'),
        "import { createScratchpad } from 'scratchpad-store';\nconst sp = createScratchpad();\nconst r = await sp.write('p', 's', 'hello', { agent: 'a' });\nconsole.log(r.message.split('\\n')[0]);\n",
      );
      const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: project });
      expect(stdout).toContain("Wrote to 'p.s' (mode: replace)");
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('installs @scratchpad-store/mcp without any database driver or Azure SDK, and its command serves MCP over stdio', async () => {
    const project = emptyProject();
    try {
      await run('npm', [...NPM_INSTALL, tarball['scratchpad-store']!, tarball['@scratchpad-store/mcp']!], { cwd: project });
      const names = installedPackages(project).map((p) => p.name);
      expect(names).toContain('@modelcontextprotocol/sdk');
      expect(names.filter((n) => /^(better-sqlite3|pg|@scratchpad-store\/server)$/.test(n) || n.startsWith('@azure/'))).toEqual([]);

      const help = await run('npx', ['--no-install', 'scratchpad-store-mcp', '--help'], { cwd: project });
      expect(help.stderr).toContain('Usage: scratchpad-store-mcp [options]');
      const answer = await mcpInitialize(project);
      expect(answer).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'scratchpad-store' } } });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('installs @scratchpad-store/server without pg or the Azure SDKs; its command serves, and names the package a chosen store needs', async () => {
    const project = emptyProject();
    try {
      // better-sqlite3 compiles its addon in an install script; the repository's own copy was built by the same
      // compiler for the same Node, so it is copied instead of compiling it again (a minute of CPU).
      await run('npm', [...NPM_INSTALL, '--ignore-scripts', tarball['scratchpad-store']!, tarball['@scratchpad-store/server']!], { cwd: project });
      cpSync(join(repo, 'node_modules', 'better-sqlite3', 'build'), join(project, 'node_modules', 'better-sqlite3', 'build'), { recursive: true });
      const names = installedPackages(project).map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(['better-sqlite3', 'hono', '@hono/node-server', 'scratchpad-store', '@scratchpad-store/server']));
      expect(names.filter((n) => n === 'pg' || n.startsWith('@azure/') || n === '@modelcontextprotocol/sdk')).toEqual([]);

      const missing = await run('npx', ['--no-install', 'scratchpad-store-server', '--postgres', 'postgres://127.0.0.1:9/x', '--secret', 'x'.repeat(32)], { cwd: project }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
      );
      expect(missing.code).toBe(2);
      expect(missing.stderr.trim().split('\n')).toEqual(['scratchpad-store-server: this store needs the package pg: install it next to @scratchpad-store/server (npm install pg)']);
      const noMcp = await run('npx', ['--no-install', 'scratchpad-store-server', '--mcp', '--db', join(project, 'never.db'), '--secret', 'x'.repeat(32)], { cwd: project }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
      );
      expect(noMcp.code).toBe(2);
      expect(noMcp.stderr.trim().split('\n')).toEqual([
        'scratchpad-store-server: --mcp needs the package @scratchpad-store/mcp: install it next to @scratchpad-store/server (npm install @scratchpad-store/mcp)',
      ]);
      expect(existsSync(join(project, 'never.db'))).toBe(false);

      const port = await freePort();
      // The command itself, as npx would run it, so that SIGTERM reaches the server and not an npx in between.
      const child = spawn(join(project, 'node_modules', '.bin', 'scratchpad-store-server'), ['--port', String(port), '--db', join(project, 'x.db'), '--secret', 'y'.repeat(32)], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const started = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes('listening on')) resolve(out);
          });
          child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
        });
        expect(started).toContain(`http://127.0.0.1:${port}`);
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(health.status).toBe(200);
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('close', resolve));
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('a Vite + React app builds with the installed browser package', async () => {
    // Inside the repository, so that vite, react and the React plugin resolve from its node_modules; the app's own
    // node_modules holds only the installed tarball, which it finds first.
    const app = join(built.dir, 'vite-app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'vite-app', private: true, type: 'module' }));
    await run('npm', [...NPM_INSTALL, tarball['scratchpad-store']!], { cwd: app });
    writeFileSync(join(app, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/src/main.tsx"></script>\n');
    writeFileSync(
      join(app, 'src', 'main.tsx'),
      [
        "import { createRoot } from 'react-dom/client';",
        "import { createScratchpad } from 'scratchpad-store';",
        "import { indexedDbStorage } from 'scratchpad-store/idb';",
        "import { ScratchpadProvider, ScratchpadPanel } from 'scratchpad-store/react';",
        "const sp = createScratchpad({ storage: indexedDbStorage({ name: 'app' }) });",
        "createRoot(document.getElementById('root')!).render(<ScratchpadProvider scratchpad={sp}><ScratchpadPanel /></ScratchpadProvider>);",
      ].join('\n'),
    );
    const { build } = await import('vite');
    const react = (await import('@vitejs/plugin-react')).default;
    const output = await build({ root: app, configFile: false, logLevel: 'silent', plugins: [react()], build: { outDir: join(app, 'dist'), write: true } });
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
    const code = chunks.filter((c) => c.type === 'chunk').map((c) => ('code' in c ? c.code : '')).join('\n');
    expect(code).toContain('scratchpad');
    // Resolved from the installed package, not from the repository's sources.
    const resolvedFrom = chunks.flatMap((c) => (c.type === 'chunk' && 'moduleIds' in c ? c.moduleIds : []));
    expect(resolvedFrom.some((id) => id.includes(join(app, 'node_modules', 'scratchpad-store', 'dist')))).toBe(true);
    expect(resolvedFrom.filter((id) => id.startsWith(join(repo, 'src')))).toEqual([]);
  });
});

function emptyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scratchpad-consumer-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  return dir;
}

/** The packages under node_modules (scoped ones included), with their manifests. */
function installedPackages(project: string): Manifest[] {
  const modules = join(project, 'node_modules');
  const found: Manifest[] = [];
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => join(modules, entry, n)) : [join(modules, entry)];
    for (const dir of dirs) if (existsSync(join(dir, 'package.json'))) found.push(manifest(dir));
  }
  return found;
}

/** Starts the installed `scratchpad-store-mcp`, sends `initialize`, and resolves with its answer. */
function mcpInitialize(project: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(project, 'node_modules', '.bin', 'scratchpad-store-mcp'), [], { cwd: project, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        child.stdin.end();
        try {
          resolve(JSON.parse(line));
        } catch (error) {
          reject(error);
        }
      }
    });
    child.on('error', reject);
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pack-test', version: '1.0.0' } } })}\n`,
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
