import { describe, expect, it } from "vitest";
import { diffSnapshots, renderDiffMarkdown, renderDiffText, snapshotFromPolicies, snapshotFromProgram } from "../../compiler/diff.js";
import { unifiedDiff } from "../../compiler/text-diff.js";
import { DEFAULT_APPROVALS, program, type ProjectFiles } from "../helpers/project.js";

const SCRAPE = `export ruleset scrape(port: port = 9090) {
  allow ingress port $port from namespace monitoring
}
`;

const BASE: ProjectFiles = {
  "platform/shared.zt": SCRAPE,
  "platform/baseline.zt": `import "stdlib/dns@1"
baseline dns-for-payments {
  applies to tenants payments
  use dns
}
`,
  "tenants/payments/policy.zt": `import "../../platform/shared.zt"
tenant payments {
  workload api = app=payments-api
  use scrape for api
  allow egress from api to api.stripe.com:443
}
`,
  "tenants/checkout/policy.zt": `import "../../platform/shared.zt"
tenant checkout {
  use scrape(port: 9100)
  allow egress to api.stripe.com:443
}
`,
  "tenants/ledger/policy.zt": "tenant ledger allow within namespace\n",
};

function diff(head: ProjectFiles) {
  const b = program(BASE);
  const h = program({ ...BASE, ...head });
  expect(b.emit().ok).toBe(true);
  expect(h.emit().ok).toBe(true);
  return diffSnapshots(snapshotFromProgram(b), snapshotFromProgram(h), h.registries?.tenants);
}

describe("ztc diff: blast radius", () => {
  it("finds nothing when nothing changed", () => {
    const r = diff({});
    expect(r).toEqual({ policies: [], inputs: [], tenants: [], namespaces: [] });
    expect(renderDiffText(r, "main", true)).toBe("ztc diff: no changes against main\n");
  });

  it("shows every tenant a shared module change touches, with the YAML diff", () => {
    const r = diff({ "platform/shared.zt": SCRAPE.replace("9090", "9091") });
    expect(r.policies.map((p) => `${p.change} ${p.key} ${p.tenants.join(",")}`)).toEqual([
      "changed payments-batch/zt-payments payments",
      "changed payments/zt-payments payments",
    ]);
    // checkout passes its own port, so its YAML does not change, but it uses the module.
    expect(r.inputs).toEqual([{ key: "module platform/shared.zt", change: "changed", users: ["checkout", "payments"] }]);
    expect(r.tenants).toEqual(["checkout", "payments"]);
    expect(r.namespaces).toEqual(["checkout", "payments", "payments-batch"]);
    expect(r.policies[1]!.diff).toContain('-      - port: "9090"\n+      - port: "9091"');
  });

  it("shows every tenant an approval change touches", () => {
    const r = diff({ "registry/approvals.yaml": DEFAULT_APPROVALS.replace("ticket: SEC-1234", "ticket: SEC-1234b") });
    expect(r.inputs).toEqual([{ key: "approval APR-0042", change: "changed", users: ["checkout", "payments"] }]);
    // Policies carry the approval id, not its ticket: no YAML changes, but the tenants still show.
    expect(r.policies).toEqual([]);
    expect(r.tenants).toEqual(["checkout", "payments"]);
  });

  it("reaches every tenant a baseline applies to through the modules it uses", () => {
    const r = diff({ "platform/baseline.zt": BASE["platform/baseline.zt"]!.toString().replace("tenants payments", "tenants payments, ledger") });
    expect(r.policies.map((p) => `${p.change} ${p.key} ${p.tenants.join(",")}`)).toEqual(["changed clusterwide/zt-baseline-dns-for-payments ledger,payments"]);
    expect(r.policies[0]!.namespaces).toEqual(["ledger", "payments", "payments-batch"]);
    expect(r.inputs.map((i) => `${i.key}: ${i.users.join(",")}`)).toEqual(["module platform/baseline.zt: ledger,payments"]);
  });

  it("reports added and removed policies", () => {
    const r = diff({ "tenants/ledger/policy.zt": "// ledger has no rules yet\n" });
    // Every registered tenant namespace keeps its default deny, rules or not.
    expect(r.policies.map((p) => `${p.change} ${p.key}`)).toEqual(["removed ledger/zt-ledger"]);
    const back = diffSnapshots(snapshotFromProgram(program({ ...BASE, "tenants/ledger/policy.zt": "" })), snapshotFromProgram(program(BASE)), undefined);
    expect(back.policies.map((p) => `${p.change} ${p.key} ${p.tenants.join(",")}`)).toEqual(["added ledger/zt-ledger ledger"]);
  });

  it("compares against a folder of compiled policies (no inputs known there)", () => {
    const base = program(BASE);
    const head = program({ ...BASE, "platform/shared.zt": SCRAPE.replace("9090", "9091") });
    const r = diffSnapshots({ policies: snapshotFromPolicies(base.emit().policies.map((p) => p.manifest)) }, snapshotFromProgram(head), head.registries?.tenants);
    expect(r.policies).toHaveLength(2);
    expect(r.inputs).toEqual([]);
  });

  it("renders Markdown for a pull-request comment", () => {
    const md = renderDiffMarkdown(diff({ "platform/shared.zt": SCRAPE.replace("9090", "9091") }), "origin/main");
    expect(md).toContain("### ztc: network policy changes against `origin/main`");
    expect(md).toContain("**2 policies** changed, touching **2 tenants** (`checkout`, `payments`) in **3 namespaces**.");
    expect(md).toContain("| changed | `payments/zt-payments` | payments | payments |");
    expect(md).toContain("| changed | `module platform/shared.zt` | checkout, payments |");
    expect(md).toContain("```diff\n@@");
    expect(renderDiffMarkdown(diff({}), "main")).toContain("No change to any compiled policy");
  });
});

describe("unifiedDiff", () => {
  it("prints hunks with context and nothing for equal texts", () => {
    expect(unifiedDiff("a\nb\nc\n", "a\nb\nc\n")).toBe("");
    const d = unifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n");
    expect(d).toBe("@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    expect(unifiedDiff("", "x\n")).toBe("@@ -0,0 +1 @@\n+x\n");
  });
});
