/**
 * Rule resolution: every rule of a tenant block becomes atoms (subject x peer, with ports), after
 * the checks that concern one rule: names resolve, peers fit the direction and action, ports and
 * HTTP rules are valid for Cilium, and external egress is approved and not blocked.
 */
import {
  diag,
  type Diagnostic,
  type Fix,
  type HttpClause,
  type PortSpec,
  type RuleStmt,
  type Span,
  type Target,
} from "../language/index.js";
import { closest } from "../language/suggest.js";
import { draftApprovalFix } from "./approval-draft.js";
import { checkCoverage, daysBetween, findBlocked, type RequestedDestination } from "./approvals.js";
import type { SourceUnit, TenantBlock } from "./binder.js";
import { nameProblem } from "./binder.js";
import { FEATURE_NEEDS, supports } from "./cilium/versions.js";
import { EMPTY_SELECTOR, type Atom, type HttpRuleIr, type Peer, type PortReq, type RuleOrigin, type Subject, type WorkloadSymbol } from "./ir.js";
import { resolveSelector, selectorText } from "./labels.js";
import { AddressSet, formatPrefix, parseCidr, prefixContains, type Prefix } from "./net/cidr.js";
import { parseFqdn, type FqdnPattern } from "./net/fqdn.js";
import { isValidPortName, PortSet, type ProtocolSpec } from "./net/ports.js";
import type { ProjectConfig } from "./project.js";
import { re2Problem } from "./re2.js";
import type { ApprovalRegistry, TenantInfo, TenantRegistry } from "./registry.js";
import type { YamlSource } from "./yaml-source.js";

/** Entities the CRD accepts (cilium-semantics B5). */
export const ENTITIES = [
  "all",
  "world",
  "cluster",
  "host",
  "remote-node",
  "kube-apiserver",
  "ingress",
  "health",
  "init",
  "unmanaged",
  "none",
] as const;

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"] as const;

/** Days before expiry at which a rule starts warning about its approval. */
export const EXPIRY_WARNING_DAYS = 30;

export interface ResolveContext {
  readonly config: ProjectConfig;
  readonly tenants: TenantRegistry;
  readonly approvals: ApprovalRegistry | undefined;
  readonly approvalsSource: YamlSource | undefined;
  readonly workloads: ReadonlyMap<string, ReadonlyMap<string, WorkloadSymbol>>;
  readonly today: string;
  readonly diagnostics: Diagnostic[];
  nextAtomId: number;
  nextOrder: number;
}

/** The rule's text without comments, whitespace collapsed, for annotations and messages. */
export function ruleText(unit: SourceUnit, rule: RuleStmt): string {
  let text = "";
  let at = rule.span.start;
  for (const c of unit.ast.comments) {
    if (c.span.start < rule.span.start || c.span.start >= rule.span.end) continue;
    text += unit.text.slice(at, c.span.start) + " ";
    at = c.span.end;
  }
  text += unit.text.slice(at, rule.span.end);
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed.length > 240 ? collapsed.slice(0, 237) + "..." : collapsed;
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
      return `tenant ${t.tenant?.text ?? ""}${t.workload ? ` workload ${t.workload.text}` : ""}`;
    case "NamespaceRef":
      return `namespace ${t.namespace?.text ?? ""}`;
    case "Service":
      return `service ${t.namespace?.text ?? ""}/${t.name?.text ?? ""}`;
    case "WorkloadRef":
      return `workload ${t.name?.text ?? ""}`;
    case "Within":
      return "within namespace";
  }
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
  }
}

export function portsText(ports: readonly PortReq[] | undefined): string {
  if (!ports) return "all ports";
  return ports
    .map((p) => `${p.port}${p.end !== undefined ? `-${p.end}` : ""}/${p.protocol.toLowerCase()}`)
    .join(", ");
}

export function portSetOf(ports: readonly PortReq[] | undefined): PortSet {
  if (!ports) return PortSet.all();
  let s = PortSet.empty();
  for (const p of ports) if (typeof p.port === "number") s = s.union(PortSet.spec(p.protocol, p.port, p.end ?? p.port));
  return s;
}

