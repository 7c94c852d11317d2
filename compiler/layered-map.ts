/**
 * A map made from another by taking some keys out and appending others, without copying it: an
 * editor's incremental check replaces the entries of the tenant or two it re-checked in maps of a
 * thousand tenants (their atoms, workloads and settings), on every keystroke. Iterates in the order
 * a copy would (`new Map(base)`, then `delete` and `set`): the base's entries that stay, then the
 * appended ones. Layers over layers are copied into a plain map every few edits, so a lookup
 * passes through a few layers at most and old versions are let go.
 */
const MAX_DEPTH = 4;

export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    /** Keys of `base` that are out (or appended again). */
    private readonly removed: ReadonlySet<K>,
    private readonly added: ReadonlyMap<K, V>,
    private readonly depth: number,
    readonly size: number,
  ) {}

  /** `base` without `removed`, then `added` appended (a key of `base` among them moves to the end). */
  static of<K, V>(base: ReadonlyMap<K, V>, removed: Iterable<K>, added: Iterable<readonly [K, V]>): ReadonlyMap<K, V> {
    const gone = new Set<K>();
    for (const k of removed) if (base.has(k)) gone.add(k);
    const extra = new Map<K, V>();
    for (const [k, v] of added) {
      if (base.has(k)) gone.add(k);
      extra.set(k, v);
    }
    const depth = (base instanceof LayeredMap ? base.depth : 0) + 1;
    if (depth <= MAX_DEPTH) return new LayeredMap(base, gone, extra, depth, base.size - gone.size + extra.size);
    const flat = new Map(base);
    for (const k of gone) flat.delete(k);
    for (const [k, v] of extra) flat.set(k, v);
    return flat;
  }

  get(key: K): V | undefined {
    if (this.added.has(key)) return this.added.get(key);
    return this.removed.has(key) ? undefined : this.base.get(key);
  }

  has(key: K): boolean {
    return this.added.has(key) || (!this.removed.has(key) && this.base.has(key));
  }

  *entries(): MapIterator<[K, V]> {
    for (const e of this.base.entries()) if (!this.removed.has(e[0])) yield e;
    yield* this.added.entries();
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  forEach(f: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) f.call(thisArg, v, k, this);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}
