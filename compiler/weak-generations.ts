/**
 * A WeakMap for keys an edit replaces by the thousand: the statements after an inserted character
 * are new objects on every keystroke. V8 never shrinks a WeakMap's table, which so kept room for
 * every key it held between two full collections (2 MB each for the rule cache and the
 * statements' references after 200 typed characters, for a thousand live keys).
 *
 * Two generations: a lookup that finds its key in the older one moves it to the newer, and after
 * `capacity` insertions into the newer the older is dropped, table and all. What was looked up
 * since the last turn survives it; what was not is computed again if it is ever asked for.
 */
export class GenerationalWeakMap<K extends object, V> {
  private young = new WeakMap<K, V>();
  private old = new WeakMap<K, V>();
  private inserted = 0;

  constructor(private readonly capacity = 8192) {}

  get(key: K): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (++this.inserted > this.capacity) {
      this.old = this.young;
      this.young = new WeakMap();
      this.inserted = 1;
    }
    this.young.set(key, value);
  }
}