class RuleResolver {
  private readonly file: string;
  private errors = 0;

  constructor(
    private readonly ctx: ResolveContext,
    private readonly block: TenantBlock,
  ) {
    this.file = block.unit.path;
  }

  private get tenant(): TenantInfo {
    return this.block.tenant;
  }

  private report(d: Diagnostic): void {
    if (d.severity === "error") this.errors++;
    this.ctx.diagnostics.push(d);
  }

  private at(span: Span) {
    return { file: this.file, span };
  }

  resolve(rule: RuleStmt): Atom[] {
    if (!rule.direction && !rule.withinNamespace) return [];
    const unit = this.block.unit;
    const origin: RuleOrigin = {
      order: this.ctx.nextOrder++,
      file: this.file,
      line: unit.lines.positionAt(rule.span.start).line + 1,
      rule,
      text: ruleText(unit, rule),
    };
    if (rule.withinNamespace) return this.resolveWithin(rule, origin);
    const direction = rule.direction!;
    const ingress = direction === "ingress";
    const peerClause = ingress ? rule.from : rule.to;
    if (rule.bare && peerClause) {
      this.report(diag("duplicateClause", this.at(peerClause.keywordSpan ?? peerClause.span), { clause: ingress ? "from" : "to" }));
    }
    const peers = rule.bare ?? peerClause;
    const subjects = ingress ? rule.to : rule.from;
    if (!peers) {
      const span = { start: rule.actionSpan.start, end: rule.directionSpan?.end ?? rule.actionSpan.end };
      this.report(
        diag("syntaxError", this.at(span), {
          message: ingress
            ? "this ingress rule names no source: add 'from <tenant, namespace, cidr, entity ...>'"
            : "this egress rule names no destination: add 'to <host, cidr, tenant, namespace, service, entity ...>'",
        }),
      );
      return [];
    }
    if (peers.targets.length === 0 || (subjects && subjects.targets.length === 0)) return [];

    const ruleErrors = this.errors;
    const resolvedSubjects: Subject[] = [];
    if (subjects) {
      for (const t of subjects.targets) {
        const s = this.resolveSubject(t, direction);
        if (s) resolvedSubjects.push(s);
      }
    } else resolvedSubjects.push({ kind: "all" });

    const clausePorts = rule.ports ? this.resolvePorts(rule.ports.ports) : undefined;
    const http = rule.http ? this.resolveHttp(rule.http) : undefined;
    const atoms: Atom[] = [];
    const subjectErrors = this.errors - ruleErrors;
    for (const target of peers.targets) {
      const targetErrors = this.errors;
      const peer = this.resolvePeer(target, direction, rule.action);
      let ports = clausePorts;
      if (target.kind === "Host" && target.port) {
        if (rule.ports) this.report(diag("portGivenTwice", this.at(target.port.span), {}));
        else ports = this.resolvePorts([target.port]);
      }
      if (!peer || ports === null || http === null) continue;
      const portList = ports ?? undefined;
      if (!this.checkPortsForPeer(peer, target, portList, direction)) continue;
      if (http && !this.checkHttp(rule, http, portList, target)) continue;
      const approvals = this.checkExternal(peer, target, portList, direction, rule.action);
      this.checkBreadth(peer, target, portList, rule, direction);
      for (const subject of resolvedSubjects)
        atoms.push({
          id: this.ctx.nextAtomId++,
          tenant: this.tenant.name,
          origin,
          action: rule.action,
          direction,
          subject,
          peer,
          peerSpan: target.span,
          ports: portList,
          portSet: portSetOf(portList),
          namedPorts: (portList ?? []).filter((p) => typeof p.port === "string").map((p) => `${p.port}/${p.protocol}`),
          http: http ?? undefined,
          approvals,
          flawed: subjectErrors > 0 || this.errors > targetErrors,
        });
    }
    return atoms;
  }

