/**
 * `expect` statements, checked like everything else: their endpoints name tenants, workloads,
 * namespaces, entities, addresses or hosts that exist; their ports, ICMP types and HTTP requests are
 * well-formed. The result is a list of flows (in the evaluator's text-flow form, resolved against
 * the project when `ztc test` runs) with the verdict each expects.
 */
import { diag, type Diagnostic, type ExpectStmt, type FlowEndpoint, type Span, type TenantDecl } from "../language/index.js";
import { closest } from "../language/suggest.js";
import type { BindResult, SourceUnit } from "./binder.js";
import type { TextEndpoint, TextFlow } from "./evaluator/text-flow.js";
import { labelsFor } from "./evaluator/project.js";
import { resolveSelector } from "./labels.js";
import { parseAddress } from "./net/cidr.js";
import { parseFqdn } from "./net/fqdn.js";
import type { TenantRegistry } from "./registry.js";
import { HTTP_METHODS, icmpType } from "./resolve-constants.js";

/** Entities a flow can come from or go to (B5): the world, or a reserved identity. */
export const FLOW_ENTITIES = ["world", "host", "remote-node", "kube-apiserver", "health", "ingress", "init", "unmanaged"] as const;

interface Site {
  readonly file: string;
  readonly span: Span;
  readonly line: number;
  /** The statement as written (comments removed, whitespace collapsed). */
  readonly text: string;
}

export type Expectation =
  | (Site & { readonly kind: "flow"; readonly flow: TextFlow; readonly verdict: "allowed" | "denied" })
  | (Site & { readonly kind: "default-deny"; readonly tenants: readonly string[] });

export interface ExpectationResult {
  readonly expectations: readonly Expectation[];
  readonly diagnostics: readonly Diagnostic[];
}

function statementText(unit: SourceUnit, span: Span): string {
  return unit.text.slice(span.start, span.end).replace(/\/\/[^\n]*/g, "").replace(/\s+/g, " ").trim();
}

/** What a unit's expectations depend on besides its own text: the blocks holding them, the tenants they name. */
interface ExpectShape {
  readonly blocks: readonly TenantDecl[];
  readonly named: readonly string[];
}

const shapes = new WeakMap<SourceUnit, ExpectShape | null>();

/** The shape of a unit's `expect` statements, or null when it has none. */
function shapeOf(unit: SourceUnit): ExpectShape | null {
  let shape = shapes.get(unit);
  if (shape !== undefined) return shape;
  const blocks = new Set<TenantDecl>();
  const named = new Set<string>();
  let any = false;
  const visit = (stmt: ExpectStmt) => {
    any = true;
    for (const e of [stmt.source, stmt.destination]) if (e?.tenant) named.add(e.tenant.text);
    if (stmt.defaultDeny?.tenant) named.add(stmt.defaultDeny.tenant.text);
  };
  if (!unit.path.startsWith("stdlib:"))
    for (const item of unit.ast.items) {
      if (item.kind === "Expect") visit(item);
      else if (item.kind === "Tenant")
        for (const member of item.body)
          if (member.kind === "Expect") {
            blocks.add(item);
            visit(member);
          }
    }
  shape = any ? { blocks: [...blocks], named: [...named].sort() } : null;
  shapes.set(unit, shape);
  return shape;
}

/** A tenant whose workload names a unit's expectations depend on, with the workloads they were checked against. */
interface Dependency {
  readonly tenant: string;
  workloads: ReadonlyMap<string, unknown> | undefined;
}

/**
 * A unit's expectations, checked, are a function of its text, the registry (which also decides
 * the tenant each of its blocks binds to), and the workload names of the tenants they name or
 * whose blocks hold them. While those are the same, the previous result is reused: an editor
 * re-checks every expectation of the project after each keystroke, and few of them can see the
 * edit. An incremental check hands on the workloads of tenants it did not check again as they
 * were, so most dependencies are confirmed by identity.
 */
