/**
 * A program built from the previous one (as the language server does on every edit) must say
 * exactly what a fresh program says: same diagnostics, same atoms, same emitted YAML. Random
 * multi-tenant projects with references across tenants, random edits.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMemoryHost, type CompilerHost } from "../../compiler/host.js";
import { renderStream } from "../../compiler/output.js";
import { createProgram, type Program } from "../../compiler/program.js";
import { projectFiles, TODAY, type ProjectFiles } from "../helpers/project.js";

const STATEMENTS: Record<string, string[]> = {
  payments: [
    "workload api = app=payments-api",
    "workload worker = app=worker in namespace payments-batch",
    "workload api = app=duplicate",
    "allow egress from api to tenant ledger workload db port 5432",
    "allow egress from worker to tenant ledger port 8443",
    "allow ingress to api port 8080 from tenant checkout workload web",
    "allow egress from api to api.stripe.com:443",
    "allow egress from api to api.evil.example:443",
    "allow egress from api to namespace checkout port 80",
    "allow egress from nope to api.stripe.com:443",
    "allow egress to cidr 10.40.0.0/16 port 5432",
    "deny egress to cidr 10.40.0.0/16",
    "allow egress from api to",
    "allow within namespace port 7000",
    "use prometheus-scrape(port: 9100) for api",
    "use prometheus-scrape",
    "mode audit",
    "dns strict",
    "expect api -> ledger/db:5432 allowed",
    "expect api -> api.stripe.com:443 denied",
    "use shared.metrics for worker",
  ],
  checkout: [
    "workload web = app=web",
    "allow egress from web to tenant payments workload api port 8080",
    "allow egress from web to tenant payments workload worker port 9000",
    "allow ingress to web port 80 from namespace ingress-nginx",
    "allow egress from web to api.stripe.com:443",
    "allow egress from web to tenant ledger port 8443",
    "use prometheus-scrape for web",
    "expect web -> payments/api:8080 allowed",
  ],
  ledger: [
    "workload db = app=db",
    "allow ingress to db port 5432 from tenant payments workload api",
    "allow ingress port 8443 from tenant payments",
    "allow ingress to db port 5432 from namespace payments",
    "allow egress from db to tenant checkout workload web port 80",
    "allow ingress to dbb port 1 from tenant checkout",
  ],
};

const FILES = ["tenants/payments/a.zt", "tenants/payments/b.zt", "tenants/checkout/policy.zt", "tenants/ledger/policy.zt"];
const tenantOf = (file: string) => file.split("/")[1]!;

/** Platform files: baselines are re-checked on every edit, expectations against the whole result. */
const PLATFORM: Record<string, string[]> = {
  "platform/baseline.zt": [
    'import "stdlib/baseline@1"\nbaseline defaults {\n  applies to all tenants\n  use zero-trust\n}\n',
    "baseline dns {\n  applies to tenants payments, ledger\n  allow egress to service kube-system/kube-dns port 53/udp dns *\n}\n",
  ],
  "platform/tests.zt": ["expect default deny for all tenants\n", "expect payments/api -> ledger/db:5432 allowed\nexpect checkout/web -> payments/nope:1 denied\n"],
  // A module the tenants may import: it comes and goes, so imports of it resolve or fail
  // (or, importing a tenant's file, closes an import cycle).
  "platform/shared.zt": [
    "export ruleset metrics() {\n  allow egress to service kube-system/metrics-server port 443\n}\n",
    'import "../tenants/ledger/policy.zt"\nexport ruleset metrics() {\n  allow egress to service kube-system/metrics-server port 443\n}\n',
  ],
};

/** A file: one or two blocks (sometimes of another tenant, which the file may not speak for). */
const fileContent = (file: string) =>
  fc
    .tuple(
      fc.subarray(STATEMENTS[tenantOf(file)]!, { minLength: 0, maxLength: 6 }),
      fc.boolean(),
      fc.constantFrom("", "tenant checkout allow egress to api.stripe.com:443\n", "tenant nobody allow egress to x.example:443\n", "tenant payments {\n"),
      fc.constantFrom("", 'import "stdlib/prometheus@1"\n', 'import "../../platform/shared.zt"\n', 'import "stdlib/prometheus@1"\nimport "../../platform/shared.zt"\n'),
    )
    .map(([stmts, oneLine, extra, imports]) =>
      imports +
      (oneLine && stmts.length > 0
        ? stmts.map((s) => `tenant ${tenantOf(file)} ${s}`).join("\n") + "\n" + extra
        : `tenant ${tenantOf(file)} {\n${stmts.map((s) => `  ${s}`).join("\n")}\n}\n${extra}`),
    );

