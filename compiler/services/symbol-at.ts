/**
 * What the cursor is on, in terms of the language: a tenant, workload, namespace, entity,
 * destination, service, import, rule set, parameter, baseline, expectation or setting, or else the
 * rule around it. Hover, definition, references and rename all start here, so they agree on what
 * a position means.
 */
import {
  contains,
  nodePath,
  type Arg,
  type BaselineDecl,
  type CidrTarget,
  type DnsModeStmt,
  type ExpectStmt,
  type HostTarget,
  type Ident,
  type ImportDecl,
  type ModeStmt,
  type RuleStmt,
  type RulesetDecl,
  type ServiceTarget,
  type Span,
  type TenantDecl,
  type UseStmt,
  type WorkloadDecl,
} from "../../language/index.js";
import { tenantAt, type ServiceDocument } from "./document.js";

export type SymbolAt =
  | { readonly kind: "tenant"; readonly name: string; readonly span: Span; readonly declaration: boolean }
  | {
      readonly kind: "workload";
      readonly tenant: string;
      readonly name: string;
      readonly span: Span;
      /** The declaration itself (`workload NAME = ...`), not a use. */
      readonly declaration?: WorkloadDecl | undefined;
    }
  | { readonly kind: "namespace"; readonly name: string; readonly span: Span; readonly tenant?: string | undefined }
  | { readonly kind: "entity"; readonly name: string; readonly span: Span }
  | {
      readonly kind: "destination";
      readonly target: HostTarget | CidrTarget;
      readonly rule: RuleStmt;
      readonly tenant?: string | undefined;
      readonly span: Span;
    }
  | { readonly kind: "service"; readonly target: ServiceTarget; readonly span: Span }
  | { readonly kind: "rule"; readonly rule: RuleStmt; readonly tenant?: string | undefined; readonly span: Span }
  | { readonly kind: "import"; readonly decl: ImportDecl; readonly span: Span }
  /** A rule set's name: where it is declared, or a `use` of it (the span is the name as written). */
  | { readonly kind: "ruleset"; readonly span: Span; readonly decl?: RulesetDecl | undefined; readonly use?: UseStmt | undefined; readonly tenant?: string | undefined }
  /** A `use` statement off its name (its `for`, `audit`, parentheses). */
  | { readonly kind: "use"; readonly use: UseStmt; readonly span: Span; readonly tenant?: string | undefined }
  /** An argument name of a `use`: the parameter of the rule set it names. */
  | { readonly kind: "argument"; readonly use: UseStmt; readonly arg: Arg; readonly span: Span }
  /** A rule set's parameter: its declaration, or `$name` in the rule set's body. */
  | { readonly kind: "parameter"; readonly name: string; readonly ruleset: RulesetDecl; readonly span: Span; readonly declaration: boolean }
  | { readonly kind: "baseline"; readonly decl: BaselineDecl; readonly span: Span }
  | { readonly kind: "expect"; readonly stmt: ExpectStmt; readonly span: Span; readonly tenant?: string | undefined }
  | { readonly kind: "setting"; readonly stmt: ModeStmt | DnsModeStmt; readonly span: Span; readonly tenant?: string | undefined; readonly baseline?: string | undefined };

/** The identifier, if the offset is on it. */
function on(id: Ident | undefined, offset: number): Ident | undefined {
  return id !== undefined && contains(id.span, offset) ? id : undefined;
}

const VARIABLE = /\$[A-Za-z_][A-Za-z0-9_-]*/g;

/** A `$name` written at the offset (outside comments), with its span. */
function variableAt(doc: ServiceDocument, offset: number): Ident | undefined {
  const { text, lines, ast } = doc.unit;
  if (ast.comments.some((c) => offset > c.span.start && offset < c.span.end)) return undefined;
  const line = lines.positionAt(offset).line;
  const start = lines.lineStart(line);
  for (const m of lines.line(line).matchAll(VARIABLE)) {
    const span = { start: start + m.index, end: start + m.index + m[0].length };
    if (contains(span, offset)) return { text: text.slice(span.start, span.end), span };
  }
  return undefined;
}