  private resolveWithin(rule: RuleStmt, origin: RuleOrigin): Atom[] {
    const extra = rule.from ?? rule.to ?? rule.bare ?? rule.http;
    if (extra) {
      this.report(
        diag("peerNotAllowed", this.at(extra.span), {
          peer: "this clause",
          reason: "'allow within namespace' covers both directions for all of the tenant's pods; it takes only a port clause",
        }),
      );
      return [];
    }
    const ports = rule.ports ? this.resolvePorts(rule.ports.ports) : undefined;
    if (ports === null) return [];
    const span = { start: rule.actionSpan.start, end: rule.span.end };
    return (["ingress", "egress"] as const).map((direction) => ({
      id: this.ctx.nextAtomId++,
      tenant: this.tenant.name,
      origin,
      action: rule.action,
      direction,
      subject: { kind: "all" } as const,
      peer: { kind: "within" } as const,
      peerSpan: span,
      ports: ports ?? undefined,
      portSet: portSetOf(ports ?? undefined),
      namedPorts: (ports ?? []).filter((p) => typeof p.port === "string").map((p) => `${p.port}/${p.protocol}`),
      approvals: [],
    }));
  }

  private workload(tenant: string, name: { text: string; span: Span }): WorkloadSymbol | undefined {
    const own = this.ctx.workloads.get(tenant);
    const w = own?.get(name.text);
    if (!w) {
      this.report(
        diag("unknownWorkload", this.at(name.span), { name: name.text, tenant, suggestion: closest(name.text, own?.keys() ?? []) }),
      );
      return undefined;
    }
    return w.broken ? undefined : w;
  }

  private resolveSubject(t: Target, direction: "ingress" | "egress"): Subject | undefined {
    switch (t.kind) {
      case "WorkloadRef": {
        if (!t.name) return undefined;
        const w = this.workload(this.tenant.name, t.name);
        return w ? { kind: "workload", workload: w } : undefined;
      }
      case "NamespaceRef": {
        if (!t.namespace) return undefined;
        const ns = t.namespace.text;
        if (t.selector) {
          this.report(
            diag("invalidSubject", this.at(t.selector.span), { found: "an inline selector", direction }, { help: "Declare a workload for these pods and name it: workload NAME = selector" }),
          );
          return undefined;
        }
        if (this.tenant.namespaces.includes(ns)) return { kind: "namespace", namespace: ns };
        if (this.ctx.tenants.namespaces.has(ns)) this.report(diag("namespaceNotOwned", this.at(t.namespace.span), { namespace: ns, tenant: this.tenant.name }));
        else
          this.report(
            diag("unknownNamespace", this.at(t.namespace.span), { name: ns, tenant: this.tenant.name, suggestion: closest(ns, this.tenant.namespaces) }),
          );
        return undefined;
      }
      case "TenantRef": {
        if (!t.tenant) return undefined;
        if (t.tenant.text !== this.tenant.name) {
          this.report(diag("invalidSubject", this.at(t.span), { found: `tenant ${t.tenant.text}`, direction }));
          return undefined;
        }
        if (!t.workload) return { kind: "all" };
        const w = this.workload(this.tenant.name, t.workload);
        return w ? { kind: "workload", workload: w } : undefined;
      }
      default:
        this.report(diag("invalidSubject", this.at(t.span), { found: describeTarget(t), direction }));
        return undefined;
    }
  }

