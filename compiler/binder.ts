/**
 * Binding: which tenant each block speaks for (and whether its file may), and the workload
 * symbols of every tenant across all files. Everything later resolves names against this.
 */
import { diag, type BaselineDecl, type Diagnostic, type LineIndex, type SourceFileAst, type Span, type TenantDecl, type WorkloadDecl } from "../language/index.js";
import { closest } from "../language/suggest.js";
import { EMPTY_SELECTOR, type WorkloadSymbol } from "./ir.js";
import { resolveSelector } from "./labels.js";
import type { LabelSelector } from "./ir.js";
import type { TenantInfo, TenantRegistry } from "./registry.js";

export interface SourceUnit {
  readonly path: string;
  readonly text: string;
  readonly lines: LineIndex;
  readonly ast: SourceFileAst;
  readonly parseDiagnostics: readonly Diagnostic[];
}

export interface TenantBlock {
  readonly tenant: TenantInfo;
  readonly decl: TenantDecl;
  readonly unit: SourceUnit;
}

/** A baseline: cluster-wide rules for the namespaces it applies to. */
export interface BaselineSymbol {
  readonly name: string;
  readonly unit: SourceUnit;
  readonly decl: BaselineDecl;
  /** The platform tenant whose file declares it. */
  readonly owner: TenantInfo;
  /** The namespaces it applies to, sorted. */
  readonly namespaces: readonly string[];
  /** The tenant behind each namespace; shared namespaces count as the owner's. */
  readonly tenantOf: ReadonlyMap<string, string>;
  /** Directions with default deny, from `default deny` here or in the rule sets it uses. */
  readonly defaultDeny: Set<"ingress" | "egress">;
  /** Default deny staged by `use NAME audit` or `mode audit`: recorded, not enforced. */
  readonly stagedDefaultDeny: Set<"ingress" | "egress">;
  readonly visibilityOnly: boolean;
  /** `mode audit`: default deny is never enforced by this baseline. */
  readonly audit: boolean;
  /** Host firewall: the nodes it applies to (then `namespaces` is empty). */
  readonly nodes?: LabelSelector | undefined;
}

export type TenantMode = "audit" | "enforce";
export interface SettingSite {
  readonly file: string;
  readonly span: Span;
  readonly line: number;
}
export type DnsLookups = "strict" | "any";

/** Per-tenant settings from `mode` and `dns` statements, wherever the tenant's blocks are. */
export interface TenantSettings {
  readonly mode: TenantMode;
  readonly modeAt?: SettingSite | undefined;
  readonly dns?: DnsLookups | undefined;
  readonly dnsAt?: SettingSite | undefined;
}

