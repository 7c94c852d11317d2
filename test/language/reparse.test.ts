/**
 * Re-parsing after an edit (the language server's fast path) gives exactly parse()'s result:
 * random files with tenant blocks, random edits anywhere, including ones that break the syntax.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "../../language/index.js";
import { reparse } from "../../language/reparse.js";

const STATEMENTS = [
  "workload api = app=payments-api",
  "workload worker = app=worker, tier in (a, b) in namespace payments-batch",
  "allow egress from api to api.stripe.com:443, files.stripe.com:443",
  "allow egress from worker to tenant ledger workload ledger-api port 8443",
  "allow ingress to api port 8080 from tenant checkout\n    http GET \"/v1/charges/[0-9]+\", POST \"/v1/charges\"",
  "allow egress to cidr 10.40.0.0/16 except 10.40.9.0/24 port 5432",
  "deny egress to cidr 169.254.169.254/32",
  "allow ingress to api port 8443 from namespace monitoring workload app.kubernetes.io/name=prometheus",
  "allow within namespace port 7000",
  "// a comment",
  "/* a block\n     comment */",
  "allow egress to",
  "allo egress from api to x.example.com:443",
  "allow egress to tenant",
  "workload = app=",
  "allow egress from api to api.stripe.com: port 1",
  'allow ingress to api port 80 from tenant checkout http GET "/unterminated',
  "use prometheus-scrape(port: 9100) for api",
  "use zero-trust audit",
  "use (",
  "mode audit",
  "dns strict",
  "mode",
  "expect api -> api.stripe.com:443 allowed",
  'expect checkout/web -> api:8080 http GET "/v1" denied',
  "expect default deny",
  "expect api ->",
  "allow egress from api to tenant ledger in cluster east port 8443 authenticated",
  "allow egress to api.stripe.com:443 grpc \"pkg.Svc/Method\"",
];
const PIECES = ["", " ", "\n", "allow", "deny", "use", "mode", "expect", "->", "allowed", "(", "egress", "to", "from", "tenant", "workload", "x", "api", ".", ":", "443", ",", "{", "}", "\"", "/*", "*/", "//", "=", "port", "http", "#", "\t", "in", "namespace"];

const file = fc
  .tuple(
    fc.array(fc.constantFrom(...STATEMENTS), { minLength: 3, maxLength: 12 }),
    fc.constantFrom("", "// header\n", "tenant ledger allow egress to api.stripe.com:443\n"),
    fc.constantFrom("", "\ntenant checkout allow egress to x.example:443\n", "\ntenant search {\n  allow egress to y.example:443\n}\n"),
  )
  .map(([stmts, head, rest]) => `${head}tenant payments {\n${stmts.map((s) => `  ${s}`).join("\n")}\n}\n${rest}`);

// Positions as integers: fast-check's doubles favour 0 and 1, which would put most edits outside the block.
const edit = fc.tuple(fc.nat({ max: 1_000_000 }), fc.nat({ max: 12 }), fc.array(fc.constantFrom(...PIECES), { maxLength: 4 }));

function apply(text: string, [where, remove, pieces]: [number, number, string[]]): string {
  const at = where % (text.length + 1);
  return text.slice(0, at) + pieces.join("") + text.slice(Math.min(text.length, at + remove));
}

describe("reparse", () => {
  it("gives exactly parse()'s result, or leaves the file to parse()", () => {
    let fast = 0;
    let total = 0;
    fc.assert(
      fc.property(file, fc.array(edit, { minLength: 1, maxLength: 4 }), (text, edits) => {
        let previous = { text, ...parse(text, "f.zt") };
        for (const e of edits) {
          const next = apply(previous.text, e);
          const full = parse(next, "f.zt");
          const quick = reparse(previous, next, "f.zt");
          total++;
          if (quick) {
            fast++;
            expect(quick).toEqual(full);
          }
          previous = { text: next, ...(quick ?? full) };
        }
      }),
      { numRuns: 2000 },
    );
    // These edits are adversarial (braces, quotes, comment openers): still, many take the fast path.
    expect(fast / total).toBeGreaterThan(0.25);
  });

  it("takes the fast path for typical edits of a large block", () => {
    const text = `tenant payments {\n${Array.from({ length: 300 }, (_, i) => `  allow egress to tenant ledger port ${1000 + i}`).join("\n")}\n}\n`;
    const previous = { text, ...parse(text) };
    for (const [from, to] of [
      ["port 1150", "port 1151"],
      ["port 1150", "port"],
      ["port 1150", "port 1150\n  allow egress to"],
      ["tenant ledger port 1299", "tenant"],
    ] as const) {
      const next = text.replace(from, to);
      const quick = reparse(previous, next);
      expect(quick, `${from} -> ${to}`).toBeDefined();
      expect(quick).toEqual(parse(next));
    }
  });

  it("takes the fast path while a statement is typed character by character, broken or not", () => {
    const lines = Array.from({ length: 200 }, (_, i) => `  allow egress from api to tenant ledger workload db port ${1000 + i}`);
    let text = `tenant payments {\n  workload api = app=api\n${lines.join("\n")}\n}\n`;
    let previous = { text, ...parse(text) };
    // On a line of its own, as after pressing Enter at the end of a line.
    let at = text.indexOf("  allow egress from api to tenant ledger workload db port 1100") - 1;
    let fast = 0;
    const typed = '\n  allow ingress to api port 8080 from tenant checkout workload web http GET "/v1/[0-9]+", POST "/v2"';
    for (const ch of typed) {
      text = text.slice(0, at) + ch + text.slice(at);
      at++;
      const quick = reparse(previous, text);
      if (quick) {
        fast++;
        expect(quick).toEqual(parse(text));
      }
      previous = { text, ...(quick ?? parse(text)) };
    }
    // Every keystroke: while the line ends in `from tenant` or `workload`, the next line's `allow`
    // is a statement, not the missing name (the lexer types a statement keyword first on a line).
    expect(fast).toBe(typed.length);
  });

  it("agrees with parse() on every recovery fixture under single-character edits", () => {
    const dir = join(import.meta.dirname, "../fixtures/recovery");
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".zt"))) {
      const text = readFileSync(join(dir, name), "utf8");
      const previous = { text, ...parse(text, name) };
      for (let at = 0; at < text.length; at += 3)
        for (const ch of ["", "x", "\n", "}", " ", "=", ":"]) {
          const next = text.slice(0, at) + ch + text.slice(at + 1);
          const quick = reparse(previous, next, name);
          if (quick) expect(quick, `${name} @${at} ${JSON.stringify(ch)}`).toEqual(parse(next, name));
        }
    }
  });
});
