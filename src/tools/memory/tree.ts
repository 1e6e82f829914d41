/**
 * The memory tool's directory tree, read from one pad of a scratchpad.
 *
 * A file is a section of the pad. Its section name (its *key*) is the file's path below `/memories` when it was
 * created (`notes.md`, `projects/acme/todo.md`); when that key is still taken by a file that was renamed away, the
 * new file gets `<path>//2`, `<path>//3`, … (a normalised path never contains `//`, so these cannot be paths).
 * A file keeps its key for life, so that a rename keeps its whole history: its versions still rebuild with
 * `contentAt` and `blame` still credits every line, because nothing about the section changes.
 *
 * What the sections alone cannot say lives in one more section of the pad, the index (`/index`: a normalised path
 * never starts with `/`), one fact per line, tab-separated (paths cannot hold control characters):
 *
 *     moved   <key>   <path>      the file stored under <key> is at <path> now (renamed)
 *     dir     <path>              a directory that exists even when nothing implies it (renames, deletes)
 *     gone    <key>   <version>   a deleted file whose directory was deleted or renamed after it
 *
 * Directories are never stored on their own otherwise. A directory exists when a file lies below it, when a deleted
 * file lay below it (the reference keeps a directory when its last file is deleted, and so does this: the deleted
 * section's history says where it was), or when the index names it. Only changes that cannot be said by one section
 * alone write the index: `rename`, and `delete` of a directory.
 */
import type { Scratchpad } from '../../types.js';
import { ancestorsOf, isCanonicalPlace, isWithin, parentOf } from './paths.js';

export const INDEX_SECTION = '/index';

const SUFFIXED_KEY = /^(.*)\/\/([1-9][0-9]*)$/;

/** The path a key was created for, or undefined for a section that is not a memory file. */
export function baseOf(key: string): string | undefined {
  const suffixed = SUFFIXED_KEY.exec(key);
  if (suffixed) return isCanonicalPlace(suffixed[1]!) && Number(suffixed[2]) >= 2 ? suffixed[1] : undefined;
  return isCanonicalPlace(key) ? key : undefined;
}

export interface MemoryIndex {
  readonly moves: Map<string, string>;
  readonly dirs: Set<string>;
  /** `<key>@<version>` of deleted files that no longer keep their directory. */
  readonly gone: Set<string>;
}

export function parseIndex(text: string): MemoryIndex {
  const index: MemoryIndex = { moves: new Map(), dirs: new Set(), gone: new Set() };
  // Lines that do not parse are skipped, not fatal: the index is a section that any tool or person may edit.
  for (const line of text.split('\n')) {
    const [kind, a, b, ...rest] = line.split('\t');
    if (rest.length > 0 || a === undefined) continue;
    if (kind === 'moved' && b !== undefined && baseOf(a) !== undefined && isCanonicalPlace(b)) index.moves.set(a, b);
    else if (kind === 'dir' && b === undefined && isCanonicalPlace(a)) index.dirs.add(a);
    else if (kind === 'gone' && b !== undefined && /^[1-9][0-9]*$/.test(b)) index.gone.add(`${a}@${b}`);
  }
  return index;
}

