/**
 * Rule resolution: every rule of a tenant block or baseline, and every rule a `use` brings in from
 * a rule set, becomes atoms (subject x peer, with ports), after the checks that concern one rule:
 * names resolve, peers fit the direction and action, ports and L7 rules are valid for Cilium, and
 * external egress is approved and not blocked.
 *
 * Rules from rule sets are resolved in the context of the use: `$parameters` take the use's
 * arguments, subjects default to its `for`, approvals are the using tenant's; problems are
 * reported at the use, with a note pointing at the rule set.
 */
import {
  diag,
  isVariable,
  type ClusterRef,
  type DiagnosticExtras,
  type Diagnostic,
  type Fix,
  type HttpClause,
  type PortSpec,
  type RuleStmt,
  type TenantItem,
  type Span,
  type Target,
  type TargetList,
  type UseStmt,
} from "../language/index.js";
import { closest } from "../language/suggest.js";
import type { CatalogEntry, CodeName } from "../language/catalog.js";
import { CATALOG } from "../language/catalog.js";
import { draftApprovalFix } from "./approval-draft.js";
import { appliesTo, checkCoverage, daysBetween, findBlocked, isPending, type Coverage, type RequestedDestination } from "./approvals.js";
import type { BaselineSymbol, SourceUnit, TenantBlock, TenantSettings } from "./binder.js";
import { nameProblem } from "./binder.js";
import { FEATURE_NEEDS, supports } from "./cilium/versions.js";
import {
  EMPTY_SELECTOR,
  type Atom,
  type HttpRuleIr,
  type IcmpReq,
  type KafkaRuleIr,
  type LabelSelector,
  type Peer,
  type PodSet,
  type PortReq,
  type RuleOrigin,
  type Subject,
  type WorkloadSymbol,
} from "./ir.js";
import { resolveSelector, selectorText } from "./labels.js";
import { labelsMatch } from "./binder.js";
import { AddressSet, formatPrefix, parseCidr, prefixContains, type Prefix } from "./net/cidr.js";
import { parseFqdn, type FqdnPattern } from "./net/fqdn.js";
import { isValidPortName, PortSet, type ProtocolSpec } from "./net/ports.js";
import type { ProjectConfig } from "./project.js";
import { re2Problem } from "./re2.js";
import { cidrGroupNameProblem, type Approval, type ApprovalRegistry, type TenantInfo, type TenantRegistry } from "./registry.js";
import { ENTITIES, HTTP_METHODS, icmpType, ICMP_TYPES } from "./resolve-constants.js";
import { bindArguments, type Binding, type RulesetIndex } from "./rulesets.js";
import type { YamlSource } from "./yaml-source.js";

export { ENTITIES, HTTP_METHODS };

/** Days before expiry at which a rule starts warning about its approval. */
export const EXPIRY_WARNING_DAYS = 30;

export interface ResolveContext {
  readonly config: ProjectConfig;
  readonly tenants: TenantRegistry;
  readonly approvals: ApprovalRegistry | undefined;
  readonly approvalsSource: YamlSource | undefined;
  readonly workloads: ReadonlyMap<string, ReadonlyMap<string, WorkloadSymbol>>;
  readonly rulesets: RulesetIndex;
  /** Tenants' `mode` and `dns` settings (from the binder). */
  readonly settings: ReadonlyMap<string, TenantSettings>;
  readonly today: string;
  readonly diagnostics: Diagnostic[];
  nextAtomId: number;
  nextOrder: number;
  /**
   * Where each checked file's numbers start (statementBase), and how many numbers a character of
   * a file has room for. A statement's atoms and orders start at least at its place in the check,
   * so a rule added or removed in an edit does not renumber every atom after it (which the
   * editor would pay for on the keystrokes that change a rule's atom count).
   */
  readonly numbering?: { readonly fileBase: ReadonlyMap<string, number>; readonly scale: number };
  /** Approval coverage by tenant, destination and ports: many rules ask the same question. */
  readonly coverage?: Map<string, Coverage>;
  /**
   * Peers found in this check by their value (peerKey): rules naming the same peer share one.
   * A workspace of a thousand tenants has about three times as many peers as distinct ones.
   */
  readonly peers?: Map<string, Peer>;
}

/** Where rules are resolved: a tenant's block, or a platform baseline. */
export type RuleContext =
  | { readonly kind: "tenant"; readonly tenant: TenantInfo; readonly unit: SourceUnit }
  | { readonly kind: "baseline"; readonly baseline: BaselineSymbol; readonly unit: SourceUnit };

/** A rule set being expanded at a use. */
interface Instantiation {
  readonly env: ReadonlyMap<string, Binding>;
  /** The outermost use: where diagnostics and traceability point. */
  readonly site: { readonly file: string; readonly span: Span; readonly line: number; readonly text: string };
  /** The file of the rule set whose rules are being resolved. */
  readonly unit: SourceUnit;
  readonly ruleset: string;
  readonly chain: readonly string[];
  /** The files of the rule sets in the chain, outermost first. */
  readonly files: readonly string[];
  /** The outermost use's `for` subjects (spans in the site's file). */
  readonly subjects?: TargetList | undefined;
  readonly stdlib: boolean;
  /** `use NAME audit` somewhere in the chain: default deny is staged, not enforced. */
  readonly audit: boolean;
}

/** The text of a span without comments, whitespace collapsed, for annotations and messages. */
export function sourceText(unit: SourceUnit, span: Span): string {
  let text = "";
  let at = span.start;
  // Comments are in text order: start at the first one inside the span (a file has thousands).
  const comments = unit.ast.comments;
  let lo = 0;
  let hi = comments.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comments[mid]!.span.start < span.start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < comments.length; i++) {
    const c = comments[i]!;
    if (c.span.start >= span.end) break;
    text += unit.text.slice(at, c.span.start) + " ";
    at = c.span.end;
  }
  text += unit.text.slice(at, span.end);
  // Most rules are one line with single spaces: nothing to collapse.
  const collapsed = (/[^\S ]| {2}/.test(text) ? text.replace(/\s+/g, " ") : text).trim();
  return collapsed.length > 240 ? collapsed.slice(0, 237) + "..." : collapsed;
}

/**
 * The lists of atoms that have none, shared: atoms number in the tens of thousands, and each
 * list of their own (even empty) is an object; one that is not empty is copied to its length.
 */
const NO_APPROVALS: readonly Approval[] = [];
const NO_NAMES: readonly string[] = [];

/**
 * A rule of a shared module or rule set is instantiated at every use (thousands of times): its
 * text is computed once per rule and file text. A tenant's own rules are resolved once per check
 * of their block and keep their text in their origin: they are not remembered here.
 */
const ruleTexts = new WeakMap<RuleStmt, { readonly source: string; readonly text: string }>();

export function ruleText(unit: SourceUnit, rule: RuleStmt): string {
  const known = ruleTexts.get(rule);
  if (known && known.source === unit.text) return known.text;
  const text = sourceText(unit, rule.span);
  ruleTexts.set(rule, { source: unit.text, text });
  return text;
}

function describeTarget(t: Target): string {
  switch (t.kind) {
    case "Host":
      return `host ${t.name.text}`;
    case "Cidr":
      return `cidr ${t.cidr?.text ?? ""}`.trim();
    case "Entity":
      return `entity ${t.name?.text ?? ""}`.trim();
    case "TenantRef":
      return `tenant ${t.tenant?.text ?? ""}${t.workload ? ` workload ${t.workload.text}` : ""}${clusterText(t.cluster)}`;
    case "NamespaceRef":
      return `namespace ${t.where ? "where ..." : (t.namespace?.text ?? "")}${clusterText(t.cluster)}`;
    case "Service":
      return `service ${t.namespace?.text ?? ""}/${t.name?.text ?? ""}`;
    case "WorkloadRef":
      return `workload ${t.name?.text ?? ""}${clusterText(t.cluster)}`;
    case "Within":
      return "within namespace";
    case "Approved":
      return "approved";
    case "CidrGroup":
      return `cidr-group ${t.name?.text ?? ""}`.trim();
    case "Nodes":
      return t.selector ? "nodes where ..." : "nodes";
  }
}

function clusterText(c: ClusterRef | undefined): string {
  return !c ? "" : c.any ? " in any cluster" : ` in cluster ${c.name?.text ?? ""}`;
}

export function peerText(p: Peer): string {
  switch (p.kind) {
    case "fqdn":
      return p.pattern.text;
    case "cidr":
      return `cidr ${formatPrefix(p.prefix)}${p.except.length ? ` except ${p.except.map(formatPrefix).join(", ")}` : ""}`;
    case "entity":
      return `entity ${p.entity}`;
    case "pods":
      return p.description;
    case "within":
      return "pods of the same namespace";
    case "service":
      return `service ${p.namespace}/${p.name}`;
    case "cidrGroup":
      return `cidr-group ${p.name}`;
    case "nodes":
      return Object.keys(p.selector.matchLabels).length + p.selector.matchExpressions.length === 0 ? "every node" : `nodes where ${selectorText(p.selector)}`;
  }
}

export function portsText(ports: readonly PortReq[] | undefined): string {
  if (!ports) return "all ports";
  return ports.map((p) => `${p.port}${p.end !== undefined ? `-${p.end}` : ""}/${p.protocol.toLowerCase()}`).join(", ");
}

const PORT_SETS = new Map<string, PortSet>();
const ALL_PORTS = PortSet.all();

/*
 * Subjects and peers are immutable values that tens of thousands of atoms point at: the ones
 * without parts are constants, and a workload's subject is made once per workload symbol (the
 * binder hands a symbol on from check to check while its declaration is unchanged).
 */
