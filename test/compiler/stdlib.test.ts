import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../../language/index.js";
import type { RulesetDecl as Ruleset } from "../../language/ast.js";
import { bundledStdlib } from "../../compiler/stdlib.js";
import { DEFAULT_TENANTS, program, STABLE_APPROVALS } from "../helpers/project.js";

/** A value of each parameter type that every tenant of the test registry may use. */
const SAMPLE: Record<string, string> = {
  port: "8443",
  host: "api.stripe.com",
  cidr: "10.40.0.0/16",
  namespace: "monitoring",
  label: "example",
  tenant: "checkout",
  entity: "cluster",
};

/** Egress through approvals needs the approved port (APR-0042: api.stripe.com:443, APR-0060: 10.40.0.0/16:5432). */
const OVERRIDES: Record<string, Record<string, string>> = {
  "approved-egress": { port: "443" },
  "approved-cidr-egress": { port: "5432" },
  "all-approved": { port: "443" },
};

const TENANTS = DEFAULT_TENANTS.replace("namespaces:\n  kube-system: {}", "namespaces:\n  kube-system: {}\n  openshift-dns: {}");
const modules = Object.entries(bundledStdlib()).sort(([a], [b]) => (a < b ? -1 : 1));

function exported(text: string): Ruleset[] {
  return parse(text).ast.items.filter((i): i is Ruleset => i.kind === "Ruleset" && i.exported);
}

/** `name(required: sample, ...)`: only the parameters without a default. */
function call(r: Ruleset, withDefaults = false): string {
  const args = r.params.filter((p) => withDefaults || !p.default).map((p) => `${p.name!.text}: ${OVERRIDES[r.name!.text]?.[p.name!.text] ?? SAMPLE[p.type!.text]}`);
  return args.length ? `${r.name!.text}(${args.join(", ")})` : r.name!.text;
}

function compile(files: Record<string, string>) {
  const p = program({ "registry/tenants.yaml": TENANTS, "registry/approvals.yaml": STABLE_APPROVALS, ...files });
  const result = p.emit();
  return { diagnostics: result.diagnostics.map((d) => `${d.file}:${(p.lineIndex(d.file)?.positionAt(d.span.start).line ?? -1) + 1} ${d.code} ${d.message}`), result };
}

describe("the stdlib", () => {
  it("has modules", () => expect(modules.length).toBeGreaterThanOrEqual(10));

  for (const [name, text] of modules) {
    describe(`stdlib/${name}`, () => {
      it("parses cleanly and says what it is for", () => {
        expect(parse(text).diagnostics).toEqual([]);
        expect(text.startsWith(`// stdlib/${name}: `)).toBe(true);
        expect(exported(text).length).toBeGreaterThan(0);
      });

      for (const r of exported(text)) {
        const uses = [...new Set([call(r), call(r, true)])];
        it(`${r.name!.text}: compiles with no diagnostics in a tenant, for a workload and in a baseline`, () => {
          for (const use of uses.flatMap((u) => [u, `${u} for api`])) {
            const tenant = compile({
              "tenants/payments/policy.zt": `import "stdlib/${name}"\ntenant payments {\n  workload api = app=payments-api\n  use ${use}\n}\n`,
            });
            expect(tenant.diagnostics, use).toEqual([]);
            expect(tenant.result.policies.length).toBeGreaterThan(0);
            if (use.endsWith(" for api")) continue;
            const baseline = compile({ "platform/baseline.zt": `import "stdlib/${name}"\nbaseline b {\n  applies to tenants payments\n  use ${use}\n}\n` });
            expect(baseline.diagnostics, use).toEqual([]);
            const ccnp = baseline.result.policies.filter((x) => x.manifest.kind === "CiliumClusterwideNetworkPolicy");
            expect(ccnp.length).toBeGreaterThan(0);
          }
        });
      }
    });
  }

  it("documents every module in stdlib/README.md", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../stdlib/README.md"), "utf8");
    for (const [name, text] of modules) {
      expect(readme).toContain(`stdlib/${name}`);
      for (const r of exported(text)) expect(readme).toContain(r.name!.text);
    }
  });
});
