import { describe, expect, it } from "vitest";
import { getDefinition, getHighlights, getReferences, getRenameEdits, prepareRename } from "../../compiler/services/index.js";
import { codesAfter, fixture, applyEdits } from "../helpers/services.js";
import { program } from "../helpers/project.js";

const LEDGER = { "tenants/ledger/policy.zt": "tenant ledger {\n  workload ledger-api = app=ledger-api\n  allow ingress to ledger-api port 8443 from tenant payments workload api\n}\n" };

const text = (files: Record<string, unknown>, l: { file: string; span: { start: number; end: number } }) => String(files[l.file]).slice(l.span.start, l.span.end);

describe("go to definition", () => {
  it("goes to tenants and namespaces in the tenant registry", () => {
    const f = fixture(`tenant pay<|>ments allow ingress from namespace moni<|>toring port 9090\n`);
    const [t] = getDefinition(f.doc, f.at[0]!);
    expect(t!.file).toBe("registry/tenants.yaml");
    expect(text(f.files, t!)).toBe("payments");
    const [ns] = getDefinition(f.doc, f.at[1]!);
    expect(text(f.files, ns!)).toBe("monitoring");
  });

  it("goes to a workload's declaration, also in another tenant's file", () => {
    const f = fixture(`tenant payments {\n  workload api = app=api\n  allow egress from a<|>pi to tenant ledger workload ledger-<|>api port 8443\n}\n`, LEDGER);
    const [own] = getDefinition(f.doc, f.at[0]!);
    expect(own).toEqual({ file: f.file, span: { start: f.text.indexOf("api ="), end: f.text.indexOf("api =") + 3 } });
    const [other] = getDefinition(f.doc, f.at[1]!);
    expect(other!.file).toBe("tenants/ledger/policy.zt");
    expect(text(f.files, other!)).toBe("ledger-api");
  });

  it("goes from a destination to the approval that allows it, or to what the diagnostic points at", () => {
    const f = fixture(`tenant payments allow egress to api.str<|>ipe.com:443, x.paste<|>bin.com:443\n`);
    const [apr] = getDefinition(f.doc, f.at[0]!);
    expect(apr!.file).toBe("registry/approvals.yaml");
    expect(text(f.files, apr!)).toMatch(/^id: APR-0042/);
    const [blocked] = getDefinition(f.doc, f.at[1]!);
    expect(text(f.files, blocked!)).toMatch(/^destination: "\*\.pastebin\.com"/);
  });
});

describe("references and rename", () => {
  const SOURCE = `tenant payments {
  workload <|>api = app=api
  allow egress from api to tenant ledger port 8443
  allow ingress to api port 8080 from tenant checkout
  allow egress from tenant payments workload api to api.stripe.com:443
}
`;

  it("finds a workload's references across files", () => {
    const f = fixture(SOURCE, LEDGER);
    const refs = getReferences(f.doc, f.at[0]!, true);
    expect(refs.map((r) => `${r.file}:${text(f.files, r)}`)).toEqual([
      "tenants/ledger/policy.zt:api",
      ...Array(4).fill(`${f.file}:api`),
    ]);
    expect(getReferences(f.doc, f.at[0]!, false)).toHaveLength(4);
    expect(getHighlights(f.doc, f.at[0]!)).toHaveLength(4);
  });

  it("finds a tenant's references, with its registry entry as the declaration", () => {
    const f = fixture(`tenant pay<|>ments allow egress to api.stripe.com:443\n`, LEDGER);
    const refs = getReferences(f.doc, f.at[0]!, true);
    expect(refs.map((r) => r.file)).toEqual(["registry/tenants.yaml", "tenants/ledger/policy.zt", f.file]);
  });

  it("renames a workload everywhere, and the project still compiles the same", () => {
    const f = fixture(SOURCE, LEDGER);
    expect(prepareRename(f.doc, f.at[0]!)).toEqual({ span: { start: f.at[0]!, end: f.at[0]! + 3 }, placeholder: "api" });
    const r = getRenameEdits(f.doc, f.at[0]!, "payments-api");
    if (!("edits" in r)) throw new Error(r.error);
    expect(r.edits).toHaveLength(5);
    const after = applyEdits(f.files, r.edits);
    expect(String(after["tenants/ledger/policy.zt"])).toContain("tenant payments workload payments-api");
    expect(codesAfter(f.files, r.edits)).toEqual(codesAfter(f.files, []));
  });

  it("refuses invalid and clashing names, and renaming tenants", () => {
    const f = fixture(`tenant pay<|>ments {\n  workload <|>api = app=api\n  workload db = app=db\n}\n`);
    expect(getRenameEdits(f.doc, f.at[1]!, "Not_Valid")).toMatchObject({ error: expect.stringContaining("not a valid workload name") });
    expect(getRenameEdits(f.doc, f.at[1]!, "db")).toMatchObject({ error: expect.stringContaining("already has a workload 'db'") });
    expect(prepareRename(f.doc, f.at[0]!)).toMatchObject({ error: expect.stringContaining("tenant registry") });
  });
});