const ALL_SUBJECT: Subject = { kind: "all" };
const WITHIN: Peer = { kind: "within" };
const workloadSubjects = new WeakMap<WorkloadSymbol, Subject>();

export function workloadSubject(w: WorkloadSymbol): Subject {
  let s = workloadSubjects.get(w);
  if (!s) workloadSubjects.set(w, (s = { kind: "workload", workload: w }));
  return s;
}

/** An atom's ports in its three forms. */
interface PortInfo {
  readonly ports: readonly PortReq[] | undefined;
  readonly portSet: PortSet;
  readonly namedPorts: readonly string[];
}

/**
 * Port lists by their text: tens of thousands of atoms have a few hundred distinct lists, and
 * a list (with its port objects) is immutable plain data, so equal ones are shared.
 */
const PORT_INFOS = new Map<string, PortInfo>();
const ALL_PORTS_INFO: PortInfo = { ports: undefined, portSet: ALL_PORTS, namedPorts: NO_NAMES };

function portInfoOf(ports: readonly PortReq[] | undefined): PortInfo {
  if (!ports) return ALL_PORTS_INFO;
  let key = "";
  for (const p of ports) key += `${typeof p.port === "number" ? "" : "#"}${p.port}-${p.end ?? ""}/${p.protocol},`;
  let info = PORT_INFOS.get(key);
  if (info) return info;
  const named = ports.filter((p) => typeof p.port === "string");
  info = { ports, portSet: portSetOf(ports), namedPorts: named.length > 0 ? named.map((p) => `${p.port}/${p.protocol}`) : NO_NAMES };
  if (PORT_INFOS.size < 10_000) PORT_INFOS.set(key, info);
  return info;
}

/** The value of a peer as text: equal texts, equal peers (see ResolveContext.peers). */
function peerKey(p: Peer): string {
  switch (p.kind) {
    case "fqdn":
      return `f|${p.pattern.text}`;
    case "cidr":
      // The set as well (shared() compares it): an approval's may be other than the prefix's.
      return `c|${formatPrefix(p.prefix)}|${p.except.map(formatPrefix).join(",")}`;
    case "entity":
      return `e|${p.entity}`;
    case "pods": {
      const x = p.pods;
      const ns = x.namespaceSelector ? selectorText(x.namespaceSelector) : "";
      return `p|${p.description}|${x.namespaces.join(",")}|${x.anyNamespace ? 1 : 0}|${x.namespaceSelector ? 1 : 0}${ns}|${x.cluster ?? "\u0000"}|${selectorText(x.selector)}|${x.tenant ?? "\u0000"}|${x.workload ?? "\u0000"}`;
    }
    case "within":
      return "w";
    case "service":
      return `s|${p.namespace}/${p.name}`;
    case "cidrGroup":
      return `g|${p.name}`;
    case "nodes":
      return `n|${selectorText(p.selector)}`;
  }
}

/** The numeric ports of a list as a set. PortSets are immutable, so equal lists share one. */
export function portSetOf(ports: readonly PortReq[] | undefined): PortSet {
  if (!ports) return ALL_PORTS;
  let key = "";
  for (const p of ports) if (typeof p.port === "number") key += `${p.port}-${p.end ?? p.port}/${p.protocol},`;
  let s = PORT_SETS.get(key);
  if (s) return s;
  s = PortSet.empty();
  for (const p of ports) if (typeof p.port === "number") s = s.union(PortSet.spec(p.protocol, p.port, p.end ?? p.port));
  if (PORT_SETS.size < 10_000) PORT_SETS.set(key, s);
  return s;
}

type Args<N extends CodeName> = Parameters<(typeof CATALOG)[N]["message"]>[0];

class RuleResolver {
  private errors = 0;
  /** The rule set expansion in progress, if any. */
  private inst: Instantiation | undefined;

  constructor(
    private readonly ctx: ResolveContext,
    private readonly context: RuleContext,
  ) {}

  /** The file the current rule is written in. */
  private get file(): string {
    return this.inst?.unit.path ?? this.context.unit.path;
  }

  /**
   * Reports a diagnostic about a span of the current rule. Inside a rule set it is reported at the
   * use, with a note pointing at the rule set's text; each use reports its own instance.
   */
  private report<N extends CodeName>(name: N, span: Span, args: Args<N>, extras: DiagnosticExtras = {}): void {
    const entry = CATALOG[name] as CatalogEntry<never>;
    if (entry.severity === "error") this.errors++;
    if (!this.inst) {
      this.ctx.diagnostics.push(diag(name, { file: this.file, span }, args, extras));
      return;
    }
    const related = [
      { file: this.inst.unit.path, span, message: `in rule set ${this.inst.chain.join(" > ")}` },
      ...(extras.related ?? []),
    ];
    // No did-you-mean at the use: the text to change is in the rule set (see replaceFix).
    this.ctx.diagnostics.push(diag(name, { file: this.inst.site.file, span: this.inst.site.span }, args, { ...extras, related, fixes: extras.fixes ?? [] }));
  }

  /**
   * A fix that replaces `span` of the rule being resolved. None inside a rule set: the text is in
   * another file, shared by every use.
   */
  private replaceFix(span: Span, newText: string | undefined, title?: string): Fix[] {
    if (newText === undefined || this.inst) return [];
    return [{ title: title ?? `Replace with '${newText}'`, edits: [{ file: this.file, span, newText }] }];
  }

  /** Rules of a baseline that applies to nodes (a host firewall policy). */
  private get hostPolicy(): boolean {
    return this.context.kind === "baseline" && this.context.baseline.nodes !== undefined;
  }

  private get tenantName(): string {
    return this.context.kind === "tenant" ? this.context.tenant.name : this.context.baseline.owner.name;
  }

  /**
   * The tenants whose approvals an external rule needs: the tenant, every tenant a baseline covers,
   * or for a host policy the platform tenant that owns it.
   */
  private get approvalTenants(): string[] {
    if (this.context.kind === "tenant") return [this.context.tenant.name];
    if (this.context.baseline.nodes) return [this.context.baseline.owner.name];
    return [...new Set(this.context.baseline.tenantOf.values())].sort();
  }

  /** A `$parameter` replaced by its value (with the value's type); a plain name unchanged. */
  private value(ident: { text: string; span: Span } | undefined, want: string[]): { text: string; span: Span; binding?: Binding } | undefined {
    if (!ident) return undefined;
    if (!isVariable(ident)) return ident;
    const name = ident.text.slice(1);
    const b = this.inst?.env.get(name);
    if (!b) {
      const params = this.inst ? [...this.inst.env.keys()] : [];
      this.report("unknownVariable", ident.span, {
        name,
        where: this.inst ? `is not a parameter of rule set '${this.inst.ruleset}'` : "can only be used inside a rule set",
        suggestion: closest(name, params),
      });
      return undefined;
    }
    if (!want.includes(b.type)) {
      this.report("argumentType", ident.span, { param: `$${name}`, expected: want.map((w) => `a ${w}`).join(" or "), found: `a ${b.type}` });
      return undefined;
    }
    return { text: b.value.text, span: ident.span, binding: b };
  }

  private origin(rule: RuleStmt): RuleOrigin {
    const order = this.ctx.nextOrder++;
    if (!this.inst) {
      const unit = this.context.unit;
      return { order, file: unit.path, line: unit.lines.positionAt(rule.span.start).line + 1, span: rule.span, rule, text: sourceText(unit, rule.span) };
    }
    const site = this.inst.site;
    return {
      order,
      file: site.file,
      line: site.line,
      span: site.span,
      rule,
      text: site.text,
      via: {
        ruleset: this.inst.ruleset,
        file: this.inst.unit.path,
        line: this.inst.unit.lines.positionAt(rule.span.start).line + 1,
        text: ruleText(this.inst.unit, rule),
        files: this.inst.files,
      },
      stdlib: this.inst.stdlib,
    };
  }

  /** Expands a `use`: binds arguments, then resolves the rule set's rules at this use. */
  expand(use: UseStmt, outer?: Instantiation): Atom[] {
    if (!use.name) return [];
    const useUnit = outer?.unit ?? this.context.unit;
    const errors: Diagnostic[] = [];
    const ruleset = this.ctx.rulesets.lookup(useUnit, use.name, errors);
    const fail = () => {
      // A problem inside a rule set's own `use` belongs to the rule set's file, reported once.
      this.ctx.diagnostics.push(...errors);
      this.errors += errors.filter((d) => d.severity === "error").length;
      return [];
    };
    if (!ruleset) return fail();
    const chain = [...(outer?.chain ?? []), ruleset.name];
    if (outer?.chain.includes(ruleset.name)) {
      errors.push(diag("rulesetCycle", { file: useUnit.path, span: use.name.span }, { cycle: chain.join(" -> ") }));
      return fail();
    }
    if (use.for && (outer || this.context.kind === "baseline")) {
      this.ctx.diagnostics.push(
        diag("invalidSubject", { file: useUnit.path, span: use.for.span }, { found: "a 'for' clause here", direction: "egress" }, {
          help: outer ? "'for' belongs where a tenant uses the rule set, not inside another rule set." : "Baseline rules apply to every pod of the namespaces the baseline covers; they take no subject.",
        }),
      );
      this.errors++;
      return [];
    }
    if (use.auditSpan && this.context.kind === "tenant") {
      errors.push(
        diag("invalidSetting", { file: useUnit.path, span: use.auditSpan }, {
          setting: "audit",
          value: "",
          allowed: "",
          where: "on a use only matters in baselines: a tenant's rules only add allowed traffic, so there is no default deny to stage; stage the whole tenant with 'mode audit'",
        }),
      );
      return fail();
    }
    const env = bindArguments(use, ruleset, useUnit.path, outer ? (n) => outer.env.get(n) : undefined, errors);
    if (!env) return fail();
    const site =
      outer?.site ??
      (() => {
        const unit = this.context.unit;
        return { file: unit.path, span: use.span, line: unit.lines.positionAt(use.span.start).line + 1, text: sourceText(unit, use.span) };
      })();
    const inst: Instantiation = {
      env,
      site,
      unit: ruleset.unit,
      ruleset: ruleset.name,
      chain,
      // A spread list keeps room to grow, and every origin of the use keeps it: exact size.
      files: outer ? outer.files.concat(ruleset.unit.path) : [ruleset.unit.path],
      subjects: outer?.subjects ?? use.for,
      stdlib: ruleset.stdlib,
      audit: outer?.audit === true || use.auditSpan !== undefined,
    };
    const atoms: Atom[] = [];
    for (const item of ruleset.decl.body) {
      if (item.kind === "Rule") atoms.push(...this.resolve(item, inst));
      else if (item.kind === "Use") atoms.push(...this.expand(item, inst));
      else if (this.context.kind === "baseline") {
        const b = this.context.baseline;
        for (const d of item.directions) (inst.audit ? b.stagedDefaultDeny : b.defaultDeny).add(d.direction);
        if (b.visibilityOnly && item.directions.length > 0) {
          const saved = this.inst;
          this.inst = inst;
          this.report("visibilityWithDefaultDeny", item.span, { name: b.name, directions: item.directions.map((d) => d.direction).join(" and ") });
          this.inst = saved;
        }
      }
    }
    return atoms;
  }

