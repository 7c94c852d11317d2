/**
 * The editor's evaluation context is built from the previous snapshots' policies (per tenant and
 * baseline, compiler/evaluation.ts), reading a tenant's rules only when a flow needs them. It must
 * decide every flow, every `expect` and every code lens exactly as the whole compiled output does
 * (compiledContext: program.emit(), read at once, as `ztc test` and `ztc explain` do), and as a
 * fresh editor context over a fresh program, after any sequence of edits, whether or not the editor
 * asked for a context in between.
 */
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compiledContext, evaluationContext } from "../../compiler/evaluation.js";
import { policyText } from "../../compiler/evaluator/index.js";
import { explain, explanationJson } from "../../compiler/explain.js";
import { createMemoryHost, createNodeHost, overlayHost, type CompilerHost } from "../../compiler/host.js";
import { createProgram, type Program } from "../../compiler/program.js";
import { documentFor } from "../../compiler/services/index.js";
import { getCodeLenses } from "../../compiler/services/explain.js";
import { evaluateExpectation, runTests } from "../../compiler/tests.js";
import { DEFAULT_TENANTS, projectFiles, TODAY } from "../helpers/project.js";

/** Statements that change what the policies do: subjects, peers, ports, L7, deny, modes. */
const STATEMENTS: Record<string, string[]> = {
  payments: [
    "allow egress from api to tenant ledger workload db port 5432",
    "allow egress from worker to tenant ledger port 8443",
    "allow ingress to api port 8080 from tenant checkout workload web",
    'allow ingress to api port 8081 from tenant checkout workload web http GET "/v1/.*"',
    "allow egress from api to api.stripe.com:443",
    "allow egress to cidr 10.40.0.0/16 port 5432",
    "deny egress to cidr 10.40.0.0/16",
    "deny egress from api to tenant ledger",
    "allow within namespace port 7000",
    "use prometheus-scrape(port: 9100) for api",
    "mode audit",
    "dns strict",
    "expect api -> ledger/db:5432 allowed",
    "expect api -> api.stripe.com:443 denied",
    "expect default deny for tenant payments",
  ],
  checkout: [
    "allow egress from web to tenant payments workload api port 8080",
    'allow egress from web to tenant payments workload api port 8081 http GET "/v1/items"',
    "allow ingress to web port 80 from namespace ingress-nginx",
    "allow egress from web to api.stripe.com:443",
    "mode audit",
    "expect web -> payments/api:8080 allowed",
    'expect web -> payments/api:8081 http GET "/v1/items" allowed',
  ],
  ledger: [
    "allow ingress to db port 5432 from tenant payments workload api",
    "allow ingress port 8443 from tenant payments",
    "allow ingress to db port 5432 from namespace payments",
    "allow egress from db to tenant checkout workload web port 80",
    "expect payments/api -> db:5432 allowed",
  ],
};

/** Every tenant file declares its workloads: the others' rules name them. */
const WORKLOADS: Record<string, string[]> = {
  payments: ["workload api = app=payments-api", "workload worker = app=worker in namespace payments-batch"],
  checkout: ["workload web = app=web"],
  ledger: ["workload db = app=db"],
};

const PLATFORM: Record<string, string[]> = {
  "platform/baseline.zt": [
    'import "stdlib/baseline@1"\nbaseline defaults {\n  applies to all tenants\n  use zero-trust\n}\n',
    'import "stdlib/within-namespace@1"\nbaseline batch {\n  applies to tenants payments, ledger\n  use within-namespace\n}\n',
    "baseline dns {\n  applies to tenants payments, ledger\n  allow egress to service kube-system/kube-dns port 53/udp\n}\n",
    // Namespaces no tenant policy makes default-deny: only the baseline decides them.
    'import "stdlib/baseline@1"\nbaseline system {\n  applies to namespaces kube-system, monitoring\n  use zero-trust\n}\n',
    'import "stdlib/baseline@1"\nbaseline system {\n  applies to namespaces monitoring\n  use zero-trust\n}\n',
    "baseline system {\n  applies to namespaces kube-system, monitoring\n  allow egress to service kube-system/kube-dns port 53/udp\n}\n",
  ],
  "platform/tests.zt": ["expect default deny for all tenants\n", "expect payments/api -> ledger/db:5432 allowed\nexpect checkout/web -> payments/api:8080 denied\n"],
};