const results = new WeakMap<SourceUnit, { readonly registry: TenantRegistry; readonly deps: readonly Dependency[]; readonly result: ExpectationResult }>();

const names = (ws: ReadonlyMap<string, unknown> | undefined) => (ws ? [...ws.keys()].join(",") : undefined);

function stillValid(deps: readonly Dependency[], bound: BindResult): boolean {
  for (const d of deps) {
    const now = bound.workloads.get(d.tenant);
    if (now === d.workloads) continue;
    if (names(now) !== names(d.workloads)) return false;
    d.workloads = now;
  }
  return true;
}

/** One unit's expectations in a result: where the unit is in the list, and the tenants they depend on. */
interface Segment {
  readonly index: number;
  readonly unit: SourceUnit;
  readonly result: ExpectationResult;
  readonly tenants: readonly string[];
}

/** The segments of a result, by its diagnostics array (what a check result keeps of it). */
const segmentsOf = new WeakMap<readonly Diagnostic[], readonly Segment[]>();

/**
 * What an incremental check knows: the previous result's units (the same files in the same order
 * as now) and diagnostics, and the tenants it re-checked. A unit that is the same and depends on
 * none of those tenants keeps its result without being looked at again.
 */
export interface ExpectationsSince {
  readonly units: readonly SourceUnit[];
  readonly diagnostics: readonly Diagnostic[];
  readonly recheck: ReadonlySet<string>;
}

/** Every `expect` of the project's files, top level and in tenant blocks. */
export function checkExpectations(units: readonly SourceUnit[], bound: BindResult, tenants: TenantRegistry, since?: ExpectationsSince): ExpectationResult {
  let blockTenant: Map<TenantDecl, string> | undefined;
  const segment = (index: number, unit: SourceUnit): Segment | undefined => {
    const shape = shapeOf(unit);
    if (!shape) return undefined;
    const cached = results.get(unit);
    let result = cached && cached.registry === tenants && stillValid(cached.deps, bound) ? cached.result : undefined;
    let deps = cached?.deps;
    if (!result) {
      blockTenant ??= new Map(bound.blocks.map((b) => [b.decl, b.tenant.name]));
      result = unitExpectations(unit, blockTenant, bound, tenants);
      const own = shape.blocks.flatMap((d) => blockTenant!.get(d) ?? []);
      deps = [...new Set([...own, ...shape.named])].map((tenant) => ({ tenant, workloads: bound.workloads.get(tenant) }));
      results.set(unit, { registry: tenants, deps, result });
    }
    return { index, unit, result, tenants: deps!.map((d) => d.tenant) };
  };
  const segments: Segment[] = [];
  const before = since && since.units.length === units.length ? segmentsOf.get(since.diagnostics) : undefined;
  if (since && before) {
    let next = 0;
    for (let i = 0; i < units.length; i++) {
      const unit = units[i]!;
      const old = before[next]?.index === i ? before[next++] : undefined;
      if (old ? old.unit === unit && !old.tenants.some((t) => since.recheck.has(t)) : unit === since.units[i]) {
        if (old) segments.push(old);
        continue;
      }
      const s = segment(i, unit);
      if (s) segments.push(s);
    }
  } else
    units.forEach((unit, i) => {
      const s = segment(i, unit);
      if (s) segments.push(s);
    });
  const diagnostics: Diagnostic[] = [];
  for (const s of segments) for (const d of s.result.diagnostics) diagnostics.push(d);
  segmentsOf.set(diagnostics, segments);
  // Flattened when read (`ztc test`, code lenses), not on every keystroke.
  let expectations: Expectation[] | undefined;
  return {
    get expectations() {
      expectations ??= segments.flatMap((s) => s.result.expectations);
      return expectations;
    },
    diagnostics,
  };
}

/**
 * One statement's findings, while it is the same node in the same file, on the same line, of the
 * same tenant, and the workloads of the tenants the file's expectations name are the same: an
 * edit of a large policy file checks again only the statements it touched.
 */