export interface BindResult {
  readonly blocks: readonly TenantBlock[];
  readonly baselines: readonly BaselineSymbol[];
  /** tenant -> workload name -> symbol */
  readonly workloads: ReadonlyMap<string, ReadonlyMap<string, WorkloadSymbol>>;
  /** Tenants with a `mode` or `dns` statement. */
  readonly settings: ReadonlyMap<string, TenantSettings>;
  readonly diagnostics: readonly Diagnostic[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function nameProblem(name: string): string | undefined {
  if (name.length > 63) return "it is longer than 63 characters";
  if (/[A-Z]/.test(name)) return "it has upper-case letters";
  if (!DNS_LABEL.test(name)) return "it must use a-z, 0-9 and '-' and start and end with a letter or digit";
  return undefined;
}

/** Does a tenant's `labels` satisfy a selector (applies to tenants where ...)? */
export function labelsMatch(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  return sel.matchExpressions.every((e) => {
    const v = labels[e.key];
    switch (e.operator) {
      case "In":
        return v !== undefined && (e.values ?? []).includes(v);
      case "NotIn":
        return v === undefined || !(e.values ?? []).includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
    }
  });
}

/**
 * A baseline's binding is a function of its declaration, its file and the registry; a baseline
 * "applies to all tenants" of a large registry maps thousands of namespaces, and an editor's
 * incremental check binds every baseline again on each keystroke. The symbol is copied for each
 * check: resolving its rule sets adds to its default-deny sets.
 */
const boundBaselines = new WeakMap<BaselineDecl, { readonly registry: TenantRegistry; readonly unit: SourceUnit; readonly symbol: BaselineSymbol | undefined; readonly diagnostics: readonly Diagnostic[] }>();

function bindBaseline(unit: SourceUnit, decl: BaselineDecl, registry: TenantRegistry, diagnostics: Diagnostic[]): BaselineSymbol | undefined {
  let known = boundBaselines.get(decl);
  if (!known || known.registry !== registry || known.unit !== unit) {
    const found: Diagnostic[] = [];
    known = { registry, unit, symbol: bindBaselineOnce(unit, decl, registry, found), diagnostics: found };
    boundBaselines.set(decl, known);
  }
  for (const d of known.diagnostics) diagnostics.push(d);
  const b = known.symbol;
  return b && { ...b, defaultDeny: new Set(b.defaultDeny), stagedDefaultDeny: new Set(b.stagedDefaultDeny) };
}

function bindBaselineOnce(unit: SourceUnit, decl: BaselineDecl, registry: TenantRegistry, diagnostics: Diagnostic[]): BaselineSymbol | undefined {
  if (!decl.name) return undefined;
  const name = decl.name.text;
  const at = (span: { start: number; end: number }) => ({ file: unit.path, span });
  const owner = registry.ownersOf(unit.path).find((t) => t.platform);
  if (!owner) {
    diagnostics.push(diag("baselineNotAllowed", at({ start: decl.keywordSpan.start, end: decl.name.span.end }), { file: unit.path }));
    return undefined;
  }
  const problem = nameProblem(name);
  if (problem) {
    diagnostics.push(diag("invalidName", at(decl.name.span), { what: "baseline", name, reason: problem }));
    return undefined;
  }
  const tenantOf = new Map<string, string>();
  const addTenant = (t: TenantInfo) => t.namespaces.forEach((ns) => tenantOf.set(ns, t.name));
  let scoped = false;
  let nodes: LabelSelector | undefined;
  let podScope: { start: number; end: number } | undefined;
  for (const item of decl.body) {
    if (item.kind !== "Applies") continue;
    scoped = true;
    if (item.nodes) {
      if (nodes) {
        diagnostics.push(diag("nodesBaselineScope", at(item.nodes.span), { message: `baseline '${name}' already says which nodes it applies to; one 'applies to nodes' per baseline` }));
        continue;
      }
      nodes = item.nodes.where ? resolveSelector(item.nodes.where, unit.path, diagnostics, { nodeLabels: true }) : EMPTY_SELECTOR;
      if (!nodes) return undefined;
      continue;
    }
    podScope ??= item.span;
    if (item.allTenants) for (const t of registry.tenants.values()) addTenant(t);
    for (const t of item.tenants) {
      const info = registry.tenants.get(t.text);
      if (info) addTenant(info);
      else diagnostics.push(diag("unknownTenant", at(t.span), { name: t.text, suggestion: closest(t.text, registry.tenants.keys()) }));
    }
    if (item.where) {
      const sel = resolveSelector(item.where, unit.path, diagnostics);
      if (sel) for (const t of registry.tenants.values()) if (labelsMatch(sel, t.labels)) addTenant(t);
    }
    for (const ns of item.namespaces) {
      const info = registry.namespaces.get(ns.text);
      if (info) tenantOf.set(ns.text, info.tenant ?? owner.name);
      else diagnostics.push(diag("unknownNamespace", at(ns.span), { name: ns.text, suggestion: closest(ns.text, registry.namespaces.keys()) }));
    }
  }
  if (!scoped) {
    diagnostics.push(diag("baselineWithoutScope", at(decl.name.span), { name }));
    return undefined;
  }
  if (nodes && podScope) {
    diagnostics.push(
      diag("nodesBaselineScope", at(podScope), {
        message: `baseline '${name}' applies to nodes, so it cannot also apply to tenants or namespaces: a host policy never selects pods; write two baselines`,
      }),
    );
    return undefined;
  }
  const defaultDeny = new Set<"ingress" | "egress">();
  const visibilityOnly = decl.body.some((i) => i.kind === "Visibility");
  let audit = false;
  for (const item of decl.body) {
    if (item.kind !== "Mode" || !item.value) continue;
    if (item.value.text !== "audit" && item.value.text !== "enforce")
      diagnostics.push(diag("invalidSetting", at(item.value.span), { setting: "mode", value: item.value.text, allowed: "'mode audit' or 'mode enforce'" }));
    else audit = item.value.text === "audit";
  }
  for (const item of decl.body) {
    if (item.kind !== "DefaultDeny") continue;
    for (const d of item.directions) defaultDeny.add(d.direction);
    if (visibilityOnly && item.directions.length > 0)
      diagnostics.push(diag("visibilityWithDefaultDeny", at(item.span), { name, directions: item.directions.map((d) => d.direction).join(" and ") }));
  }
  return {
    name,
    unit,
    decl,
    owner,
    namespaces: [...tenantOf.keys()].sort(),
    tenantOf,
    defaultDeny,
    stagedDefaultDeny: new Set(),
    visibilityOnly,
    audit,
    nodes,
  };
}

/** A workload statement's symbol and diagnostics, by statement: what they depend on besides the node. */
const workloadSymbols = new WeakMap<WorkloadDecl, { readonly file: string; readonly tenant: TenantInfo; readonly symbol: WorkloadSymbol; readonly diagnostics: readonly Diagnostic[] }>();

export function bind(units: readonly SourceUnit[], registry: TenantRegistry): BindResult {
  const diagnostics: Diagnostic[] = [];
  const blocks: TenantBlock[] = [];
  const baselines: BaselineSymbol[] = [];
  const workloads = new Map<string, Map<string, WorkloadSymbol>>();
  const settings = new Map<string, TenantSettings>();

  for (const unit of units) {
    for (const item of unit.ast.items) {
      if (item.kind === "Baseline") {
        const b = bindBaseline(unit, item, registry, diagnostics);
        if (!b) continue;
        const first = baselines.find((x) => x.name === b.name);
        if (first)
          diagnostics.push(
            diag("duplicateRuleset", { file: unit.path, span: item.name!.span }, { name: b.name, what: "baseline" }, {
              related: [{ file: first.unit.path, span: first.decl.name!.span, message: "first declared here" }],
            }),
          );
        else baselines.push(b);
        continue;
      }
      if (item.kind !== "Tenant" || !item.name) continue;
      const name = item.name.text;
      const tenant = registry.tenants.get(name);
      if (!tenant) {
        diagnostics.push(
          diag("unknownTenant", { file: unit.path, span: item.name.span }, { name, suggestion: closest(name, registry.tenants.keys()) }),
        );
        continue;
      }
      if (!tenant.owns(unit.path)) {
        diagnostics.push(
          diag(
            "tenantNotOwned",
            { file: unit.path, span: item.name.span },
            { tenant: name, file: unit.path, paths: tenant.paths.join(", ") },
            { related: [{ file: registry.file, span: tenant.span, message: `tenant '${name}' and its paths` }] },
          ),
        );
        continue;
      }
      blocks.push({ tenant, decl: item, unit });
      bindSettings(tenant, item, unit, settings, diagnostics);
      const own = workloads.get(name) ?? new Map<string, WorkloadSymbol>();
      workloads.set(name, own);
      for (const member of item.body) {
        if (member.kind !== "Workload" || !member.name) continue;
        const wname = member.name.text;
        const problem = nameProblem(wname);
        if (problem) {
          diagnostics.push(diag("invalidName", { file: unit.path, span: member.name.span }, { what: "workload", name: wname, reason: problem }));
          continue;
        }
        const first = own.get(wname);
        if (first) {
          diagnostics.push(
            diag(
              "duplicateWorkload",
              { file: unit.path, span: member.name.span },
              { name: wname, tenant: name },
              { related: [{ file: first.file, span: first.nameSpan, message: "first declared here" }] },
            ),
          );
          continue;
        }
        // The same statement in the same file and tenant binds to the same symbol: handing the
        // old one on lets an editor's re-check reuse every atom that names it (rule-cache.ts).
        const known = workloadSymbols.get(member);
        if (known && known.file === unit.path && known.tenant === tenant) {
          diagnostics.push(...known.diagnostics);
          own.set(wname, known.symbol);
          continue;
        }
        const before = diagnostics.length;
        let pinned: string | undefined;
        let broken = false;
        if (member.namespace) {
          const ns = member.namespace.text;
          if (!tenant.namespaces.includes(ns)) {
            diagnostics.push(
              diag(
                "unknownNamespace",
                { file: unit.path, span: member.namespace.span },
                { name: ns, tenant: name, suggestion: closest(ns, tenant.namespaces) },
              ),
            );
            broken = true;
          } else pinned = ns;
        }
        const selector = member.selector ? resolveSelector(member.selector, unit.path, diagnostics) : undefined;
        const symbol: WorkloadSymbol = {
          name: wname,
          tenant: name,
          file: unit.path,
          nameSpan: member.name.span,
          selector: selector ?? EMPTY_SELECTOR,
          namespaces: pinned ? [pinned] : [...tenant.namespaces].sort(),
          pinned,
          broken: broken || !selector,
        };
        own.set(wname, symbol);
        workloadSymbols.set(member, { file: unit.path, tenant, symbol, diagnostics: diagnostics.slice(before) });
      }
    }
  }
  return { blocks, baselines, workloads, settings, diagnostics };
}

/** `mode` and `dns` statements of one tenant block, checked against the tenant's other blocks. */
function bindSettings(tenant: TenantInfo, decl: TenantDecl, unit: SourceUnit, settings: Map<string, TenantSettings>, diagnostics: Diagnostic[]): void {
  const where = (at: SettingSite) => `${at.file}:${at.line}`;
  for (const item of decl.body) {
    if ((item.kind !== "Mode" && item.kind !== "DnsMode") || !item.value) continue;
    const value = item.value.text;
    const at: SettingSite = { file: unit.path, span: item.value.span, line: unit.lines.positionAt(item.span.start).line + 1 };
    const current = settings.get(tenant.name) ?? { mode: "enforce" };
    if (item.kind === "Mode") {
      if (value !== "audit" && value !== "enforce") {
        diagnostics.push(diag("invalidSetting", at, { setting: "mode", value, allowed: "'mode audit' or 'mode enforce'" }));
        continue;
      }
      if (current.modeAt && current.mode !== value) {
        diagnostics.push(diag("conflictingSetting", at, { setting: "mode", tenant: tenant.name, first: where(current.modeAt), value, other: current.mode }));
        continue;
      }
      if (value === "audit" && !tenant.auditAllowed) {
        diagnostics.push(diag("auditNotAllowed", { file: unit.path, span: item.span }, { tenant: tenant.name }));
        continue;
      }
      settings.set(tenant.name, { ...current, mode: value, modeAt: current.modeAt ?? at });
    } else {
      if (value !== "strict" && value !== "any") {
        diagnostics.push(diag("invalidSetting", at, { setting: "dns", value, allowed: "'dns strict' or 'dns any'" }));
        continue;
      }
      if (current.dnsAt && current.dns !== value) {
        diagnostics.push(diag("conflictingSetting", at, { setting: "dns", tenant: tenant.name, first: where(current.dnsAt), value, other: current.dns ?? "any" }));
        continue;
      }
      settings.set(tenant.name, { ...current, dns: value, dnsAt: current.dnsAt ?? at });
    }
  }
}
