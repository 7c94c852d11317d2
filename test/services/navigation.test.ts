import { describe, expect, it } from "vitest";
import { getDefinition, getHighlights, getReferences, getRenameEdits, prepareRename } from "../../compiler/services/index.js";
import { codesAfter, fixture, applyEdits } from "../helpers/services.js";

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
