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

export type Item = ImportDecl | TenantDecl | BaselineDecl | RulesetDecl | ExpectStmt | RuleStmt | WorkloadDecl;

/**
 * `expect SOURCE -> DESTINATION[:PORT] [details] allowed|denied`, or `expect default deny [for ...]`:
 * a statement about what the compiled policies do, proved by `ztc test`.
 */
export interface ExpectStmt {
  readonly kind: "Expect";
  readonly span: Span;
  readonly keywordSpan: Span;
  /** `expect default deny`: every namespace of the tenant(s) is default-deny in both directions. */
  readonly defaultDeny?: { readonly span: Span; readonly allTenants: boolean; readonly tenant?: Ident | undefined } | undefined;
  readonly source?: FlowEndpoint | undefined;
  readonly destination?: FlowEndpoint | undefined;
  readonly port?: PortSpec | undefined;
  readonly icmp?: IcmpClause | undefined;
  readonly http?: HttpRule | undefined;
  readonly dns?: StringLit | undefined;
  readonly verdict?: { readonly value: "allowed" | "denied"; readonly span: Span } | undefined;
}

/** One side of an expected flow. */
export interface FlowEndpoint {
  readonly kind: "FlowEndpoint";
  readonly span: Span;
  /** tenant/workload, tenant NAME [workload W], namespace N [workload SEL], entity E, an address, a host, or `own` (a bare workload name). */
  readonly form: "workload" | "tenant" | "namespace" | "entity" | "address" | "host" | "own";
  readonly tenant?: Ident | undefined;
  readonly workload?: Ident | undefined;
  readonly namespace?: Ident | undefined;
  readonly selector?: Selector | undefined;
  /** The entity, address or host name. */
  readonly name?: Ident | undefined;
}

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

export type TenantItem = WorkloadDecl | RuleStmt | UseStmt | ModeStmt | DnsModeStmt | ExpectStmt;

/** `mode audit` or `mode enforce` (tenant blocks and baselines). */
export interface ModeStmt {
  readonly kind: "Mode";
  readonly span: Span;
  readonly value?: Ident | undefined;
}

/** `dns strict` or `dns any`: the lookups the DNS proxy lets a tenant's pods make. */
export interface DnsModeStmt {
  readonly kind: "DnsMode";
  readonly span: Span;
  readonly value?: Ident | undefined;
}

/** A value in a ruleset call or default: typed when the parameter's type is known. */
export interface ArgValue {
  readonly kind: "ArgValue";
  readonly span: Span;
  /** The source text (for a string: the unescaped value). */
  readonly text: string;
  readonly form: "number" | "host" | "address" | "string" | "word" | "variable";
  /** For port values: `8000-8999` and `53/udp`. */
  readonly end?: number | undefined;
  readonly protocol?: Ident | undefined;
}

export interface Param {
  readonly kind: "Param";
  readonly span: Span;
  readonly name?: Ident | undefined;
  readonly type?: Ident | undefined;
  readonly default?: ArgValue | undefined;
}

/** `[export] ruleset NAME(params) { ... }`: a reusable, parameterised group of rules. */
export interface RulesetDecl {
  readonly kind: "Ruleset";
  readonly span: Span;
  readonly exported: boolean;
  readonly name?: Ident | undefined;
  readonly params: readonly Param[];
  readonly body: readonly RulesetItem[];
  readonly openBrace?: Span | undefined;
  readonly closeBrace?: Span | undefined;
}

export type RulesetItem = RuleStmt | UseStmt | DefaultDenyStmt;

export interface Arg {
  readonly kind: "Arg";
  readonly span: Span;
  readonly name?: Ident | undefined;
  readonly value?: ArgValue | undefined;
}

/** `use NAME(args) for subjects`. */
export interface UseStmt {
  readonly kind: "Use";
  readonly span: Span;
  readonly keywordSpan: Span;
  /** The ruleset name as written, possibly qualified (`dns.dns`). */
  readonly name?: Ident | undefined;
  readonly args: readonly Arg[];
  readonly for?: TargetList | undefined;
  /** `use NAME audit`: the rule set's default deny is staged, not enforced. */
  readonly auditSpan?: Span | undefined;
}

/** `baseline NAME { ... }`: cluster-wide rules for many tenants' namespaces (platform files only). */
export interface BaselineDecl {
  readonly kind: "Baseline";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly name?: Ident | undefined;
  readonly body: readonly BaselineItem[];
  readonly openBrace?: Span | undefined;
  readonly closeBrace?: Span | undefined;
}

export type BaselineItem = AppliesStmt | DefaultDenyStmt | VisibilityStmt | ModeStmt | RuleStmt | UseStmt;

/** `applies to all tenants | tenants a, b | tenants where sel | namespaces x, y | nodes [where sel]`. */
export interface AppliesStmt {
  readonly kind: "Applies";
  readonly span: Span;
  readonly allTenants: boolean;
  readonly tenants: readonly Ident[];
  readonly where?: Selector | undefined;
  readonly namespaces: readonly Ident[];
  /** Host firewall: `nodes` (every node) or `nodes where sel`. */
  readonly nodes?: { readonly span: Span; readonly where?: Selector | undefined } | undefined;
}

export interface DefaultDenyStmt {
  readonly kind: "DefaultDeny";
  readonly span: Span;
  readonly directions: readonly { readonly direction: Direction; readonly span: Span }[];
}

/** `visibility only`: the baseline's rules never switch endpoints into default deny. */
export interface VisibilityStmt {
  readonly kind: "Visibility";
  readonly span: Span;
}

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
  /** `serviceaccount NAME`: `key` is Cilium's service account label, spanning the keyword. */
  readonly serviceAccount?: boolean | undefined;
}

