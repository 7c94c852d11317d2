/**
 * `ztc test` and `ztc explain` in the editor: whether each `expect` holds (the same evaluation
 * `ztc test` runs, one expectation at a time), and the explanation of a flow, of an `expect`, or of
 * the flow a rule is written for (the same explanation `ztc explain` prints). Nothing is evaluated
 * here: compiler/tests.ts and compiler/explain.ts do it, over the program's evaluation context.
 */
import type { Diagnostic, ExpectStmt, Location, RuleStmt, Span } from "../../language/index.js";
import { evaluationContext } from "../evaluation.js";
import type { DirectionDecision, EntryRef } from "../evaluator/index.js";
import { explain, explainFlow, explainTextFlow, explanationJson, renderExplanation, type ExplainResult, type Explanation, type Fix } from "../explain.js";
import type { Expectation } from "../expectations.js";
import type { Atom } from "../ir.js";
import type { Program } from "../program.js";
import { evaluateExpectation, witness, type TestCase } from "../tests.js";
import { atomsByRule, inProgram, type ServiceDocument } from "./document.js";
import { walkFile } from "./navigation.js";
import { symbolAt } from "./symbol-at.js";

/** A rule that decided a flow, at its .zt line. */
export interface DecidingRule {
  readonly direction: "ingress" | "egress";
  /**
   * allowed: it let the flow through; denied: a deny rule dropped it; default-deny: it made the side
   * default-deny; l7-matched / l7-rejected: its HTTP or DNS rules accepted or rejected the request.
   */
  readonly role: "allowed" | "denied" | "default-deny" | "l7-matched" | "l7-rejected";
  readonly text: string;
  /** `CiliumNetworkPolicy payments/zt-payments specs[1].egress[0]` */
  readonly entry: string;
  /** Its .zt file and line, when the entry came from a .zt rule. */
  readonly line?: number | undefined;
  readonly location?: Location | undefined;
}

export interface ExpectStatus {
  /** holds / fails as `ztc test` says; not-evaluated when the project does not compile or the statement has errors. */
  readonly status: "holds" | "fails" | "not-evaluated";
  /** One line: why it fails, or why it was not evaluated. */
  readonly message?: string | undefined;
  /** The ZT6001 failures `ztc test` reports for it. */
  readonly failures: readonly Diagnostic[];
  /** The verdict the policies give the flow (flows only). */
  readonly actual?: "allowed" | "denied" | undefined;
  readonly deciding: readonly DecidingRule[];
  readonly cases: readonly TestCase[];
}

/** The check's expectation for an `expect` statement of a document. */
function expectationOf(doc: ServiceDocument & { program: Program }, stmt: ExpectStmt): Expectation | undefined {
  return doc.program.getCheck()?.expectations.find((e) => e.file === doc.unit.path && e.span.start === stmt.span.start);
}

function lineSpan(program: Program, file: string, line: number): Span | undefined {
  // A source file's unit has its lines; program.lineIndex would first map every file of the
  // program (two maps of a thousand entries, made again for each snapshot the lenses are asked of).
  const li = program.units.find((u) => u.path === file)?.lines ?? program.lineIndex(file);
  if (!li || line < 1 || line > li.lineCount) return undefined;
  const text = li.line(line - 1);
  const start = li.lineStart(line - 1) + (text.length - text.trimStart().length);
  return { start, end: li.lineStart(line - 1) + text.length };
}

function refsToRules(program: Program, refs: readonly EntryRef[], direction: DecidingRule["direction"], role: DecidingRule["role"]): DecidingRule[] {
  const out: DecidingRule[] = [];
  for (const r of refs) {
    const entry = `${r.policy.kind} ${r.policy.namespace ? `${r.policy.namespace}/` : ""}${r.policy.name} ${r.path}`;
    const withFile = r.sources.filter((s) => s.file && s.line);
    if (withFile.length === 0) out.push({ direction, role, text: r.sources[0]?.text ?? entry, entry });
    for (const s of withFile) {
      const span = lineSpan(program, s.file!, s.line!);
      out.push({ direction, role, text: s.text, entry, line: s.line, location: span ? { file: s.file!, span } : undefined });
    }
  }
  return out;
}