  resolve(rule: RuleStmt, inst?: Instantiation): Atom[] {
    const saved = this.inst;
    this.inst = inst;
    try {
      return this.resolveRule(rule);
    } finally {
      this.inst = saved;
    }
  }

  private resolveRule(rule: RuleStmt): Atom[] {
    if (!rule.direction && !rule.withinNamespace) return [];
    const origin = this.origin(rule);
    if (rule.withinNamespace) return this.resolveWithin(rule, origin);
    const direction = rule.direction!;
    const ingress = direction === "ingress";
    const peerClause = ingress ? rule.from : rule.to;
    if (rule.bare && peerClause) this.report("duplicateClause", peerClause.keywordSpan ?? peerClause.span, { clause: ingress ? "from" : "to" });
    const peers = rule.bare ?? peerClause;
    const subjects = ingress ? rule.to : rule.from;
    if (!peers) {
      const span = { start: rule.actionSpan.start, end: rule.directionSpan?.end ?? rule.actionSpan.end };
      this.report("syntaxError", span, {
        message: ingress
          ? "this ingress rule names no source: add 'from <tenant, namespace, cidr, entity ...>'"
          : "this egress rule names no destination: add 'to <host, cidr, tenant, namespace, service, entity ...>'",
      });
      return [];
    }
    if (peers.targets.length === 0 || (subjects && subjects.targets.length === 0)) return [];

    const ruleErrors = this.errors;
    const resolvedSubjects = this.resolveSubjects(subjects, direction);
    if (!resolvedSubjects) return [];
    const clausePorts = rule.ports ? this.resolvePorts(rule.ports.ports) : undefined;
    const http = this.resolveHttpAndGrpc(rule);
    const dns = rule.dns ? this.resolveDns(rule) : undefined;
    const kafka = rule.kafka ? this.resolveKafka(rule) : undefined;
    const icmp = rule.icmp.length > 0 ? this.resolveIcmp(rule) : undefined;
    const l7Kinds = [http && "HTTP", dns && "DNS", kafka && "Kafka"].filter(Boolean);
    let l7ok = true;
    if (l7Kinds.length > 1) {
      // At the second L7 clause as written: the first one is the rule's intent.
      const clauses = [rule.http, rule.grpc, rule.dns, rule.kafka].filter((c) => c !== undefined).sort((a, b) => a.span.start - b.span.start);
      this.report("l7NotAllowed", clauses[1]!.keywordSpan, {
        what: `${l7Kinds.join(" and ")} rules`,
        reason: "one rule carries one L7 protocol (Cilium rejects several in one port rule); write one rule per protocol",
      });
      l7ok = false;
    }
    if (icmp && (http || dns || kafka)) {
      this.report("l7NotAllowed", rule.icmp[0]!.keywordSpan, { what: "ICMP", reason: "ICMP has no ports, so it cannot carry L7 rules; allow ICMP in a rule of its own" });
      l7ok = false;
    }
    const auth = rule.authenticatedSpan ? this.checkAuthentication(rule) : false;
    this.checkAuditMode(rule, { http, dns, kafka });
    if (this.hostPolicy && (http || kafka || (dns && direction === "ingress"))) {
      const clause = (rule.http ?? rule.grpc ?? rule.kafka ?? rule.dns)!;
      this.report("l7NotAllowed", clause.keywordSpan, {
        what: `${http ? "HTTP" : kafka ? "Kafka" : "DNS"} rules`,
        reason: "host policies support no L7 rules on ingress and only DNS rules on egress (§A 24)",
      });
      l7ok = false;
    }
    const subjectErrors = this.errors - ruleErrors;
    const atoms: Atom[] = [];
    for (const target of peers.targets) {
      const targetErrors = this.errors;
      let ports = clausePorts;
      if (target.kind === "Host" && target.port) {
        if (rule.ports) this.report("portGivenTwice", target.port.span, {});
        else ports = this.resolvePorts([target.port]);
      }
      if (ports === null || http === null || dns === null || kafka === null || icmp === null || auth === null || !l7ok) continue;
      const portList = ports ?? undefined;
      const resolved =
        target.kind === "Approved" ? this.approvedPeers(target, portList, direction, rule.action) : [{ peer: this.resolvePeer(target, direction, rule.action), ports: portList }];
      for (const { peer: resolvedPeer, ports: portList } of resolved) {
        if (!resolvedPeer) continue;
        const peer = this.shared(resolvedPeer);
        if (auth && !this.checkAuthenticationPeer(rule, peer, target)) continue;
        // ICMP without a port clause allows only ICMP; with one, the ports too (in their own entry:
        // Cilium refuses icmps and toPorts together, §A 10).
        const portAtoms = !icmp || rule.ports !== undefined || (target.kind === "Host" && target.port !== undefined);
        if (icmp && !this.checkIcmpPeer(peer, target)) continue;
        if (portAtoms) {
          if (!this.checkPortsForPeer(peer, target, portList, direction)) continue;
          if (http && !this.checkHttp(rule, portList)) continue;
          if (dns && !this.checkDns(rule, portList, direction)) continue;
          if (kafka && !this.checkKafka(rule, portList)) continue;
        }
        const found = this.checkExternal(peer, target, portAtoms ? portList : null, direction, rule.action, icmp);
        const approvals = found.length > 0 ? found.slice() : NO_APPROVALS;
        if (!origin.stdlib) this.checkBreadth(peer, target, portAtoms ? portList : [], rule, direction);
        const flawed = subjectErrors > 0 || this.errors > targetErrors;
        const peerSpan = this.inst ? this.inst.site.span : target.span;
        const base = { origin, action: rule.action, direction, peer, peerSpan, approvals, flawed, auth };
        const portAtom = portAtoms ? this.portInfo(portList) : undefined;
        const icmpAtom = icmp ? this.portInfo([]) : undefined;
        for (const subject of resolvedSubjects) {
          if (portAtom) atoms.push(this.atom(base, subject, portAtom, http, dns, kafka, undefined));
          if (icmpAtom) atoms.push(this.atom(base, subject, icmpAtom, undefined, undefined, undefined, icmp!));
        }
      }
    }
    return atoms;
  }

  /** `http` and `grpc` clauses together: gRPC methods are HTTP POSTs on `/package.Service/Method`. */
  private resolveHttpAndGrpc(rule: RuleStmt): HttpRuleIr[] | null | undefined {
    if (!rule.http && !rule.grpc) return undefined;
    const http = rule.http ? this.resolveHttp(rule.http) : [];
    let ok = http !== null;
    const out: HttpRuleIr[] = [...(http ?? [])];
    for (const m of rule.grpc?.methods ?? []) {
      const match = /^\/?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\/([A-Za-z_][A-Za-z0-9_]*|\*)$/.exec(m.value);
      if (!match) {
        this.report("invalidHttpRule", m.span, {
          reason: `${JSON.stringify(m.value)} is not a gRPC method: write "package.Service/Method" (or "package.Service/*" for every method of the service)`,
        });
        ok = false;
        continue;
      }
      const service = match[1]!.replace(/\./g, "\\.");
      out.push({ method: "POST", path: `/${service}/${match[2] === "*" ? "[^/]+" : match[2]}`, headers: [], grpc: m.value });
    }
    return ok ? out : null;
  }

  private resolveKafka(rule: RuleStmt): KafkaRuleIr[] | null {
    const clause = rule.kafka!;
    const cilium = this.ctx.config.cilium;
    if (!supports(cilium, "kafka")) {
      this.report("versionUnsupportedFeature", clause.keywordSpan, { feature: "Kafka rules", version: cilium.text, need: FEATURE_NEEDS.kafka });
      return null;
    }
    if (supports(cilium, "kafkaDeprecated")) this.report("deprecatedFeature", clause.keywordSpan, { feature: "Kafka rules", version: cilium.text, removed: "Cilium 1.20" });
    const out: KafkaRuleIr[] = [];
    let ok = true;
    for (const r of clause.rules) {
      let role: KafkaRuleIr["role"];
      if (r.role) {
        const v = r.role.text.toLowerCase();
        if (v === "produce" || v === "consume") role = v;
        else {
          const s = closest(v, ["produce", "consume"]);
          this.report("invalidKafkaRule", r.role.span, { reason: `'${r.role.text}' is not a role: write produce or consume${s ? ` (did you mean '${s}'?)` : ""}` }, { fixes: this.replaceFix(r.role.span, s) });
          ok = false;
          continue;
        }
      }
      if (r.topic && !/^[a-zA-Z0-9._-]{1,249}$/.test(r.topic.value)) {
        this.report("invalidKafkaRule", r.topic.span, { reason: `the topic ${JSON.stringify(r.topic.value)} must be 1 to 249 letters, digits, '.', '_' or '-'` });
        ok = false;
        continue;
      }
      out.push({ role, topic: r.topic?.value });
    }
    return ok ? out : null;
  }