/** The symbol at an offset of a document, or undefined on whitespace, comments and punctuation outside rules. */
export function symbolAt(doc: ServiceDocument, offset: number): SymbolAt | undefined {
  const ast = doc.unit.ast;
  const decl: TenantDecl | undefined = tenantAt(ast, offset);
  const tenant = decl?.name?.text;
  const declName = on(decl?.name, offset);
  if (declName) return { kind: "tenant", name: declName.text, span: declName.span, declaration: true };
  const path = nodePath(ast, offset);
  let rule: RuleStmt | undefined;
  let ruleset: RulesetDecl | undefined;
  for (const n of path) {
    if (n.kind === "Rule") rule = n;
    if (n.kind === "Ruleset") ruleset = n;
  }
  if (ruleset) {
    const v = variableAt(doc, offset);
    if (v) return { kind: "parameter", name: v.text.slice(1), ruleset, span: v.span, declaration: false };
  }
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    switch (n.kind) {
      case "Import":
        if (n.path && contains(n.path.span, offset)) return { kind: "import", decl: n, span: n.path.span };
        break;
      case "Workload": {
        const name = on(n.name, offset);
        if (name && tenant) return { kind: "workload", tenant, name: name.text, span: name.span, declaration: n };
        const ns = on(n.namespace, offset);
        if (ns) return { kind: "namespace", name: ns.text, span: ns.span, tenant };
        break;
      }
      case "TenantRef": {
        const t = on(n.tenant, offset);
        if (t) return { kind: "tenant", name: t.text, span: t.span, declaration: false };
        const w = on(n.workload, offset);
        if (w && n.tenant) return { kind: "workload", tenant: n.tenant.text, name: w.text, span: w.span };
        break;
      }
      case "NamespaceRef":
      case "Service": {
        const ns = on(n.namespace, offset);
        if (ns) return { kind: "namespace", name: ns.text, span: ns.span };
        if (n.kind === "Service" && contains(n.span, offset)) return { kind: "service", target: n, span: n.span };
        break;
      }
      case "WorkloadRef": {
        const name = on(n.name, offset);
        if (name && tenant) return { kind: "workload", tenant, name: name.text, span: name.span };
        break;
      }
      case "Entity": {
        const name = on(n.name, offset);
        if (name) return { kind: "entity", name: name.text, span: name.span };
        break;
      }
      case "Host":
      case "Cidr":
        if (rule && contains(n.span, offset)) return { kind: "destination", target: n, rule, tenant, span: n.span };
        break;
      case "Rule":
        return { kind: "rule", rule: n, tenant, span: n.span };
      case "FlowEndpoint": {
        const t = on(n.tenant, offset);
        if (t) return { kind: "tenant", name: t.text, span: t.span, declaration: false };
        const w = on(n.workload, offset);
        const owner = n.form === "own" ? tenant : n.tenant?.text;
        if (w && owner) return { kind: "workload", tenant: owner, name: w.text, span: w.span };
        const ns = on(n.namespace, offset);
        if (ns) return { kind: "namespace", name: ns.text, span: ns.span };
        const e = on(n.name, offset);
        if (e && n.form === "entity") return { kind: "entity", name: e.text, span: e.span };
        break;
      }
      case "Expect":
        return { kind: "expect", stmt: n, span: n.span, tenant };
      case "Arg": {
        const use = path[i - 1];
        const name = on(n.name, offset);
        if (name && use?.kind === "Use") return { kind: "argument", use, arg: n, span: name.span };
        break;
      }
      case "Use": {
        const name = on(n.name, offset);
        if (name) return { kind: "ruleset", span: name.span, use: n, tenant };
        return { kind: "use", use: n, span: n.span, tenant };
      }
      case "Param": {
        const name = on(n.name, offset);
        if (name && ruleset) return { kind: "parameter", name: name.text, ruleset, span: name.span, declaration: true };
        break;
      }
      case "Ruleset": {
        const name = on(n.name, offset);
        if (name) return { kind: "ruleset", span: name.span, decl: n };
        break;
      }
      case "Baseline": {
        const name = on(n.name, offset);
        if (name) return { kind: "baseline", decl: n, span: name.span };
        break;
      }
      case "Mode":
      case "DnsMode": {
        const base = path.find((p) => p.kind === "Baseline") as BaselineDecl | undefined;
        return { kind: "setting", stmt: n, span: n.span, tenant, baseline: base?.name?.text };
      }
      default:
        break;
    }
  }
  return undefined;
}
