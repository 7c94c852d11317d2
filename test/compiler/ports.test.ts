import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidPortName, PortSet, type L4Protocol } from "../../compiler/net/ports.js";

describe("PortSet", () => {
  it("expands ANY to TCP, UDP and SCTP", () => {
    expect(PortSet.spec("ANY", 53).ranges().map((r) => r.protocol)).toEqual(["TCP", "UDP", "SCTP"]);
    expect(PortSet.spec("ANY", 53).toString()).toBe("53/any");
    expect(PortSet.all().toString()).toBe("all ports");
  });

  const range = fc
    .record({ protocol: fc.constantFrom<L4Protocol>("TCP", "UDP"), start: fc.integer({ min: 1, max: 20 }), len: fc.integer({ min: 0, max: 5 }) })
    .map(({ protocol, start, len }) => ({ protocol, start, end: Math.min(20, start + len) }));
  const model = (rs: { protocol: string; start: number; end: number }[]) => {
    const m = new Set<string>();
    for (const r of rs) for (let p = r.start; p <= r.end; p++) m.add(`${r.protocol}${p}`);
    return m;
  };

  it("agrees with an explicit model", () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 4 }), fc.array(range, { maxLength: 4 }), (a, b) => {
        const sa = PortSet.of(a);
        const sb = PortSet.of(b);
        const ma = model(a);
        const mb = model(b);
        expect(model(sa.minus(sb).ranges())).toEqual(new Set([...ma].filter((x) => !mb.has(x))));
        expect(model(sa.union(sb).ranges())).toEqual(new Set([...ma, ...mb]));
        expect(sa.containsSet(sb)).toBe([...mb].every((x) => ma.has(x)));
        expect(sa.intersects(sb)).toBe([...mb].some((x) => ma.has(x)));
      }),
    );
  });

  it("knows all ports and containment without computing differences", () => {
    const edge = fc.constantFrom(1, 2, 100, 30000, 65534, 65535);
    const wide = fc
      .record({ protocol: fc.constantFrom<L4Protocol>("TCP", "UDP", "SCTP"), a: edge, b: edge })
      .map(({ protocol, a, b }) => ({ protocol, start: Math.min(a, b), end: Math.max(a, b) }));
    fc.assert(
      fc.property(fc.array(wide, { maxLength: 9 }), fc.array(wide, { maxLength: 4 }), (a, b) => {
        const sa = PortSet.of(a);
        const sb = PortSet.of(b);
        expect(sa.isAll()).toBe(PortSet.all().minus(sa).ranges().length === 0);
        expect(sa.containsSet(sb)).toBe(sb.minus(sa).ranges().length === 0);
        expect(sa.isEmpty()).toBe(sa.ranges().length === 0);
      }),
    );
  });

  it("validates IANA port names like Cilium", () => {
    expect(isValidPortName("http")).toBe(true);
    expect(isValidPortName("grpc-web")).toBe(true);
    expect(isValidPortName("8080")).toBe(false);
    expect(isValidPortName("a--b")).toBe(false);
    expect(isValidPortName("sixteen-chars-xx")).toBe(false);
  });
});
