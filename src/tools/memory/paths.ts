/**
 * Paths of Anthropic's memory tool (`/memories/...`), checked and normalised the way the SDK's reference filesystem
 * implementation (`@anthropic-ai/sdk/tools/memory/node`) does it, without Node's `path` module so that this runs in
 * a browser. A path resolves to its place below `/memories`: `''` for the root, `'a/b.md'` for `/memories/a/b.md`.
 */

export const MEMORY_ROOT = '/memories';

// The scratchpad refuses these in names; the index stores paths one per line, tab-separated, so they are refused in
// every path (the reference filesystem would accept most of them, a tab or a newline included).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * The place below `/memories` that a path names, or the reference's error. Like the reference: the path must start
 * with `/memories` (so `/memoriesX/a` is `X/a`, as `path.join` makes it there), `.`, empty segments and a trailing
 * `/` are dropped, and `..` may climb as long as the result stays inside `/memories` (`/memories/../memories/a` is
 * `a`). One difference: the reference resolves against its real directory on disk, so a traversal that leaves the
 * memory directory's parent and comes back by naming the host's folders is refused here, whatever those are called.
 */
export function resolveMemoryPath(memoryPath: string): string {
  if (!memoryPath.startsWith(MEMORY_ROOT)) {
    throw new Error(`Path must start with /memories, got: ${memoryPath}`);
  }
  const relative = memoryPath.slice(MEMORY_ROOT.length).replace(/^\//, '');
  // Segments below the (nameless) folder that holds `memories`, as path.resolve would leave them.
  const stack = ['memories'];
  let escaped = false;
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (stack.length === 0) escaped = true;
      else stack.pop();
    } else {
      stack.push(segment);
    }
  }
  if (escaped || stack[0] !== 'memories') {
    throw new Error(`Path ${memoryPath} would escape /memories directory`);
  }
  const place = stack.slice(1).join('/');
  const control = CONTROL.exec(place);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new Error(`The path ${JSON.stringify(memoryPath)} contains the control character U+${code}; memory paths cannot contain control characters.`);
  }
  return place;
}

/** The absolute path the reference's Node errors (ENOTDIR, EINVAL) name, with `/memories` in place of its folder on disk. */
export function shownPath(place: string): string {
  return place === '' ? MEMORY_ROOT : `${MEMORY_ROOT}/${place}`;
}

/** `'a/b'` for `'a/b/c.md'`, `''` for a file at the root. */
export function parentOf(place: string): string {
  const slash = place.lastIndexOf('/');
  return slash < 0 ? '' : place.slice(0, slash);
}

/** Every directory that contains `place`, nearest first, the root (`''`) excluded. */
export function ancestorsOf(place: string): string[] {
  const out: string[] = [];
  for (let parent = parentOf(place); parent !== ''; parent = parentOf(parent)) out.push(parent);
  return out;
}

/** Whether `place` is `dir` or lies below it; everything lies below the root `''`. */
export function isWithin(place: string, dir: string): boolean {
  return dir === '' || place === dir || place.startsWith(`${dir}/`);
}

/** `place` moved from below `from` to below `to` (both directories). */
export function rebase(place: string, from: string, to: string): string {
  return place === from ? to : `${to}${place.slice(from.length)}`;
}

/** Whether a section name is a normalised path (what `resolveMemoryPath` returns), so that it can hold a file. */
export function isCanonicalPlace(name: string): boolean {
  return name !== '' && !CONTROL.test(name) && name.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
