/**
 * check(): binding, per-rule resolution (tenant blocks, baselines, rule sets) and the cross-rule
 * analyses, in that order. Pure: the same inputs give the same atoms and diagnostics.
 */
import { diag, type Diagnostic } from "../language/index.js";
import { checkCidrUnions, checkCoarseRules, checkCrossTenant, checkDnsAllowLists, checkOverlaps } from "./analysis.js";
import { bind, type BaselineSymbol, type BindResult, type SourceUnit } from "./binder.js";
import { checkExpectations, type Expectation } from "./expectations.js";
import type { Atom } from "./ir.js";
import type { ProjectConfig } from "./project.js";
import type { ApprovalRegistry, TenantRegistry } from "./registry.js";
import { numberingOf, resolveBaseline, resolveBlock, type ResolveContext } from "./resolve.js";
import type { RuleCache } from "./rule-cache.js";
import type { RulesetIndex } from "./rulesets.js";
import type { YamlSource } from "./yaml-source.js";

export interface CheckInput {
  readonly config: ProjectConfig;
  readonly units: readonly SourceUnit[];
  readonly tenants: TenantRegistry;
  readonly approvals: ApprovalRegistry | undefined;
  readonly approvalsSource: YamlSource | undefined;
  readonly rulesets: RulesetIndex;
  readonly today: string;
  /** Rules resolved by an earlier check, reused where nothing they depend on changed (editors). */
  readonly ruleCache?: RuleCache | undefined;
  /** False: leave out the `expect` statements (an incremental check does them for the whole result). */
  readonly expectations?: boolean | undefined;
}

export interface CheckResult {
  readonly atoms: readonly Atom[];
  readonly bound: BindResult;
  /** The `expect` statements, checked; `ztc test` evaluates them. */
  readonly expectations: readonly Expectation[];
  readonly diagnostics: readonly Diagnostic[];
  /** The part of `diagnostics` about `expect` statements (an incremental check redoes these). */
  readonly expectationDiagnostics: readonly Diagnostic[];
  /** The cache this check used and filled, for the next one. */
  readonly ruleCache?: RuleCache | undefined;
}

/** Namespaces that run the cluster itself: default deny there stops DNS and controllers. */
const SYSTEM_NAMESPACES = new Set(["kube-system", "kube-public", "kube-node-lease"]);

export function check(input: CheckInput): CheckResult {
  const bound = bind(input.units, input.tenants);
  const diagnostics: Diagnostic[] = [...bound.diagnostics];
  const ctx: ResolveContext = {
    config: input.config,
    tenants: input.tenants,
    approvals: input.approvals,
    approvalsSource: input.approvalsSource,
    workloads: bound.workloads,
    rulesets: input.rulesets,
    settings: bound.settings,
    today: input.today,
    diagnostics,
    nextAtomId: 0,
    nextOrder: 0,
    numbering: numberingOf(input.units),
    coverage: new Map(),
    peers: new Map(),
  };
  const atoms: Atom[] = [];
  const cache = input.ruleCache;
  cache?.begin(ctx);
  for (const block of bound.blocks) atoms.push(...resolveBlock(block, ctx, cache?.hook(block, ctx)));
  cache?.end();
  for (const b of bound.baselines) {
    atoms.push(...resolveBaseline(b, ctx));
    const at = { file: b.unit.path, span: b.decl.name!.span };
    if (b.namespaces.length === 0 && !b.nodes) diagnostics.push(diag("baselineScope", at, { message: `baseline '${b.name}' applies to no namespace, so it emits nothing` }));
    if (b.nodes && !input.config.features.has("host-firewall")) diagnostics.push(diag("hostFirewallDisabled", at, { baseline: b.name }));
    const system = b.namespaces.filter((ns) => SYSTEM_NAMESPACES.has(ns));
    if (system.length > 0 && b.defaultDeny.size > 0 && !b.visibilityOnly)
      diagnostics.push(
        diag("baselineScope", at, {
          message: `baseline '${b.name}' puts ${system.join(", ")} under default deny; cluster DNS and controllers stop unless every one of their flows is allowed`,
        }),
      );
  }
  // Analyses across rules only look at rules that are correct on their own: a rule that is
  // already an error would otherwise add confusing follow-on warnings.
  const sound = atoms.filter((a) => !a.flawed);
  checkOverlaps(sound, diagnostics);
  checkCidrUnions(sound, diagnostics);
  checkCoarseRules(sound, diagnostics);
  checkDnsAllowLists(sound, input.config, diagnostics);
  checkCrossTenant(sound.filter((a) => !a.baseline), input.tenants, new Set(bound.blocks.map((b) => b.tenant.name)), diagnostics);
  checkDenyWithoutDefaultDeny(bound, atoms, input.tenants, diagnostics);
  checkStrictDns(bound, atoms, diagnostics);
  for (const a of input.approvals?.approvals ?? [])
    if (a.expires < input.today) diagnostics.push(diag("staleApproval", { file: a.file, span: a.span }, { id: a.id, date: a.expires }));
  const expected = input.expectations === false ? { expectations: [], diagnostics: [] } : checkExpectations(input.units, bound, input.tenants);
  diagnostics.push(...expected.diagnostics);
  return { atoms, bound, expectations: expected.expectations, diagnostics: dedupe(diagnostics), expectationDiagnostics: expected.diagnostics, ruleCache: cache };
}