const contents: Record<string, fc.Arbitrary<string | undefined>> = {
  ...Object.fromEntries(FILES.map((f) => [f, fc.option(fileContent(f), { nil: undefined })])),
  ...Object.fromEntries(Object.entries(PLATFORM).map(([f, options]) => [f, fc.option(fc.constantFrom(...options), { nil: undefined })])),
};
const project = fc.record(contents) as fc.Arbitrary<Record<string, string | undefined>>;

/** An edit: most files stay as they were (their units are reused), some change, appear or go. */
const KEEP = Symbol("keep");
const edit = fc.record(
  Object.fromEntries(Object.entries(contents).map(([f, c]) => [f, fc.oneof({ weight: 2, arbitrary: fc.constant(KEEP) }, { weight: 1, arbitrary: c })])),
) as fc.Arbitrary<Record<string, string | undefined | typeof KEEP>>;
const apply = (p: Record<string, string | undefined>, e: Record<string, string | undefined | typeof KEEP>) =>
  Object.fromEntries(Object.keys(contents).map((f) => [f, e[f] === KEEP ? p[f] : (e[f] as string | undefined)]));

function files(p: Record<string, string | undefined>): ProjectFiles {
  const out: ProjectFiles = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = v;
  return projectFiles(out);
}

/**
 * A host over the files; hosts over the same set of files share one listing, as the language
 * server's snapshots do (resolved imports are reused while the listing is the same).
 */
const listings = new Map<string, readonly string[]>();
function hostOf(p: Record<string, string | undefined>): CompilerHost {
  const host = createMemoryHost(files(p));
  const key = host.listFiles().join("\u0000");
  if (!listings.has(key)) listings.set(key, host.listFiles());
  const listing = listings.get(key)!;
  return { ...host, listFiles: () => listing };
}

function summary(p: Program) {
  const diagnostics = p.getDiagnostics().map((d) => `${d.file}:${d.span.start}-${d.span.end} ${d.code} ${d.message} ${JSON.stringify(d.related ?? [])} ${JSON.stringify(d.fixes ?? [])}`);
  const atoms = [...(p.getCheck()?.atoms ?? [])].map((a) => `${a.tenant} ${a.baseline ?? ""} ${a.origin.file}:${a.origin.line} ${a.origin.span.start} ${a.peerSpan.start} ${a.direction} ${a.flawed ? "flawed" : ""}`).sort();
  const expectations = (p.getCheck()?.expectations ?? []).map((e) => `${e.file}:${e.line} ${e.text}`);
  const settings = [...(p.getCheck()?.bound.settings ?? [])].map(([t, v]) => `${t}:${v.mode}:${v.dns ?? ""}`).sort();
  const workloads = [...(p.getCheck()?.bound.workloads ?? [])].map(([t, m]) => `${t}:${[...m.keys()].sort().join(",")}`).sort();
  const blocks = (p.getCheck()?.bound.blocks ?? []).map((b) => `${b.unit.path}:${b.decl.span.start} ${b.tenant.name} ${b.unit.text.slice(b.decl.span.start, b.decl.span.end)}`);
  const emitted = p.emit();
  return { diagnostics, atoms, workloads, expectations, settings, blocks, yaml: emitted.ok ? renderStream(emitted.policies) : "" };
}

type Files = Record<string, string | undefined>;

/** Applies the edits in turn, each program built from the one before; each must equal a fresh one. */
function sameAsFresh<E>(first: Files, edits: readonly E[], apply: (files: Files, edit: E) => Files): void {
  let previous = createProgram(hostOf(first), { today: TODAY });
  previous.getDiagnostics();
  let files = first;
  for (const e of edits) {
    files = apply(files, e);
    const host = hostOf(files);
    const incremental = createProgram(host, { today: TODAY }, previous);
    const fresh = createProgram(host, { today: TODAY });
    expect(summary(incremental)).toEqual(summary(fresh));
    previous = incremental;
  }
}

