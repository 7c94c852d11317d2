import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LayeredMap } from "../../compiler/layered-map.js";

describe("LayeredMap", () => {
  it("reads and iterates like a copy with the keys deleted and the entries set, over any number of steps", () => {
    const key = fc.constantFrom("a", "b", "c", "d", "e", "f", "g");
    const step = fc.record({ removed: fc.array(key, { maxLength: 4 }), added: fc.array(fc.tuple(key, fc.nat(99)), { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.nat(99)), { maxLength: 7 }), fc.array(step, { minLength: 1, maxLength: 12 }), (first, steps) => {
        let layered: ReadonlyMap<string, number> = new Map<string, number>(first);
        let copy = new Map<string, number>(first);
        for (const { removed, added } of steps) {
          layered = LayeredMap.of(layered, removed, added);
          copy = new Map(copy);
          // What checkIncrementally did before: delete the replaced keys, then set the new entries
          // (a key set again without being deleted first moves to the end as well).
          for (const k of [...removed, ...added.map(([k]) => k)]) copy.delete(k);
          for (const [k, v] of added) copy.set(k, v);
          expect([...layered]).toEqual([...copy]);
          expect([...layered.keys()]).toEqual([...copy.keys()]);
          expect([...layered.values()]).toEqual([...copy.values()]);
          expect(layered.size).toBe(copy.size);
          for (const k of ["a", "b", "c", "d", "e", "f", "g"]) {
            expect(layered.get(k)).toBe(copy.get(k));
            expect(layered.has(k)).toBe(copy.has(k));
          }
          const seen: [string, number][] = [];
          layered.forEach((v, k) => seen.push([k, v]));
          expect(seen).toEqual([...copy]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