/** Sorted, so that the same facts always give the same text and diffs show only what changed. */
export function formatIndex(index: MemoryIndex): string {
  const lines = [
    ...[...index.dirs].map((d) => `dir\t${d}`),
    ...[...index.moves].map(([key, place]) => `moved\t${key}\t${place}`),
    ...[...index.gone].map((entry) => {
      const at = entry.lastIndexOf('@');
      return `gone\t${entry.slice(0, at)}\t${entry.slice(at + 1)}`;
    }),
  ];
  lines.sort();
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export interface MemoryFile {
  readonly place: string;
  readonly key: string;
  readonly content: string;
  readonly version: number;
}

export interface MemoryEntry {
  readonly name: string;
  readonly place: string;
  readonly isDir: boolean;
}

const encoder = new TextEncoder();

export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

export class MemoryTree {
  readonly files = new Map<string, MemoryFile>();
  readonly dirs = new Set<string>();
  /** Deleted files: key → the version of their delete. */
  readonly tombstones = new Map<string, number>();
  readonly liveKeys = new Set<string>();

  constructor(
    readonly index: MemoryIndex,
    /** The index section's version, 0 when it does not exist: the expected version of the next index write. */
    readonly indexVersion: number,
  ) {}

  isFile(place: string): boolean {
    return this.files.has(place);
  }

  isDir(place: string): boolean {
    return place === '' || this.dirs.has(place);
  }

  exists(place: string): boolean {
    return this.isFile(place) || this.isDir(place);
  }

  /** The nearest file that `place` would lie below: the reference's ENOTDIR. */
  fileAbove(place: string): string | undefined {
    return ancestorsOf(place).find((a) => this.files.has(a));
  }

  /** The place of a deleted file, where it was when it was deleted. */
  tombstonePlace(key: string): string | undefined {
    return this.index.moves.get(key) ?? baseOf(key);
  }

  /** The entries directly in `dir`, sorted as `readdir().sort()` sorts names. */
  entries(dir: string): MemoryEntry[] {
    const out = new Map<string, MemoryEntry>();
    for (const d of this.dirs) if (d !== dir && parentOf(d) === dir) out.set(nameOf(d), { name: nameOf(d), place: d, isDir: true });
    // A section written by another tool can make a path both a file and a directory; the file is what lookups find.
    for (const f of this.files.keys()) if (parentOf(f) === dir) out.set(nameOf(f), { name: nameOf(f), place: f, isDir: false });
    return [...out.keys()].sort().map((name) => out.get(name)!);
  }

  /** A directory's size here: the UTF-8 bytes of every file below it, at any depth (hidden files too). */
  dirSize(dir: string): number {
    let total = 0;
    for (const file of this.files.values()) if (isWithin(file.place, dir) && file.place !== dir) total += byteLength(file.content);
    return total;
  }

  /** A key for a new file at `place`: its path, unless a renamed file or the index still holds it. */
  freeKey(place: string): string {
    for (let n = 1; ; n++) {
      const key = n === 1 ? place : `${place}//${n}`;
      if (!this.liveKeys.has(key) && !this.index.moves.has(key)) return key;
    }
  }
}

function nameOf(place: string): string {
  return place.slice(place.lastIndexOf('/') + 1);
}

/** The tree as the pad holds it now. Async only because deleted files are found in the history. */
export async function loadTree(sp: Scratchpad, pad: string): Promise<MemoryTree> {
  await sp.ready;
  const history = await sp.history({ pad });
  // Sections are read after the await, so that they are at least as new as the history they are matched with.
  const current = sp.get(pad, INDEX_SECTION);
  const tree = new MemoryTree(parseIndex(current?.content ?? ''), current?.version ?? 0);
  const { index } = tree;

  for (const key of sp.sections(pad)) {
    if (key === INDEX_SECTION) continue;
    const base = baseOf(key);
    const section = sp.get(pad, key);
    if (base === undefined || section === undefined) continue;
    tree.liveKeys.add(key);
    const place = index.moves.get(key) ?? base;
    if (!tree.files.has(place)) tree.files.set(place, { place, key, content: section.content, version: section.version });
  }

  const last = new Map<string, { version: number; op: string }>();
  for (const entry of history) {
    const seen = last.get(entry.section);
    if (seen === undefined || entry.version > seen.version) last.set(entry.section, { version: entry.version, op: entry.op });
  }
  for (const [key, { version, op }] of last) {
    if (op === 'delete' && !tree.liveKeys.has(key) && key !== INDEX_SECTION && baseOf(key) !== undefined) tree.tombstones.set(key, version);
  }

  const addWithAncestors = (dir: string): void => {
    for (let d = dir; d !== '' && !tree.dirs.has(d); d = parentOf(d)) tree.dirs.add(d);
  };
  for (const place of tree.files.keys()) addWithAncestors(parentOf(place));
  for (const dir of index.dirs) addWithAncestors(dir);
  for (const [key, version] of tree.tombstones) {
    if (index.gone.has(`${key}@${version}`)) continue;
    const place = tree.tombstonePlace(key);
    if (place !== undefined) addWithAncestors(parentOf(place));
  }
  return tree;
}

/**
 * The index after a change, without facts that no longer matter: `gone` entries of files re-created since, and
 * `moved` entries of deleted files that no longer keep a directory (their key is free for a new file again).
 */
export function pruneIndex(tree: MemoryTree, index: MemoryIndex): MemoryIndex {
  const gone = new Set<string>();
  for (const entry of index.gone) {
    const at = entry.lastIndexOf('@');
    const key = entry.slice(0, at);
    if (tree.tombstones.get(key) === Number(entry.slice(at + 1))) gone.add(entry);
  }
  const moves = new Map<string, string>();
  for (const [key, place] of index.moves) {
    const deleted = tree.tombstones.get(key);
    const live = tree.liveKeys.has(key);
    if (place === baseOf(key)) continue;
    if (live || (deleted !== undefined && !gone.has(`${key}@${deleted}`))) moves.set(key, place);
  }
  return { moves, dirs: index.dirs, gone };
}