  private checkKafka(rule: RuleStmt, ports: readonly PortReq[] | undefined): boolean {
    const span = rule.kafka!.keywordSpan;
    if (rule.action === "deny") {
      this.report("l7NotAllowed", span, { what: "Kafka rules", reason: "deny rules are L3/L4 only in Cilium" });
      return false;
    }
    const bad = !ports ? "all ports" : ports.find((p) => p.protocol !== "TCP");
    if (bad) {
      this.report("l7NotAllowed", span, {
        what: "Kafka rules",
        reason: bad === "all ports" ? "they need the broker's TCP port (port 9092)" : `they apply only to TCP ports, and ${bad.port}/${bad.protocol.toLowerCase()} is not TCP`,
      });
      return false;
    }
    return true;
  }

  private resolveIcmp(rule: RuleStmt): IcmpReq[] | null {
    const out: IcmpReq[] = [];
    let ok = true;
    for (const clause of rule.icmp) {
      for (const t of clause.types) {
        const v = this.value(t, ["string", "port"]);
        if (!v) {
          ok = false;
          continue;
        }
        const n = icmpType(v.text, clause.family);
        if (typeof n === "string") {
          const names = Object.keys(ICMP_TYPES[clause.family]);
          const s = closest(v.text.replace(/-/g, "").toLowerCase(), names.map((x) => x.toLowerCase()));
          const found = s ? names.find((x) => x.toLowerCase() === s) : undefined;
          const suggestion = found?.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
          // A name of the other family: the fix switches the clause's keyword.
          const other = clause.family === "IPv4" ? "IPv6" : "IPv4";
          const otherFamily = !/^\d+$/.test(v.text) && typeof icmpType(v.text, other) === "number";
          const fixes = otherFamily
            ? this.replaceFix(clause.keywordSpan, other === "IPv6" ? "icmpv6" : "icmp", `Write ${other === "IPv6" ? "icmpv6" : "icmp"}`)
            : this.replaceFix(t.span, suggestion);
          this.report("invalidIcmp", t.span, { reason: `${n}${suggestion && !otherFamily ? `. Did you mean '${suggestion}'?` : ""}` }, { fixes });
          ok = false;
          continue;
        }
        if (!out.some((x) => x.family === clause.family && x.type === n)) out.push({ family: clause.family, type: n });
      }
    }
    return ok ? out : null;
  }

  private checkIcmpPeer(peer: Peer, target: Target): boolean {
    if (peer.kind === "fqdn") {
      this.report("peerNotAllowed", target.span, {
        peer: describeTarget(target),
        reason: "ICMP to host names is not expressible in Cilium (toFQDNs rules carry ports only); allow the approved CIDR instead",
      });
      return false;
    }
    if (peer.kind === "service") {
      this.report("peerNotAllowed", target.span, { peer: describeTarget(target), reason: "ICMP is not translated through services; name the pods" });
      return false;
    }
    return true;
  }

  /** `authenticated`: allow rules only, and only with the feature enabled. Null after an error. */
  private checkAuthentication(rule: RuleStmt): boolean | null {
    const span = rule.authenticatedSpan!;
    if (rule.action === "deny") {
      this.report("invalidAuthentication", span, { reason: "deny rules have no authentication in Cilium (§A 20); a denied connection is never established" });
      return null;
    }
    if (!this.ctx.config.features.has("mutual-auth")) {
      this.report("agentFeatureRequired", span, { feature: "mutual-auth", what: "'authenticated'" });
      return null;
    }
    return true;
  }

  private checkAuthenticationPeer(rule: RuleStmt, peer: Peer, target: Target): boolean {
    if (peer.kind === "pods" || peer.kind === "within") return true;
    this.report("invalidAuthentication", rule.authenticatedSpan!, {
      reason: `${describeTarget(target)} has no SPIFFE identity, so every connection to it would fail authentication; only pods can authenticate`,
    });
    return false;
  }

  /** In audit mode default deny is off, but deny and L7 rules still act: say so. */
  private checkAuditMode(rule: RuleStmt, l7: { http: unknown; dns: unknown; kafka: unknown }): void {
    if (this.context.kind !== "tenant" || this.ctx.settings.get(this.context.tenant.name)?.mode !== "audit") return;
    if (rule.action === "deny") this.report("auditStillEnforced", rule.actionSpan, { what: "this deny rule" });
    else if (l7.http || l7.dns || l7.kafka) {
      const clause = (rule.http ?? rule.grpc ?? rule.dns ?? rule.kafka)!;
      this.report("auditStillEnforced", clause.keywordSpan, { what: `this ${l7.http ? "HTTP" : l7.dns ? "DNS" : "Kafka"} rule (requests it does not match are rejected)` });
    }
  }

  private resolveSubjects(subjects: TargetList | undefined, direction: "ingress" | "egress"): Subject[] | undefined {
    const fromUse = !subjects && this.inst?.subjects;
    const list = subjects ?? (this.inst?.subjects || undefined);
    if (!list) return [ALL_SUBJECT];
    if (this.context.kind === "baseline") {
      this.report("invalidSubject", list.span, { found: "a subject in a baseline", direction }, { help: "Baseline rules apply to every pod of the namespaces the baseline covers; they take no subject." });
      return undefined;
    }
    // `for` subjects are written at the use, not in the rule set: resolve them there.
    const saved = this.inst;
    if (fromUse) this.inst = undefined;
    try {
      const out: Subject[] = [];
      for (const t of list.targets) {
        const s = this.resolveSubject(t, direction);
        if (s) out.push(s);
      }
      return out.length > 0 ? out : undefined;
    } finally {
      this.inst = saved;
    }
  }

  private resolveWithin(rule: RuleStmt, origin: RuleOrigin): Atom[] {
    if (this.hostPolicy) {
      this.report("nodesBaselineScope", rule.span, { message: "'within namespace' means pods of the subject's own namespace; a host policy's subjects are nodes, which have none" });
      return [];
    }
    const extra = rule.from ?? rule.to ?? rule.bare ?? rule.http ?? rule.dns ?? rule.grpc ?? rule.kafka ?? rule.icmp[0];
    if (extra) {
      this.report("peerNotAllowed", extra.span, {
        peer: "this clause",
        reason: "'allow within namespace' covers both directions for all pods of the namespace; it takes only a port clause",
      });
      return [];
    }
    const ports = rule.ports ? this.resolvePorts(rule.ports.ports) : undefined;
    if (ports === null) return [];
    const subjects = this.inst?.subjects ? this.resolveSubjects(undefined, "ingress") : [ALL_SUBJECT];
    if (!subjects) return [];
    const span = this.inst ? this.inst.site.span : { start: rule.actionSpan.start, end: rule.span.end };
    const info = this.portInfo(ports ?? undefined);
    return (["ingress", "egress"] as const).flatMap((direction) => {
      const base = { origin, action: rule.action, direction, peer: WITHIN, peerSpan: span, approvals: NO_APPROVALS, flawed: false, auth: false };
      return subjects.map((subject) => this.atom(base, subject, info, undefined, undefined, undefined, undefined));
    });
  }

  private portInfo(ports: readonly PortReq[] | undefined): PortInfo {
    return portInfoOf(ports);
  }

  /** The peer this check already has with the same value, or this one. */
  private shared(peer: Peer): Peer {
    const table = this.ctx.peers;
    if (!table) return peer;
    const key = peerKey(peer);
    const known = table.get(key);
    if (!known) table.set(key, peer);
    else if (known.kind !== "cidr" || peer.kind !== "cidr" || known.set === peer.set || (known.set.containsSet(peer.set) && peer.set.containsSet(known.set))) return known;
    return peer;
  }

  /** Atoms are built with one fixed shape (no spreads): there are tens of thousands of them. */
  private atom(
    base: { origin: RuleOrigin; action: Atom["action"]; direction: Atom["direction"]; peer: Peer; peerSpan: Span; approvals: Atom["approvals"]; flawed: boolean; auth: boolean },
    subject: Subject,
    ports: PortInfo,
    http: Atom["http"] | null | undefined,
    dns: Atom["dns"] | null | undefined,
    kafka: Atom["kafka"] | null | undefined,
    icmp: Atom["icmp"] | undefined,
  ): Atom {
    return {
      id: this.ctx.nextAtomId++,
      tenant: this.tenantName,
      baseline: this.context.kind === "baseline" ? this.context.baseline.name : undefined,
      origin: base.origin,
      action: base.action,
      direction: base.direction,
      subject,
      peer: base.peer,
      peerSpan: base.peerSpan,
      ports: ports.ports,
      portSet: ports.portSet,
      namedPorts: ports.namedPorts,
      http: http ?? undefined,
      dns: dns ?? undefined,
      kafka: kafka ?? undefined,
      icmp,
      auth: base.auth || undefined,
      approvals: base.approvals,
      flawed: base.flawed,
    };
  }

  private workload(tenant: string, name: { text: string; span: Span }): WorkloadSymbol | undefined {
    const own = this.ctx.workloads.get(tenant);
    const w = own?.get(name.text);
    if (!w) {
      this.report("unknownWorkload", name.span, { name: name.text, tenant, suggestion: closest(name.text, own?.keys() ?? []) });
      return undefined;
    }
    return w.broken ? undefined : w;
  }