const SHARED = {
  "platform/shared.zt": `export ruleset postgres(port: port = 5432) {
  allow egress to cidr 10.40.0.0/16 port $port
}

export ruleset wrapped() {
  use postgres(port: 5432)
}
`,
  "tenants/ledger/policy.zt": `import "../../platform/shared.zt"
tenant ledger {
  workload ledger-api = app=ledger-api
  use shared.postgres for ledger-api
}
`,
};

describe("navigation for modules and rule sets", () => {
  const SOURCE = `import "../../platform/sh<|>ared.zt"
import "stdlib/prometheus@1"
tenant payments {
  workload api = app=api
  use post<|>gres for api
  use prometheus-<|>scrape(po<|>rt: 9100) for api
}
`;

  it("goes from a use to the rule set, from an argument to its parameter, from an import to the module", () => {
    const f = fixture(SOURCE, SHARED);
    expect(getDefinition(f.doc, f.at[0]!)).toEqual([{ file: "platform/shared.zt", span: { start: 0, end: 0 } }]);
    const [rs] = getDefinition(f.doc, f.at[1]!);
    expect(rs!.file).toBe("platform/shared.zt");
    expect(text(f.files, rs!)).toBe("postgres");
    // Into the bundled stdlib: a unit the editor maps to the installed stdlib folder.
    const [std] = getDefinition(f.doc, f.at[2]!);
    expect(std!.file).toBe("stdlib:prometheus@1.zt");
    expect(f.program.fileText(std!.file)!.slice(std!.span.start, std!.span.end)).toBe("prometheus-scrape");
    const [param] = getDefinition(f.doc, f.at[3]!);
    expect(f.program.fileText(param!.file)!.slice(param!.span.start, param!.span.end)).toBe("port");
  });

  it("goes from $name to the parameter it stands for", () => {
    const f = fixture(`ruleset scrape(port: port = 9100) {\n  allow ingress port $po<|>rt from namespace monitoring\n}\n`);
    const [p] = getDefinition(f.doc, f.at[0]!);
    expect(p).toEqual({ file: f.file, span: { start: f.text.indexOf("port:"), end: f.text.indexOf("port:") + 4 } });
  });

  it("finds a rule set's uses across files, qualified ones and those inside other rule sets", () => {
    const f = fixture(SOURCE, SHARED);
    const refs = getReferences(f.doc, f.at[1]!, true);
    expect(refs.map((r) => `${r.file}:${text(f.files, r)}`).sort()).toEqual([
      "platform/shared.zt:postgres",
      "platform/shared.zt:postgres",
      "tenants/ledger/policy.zt:postgres",
      `${f.file}:postgres`,
    ]);
    expect(getReferences(f.doc, f.at[1]!, false)).toHaveLength(3);
  });

  it("renames a rule set everywhere, and the project compiles the same", () => {
    const f = fixture(SOURCE, SHARED);
    expect(prepareRename(f.doc, f.at[1]!)).toEqual({ span: { start: f.at[1]! - 4, end: f.at[1]! + 4 }, placeholder: "postgres" });
    const r = getRenameEdits(f.doc, f.at[1]!, "database");
    if (!("edits" in r)) throw new Error(r.error);
    const after = applyEdits(f.files, r.edits);
    expect(String(after["platform/shared.zt"])).toContain("export ruleset database(port: port = 5432)");
    expect(String(after["platform/shared.zt"])).toContain("use database(port: 5432)");
    expect(String(after["tenants/ledger/policy.zt"])).toContain("use shared.database for ledger-api");
    expect(String(after[f.file])).toContain("use database for api");
    expect(codesAfter(f.files, r.edits)).toEqual(codesAfter(f.files, []));
    expect(program(after).emit().policies.map((p) => p.manifest.specs)).toEqual(program(f.files).emit().policies.map((p) => p.manifest.specs));
  });

  it("refuses to rename stdlib rule sets, and names that clash", () => {
    const f = fixture(SOURCE, SHARED);
    expect(prepareRename(f.doc, f.at[2]!)).toMatchObject({ error: expect.stringContaining("stdlib/prometheus@1 (bundled with ztc)") });
    expect(getRenameEdits(f.doc, f.at[1]!, "prometheus-scrape")).toMatchObject({ error: expect.stringContaining("already sees a rule set 'prometheus-scrape'") });
    expect(getRenameEdits(f.doc, f.at[1]!, "Bad_Name")).toMatchObject({ error: expect.stringContaining("not a valid rule set name") });
  });

  it("renames a workload in expect endpoints and in `use ... for` too", () => {
    const f = fixture(
      `import "stdlib/kube-apiserver@1"\ntenant payments {\n  workload <|>api = app=api\n  use kube-apiserver for api\n  expect api -> entity kube-apiserver:6443 allowed\n}\nexpect payments/api -> api.stripe.com:443 denied\nexpect tenant payments workload api -> api.stripe.com:443 denied\n`,
      { "tenants/checkout/policy.zt": "tenant checkout {\n  workload web = app=web\n  expect web -> payments/api:8080 denied\n  expect api -> payments/api:8080 denied\n}\n" },
    );
    const r = getRenameEdits(f.doc, f.at[0]!, "card-api");
    if (!("edits" in r)) throw new Error(r.error);
    const after = applyEdits(f.files, r.edits);
    expect(String(after[f.file])).toBe(
      `import "stdlib/kube-apiserver@1"\ntenant payments {\n  workload card-api = app=api\n  use kube-apiserver for card-api\n  expect card-api -> entity kube-apiserver:6443 allowed\n}\nexpect payments/card-api -> api.stripe.com:443 denied\nexpect tenant payments workload card-api -> api.stripe.com:443 denied\n`,
    );
    // checkout's own `api` (an error there: checkout has none) is not payments' workload.
    expect(String(after["tenants/checkout/policy.zt"])).toBe("tenant checkout {\n  workload web = app=web\n  expect web -> payments/card-api:8080 denied\n  expect api -> payments/card-api:8080 denied\n}\n");
  });

  it("finds tenants in expect endpoints and baseline scopes", () => {
    const f = fixture(`tenant pay<|>ments allow egress to api.stripe.com:443\nexpect payments/x -> api.stripe.com:443 allowed\nexpect default deny for tenant payments\n`, {
      "platform/b.zt": "baseline b {\n  applies to tenants payments, ledger\n}\n",
    });
    expect(getReferences(f.doc, f.at[0]!, false).map((l) => `${l.file}:${text(f.files, l)}`)).toEqual([
      "platform/b.zt:payments",
      `${f.file}:payments`,
      `${f.file}:payments`,
      `${f.file}:payments`,
    ]);
  });
});