/** The label Cilium gives every pod for its service account. */
export const SERVICE_ACCOUNT_LABEL = "io.cilium.k8s.policy.serviceaccount";

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
  readonly dns?: DnsClause | undefined;
  readonly grpc?: GrpcClause | undefined;
  readonly kafka?: KafkaClause | undefined;
  /** `icmp ...` and/or `icmpv6 ...`. */
  readonly icmp: readonly IcmpClause[];
  /** `authenticated`: mutual authentication required (Cilium `authentication.mode: required`). */
  readonly authenticatedSpan?: Span | undefined;
}

/** `grpc "pkg.Service/Method", ...`. */
export interface GrpcClause {
  readonly kind: "GrpcClause";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly methods: readonly StringLit[];
}

/** `kafka produce "topic", consume "topic", "topic"`. */
export interface KafkaClause {
  readonly kind: "KafkaClause";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly rules: readonly { readonly span: Span; readonly role?: Ident | undefined; readonly topic?: StringLit | undefined }[];
}

/** `icmp TYPE, ...` (IPv4) or `icmpv6 TYPE, ...`. */
export interface IcmpClause {
  readonly kind: "IcmpClause";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly family: "IPv4" | "IPv6";
  readonly types: readonly Ident[];
}

/** `dns "pattern", ...` on an egress rule to the DNS server: the names pods may resolve. */
export interface DnsClause {
  readonly kind: "DnsClause";
  readonly span: Span;
  readonly keywordSpan: Span;
  readonly patterns: readonly StringLit[];
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
  | WithinTarget
  | ApprovedTarget
  | CidrGroupTarget
  | NodesTarget;

/** `in cluster NAME` / `in any cluster` after a pod peer (cluster mesh). */
export interface ClusterRef {
  readonly span: Span;
  readonly name?: Ident | undefined;
  readonly any: boolean;
}

/** `cidr-group NAME`: a CiliumCIDRGroup. */
export interface CidrGroupTarget {
  readonly kind: "CidrGroup";
  readonly span: Span;
  readonly name?: Ident | undefined;
}

/** `nodes [where selector]`: cluster nodes by label. */
export interface NodesTarget {
  readonly kind: "Nodes";
  readonly span: Span;
  readonly selector?: Selector | undefined;
}

/** `approved`: every destination approved for the tenant (on the rule's ports). */
export interface ApprovedTarget {
  readonly kind: "Approved";
  readonly span: Span;
}

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
  readonly cluster?: ClusterRef | undefined;
}

/** `namespace monitoring` (or `namespace *`: every namespace) optionally with `workload <selector>`. */
export interface NamespaceTarget {
  readonly kind: "NamespaceRef";
  readonly span: Span;
  readonly namespace?: Ident | undefined;
  /** `namespace where key=value`: namespaces by label (then `namespace` is undefined). */
  readonly where?: Selector | undefined;
  readonly selector?: Selector | undefined;
  readonly cluster?: ClusterRef | undefined;
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
  readonly cluster?: ClusterRef | undefined;
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
  | UseStmt
  | Arg
  | ArgValue
  | Param
  | AppliesStmt
  | DefaultDenyStmt
  | VisibilityStmt
  | FlowEndpoint
  | ModeStmt
  | DnsModeStmt
  | DnsClause
  | GrpcClause
  | KafkaClause
  | IcmpClause
  | Selector
  | SelectorTerm
  | TargetList
  | Target
  | PortClause
  | PortSpec
  | HttpClause
  | HttpRule;

/** True for a ruleset parameter reference (`$port`). */
export function isVariable(i: { readonly text: string } | undefined): boolean {
  return i !== undefined && i.text.startsWith("$");
}

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
    case "Ruleset":
    case "Baseline":
      if (node.kind === "Ruleset") node.params.forEach(visit);
      (node.body as readonly AstNode[]).forEach(visit);
      return;
    case "Param":
      if (node.default) visit(node.default);
      return;
    case "Use":
      node.args.forEach(visit);
      if (node.for) visit(node.for);
      return;
    case "Arg":
      if (node.value) visit(node.value);
      return;
    case "Expect": {
      visitInOrder([node.source, node.destination, node.port, node.icmp, node.http], visit);
      return;
    }
    case "FlowEndpoint":
      if (node.selector) visit(node.selector);
      return;
    case "Applies":
      if (node.where) visit(node.where);
      if (node.nodes?.where) visit(node.nodes.where);
      return;
    case "Workload":
      if (node.selector) visit(node.selector);
      return;
    case "Selector":
      node.terms.forEach(visit);
      return;
    case "Rule": {
      const parts: (AstNode | undefined)[] = [node.bare, node.from, node.to, node.ports, node.http, node.dns, node.grpc, node.kafka];
      for (const icmp of node.icmp) parts.push(icmp);
      visitInOrder(parts, visit);
      return;
    }
    case "TargetList":
      node.targets.forEach(visit);
      return;
    case "Host":
      if (node.port) visit(node.port);
      return;
    case "NamespaceRef":
      if (node.where) visit(node.where);
      if (node.selector) visit(node.selector);
      return;
    case "Nodes":
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

/**
 * Visits the parts present in source order. An insertion sort in place: the parts are a handful,
 * and Array.prototype.sort allocates a work copy (half a megabyte per keystroke in a large file,
 * whose statements the incremental check walks).
 */
function visitInOrder(parts: (AstNode | undefined)[], visit: (child: AstNode) => void): void {
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (!p) continue;
    let j = n++;
    while (j > 0 && parts[j - 1]!.span.start > p.span.start) {
      parts[j] = parts[j - 1];
      j--;
    }
    parts[j] = p;
  }
  for (let i = 0; i < n; i++) visit(parts[i]!);
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