  private resolveSubject(t: Target, direction: "ingress" | "egress"): Subject | undefined {
    if (this.context.kind !== "tenant") return undefined;
    const tenant = this.context.tenant;
    switch (t.kind) {
      case "WorkloadRef": {
        if (!t.name) return undefined;
        const w = this.workload(tenant.name, t.name);
        return w ? workloadSubject(w) : undefined;
      }
      case "NamespaceRef": {
        const ns = this.value(t.namespace, ["namespace"]);
        if (!ns) return undefined;
        if (t.selector) {
          this.report("invalidSubject", t.selector.span, { found: "an inline selector", direction }, { help: "Declare a workload for these pods and name it: workload NAME = selector" });
          return undefined;
        }
        if (tenant.namespaces.includes(ns.text)) return { kind: "namespace", namespace: ns.text };
        if (this.ctx.tenants.namespaces.has(ns.text) || ns.text === "*") this.report("namespaceNotOwned", ns.span, { namespace: ns.text, tenant: tenant.name });
        else this.report("unknownNamespace", ns.span, { name: ns.text, tenant: tenant.name, suggestion: closest(ns.text, tenant.namespaces) });
        return undefined;
      }
      case "TenantRef": {
        const name = this.value(t.tenant, ["tenant"]);
        if (!name) return undefined;
        if (name.text !== tenant.name) {
          this.report("invalidSubject", t.span, { found: `tenant ${name.text}`, direction });
          return undefined;
        }
        if (!t.workload) return ALL_SUBJECT;
        const w = this.workload(tenant.name, t.workload);
        return w ? workloadSubject(w) : undefined;
      }
      default:
        this.report("invalidSubject", t.span, { found: describeTarget(t), direction });
        return undefined;
    }
  }

  /** `approved`: every destination approved for the tenant(s) on these ports, one peer each. */
  /**
   * `approved`: each destination approved for the tenant(s), on those of the rule's ports its
   * approvals cover, so `approved port 443, 5432` reaches Stripe on 443 and the database on 5432.
   */
  private approvedPeers(
    target: Target,
    ports: readonly PortReq[] | undefined,
    direction: "ingress" | "egress",
    action: "allow" | "deny",
  ): { peer: Peer; ports: readonly PortReq[] }[] {
    if (direction !== "egress" || action !== "allow") {
      this.report("peerNotAllowed", target.span, { peer: "approved", reason: "approvals are for egress; 'approved' stands for the destinations approved for this tenant" });
      return [];
    }
    if (!ports) {
      this.report("peerNotAllowed", target.span, {
        peer: "approved",
        reason: "without ports: approvals are per port, so say which (allow egress to approved port 443)",
      });
      return [];
    }
    const reg = this.ctx.approvals;
    if (!reg) return [];
    const wanted = portSetOf(ports);
    const tenants = this.approvalTenants;
    const usable = reg.approvals.filter(
      (a) => a.expires >= this.ctx.today && !isPending(a) && tenants.every((t) => appliesTo(a, t)) && a.ports.intersects(wanted),
    );
    if (usable.length === 0) {
      this.report("unapprovedDestination", target.span, {
        destination: "approved",
        tenant: tenants.join(", "),
        ports: ports ? ` on ${wanted.toString()}` : "",
        detail: "no unexpired approval matches these ports",
      });
      return [];
    }
    const covered = new Map<string, { approval: (typeof usable)[number]; ports: PortSet }>();
    for (const a of usable) {
      const entry = covered.get(a.destinationText);
      if (entry) entry.ports = entry.ports.union(a.ports);
      else covered.set(a.destinationText, { approval: a, ports: a.ports });
    }
    const out: { peer: Peer; ports: readonly PortReq[] }[] = [];
    for (const { approval: a, ports: approvedPorts } of covered.values()) {
      // A copy: filter's result has room to grow, and atoms keep it (see resolvePorts).
      const mine = ports.filter((p) => typeof p.port === "number" && approvedPorts.containsSet(portSetOf([p]))).slice();
      if (mine.length === 0) continue;
      if (a.destination.kind === "fqdn") {
        if (a.destination.pattern.multi && !supports(this.ctx.config.cilium, "fqdnMultiLabelWildcard")) continue;
        out.push({ peer: { kind: "fqdn", pattern: a.destination.pattern }, ports: mine });
      } else if (a.destination.kind === "group") out.push({ peer: { kind: "cidrGroup", name: a.destination.name }, ports: mine });
      else out.push({ peer: { kind: "cidr", prefix: a.destination.prefix, except: [], set: a.destination.set }, ports: mine });
    }
    return out;
  }

  private resolvePeer(t: Target, direction: "ingress" | "egress", action: "allow" | "deny"): Peer | undefined {
    switch (t.kind) {
      case "Host": {
        if (isVariable(t.name)) {
          const v = this.value(t.name, ["host", "cidr"]);
          if (!v) return undefined;
          if (v.binding?.type === "cidr") return this.cidrPeer(t, { text: v.text, span: t.name.span }, []);
          return this.hostPeer({ text: v.text, span: t.name.span }, direction, action);
        }
        return this.hostPeer(t.name, direction, action);
      }
      case "Cidr": {
        const c = this.value(t.cidr, ["cidr"]);
        if (!c) return undefined;
        return this.cidrPeer(t, c, t.except);
      }
      case "Entity": {
        const e = this.value(t.name, ["entity"]);
        if (!e) return undefined;
        const name = e.text;
        if ((ENTITIES as readonly string[]).includes(name)) return { kind: "entity", entity: name };
        if (name === "cluster-mesh" && supports(this.ctx.config.cilium, "clusterMeshEntity")) return { kind: "entity", entity: name };
        const note =
          name === "world-ipv4" || name === "world-ipv6"
            ? `in policy YAML: the CRD rejects it (write cidr ${name === "world-ipv4" ? "0.0.0.0/0" : "::/0"} instead).`
            : name === "cluster-mesh"
              ? `in Cilium ${this.ctx.config.cilium.text} (it needs ${FEATURE_NEEDS.clusterMeshEntity}).`
              : undefined;
        this.report("unknownEntity", e.span, { name, note, suggestion: note ? undefined : closest(name, ENTITIES) });
        return undefined;
      }
      case "TenantRef": {
        const name = this.value(t.tenant, ["tenant"]);
        if (!name) return undefined;
        const other = this.ctx.tenants.tenants.get(name.text);
        if (!other) {
          this.report("unknownTenant", name.span, { name: name.text, suggestion: closest(name.text, this.ctx.tenants.tenants.keys()) });
          return undefined;
        }
        if (other.namespaces.length === 0) {
          this.report("peerNotAllowed", t.span, { peer: `tenant ${other.name}`, reason: "this tenant has no namespaces, so it has no pods" });
          return undefined;
        }
        const cluster = this.cluster(t.cluster);
        if (cluster === null) return undefined;
        if (t.workload) {
          const w = this.workload(other.name, t.workload);
          if (!w) return undefined;
          return this.pods({ namespaces: w.namespaces, selector: w.selector, tenant: other.name, workload: w.name, cluster }, `tenant ${other.name} workload ${w.name}`);
        }
        return this.pods({ namespaces: [...other.namespaces].sort(), selector: EMPTY_SELECTOR, tenant: other.name, cluster }, `tenant ${other.name}`);
      }
      case "NamespaceRef": {
        const cluster = this.cluster(t.cluster);
        if (cluster === null) return undefined;
        let selector = EMPTY_SELECTOR;
        if (t.selector) {
          const r = this.selector(t.selector);
          if (!r) return undefined;
          selector = r;
        }
        const sel = t.selector ? ` workload ${selectorText(selector)}` : "";
        if (t.where) {
          const nsSel = this.selector(t.where);
          if (!nsSel) return undefined;
          // The registry's namespaces that match: for messages and the cross-tenant analysis; the
          // cluster's namespace labels decide.
          const known = [...this.ctx.tenants.namespaces.values()].filter((ns) => labelsMatch(nsSel, ns.labels));
          const owners = new Set(known.map((ns) => ns.tenant));
          return this.pods(
            { namespaces: known.map((ns) => ns.name).sort(), namespaceSelector: nsSel, selector, tenant: owners.size === 1 ? [...owners][0] : undefined, cluster },
            `namespaces where ${selectorText(nsSel)}${sel}`,
          );
        }
        const name = this.value(t.namespace, ["namespace"]);
        if (!name) return undefined;
        if (name.text === "*") return this.pods({ namespaces: [], anyNamespace: true, selector, cluster }, `pods of every namespace${sel}`);
        const ns = this.ctx.tenants.namespaces.get(name.text);
        if (!ns) {
          this.report("unknownNamespace", name.span, { name: name.text, suggestion: closest(name.text, this.ctx.tenants.namespaces.keys()) });
          return undefined;
        }
        return this.pods({ namespaces: [ns.name], selector, tenant: ns.tenant, cluster }, `namespace ${ns.name}${sel}`);
      }
      case "CidrGroup": {
        const name = this.value(t.name, ["string", "label"]);
        if (!name) return undefined;
        const problem = cidrGroupNameProblem(name.text);
        if (problem) {
          this.report("invalidName", name.span, { what: "CiliumCIDRGroup", name: name.text, reason: problem });
          return undefined;
        }
        return { kind: "cidrGroup", name: name.text };
      }
      case "Nodes": {
        if (!this.ctx.config.features.has("node-selector-labels")) {
          this.report("agentFeatureRequired", t.span, { feature: "node-selector-labels", what: "a 'nodes' peer (fromNodes/toNodes)" });
          return undefined;
        }
        let selector = EMPTY_SELECTOR;
        if (t.selector) {
          const r = this.selector(t.selector, { nodeLabels: true });
          if (!r) return undefined;
          selector = r;
        }
        return { kind: "nodes", selector };
      }
      case "Service": {
        if (!t.namespace || !t.name) return undefined;
        if (direction === "ingress") {
          this.report("peerNotAllowed", t.span, { peer: describeTarget(t), reason: "services are egress destinations; admit the clients instead" });
          return undefined;
        }
        if (action === "deny") {
          this.report("peerNotAllowed", t.span, {
            peer: describeTarget(t),
            reason: "Cilium never resolves services in deny rules, so the deny would apply to every destination on those ports; deny the service's pods by tenant or namespace instead",
          });
          return undefined;
        }
        if (t.namespace.text === "default" && t.name.text === "kubernetes") {
          this.report("peerNotAllowed", t.span, {
            peer: "service default/kubernetes",
            reason: "the API server's service has no pod selector, so Cilium would match its IPs as a CIDR; use entity kube-apiserver",
          });
          return undefined;
        }
        if (!this.ctx.tenants.namespaces.has(t.namespace.text)) {
          this.report("unknownNamespace", t.namespace.span, { name: t.namespace.text, suggestion: closest(t.namespace.text, this.ctx.tenants.namespaces.keys()) });
          return undefined;
        }
        const problem = nameProblem(t.name.text);
        if (problem) {
          this.report("invalidName", t.name.span, { what: "service", name: t.name.text, reason: problem });
          return undefined;
        }
        const key = `${t.namespace.text}/${t.name.text}`;
        const svc = this.ctx.tenants.services.get(key);
        if (!svc) {
          const span = { start: t.namespace.span.start, end: t.name.span.end };
          const suggestion = closest(key, this.ctx.tenants.services.keys());
          this.report("unknownService", span, { service: key, suggestion }, { fixes: this.replaceFix(span, suggestion) });
          return undefined;
        }
        if (!svc.selector) this.report("serviceWithoutSelector", t.span, { service: key, addresses: svc.addressText.join(", ") });
        return { kind: "service", namespace: t.namespace.text, name: t.name.text };
      }
      case "WorkloadRef": {
        if (!t.name) return undefined;
        if (this.context.kind !== "tenant") {
          this.report("peerNotAllowed", t.span, { peer: describeTarget(t), reason: "a baseline has no workloads; name the peer by tenant, namespace or entity" });
          return undefined;
        }
        const tenant = this.context.tenant;
        const cluster = this.cluster(t.cluster);
        if (cluster === null) return undefined;
        const w = this.workload(tenant.name, t.name);
        if (!w) return undefined;
        return this.pods({ namespaces: w.namespaces, selector: w.selector, tenant: tenant.name, workload: w.name, cluster }, `workload ${w.name}`);
      }
      case "Within":
        if (this.hostPolicy) {
          this.report("nodesBaselineScope", t.span, { message: "'within namespace' means pods of the subject's own namespace; a host policy's subjects are nodes, which have none" });
          return undefined;
        }
        return WITHIN;
      case "Approved":
        return undefined;
    }
  }