const tenantFile = (tenant: string) =>
  fc
    .subarray(STATEMENTS[tenant]!, { minLength: 0, maxLength: Math.min(7, STATEMENTS[tenant]!.length) })
    .map((stmts) => `import "stdlib/prometheus@1"\ntenant ${tenant} {\n${[...WORKLOADS[tenant]!, ...stmts].map((s) => `  ${s}`).join("\n")}\n}\n`);

const contents: Record<string, fc.Arbitrary<string | undefined>> = {
  ...Object.fromEntries(Object.keys(WORKLOADS).map((t) => [`tenants/${t}/policy.zt`, tenantFile(t)])),
  ...Object.fromEntries(Object.entries(PLATFORM).map(([f, options]) => [f, fc.option(fc.constantFrom(...options), { nil: undefined })])),
};
type Files = Record<string, string | undefined>;
const KEEP = Symbol("keep");
const project = fc.record(contents) as fc.Arbitrary<Files>;
/** An edit: most files stay as they were, and the editor may or may not ask for lenses after it. */
const edit = fc.record({
  files: fc.record(Object.fromEntries(Object.entries(contents).map(([f, c]) => [f, fc.oneof({ weight: 2, arbitrary: fc.constant(KEEP) }, { weight: 1, arbitrary: c })]))),
  evaluate: fc.boolean(),
}) as fc.Arbitrary<{ files: Record<string, string | undefined | typeof KEEP>; evaluate: boolean }>;

/** The default registry, with `mode audit` allowed to payments and checkout. */
const TENANTS = DEFAULT_TENANTS.replace("    owners: [team-payments]\n", "    owners: [team-payments]\n    audit-allowed: true\n").replace(
  "    namespaces: [checkout]\n",
  "    namespaces: [checkout]\n    audit-allowed: true\n",
);

/** Hosts over the same files share a listing, as the language server's snapshots do. */
const listings = new Map<string, readonly string[]>();
function hostOf(p: Files): CompilerHost {
  const files: Record<string, string> = { "registry/tenants.yaml": TENANTS };
  for (const [k, v] of Object.entries(p)) if (v !== undefined) files[k] = v;
  const host = createMemoryHost(projectFiles(files));
  const key = host.listFiles().join("\u0000");
  if (!listings.has(key)) listings.set(key, host.listFiles());
  const listing = listings.get(key)!;
  return { ...host, listFiles: () => listing };
}

/** Flows between every workload and namespace, and to and from the outside. */
const ENDPOINTS = ["payments/api", "payments/worker", "payments", "payments-batch", "checkout/web", "checkout", "ledger/db", "ledger", "ingress-nginx", "monitoring/prometheus"];
const FLOWS = [
  ...ENDPOINTS.flatMap((a) => ENDPOINTS.flatMap((b) => [`${a} -> ${b}:5432`, `${a} -> ${b}:8080`])),
  ...ENDPOINTS.flatMap((a) => [`${a} -> api.stripe.com:443`, `${a} -> 10.40.1.1:5432`, `${a} -> 10.40.1.1:9`, `${a} -> kube-system/kube-dns:53/udp`]),
  "checkout/web -> payments/api:8081 http GET /v1/items",
  "checkout/web -> payments/api:8081 http POST /v1/items",
];