  private resolvePeer(t: Target, direction: "ingress" | "egress", action: "allow" | "deny"): Peer | undefined {
    const at = this.at(t.span);
    switch (t.kind) {
      case "Host": {
        const parsed = parseFqdn(t.name.text);
        if (!parsed.ok) {
          this.report(diag("invalidHost", this.at(t.name.span), { text: t.name.text, reason: parsed.reason }));
          return undefined;
        }
        const pattern = parsed.pattern;
        if (direction === "ingress") {
          this.report(
            diag("peerNotAllowed", this.at(t.name.span), {
              peer: `host ${t.name.text}`,
              reason: "Cilium matches host names only for egress (there is no fromFQDNs); admit the clients by cidr, entity, tenant or namespace",
            }),
          );
          return undefined;
        }
        if (action === "deny") {
          this.report(
            diag("peerNotAllowed", this.at(t.name.span), {
              peer: `host ${t.name.text}`,
              reason: "Cilium has no deny rules for host names (toFQDNs is allow-only); deny a cidr instead, or simply do not allow the host",
            }),
          );
          return undefined;
        }
        if (pattern.multi && !supports(this.ctx.config.cilium, "fqdnMultiLabelWildcard")) {
          this.report(
            diag("versionUnsupportedFeature", this.at(t.name.span), {
              feature: `the multi-label wildcard '**.' in ${t.name.text}`,
              version: this.ctx.config.cilium.text,
              need: FEATURE_NEEDS.fqdnMultiLabelWildcard,
            }, { help: "On older Cilium, '**' behaves like '*' inside one label, which would silently narrow the rule. Use '*.' per level, or raise cilium.version in ztc.yaml." }),
          );
          return undefined;
        }
        if (this.isInCluster(pattern)) {
          this.report(diag("fqdnInCluster", this.at(t.name.span), { name: t.name.text }));
          return undefined;
        }
        return { kind: "fqdn", pattern };
      }
      case "Cidr": {
        if (!t.cidr) return undefined;
        const prefix = this.parsePrefix(t.cidr);
        if (!prefix) return undefined;
        const except: Prefix[] = [];
        for (const e of t.except) {
          const p = this.parsePrefix(e);
          if (!p) return undefined;
          const cidr = formatPrefix(prefix);
          if (p.family !== prefix.family) {
            this.report(diag("invalidExcept", this.at(e.span), { except: e.text, cidr, reason: "is of another address family than" }));
            return undefined;
          }
          if (!prefixContains(prefix, p)) {
            this.report(diag("invalidExcept", this.at(e.span), { except: e.text, cidr, reason: "is not inside" }));
            return undefined;
          }
          except.push(p);
        }
        const set = AddressSet.cidrExcept(prefix, except);
        if (set.isEmpty()) {
          this.report(diag("invalidExcept", this.at(t.span), { except: except.map(formatPrefix).join(", "), cidr: formatPrefix(prefix), reason: "removes every address of" }));
          return undefined;
        }
        return { kind: "cidr", prefix, except, set };
      }
      case "Entity": {
        if (!t.name) return undefined;
        const name = t.name.text;
        if ((ENTITIES as readonly string[]).includes(name)) return { kind: "entity", entity: name };
        if (name === "cluster-mesh" && supports(this.ctx.config.cilium, "clusterMeshEntity")) return { kind: "entity", entity: name };
        const note =
          name === "world-ipv4" || name === "world-ipv6"
            ? `in policy YAML: the CRD rejects it (write cidr ${name === "world-ipv4" ? "0.0.0.0/0" : "::/0"} instead).`
            : name === "cluster-mesh"
              ? `in Cilium ${this.ctx.config.cilium.text} (it needs ${FEATURE_NEEDS.clusterMeshEntity}).`
              : undefined;
        this.report(diag("unknownEntity", this.at(t.name.span), { name, note, suggestion: note ? undefined : closest(name, ENTITIES) }));
        return undefined;
      }
      case "TenantRef": {
        if (!t.tenant) return undefined;
        const other = this.ctx.tenants.tenants.get(t.tenant.text);
        if (!other) {
          this.report(diag("unknownTenant", this.at(t.tenant.span), { name: t.tenant.text, suggestion: closest(t.tenant.text, this.ctx.tenants.tenants.keys()) }));
          return undefined;
        }
        if (other.namespaces.length === 0) {
          this.report(diag("peerNotAllowed", at, { peer: `tenant ${other.name}`, reason: "this tenant has no namespaces, so it has no pods" }));
          return undefined;
        }
        if (t.workload) {
          const w = this.workload(other.name, t.workload);
          if (!w) return undefined;
          return {
            kind: "pods",
            pods: { namespaces: w.namespaces, selector: w.selector, tenant: other.name, workload: w.name },
            description: `tenant ${other.name} workload ${w.name}`,
          };
        }
        return {
          kind: "pods",
          pods: { namespaces: [...other.namespaces].sort(), selector: EMPTY_SELECTOR, tenant: other.name },
          description: `tenant ${other.name}`,
        };
      }
      case "NamespaceRef": {
        if (!t.namespace) return undefined;
        const ns = this.ctx.tenants.namespaces.get(t.namespace.text);
        if (!ns) {
          this.report(
            diag("unknownNamespace", this.at(t.namespace.span), {
              name: t.namespace.text,
              suggestion: closest(t.namespace.text, this.ctx.tenants.namespaces.keys()),
            }),
          );
          return undefined;
        }
        const selector = t.selector ? resolveSelector(t.selector, this.file, this.ctx.diagnostics) : EMPTY_SELECTOR;
        if (!selector) {
          this.errors++;
          return undefined;
        }
        const sel = selectorText(selector);
        return {
          kind: "pods",
          pods: { namespaces: [ns.name], selector, tenant: ns.tenant },
          description: `namespace ${ns.name}${t.selector ? ` workload ${sel}` : ""}`,
        };
      }
      case "Service": {
        if (!t.namespace || !t.name) return undefined;
        if (direction === "ingress") {
          this.report(diag("peerNotAllowed", at, { peer: describeTarget(t), reason: "services are egress destinations; admit the clients instead" }));
          return undefined;
        }
        if (action === "deny") {
          this.report(
            diag("peerNotAllowed", at, {
              peer: describeTarget(t),
              reason: "Cilium never resolves services in deny rules, so the deny would apply to every destination on those ports; deny the service's pods by tenant or namespace instead",
            }),
          );
          return undefined;
        }
        if (t.namespace.text === "default" && t.name.text === "kubernetes") {
          this.report(
            diag("peerNotAllowed", at, {
              peer: "service default/kubernetes",
              reason: "the API server's service has no pod selector, so Cilium would match its IPs as a CIDR; use entity kube-apiserver",
            }),
          );
          return undefined;
        }
        if (!this.ctx.tenants.namespaces.has(t.namespace.text)) {
          this.report(
            diag("unknownNamespace", this.at(t.namespace.span), {
              name: t.namespace.text,
              suggestion: closest(t.namespace.text, this.ctx.tenants.namespaces.keys()),
            }),
          );
          return undefined;
        }
        const problem = nameProblem(t.name.text);
        if (problem) {
          this.report(diag("invalidName", this.at(t.name.span), { what: "service", name: t.name.text, reason: problem }));
          return undefined;
        }
        return { kind: "service", namespace: t.namespace.text, name: t.name.text };
      }
      case "WorkloadRef": {
        if (!t.name) return undefined;
        const w = this.workload(this.tenant.name, t.name);
        if (!w) return undefined;
        return {
          kind: "pods",
          pods: { namespaces: w.namespaces, selector: w.selector, tenant: this.tenant.name, workload: w.name },
          description: `workload ${w.name}`,
        };
      }
      case "Within":
        return { kind: "within" };
    }
  }