  private pods(pods: PodSet, description: string): Peer {
    return { kind: "pods", pods, description: pods.cluster ? `${description} ${pods.cluster === "*" ? "in any cluster" : `in cluster ${pods.cluster}`}` : description };
  }

  /** A selector written in a rule (with `$label` values substituted); undefined after an error. */
  private selector(sel: Parameters<typeof resolveSelector>[0], opts: { nodeLabels?: boolean } = {}): LabelSelector | undefined {
    const withValues = this.withVariables(sel);
    if (!withValues) return undefined;
    const r = resolveSelector(withValues, this.file, this.ctx.diagnostics, opts);
    if (!r) this.errors++;
    return r;
  }

  /**
   * `in cluster NAME` / `in any cluster`: the cluster of a pod peer, checked against the mesh in
   * ztc.yaml. Undefined for this cluster; null after an error.
   */
  private cluster(ref: ClusterRef | undefined): string | undefined | null {
    if (!ref) return undefined;
    const config = this.ctx.config;
    if (!supports(config.cilium, "defaultLocalCluster") && !config.clusterNamed) {
      this.report(
        "agentFeatureRequired",
        ref.span,
        { feature: "cluster.name", what: `naming a cluster before Cilium 1.19` },
        { help: "Before 1.19 selectors match every cluster unless they name one, so ztc names this cluster in every other selector: set cluster.name in ztc.yaml." },
      );
      return null;
    }
    if (ref.any) return "*";
    const name = this.value(ref.name, ["string", "label"]);
    if (!name) return null;
    if (name.text === config.clusterName) return name.text;
    if (!config.mesh.includes(name.text)) {
      const suggestion = closest(name.text, [config.clusterName, ...config.mesh]);
      this.report(
        "unknownCluster",
        name.span,
        {
          name: name.text,
          known: config.mesh.length > 0 ? `${config.clusterName} and ${config.mesh.join(", ")}` : `only ${config.clusterName}: cluster.mesh is not set`,
          suggestion,
        },
        { fixes: isVariable(ref.name) ? [] : this.replaceFix(name.span, suggestion) },
      );
      return null;
    }
    return name.text;
  }

  /** A selector with `$label` values substituted. */
  private withVariables<S extends { terms: readonly { values: readonly { text: string; span: Span; quoted: boolean }[] }[] }>(sel: S): S | undefined {
    let ok = true;
    const terms = sel.terms.map((t) => ({
      ...t,
      values: t.values.map((v) => {
        if (!isVariable(v)) return v;
        const r = this.value(v, ["label", "string"]);
        if (!r) ok = false;
        return { ...v, text: r?.text ?? v.text };
      }),
    }));
    return ok ? { ...sel, terms } : undefined;
  }

  private hostPeer(name: { text: string; span: Span }, direction: "ingress" | "egress", action: "allow" | "deny"): Peer | undefined {
    const parsed = parseFqdn(name.text);
    if (!parsed.ok) {
      this.report("invalidHost", name.span, { text: name.text, reason: parsed.reason });
      return undefined;
    }
    const pattern = parsed.pattern;
    if (direction === "ingress") {
      this.report("peerNotAllowed", name.span, {
        peer: `host ${name.text}`,
        reason: "Cilium matches host names only for egress (there is no fromFQDNs); admit the clients by cidr, entity, tenant or namespace",
      });
      return undefined;
    }
    if (action === "deny") {
      this.report("peerNotAllowed", name.span, {
        peer: `host ${name.text}`,
        reason: "Cilium has no deny rules for host names (toFQDNs is allow-only); deny a cidr instead, or simply do not allow the host",
      });
      return undefined;
    }
    if (pattern.multi && !supports(this.ctx.config.cilium, "fqdnMultiLabelWildcard")) {
      this.report(
        "versionUnsupportedFeature",
        name.span,
        { feature: `the multi-label wildcard '**.' in ${name.text}`, version: this.ctx.config.cilium.text, need: FEATURE_NEEDS.fqdnMultiLabelWildcard },
        { help: "On older Cilium, '**' behaves like '*' inside one label, which would silently narrow the rule. Use '*.' per level, or raise cilium.version in ztc.yaml." },
      );
      return undefined;
    }
    if (this.isInCluster(pattern)) {
      this.report("fqdnInCluster", name.span, { name: name.text });
      return undefined;
    }
    return { kind: "fqdn", pattern };
  }

  private cidrPeer(t: Target, cidr: { text: string; span: Span }, exceptList: readonly { text: string; span: Span }[]): Peer | undefined {
    const prefix = this.parsePrefix(cidr);
    if (!prefix) return undefined;
    const except: Prefix[] = [];
    for (const e of exceptList) {
      const p = this.parsePrefix(e);
      if (!p) return undefined;
      const text = formatPrefix(prefix);
      if (p.family !== prefix.family) {
        this.report("invalidExcept", e.span, { except: e.text, cidr: text, reason: "is of another address family than" });
        return undefined;
      }
      if (!prefixContains(prefix, p)) {
        this.report("invalidExcept", e.span, { except: e.text, cidr: text, reason: "is not inside" });
        return undefined;
      }
      except.push(p);
    }
    const set = AddressSet.cidrExcept(prefix, except);
    if (set.isEmpty()) {
      this.report("invalidExcept", t.span, { except: except.map(formatPrefix).join(", "), cidr: formatPrefix(prefix), reason: "removes every address of" });
      return undefined;
    }
    return { kind: "cidr", prefix, except, set };
  }

  private isInCluster(p: FqdnPattern): boolean {
    if (p.all) return false;
    const domain = this.ctx.config.dns.clusterDomain.split(".");
    const labels = p.labels;
    const endsWith = (suffix: readonly string[]) => labels.length >= suffix.length && suffix.every((l, i) => labels[labels.length - suffix.length + i] === l);
    return endsWith(domain) || endsWith(["svc"]);
  }

  private parsePrefix(tok: { text: string; span: Span }): Prefix | undefined {
    const r = parseCidr(tok.text);
    if (r.ok) return r.prefix;
    const fixes: Fix[] = r.suggestion && !this.inst ? [{ title: `Write ${r.suggestion}`, edits: [{ file: this.file, span: tok.span, newText: r.suggestion }] }] : [];
    this.report("invalidCidr", tok.span, { text: tok.text, reason: r.reason }, { fixes });
    return undefined;
  }

