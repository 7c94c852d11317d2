import { describe, expect, it } from "vitest";
import { getCompletions, type CompletionEntry } from "../../compiler/services/index.js";
import { DEFAULT_APPROVALS } from "../helpers/project.js";
import { applyEdits, codesAfter, fixture } from "../helpers/services.js";

function complete(template: string, extra = {}, file?: string) {
  const f = fixture(template, extra, file);
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

/** A snippet as the editor inserts it when every placeholder keeps its default. */
const expand = (snippet: string) => snippet.replace(/\$\{\d+:([^}]*)\}/g, "$1").replace(/\$\d+/g, "");

const SHARED = {
  "platform/shared.zt": `// Shared rules of the platform team.

// Postgres on the managed database network.
export ruleset postgres(port: port = 5432) {
  allow egress to cidr 10.40.0.0/16 port $port
}
`,
  "platform/notes.zt": "// Nothing to import here.\n",
};

describe("completion of modules and rule sets", () => {
  it("offers the stdlib modules with their description, and the project's modules, inside an import string", () => {
    const { items, r, f } = complete(`import "stdlib/dns@1"\nimport "std<|>"\n`, SHARED);
    expect(f.text.slice(r!.replace.start, r!.replace.end)).toBe("std");
    const byLabel = new Map(items.map((i) => [i.label, i]));
    expect(byLabel.get("stdlib/prometheus@1")).toMatchObject({ kind: "module", detail: "metrics scraping by Prometheus." });
    expect(byLabel.get("stdlib/prometheus@1")!.documentation).toContain("prometheus-scrape(port: port = 9090");
    expect(byLabel.get("../../platform/shared.zt")).toMatchObject({ kind: "module", detail: "Shared rules of the platform team." });
    // Already imported, or exporting nothing: not offered.
    expect(byLabel.has("stdlib/dns@1")).toBe(false);
    expect(byLabel.has("../../platform/notes.zt")).toBe(false);
    expect(items.every((i) => i.kind === "module")).toBe(true);
    // Editing an import: its own module is still offered.
    expect(complete(`import "stdlib/dn<|>s@1"\n`).labels).toContain("stdlib/dns@1");
  });

  it("quotes the path after `import`, and the chosen module compiles", () => {
    const { items, f, r } = complete(`import <|>\n`, SHARED);
    const dns = items.find((i) => i.label === "stdlib/dns@1")!;
    expect(dns.insertText).toBe('"stdlib/dns@1"');
    expect(codesAfter(f.files, [{ file: f.file, span: r!.replace, newText: dns.insertText! }])).toEqual([]);
  });

  it("offers the rule sets of the imported modules after `use`, with their parameters as a snippet and their documentation", () => {
    const { items } = complete(`import "stdlib/prometheus@1"\nimport "../../platform/shared.zt"\n\ntenant payments {\n  use <|>\n}\n`, SHARED);
    const scrape = items.find((i) => i.label === "prometheus-scrape")!;
    expect(scrape).toMatchObject({
      kind: "ruleset",
      snippet: true,
      insertText: "prometheus-scrape(port: ${1:9090}, namespace: ${2:monitoring}, app: ${3:prometheus})",
      detail: "prometheus-scrape(port: port = 9090, namespace: namespace = monitoring, app: label = prometheus)",
    });
    expect(scrape.additionalEdits).toBeUndefined();
    expect(scrape.documentation).toContain("stdlib/prometheus@1 (bundled with ztc)");
    const postgres = items.find((i) => i.label === "postgres")!;
    expect(postgres.insertText).toBe("postgres(port: ${1:5432})");
    expect(postgres.documentation).toContain("Postgres on the managed database network.");
  });

  it("offers the rule sets of stdlib modules the file does not import, adding the import; the result compiles", () => {
    const { items, f, r } = complete(`// Payments.\ntenant payments {\n  workload api = app=api\n  use <|> for api\n}\n`);
    const kube = items.find((i) => i.label === "kube-apiserver")!;
    expect(kube.detail).toContain('adds import "stdlib/kube-apiserver@1"');
    const edits = [{ file: f.file, span: r!.replace, newText: expand(kube.insertText!) }, ...kube.additionalEdits!];
    expect(codesAfter(f.files, edits)).toEqual([]);
    expect(applyEdits(f.files, edits)[f.file]).toBe(
      `// Payments.\nimport "stdlib/kube-apiserver@1"\n\ntenant payments {\n  workload api = app=api\n  use kube-apiserver(port: 6443) for api\n}\n`,
    );
  });

  it("inserts only the name when the parentheses are already written", () => {
    const { items } = complete(`import "stdlib/kube-apiserver@1"\ntenant payments {\n  use kube<|>(port: 443)\n}\n`);
    expect(items.find((i) => i.label === "kube-apiserver")).toMatchObject({ insertText: "kube-apiserver", snippet: false });
  });

  it("offers the parameters not given yet inside `use NAME(`", () => {
    const labels = complete(`import "stdlib/dns@1"\ntenant payments {\n  use dns(port: 53/udp, <|>)\n}\n`).of("parameter");
    expect(labels).toEqual(["namespace", "app"]);
    const { items } = complete(`import "stdlib/ingress-controller@1"\ntenant payments {\n  use ingress-controller(<|>)\n}\n`);
    // Required parameters first.
    expect(items.filter((i) => i.kind === "parameter").sort((a, b) => a.sortText!.localeCompare(b.sortText!)).map((i) => i.insertText)).toEqual([
      "namespace: ${1:namespace}",
      "app: ${1:label}",
      "port: ${1:8080}",
    ]);
  });

  it("offers values of an argument's type", () => {
    expect(complete(`import "stdlib/dns@1"\ntenant payments {\n  use dns(namespace: <|>)\n}\n`).of("namespace")).toContain("kube-system");
    expect(complete(`import "stdlib/shared-egress@1"\ntenant payments {\n  use approved-egress(host: <|>)\n}\n`).of("destination").sort()).toEqual([
      "*.s3.eu-west-1.amazonaws.com",
      "api.soon.example",
      "api.stripe.com",
    ]);
  });
});

