/**
 * Remembers a pure function of a string. The compiler asks the same questions about the same
 * texts (host names, CIDRs, label keys) for every rule that mentions them; the cache is cleared
 * when it grows past `limit`, so a long-running language server does not keep every text it saw.
 */
export function memoByText<R>(fn: (text: string) => R, limit = 100_000): (text: string) => R {
  const cache = new Map<string, R>();
  return (text) => {
    if (cache.has(text)) return cache.get(text) as R;
    const r = fn(text);
    if (cache.size >= limit) cache.clear();
    cache.set(text, r);
    return r;
  };
}
