/**
 * A persistent (immutable, structurally shared) map from names to values: a hash array mapped trie. Setting or
 * deleting one key copies only the path to it (a few nodes of at most 32 slots) and shares everything else, so
 * publishing a write to a pad of 10,000 sections costs about what it costs in a pad of one, where copying the pad's
 * `Map` made it 30× dearer. It is a `ReadonlyMap`: selectors and components read it as they read a `Map`. Iteration
 * follows the hash, not insertion: every consumer sorts names anyway (`compareNatural`).
 */

interface Leaf<V> {
  readonly key: string;
  readonly hash: number;
  readonly value: V;
}

/** Keys whose 32-bit hashes are equal: compared one by one. */
interface Collision<V> {
  readonly hash: number;
  readonly leaves: readonly Leaf<V>[];
}

interface Branch<V> {
  /** Bit i set: slot i (5 bits of the hash at this depth) holds `children[popcount(bitmap below i)]`. */
  readonly bitmap: number;
  readonly children: readonly Node<V>[];
}

type Node<V> = Leaf<V> | Collision<V> | Branch<V>;

const isBranch = <V>(node: Node<V>): node is Branch<V> => 'bitmap' in node;
const isCollision = <V>(node: Node<V>): node is Collision<V> => 'leaves' in node;

/** FNV-1a over UTF-16 code units: names are short, and this runs on every get and set. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

const EMPTY_BRANCH: Branch<never> = { bitmap: 0, children: [] };

function withChild<V>(children: readonly Node<V>[], index: number, child: Node<V>): Node<V>[] {
  const copy = children.slice();
  copy[index] = child;
  return copy;
}

/** Two leaves with different keys under one path from `shift` down. */
function merge<V>(a: Leaf<V>, b: Leaf<V>, shift: number): Node<V> {
  if (shift >= 32 || a.hash === b.hash) return { hash: a.hash, leaves: [a, b] };
  const ia = (a.hash >>> shift) & 31;
  const ib = (b.hash >>> shift) & 31;
  if (ia === ib) return { bitmap: 1 << ia, children: [merge(a, b, shift + 5)] };
  return { bitmap: (1 << ia) | (1 << ib), children: ia < ib ? [a, b] : [b, a] };
}

/** Result of an insert: the new node, and whether a key was added (rather than replaced). */
let added = false;

function insert<V>(node: Node<V>, leaf: Leaf<V>, shift: number): Node<V> {
  if (isBranch(node)) {
    const bit = 1 << ((leaf.hash >>> shift) & 31);
    const index = popcount(node.bitmap & (bit - 1));
    if ((node.bitmap & bit) === 0) {
      added = true;
      const children = node.children.slice();
      children.splice(index, 0, leaf);
      return { bitmap: node.bitmap | bit, children };
    }
    const child = node.children[index]!;
    const next = insert(child, leaf, shift + 5);
    return next === child ? node : { bitmap: node.bitmap, children: withChild(node.children, index, next) };
  }
  if (isCollision(node)) {
    if (node.hash !== leaf.hash) return merge2(node, leaf, shift);
    const at = node.leaves.findIndex((l) => l.key === leaf.key);
    if (at === -1) {
      added = true;
      return { hash: node.hash, leaves: [...node.leaves, leaf] };
    }
    const leaves = node.leaves.slice();
    leaves[at] = leaf;
    return { hash: node.hash, leaves };
  }
  if (node.key === leaf.key) return leaf;
  added = true;
  return merge(node, leaf, shift);
}

/** A collision node and a leaf of another hash: a branch holding both. */
function merge2<V>(collision: Collision<V>, leaf: Leaf<V>, shift: number): Node<V> {
  added = true;
  const ic = (collision.hash >>> shift) & 31;
  const il = (leaf.hash >>> shift) & 31;
  if (ic === il) return { bitmap: 1 << ic, children: [merge2(collision, leaf, shift + 5)] };
  return { bitmap: (1 << ic) | (1 << il), children: ic < il ? [collision, leaf] : [leaf, collision] };
}