describe("completion of settings, baselines and expectations", () => {
  it("offers the values of mode and dns, with what they mean", () => {
    const mode = complete(`tenant payments {\n  mode <|>\n}\n`).items.filter((i) => i.kind === "value");
    expect(mode.map((i) => i.label)).toEqual(["audit", "enforce"]);
    expect(mode[0]!.documentation).toContain("enableDefaultDeny: false");
    expect(complete(`tenant payments {\n  dns <|>\n}\n`).of("value")).toEqual(["strict", "any"]);
  });

  it("offers the forms of `applies to` in a baseline, and the tenants and namespaces they take", () => {
    const forms = complete(`baseline b {\n  applies to <|>\n}\n`, {}, "platform/b.zt").items;
    expect(forms.map((i) => i.label).sort()).toEqual(["all tenants", "namespaces", "nodes", "tenants"]);
    expect(forms.find((i) => i.label === "all tenants")!.documentation).toContain("every namespace of every tenant");
    expect(complete(`baseline b {\n  applies to tenants <|>\n}\n`, {}, "platform/b.zt").of("tenant").sort()).toEqual(["checkout", "ledger", "payments"]);
    expect(complete(`baseline b {\n  applies to namespaces <|>\n}\n`, {}, "platform/b.zt").of("namespace")).toContain("monitoring");
  });

  it("offers endpoints in `expect`: workloads as tenant/workload, the block's own workloads, approved hosts, and the verdicts", () => {
    const files = { "tenants/ledger/policy.zt": "tenant ledger {\n  workload ledger-api = app=ledger\n}\n" };
    const top = complete(`tenant payments {\n  workload api = app=api\n}\nexpect <|>\n`, files).of("workload");
    expect(top).toEqual(expect.arrayContaining(["payments/api", "ledger/ledger-api"]));
    expect(top).not.toContain("api");
    expect(complete(`tenant payments {\n  workload api = app=api\n  expect <|>\n}\n`, files).of("workload")).toEqual(expect.arrayContaining(["api", "payments/api"]));
    expect(complete(`tenant payments {\n  workload api = app=api\n}\nexpect payments/<|>\n`, files).of("workload")).toEqual(["api"]);
    const hosts = complete(`tenant payments {\n  workload api = app=api\n}\nexpect payments/api -> <|>\n`, files).items.filter((i) => i.kind === "destination");
    expect(hosts.map((h) => h.insertText).sort()).toEqual(["*.s3.eu-west-1.amazonaws.com:443", "api.soon.example:443", "api.stripe.com:443"]);
    expect(complete(`tenant payments {\n  workload api = app=api\n}\nexpect payments/api -> api.stripe.com:443 <|>\n`).labels).toEqual(expect.arrayContaining(["allowed", "denied"]));
    expect(complete(`expect entity <|>\n`).of("entity")).toEqual(["world", "host", "remote-node", "kube-apiserver", "health", "ingress", "init", "unmanaged"]);
  });

  it("offers the newer clauses, Kafka roles, ICMP types and approved cidr-groups", () => {
    const after = complete(`tenant payments allow egress to api.stripe.com:443 <|>\n`).of("keyword");
    expect(after).toEqual(expect.arrayContaining(["grpc", "kafka", "icmp", "icmpv6", "authenticated", "dns"]));
    expect(complete(`tenant payments allow egress to tenant ledger port 9092 kafka <|>\n`).of("value")).toEqual(["produce", "consume"]);
    expect(complete(`tenant payments allow egress to tenant ledger icmp <|>\n`).of("value")).toContain("echo-request");
    expect(complete(`tenant payments allow egress to tenant ledger icmpv6 <|>\n`).of("value")).toContain("packet-too-big");
    const extra = {
      "registry/approvals.yaml": DEFAULT_APPROVALS.replace(
        "blocked:",
        `  - id: APR-0200\n    destination: cidr-group partner-ips\n    ports: [443/tcp]\n    tenants: [payments]\n    approved-by: secops\n    ticket: SEC-2\n    expires: 2030-01-01\nblocked:`,
      ),
    };
    const { items, f, r } = complete(`tenant payments allow egress to cidr-group <|> port 443\n`, extra);
    expect(items.filter((i) => i.kind === "destination").map((i) => i.label)).toEqual(["partner-ips"]);
    expect(codesAfter(f.files, [{ file: f.file, span: r!.replace, newText: "partner-ips" }])).toEqual([]);
  });
});