/** A problem inside a shared module is found once per use: report it once. */
function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = `${d.file}|${d.span.start}|${d.span.end}|${d.code}|${d.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/**
 * Deny rules of a baseline whose endpoints are not default-deny otherwise (nodes, shared
 * namespaces): ztc keeps default deny off there, unlike Cilium's own default for a deny-only
 * policy, and says so once per rule.
 */
function checkDenyWithoutDefaultDeny(bound: BindResult, atoms: readonly Atom[], tenants: TenantRegistry, out: Diagnostic[]): void {
  const seen = new Set<number>();
  // (Once, not per baseline: the atoms of an edit's check are mostly a large tenant's.)
  const denies = atoms.filter((a) => a.baseline !== undefined && a.action === "deny");
  for (const b of bound.baselines) {
    const bare = bareTargets(b, tenants);
    if (bare.length === 0) continue;
    for (const a of denies) {
      if (a.baseline !== b.name || b.defaultDeny.has(a.direction) || seen.has(a.origin.order)) continue;
      seen.add(a.origin.order);
      const targets = b.nodes ? "the nodes it applies to" : `namespace${bare.length > 1 ? "s" : ""} ${bare.join(", ")}`;
      out.push(diag("denyWithoutDefaultDeny", { file: a.origin.file, span: a.origin.span }, { targets, direction: a.direction }));
    }
  }
}

/**
 * What a baseline applies to outside the tenants' namespaces: the nodes, or shared namespaces. Kept
 * per list of namespaces (each check copies the symbol, not the list, which the binder hands on
 * while the declaration is unchanged): a baseline that applies to all tenants lists thousands of
 * namespaces, which every edit's check asked about again.
 */
const bareOf = new WeakMap<readonly string[], { readonly tenants: TenantRegistry; readonly bare: readonly string[] }>();
function bareTargets(b: BaselineSymbol, tenants: TenantRegistry): readonly string[] {
  if (b.nodes) return ["nodes"];
  const known = bareOf.get(b.namespaces);
  if (known?.tenants === tenants) return known.bare;
  const bare = b.namespaces.filter((ns) => !tenants.namespaces.get(ns)?.tenant);
  bareOf.set(b.namespaces, { tenants, bare });
  return bare;
}

/** Tenants with `dns strict` that a baseline lets look up every name anyway. */
function checkStrictDns(bound: BindResult, atoms: readonly Atom[], out: Diagnostic[]): void {
  for (const [tenant, s] of bound.settings) {
    if (s.dns !== "strict" || !s.dnsAt) continue;
    for (const b of bound.baselines) {
      if (![...b.tenantOf.values()].includes(tenant)) continue;
      const wide = atoms.some((a) => a.baseline === b.name && a.action === "allow" && (a.dns ?? []).includes("*"));
      if (wide) out.push(diag("strictDnsUndermined", { file: s.dnsAt.file, span: s.dnsAt.span }, { tenant, baseline: b.name }));
    }
  }
}
