import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { goldenCases, renderCompilation } from "../helpers/golden.js";
import { program, STABLE_APPROVALS } from "../helpers/project.js";

const ROOT = join(import.meta.dirname, "../fixtures/emit");

describe("emitted YAML and diagnostics (golden)", () => {
  for (const c of goldenCases(ROOT)) {
    it(c.name, async () => {
      const text = renderCompilation(program({ "registry/approvals.yaml": STABLE_APPROVALS, ...c.files }));
      await expect(text).toMatchFileSnapshot(join(c.dir, "expected.txt"));
    });
  }
});
