import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fqdnContains, fqdnIntersects, labelContains, labelIntersects, matchesName, parseFqdn, type FqdnPattern } from "../../compiler/net/fqdn.js";

const p = (s: string): FqdnPattern => {
  const r = parseFqdn(s);
  if (!r.ok) throw new Error(`${s}: ${r.reason}`);
  return r.pattern;
};

describe("parseFqdn", () => {
  it("normalises case, trailing dots and star runs", () => {
    expect(p("API.Stripe.COM.").text).toBe("api.stripe.com");
    expect(p("a**b.example.com").text).toBe("a*b.example.com");
    expect(p("***.example.com")).toMatchObject({ multi: true, text: "**.example.com", labels: ["example", "com"] });
    expect(p("**")).toMatchObject({ all: true });
    expect(p("*.")).toMatchObject({ all: true });
  });

  it.each([
    ["api..stripe.com", "empty label"],
    [".stripe.com", "empty label"],
    ["api.stripe.com/x", "'/' is not allowed"],
    ["a".repeat(64) + ".com", "longer than 63"],
    ["x." + "a.".repeat(130) + "com", "longer than 255"],
  ])("rejects %s", (s, why) => {
    const r = parseFqdn(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });
});

describe("containment (the approval rules of the issue)", () => {
  it.each([
    ["api.stripe.com", "api.stripe.com", true],
    ["*.stripe.com", "api.stripe.com", true],
    ["api.stripe.com", "*.stripe.com", false],
    ["*.x.com", "**.x.com", false],
    ["**.x.com", "*.x.com", true],
    ["**.x.com", "a.b.x.com", true],
    ["*.x.com", "a.b.x.com", false],
    ["**.x.com", "x.com", false],
    ["**.com", "**.x.com", true],
    ["**.x.com", "**.com", false],
    ["*", "**.anything.io", true],
    ["api-*.x.com", "api-eu.x.com", true],
    ["api-*.x.com", "api-*-1.x.com", true],
    ["api-*-1.x.com", "api-*.x.com", false],
    ["*cilium.io", "subcilium.io", true],
    ["*cilium.io", "www.cilium.io", false],
  ])("%s contains %s: %s", (outer, inner, expected) => {
    expect(fqdnContains(p(outer), p(inner))).toBe(expected);
  });

  it.each([
    ["**.com", "*.pastebin.com", true],
    ["*.stripe.com", "*.pastebin.com", false],
    ["api-*.x.com", "*-eu.x.com", true],
    ["a*.x.com", "b*.x.com", false],
    ["**.x.com", "**.y.x.com", true],
    ["**.a.com", "**.b.com", false],
    ["x.com", "**.x.com", false],
  ])("%s intersects %s: %s", (a, b, expected) => {
    expect(fqdnIntersects(p(a), p(b))).toBe(expected);
    expect(fqdnIntersects(p(b), p(a))).toBe(expected);
  });
});

// Small universe: labels over {a, b}, so exhaustive witnesses are cheap.
const literal = fc.constantFrom("a", "b");
const glob = fc.oneof(literal, fc.constant("*"), literal.map((l) => `${l}*`), literal.map((l) => `*${l}`), fc.tuple(literal, literal).map(([x, y]) => `${x}*${y}`));
const pattern = fc
  .record({ multi: fc.boolean(), labels: fc.array(glob, { minLength: 1, maxLength: 2 }) })
  .map(({ multi, labels }) => p((multi ? "**." : "") + labels.join(".")));

const labelsUpTo = (len: number): string[] => {
  const out: string[] = [];
  const go = (s: string) => {
    if (s.length > 0) out.push(s);
    if (s.length < len) for (const c of "abc") go(s + c);
  };
  go("");
  return out;
};
const LABELS = labelsUpTo(3);
function* names(maxLabels: number): Generator<string> {
  const go = function* (prefix: string[]): Generator<string> {
    if (prefix.length > 0) yield prefix.join(".");
    if (prefix.length < maxLabels) for (const l of LABELS) yield* go([...prefix, l]);
  };
  yield* go([]);
}

describe("containment and intersection are exact (property tests)", () => {
  it("label globs: containment is sound and complete over short labels", () => {
    fc.assert(
      fc.property(glob, glob, (a, b) => {
        const contained = LABELS.every((l) => !matchesName(p(b + ".z"), l + ".z") || matchesName(p(a + ".z"), l + ".z"));
        expect(labelContains(a, b)).toBe(contained);
        const meet = LABELS.some((l) => matchesName(p(a + ".z"), l + ".z") && matchesName(p(b + ".z"), l + ".z"));
        expect(labelIntersects(a, b)).toBe(meet);
      }),
      { numRuns: 400 },
    );
  });

  it("patterns: if A contains B, every name B matches, A matches; if not, a witness exists", () => {
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        const witness = [...names(3)].find((n) => matchesName(b, n) && !matchesName(a, n));
        expect(fqdnContains(a, b)).toBe(witness === undefined);
      }),
      { numRuns: 40 },
    );
  });

  it("patterns: intersection agrees with a search for a common name", () => {
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        const common = [...names(3)].some((n) => matchesName(a, n) && matchesName(b, n));
        expect(fqdnIntersects(a, b)).toBe(common);
      }),
      { numRuns: 40 },
    );
  });
});
