/**
 * `ztc test`: proves what the compiled policies do. Every `expect` statement is evaluated against
 * them with Cilium's semantics (compiler/evaluator), and two invariants are checked without being
 * asked: a rule between two tenants is matched by the other tenant's policy, and no allow rule is
 * unreachable (always dropped by a deny, or selecting no pod). Pure: the CLI does the I/O.
 */
import { diag, type Diagnostic, type RelatedInfo, type Span } from "../language/index.js";
import { compiledContext, PROBE_ADDRESS, type EvaluationContext } from "./evaluation.js";
import {
  labelsFor,
  resolveTextFlow,
  type Decision,
  type DirectionDecision,
  type Endpoint,
  type EntryRef,
  type Flow,
  type PodEndpoint,
  type ReservedEntity,
} from "./evaluator/index.js";
import { selectorMatches } from "./evaluator/project.js";
import type { Expectation } from "./expectations.js";
import type { Atom, LabelSelector, PodSet, Subject } from "./ir.js";
import { formatAddress } from "./net/cidr.js";
import type { Program } from "./program.js";

export interface TestCase {
  /** `expect` for an expectation; `cross-tenant` and `reachable` for the invariants. */
  readonly kind: "expect" | "cross-tenant" | "reachable";
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly passed: boolean;
  /** The failure (or, for an unreachable rule, the warning) as a diagnostic. */
  readonly diagnostic?: Diagnostic | undefined;
}