/** The rules that decided each side, in the order a reader needs them. */
export function decidingRules(program: Program, sides: readonly DirectionDecision[]): DecidingRule[] {
  const out: DecidingRule[] = [];
  for (const d of sides) {
    if (d.reason === "denied") out.push(...refsToRules(program, d.deniedBy, d.direction, "denied"));
    else if (d.reason === "default-deny") out.push(...refsToRules(program, d.defaultDenyBy, d.direction, "default-deny"));
    else if (d.reason === "allowed") {
      out.push(...refsToRules(program, d.allowedBy, d.direction, "allowed"));
      if (d.l7 && d.l7.verdict !== "unknown" && !d.l7.neutralisedBy) {
        const matched = d.l7.verdict === "allowed";
        out.push(...refsToRules(program, (matched ? d.l7.matched : d.l7.rules).map((r) => r.ref), d.direction, matched ? "l7-matched" : "l7-rejected"));
      }
    }
  }
  const seen = new Set<string>();
  return out.filter((r) => {
    const k = `${r.direction}|${r.role}|${r.location?.file}:${r.location?.span.start}|${r.text}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

const errorCounts = new WeakMap<Program, number>();

/** The project's errors, counted once per program: a file's lenses ask for each of its expects. */
function errorCount(program: Program): number {
  let n = errorCounts.get(program);
  if (n === undefined) errorCounts.set(program, (n = program.getDiagnostics().filter((d) => d.severity === "error").length));
  return n;
}

/** Whether an `expect` holds, evaluated as `ztc test` does, with the rules that decide it. */
export function expectStatus(doc: ServiceDocument, stmt: ExpectStmt): ExpectStatus {
  const none = (message: string): ExpectStatus => ({ status: "not-evaluated", message, failures: [], deciding: [], cases: [] });
  if (!inProgram(doc)) return none("this file is not part of a ztc project");
  const ctx = evaluationContext(doc.program);
  if (!ctx) {
    const errors = errorCount(doc.program);
    return none(`not evaluated: the project has ${errors} error${errors === 1 ? "" : "s"}`);
  }
  const e = expectationOf(doc, stmt);
  if (!e) return none("not evaluated: the statement has errors");
  const r = evaluateExpectation(ctx, e);
  const failures = r.cases.flatMap((c) => (!c.passed && c.diagnostic ? [c.diagnostic] : []));
  const deciding = r.decision ? decidingRules(doc.program, [r.decision.egress, r.decision.ingress]) : [];
  const actual = r.decision ? (r.decision.verdict === "allowed" ? "allowed" : "denied") : undefined;
  const passed = r.cases.every((c) => c.passed);
  return { status: passed ? "holds" : "fails", message: failures[0]?.message, failures, actual, deciding, cases: r.cases };
}

/** A code lens: a line of text above a statement, and what clicking it does. */
export interface CodeLensEntry {
  readonly span: Span;
  readonly title: string;
  /** Explain the flow of the statement at this offset (the `ztc.explain` command). */
  readonly explainAt?: number | undefined;
}

/** One lens per `expect`: whether it holds, and a click explains its flow. */
export function getCodeLenses(doc: ServiceDocument): CodeLensEntry[] {
  const out: CodeLensEntry[] = [];
  walkFile(doc.unit.ast, (n) => {
    if (n.kind !== "Expect") return;
    const s = expectStatus(doc, n);
    const flow = n.defaultDeny === undefined;
    const title =
      s.status === "holds"
        ? `✓ holds${s.cases.length > 1 ? ` (${s.cases.length} namespaces)` : ""}`
        : s.status === "fails"
          ? `✗ fails: ${s.message ?? "see ztc test"}`
          : (s.message ?? "not evaluated");
    out.push({ span: n.span, title: title.length > 160 ? `${title.slice(0, 157)}...` : title, explainAt: flow && s.status !== "not-evaluated" ? n.span.start : undefined });
  });
  return out;
}

/** What the editor shows for an explanation: the CLI's text, and the same facts as data with locations. */
export type ExplainAnswer =
  | {
      readonly ok: true;
      readonly input: string;
      readonly verdict: Explanation["decision"]["verdict"];
      readonly summary: string;
      /** Exactly what `ztc explain` prints. */
      readonly text: string;
      readonly rules: readonly DecidingRule[];
      readonly fixes: readonly Fix[];
      /** `ztc explain -f json`'s object. */
      readonly json: unknown;
    }
  | { readonly ok: false; readonly error: string };

function answer(program: Program, r: ExplainResult): ExplainAnswer {
  if (!r.ok) return { ok: false, error: r.error };
  const e = r.explanation;
  return {
    ok: true,
    input: e.input,
    verdict: e.decision.verdict,
    summary: e.decision.summary,
    text: renderExplanation(e),
    rules: decidingRules(program, [e.decision.egress, e.decision.ingress]),
    fixes: e.fixes,
    json: explanationJson(e),
  };
}

/** The flow a rule is written for: its first atom's subject to its peer, on its first port. */
function ruleFlow(program: Program, atoms: readonly Atom[]): ReturnType<typeof witness> {
  const ctx = evaluationContext(program)!;
  for (const a of atoms) {
    if (a.flawed) continue;
    const w = witness(ctx, a);
    if (w) return w;
  }
  return undefined;
}

function explainAtoms(program: Program, atoms: readonly Atom[], input: string): ExplainAnswer {
  const ctx = evaluationContext(program)!;
  const w = ruleFlow(program, atoms);
  if (!w) return { ok: false, error: "ztc cannot build a flow for this rule (its peer matches no concrete endpoint); give a flow to explain instead" };
  return answer(program, { ok: true, explanation: explainFlow(w.flow, ctx, { input }) });
}

/**
 * `ztc explain` for the editor: a flow in the text form (or a Hubble JSON line), or with no flow,
 * the statement at `offset`: an `expect`'s flow, or the flow a rule (or `use`) is written for.
 */
export function explainAt(doc: ServiceDocument, request: { readonly flow?: string | undefined; readonly offset?: number | undefined }): ExplainAnswer {
  if (!inProgram(doc)) return { ok: false, error: "this file is not part of a ztc project (no ztc.yaml above it)" };
  const program = doc.program;
  const ctx = evaluationContext(program);
  if (!ctx) {
    const errors = errorCount(program);
    return { ok: false, error: `the project does not compile (${errors} error${errors === 1 ? "" : "s"}): fix them first` };
  }
  if (request.flow !== undefined && request.flow.trim() !== "") return answer(program, explain(request.flow, ctx));
  if (request.offset === undefined) return { ok: false, error: "give a flow (payments/api -> api.stripe.com:443) or a position on an expect statement or a rule" };
  const s = symbolAt(doc, request.offset);
  let expect: ExpectStmt | undefined;
  let rule: RuleStmt | undefined;
  walkFile(doc.unit.ast, (n) => {
    if (n.kind === "Expect" && request.offset! >= n.span.start && request.offset! <= n.span.end) expect = n;
    if (n.kind === "Rule" && request.offset! >= n.span.start && request.offset! <= n.span.end) rule = n;
  });
  if (expect) {
    if (expect.defaultDeny) return { ok: false, error: "'expect default deny' is about every namespace of a tenant, not one flow: its code lens says whether it holds" };
    const e = expectationOf(doc, expect);
    if (!e || e.kind !== "flow") return { ok: false, error: "this expect statement has errors: fix them first" };
    return answer(program, explainTextFlow(e.flow, ctx, e.text));
  }
  const check = program.getCheck()!;
  const text = (span: Span) => doc.unit.text.slice(span.start, span.end).replace(/\/\/[^\n]*/g, "").replace(/\s+/g, " ").trim();
  if (rule) return explainAtoms(program, atomsByRule(check).get(rule) ?? [], text(rule.span));
  const use = s?.kind === "use" || (s?.kind === "ruleset" && s.use) ? (s.kind === "use" ? s.use : s.use!) : undefined;
  if (use) {
    const atoms = check.atoms.filter((a) => a.origin.file === doc.unit.path && a.origin.span.start === use.span.start);
    return explainAtoms(program, atoms, text(use.span));
  }
  return { ok: false, error: "put the cursor on an expect statement or a rule, or give a flow (payments/api -> api.stripe.com:443)" };
}
