import { describe, expect, it } from "vitest";
import { GenerationalWeakMap } from "../../compiler/weak-generations.js";

describe("GenerationalWeakMap", () => {
  const fill = (m: GenerationalWeakMap<object, number>, n: number) => {
    for (let i = 0; i < n; i++) m.set({}, i);
  };

  it("keeps what is looked up across its turns, and drops what is not", () => {
    const m = new GenerationalWeakMap<object, number>(4);
    const used = {};
    const unused = {};
    m.set(used, 1);
    m.set(unused, 2);
    for (let turn = 0; turn < 5; turn++) {
      fill(m, 4);
      expect(m.get(used)).toBe(1);
    }
    expect(m.get(unused)).toBeUndefined();
  });

  it("finds a key in the older generation right after a turn", () => {
    const m = new GenerationalWeakMap<object, string>(2);
    const k = {};
    m.set(k, "v");
    m.set({}, "a");
    m.set({}, "b"); // the third insertion turns: k is in the older generation now
    expect(m.get(k)).toBe("v");
    m.set({}, "c");
    m.set({}, "d");
    expect(m.get(k)).toBe("v");
  });
});
