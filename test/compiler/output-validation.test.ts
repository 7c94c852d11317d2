import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { createNodeHost } from "../../compiler/host.js";
import { renderPolicy, renderStream } from "../../compiler/output.js";
import { createProgram } from "../../compiler/program.js";
import { GENERATED_HEADER } from "../../compiler/yaml-out.js";
import { goldenCases } from "../helpers/golden.js";
import { HAS_SHARED, modelProblems, upstreamProblems } from "../helpers/oracles.js";
import { program, STABLE_APPROVALS, TODAY } from "../helpers/project.js";

const EXAMPLE = join(import.meta.dirname, "../../examples/acme");

function compiledSets() {
  const sets: { name: string; policies: ReturnType<ReturnType<typeof program>["emit"]>["policies"] }[] = [];
  for (const c of goldenCases(join(import.meta.dirname, "../fixtures/emit"))) {
    const r = program({ "registry/approvals.yaml": STABLE_APPROVALS, ...c.files }).emit();
    if (r.ok) sets.push({ name: c.name, policies: r.policies });
  }
  const example = createProgram(createNodeHost(EXAMPLE), { today: TODAY }).emit();
  expect(example.ok).toBe(true);
  sets.push({ name: "examples/acme", policies: example.policies });
  return sets;
}

describe("every emitted policy is accepted by Cilium's schemas", () => {
  const sets = compiledSets();
  it("compiles several cases", () => {
    expect(sets.length).toBeGreaterThan(5);
  });
  for (const { name, policies } of sets) {
    it(`${name}: @kubernetes-models/cilium accepts all ${policies.length} documents`, () => {
      for (const p of policies) expect(modelProblems(p.manifest as never), p.path).toBeUndefined();
    });
    it.runIf(HAS_SHARED)(`${name}: the upstream CRD schema accepts them`, () => {
      for (const p of policies) expect(upstreamProblems(p.manifest as never), p.path).toBeUndefined();
    });
    it(`${name}: the YAML reads back as the same objects`, () => {
      for (const p of policies) {
        const text = renderPolicy(p);
        expect(text.startsWith(GENERATED_HEADER + "\n")).toBe(true);
        const docs = parseAllDocuments(text);
        expect(docs).toHaveLength(1);
        expect((docs as { toJS(): unknown }[])[0]!.toJS()).toEqual(JSON.parse(JSON.stringify(p.manifest)));
      }
      const stream = parseAllDocuments(renderStream(policies)) as { toJS(): unknown }[];
      expect(stream.map((d) => d.toJS())).toEqual(policies.map((p) => JSON.parse(JSON.stringify(p.manifest))));
    });
  }
});
