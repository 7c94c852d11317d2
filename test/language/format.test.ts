import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format } from "../../language/format.js";
import { parse, type SourceFileAst } from "../../language/index.js";
import { policyFile } from "../helpers/gen.js";

/** The tree without positions: what must not change when only layout changes. */
function shape(ast: SourceFileAst): unknown {
  return JSON.parse(JSON.stringify(ast.items, (k, v) => (k === "span" || k.endsWith("Span") || k === "openBrace" || k === "closeBrace" ? undefined : v)));
}

function fmt(text: string): string {
  const r = format(text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.text;
}

describe("ztc fmt", () => {
  it("produces the canonical layout", () => {
    const input = `// payments
tenant payments {
workload api    = app = payments-api
    workload worker=app=w,tier in ( a ,b ) in namespace payments-batch   // pinned



  allow egress   api.stripe.com : 443
  allow ingress to api port 8080 , 53 / udp from tenant checkout
     // only these calls
     http GET "/v1", POST "/v2"
  allow egress to cidr 10.0.0.0/8 except 10.1.0.0/16 port 8000 - 8999
}
tenant payments allow egress   files.stripe.com:443
`;
    expect(fmt(input)).toBe(`// payments
tenant payments {
  workload api    = app=payments-api
  workload worker = app=w, tier in (a, b) in namespace payments-batch // pinned

  allow egress api.stripe.com:443
  allow ingress to api port 8080, 53/udp from tenant checkout
    // only these calls
    http GET "/v1", POST "/v2"
  allow egress to cidr 10.0.0.0/8 except 10.1.0.0/16 port 8000-8999
}
tenant payments allow egress files.stripe.com:443
`);
  });

  it("lays out rule sets, baselines and uses, and aligns consecutive workloads", () => {
    const input = `import "stdlib/dns@1"
export ruleset scrape ( port : port=9090, ns:namespace = monitoring ) { allow ingress port $port from namespace $ns
use dns( port : 53/any ) }
baseline defaults { applies to all tenants
  default deny ingress , egress
use scrape(port:9100) }
tenant payments {
  workload api=app=payments-api
  workload worker = app=payments-worker

  workload db = app=db
  use scrape ( port: 8080 ) for api , worker
}
`;
    expect(fmt(input)).toBe(`import "stdlib/dns@1"
export ruleset scrape(port: port = 9090, ns: namespace = monitoring) {
  allow ingress port $port from namespace $ns
  use dns(port: 53/any)
}
baseline defaults {
  applies to all tenants
  default deny ingress, egress
  use scrape(port: 9100)
}
tenant payments {
  workload api    = app=payments-api
  workload worker = app=payments-worker

  workload db = app=db
  use scrape(port: 8080) for api, worker
}
`);
  });

  it("leaves every bundled stdlib module and the example repository formatted", () => {
    const root = join(import.meta.dirname, "../..");
    const files = [...readdirSync(join(root, "stdlib")).map((f) => `stdlib/${f}`), ...readdirSync(join(root, "examples/acme"), { recursive: true }).map((f) => `examples/acme/${String(f)}`)].filter((f) => f.endsWith(".zt"));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = readFileSync(join(root, f), "utf8");
      expect(fmt(text), f).toBe(text);
    }
  });

  it("refuses files with syntax errors and changes nothing", () => {
    const r = format("tenant payments { allow egress to }");
    expect(r.ok).toBe(false);
  });

  it("handles empty files and comment-only files", () => {
    expect(fmt("")).toBe("");
    expect(fmt("\n\n// only a comment\n\n")).toBe("// only a comment\n");
  });

  it("is idempotent, keeps every comment and never changes the tree (property)", () => {
    fc.assert(
      fc.property(policyFile(true), (text) => {
        const once = fmt(text);
        expect(fmt(once)).toBe(once);
        const comments = (t: string) => parse(t).ast.comments.map((c) => c.text.replace(/\r\n/g, "\n"));
        expect(comments(once)).toEqual(comments(text));
        expect(shape(parse(once).ast)).toEqual(shape(parse(text).ast));
      }),
      { numRuns: 300 },
    );
  });
});
