/**
 * Conformance with upstream Cilium: for every case, the .zt compiled by ztc must mean what the
 * upstream example means (same atoms after normalisation, see normalise.ts). Without ../shared
 * the .zt files are still compiled, so the suite keeps checking that they are valid ztc.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HAS_SHARED } from "../helpers/oracles.js";
import { AREAS, compileCase, EXAMPLES, loadCases, normaliseOptions, normaliseUpstream, type Case, type Compiled } from "./cases.js";
import { compare, isEquivalent, normalise, renderComparison, type Comparison } from "./normalise.js";

const DOC = join(import.meta.dirname, "../../docs/conformance.md");
/** The issue asks for at least this many upstream examples that ztc expresses exactly. */
const MIN_PASSING = 40;

const cases = loadCases();
const compiled = new Map<string, Compiled>();
function compiledCase(c: Case): Compiled {
  let r = compiled.get(c.name);
  if (!r) compiled.set(c.name, (r = compileCase(c)));
  return r;
}

function comparison(c: Case): Comparison {
  return compare(normaliseUpstream(c), normalise(compiledCase(c).manifests, normaliseOptions(c)));
}

describe("conformance cases", () => {
  it("each names its upstream example by its folder, and says what it covers", () => {
    for (const c of cases) {
      expect(c.info.upstream, c.name).toBe(`${c.name}.yaml`);
      expect(c.info.covers.length, c.name).toBeGreaterThan(0);
      for (const area of c.info.covers) expect(AREAS, `${c.name}: ${area}`).toContain(area);
      expect(Object.keys(c.files).some((f) => f.endsWith(".zt")), `${c.name} has no .zt`).toBe(true);
    }
  });

  for (const c of cases) {
    if (c.info.pending) {
      it.todo(`${c.name} (pending: ${c.info.pending})`);
      continue;
    }
    describe(c.name, () => {
      it("compiles without errors", () => {
        expect(compiledCase(c).errors).toEqual([]);
      });
      const same = () => {
        const upstream = normaliseUpstream(c);
        // An example that normalises to nothing would make any output look equivalent.
        expect(upstream.atoms.size + upstream.defaultDeny.size, "the upstream example normalises to nothing").toBeGreaterThan(0);
        const diff = renderComparison(comparison(c));
        expect(diff, `atoms differ (- upstream only, + ztc only):\n${diff}`).toBe("");
      };
      // A known difference must still be there: once ztc is fixed, this fails and the mark goes.
      if (c.info.knownDifference) it.runIf(HAS_SHARED).fails(`differs from the upstream example: ${c.info.knownDifference}`, same);
      else it.runIf(HAS_SHARED)("means what the upstream example means", same);
    });
  }

  it.runIf(HAS_SHARED)(`at least ${MIN_PASSING} upstream examples are expressed exactly`, () => {
    const passing = cases.filter((c) => !c.info.pending && !c.info.knownDifference && compiledCase(c).errors.length === 0 && isEquivalent(comparison(c)));
    expect(passing.length).toBeGreaterThanOrEqual(MIN_PASSING);
  });
});

describe("docs/conformance.md", () => {
  const doc = readFileSync(DOC, "utf8");
  it("lists every case, with its status", () => {
    const lines = doc.split("\n");
    for (const c of cases) {
      const row = lines.find((l) => l.startsWith("|") && l.includes(`cases/${c.name}/`));
      expect(row, c.name).toBeDefined();
      expect(row!.includes("pending"), `${c.name}: pending in the table`).toBe(Boolean(c.info.pending));
      expect(row!.includes("differs"), `${c.name}: known difference in the table`).toBe(Boolean(c.info.knownDifference));
    }
  });
  it.runIf(HAS_SHARED)("accounts for every upstream example", () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) expect(doc, f).toContain(f);
  });
});
