import { describe, expect, it } from "vitest";
import { parse, type RuleStmt, type TenantDecl } from "../../language/index.js";
import { sharedSpan, type Span } from "../../language/source.js";

function rules(text: string): RuleStmt[] {
  const r = parse(text, "t.zt");
  expect(r.diagnostics).toEqual([]);
  return r.ast.items.flatMap((i) => (i.kind === "Tenant" ? i.body.filter((b): b is RuleStmt => b.kind === "Rule") : []));
}

describe("parser", () => {
  it("parses the one-line form exactly as designed", () => {
    const r = parse("tenant payments allow egress api.stripe.com:443", "t.zt");
    expect(r.diagnostics).toEqual([]);
    const t = r.ast.items[0] as TenantDecl;
    expect(t).toMatchObject({ kind: "Tenant", block: false, name: { text: "payments", span: { start: 7, end: 15 } } });
    const rule = t.body[0] as RuleStmt;
    expect(rule).toMatchObject({ action: "allow", direction: "egress" });
    expect(rule.bare?.targets[0]).toMatchObject({ kind: "Host", name: { text: "api.stripe.com" }, port: { port: { value: 443 } } });
  });

  it("parses every peer kind", () => {
    const [r] = rules(`tenant p { allow egress to a.example.com:443, *.x.com, **.y.com, *, cidr 10.0.0.0/8 except 10.1.0.0/16, 10.2.0.0/16,
      cidr fd00::/8, entity kube-apiserver, tenant ledger, tenant ledger workload api, namespace monitoring workload app=prom, x in (a, b),
      service kube-system/metrics-server, workload api, db, within namespace }`);
    expect(r!.to!.targets.map((t) => t.kind)).toEqual([
      "Host", "Host", "Host", "Host", "Cidr", "Cidr", "Entity", "TenantRef", "TenantRef", "NamespaceRef", "Service", "WorkloadRef", "WorkloadRef", "Within",
    ]);
    const cidr = r!.to!.targets[4]!;
    expect(cidr.kind === "Cidr" && cidr.except.map((e) => e.text)).toEqual(["10.1.0.0/16", "10.2.0.0/16"]);
    const ns = r!.to!.targets[9]!;
    expect(ns.kind === "NamespaceRef" && ns.selector?.terms.map((t) => `${t.key?.text} ${t.op} ${t.values.map((v) => v.text).join(",")}`)).toEqual([
      "app = prom",
      "x in a,b",
    ]);
  });

  it("parses ports, protocols, ranges and named ports", () => {
    const [r] = rules("tenant p { allow ingress port 80, 443/tcp, 53/udp, 8000-8999/any, http, metrics from tenant x }");
    expect(r!.ports!.ports.map((p) => [p.port?.value, p.end?.value, p.protocol?.text])).toEqual([
      [80, undefined, undefined],
      [443, undefined, "tcp"],
      [53, undefined, "udp"],
      [8000, 8999, "any"],
      ["http", undefined, undefined],
      ["metrics", undefined, undefined],
    ]);
  });

  it("parses selectors with every Kubernetes operator", () => {
    const r = parse(`tenant p { workload w = app=a, tier!=b, env in (x, y), zone notin (z), canary, !legacy, app.kubernetes.io/name="n 1" in namespace p2 }`, "t.zt");
    expect(r.diagnostics).toEqual([]);
    const w = (r.ast.items[0] as TenantDecl).body[0]!;
    expect(w.kind === "Workload" && w.selector!.terms.map((t) => `${t.key?.text}${t.op}${t.values.map((v) => v.text)}`)).toEqual([
      "app=a",
      "tier!=b",
      "envinx,y",
      "zonenotinz",
      "canaryexists",
      "legacy!exists",
      "app.kubernetes.io/name=n 1",
    ]);
    expect(w.kind === "Workload" && w.namespace?.text).toBe("p2");
  });

  it("accepts keywords as names where a name is declared", () => {
    const r = parse("tenant default { workload ingress = app=i\n allow egress from workload ingress to entity host port 1 }", "t.zt");
    expect(r.diagnostics).toEqual([]);
  });

  it("reads a statement keyword first on its line as a name where a list or an argument goes on", () => {
    const text = [
      "tenant payments {",
      "  workload api = app in (",
      "    mode,",
      "    allow)",
      "  use stdlib.http-egress(",
      "    mode: audit,",
      "    tenant: payments)",
      "  allow egress from api to tenant ledger,",
      "    tenant checkout",
      "}",
      "",
    ].join("\n");
    const r = parse(text, "t.zt");
    expect(r.diagnostics).toEqual([]);
    const body = (r.ast.items[0] as TenantDecl).body;
    expect(body.map((b) => b.kind)).toEqual(["Workload", "Use", "Rule"]);
    const rule = body[2] as RuleStmt;
    expect(rule.to?.targets.map((t) => (t.kind === "TenantRef" ? t.tenant?.text : t.kind))).toEqual(["ledger", "checkout"]);
  });

  it("parses HTTP rules", () => {
    const [r] = rules(`tenant p { allow ingress port 8080 from tenant c http GET "/a", POST "/b" header "X-Id" host "h\\\\.example", * "/health", "/any-method" }`);
    expect(r!.http!.rules.map((h) => [h.method?.text, h.path?.value, h.host?.value, h.headers.map((x) => x.value)])).toEqual([
      ["GET", "/a", undefined, []],
      ["POST", "/b", "h\\.example", ["X-Id"]],
      ["*", "/health", undefined, []],
      [undefined, "/any-method", undefined, []],
    ]);
  });

  it("gives every node a span that covers its text", () => {
    const text = "tenant payments {\n  workload api = app=x\n  allow egress from api to api.stripe.com:443\n}\n";
    const r = parse(text, "t.zt");
    const t = r.ast.items[0] as TenantDecl;
    expect(text.slice(t.span.start, t.span.end)).toBe(text.trim());
    const rule = t.body[1] as RuleStmt;
    expect(text.slice(rule.span.start, rule.span.end)).toBe("allow egress from api to api.stripe.com:443");
    expect(text.slice(rule.from!.span.start, rule.from!.span.end)).toBe("from api");
    const host = rule.to!.targets[0]!;
    expect(text.slice(host.span.start, host.span.end)).toBe("api.stripe.com:443");
  });

  it("shares equal spans between trees, and every shared span keeps its own value", () => {
    const text = "tenant payments {\n  allow egress from api to api.stripe.com:443\n}\n";
    const a = (parse(text, "a.zt").ast.items[0] as TenantDecl).body[0] as RuleStmt;
    const b = (parse(text, "b.zt").ast.items[0] as TenantDecl).body[0] as RuleStmt;
    expect(b.span).toBe(a.span);
    expect(b.to!.targets[0]!.span).toBe(a.to!.targets[0]!.span);
    // Colliding slots of the cache must never hand out a span with other offsets.
    const made = new Map<string, Span>();
    for (let start = 0; start < 3000; start += 7)
      for (let len = 0; len < 40; len += 3) {
        const s = sharedSpan(start, start + len);
        expect(s).toEqual({ start, end: start + len });
        made.set(`${start}:${len}`, s);
      }
    for (const [key, s] of made) expect(`${s.start}:${s.end - s.start}`).toBe(key);
  });
});

