/**
 * The typed AST. Every node and every name carries its span. Parts that error recovery could not
 * produce are `undefined`: consumers skip them silently (the parse error was already reported),
 * which keeps one mistake from cascading into many diagnostics.
 */
import type { Span } from "./source.js";

/** A name or other word as written, with its location. */
export interface Ident {
  readonly text: string;
  readonly span: Span;
}

/** A string literal: `value` is unescaped, `span` covers the quotes. */
export interface StringLit {
  readonly value: string;
  readonly span: Span;
}

export interface Comment {
  readonly text: string;
  readonly span: Span;
  readonly block: boolean;
}

export interface SourceFileAst {
  readonly kind: "File";
  readonly span: Span;
  readonly items: readonly Item[];
  readonly comments: readonly Comment[];
}

export type Item = ImportDecl | TenantDecl | RuleStmt | WorkloadDecl;

export interface ImportDecl {
  readonly kind: "Import";
  readonly span: Span;
  readonly path?: StringLit | undefined;
}

export interface TenantDecl {
  readonly kind: "Tenant";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly name?: Ident | undefined;
  /** True for `tenant x { ... }`, false for the one-line form `tenant x allow ...`. */
  readonly block: boolean;
  readonly body: readonly TenantItem[];
  readonly openBrace?: Span | undefined;
  readonly closeBrace?: Span | undefined;
}

export type TenantItem = WorkloadDecl | RuleStmt;

export interface WorkloadDecl {
  readonly kind: "Workload";
  readonly span: Span;
  readonly name?: Ident | undefined;
  readonly selector?: Selector | undefined;
  /** `in namespace X`: the workload exists only in that one of the tenant's namespaces. */
  readonly namespace?: Ident | undefined;
}

export interface Selector {
  readonly kind: "Selector";
  readonly span: Span;
  readonly terms: readonly SelectorTerm[];
}

export type SelectorOp = "=" | "!=" | "in" | "notin" | "exists" | "!exists";

export interface SelectorTerm {
  readonly kind: "SelectorTerm";
  readonly span: Span;
  readonly key?: LabelText | undefined;
  readonly op: SelectorOp;
  readonly values: readonly LabelText[];
}

/** A label key or value as written (quoted values are unescaped). */
export interface LabelText {
  readonly text: string;
  readonly span: Span;
  readonly quoted: boolean;
}

export type Action = "allow" | "deny";
export type Direction = "ingress" | "egress";

export interface RuleStmt {
  readonly kind: "Rule";
  readonly span: Span;
  readonly action: Action;
  readonly actionSpan: Span;
  /** Undefined for `allow within namespace` (both directions) and when recovery lost it. */
  readonly direction?: Direction | undefined;
  readonly directionSpan?: Span | undefined;
  /** `allow within namespace`: pods may talk to pods of their own namespace, both ways. */
  readonly withinNamespace: boolean;
  /** Peers written right after the direction: `allow egress api.stripe.com:443`. */
  readonly bare?: TargetList | undefined;
  readonly from?: TargetList | undefined;
  readonly to?: TargetList | undefined;
  readonly ports?: PortClause | undefined;
  readonly http?: HttpClause | undefined;
}

export interface TargetList {
  readonly kind: "TargetList";
  readonly span: Span;
  /** The span of the `from` / `to` keyword, absent for bare lists. */
  readonly keywordSpan?: Span | undefined;
  readonly targets: readonly Target[];
}

export type Target =
  | HostTarget
  | CidrTarget
  | EntityTarget
  | TenantTarget
  | NamespaceTarget
  | ServiceTarget
  | WorkloadTarget
  | WithinTarget;

/** A host name or pattern (`api.stripe.com`, `*.stripe.com`, `**.amazonaws.com`, `*`). */
export interface HostTarget {
  readonly kind: "Host";
  readonly span: Span;
  readonly name: Ident;
  readonly port?: PortSpec | undefined;
}

export interface CidrTarget {
  readonly kind: "Cidr";
  readonly span: Span;
  readonly cidr?: Ident | undefined;
  readonly except: readonly Ident[];
}

export interface EntityTarget {
  readonly kind: "Entity";
  readonly span: Span;
  readonly name?: Ident | undefined;
}

