/**
 * Anthropic's client-side memory tool (`memory_20250818`) over a scratchpad: `memoryToolHandlers(sp)` is what
 * `betaMemoryTool()` from `@anthropic-ai/sdk/helpers/beta/memory` takes. Every answer and every error message is the
 * one the SDK's reference filesystem implementation gives for the same command on the same files, so a model sees no
 * difference; what differs (directory sizes, errors that name a folder on disk) is documented in docs/memory-tool.md.
 *
 * The SDK is not a dependency: the command and handler types below are written out structurally, and a type test
 * checks that they stay assignable to the SDK's `MemoryToolHandlers`.
 */
import { isScratchpadError, ScratchpadError } from '../../core/errors.js';
import type { WriteResult } from '../../core/types.js';
import type { Scratchpad } from '../../types.js';
import { isWithin, parentOf, rebase, resolveMemoryPath, shownPath } from './paths.js';
import { byteLength, formatIndex, INDEX_SECTION, loadTree, pruneIndex, type MemoryIndex, type MemoryTree } from './tree.js';

export interface MemoryViewCommand {
  readonly command: 'view';
  readonly path: string;
  /** `[first, last]`, 1-based; `last` -1 reads to the end. Any other length shows the whole file, as in the reference. */
  readonly view_range?: readonly number[] | null;
}
export interface MemoryCreateCommand {
  readonly command: 'create';
  readonly path: string;
  readonly file_text: string;
}
export interface MemoryStrReplaceCommand {
  readonly command: 'str_replace';
  readonly path: string;
  readonly old_str: string;
  readonly new_str: string;
}
export interface MemoryInsertCommand {
  readonly command: 'insert';
  readonly path: string;
  readonly insert_line: number;
  readonly insert_text: string;
}
export interface MemoryDeleteCommand {
  readonly command: 'delete';
  readonly path: string;
}
export interface MemoryRenameCommand {
  readonly command: 'rename';
  readonly old_path: string;
  readonly new_path: string;
}
export type MemoryCommand =
  | MemoryViewCommand
  | MemoryCreateCommand
  | MemoryStrReplaceCommand
  | MemoryInsertCommand
  | MemoryDeleteCommand
  | MemoryRenameCommand;

/** The shape of the SDK's `MemoryToolHandlers`: one method per command, answering with text or throwing an Error. */
export interface MemoryToolHandlers {
  view(command: MemoryViewCommand): Promise<string>;
  create(command: MemoryCreateCommand): Promise<string>;
  str_replace(command: MemoryStrReplaceCommand): Promise<string>;
  insert(command: MemoryInsertCommand): Promise<string>;
  delete(command: MemoryDeleteCommand): Promise<string>;
  rename(command: MemoryRenameCommand): Promise<string>;
}

export interface MemoryToolOptions {
  /** Every change is attributed to this agent. Default 'memory-tool'. */
  readonly agent?: string;
  /** The pad that holds the `/memories` tree, one section per file. Default 'memories'. */
  readonly pad?: string;
}

export const DEFAULT_MEMORY_PAD = 'memories';
export const DEFAULT_MEMORY_AGENT = 'memory-tool';

// The reference's limits and formats, kept literally so that answers match it character for character.
const MAX_LINES = 999999;
const LINE_NUMBER_WIDTH = String(MAX_LINES).length;

function formatFileSize(bytes: number): string {
  if (bytes === 0) return '0B';
  const k = 1024;
  const sizes = ['B', 'K', 'M', 'G'];
  const i = Math.floor(Math.log(bytes) / Math.log(k));
  const size = bytes / Math.pow(k, i);
  return (size % 1 === 0 ? size.toString() : size.toFixed(1)) + sizes[i];
}

function numbered(line: string, number: number): string {
  return `${String(number).padStart(LINE_NUMBER_WIDTH, ' ')}\t${line}`;
}

/**
 * Handlers for `betaMemoryTool()` that keep `/memories` in one pad of `sp`. Each change is one version attributed to
 * `agent`; `rename` keeps the file's section, so its history, `contentAt` and `blame` carry on under the new name.
 * Commands run one at a time, in the order they are called (a model may send several in one turn).
 */