describe("bad input never throws", () => {
  it.each([
    ["empty", ""],
    ["only comments", "// nothing\n/* here */"],
    ["a BOM", "\ufefftenant payments allow egress api.stripe.com:443"],
    ["CRLF", "tenant payments {\r\n  allow egress api.stripe.com:443\r\n}\r\n"],
    ["unterminated string", 'tenant p { allow ingress port 1 from tenant x http GET "/a'],
    ["unterminated comment", "tenant p /* no end"],
    ["garbage", "§§§ ### @@@ ???"],
    ["deep braces", "{".repeat(10_000)],
    ["many closing braces", "}".repeat(10_000)],
    ["long line", "tenant p allow egress " + "a.".repeat(100_000) + "com:443"],
  ])("%s", (_name, text) => {
    const r = parse(text, "t.zt");
    expect(r.ast.kind).toBe("File");
    expect(r.diagnostics.length).toBeLessThanOrEqual(101);
  });

  it("BOM and CRLF parse cleanly with correct spans", () => {
    expect(parse("\ufefftenant payments allow egress api.stripe.com:443", "t.zt").diagnostics).toEqual([]);
    const crlf = "tenant payments {\r\n  allow egress api.stripe.com:443\r\n}\r\n";
    const r = parse(crlf, "t.zt");
    expect(r.diagnostics).toEqual([]);
    const rule = (r.ast.items[0] as TenantDecl).body[0]!;
    expect(crlf.slice(rule.span.start, rule.span.end)).toBe("allow egress api.stripe.com:443");
  });

  it("reports unterminated comments and bad escapes at the right place", () => {
    const c = parse("tenant p allow egress a.com:443 /* open", "t.zt");
    expect(c.diagnostics.map((d) => [d.code, d.span.start])).toEqual([["ZT1004", 32]]);
    // In .zt source a regex backslash is written twice; a lone one starts an unknown escape.
    const e = parse(String.raw`tenant p { allow ingress port 1 from tenant x http GET "/a\\d" }`, "t.zt");
    expect(e.diagnostics).toEqual([]);
    const bad = parse(String.raw`tenant p { allow ingress port 1 from tenant x http GET "/a\q\d" }`, "t.zt");
    expect(bad.diagnostics.map((d) => [d.code, d.span.end - d.span.start])).toEqual([
      ["ZT1008", 2],
      ["ZT1008", 2],
    ]);
  });

  it("reports a NUL byte as a binary file, once", () => {
    const r = parse("tenant p\0\0\0 allow", "t.zt");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["ZT1005"]);
  });

  it("refuses a file above the size limit without lexing it", () => {
    const big = "// " + "x".repeat(5 * 1024 * 1024);
    const r = parse(big, "t.zt");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["ZT1006"]);
  });

  it("caps the number of syntax errors", () => {
    const r = parse("§ ".repeat(500), "t.zt");
    expect(r.diagnostics.length).toBe(101);
    expect(r.diagnostics[100]!.code).toBe("ZT1007");
  });
});