/** Everything `ztc test` / `ztc explain` say from a context; with `lenses`, what the editor shows. */
function verdicts(p: Program, ctx = evaluationContext(p), lenses = true) {
  if (!ctx) return undefined;
  const expectations = p.getCheck()!.expectations.map((e) => {
    const r = evaluateExpectation(ctx, e);
    return { e: `${e.file}:${e.line}`, cases: r.cases.map((c) => `${c.name} ${c.passed} ${c.diagnostic?.message ?? ""} ${JSON.stringify(c.diagnostic?.related ?? [])}`), summary: r.decision?.summary };
  });
  const titles = lenses ? p.units.filter((u) => !u.path.startsWith("stdlib")).map((u) => getCodeLenses(documentFor(p, u.path, u.text)).map((l) => `${u.path}:${l.span.start} ${l.title}`)) : [];
  const flows = FLOWS.map((f) => {
    const r = explain(f, ctx);
    return r.ok ? JSON.stringify(explanationJson(r.explanation)) : r.error;
  });
  const defaultDeny = [...ctx.project.tenants.namespaces.keys()].map((ns) => `${ns} ${JSON.stringify(ctx.defaultDeny(ns))}`);
  return { expectations, titles, flows, defaultDeny };
}

/** The rules an editor context holds (its index is made of the previous snapshots' parts), in order. */
function ruleList(p: Program, ctx = evaluationContext(p)) {
  return ctx && { rules: ctx.evaluator.rules.map((r) => `${policyText(r.policy)} ${r.rule}`), problems: ctx.evaluator.problems };
}

function agree(editor: Program, fresh: Program): void {
  const said = verdicts(editor);
  expect(said).toEqual(verdicts(fresh));
  const rules = ruleList(editor);
  expect(rules).toEqual(ruleList(fresh));
  // The same rules as the compiled output's (whose order is that of the files, not of the registry).
  expect(rules && [...rules.rules].sort()).toEqual(ruleList(fresh, compiledContext(fresh)) && [...ruleList(fresh, compiledContext(fresh))!.rules].sort());
  // Lenses are built from the expectations' verdicts, which must be the compiled output's.
  expect(said && { ...said, titles: [] }).toEqual(verdicts(fresh, compiledContext(fresh), false));
}

describe("the editor's evaluation context", () => {
  it("decides as the compiled output does, after any sequence of edits", () => {
    fc.assert(
      fc.property(project, fc.array(edit, { minLength: 1, maxLength: 4 }), (first, edits) => {
        let previous = createProgram(hostOf(first), { today: TODAY });
        verdicts(previous);
        let files = first;
        for (const e of edits) {
          files = Object.fromEntries(Object.keys(contents).map((f) => [f, e.files[f] === KEEP ? files[f] : (e.files[f] as string | undefined)]));
          const host = hostOf(files);
          const incremental = createProgram(host, { today: TODAY }, previous);
          if (e.evaluate) agree(incremental, createProgram(host, { today: TODAY }));
          previous = incremental;
        }
        agree(previous, createProgram(hostOf(files), { today: TODAY }));
      }),
      { numRuns: 40 },
    );
  });
});

/** The example repository, as an editor changes it: each edit's lenses against `ztc test` on the same files. */
const EXAMPLE = join(import.meta.dirname, "../../examples/acme");
const EDITS: readonly (readonly [file: string, from: string, to: string])[] = [
  // Stripe is no longer reached: two expectations fail.
  ["tenants/payments/policy.zt", "allow egress from api to api.stripe.com:443, files.stripe.com:443", "allow egress from api to files.stripe.com:443"],
  // Checkout may delete charges too: the DELETE expectation fails.
  ["tenants/payments/policy.zt", 'http GET "/v1/charges/[0-9]+", POST "/v1/charges"', 'http GET "/v1/charges/[0-9]+", POST "/v1/charges", DELETE "/v1/charges/[0-9]+"'],
  // The ledger no longer admits settlements.
  ["tenants/ledger/policy.zt", "8443", "8444"],
  // Back as it was.
  ["tenants/ledger/policy.zt", "8444", "8443"],
  ["tenants/payments/policy.zt", 'http GET "/v1/charges/[0-9]+", POST "/v1/charges", DELETE "/v1/charges/[0-9]+"', 'http GET "/v1/charges/[0-9]+", POST "/v1/charges"'],
  ["tenants/payments/policy.zt", "allow egress from api to files.stripe.com:443", "allow egress from api to api.stripe.com:443, files.stripe.com:443"],
];