/** The node without `key` (undefined: nothing left), or the same node when `key` is not there. */
function remove<V>(node: Node<V>, key: string, hash: number, shift: number): Node<V> | undefined {
  if (isBranch(node)) {
    const bit = 1 << ((hash >>> shift) & 31);
    if ((node.bitmap & bit) === 0) return node;
    const index = popcount(node.bitmap & (bit - 1));
    const child = node.children[index]!;
    const next = remove(child, key, hash, shift + 5);
    if (next === child) return node;
    if (next !== undefined) {
      // A branch left with one leaf collapses into it, so that lookups stay short.
      if (node.children.length === 1 && !isBranch(next)) return next;
      return { bitmap: node.bitmap, children: withChild(node.children, index, next) };
    }
    if (node.children.length === 1) return undefined;
    const children = node.children.slice();
    children.splice(index, 1);
    if (children.length === 1 && !isBranch(children[0]!)) return children[0];
    return { bitmap: node.bitmap & ~bit, children };
  }
  if (isCollision(node)) {
    const leaves = node.leaves.filter((l) => l.key !== key);
    if (leaves.length === node.leaves.length) return node;
    return leaves.length === 1 ? leaves[0] : { hash: node.hash, leaves };
  }
  return node.key === key ? undefined : node;
}

function* leavesOf<V>(node: Node<V>): Generator<Leaf<V>, undefined, unknown> {
  if (isBranch(node)) for (const child of node.children) yield* leavesOf(child);
  else if (isCollision(node)) yield* node.leaves;
  else yield node;
  return undefined;
}

export class PadMap<V> implements ReadonlyMap<string, V> {
  private static readonly EMPTY = new PadMap<never>(EMPTY_BRANCH, 0, {});

  /** An empty map. */
  static empty<V>(): PadMap<V> {
    return PadMap.EMPTY;
  }

  /** A map of these entries (a `PadMap` is returned as it is). */
  static from<V>(entries: Iterable<readonly [string, V]>): PadMap<V> {
    if (entries instanceof PadMap) return entries as PadMap<V>;
    let map = PadMap.empty<V>();
    for (const [key, value] of entries) map = map.set(key, value);
    return map;
  }

  private constructor(
    private readonly root: Node<V>,
    readonly size: number,
    /**
     * Stays the same object while the set of keys does (a value changed): caches of the sorted names key on it, so
     * a write to a section does not re-sort its pad.
     */
    readonly keysToken: object,
  ) {}

  get(key: string): V | undefined {
    return this.leaf(key)?.value;
  }

  has(key: string): boolean {
    return this.leaf(key) !== undefined;
  }

  private leaf(key: string): Leaf<V> | undefined {
    const hash = hashOf(key);
    let node: Node<V> = this.root;
    for (let shift = 0; ; shift += 5) {
      if (isBranch(node)) {
        const bit = 1 << ((hash >>> shift) & 31);
        if ((node.bitmap & bit) === 0) return undefined;
        node = node.children[popcount(node.bitmap & (bit - 1))]!;
      } else if (isCollision(node)) {
        return node.leaves.find((l) => l.key === key);
      } else return node.key === key ? node : undefined;
    }
  }

  /** A new map with `key` set to `value`; this one is unchanged. */
  set(key: string, value: V): PadMap<V> {
    added = false;
    const root = insert(this.root, { key, hash: hashOf(key), value }, 0);
    const grew = added;
    added = false;
    if (root === this.root) return this;
    // A root that is a lone leaf goes under a branch, so that `get` and `insert` always start from a branch.
    const branch = isBranch(root) ? root : merge1(root);
    return new PadMap(branch, grew ? this.size + 1 : this.size, grew ? {} : this.keysToken);
  }

  /** A new map without `key`; this one when it is not there. */
  delete(key: string): PadMap<V> {
    const root = remove(this.root, key, hashOf(key), 0);
    if (root === this.root) return this;
    if (root === undefined) return PadMap.empty();
    return new PadMap(isBranch(root) ? root : merge1(root), this.size - 1, {});
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const leaf of leavesOf(this.root)) callback.call(thisArg, leaf.value, leaf.key, this);
  }

  *entries(): Generator<[string, V], undefined, unknown> {
    for (const leaf of leavesOf(this.root)) yield [leaf.key, leaf.value];
    return undefined;
  }

  *keys(): Generator<string, undefined, unknown> {
    for (const leaf of leavesOf(this.root)) yield leaf.key;
    return undefined;
  }

  *values(): Generator<V, undefined, unknown> {
    for (const leaf of leavesOf(this.root)) yield leaf.value;
    return undefined;
  }

  [Symbol.iterator](): Generator<[string, V], undefined, unknown> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'PadMap';
  }
}

/** A lone leaf or collision as the single child of a root branch. */
function merge1<V>(node: Leaf<V> | Collision<V>): Branch<V> {
  return { bitmap: 1 << (node.hash & 31), children: [node] };
}
