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

const MODULES = `import "stdlib/dns@1"

export ruleset postgres(port: port = 5432) {
  allow egress to cidr 10.40.0.0/16 port $port
  use dns(port: 53/udp)
}

baseline cluster-defaults {
  applies to all tenants
  default deny ingress, egress
  use postgres
}
expect default deny for all tenants
`;

describe("outline of modules, rule sets, baselines and expectations", () => {
  it("lists imports, rule sets with their parameters and rules, baselines with their statements, and expectations", () => {
    const doc = looseDocument("platform/x.zt", MODULES);
    expect(getDocumentSymbols(doc).map((s) => [s.kind, s.name, s.detail, s.children.map((c) => `${c.kind} ${c.name}`)])).toEqual([
      ["import", "import stdlib/dns@1", undefined, []],
      ["ruleset", "ruleset postgres", "exported, 1 parameter", ["parameter port", "rule allow egress to cidr 10.40.0.0/16 port $port", "use use dns(port: 53/udp)"]],
      ["baseline", "baseline cluster-defaults", undefined, ["setting applies to all tenants", "setting default deny ingress, egress", "use use postgres"]],
      ["expect", "expect default deny for all tenants", undefined, []],
    ]);
    const f = fixture(`tenant payments {\n  mode audit\n  dns strict\n  workload api = app=api\n  expect api -> api.stripe.com:443 allowed\n}\n`);
    expect(getDocumentSymbols(f.doc)[0]!.children.map((c) => `${c.kind} ${c.name}`)).toEqual([
      "setting mode audit",
      "setting dns strict",
      "workload api",
      "expect expect api -> api.stripe.com:443 allowed",
    ]);
  });

  it("folds rule set and baseline blocks", () => {
    const doc = looseDocument("platform/x.zt", MODULES);
    expect(getFoldingRanges(doc)).toEqual([
      { startLine: 2, endLine: 4 },
      { startLine: 7, endLine: 10 },
    ]);
  });

  it("classifies rule set names, parameters, module paths, verdicts and flow endpoints", () => {
    const doc = looseDocument(
      "x.zt",
      `import "stdlib/dns@1"\nruleset r(port: port = 53) {\n  allow egress port $port\n}\ntenant p {\n  use r(port: 54)\n  expect p/api -> entity world:443 denied\n}\n`,
    );
    const tokens = getSemanticTokens(doc).map((t) => `${doc.unit.text.slice(t.span.start, t.span.end)}:${t.kind}${t.declaration ? "*" : ""}`);
    expect(tokens).toEqual([
      "import:keyword", '"stdlib/dns@1":module',
      "ruleset:keyword", "r:ruleset*", "port:parameter*", "::operator", "port:type", "=:operator", "53:number",
      "allow:keyword", "egress:keyword", "port:keyword", "$port:parameter",
      "tenant:keyword", "p:tenant*",
      "use:keyword", "r:ruleset", "port:parameter", "::operator", "54:number",
      "expect:keyword", "p:tenant", "/:operator", "api:workload", "->:operator", "entity:keyword", "world:entity", "::operator", "443:number", "denied:keyword",
    ]);
  });
});
