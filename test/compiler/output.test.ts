import { describe, expect, it } from "vitest";
import { createMemoryOutputFs, planOutput, writeOutput, type OutputFs } from "../../compiler/output.js";
import { GENERATED_HEADER } from "../../compiler/yaml-out.js";
import { paymentsProgram } from "../helpers/project.js";

const policies = () => {
  const r = paymentsProgram("tenant payments allow egress api.stripe.com:443\n").emit();
  expect(r.ok).toBe(true);
  return r.policies;
};

describe("output folder", () => {
  it("writes one file per policy plus kustomization.yaml, all marked as generated", () => {
    const fs = createMemoryOutputFs();
    const files = planOutput(policies());
    const r = writeOutput(fs, "out", "out", files);
    expect(r.summary).toEqual({ written: files.length, unchanged: 0, removed: 0 });
    expect([...fs.files.keys()].sort()).toContain("out/payments.zt-payments.yaml");
    for (const v of fs.files.values()) expect(v.startsWith(GENERATED_HEADER)).toBe(true);
    const kustomization = fs.files.get("out/kustomization.yaml")!;
    for (const f of files.filter((x) => x.path !== "kustomization.yaml")) expect(kustomization).toContain(`- ${f.path}`);
  });

  it("rewrites only what changed and removes stale generated files, never others", () => {
    const fs = createMemoryOutputFs(
      new Map([
        ["out/README.md", "hand-written notes"],
        ["out/old.zt-old.yaml", `${GENERATED_HEADER}\nkind: old\n`],
        ["out/old/keep.yaml", "mine"],
      ]),
    );
    const files = planOutput(policies());
    writeOutput(fs, "out", "out", files);
    const again = writeOutput(fs, "out", "out", files);
    expect(again.summary).toEqual({ written: 0, unchanged: files.length, removed: 0 });
    expect(fs.files.get("out/README.md")).toBe("hand-written notes");
    expect(fs.files.get("out/old/keep.yaml")).toBe("mine");
    expect(fs.files.has("out/old.zt-old.yaml")).toBe(false);
  });

  it("refuses to overwrite a file it did not generate, and writes nothing", () => {
    const files = planOutput(policies());
    const fs = createMemoryOutputFs(new Map([["out/kustomization.yaml", "resources: [mine.yaml]\n"]]));
    const r = writeOutput(fs, "out", "out", files);
    expect(r.summary).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["ZT4002"]);
    expect([...fs.files.keys()]).toEqual(["out/kustomization.yaml"]);
  });

  it("leaves no half-written output when a write fails (fresh folder and update)", () => {
    const fresh = createMemoryOutputFs();
    const failingFresh: OutputFs = {
      ...fresh,
      createTree() {
        throw new Error("disk full");
      },
    };
    expect(writeOutput(failingFresh, "out", "out", planOutput(policies())).diagnostics.map((d) => d.code)).toEqual(["ZT4003"]);
    expect(fresh.files.size).toBe(0);

    const old = new Map([["out/payments.zt-payments.yaml", `${GENERATED_HEADER}\nold\n`]]);
    const mem = createMemoryOutputFs(new Map(old));
    let writes = 0;
    const failing: OutputFs = {
      ...mem,
      writeTemp(p, c) {
        if (++writes === 3) throw new Error("disk full");
        return mem.writeTemp(p, c);
      },
    };
    const r = writeOutput(failing, "out", "out", planOutput(policies()));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["ZT4003"]);
    expect(mem.files).toEqual(old);
  });
});