const statementResults = new WeakMap<
  ExpectStmt,
  { readonly file: string; readonly line: number; readonly tenant: string | undefined; readonly registry: TenantRegistry; readonly deps: string; readonly expectations: readonly Expectation[]; readonly diagnostics: readonly Diagnostic[] }
>();

/**
 * Paths whose expectations were checked: statements are remembered only from a file's second
 * version on (a file being edited). The files of a workspace are each checked once, and other
 * changes (workload names) change `deps`, so their statements' results would not be reused.
 */
const expectationsChecked = new Set<string>();
const NO_DIAGNOSTICS: readonly Diagnostic[] = [];

function unitExpectations(unit: SourceUnit, blockTenant: ReadonlyMap<TenantDecl, string>, bound: BindResult, tenants: TenantRegistry): ExpectationResult {
  const out: Expectation[] = [];
  const diagnostics: Diagnostic[] = [];
  const remember = expectationsChecked.has(unit.path);
  expectationsChecked.add(unit.path);
  const shape = shapeOf(unit);
  const involved = new Set([...(shape?.blocks ?? []).flatMap((d) => blockTenant.get(d) ?? []), ...(shape?.named ?? [])]);
  const deps = [...involved].map((t) => `${t}:${names(bound.workloads.get(t)) ?? ""}`).join("\n");
  const reuse = (stmt: ExpectStmt, tenant: string | undefined) => {
    const line = unit.lines.positionAt(stmt.span.start).line + 1;
    const known = statementResults.get(stmt);
    if (known && known.file === unit.path && known.line === line && known.tenant === tenant && known.registry === tenants && known.deps === deps) {
      out.push(...known.expectations);
      diagnostics.push(...known.diagnostics);
      return;
    }
    const [e, d] = [out.length, diagnostics.length];
    check(unit, stmt, tenant);
    if (remember)
      statementResults.set(stmt, {
        file: unit.path,
        line,
        tenant,
        registry: tenants,
        deps,
        expectations: out.slice(e),
        diagnostics: diagnostics.length > d ? diagnostics.slice(d) : NO_DIAGNOSTICS,
      });
  };
  for (const item of unit.ast.items) {
    if (item.kind === "Expect") reuse(item, undefined);
    else if (item.kind === "Tenant")
      for (const member of item.body) {
        if (member.kind !== "Expect") continue;
        // null: the block of a tenant that did not bind (already reported).
        const tenant = blockTenant.get(item) ?? (item.name ? null : undefined);
        if (tenant !== null) reuse(member, tenant);
      }
  }
  return { expectations: out, diagnostics };

  /** `tenant` undefined: top level; null: in the block of a tenant that did not bind (already reported). */
  function check(unit: SourceUnit, stmt: ExpectStmt, tenant: string | null | undefined): void {
    if (tenant === null) return;
    const errors = diagnostics.length;
    const at = (span: Span) => ({ file: unit.path, span });
    const site: Site = { file: unit.path, span: stmt.span, line: unit.lines.positionAt(stmt.span.start).line + 1, text: statementText(unit, stmt.span) };
    if (stmt.defaultDeny) {
      const d = stmt.defaultDeny;
      let names: string[];
      if (d.allTenants) names = [...tenants.tenants.values()].filter((t) => t.namespaces.length > 0).map((t) => t.name);
      else if (d.tenant) {
        if (!tenants.tenants.has(d.tenant.text)) {
          diagnostics.push(diag("unknownTenant", at(d.tenant.span), { name: d.tenant.text, suggestion: closest(d.tenant.text, tenants.tenants.keys()) }));
          return;
        }
        names = [d.tenant.text];
      } else if (tenant) names = [tenant];
      else {
        diagnostics.push(
          diag("syntaxError", at(d.span), { message: "'expect default deny' outside a tenant block needs 'for tenant NAME' or 'for all tenants'" }),
        );
        return;
      }
      out.push({ file: site.file, span: site.span, line: site.line, text: site.text, kind: "default-deny", tenants: names.sort() });
      return;
    }
    if (!stmt.source || !stmt.destination || !stmt.verdict) return;
    const source = endpoint(unit, stmt.source, tenant);
    const destination = endpoint(unit, stmt.destination, tenant);
    let protocol = "TCP";
    let port: number | undefined;
    let icmp: number | undefined;
    if (stmt.port?.port) {
      const p = stmt.port;
      const value = p.port!.value;
      const proto = p.protocol?.text.toLowerCase() ?? "tcp";
      if (typeof value !== "number" || p.port!.variable) {
        diagnostics.push(diag("invalidPort", at(p.span), { reason: `a flow goes to one port number, not '${p.port!.variable ? "$" : ""}${value}'` }));
      } else if (p.end) diagnostics.push(diag("invalidPort", at(p.span), { reason: "a flow goes to one port, not a range" }));
      else if (value < 1 || value > 65535) diagnostics.push(diag("invalidPort", at(p.port!.span), { reason: `${value} is not a port (1-65535)` }));
      else if (proto !== "tcp" && proto !== "udp" && proto !== "sctp")
        diagnostics.push(diag("invalidProtocol", at(p.protocol!.span), { text: p.protocol!.text }));
      else {
        port = value;
        protocol = proto.toUpperCase();
      }
    } else if (stmt.icmp) {
      const c = stmt.icmp;
      const t = c.types[0];
      if (c.types.length !== 1 || !t) diagnostics.push(diag("invalidIcmp", at(c.span), { reason: "a flow has one ICMP type" }));
      else {
        const n = icmpType(t.text, c.family);
        if (typeof n === "string") diagnostics.push(diag("invalidIcmp", at(t.span), { reason: n }));
        else {
          icmp = n;
          protocol = c.family === "IPv6" ? "ICMPv6" : "ICMPv4";
        }
      }
    } else if (stmt.destination.form !== "entity" || stmt.http || stmt.dns) {
      diagnostics.push(
        diag("invalidPort", at(stmt.destination.span), { reason: "say which port the flow goes to (DESTINATION:443 or port 443), or 'icmp TYPE'" }),
      );
    }
    let http: TextFlow["http"];
    if (stmt.http) {
      const h = stmt.http;
      const method = h.method?.text.toUpperCase();
      if (method && (method === "*" || !(HTTP_METHODS as readonly string[]).includes(method)))
        diagnostics.push(diag("invalidHttpRule", at(h.method!.span), { reason: `a request has one method: ${HTTP_METHODS.join(", ")}` }));
      if (protocol !== "TCP") diagnostics.push(diag("invalidHttpRule", at(h.span), { reason: "an HTTP request goes over TCP" }));
      const headers: Record<string, string> = {};
      for (const x of h.headers) {
        const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?::\s?(.*))?$/.exec(x.value);
        if (!m) diagnostics.push(diag("invalidHttpRule", at(x.span), { reason: `the header ${JSON.stringify(x.value)} must be "Name" or "Name: value"` }));
        else headers[m[1]!] = m[2] ?? "";
      }
      http = { method, path: h.path?.value ?? "/", host: h.host?.value, headers };
    }
    let dns: string | undefined;
    if (stmt.dns) {
      const f = parseFqdn(stmt.dns.value);
      if (!f.ok || f.pattern.isPattern) diagnostics.push(diag("invalidHost", at(stmt.dns.span), { text: stmt.dns.value, reason: f.ok ? "a lookup is for one name, not a pattern" : f.reason }));
      else dns = f.pattern.text;
    }
    if (!source || !destination || diagnostics.length > errors) return;
    // Written out, not spread: a spread made each of thousands of expectations a hidden class of its own.
    out.push({
      file: site.file,
      span: site.span,
      line: site.line,
      text: site.text,
      kind: "flow",
      verdict: stmt.verdict.value,
      flow: { source, destination, protocol, port, icmpType: icmp, http, dns },
    });
  }

  function endpoint(unit: SourceUnit, e: FlowEndpoint, tenant: string | undefined): TextEndpoint | undefined {
    const at = (span: Span) => ({ file: unit.path, span });
    const workloadOf = (t: string, w: { text: string; span: Span }) => {
      const own = bound.workloads.get(t);
      if (own?.has(w.text)) return true;
      diagnostics.push(diag("unknownWorkload", at(w.span), { name: w.text, tenant: t, suggestion: closest(w.text, own?.keys() ?? []) }));
      return false;
    };
    const tenantOf = (t: { text: string; span: Span }) => {
      if (tenants.tenants.has(t.text)) return true;
      diagnostics.push(diag("unknownTenant", at(t.span), { name: t.text, suggestion: closest(t.text, tenants.tenants.keys()) }));
      return false;
    };
    switch (e.form) {
      case "workload":
        if (!e.tenant || !e.workload || !tenantOf(e.tenant) || !workloadOf(e.tenant.text, e.workload)) return undefined;
        return { kind: "workload", tenant: e.tenant.text, workload: e.workload.text };
      case "own":
        if (!e.workload) return undefined;
        if (!tenant) {
          diagnostics.push(
            diag("syntaxError", at(e.span), { message: `outside a tenant block, write TENANT/${e.workload.text} (or tenant NAME, namespace NAME, entity NAME, an address or a host name)` }),
          );
          return undefined;
        }
        return workloadOf(tenant, e.workload) ? { kind: "workload", tenant, workload: e.workload.text } : undefined;
      case "tenant":
        if (!e.tenant || !tenantOf(e.tenant)) return undefined;
        if (e.workload) return workloadOf(e.tenant.text, e.workload) ? { kind: "workload", tenant: e.tenant.text, workload: e.workload.text } : undefined;
        if ((tenants.tenants.get(e.tenant.text)?.namespaces.length ?? 0) === 0) {
          diagnostics.push(diag("peerNotAllowed", at(e.span), { peer: `tenant ${e.tenant.text}`, reason: "this tenant has no namespaces, so it has no pods" }));
          return undefined;
        }
        return { kind: "name", name: e.tenant.text };
      case "namespace": {
        if (!e.namespace) return undefined;
        if (!tenants.namespaces.has(e.namespace.text)) {
          diagnostics.push(diag("unknownNamespace", at(e.namespace.span), { name: e.namespace.text, suggestion: closest(e.namespace.text, tenants.namespaces.keys()) }));
          return undefined;
        }
        if (!e.selector) return { kind: "pods", namespace: e.namespace.text, labels: {} };
        const sel = resolveSelector(e.selector, unit.path, diagnostics);
        return sel ? { kind: "pods", namespace: e.namespace.text, labels: labelsFor(sel) } : undefined;
      }
      case "entity":
        if (!e.name) return undefined;
        if (!(FLOW_ENTITIES as readonly string[]).includes(e.name.text)) {
          diagnostics.push(
            diag("unknownEntity", at(e.name.span), { name: e.name.text, note: undefined, suggestion: closest(e.name.text, FLOW_ENTITIES) }, {
              help: `A flow comes from or goes to one of: ${FLOW_ENTITIES.join(", ")}.`,
            }),
          );
          return undefined;
        }
        return { kind: "entity", entity: e.name.text };
      case "address":
      case "host": {
        if (!e.name) return undefined;
        // `10.0.0.7` lexes as an address; with a port after it, as a host name: both are addresses.
        const address = parseAddress(e.name.text);
        if (typeof address !== "string") return { kind: "ip", ip: e.name.text };
        if (e.form === "address") {
          diagnostics.push(diag("invalidCidr", at(e.name.span), { text: e.name.text, reason: address }));
          return undefined;
        }
        const f = parseFqdn(e.name.text);
        if (!f.ok || f.pattern.isPattern) {
          diagnostics.push(diag("invalidHost", at(e.name.span), { text: e.name.text, reason: f.ok ? "a flow goes to one name, not a pattern" : f.reason }));
          return undefined;
        }
        return { kind: "host", name: f.pattern.text };
      }
    }
  }
}
