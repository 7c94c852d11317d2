import { describe, expect, it } from "vitest";
import { getDocumentSymbols, getFoldingRanges, getSemanticTokens, looseDocument } from "../../compiler/services/index.js";
import { fixture } from "../helpers/services.js";

const SOURCE = `// Payments
// two lines of comments
tenant payments {
  workload api = app=payments-api
  allow ingress to api port 8080 from tenant checkout
    http GET "/v1/charges"
  /* a block
     comment */
}
tenant payments allow egress to api.stripe.com:443
`;

describe("outline", () => {
  it("lists tenants with their workloads and rules", () => {
    const f = fixture(SOURCE);
    const symbols = getDocumentSymbols(f.doc);
    expect(symbols.map((s) => [s.name, s.kind, s.children.map((c) => `${c.kind} ${c.name}`)])).toEqual([
      ["tenant payments", "tenant", ["workload api", 'rule allow ingress to api port 8080 from tenant checkout http GET "/v1/charges"']],
      ["tenant payments", "tenant", ["rule allow egress to api.stripe.com:443"]],
    ]);
    expect(symbols[1]!.detail).toBe("one-line");
  });

  it("folds blocks, multi-line rules and comments", () => {
    const f = fixture(SOURCE);
    expect(getFoldingRanges(f.doc)).toEqual([
      { startLine: 0, endLine: 1, kind: "comment" },
      { startLine: 2, endLine: 7 },
      { startLine: 4, endLine: 5 },
      { startLine: 6, endLine: 7, kind: "comment" },
    ]);
  });

  it("classifies names by meaning, so a keyword used as a name is a name", () => {
    const doc = looseDocument("x.zt", `tenant default {\n  workload in = app=x\n  allow egress from workload in to entity world port 443\n}\n`);
    const tokens = getSemanticTokens(doc).map((t) => `${doc.unit.text.slice(t.span.start, t.span.end)}:${t.kind}${t.declaration ? "*" : ""}`);
    expect(tokens).toEqual([
      "tenant:keyword", "default:tenant*", "workload:keyword", "in:workload*", "=:operator", "app:label", "=:operator",
      "allow:keyword", "egress:keyword", "from:keyword", "workload:keyword", "in:workload", "to:keyword", "entity:keyword", "world:entity", "port:keyword", "443:number",
    ]);
  });
});
