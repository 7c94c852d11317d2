import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format } from "../../language/format.js";
import { formatDocument, getCodeActions, looseDocument, onTypeFormat } from "../../compiler/services/index.js";
import { applyEdits, codesAfter, fixture, PAYMENTS } from "../helpers/services.js";
import { program } from "../helpers/project.js";
import { runTests } from "../../compiler/tests.js";

const apply = (text: string, edits: readonly { span: { start: number; end: number }; newText: string }[]) =>
  [...edits].sort((a, b) => b.span.start - a.span.start).reduce((t, e) => t.slice(0, e.span.start) + e.newText + t.slice(e.span.end), text);

describe("formatting", () => {
  it("is ztc fmt, also with CRLF line endings", () => {
    const messy = "tenant payments{workload api=app=x\n allow egress from api to api.stripe.com : 443}\n";
    const doc = looseDocument("x.zt", messy);
    const r = formatDocument(doc);
    if (!("edits" in r)) throw new Error("refused");
    expect(apply(messy, r.edits)).toBe((format(messy) as { text: string }).text);
    const crlf = messy.replace(/\n/g, "\r\n");
    const r2 = formatDocument(looseDocument("x.zt", crlf));
    if (!("edits" in r2)) throw new Error("refused");
    expect(apply(crlf, r2.edits)).toBe((format(messy) as { text: string }).text.replace(/\n/g, "\r\n"));
  });

  it("leaves a file with syntax errors alone, like ztc fmt", () => {
    expect(formatDocument(looseDocument("x.zt", "tenant payments { allow\n"))).toMatchObject({ diagnostics: [expect.objectContaining({ code: "ZT1001" })] });
  });

  it("indents new lines and closing braces as ztc fmt does", () => {
    const text = "tenant payments {\n  workload api = app=x\nallow\n    }\n";
    const doc = looseDocument("x.zt", text);
    expect(apply(text, onTypeFormat(doc, text.indexOf("allow"), "\n"))).toBe("tenant payments {\n  workload api = app=x\n  allow\n    }\n");
    expect(apply(text, onTypeFormat(doc, text.indexOf("}") + 1, "}"))).toBe("tenant payments {\n  workload api = app=x\nallow\n}\n");
  });
});