export interface TestReport {
  readonly cases: readonly TestCase[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface TestOptions {
  /** Check the invariants too (default true). */
  readonly invariants?: boolean;
}

/** The report, or undefined when the project does not compile (its errors say why). */
export function runTests(program: Program, options: TestOptions = {}): TestReport | undefined {
  const ctx = compiledContext(program);
  const check = program.getCheck();
  if (!ctx || !check) return undefined;
  const cases: TestCase[] = [];
  for (const e of check.expectations) cases.push(...evaluateExpectation(ctx, e).cases);
  if (options.invariants ?? true) {
    cases.push(...crossTenant(ctx, check.atoms));
    cases.push(...reachable(ctx, check.atoms));
  }
  return { cases, diagnostics: cases.flatMap((c) => (c.diagnostic ? [c.diagnostic] : [])) };
}

/** One expectation as `ztc test` evaluates it: its cases (one per namespace for `expect default deny`), and a flow's decision. */
export interface EvaluatedExpectation {
  readonly cases: readonly TestCase[];
  readonly decision?: Decision | undefined;
}

export function evaluateExpectation(ctx: EvaluationContext, e: Expectation): EvaluatedExpectation {
  return e.kind === "flow" ? expectFlow(ctx, e) : { cases: expectDefaultDeny(ctx, e) };
}

/** Where an entry came from, as a related location (its .zt line). */
function related(ctx: EvaluationContext, refs: readonly EntryRef[], message: string): RelatedInfo[] {
  const out: RelatedInfo[] = [];
  for (const r of refs)
    for (const s of r.sources) {
      if (!s.file || !s.line) continue;
      const span = lineSpan(ctx.program, s.file, s.line);
      if (span) out.push({ file: s.file, span, message });
    }
  return out.slice(0, 6);
}

function lineSpan(program: Program, file: string, line: number): Span | undefined {
  const li = program.lineIndex(file);
  if (!li) return undefined;
  const start = li.offsetAt({ line: line - 1, character: 0 });
  const text = li.line(line - 1);
  const indent = text.length - text.trimStart().length;
  return { start: start + indent, end: start + text.length };
}

function directionWords(d: DirectionDecision): string {
  switch (d.reason) {
    case "allowed":
      return d.l7?.verdict === "denied" ? `its ${d.l7.protocol.toUpperCase()} rules reject the request` : "allowed";
    case "denied":
      return "a deny rule drops it";
    case "default-deny":
      return "default deny, and no rule allows it";
    default:
      return d.reason.replace(/-/g, " ");
  }
}

function explainDecision(ctx: EvaluationContext, d: Decision): { text: string; related: RelatedInfo[] } {
  const rel = [
    ...related(ctx, d.egress.deniedBy, "egress denied here"),
    ...related(ctx, d.ingress.deniedBy, "ingress denied here"),
    ...related(ctx, d.egress.allowedBy, "egress allowed here"),
    ...related(ctx, d.ingress.allowedBy, "ingress allowed here"),
  ];
  return { text: `egress: ${directionWords(d.egress)}; ingress: ${directionWords(d.ingress)}`, related: rel };
}

function expectFlow(ctx: EvaluationContext, e: Expectation & { kind: "flow" }): EvaluatedExpectation {
  const base = { kind: "expect" as const, name: e.text, file: e.file, line: e.line };
  const resolved = resolveTextFlow(e.flow, ctx.project);
  if (!resolved.ok)
    return { cases: [{ ...base, passed: false, diagnostic: diag("expectationFailed", { file: e.file, span: e.span }, { message: `cannot evaluate: ${resolved.error}` }) }] };
  const d = ctx.evaluator.evaluate(resolved.flow);
  const actual = d.verdict === "allowed" ? "allowed" : "denied";
  if (actual === e.verdict) return { cases: [{ ...base, passed: true }], decision: d };
  const why = explainDecision(ctx, d);
  const what = d.verdict === "l7-denied" ? "rejected by an L7 rule" : d.verdict;
  const failed: TestCase = {
    ...base,
    passed: false,
    diagnostic: diag(
      "expectationFailed",
      { file: e.file, span: e.span },
      { message: `expected ${e.verdict}, but the flow is ${what} (${why.text})` },
      {
        related: why.related,
        help:
          e.verdict === "allowed"
            ? "The notes name the rules that decided the flow; `ztc explain` on the same flow also says which rule is missing and whether an approval covers it."
            : undefined,
      },
    ),
  };
  return { cases: [failed], decision: d };
}

function expectDefaultDeny(ctx: EvaluationContext, e: Expectation & { kind: "default-deny" }): TestCase[] {
  const out: TestCase[] = [];
  for (const tenant of e.tenants) {
    for (const ns of [...(ctx.project.tenants.tenants.get(tenant)?.namespaces ?? [])].sort()) {
      const { egress, ingress } = ctx.defaultDeny(ns);
      const missing = [egress ? undefined : "egress", ingress ? undefined : "ingress"].filter((x): x is string => x !== undefined);
      const name = `${e.text} (tenant ${tenant}, namespace ${ns})`;
      out.push(
        missing.length === 0
          ? { kind: "expect", name, file: e.file, line: e.line, passed: true }
          : {
              kind: "expect",
              name,
              file: e.file,
              line: e.line,
              passed: false,
              diagnostic: diag("expectationFailed", { file: e.file, span: e.span }, {
                message: `namespace ${ns} of tenant ${tenant} is not default-deny for ${missing.join(" and ")}: no policy that selects its pods turns default deny on${ctx.program.getCheck()?.bound.settings.get(tenant)?.mode === "audit" ? " (the tenant is in audit mode)" : ""}`,
              }),
            },
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------- witnesses for the invariants

/** Labels that satisfy a selector, or undefined if none can (`a=x, a!=x`). */
function satisfying(sel: LabelSelector): Record<string, string> | undefined {
  const labels = labelsFor(sel);
  return selectorMatches(sel, labels) ? labels : undefined;
}

function podOf(ctx: EvaluationContext, namespace: string, labels: Record<string, string>, name: string): PodEndpoint {
  return { kind: "pod", namespace, labels, namespaceLabels: ctx.project.tenants.namespaces.get(namespace)?.labels, cluster: ctx.project.clusterName, name };
}

/** A pod of the atom's subject (in its first namespace), or undefined if its selector matches nothing. */
function subjectPod(ctx: EvaluationContext, tenant: string, s: Subject): PodEndpoint | undefined | null {
  if (s.kind === "workload") {
    const labels = satisfying(s.workload.selector);
    const ns = s.workload.namespaces[0];
    if (!labels) return null;
    return ns ? podOf(ctx, ns, labels, `${tenant}/${s.workload.name}`) : undefined;
  }
  const ns = s.kind === "namespace" ? s.namespace : [...(ctx.project.tenants.tenants.get(tenant)?.namespaces ?? [])].sort()[0];
  return ns ? podOf(ctx, ns, {}, `a pod of ${ns}`) : undefined;
}

function podsPeer(ctx: EvaluationContext, p: PodSet, name: string): PodEndpoint | undefined | null {
  if (p.anyNamespace || p.namespaceSelector || p.cluster !== undefined) return undefined;
  const labels = satisfying(p.selector);
  if (!labels) return null;
  const ns = p.namespaces[0];
  return ns ? podOf(ctx, ns, labels, name) : undefined;
}

const RESERVED = new Set<string>(["host", "remote-node", "kube-apiserver", "health", "ingress", "init", "unmanaged"]);

/** An endpoint the atom's peer covers; undefined when ztc cannot build one; null when none exists. */
function peerEndpoint(ctx: EvaluationContext, a: Atom, subject: PodEndpoint): Endpoint | undefined | null {
  const p = a.peer;
  switch (p.kind) {
    case "pods":
      return podsPeer(ctx, p.pods, p.description);
    case "within":
      return podOf(ctx, subject.namespace, {}, `a pod of ${subject.namespace}`);
    case "fqdn": {
      if (p.pattern.all) return { kind: "world", names: ["example.com"], ip: PROBE_ADDRESS, name: "example.com" };
      const name = p.pattern.labels.map((l) => l.replace(/\*+/g, "x")).join(".");
      return { kind: "world", names: [name], ip: PROBE_ADDRESS, name };
    }
    case "cidr": {
      const sample = p.set.sample();
      if (!sample) return null;
      const ip = formatAddress(sample.family, sample.addr);
      return { kind: "world", ip, name: ip };
    }
    case "entity":
      if (p.entity === "world") return { kind: "world", ip: PROBE_ADDRESS, name: "the world" };
      if (p.entity === "none") return null;
      if (RESERVED.has(p.entity)) return { kind: "reserved", entity: p.entity as ReservedEntity, name: p.entity };
      return undefined;
    default:
      return undefined;
  }
}

/** The flow an atom is written for: its subject to its peer (or back), on its first port. */
export function witness(ctx: EvaluationContext, a: Atom): { flow: Flow; peer: Endpoint } | undefined | null {
  const subject = subjectPod(ctx, a.tenant, a.subject);
  if (subject === null) return null;
  if (!subject) return undefined;
  const peer = peerEndpoint(ctx, a, subject);
  if (peer === null) return null;
  if (!peer) return undefined;
  let protocol: Flow["protocol"] = "TCP";
  let port: number | undefined = 80;
  let icmpType: number | undefined;
  if (a.icmp?.[0]) {
    protocol = a.icmp[0].family === "IPv6" ? "ICMPv6" : "ICMPv4";
    icmpType = a.icmp[0].type;
    port = undefined;
  } else if (a.ports) {
    const first = a.ports.find((x) => typeof x.port === "number");
    if (!first) return undefined;
    port = first.port as number;
    protocol = first.protocol === "ANY" ? "TCP" : first.protocol;
  }
  const [source, destination] = a.direction === "egress" ? [subject, peer] : [peer, subject];
  return { flow: { source, destination, protocol, port, icmpType, dns: undefined, http: undefined }, peer };
}

function fromAtom(a: Atom, d: DirectionDecision): boolean {
  return d.allowedBy.some((r) => r.sources.some((s) => s.file === a.origin.file && s.line === a.origin.line));
}

function crossTenant(ctx: EvaluationContext, atoms: readonly Atom[]): TestCase[] {
  const out: TestCase[] = [];
  const seen = new Set<number>();
  for (const a of atoms) {
    if (a.flawed || a.baseline || a.action !== "allow" || a.peer.kind !== "pods" || seen.has(a.origin.order)) continue;
    const other = a.peer.pods.tenant;
    if (!other || other === a.tenant) continue;
    const w = witness(ctx, a);
    if (!w) continue;
    seen.add(a.origin.order);
    const d = ctx.evaluator.evaluate(w.flow);
    const mine = a.direction === "egress" ? d.egress : d.ingress;
    const theirs = a.direction === "egress" ? d.ingress : d.egress;
    const name = `tenant ${other} matches ${a.origin.file}:${a.origin.line}: ${a.origin.text}`;
    // A rule this tenant does not itself allow (shadowed, or a witness that misses) is the reachability check's business.
    if (!fromAtom(a, mine) || theirs.verdict === "allowed") {
      out.push({ kind: "cross-tenant", name, file: a.origin.file, line: a.origin.line, passed: true });
      continue;
    }
    const flowText = `${w.flow.source.name} -> ${w.flow.destination.name} ${w.flow.port ?? w.flow.icmpType}/${w.flow.protocol.toLowerCase()}`;
    const message =
      a.direction === "egress"
        ? `tenant ${other} does not admit what this rule sends: ${flowText} (${directionWords(theirs)} at ${other}'s side)`
        : `tenant ${other} does not send what this rule admits: ${flowText} (${directionWords(theirs)} at ${other}'s side)`;
    out.push({
      kind: "cross-tenant",
      name,
      file: a.origin.file,
      line: a.origin.line,
      passed: false,
      diagnostic: diag("oneSidedFlow", { file: a.origin.file, span: a.origin.span }, { message }, { related: related(ctx, theirs.deniedBy, "denied here") }),
    });
  }
  return out;
}

function reachable(ctx: EvaluationContext, atoms: readonly Atom[]): TestCase[] {
  const out: TestCase[] = [];
  const done = new Set<number>();
  for (const a of atoms) {
    if (a.flawed || a.baseline || a.action !== "allow" || done.has(a.origin.order)) continue;
    const w = witness(ctx, a);
    const name = `reachable: ${a.origin.file}:${a.origin.line}: ${a.origin.text}`;
    const at = { file: a.origin.file, span: a.origin.span };
    if (w === undefined) continue;
    done.add(a.origin.order);
    const result = (diagnostic?: Diagnostic): TestCase => ({ kind: "reachable", name, file: a.origin.file, line: a.origin.line, passed: !diagnostic, diagnostic });
    if (w === null) {
      out.push(result(diag("unreachableRule", at, { message: "this rule can never allow anything: its selectors match no pod (or its peer is entity none)" })));
      continue;
    }
    const d = ctx.evaluator.evaluate(w.flow);
    const mine = a.direction === "egress" ? d.egress : d.ingress;
    out.push(
      result(
        mine.deniedBy.length > 0
          ? diag("unreachableRule", at, { message: "a deny rule drops everything this rule allows (deny wins over allow in Cilium)" }, { related: related(ctx, mine.deniedBy, "the deny rule") })
          : undefined,
      ),
    );
  }
  return out;
}

/** JUnit XML for CI: one suite for the expectations, one per invariant. */
export function renderJunit(report: TestReport, displayPath: (file: string) => string): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const suites = [
    ["expectations", "expect"],
    ["cross-tenant rules", "cross-tenant"],
    ["reachable rules", "reachable"],
  ] as const;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = (k: string) => report.cases.filter((c) => c.kind === k && !c.passed && c.diagnostic?.severity === "error").length;
  lines.push(`<testsuites name="ztc test" tests="${report.cases.length}" failures="${suites.reduce((n, [, k]) => n + failures(k), 0)}">`);
  for (const [title, kind] of suites) {
    const cases = report.cases.filter((c) => c.kind === kind);
    lines.push(`  <testsuite name="${esc(title)}" tests="${cases.length}" failures="${failures(kind)}">`);
    for (const c of cases) {
      const open = `    <testcase name="${esc(c.name)}" classname="${esc(displayPath(c.file))}" file="${esc(displayPath(c.file))}" line="${c.line}"`;
      if (c.passed || !c.diagnostic) lines.push(`${open}/>`);
      else {
        const tag = c.diagnostic.severity === "error" ? "failure" : "system-out";
        const body = `${displayPath(c.file)}:${c.line}: ${c.diagnostic.code}: ${c.diagnostic.message}`;
        lines.push(`${open}>`, tag === "failure" ? `      <failure message="${esc(c.diagnostic.message)}" type="${c.diagnostic.code}">${esc(body)}</failure>` : `      <system-out>${esc(body)}</system-out>`, "    </testcase>");
      }
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return lines.join("\n") + "\n";
}
