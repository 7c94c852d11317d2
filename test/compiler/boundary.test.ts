import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundaryProblems } from "../../compiler/boundary.js";
import { rulesOf } from "../../compiler/emit.js";
import { ciliumProblems } from "../../compiler/cilium/validate.js";
import { matchesName, parseFqdn } from "../../compiler/net/fqdn.js";
import { policyFile } from "../helpers/gen.js";
import { modelProblems, upstreamProblems } from "../helpers/oracles.js";
import { program, STABLE_APPROVALS, TODAY } from "../helpers/project.js";

/** Concrete names a pattern matches, to test approvals independently of the containment code. */
function samples(pattern: string): string[] {
  if (pattern === "*") return ["anything.example", "a.b.c"];
  const expand = (p: string, fill: string) => p.replace(/^\*\*\./, "a.b.").replace(/\*/g, fill);
  return [expand(pattern, ""), expand(pattern, "zz9"), expand(pattern, "x-y")].filter((n) => !n.split(".").includes(""));
}

describe("the tenant security boundary (property)", () => {
  it("a tenant file only ever yields namespaced, approved policies inside the tenant", () => {
    let compiled = 0;
    fc.assert(
      fc.property(policyFile(false), (source) => {
        const p = program({ "registry/approvals.yaml": STABLE_APPROVALS, "tenants/payments/policy.zt": source });
        const result = p.emit();
        // Never an internal error: the checker must have caught anything the boundary would.
        expect(result.diagnostics.filter((d) => d.code === "ZT4001" || d.code === "ZT9001")).toEqual([]);
        if (!result.ok) {
          expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
          return;
        }
        compiled++;
        const registries = p.registries!;
        for (const pol of result.policies) {
          const m = pol.manifest;
          expect(m.kind).toBe("CiliumNetworkPolicy");
          expect(registries.tenants!.tenants.get(pol.tenant!)!.namespaces).toContain(m.metadata.namespace);
          expect(boundaryProblems(pol, registries.tenants!, registries.approvals, TODAY)).toEqual([]);
          expect(ciliumProblems(m)).toEqual([]);
          expect(modelProblems(m as never)).toBeUndefined();
          // The upstream schema is Cilium 1.20's, which no longer has Kafka rules.
          if (!JSON.stringify(m).includes('"kafka"')) expect(upstreamProblems(m as never)).toBeUndefined();
          if (pol.tenant !== "payments") continue;
          // Independent approval check: every concrete name the policy lets out is matched by an
          // unexpired approval for payments.
          for (const e of rulesOf(m).flatMap((r) => (r["egress"] as Record<string, unknown>[] | undefined) ?? [])) {
            for (const f of (e["toFQDNs"] as Record<string, string>[] | undefined) ?? []) {
              const text = f["matchName"] ?? f["matchPattern"]!;
              for (const name of samples(text)) {
                const approved = registries.approvals!.approvals.some(
                  (a) =>
                    a.destination.kind === "fqdn" &&
                    a.expires >= TODAY &&
                    (a.tenants === "*" || a.tenants.includes("payments")) &&
                    matchesName(a.destination.pattern, name),
                );
                expect(approved, `${name} (from ${text})`).toBe(true);
              }
              expect(parseFqdn(text).ok).toBe(true);
            }
            for (const ent of (e["toEntities"] as string[] | undefined) ?? []) expect(["world", "all"]).not.toContain(ent);
          }
        }
      }),
      { numRuns: 400 },
    );
    // The generator must exercise the success path too, not only rejections.
    expect(compiled).toBeGreaterThan(10);
  });
});