  /** Ports of a clause; null after an error was reported. */
  private resolvePorts(specs: readonly PortSpec[]): PortReq[] | null {
    const out: PortReq[] = [];
    let ok = true;
    for (const s of specs) {
      if (!s.port) {
        ok = false;
        continue;
      }
      let protocol: ProtocolSpec = "TCP";
      let protocolGiven = false;
      if (s.protocol) {
        const p = s.protocol.text.toUpperCase();
        if (p === "TCP" || p === "UDP" || p === "SCTP" || p === "ANY") {
          protocol = p;
          protocolGiven = true;
        } else {
          this.report("invalidProtocol", s.protocol.span, { text: s.protocol.text });
          ok = false;
          continue;
        }
      }
      if (s.port.variable) {
        const v = this.value({ text: `$${s.port.value}`, span: s.port.span }, ["port"]);
        if (!v?.binding) {
          ok = false;
          continue;
        }
        const b = v.binding.value;
        const bound = b.protocol?.text.toUpperCase() as ProtocolSpec | undefined;
        if (bound && protocolGiven && bound !== protocol) {
          this.report("invalidPort", s.span, { reason: `$${s.port.value} is ${b.text}/${b.protocol!.text}, which conflicts with /${s.protocol!.text}` });
          ok = false;
          continue;
        }
        const proto = bound ?? protocol;
        if (b.form === "word") out.push({ port: b.text.toLowerCase(), protocol: proto });
        else out.push({ port: Number(b.text), end: b.end, protocol: proto });
        continue;
      }
      const v = s.port.value;
      if (typeof v === "string") {
        if (!isValidPortName(v)) {
          this.report("invalidPort", s.port.span, { reason: `'${v}' is not a port name (at most 15 letters, digits and single '-', with at least one letter)` });
          ok = false;
        } else if (s.end) {
          this.report("invalidPort", s.span, { reason: "a named port cannot start a range" });
          ok = false;
        } else out.push({ port: v.toLowerCase(), protocol });
      } else if (v === 0) {
        this.report("invalidPort", s.port.span, { reason: "port 0 means 'every port' to Cilium" }, { help: "Leave the port out to allow every port, or name the port you need." });
        ok = false;
      } else if (v > 65535) {
        this.report("invalidPort", s.port.span, { reason: `${v} is above 65535` });
        ok = false;
      } else if (s.end) {
        if (s.end.value > 65535) {
          this.report("invalidPort", s.end.span, { reason: `${s.end.value} is above 65535` });
          ok = false;
        } else if (s.end.value <= v) {
          this.report("invalidPort", s.span, { reason: `the range ${v}-${s.end.value} is empty or backwards; write low-high` });
          ok = false;
        } else out.push({ port: v, end: s.end.value, protocol });
      } else out.push({ port: v, protocol });
    }
    // Atoms keep this list: an array grown by push has room for 16 more, a copy exactly its length.
    return ok ? out.slice() : null;
  }

  private checkPortsForPeer(peer: Peer, target: Target, ports: readonly PortReq[] | undefined, direction: "ingress" | "egress"): boolean {
    const named = (ports ?? []).find((p) => typeof p.port === "string");
    if (named && direction === "egress" && (peer.kind === "fqdn" || peer.kind === "cidr" || peer.kind === "entity")) {
      this.report("invalidPort", target.span, {
        reason: `the named port '${named.port}' cannot be resolved for ${describeTarget(target)}: named ports are looked up in the destination pods' container ports`,
      });
      return false;
    }
    return true;
  }

  private resolveHttp(clause: HttpClause): HttpRuleIr[] | null {
    const out: HttpRuleIr[] = [];
    let ok = true;
    const bad = (span: Span, reason: string) => {
      this.report("invalidHttpRule", span, { reason });
      ok = false;
    };
    for (const r of clause.rules) {
      let method: string | undefined;
      if (r.method && r.method.text !== "*") {
        const m = r.method.text.toUpperCase();
        if ((HTTP_METHODS as readonly string[]).includes(m)) method = m;
        else {
          const s = closest(m, HTTP_METHODS);
          bad(r.method.span, `'${r.method.text}' is not an HTTP method${s ? `. Did you mean '${s}'?` : ""}`);
        }
      }
      for (const [what, lit] of [
        ["path", r.path],
        ["host", r.host],
      ] as const) {
        if (!lit) continue;
        if (lit.value.length === 0) bad(lit.span, `the ${what} is empty`);
        else {
          const problem = re2Problem(lit.value);
          if (problem) bad(lit.span, `the ${what} ${JSON.stringify(lit.value)} is not a valid RE2 regular expression: ${problem}`);
        }
      }
      for (const h of r.headers) if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+(: ?.*)?$/.test(h.value)) bad(h.span, `the header ${JSON.stringify(h.value)} must be "Name" or "Name: value"`);
      out.push({ method, path: r.path?.value, host: r.host?.value, headers: r.headers.map((h) => h.value), ast: r });
    }
    return ok ? out : null;
  }

  private checkHttp(rule: RuleStmt, ports: readonly PortReq[] | undefined): boolean {
    // HTTP and gRPC clauses are both HTTP rules to Cilium; report at the one written first.
    const clause = [rule.http, rule.grpc].filter((c) => c !== undefined).sort((a, b) => a.span.start - b.span.start)[0]!;
    const span = clause.keywordSpan;
    const what = clause.kind === "GrpcClause" ? "gRPC rules" : "HTTP rules";
    if (rule.action === "deny") {
      this.report("l7NotAllowed", span, { what, reason: "deny rules are L3/L4 only in Cilium; deny the peer or port, or allow only the requests you want" });
      return false;
    }
    if (!ports) {
      this.report("l7NotAllowed", span, { what, reason: "they need explicit TCP ports (Cilium rejects L7 rules on 'all ports')" }, { help: "Add the port the service listens on: port 8080" });
      return false;
    }
    const nonTcp = ports.find((p) => p.protocol !== "TCP");
    if (nonTcp) {
      this.report("l7NotAllowed", span, {
        what,
        reason: `they apply only to TCP ports, and ${nonTcp.port}/${nonTcp.protocol.toLowerCase()} is not TCP${nonTcp.protocol === "ANY" ? " only" : ""}`,
      });
      return false;
    }
    return true;
  }

  /** DNS rule patterns: names or patterns with Cilium's wildcard rules. */
  private resolveDns(rule: RuleStmt): string[] | null {
    let ok = true;
    const out: string[] = [];
    for (const p of rule.dns!.patterns) {
      const r = parseFqdn(p.value);
      if (!r.ok) {
        this.report("invalidHost", p.span, { text: p.value, reason: r.reason });
        ok = false;
        continue;
      }
      if (r.pattern.multi && !supports(this.ctx.config.cilium, "fqdnMultiLabelWildcard")) {
        this.report("versionUnsupportedFeature", p.span, { feature: `the multi-label wildcard '**.' in ${p.value}`, version: this.ctx.config.cilium.text, need: FEATURE_NEEDS.fqdnMultiLabelWildcard });
        ok = false;
        continue;
      }
      out.push(r.pattern.text);
    }
    return ok ? out : null;
  }

  private checkDns(rule: RuleStmt, ports: readonly PortReq[] | undefined, direction: "ingress" | "egress"): boolean {
    const span = rule.dns!.keywordSpan;
    if (direction !== "egress" || rule.action !== "allow") {
      this.report("l7NotAllowed", span, { reason: "DNS rules only exist on egress allow rules (Cilium rejects them on ingress and in deny rules)" });
      return false;
    }
    if (!ports) {
      this.report("l7NotAllowed", span, { reason: "DNS rules need the DNS port (port 53/any, or 5353 on OpenShift)" });
      return false;
    }
    const bad = ports.find((p) => p.end !== undefined || p.protocol === "SCTP" || typeof p.port === "string");
    if (bad) {
      this.report("l7NotAllowed", span, { reason: `DNS rules need single numeric UDP/TCP ports, and ${bad.port}${bad.end ? `-${bad.end}` : ""}/${bad.protocol.toLowerCase()} is not one` });
      return false;
    }
    return true;
  }

  /**
   * Blocklist and approvals for egress that leaves the cluster; returns the approvals used.
   * `ports` null: the rule carries no port traffic to this peer (ICMP only); `icmp`: ICMP too.
   */
  private checkExternal(
    peer: Peer,
    target: Target,
    ports: readonly PortReq[] | undefined | null,
    direction: "ingress" | "egress",
    action: "allow" | "deny",
    icmp?: readonly IcmpReq[] | null,
  ): Approval[] {
    if (direction !== "egress" || action !== "allow") return [];
    const reg = this.ctx.approvals;
    if (!reg) return [];
    let dest: RequestedDestination | undefined;
    let text: string;
    if (peer.kind === "fqdn") {
      dest = { kind: "fqdn", pattern: peer.pattern };
      text = peer.pattern.text;
    } else if (peer.kind === "cidr") {
      dest = { kind: "addresses", set: peer.set };
      text = peerText(peer).replace(/^cidr /, "");
    } else if (peer.kind === "entity" && (peer.entity === "world" || peer.entity === "all")) {
      dest = { kind: "addresses", set: AddressSet.everything() };
      text = `entity ${peer.entity}`;
    } else if (peer.kind === "cidrGroup") {
      dest = { kind: "group", name: peer.name };
      text = `cidr-group ${peer.name}`;
    } else if (peer.kind === "service") {
      // A Service without a selector reaches its Endpoints' addresses as CIDRs (B8).
      const svc = this.ctx.tenants.services.get(`${peer.namespace}/${peer.name}`);
      if (!svc || svc.selector || !svc.addresses) return [];
      dest = { kind: "addresses", set: svc.addresses };
      text = `service ${peer.namespace}/${peer.name} (${svc.addressText.join(", ")})`;
    } else return [];

    const span = target.span;
    const blocked = findBlocked(reg, peer.kind === "entity" ? { kind: "everything" } : dest);
    if (blocked) {
      this.report("blockedDestination", span, { destination: text, blocked: blocked.destinationText, reason: blocked.reason }, {
        related: [{ file: blocked.file, span: blocked.span, message: "blocked here" }],
      });
      return [];
    }
    const requests: { portSet: PortSet; icmp: boolean; label: string }[] = [];
    if (ports !== null) {
      const portSet = portSetOf(ports);
      requests.push({ portSet, icmp: false, label: ports ? ` on ${portSet.toString()}` : " on all ports" });
    }
    if (icmp && icmp.length > 0) requests.push({ portSet: PortSet.empty(), icmp: true, label: " for ICMP" });
    const used = new Map<string, Approval>();
    for (const req of requests) {
      for (const tenant of this.approvalTenants) {
        const key = `${tenant}|${text}|${req.portSet.toString()}|${req.icmp}`;
        let cov = this.ctx.coverage?.get(key);
        if (!cov) {
          cov = checkCoverage(reg, tenant, dest, req.portSet, this.ctx.today, req.icmp);
          this.ctx.coverage?.set(key, cov);
        }
        if (cov.ok) {
          for (const a of cov.used) used.set(a.id, a);
          continue;
        }
        if (cov.reason === "expired") {
          const last = cov.expired.reduce((a, b) => (a.expires >= b.expires ? a : b));
          this.report("approvalExpired", span, { destination: text + req.label, ids: cov.expired.map((a) => a.id).join(", "), date: last.expires }, {
            related: cov.expired.map((a) => ({ file: a.file, span: a.span, message: `approval ${a.id}` })),
          });
          return [];
        }
        const fixes: Fix[] = [];
        if (this.ctx.approvalsSource && (peer.kind === "fqdn" || peer.kind === "cidr" || peer.kind === "cidrGroup") && this.context.kind === "tenant" && !req.icmp) {
          const draftDest = peer.kind === "fqdn" ? peer.pattern.text : peer.kind === "cidrGroup" ? `cidr-group ${peer.name}` : formatPrefix(peer.prefix);
          const fix = draftApprovalFix(this.ctx.approvalsSource, tenant, draftDest, req.portSet, this.ctx.today);
          if (fix) fixes.push(fix);
        }
        const why = this.context.kind === "baseline" ? (this.context.baseline.nodes ? `host policy ${this.context.baseline.name}` : `baseline ${this.context.baseline.name} applies to tenant ${tenant}`) : undefined;
        const detail = why ? `${why}${cov.detail ? `; ${cov.detail}` : ""}` : cov.detail;
        this.report("unapprovedDestination", span, { destination: text, tenant, ports: req.label, detail }, { fixes });
        return [];
      }
    }
    const list = [...used.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const soon = list.filter((a) => daysBetween(this.ctx.today, a.expires) <= EXPIRY_WARNING_DAYS);
    if (soon.length > 0) {
      const first = soon.reduce((a, b) => (a.expires <= b.expires ? a : b));
      this.report("approvalExpiringSoon", span, { ids: soon.map((a) => a.id).join(", "), date: first.expires, days: daysBetween(this.ctx.today, first.expires) }, {
        related: soon.map((a) => ({ file: a.file, span: a.span, message: `approval ${a.id}` })),
      });
    }
    return list;
  }

  private checkBreadth(peer: Peer, target: Target, ports: readonly PortReq[] | undefined, rule: RuleStmt, direction: "ingress" | "egress"): void {
    if (rule.action !== "allow") return;
    let what: string | undefined;
    if (peer.kind === "entity") {
      if (peer.entity === "world") what = `entity world ${direction === "egress" ? "reaches every address outside the cluster" : "admits every address outside the cluster"}`;
      else if (peer.entity === "all") what = `entity all ${direction === "egress" ? "reaches" : "admits"} everything, inside and outside the cluster`;
      else if (peer.entity === "cluster") what = `entity cluster ${direction === "egress" ? "reaches" : "admits"} every pod of every tenant and every node`;
    } else if (peer.kind === "cidr") {
      if (peer.set.coversFamily(4)) what = `${peerText(peer)} covers every IPv4 address`;
      else if (peer.set.coversFamily(6)) what = `${peerText(peer)} covers every IPv6 address`;
    } else if (peer.kind === "fqdn") {
      const p = peer.pattern;
      if (p.all) what = "'*' matches every host name";
      else if (p.labels.slice(0, -1).every((l) => l === "*") && (p.multi || p.labels.length >= 2)) what = `'${p.text}' matches every name under .${p.labels[p.labels.length - 1]}`;
    } else if (peer.kind === "pods" && peer.pods.anyNamespace) what = `${peer.description} ${direction === "egress" ? "reaches" : "admits"} every pod of every tenant`;
    if (what) this.report("broadRule", target.span, { what });
    if (ports || rule.http || target.kind === "Approved") return;
    const own = peer.kind === "within" || (peer.kind === "pods" && peer.pods.tenant === this.tenantName && this.context.kind === "tenant");
    if (!own && !(peer.kind === "entity" && peer.entity === "none")) this.report("allPorts", target.span, { peer: describeTarget(target), ingress: direction === "ingress" });
  }
}