/** `file:line` -> what a lens says of the `expect` there, from `ztc test`'s cases. */
function testResults(p: Program): Map<string, string> {
  const byLine = new Map<string, { passed: boolean; message?: string | undefined }>();
  for (const c of runTests(p, { invariants: false })!.cases) {
    const key = `${c.file}:${c.line}`;
    const known = byLine.get(key);
    if (!known) byLine.set(key, { passed: c.passed, message: c.diagnostic?.message });
    else if (known.passed && !c.passed) byLine.set(key, { passed: false, message: c.diagnostic?.message });
  }
  return new Map([...byLine].map(([k, v]) => [k, v.passed ? "holds" : `fails: ${v.message}`]));
}

function lensResults(p: Program): Map<string, string> {
  const out = new Map<string, string>();
  for (const u of p.units)
    for (const l of getCodeLenses(documentFor(p, u.path, u.text))) out.set(`${u.path}:${u.lines.positionAt(l.span.start).line + 1}`, l.title.replace(/^✓ holds.*$/, "holds").replace(/^✗ /, ""));
  return out;
}

describe("code lenses on the example repository", () => {
  it("say what `ztc test` says, after every edit", () => {
    const disk = createNodeHost(EXAMPLE);
    const overlay = new Map<string, string>();
    let editor = createProgram(disk, { today: TODAY });
    expect(lensResults(editor)).toEqual(testResults(editor));
    expect([...lensResults(editor).values()].every((v) => v === "holds")).toBe(true);
    const failing: number[] = [];
    for (const [file, from, to] of EDITS) {
      const text = overlay.get(file) ?? editor.fileText(file)!;
      expect(text).toContain(from);
      overlay.set(file, text.replace(from, to));
      const host = overlayHost(disk, overlay);
      editor = createProgram(host, { today: TODAY }, editor);
      const lenses = lensResults(editor);
      expect(lenses).toEqual(testResults(createProgram(host, { today: TODAY })));
      failing.push([...lenses.values()].filter((v) => v !== "holds").length);
    }
    // The edits above make expectations fail and hold again.
    expect(failing).toEqual([1, 2, 3, 2, 1, 0]);
  });
});

describe("a baseline's policies in the editor's context", () => {
  // The editor emits a baseline again only when its symbol or atoms differ from the last ones it
  // emitted (they are made anew by every check): a change in a tenant's file that a baseline names
  // must still reach it.
  it("follow an edit of a workload the baseline names", () => {
    const tenant = (selector: string) => `tenant checkout {\n  workload web = ${selector}\n  allow ingress to web port 80 from namespace ingress-nginx\n}\n`;
    const files = (selector: string): Files => ({
      "tenants/checkout/policy.zt": tenant(selector),
      "platform/baseline.zt": "baseline scrape {\n  applies to tenants payments, ledger\n  allow egress to tenant checkout workload web port 9090\n}\n",
      "platform/tests.zt": "expect namespace payments -> checkout/web:9090 allowed\nexpect default deny for all tenants\n",
    });
    let editor = createProgram(hostOf(files("app=web")), { today: TODAY });
    expect(editor.getDiagnostics().filter((d) => d.severity === "error")).toEqual([]);
    agree(editor, createProgram(hostOf(files("app=web")), { today: TODAY }));
    for (const selector of ["app=shop", "app=shop, tier=front", "app=web"]) {
      const host = hostOf(files(selector));
      editor = createProgram(host, { today: TODAY }, editor);
      agree(editor, createProgram(host, { today: TODAY }));
    }
    const lenses = getCodeLenses(documentFor(editor, "platform/tests.zt", editor.fileText("platform/tests.zt")!)).map((l) => l.title);
    // The baseline allows the egress to the workload as it is now (checkout admits no ingress there).
    expect(lenses[0]).toContain("egress: allowed;");
  });
});
