/**
 * Compiles the command-line entries the way `npm run build` does (tsconfig.build.json: NodeNext, plain tsc), into a
 * private folder, so that the stdio tests run the built JavaScript and not the sources through tsx. Only the entries
 * and what they import are compiled: a half-finished file elsewhere in src must not fail these tests, and a folder of
 * its own per run keeps parallel runs (other engineers', CI's) from overwriting each other's output.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '..');

export interface Build {
  /** The compiled `src/<path>.js` for a source `src/<path>.ts`. */
  entry(source: string): string;
  remove(): void;
}

export async function buildEntries(sources: readonly string[]): Promise<Build> {
  const artifacts = join(root, 'test', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const dir = mkdtempSync(join(artifacts, 'mcp-build-'));
  const out = join(dir, 'dist');
  const rel = (path: string): string => relative(dir, path).split('\\').join('/');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: rel(join(root, 'tsconfig.build.json')),
      compilerOptions: { outDir: rel(out), rootDir: rel(join(root, 'src')), declaration: false, declarationMap: false, sourceMap: false },
      include: [],
      files: sources.filter((source) => existsSync(join(root, source))).map((source) => rel(join(root, source))),
    }),
  );
  // Two levels above dist/mcp/server.js, where the package's own package.json would be: the server reads its version there.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratchpad-store-test-build', version: pkg.version, type: 'module' }));

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: root });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`tsc failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
  return {
    entry: (source) => join(out, source.replace(/^src\//, '').replace(/\.ts$/, '.js')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