describe("code actions", () => {
  const titles = (f: ReturnType<typeof fixture>, at = f.at[0]!) => getCodeActions(f.doc, { start: at, end: at }).map((a) => a.title);

  it("offers the compiler's did-you-mean fixes", () => {
    const f = fixture(`tenant payments {\n  workload api = app=api\n  allow egress from a<|>pii to entity kube-apiserver port 6443\n}\n`);
    const [fix] = getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! });
    expect(fix).toMatchObject({ title: "Replace with 'api'", preferred: true });
    expect(codesAfter(f.files, fix!.edits)).toEqual([]);
  });

  it("requests an approval with a PENDING draft entry in approvals.yaml", () => {
    const f = fixture(`tenant payments allow egress to api.new<|>vendor.example:443\n`);
    const action = getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! }).find((a) => a.requestApproval)!;
    expect(action.title).toBe("Request approval: add a draft entry for api.newvendor.example to registry/approvals.yaml");
    expect(action.edits[0]!.file).toBe("registry/approvals.yaml");
    const files = applyEdits(f.files, action.edits);
    expect(String(files["registry/approvals.yaml"])).toContain("approved-by: PENDING");
    // The draft approves nothing until the security team signs it off.
    const p = program(files);
    expect(p.getDiagnostics().find((d) => d.file === PAYMENTS)?.message).toContain("still a draft");
    expect(String(files["registry/approvals.yaml"]).slice(action.reveal!.span.start)).toMatch(/^\n?\s*- id: DRAFT-payments-api-newvendor-example/);
  });

  it("gives a draft an id no entry of the registry's text has, refused entries and quoted ids included", () => {
    const taken = (id: string, destination: string) =>
      `  - id: ${id}\n    destination: ${destination}\n    ports: [443/tcp]\n    tenants: [payments]\n    approved-by: PENDING\n    ticket: PENDING\n    expires: 2030-01-01\n`;
    const approvals = `approvals:\n${taken('"DRAFT-payments-api-newvendor-example"', "api.newvendor.example")}${taken("'DRAFT-payments-api-newvendor-example-2'", "x.example")}${taken("DRAFT-payments-api-newvendor-example-3", "not a host!")}`;
    const f = fixture(`tenant payments allow egress to api.new<|>vendor.example:443\n`, { "registry/approvals.yaml": approvals });
    const action = getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! }).find((a) => a.requestApproval);
    expect(action?.edits[0]?.newText).toContain("- id: DRAFT-payments-api-newvendor-example-4\n");
  });

  it("keeps the approval registry valid YAML when drafting into the example's registry", () => {
    const approvals = readFileSync(join(import.meta.dirname, "../../examples/acme/registry/approvals.yaml"), "utf8");
    const f = fixture(`tenant payments allow egress to api.new<|>vendor.example:443\n`, { "registry/approvals.yaml": approvals });
    const action = getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! }).find((a) => a.requestApproval)!;
    const files = applyEdits(f.files, action.edits);
    const p = program(files);
    // Still valid YAML (no ZT5001/ZT5002); the example's approvals for tenant search, unknown here, stay ZT5010.
    expect(new Set(p.getDiagnostics().filter((d) => d.file === "registry/approvals.yaml").map((d) => d.code))).toEqual(new Set(["ZT5010", "ZT5017"]));
    expect(p.registries?.approvals?.byId.get("DRAFT-payments-api-newvendor-example")).toBeDefined();
    expect(p.registries?.approvals?.blocked).toHaveLength(2);
  });

  it("adds a missing port: the approved one for hosts, the admitted one for pods", () => {
    const f = fixture(`tenant payments allow egress to api.str<|>ipe.com\n`);
    const add = getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! }).find((a) => a.title.startsWith("Add port"))!;
    expect(add.title).toBe("Add port 443 (approved by APR-0042)");
    expect(codesAfter(f.files, add.edits)).toEqual([]);

    const g = fixture(
      `tenant payments {\n  workload api = app=api\n  allow egress from api to tenant ledger workload db<|>\n}\n`,
      { "tenants/ledger/policy.zt": "tenant ledger {\n  workload db = app=db\n  allow ingress to db port 5432 from tenant payments workload api\n}\n" },
    );
    expect(titles(g)).toContain("Add port 5432 (where tenant ledger's db admits traffic (line 3))");
  });

  it("narrows an overly broad rule to the destinations approved for the tenant", () => {
    const f = fixture(`tenant payments {\n  workload api = app=api\n  allow egress from api to entity wor<|>ld port 443\n}\n`);
    const narrow = getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! }).find((a) => a.title.startsWith("Narrow"))!;
    expect(narrow.title).toBe("Narrow to the 3 destinations approved for tenant payments (APR-0042, APR-0051, APR-0070)");
    const after = String(applyEdits(f.files, narrow.edits)[PAYMENTS]);
    expect(after).toContain("  allow egress from api to api.stripe.com port 443\n  allow egress from api to *.s3.eu-west-1.amazonaws.com port 443\n");
    expect(codesAfter(f.files, narrow.edits).filter((c) => c !== "ZT3004")).toEqual([]);
  });

  it("splits a rule with several peers into one rule per peer", () => {
    const f = fixture(`tenant payments {\n  workload api = app=api\n  allow egress from api to api.stripe.com:443, *.s3.eu-west-1.amazonaws.com:443 // card and S3<|>\n}\n`);
    const split = getCodeActions(f.doc, { start: f.at[0]! - 20, end: f.at[0]! - 20 }).find((a) => a.kind === "refactor.rewrite")!;
    expect(split.title).toBe("Split into 2 rules, one per peer");
    expect(String(applyEdits(f.files, split.edits)[PAYMENTS])).toContain(
      "  allow egress from api to api.stripe.com:443\n  allow egress from api to *.s3.eu-west-1.amazonaws.com:443 // card and S3",
    );
  });
});