export function memoryToolHandlers(sp: Scratchpad, options: MemoryToolOptions = {}): MemoryToolHandlers {
  // Mistakes here are the programmer's: they throw now, unlike a model's bad command, which gets an error message.
  const agent = options.agent ?? DEFAULT_MEMORY_AGENT;
  const pad = options.pad ?? DEFAULT_MEMORY_PAD;
  if (typeof agent !== 'string' || agent.trim() === '') {
    throw new ScratchpadError('INVALID_ARGUMENT', 'memoryToolHandlers: options.agent must be a non-empty string');
  }
  if (typeof pad !== 'string' || pad.trim() === '') {
    throw new ScratchpadError('INVALID_ARGUMENT', 'memoryToolHandlers: options.pad must be a non-empty string');
  }

  let queue: Promise<unknown> = Promise.resolve();
  function serial<C>(run: (command: C) => Promise<string>): (command: C) => Promise<string> {
    return (command) => {
      const result = queue.then(() => run(command));
      queue = result.catch(() => undefined);
      return result;
    };
  }

  /** The place a path names, after the same checks in the same order as the reference's `validatePath`. */
  function placeOf(tree: MemoryTree, memoryPath: unknown, field: string): string {
    if (typeof memoryPath !== 'string') throw new Error(`\`${field}\` must be a path under /memories, got ${describe(memoryPath)}`);
    const place = resolveMemoryPath(memoryPath);
    // The reference resolves real paths first, and a path through a file fails there with Node's ENOTDIR.
    if (tree.fileAbove(place) !== undefined) throw new Error(`ENOTDIR: not a directory, realpath '${shownPath(place)}'`);
    return place;
  }

  async function change(memoryPath: string, write: () => Promise<WriteResult>): Promise<WriteResult> {
    try {
      return await write();
    } catch (error) {
      throw scratchpadRefusal(error, memoryPath);
    }
  }

  async function writeIndex(tree: MemoryTree, next: MemoryIndex, memoryPath: string): Promise<void> {
    const text = formatIndex(pruneIndex(tree, next));
    if (text === '' && tree.indexVersion === 0) return;
    await change(memoryPath, () =>
      tree.indexVersion > 0 && text === ''
        ? sp.delete(pad, INDEX_SECTION, { agent, expectedVersion: tree.indexVersion })
        : sp.write(pad, INDEX_SECTION, text, { agent, expectedVersion: tree.indexVersion }),
    );
  }

  function copyIndex(index: MemoryIndex): MemoryIndex {
    return { moves: new Map(index.moves), dirs: new Set(index.dirs), gone: new Set(index.gone) };
  }

  async function view(command: MemoryViewCommand): Promise<string> {
    const tree = await loadTree(sp, pad);
    const place = placeOf(tree, command?.path, 'path');
    const { path } = command;
    const file = tree.files.get(place);
    if (file !== undefined) {
      const lines = file.content.split('\n');
      if (lines.length > MAX_LINES) {
        throw new Error(`File ${path} has too many lines (${lines.length}). Maximum is ${MAX_LINES.toLocaleString()} lines.`);
      }
      let displayLines = lines;
      let startNum = 1;
      const range = command.view_range;
      if (range !== undefined && range !== null) {
        if (!Array.isArray(range) || !range.every((n) => Number.isInteger(n))) {
          throw new Error(`Invalid \`view_range\` parameter: ${JSON.stringify(range)}. It should be [start_line, end_line] with whole line numbers (end_line -1 for the end of the file).`);
        }
        if (range.length === 2) {
          const startLine = Math.max(1, range[0]!) - 1;
          const endLine = range[1] === -1 ? lines.length : range[1]!;
          displayLines = lines.slice(startLine, endLine);
          startNum = startLine + 1;
        }
      }
      return `Here's the content of ${path} with line numbers:\n${displayLines.map((line, i) => numbered(line, i + startNum)).join('\n')}`;
    }
    if (!tree.isDir(place)) throw new Error(`The path ${path} does not exist. Please provide a valid path.`);
    const items: string[] = [];
    const collect = (dir: string, relative: string, depth: number): void => {
      for (const entry of tree.entries(dir)) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        const itemRelative = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDir) {
          items.push(`${formatFileSize(tree.dirSize(entry.place))}\t${path}/${itemRelative}/`);
          if (depth < 2) collect(entry.place, itemRelative, depth + 1);
        } else {
          items.push(`${formatFileSize(byteLength(tree.files.get(entry.place)!.content))}\t${path}/${itemRelative}`);
        }
      }
    };
    collect(place, '', 1);
    const header = `Here're the files and directories up to 2 levels deep in ${path}, excluding hidden items and node_modules:`;
    return `${header}\n${[`${formatFileSize(tree.dirSize(place))}\t${path}`, ...items].join('\n')}`;
  }

  async function create(command: MemoryCreateCommand): Promise<string> {
    const tree = await loadTree(sp, pad);
    const place = placeOf(tree, command?.path, 'path');
    const { path, file_text: text } = command;
    if (typeof text !== 'string') throw new Error(`\`file_text\` must be a string, got ${describe(text)}`);
    if (tree.exists(place)) throw new Error(`File ${path} already exists`);
    const key = tree.freeKey(place);
    await change(path, () => sp.write(pad, key, text, { agent, expectedVersion: 0 }));
    return `File created successfully at: ${path}`;
  }

  /** The file a path names, for the commands that edit one; their errors are the reference's. */
  async function fileFor(memoryPath: unknown): Promise<{ tree: MemoryTree; key: string; content: string; version: number }> {
    const tree = await loadTree(sp, pad);
    const place = placeOf(tree, memoryPath, 'path');
    const file = tree.files.get(place);
    if (file !== undefined) return { tree, key: file.key, content: file.content, version: file.version };
    if (tree.isDir(place)) throw new Error(`The path ${String(memoryPath)} is not a file.`);
    throw new Error(`The path ${String(memoryPath)} does not exist. Please provide a valid path.`);
  }

  async function strReplace(command: MemoryStrReplaceCommand): Promise<string> {
    const { key, content, version } = await fileFor(command?.path);
    const { path, old_str: oldStr, new_str: newStr } = command;
    if (typeof oldStr !== 'string') throw new Error(`\`old_str\` must be a string, got ${describe(oldStr)}`);
    if (typeof newStr !== 'string') throw new Error(`\`new_str\` must be a string, got ${describe(newStr)}`);
    // Matched line by line, as the reference does: an old_str spanning lines never matches.
    const matchingLines: number[] = [];
    content.split('\n').forEach((line, index) => {
      if (line.includes(oldStr)) matchingLines.push(index + 1);
    });
    if (matchingLines.length === 0) {
      throw new Error(`No replacement was performed, old_str \`${oldStr}\` did not appear verbatim in ${path}.`);
    } else if (matchingLines.length > 1) {
      throw new Error(`No replacement was performed. Multiple occurrences of old_str \`${oldStr}\` in lines: ${matchingLines.join(', ')}. Please ensure it is unique`);
    }
    const newContent = content.replace(oldStr, () => newStr);
    await change(path, () => sp.write(pad, key, newContent, { agent, expectedVersion: version }));
    const newLines = newContent.split('\n');
    const changedLineIndex = matchingLines[0]! - 1;
    const contextStart = Math.max(0, changedLineIndex - 2);
    const contextEnd = Math.min(newLines.length, changedLineIndex + 3);
    const snippet = newLines.slice(contextStart, contextEnd).map((line, i) => numbered(line, contextStart + i + 1));
    return `The memory file has been edited. Here is the snippet showing the change (with line numbers):\n${snippet.join('\n')}`;
  }

  async function insert(command: MemoryInsertCommand): Promise<string> {
    const { key, content, version } = await fileFor(command?.path);
    const { path, insert_line: at, insert_text: text } = command;
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new Error(`\`insert_line\` must be a line number, got ${describe(at)}`);
    if (typeof text !== 'string') throw new Error(`\`insert_text\` must be a string, got ${describe(text)}`);
    const lines = content.split('\n');
    if (at < 0 || at > lines.length) {
      throw new Error(`Invalid \`insert_line\` parameter: ${at}. It should be within the range of lines of the file: [0, ${lines.length}]`);
    }
    lines.splice(at, 0, text.replace(/\n$/, ''));
    await change(path, () => sp.write(pad, key, lines.join('\n'), { agent, expectedVersion: version }));
    return `The file ${path} has been edited.`;
  }

  async function remove(command: MemoryDeleteCommand): Promise<string> {
    const tree = await loadTree(sp, pad);
    const place = placeOf(tree, command?.path, 'path');
    const { path } = command;
    if (place === '') throw new Error('Cannot delete the /memories directory itself');
    const file = tree.files.get(place);
    if (file !== undefined) {
      await change(path, () => sp.delete(pad, file.key, { agent, expectedVersion: file.version }));
      return `Successfully deleted ${path}`;
    }
    if (!tree.isDir(place)) throw new Error(`The path ${path} does not exist`);
    // The files first, all in one tick (one storage transaction), then the index: the directory and the deleted files
    // below it no longer keep it, and its parent stays, as `rm -r` leaves it.
    const inside = [...tree.files.values()].filter((f) => isWithin(f.place, place));
    const results = await Promise.all(
      inside.map((f) => change(path, () => sp.delete(pad, f.key, { agent, expectedVersion: f.version }))),
    );
    for (const result of results) {
      tree.liveKeys.delete(result.section);
      tree.tombstones.set(result.section, result.version);
    }
    const next = copyIndex(tree.index);
    forgetDirectory(tree, next, place);
    await writeIndex(tree, next, path);
    return `Successfully deleted ${path}`;
  }

  async function rename(command: MemoryRenameCommand): Promise<string> {
    const tree = await loadTree(sp, pad);
    const from = placeOf(tree, command?.old_path, 'old_path');
    const to = placeOf(tree, command.new_path, 'new_path');
    const { old_path: oldPath, new_path: newPath } = command;
    if (from === '') throw new Error('Cannot rename the /memories directory itself');
    if (tree.exists(to)) throw new Error(`The destination ${newPath} already exists`);
    const file = tree.files.get(from);
    if (file === undefined && !tree.isDir(from)) throw new Error(`The path ${oldPath} does not exist`);
    // rename(2) refuses to move a directory into itself.
    if (file === undefined && isWithin(to, from)) {
      throw new Error(`EINVAL: invalid argument, rename '${shownPath(from)}' -> '${shownPath(to)}'`);
    }
    const next = copyIndex(tree.index);
    if (file !== undefined) {
      next.moves.set(file.key, to);
    } else {
      for (const f of tree.files.values()) if (isWithin(f.place, from)) next.moves.set(f.key, rebase(f.place, from, to));
      // The directories below come along, empty ones included; then the old ones are forgotten.
      const moved = [...tree.dirs].filter((d) => isWithin(d, from)).map((d) => rebase(d, from, to));
      forgetDirectory(tree, next, from);
      for (const d of moved) next.dirs.add(d);
    }
    // The folder the file or directory leaves stays, empty or not, as it does on disk.
    if (parentOf(from) !== '') next.dirs.add(parentOf(from));
    await writeIndex(tree, next, oldPath);
    return `Successfully renamed ${oldPath} to ${newPath}`;
  }

  return {
    view: serial(view),
    create: serial(create),
    str_replace: serial(strReplace),
    insert: serial(insert),
    delete: serial(remove),
    rename: serial(rename),
  };
}

/** After `dir` is deleted or renamed away: nothing below it may keep it in existence any more. */
function forgetDirectory(tree: MemoryTree, index: MemoryIndex, dir: string): void {
  for (const d of [...index.dirs]) if (isWithin(d, dir)) index.dirs.delete(d);
  for (const [key, version] of tree.tombstones) {
    const place = tree.tombstonePlace(key);
    if (place !== undefined && isWithin(place, dir)) index.gone.add(`${key}@${version}`);
  }
  if (parentOf(dir) !== '') index.dirs.add(parentOf(dir));
}

/** A scratchpad refusal as the memory tool's error text: what went wrong, and that nothing changed. */
function scratchpadRefusal(error: unknown, memoryPath: string): Error {
  if (!isScratchpadError(error)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case 'INVALID_NAME':
      return new Error(`The path ${memoryPath} cannot be stored in the scratchpad: ${error.message}`);
    case 'CONFLICT':
      return new Error(`${memoryPath} was changed by someone else at the same time; nothing was changed. View it again and retry.`);
    default:
      return new Error(`Could not change ${memoryPath}: ${error.message}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
