import { describe, expect, it } from "vitest";
import { getCompletions, type CompletionEntry } from "../../compiler/services/index.js";
import { DEFAULT_APPROVALS } from "../helpers/project.js";
import { codesAfter, fixture } from "../helpers/services.js";

function complete(template: string, extra = {}) {
  const f = fixture(template, extra);
  const r = getCompletions(f.doc, f.at[0]!);
  const items = r?.items ?? [];
  return { f, r, items, labels: items.map((i) => i.label), of: (kind: CompletionEntry["kind"]) => items.filter((i) => i.kind === kind).map((i) => i.label) };
}

describe("completion", () => {
  it("offers the statements the grammar allows at the top level and in a block", () => {
    expect(complete(`<|>`).of("keyword").sort()).toEqual(["allow", "baseline", "deny", "expect", "export", "import", "ruleset", "tenant", "workload"]);
    expect(complete(`tenant payments {\n  <|>\n}\n`).of("keyword").sort()).toEqual(["allow", "deny", "dns", "expect", "mode", "use", "workload"]);
    expect(complete(`tenant payments {\n  allow <|>\n}\n`).of("keyword").sort()).toEqual(["egress", "ingress", "within"]);
  });

  it("offers peers and clauses after a direction, and continuations after a peer", () => {
    const after = complete(`tenant payments {\n  allow egress <|>\n}\n`).of("keyword");
    for (const k of ["cidr", "entity", "tenant", "namespace", "service", "workload", "within", "from", "to", "port", "http"]) expect(after).toContain(k);
    const next = complete(`tenant payments {\n  allow egress to api.stripe.com:443 <|>\n}\n`).of("keyword");
    expect(next).toEqual(expect.arrayContaining(["from", "to", "port", "ports", "http", "allow", "deny", "workload"]));
    expect(next).not.toContain("cidr");
  });

  it("replaces the word being typed", () => {
    const { r, f } = complete(`tenant payments {\n  al<|>\n}\n`);
    expect(f.text.slice(r!.replace.start, r!.replace.end)).toBe("al");
  });

  it("offers the destinations approved for this tenant, with approval id, ports and expiry", () => {
    const { items } = complete(`tenant payments {\n  workload api = app=api\n  allow egress from api to <|>\n}\n`);
    const dest = items.filter((i) => i.kind === "destination");
    expect(dest.map((d) => d.label).sort()).toEqual(["*.s3.eu-west-1.amazonaws.com", "api.soon.example", "api.stripe.com"]);
    const stripe = dest.find((d) => d.label === "api.stripe.com")!;
    expect(stripe.detail).toBe("APR-0042 · 443/tcp · expires 2030-06-30");
    expect(stripe.insertText).toBe("api.stripe.com:443");
    // Expired (APR-0019), other tenants' and CIDR approvals are not host completions.
    expect(dest.map((d) => d.label)).not.toContain("api.old.example");
  });

  it("never offers an unapproved destination: each one compiles without approval errors", () => {
    const extra = {
      "registry/approvals.yaml": DEFAULT_APPROVALS.replace(
        "blocked:",
        `  - id: DRAFT-1
    destination: api.pending.example
    ports: [443/tcp]
    tenants: [payments]
    approved-by: PENDING
    ticket: PENDING
    expires: 2030-01-01
  - id: APR-0099
    destination: "*.pastebin.com"
    ports: [443/tcp]
    tenants: [payments]
    approved-by: secops
    ticket: SEC-9
    expires: 2030-01-01
  - id: APR-0100
    destination: api.checkout-only.example
    ports: [443/tcp]
    tenants: [checkout]
    approved-by: secops
    ticket: SEC-10
    expires: 2030-01-01
blocked:`,
      ),
    };
    for (const template of [`tenant payments allow egress to <|>\n`, `tenant payments allow egress to cidr <|>\n`]) {
      const { items, f, r } = complete(template, extra);
      const dest = items.filter((i) => i.kind === "destination");
      expect(dest.length).toBeGreaterThan(0);
      for (const d of dest) {
        expect(d.label).not.toMatch(/pending|pastebin|checkout-only|old/);
        const codes = codesAfter(f.files, [{ file: f.file, span: r!.replace, newText: d.insertText ?? d.label }]);
        expect(codes.filter((c) => ["ZT3001", "ZT3002", "ZT3003", "ZT3014"].includes(c)), `${template} ${d.label}`).toEqual([]);
      }
    }
  });

  it("offers no destinations where hosts are not allowed", () => {
    expect(complete(`tenant payments allow ingress from <|>\n`).of("destination")).toEqual([]);
    expect(complete(`tenant payments allow egress from <|>\n`).of("destination")).toEqual([]);
    expect(complete(`tenant payments deny egress to <|>\n`).of("destination")).toEqual([]);
  });

  it("offers the tenants this file may speak for", () => {
    expect(complete(`tenant <|>\n`).of("tenant")).toEqual(["payments"]);
    expect(complete(`tenant payments allow egress to tenant <|>\n`).of("tenant")).toEqual(expect.arrayContaining(["checkout", "ledger", "payments"]));
  });

  it("offers the tenant's workloads and namespaces, and other tenants' workloads", () => {
    const files = { "tenants/ledger/policy.zt": "tenant ledger {\n  workload ledger-api = app=ledger\n}\n" };
    expect(complete(`tenant payments {\n  workload api = app=api\n  workload job = app=job\n  allow egress from <|>\n}\n`).of("workload").sort()).toEqual(["api", "job"]);
    expect(complete(`tenant payments allow egress to tenant ledger workload <|>\n`, files).of("workload")).toEqual(["ledger-api"]);
    expect(complete(`tenant payments {\n  workload w = app=w in namespace <|>\n}\n`).of("namespace")).toEqual(["payments", "payments-batch"]);
    // As a subject, only the tenant's own namespaces; as a peer, every namespace.
    expect(complete(`tenant payments allow egress from namespace <|>\n`).of("namespace")).toEqual(["payments", "payments-batch"]);
    expect(complete(`tenant payments allow ingress from namespace <|>\n`).of("namespace")).toEqual(expect.arrayContaining(["monitoring", "checkout", "payments"]));
  });

  it("offers entities, HTTP methods, protocols and approved ports", () => {
    expect(complete(`tenant payments allow egress to entity <|>\n`).of("entity")).toContain("kube-apiserver");
    expect(complete(`tenant payments {\n  workload api = app=api\n  allow ingress to api port 80 from tenant checkout http <|>\n}\n`).of("method")).toContain("GET");
    expect(complete(`tenant payments allow ingress from namespace monitoring port 53/<|>\n`).of("protocol")).toEqual(["tcp", "udp", "sctp", "any"]);
    expect(complete(`tenant payments allow egress to api.stripe.com:<|>\n`).of("port")).toEqual(["443"]);
  });

  it("offers nothing inside comments and strings", () => {
    expect(complete(`// tenant <|>\n`).r).toBeUndefined();
    expect(complete(`tenant payments {\n  workload api = app=api\n  allow ingress to api port 80 from tenant checkout http GET "/v1/<|>\n}\n`).r).toBeUndefined();
  });
});