describe("the compiler's fixes in the editor", () => {
  const SHARED = { "platform/shared.zt": "ruleset postgres() {\n  allow egress to cidr 10.40.0.0/16 port 5432\n}\n" };
  const TWO = {
    "platform/a.zt": "export ruleset db() {\n  allow egress to cidr 10.40.0.0/16 port 5432\n}\n",
    "platform/b.zt": "export ruleset db() {\n  allow egress to cidr 10.40.0.0/16 port 5432\n}\n",
  };
  const cases: { code: string; title: string; template: string; extra?: Record<string, string> }[] = [
    { code: "ZT2016", title: "Import stdlib/kube-apiserver@1", template: `tenant payments {\n  workload api = app=api\n  use kube-<|>apiserver for api\n}\n` },
    { code: "ZT2017", title: "Export rule set 'postgres' from platform/shared.zt", template: `import "../../platform/shared.zt"\ntenant payments {\n  use post<|>gres\n}\n`, extra: SHARED },
    { code: "ZT2018", title: "Write a.db", template: `import "../../platform/a.zt"\nimport "../../platform/b.zt"\ntenant payments {\n  use d<|>b\n}\n`, extra: TWO },
    { code: "ZT3027", title: "Replace with 'port'", template: `import "stdlib/kube-apiserver@1"\ntenant payments {\n  use kube-apiserver(pro<|>t: 443)\n}\n` },
    { code: "ZT2015", title: "Import stdlib/dns@1", template: `import "stdlib/d<|>ns"\ntenant payments {\n  use dns\n}\n` },
    { code: "ZT2012", title: "Replace with 'stdlib/prometheus@1'", template: `import "stdlib/promethe<|>su@1"\ntenant payments {\n  use prometheus-scrape\n}\n` },
    { code: "ZT2022", title: "Replace with 'port'", template: `ruleset r(p: pro<|>t) {\n  allow ingress port $p from namespace monitoring\n}\n` },
    { code: "ZT2001", title: "Replace with 'payments'", template: `tenant payments {\n  workload api = app=api\n}\nexpect paym<|>ents2/api -> api.stripe.com:443 allowed\n` },
    { code: "ZT3032", title: "Write icmpv6", template: `tenant payments allow egress to tenant ledger icmp packet-<|>too-big\n` },
  ];

  for (const c of cases)
    it(`${c.code}: "${c.title}" is offered and fixes it`, () => {
      const f = fixture(c.template, c.extra ?? {});
      const at = f.at[0]!;
      expect(f.program.getDiagnostics().filter((d) => d.file === f.file).map((d) => d.code)).toContain(c.code);
      const actions = getCodeActions(f.doc, { start: at, end: at });
      const action = actions.find((a) => a.title === c.title);
      expect(action, actions.map((a) => a.title).join("; ")).toBeDefined();
      expect(action!.diagnostics.map((d) => d.code)).toContain(c.code);
      const after = program(applyEdits(f.files, action!.edits));
      expect(after.getDiagnostics().filter((d) => d.severity === "error").map((d) => `${d.file} ${d.code} ${d.message}`)).toEqual([]);
    });

  it("offers no fix at a use that would edit the use instead of the rule set", () => {
    const f = fixture(`import "../../platform/r.zt"\ntenant payments {\n  use <|>r\n}\n`, {
      "platform/r.zt": "export ruleset r(port: port = 9100) {\n  allow ingress port $prot from namespace monitoring\n}\n",
    });
    const d = f.program.getDiagnostics().find((x) => x.file === f.file)!;
    expect(d.code).toBe("ZT2023");
    expect(d.related?.[0]?.file).toBe("platform/r.zt");
    expect(getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! }).filter((a) => a.kind === "quickfix")).toEqual([]);
  });

  it("offers to state what the policies do when an expect fails (ZT6001), never as the preferred fix", () => {
    const f = fixture(`tenant payments {\n  workload api = app=api\n  allow egress from api to api.stripe.com:443\n  expect api -> api.stripe.com:8443 al<|>lowed\n}\n`);
    const [action] = getCodeActions(f.doc, { start: f.at[0]!, end: f.at[0]! });
    expect(action).toMatchObject({ title: "Change the expectation to 'denied' (what the compiled policies do)", kind: "quickfix" });
    expect(action!.preferred).toBeFalsy();
    expect(action!.diagnostics.map((d) => d.code)).toEqual(["ZT6001"]);
    const report = runTests(program(applyEdits(f.files, action!.edits)), { invariants: false })!;
    expect(report.cases.every((c) => c.passed)).toBe(true);
  });
});
