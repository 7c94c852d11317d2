/**
 * Fuzz-style: random combinations of rule features (every peer kind, ports, L7 clauses, ICMP,
 * authentication, cluster mesh, baselines over namespaces and nodes, audit mode) under random
 * project settings (target version, agent features, mesh). Whatever ztc accepts must be accepted by
 * Cilium: its own §A validator, the @kubernetes-models validators and, with ../shared, the
 * upstream CRD schema. Whatever it refuses must be refused with located diagnostics, never a crash.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ciliumProblems } from "../../compiler/cilium/validate.js";
import { rule } from "../helpers/gen.js";
import { modelProblems, upstreamProblems } from "../helpers/oracles.js";
import { DEFAULT_APPROVALS, DEFAULT_TENANTS, DEFAULT_ZTC_YAML, program } from "../helpers/project.js";

const RUNS = Number(process.env["ZTC_FUZZ_RUNS"] ?? 150);

const settings = fc.record({
  version: fc.constantFrom("1.16", "1.17", "1.18", "1.19", "1.20"),
  features: fc.subarray(["mutual-auth", "node-selector-labels", "host-firewall"]),
  named: fc.boolean(),
  lookups: fc.constantFrom("any", "strict"),
});

function ztcYaml(s: { version: string; features: string[]; named: boolean; lookups: string }): string {
  return (
    DEFAULT_ZTC_YAML.replace('version: "1.19"', `version: "${s.version}"\n  features: [${s.features.join(", ")}]`) +
    `cluster:\n${s.named ? "  name: eu-west\n" : ""}  mesh: [us-east]\ndns:\n  lookups: ${s.lookups}\n`
  );
}

const APPROVALS = DEFAULT_APPROVALS.replace(
  "blocked:",
  `  - id: APR-0200
    destination: cidr-group partner-ips
    ports: ["*"]
    tenants: ["*"]
    approved-by: secops
    ticket: SEC-200
    expires: 2030-01-01
blocked:`,
);
const TENANTS = DEFAULT_TENANTS.replace('paths: ["tenants/ledger/**"]', 'paths: ["tenants/ledger/**"]\n    audit-allowed: true');

const STATS = new Map<string, number>();
const HEADER = "tenant payments {\n  workload api = app=payments-api\n  workload worker = app=payments-worker in namespace payments-batch\n  workload db = app=payments-db, tier in (data)\n";
const scope = fc.constantFrom("applies to all tenants", "applies to tenants payments, ledger", "applies to namespaces monitoring", "applies to nodes", "applies to nodes where node-role=worker");
const baselineItems = fc.subarray(["default deny ingress", "default deny egress", "visibility only", "mode audit", "use zero-trust", "use zero-trust audit"]);

/** Line numbers (1-based) with errors in one file. */
function errorLines(p: ReturnType<typeof program>, file: string): Set<number> {
  const lines = new Set<number>();
  for (const d of p.getDiagnostics()) if (d.file === file && d.severity === "error") lines.add(p.lineIndex(file)!.positionAt(d.span.start).line + 1);
  return lines;
}

describe("fuzz: random rule features compile to policies Cilium accepts", () => {
  it("never crashes, and everything emitted passes every judge", () => {
    let emitted = 0;
    let compiled = 0;
    fc.assert(
      fc.property(settings, fc.array(rule, { maxLength: 8 }), scope, baselineItems, fc.array(rule, { maxLength: 4 }), fc.boolean(), (s, tenantRules, sc, items, baseRules, audit) => {
        // Each rule on a line of its own; lines with errors are dropped and the rest compiled again,
        // so the accepted programs still mix many features (most random programs have an error).
        let tenant = [...tenantRules];
        let base = [...items, ...baseRules];
        for (let round = 0; round < 4; round++) {
          const tenantText = `${HEADER}${tenant.map((r) => `  ${r}\n`).join("")}}\n`;
          const baseText = `import "stdlib/baseline@1"\nbaseline fuzz {\n  ${sc}\n${base.map((r) => `  ${r}\n`).join("")}}\n`;
          const p = program({
            "ztc.yaml": ztcYaml(s),
            "registry/tenants.yaml": TENANTS,
            "registry/approvals.yaml": APPROVALS,
            "tenants/payments/policy.zt": tenantText,
            "tenants/ledger/policy.zt": `tenant ledger {\n  ${audit ? "mode audit" : "mode enforce"}\n  workload ledger-api = app=ledger-api\n  allow ingress to ledger-api port 8443 from tenant payments\n}\n`,
            "platform/baseline.zt": baseText,
          });
          const r = p.emit();
          // ZT4001 (an emitted document Cilium would reject) and ZT9xxx are ztc bugs, never user errors.
          const internal = r.diagnostics.filter((d) => d.code === "ZT4001" || d.code.startsWith("ZT9"));
          expect(internal.map((d) => d.message)).toEqual([]);
          for (const d of r.diagnostics) expect(d.span.end, `${d.code} ${d.message}`).toBeGreaterThanOrEqual(d.span.start);
          if (r.ok) {
            compiled++;
            for (const pol of r.policies) {
              emitted++;
              const m = pol.manifest as unknown as Record<string, unknown>;
              if (process.env["ZTC_FUZZ_STATS"]) for (const f of ["icmps", "authentication", "kafka", "nodeSelector", "policy.cluster", "cidrGroupRef", "namespace.labels", "serviceaccount", "rules", "toServices", "toNodes", "enableDefaultDeny"]) if (JSON.stringify(m).includes(f)) STATS.set(f, (STATS.get(f) ?? 0) + 1);
              expect(ciliumProblems(m), pol.path).toEqual([]);
              expect(modelProblems(m), pol.path).toBeUndefined();
              // The upstream schema is Cilium 1.20's, which no longer has Kafka rules.
              if (!JSON.stringify(m).includes('"kafka"')) expect(upstreamProblems(m), pol.path).toBeUndefined();
            }
            return;
          }
          expect(r.diagnostics.some((d) => d.severity === "error")).toBe(true);
          const bad = errorLines(p, "tenants/payments/policy.zt");
          const badBase = errorLines(p, "platform/baseline.zt");
          const nextTenant = tenant.filter((_, i) => !bad.has(i + 5));
          const nextBase = base.filter((_, i) => !badBase.has(i + 4));
          if (nextTenant.length === tenant.length && nextBase.length === base.length) return;
          tenant = nextTenant;
          base = nextBase;
        }
      }),
      { numRuns: RUNS, seed: Number(process.env["ZTC_FUZZ_SEED"] ?? 20261121) },
    );
    if (process.env["ZTC_FUZZ_STATS"]) console.log(`compiled ${compiled}, emitted ${emitted}`, Object.fromEntries(STATS));
    // The property must actually reach the judges, and often.
    expect(compiled).toBeGreaterThan(RUNS / 4);
    expect(emitted).toBeGreaterThan(0);
    // Only a guard against a hang: the run count (and the machine's load) sets the duration.
  }, 20_000 + RUNS * 100);
});