/**
 * Numbering for these files: each file has as many numbers as it has characters times a power of
 * two, so that all of them stay small integers (V8 keeps numbers below 2^30 in the object that
 * holds them; larger ones are separate heap objects, one per atom). A text edit that keeps a
 * file's length (the language server pads lines: lsp/slack.ts) changes no base.
 */
export function numberingOf(units: readonly { readonly path: string; readonly text: string }[]): NonNullable<ResolveContext["numbering"]> {
  let total = 1;
  for (const u of units) total += u.text.length + 1;
  const scale = 2 ** Math.max(0, 29 - Math.ceil(Math.log2(total)));
  const fileBase = new Map<string, number>();
  let at = 0;
  for (const u of units) {
    fileBase.set(u.path, at * scale);
    at += u.text.length + 1;
  }
  return { fileBase, scale };
}

/**
 * Where a statement's numbers may start. Numbers only order atoms (by source) and tell rules
 * apart: a statement that needs more numbers than its room pushes the next ones on, as
 * sequential numbering would.
 */
function statementBase(ctx: ResolveContext, unit: SourceUnit, start: number): number | undefined {
  const n = ctx.numbering;
  const file = n?.fileBase.get(unit.path);
  return file === undefined ? undefined : file + start * n!.scale;
}

/** Moves the context's counters up to a statement's base. */
function startStatement(ctx: ResolveContext, unit: SourceUnit, start: number): void {
  const base = statementBase(ctx, unit, start);
  if (base === undefined) return;
  if (ctx.nextOrder < base) ctx.nextOrder = base;
  if (ctx.nextAtomId < base) ctx.nextAtomId = base;
}

/** Resolves every rule (and rule set use) of one tenant block. */
export function resolveBlock(block: TenantBlock, ctx: ResolveContext, around?: RuleHook): Atom[] {
  const r = new RuleResolver(ctx, { kind: "tenant", tenant: block.tenant, unit: block.unit });
  const atoms: Atom[] = [];
  const body = block.decl.body;
  const runs = around?.runs;
  for (let from = 0; from < body.length; from += RUN) {
    const to = Math.min(body.length, from + RUN);
    startStatement(ctx, block.unit, body[from]!.span.start);
    const reused = runs?.reuse(body, from, to);
    if (reused) {
      for (const a of reused) atoms.push(a);
      continue;
    }
    const before = { id: ctx.nextAtomId, order: ctx.nextOrder, diagnostics: ctx.diagnostics.length, atoms: atoms.length };
    for (let i = from; i < to; i++) {
      const item = body[i]!;
      if (item.kind === "Rule" || item.kind === "Use") startStatement(ctx, block.unit, item.span.start);
      if (item.kind === "Rule") atoms.push(...(around ? around(item, () => r.resolve(item)) : r.resolve(item)));
      // A use expands a rule set from another module; its result depends on more than its text (rule-cache.ts).
      else if (item.kind === "Use") atoms.push(...(around ? around(item, () => r.expand(item)) : r.expand(item)));
    }
    runs?.resolved(body, from, to, atoms.slice(before.atoms), before);
  }
  return atoms;
}

/** Statements of a block taken together by RuleHook.runs. */
const RUN = 32;

/** Resolves the rules of a baseline (its default deny comes from the binder and the rule sets it uses). */
export function resolveBaseline(baseline: BaselineSymbol, ctx: ResolveContext): Atom[] {
  const r = new RuleResolver(ctx, { kind: "baseline", baseline, unit: baseline.unit });
  const atoms: Atom[] = [];
  for (const item of baseline.decl.body) {
    if (item.kind === "Rule" || item.kind === "Use") startStatement(ctx, baseline.unit, item.span.start);
    if (item.kind === "Rule") atoms.push(...r.resolve(item));
    else if (item.kind === "Use") atoms.push(...r.expand(item));
  }
  return atoms;
}

/**
 * Wraps the resolution of each rule (rule-cache.ts reuses the result for a rule whose text and
 * context did not change). It must return what `resolve` would, and push the same diagnostics.
 */
export interface RuleHook {
  (statement: RuleStmt | UseStmt, resolve: () => Atom[]): Atom[];
  /**
   * Runs of statements taken as a whole: reuse() gives the atoms of body[from, to) (and does to
   * the context what resolving them would) or undefined; resolved() is told what they gave.
   */
  readonly runs?: {
    reuse(body: readonly TenantItem[], from: number, to: number): readonly Atom[] | undefined;
    resolved(body: readonly TenantItem[], from: number, to: number, atoms: readonly Atom[], before: { readonly id: number; readonly order: number; readonly diagnostics: number }): void;
  };
}