  private isInCluster(p: FqdnPattern): boolean {
    if (p.all) return false;
    const domain = this.ctx.config.dns.clusterDomain.split(".");
    const labels = p.labels;
    const endsWith = (suffix: readonly string[]) =>
      labels.length >= suffix.length && suffix.every((l, i) => labels[labels.length - suffix.length + i] === l);
    return endsWith(domain) || endsWith(["svc"]);
  }

  private parsePrefix(tok: { text: string; span: Span }): Prefix | undefined {
    const r = parseCidr(tok.text);
    if (r.ok) return r.prefix;
    const fixes: Fix[] = r.suggestion
      ? [{ title: `Write ${r.suggestion}`, edits: [{ file: this.file, span: tok.span, newText: r.suggestion }] }]
      : [];
    this.report(diag("invalidCidr", this.at(tok.span), { text: tok.text, reason: r.reason }, { fixes }));
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
      if (s.protocol) {
        const p = s.protocol.text.toUpperCase();
        if (p === "TCP" || p === "UDP" || p === "SCTP" || p === "ANY") protocol = p;
        else {
          this.report(diag("invalidProtocol", this.at(s.protocol.span), { text: s.protocol.text }));
          ok = false;
          continue;
        }
      }
      const v = s.port.value;
      if (s.port.variable) {
        this.report(diag("invalidPort", this.at(s.port.span), { reason: `$${v} is a ruleset parameter and can only be used inside a ruleset` }));
        ok = false;
      } else if (typeof v === "string") {
        if (!isValidPortName(v)) {
          this.report(diag("invalidPort", this.at(s.port.span), { reason: `'${v}' is not a port name (at most 15 letters, digits and single '-', with at least one letter)` }));
          ok = false;
        } else if (s.end) {
          this.report(diag("invalidPort", this.at(s.span), { reason: "a named port cannot start a range" }));
          ok = false;
        } else out.push({ port: v.toLowerCase(), protocol });
      } else if (v === 0) {
        this.report(
          diag("invalidPort", this.at(s.port.span), { reason: "port 0 means 'every port' to Cilium" }, { help: "Leave the port out to allow every port, or name the port you need." }),
        );
        ok = false;
      } else if (v > 65535) {
        this.report(diag("invalidPort", this.at(s.port.span), { reason: `${v} is above 65535` }));
        ok = false;
      } else if (s.end) {
        if (s.end.value > 65535) {
          this.report(diag("invalidPort", this.at(s.end.span), { reason: `${s.end.value} is above 65535` }));
          ok = false;
        } else if (s.end.value <= v) {
          this.report(diag("invalidPort", this.at(s.span), { reason: `the range ${v}-${s.end.value} is empty or backwards; write low-high` }));
          ok = false;
        } else out.push({ port: v, end: s.end.value, protocol });
      } else out.push({ port: v, protocol });
    }
    return ok ? out : null;
  }

  private checkPortsForPeer(peer: Peer, target: Target, ports: readonly PortReq[] | undefined, direction: "ingress" | "egress"): boolean {
    const named = (ports ?? []).find((p) => typeof p.port === "string");
    if (named && direction === "egress" && (peer.kind === "fqdn" || peer.kind === "cidr" || peer.kind === "entity")) {
      this.report(
        diag("invalidPort", this.at(target.span), {
          reason: `the named port '${named.port}' cannot be resolved for ${describeTarget(target)}: named ports are looked up in the destination pods' container ports`,
        }),
      );
      return false;
    }
    return true;
  }

  private resolveHttp(clause: HttpClause): HttpRuleIr[] | null {
    const out: HttpRuleIr[] = [];
    let ok = true;
    const bad = (span: Span, reason: string) => {
      this.report(diag("invalidHttpRule", this.at(span), { reason }));
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
      for (const h of r.headers) {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+(: ?.*)?$/.test(h.value)) bad(h.span, `the header ${JSON.stringify(h.value)} must be "Name" or "Name: value"`);
      }
      out.push({ method, path: r.path?.value, host: r.host?.value, headers: r.headers.map((h) => h.value), ast: r });
    }
    return ok ? out : null;
  }

  private checkHttp(rule: RuleStmt, http: readonly HttpRuleIr[], ports: readonly PortReq[] | undefined, target: Target): boolean {
    const span = rule.http!.keywordSpan;
    if (rule.action === "deny") {
      this.report(diag("l7NotAllowed", this.at(span), { reason: "deny rules are L3/L4 only in Cilium; deny the peer or port, or allow only the requests you want" }));
      return false;
    }
    if (!ports) {
      this.report(
        diag("l7NotAllowed", this.at(span), { reason: "HTTP rules need explicit TCP ports (Cilium rejects L7 rules on 'all ports')" }, { help: "Add the port the service listens on: port 8080" }),
      );
      return false;
    }
    const nonTcp = ports.find((p) => p.protocol !== "TCP");
    if (nonTcp) {
      this.report(
        diag("l7NotAllowed", this.at(span), {
          reason: `HTTP rules apply only to TCP ports, and ${nonTcp.port}/${nonTcp.protocol.toLowerCase()} is not TCP${nonTcp.protocol === "ANY" ? " only" : ""}`,
        }),
      );
      return false;
    }
    void http;
    void target;
    return true;
  }

  /** Blocklist and approvals for egress that leaves the cluster; returns the approvals used. */
  private checkExternal(peer: Peer, target: Target, ports: readonly PortReq[] | undefined, direction: "ingress" | "egress", action: "allow" | "deny") {
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
    } else return [];

    const span = target.span;
    const blocked = findBlocked(reg, peer.kind === "entity" ? { kind: "everything" } : dest);
    if (blocked) {
      this.report(
        diag("blockedDestination", this.at(span), { destination: text, blocked: blocked.destinationText, reason: blocked.reason }, {
          related: [{ file: blocked.file, span: blocked.span, message: "blocked here" }],
        }),
      );
      return [];
    }
    const portSet = portSetOf(ports);
    const cov = checkCoverage(reg, this.tenant.name, dest, portSet, this.ctx.today);
    const portsLabel = ports ? ` on ${portSet.toString()}` : " on all ports";
    if (cov.ok) {
      const soon = cov.used.filter((a) => daysBetween(this.ctx.today, a.expires) <= EXPIRY_WARNING_DAYS);
      if (soon.length > 0) {
        const first = soon.reduce((a, b) => (a.expires <= b.expires ? a : b));
        this.report(
          diag("approvalExpiringSoon", this.at(span), {
            ids: soon.map((a) => a.id).join(", "),
            date: first.expires,
            days: daysBetween(this.ctx.today, first.expires),
          }, { related: soon.map((a) => ({ file: a.file, span: a.span, message: `approval ${a.id}` })) }),
        );
      }
      return cov.used;
    }
    if (cov.reason === "expired") {
      const last = cov.expired.reduce((a, b) => (a.expires >= b.expires ? a : b));
      this.report(
        diag("approvalExpired", this.at(span), { destination: text + portsLabel, ids: cov.expired.map((a) => a.id).join(", "), date: last.expires }, {
          related: cov.expired.map((a) => ({ file: a.file, span: a.span, message: `approval ${a.id}` })),
        }),
      );
      return [];
    }
    const fixes: Fix[] = [];
    if (this.ctx.approvalsSource && peer.kind !== "entity") {
      const draftDest = peer.kind === "fqdn" ? peer.pattern.text : formatPrefix(peer.prefix);
      const fix = draftApprovalFix(this.ctx.approvalsSource, this.tenant.name, draftDest, portSet, this.ctx.today);
      if (fix) fixes.push(fix);
    }
    this.report(
      diag("unapprovedDestination", this.at(span), { destination: text, tenant: this.tenant.name, ports: portsLabel, detail: cov.detail }, { fixes }),
    );
    return [];
  }

  private checkBreadth(peer: Peer, target: Target, ports: readonly PortReq[] | undefined, rule: RuleStmt, direction: "ingress" | "egress"): void {
    if (rule.action !== "allow") return;
    const at = this.at(target.span);
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
      else if (p.labels.slice(0, -1).every((l) => l === "*") && (p.multi || p.labels.length >= 2))
        what = `'${p.text}' matches every name under .${p.labels[p.labels.length - 1]}`;
    }
    if (what) this.report(diag("broadRule", at, { what }));
    if (ports || rule.http) return;
    const own =
      peer.kind === "within" ||
      (peer.kind === "pods" && peer.pods.tenant === this.tenant.name);
    if (!own && !(peer.kind === "entity" && peer.entity === "none")) this.report(diag("allPorts", at, { peer: describeTarget(target), ingress: direction === "ingress" }));
  }

  get errorCount(): number {
    return this.errors;
  }
}

/** Resolves every rule of one tenant block. */
export function resolveBlock(block: TenantBlock, ctx: ResolveContext, around?: RuleHook): Atom[] {
  const r = new RuleResolver(ctx, block);
  const atoms: Atom[] = [];
  for (const item of block.decl.body)
    if (item.kind === "Rule") atoms.push(...(around ? around(item, () => r.resolve(item)) : r.resolve(item)));
  return atoms;
}

/**
 * Wraps the resolution of each rule (rule-cache.ts reuses the result for a rule whose text and
 * context did not change). It must return what `resolve` would, and push the same diagnostics.
 */
export type RuleHook = (rule: RuleStmt, resolve: () => Atom[]) => Atom[];