/** `tenant ledger` or `tenant ledger workload ledger-api`. */
export interface TenantTarget {
  readonly kind: "TenantRef";
  readonly span: Span;
  readonly tenant?: Ident | undefined;
  readonly workload?: Ident | undefined;
}

/** `namespace monitoring` optionally with `workload <selector>`. */
export interface NamespaceTarget {
  readonly kind: "NamespaceRef";
  readonly span: Span;
  readonly namespace?: Ident | undefined;
  readonly selector?: Selector | undefined;
}

/** `service kube-system/metrics-server` (egress only; Cilium toServices). */
export interface ServiceTarget {
  readonly kind: "Service";
  readonly span: Span;
  readonly namespace?: Ident | undefined;
  readonly name?: Ident | undefined;
}

/** One of this tenant's workloads: `api` or `workload api`. */
export interface WorkloadTarget {
  readonly kind: "WorkloadRef";
  readonly span: Span;
  readonly name?: Ident | undefined;
}

/** `within namespace`: pods of the subject's own namespace. */
export interface WithinTarget {
  readonly kind: "Within";
  readonly span: Span;
}

export interface PortClause {
  readonly kind: "PortClause";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly ports: readonly PortSpec[];
}

export interface PortSpec {
  readonly kind: "Port";
  readonly span: Span;
  /** A number, a named port (`http`) or a $parameter. */
  readonly port?: { readonly value: number | string; readonly named: boolean; readonly variable: boolean; readonly span: Span } | undefined;
  readonly end?: { readonly value: number; readonly span: Span } | undefined;
  readonly protocol?: Ident | undefined;
}

export interface HttpClause {
  readonly kind: "HttpClause";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly rules: readonly HttpRule[];
}

export interface HttpRule {
  readonly kind: "HttpRule";
  readonly span: Span;
  readonly method?: Ident | undefined;
  readonly path?: StringLit | undefined;
  readonly host?: StringLit | undefined;
  readonly headers: readonly StringLit[];
}

export type AstNode =
  | SourceFileAst
  | Item
  | Selector
  | SelectorTerm
  | TargetList
  | Target
  | PortClause
  | PortSpec
  | HttpClause
  | HttpRule;

/** The targets that name the peer of a rule (the other side of the connection). */
export function peerList(rule: RuleStmt): TargetList | undefined {
  if (rule.bare) return rule.bare;
  return rule.direction === "ingress" ? rule.from : rule.to;
}

/** The targets that name the rule's own pods (its subject). */
export function subjectList(rule: RuleStmt): TargetList | undefined {
  return rule.direction === "ingress" ? rule.to : rule.from;
}

/** Calls `visit` on each direct child node, in source order. */
export function forEachChild(node: AstNode, visit: (child: AstNode) => void): void {
  switch (node.kind) {
    case "File":
      node.items.forEach(visit);
      return;
    case "Tenant":
      node.body.forEach(visit);
      return;
    case "Workload":
      if (node.selector) visit(node.selector);
      return;
    case "Selector":
      node.terms.forEach(visit);
      return;
    case "Rule": {
      const parts: AstNode[] = [];
      for (const p of [node.bare, node.from, node.to, node.ports, node.http]) if (p) parts.push(p);
      parts.sort((a, b) => a.span.start - b.span.start).forEach(visit);
      return;
    }
    case "TargetList":
      node.targets.forEach(visit);
      return;
    case "Host":
      if (node.port) visit(node.port);
      return;
    case "NamespaceRef":
      if (node.selector) visit(node.selector);
      return;
    case "PortClause":
      node.ports.forEach(visit);
      return;
    case "HttpClause":
      node.rules.forEach(visit);
      return;
    default:
      return;
  }
}

/** The innermost nodes containing `offset`, outermost first. */
export function nodePath(root: AstNode, offset: number): AstNode[] {
  const path: AstNode[] = [];
  let current: AstNode | undefined = root;
  while (current) {
    path.push(current);
    let next: AstNode | undefined;
    forEachChild(current, (child) => {
      if (!next && offset >= child.span.start && offset <= child.span.end) next = child;
    });
    current = next;
  }
  return path;
}
