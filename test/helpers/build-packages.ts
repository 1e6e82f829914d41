/**
 * Builds the three packages the way `npm run build` does (each package's tsconfig.build.json, plain tsc), into a
 * private folder laid out like an install: `<dir>/node_modules/scratchpad-store`, `…/@scratchpad-store/server` and
 * `…/@scratchpad-store/mcp`, each with its package.json, README and dist. Tests run the built commands from there
 * and `npm pack` those folders. A folder of its own per call keeps parallel runs from overwriting each other's output;
 * it lies inside the repository so that the packages' dependencies resolve from its node_modules, as after an install.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

export const repo = resolve(import.meta.dirname, '..', '..');

export type PackageName = 'scratchpad-store' | '@scratchpad-store/server' | '@scratchpad-store/mcp';

export const PACKAGES: Readonly<Record<PackageName, string>> = {
  'scratchpad-store': repo,
  '@scratchpad-store/server': join(repo, 'packages', 'server'),
  '@scratchpad-store/mcp': join(repo, 'packages', 'mcp'),
};

export interface BuiltPackages {
  /** The folder that holds node_modules/<package> for each package. */
  readonly dir: string;
  /** The built package folder (package.json, README.md, dist) of each package. */
  folder(name: PackageName): string;
  /** A file of a built package's `bin`, by command name. */
  bin(name: PackageName, command: string): string;
  remove(): void;
}

interface Manifest {
  readonly bin?: Readonly<Record<string, string>>;
  readonly exports?: Readonly<Record<string, unknown>>;
}

export async function buildPackages(options: { readonly declarations?: boolean } = {}): Promise<BuiltPackages> {
  const artifacts = join(repo, 'test', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const dir = mkdtempSync(join(artifacts, 'build-'));
  const folder = (name: PackageName): string => join(dir, 'node_modules', name);
  const rel = (from: string, to: string): string => relative(from, to).split('\\').join('/');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    // The browser package first: the others compile against its declarations, as they would against an install. The
    // MCP package before the server, whose MCP endpoint compiles against its declarations (an optional peer).
    for (const name of ['scratchpad-store', '@scratchpad-store/mcp', '@scratchpad-store/server'] as const) {
      const source = PACKAGES[name];
      const out = folder(name);
      mkdirSync(out, { recursive: true });
      for (const file of ['package.json', 'README.md']) if (existsSync(join(source, file))) copyFileSync(join(source, file), join(out, file));
      const config = join(out, 'tsconfig.build.json');
      const paths =
        name === 'scratchpad-store'
          ? undefined
          : {
              ...rootTypePaths(folder('scratchpad-store'), out),
              ...(name === '@scratchpad-store/server' ? { '@scratchpad-store/mcp': [rel(out, join(folder('@scratchpad-store/mcp'), 'dist', 'index.d.ts'))] } : {}),
            };
      writeFileSync(
        config,
        JSON.stringify({
          extends: rel(out, join(source, 'tsconfig.build.json')),
          compilerOptions: {
            outDir: 'dist',
            rootDir: rel(out, join(source, 'src')),
            // The root's declarations are what the other packages compile against, and the MCP package's what the server does.
            declaration: name !== '@scratchpad-store/server' || (options.declarations ?? false),
            ...(paths ? { paths } : {}),
          },
          include: [rel(out, join(source, 'src'))],
        }),
      );
      await promisify(execFile)(process.execPath, [tsc, '-p', config], { cwd: out }).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`tsc failed for ${name}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      });
      rmSync(config);
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    folder,
    bin(name, command) {
      const manifest = JSON.parse(readFileSync(join(folder(name), 'package.json'), 'utf8')) as Manifest;
      const file = manifest.bin?.[command];
      if (!file) throw new Error(`${name} has no command ${command}`);
      return join(folder(name), file);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `paths` that point `scratchpad-store` and its subpaths at the built declarations, by the root's `exports`. */
function rootTypePaths(rootOut: string, from: string): Record<string, string[]> {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Manifest;
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const types = typeof target === 'object' && target !== null ? (target as { types?: string }).types : undefined;
    if (!types) continue;
    const specifier = subpath === '.' ? 'scratchpad-store' : `scratchpad-store/${subpath.slice(2)}`;
    paths[specifier] = [relative(from, join(rootOut, types)).split('\\').join('/')];
  }
  return paths;
}