describe("incremental programs", () => {
  it("say exactly what a fresh program says, after any sequence of edits", () => {
    fc.assert(
      fc.property(project, fc.array(edit, { minLength: 1, maxLength: 3 }), (first, edits) => sameAsFresh(first, edits, apply)),
      { numRuns: 150 },
    );
  });

  it("say exactly what a fresh program says, after edits inside tenant blocks (as typed)", () => {
    // Edits a re-parse handles statement by statement: the import statements keep their nodes, so
    // the module graph, the rule set index and the rule cache's uses are reused across them.
    const pool = Object.values(STATEMENTS).flat();
    const typed = fc.record({
      file: fc.constantFrom(...FILES),
      at: fc.nat(),
      kind: fc.constantFrom("replace", "insert", "delete", "type", "erase"),
      statement: fc.constantFrom(...pool),
    });
    const applyTyped = (p: Record<string, string | undefined>, e: { file: string; at: number; kind: string; statement: string }) => {
      const text = p[e.file];
      if (text === undefined) return p;
      const lines = text.split("\n");
      const inside = lines.flatMap((l, i) => (l.startsWith("  ") ? [i] : []));
      if (inside.length === 0) return p;
      const i = inside[e.at % inside.length]!;
      const line = lines[i]!;
      const col = 2 + (e.at % Math.max(1, line.length - 2));
      if (e.kind === "replace") lines[i] = `  ${e.statement}`;
      else if (e.kind === "insert") lines.splice(i, 0, `  ${e.statement}`);
      else if (e.kind === "delete") lines.splice(i, 1);
      else if (e.kind === "type") lines[i] = line.slice(0, col) + "x" + line.slice(col);
      else lines[i] = line.slice(0, col) + line.slice(col + 1);
      return { ...p, [e.file]: lines.join("\n") };
    };
    fc.assert(
      fc.property(project, fc.array(typed, { minLength: 1, maxLength: 6 }), (first, edits) => sameAsFresh(first, edits, applyTyped)),
      { numRuns: 120 },
    );
  });

  it("say exactly what a fresh program says, after rules are replaced by others of the same action", () => {
    // One atom per rule, so a group changes in one place: the overlap analysis updates its findings
    // for the changed atoms and the atoms that may see them, instead of starting afresh.
    const allows = [
      "allow egress from api to api.stripe.com:443",
      "allow egress from api to api.stripe.com:444",
      "allow egress to api.stripe.com:443",
      "allow egress from api to cidr 10.40.0.0/16 port 5432",
      "allow egress from api to cidr 10.40.1.0/24 port 5432",
      "allow egress to cidr 10.40.0.0/16 port 5432",
      "allow egress from worker to cidr 10.40.0.0/16 port 5432",
      "allow egress from api to cidr 10.40.0.0/16 port 5400-5500",
      "allow egress from api to tenant ledger workload db port 5432",
      "allow egress from api to namespace checkout port 80",
      "allow egress from api to namespace checkout port 80-90",
      "allow egress to namespace checkout port 80",
      // Unapproved: an error, so its atom leaves the analyses across rules (the group shrinks).
      "allow egress from api to api.stripe.con:443",
    ];
    const denies = ["deny egress to cidr 10.40.0.0/16", "deny egress to cidr 10.40.2.0/24 port 5432", "deny egress from api to cidr 10.40.0.0/16 port 5432"];
    const policy = (lines: readonly string[]) => `tenant payments {\n  workload api = app=api\n  workload worker = app=worker\n${lines.map((l) => `  ${l}\n`).join("")}}\n`;
    const project = (lines: readonly string[]): Files => ({ ...Object.fromEntries(Object.keys(contents).map((f) => [f, undefined])), "tenants/payments/a.zt": policy(lines), "tenants/ledger/policy.zt": "tenant ledger {\n  workload db = app=db\n}\n" });
    const replacement = fc.record({ at: fc.nat(), pick: fc.nat() });
    // Small blocks, and blocks of several runs of statements (resolveBlock takes 32 at a time).
    for (const [maxLength, numRuns] of [
      [14, 150],
      [100, 25],
    ] as const)
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...allows, ...denies), { minLength: 2, maxLength }), fc.array(replacement, { minLength: 1, maxLength: 6 }), (first, edits) => {
          let lines = first;
          sameAsFresh(project(first), edits, (_files, e) => {
            const i = e.at % lines.length;
            const pool = allows.includes(lines[i]!) ? allows : denies;
            lines = lines.map((l, j) => (j === i ? pool[e.pick % pool.length]! : l));
            return project(lines);
          });
        }),
        { numRuns },
      );
  });

  it("re-check only the tenants an edit concerns, and reuse the registries", () => {
    const base = files({
      "tenants/payments/a.zt": "tenant payments {\n  workload api = app=api\n  allow egress from api to tenant ledger workload db port 5432\n}\n",
      "tenants/checkout/policy.zt": "tenant checkout allow egress to api.stripe.com:443\n",
      "tenants/ledger/policy.zt": "tenant ledger {\n  workload db = app=db\n}\n",
    });
    const p1 = createProgram(createMemoryHost(base), { today: TODAY });
    p1.getDiagnostics();
    const p2 = createProgram(createMemoryHost({ ...base, "tenants/ledger/policy.zt": "tenant ledger {\n  workload db = app=db\n  allow ingress to db port 5432 from tenant payments workload api\n}\n" }), { today: TODAY }, p1);
    expect(p2.registries).toBe(p1.registries);
    expect(p2.units.find((u) => u.path === "tenants/checkout/policy.zt")).toBe(p1.units.find((u) => u.path === "tenants/checkout/policy.zt"));
    // Payments names ledger, so its cross-tenant warning goes away; checkout's atoms are reused as they were.
    expect(p1.getDiagnostics().map((d) => d.code)).toContain("ZT3015");
    expect(p2.getDiagnostics().map((d) => d.code)).not.toContain("ZT3015");
    const checkout = (p: Program) => p.getCheck()!.atoms.find((a) => a.tenant === "checkout");
    expect(checkout(p2)).toBe(checkout(p1));
  });

  it("hand on the atoms of the rules an edit did not move, in the file being edited", () => {
    const policy = (port: number) =>
      `tenant payments {\n  workload api = app=api\n  workload db = app=db\n  allow egress from api to db port 5432\n  allow ingress to api port ${port} from namespace monitoring\n}\n`;
    const p1 = createProgram(createMemoryHost(files({ "tenants/payments/a.zt": policy(8080) })), { today: TODAY });
    p1.getDiagnostics();
    // A first edit fills the rule cache (a whole-project check does not remember rules).
    const p2 = createProgram(createMemoryHost(files({ "tenants/payments/a.zt": policy(8081) })), { today: TODAY }, p1);
    p2.getDiagnostics();
    const p3 = createProgram(createMemoryHost(files({ "tenants/payments/a.zt": policy(8082) })), { today: TODAY }, p2);
    const egress = (p: Program) => p.getCheck()!.atoms.find((a) => a.direction === "egress");
    const ingress = (p: Program) => p.getCheck()!.atoms.find((a) => a.direction === "ingress");
    expect(egress(p3)).toBe(egress(p2));
    expect(ingress(p3)).not.toBe(ingress(p2));
    expect(egress(p3)!.subject).toEqual({ kind: "workload", workload: p3.getCheck()!.bound.workloads.get("payments")!.get("api") });
  });

  it("hands on the atoms after a rule that an edit added or removed, without renumbering them", () => {
    // The rule takes the place of a comment of its length, so nothing after it moves.
    const policy = (middle: string) =>
      `tenant payments {\n  workload api = app=api\n  workload db = app=db\n  ${middle}\n  allow ingress to api port 8080 from namespace monitoring\n  allow egress from api to db port 5432\n}\n`;
    const rule = "allow egress from api to db port 6379";
    const comment = (c: string) => "//" + c.repeat(rule.length - 2);
    const programs: Program[] = [];
    // The first edit fills the rule cache (a whole-project check does not remember rules).
    for (const middle of [comment(" "), comment("-"), comment(" "), rule, comment(" ")]) {
      programs.push(createProgram(createMemoryHost(files({ "tenants/payments/a.zt": policy(middle) })), { today: TODAY }, programs.at(-1)));
      programs.at(-1)!.getDiagnostics();
    }
    const later = (p: Program) => p.getCheck()!.atoms.filter((a) => a.origin.line >= 5);
    const [before, added, removed] = programs.slice(2).map(later);
    expect(before).toHaveLength(2);
    for (const atoms of [added, removed]) for (let i = 0; i < 2; i++) expect(atoms![i]).toBe(before![i]);
    // Source order still holds: the added rule's atoms sort before the later ones.
    const mine = programs[3]!.getCheck()!.atoms.find((a) => a.origin.line === 4)!;
    expect(before!.every((a) => a.origin.order > mine.origin.order && a.id > mine.id)).toBe(true);
    // Small integers, which V8 keeps inside the atom (larger numbers are objects of their own).
    for (const a of programs[3]!.getCheck()!.atoms) expect(Math.max(a.id, a.origin.order)).toBeLessThan(2 ** 30);
  });

  it("find a neighbour's one-sided rule again when the rule that admitted it changes, and only then", () => {
    // Payments' egress to ledger is admitted by ledger's ingress rule (its witness, reused while
    // both atoms are). Edits of ledger's file break, keep and restore that rule; payments' file is
    // untouched, so its atom is handed on and must not keep a stale verdict. Likewise a CIDR union
    // found once must go when one of its rules does, and come back.
    const payments = "tenant payments {\n  workload api = app=api\n  allow egress from api to tenant ledger workload db port 5432\n}\n";
    const ledger = (port: string, cidr: string, note = "") =>
      `tenant ledger {\n  // ${note}\n  workload db = app=db\n  allow ingress to db port ${port} from tenant payments workload api\n  allow ingress to db port 443 from cidr 0.0.0.0/1\n  allow ingress to db port 443 from cidr ${cidr}\n}\n`;
    // (The first edits fill the rule cache: a whole-project check does not remember rules.)
    const steps = [ledger("5432", "128.0.0.0/1"), ledger("5432", "128.0.0.0/1", "a"), ledger("5432", "128.0.0.0/1", "b"), ledger("5433", "128.0.0.0/1", "b"), ledger("5432", "10.0.0.0/8", "b"), ledger("5432", "128.0.0.0/1", "b")];
    const at = (text: string) => ({ "tenants/payments/a.zt": payments, "tenants/ledger/policy.zt": text });
    const codes: string[][] = [];
    sameAsFresh(at(steps[0]!), steps.slice(1), (_, text) => at(text));
    let previous: Program | undefined;
    for (const text of steps) {
      previous = createProgram(hostOf(at(text)), { today: TODAY }, previous);
      codes.push(previous.getDiagnostics().map((d) => d.code).filter((c) => c === "ZT3015" || c === "ZT3013"));
    }
    // (Both sides are told when the port differs; the union goes with its second rule.)
    expect(codes).toEqual([["ZT3013"], ["ZT3013"], ["ZT3013"], ["ZT3015", "ZT3013", "ZT3015"], [], ["ZT3013"]]);
  });

  it("hands on whole runs of rules only with the workloads the tenant has now", () => {
    // The workloads in one file, forty rules in another (resolveBlock takes 32 at a time): a
    // comment edited after a workload binds it anew with the same meaning, and the other file's
    // runs of rules, which are not touched (nor renumbered: the comment keeps its length), must
    // then select the new workload, not the old one.
    const workloads = (comment: string) => `tenant payments {\n  workload api = app=api${comment}\n}\n`;
    const rules = `tenant payments {\n${Array.from({ length: 40 }, (_, i) => `  allow egress from api to tenant ledger workload db port ${5000 + i}\n`).join("")}}\n`;
    const ledger = "tenant ledger {\n  workload db = app=db\n  allow ingress to db port 5000-5039 from tenant payments workload api\n}\n";
    const at = (comment: string) => files({ "tenants/payments/a.zt": workloads(comment), "tenants/payments/b.zt": rules, "tenants/ledger/policy.zt": ledger });
    const programs: Program[] = [];
    // The first edit fills the rule cache (a whole-project check does not remember rules).
    for (const comment of [" // the API", " // the APX", " // the API", " // the APX"]) {
      programs.push(createProgram(createMemoryHost(at(comment)), { today: TODAY }, programs.at(-1)));
      programs.at(-1)!.getDiagnostics();
    }
    const last = programs.at(-1)!.getCheck()!;
    const api = last.bound.workloads.get("payments")!.get("api")!;
    expect(api).not.toBe(programs.at(-2)!.getCheck()!.bound.workloads.get("payments")!.get("api"));
    const selecting = last.atoms.filter((a) => a.tenant === "payments" && a.subject.kind === "workload");
    expect(selecting).toHaveLength(40);
    for (const a of selecting) expect(a.subject).toEqual({ kind: "workload", workload: api });
    for (const a of selecting) expect(a.subject.kind === "workload" && a.subject.workload).toBe(api);
  });
});
