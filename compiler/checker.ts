/**
 * check(): binding, per-rule resolution (tenant blocks, baselines, rule sets) and the cross-rule
 * analyses, in that order. Pure: the same inputs give the same atoms and diagnostics.
 */
import { diag, type Diagnostic } from "../language/index.js";
import { checkCidrUnions, checkCoarseRules, checkCrossTenant, checkDnsAllowLists, checkOverlaps } from "./analysis.js";
import { bind, type BindResult, type SourceUnit } from "./binder.js";
import type { Atom } from "./ir.js";
import type { ProjectConfig } from "./project.js";
import type { ApprovalRegistry, TenantRegistry } from "./registry.js";
import { resolveBaseline, resolveBlock, type ResolveContext } from "./resolve.js";
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
}

export interface CheckResult {
  readonly atoms: readonly Atom[];
  readonly bound: BindResult;
  readonly diagnostics: readonly Diagnostic[];
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
  };
  const atoms: Atom[] = [];
  for (const block of bound.blocks) atoms.push(...resolveBlock(block, ctx));
  for (const b of bound.baselines) {
    atoms.push(...resolveBaseline(b, ctx));
    const at = { file: b.unit.path, span: b.decl.name!.span };
    if (b.namespaces.length === 0) diagnostics.push(diag("baselineScope", at, { message: `baseline '${b.name}' applies to no namespace, so it emits nothing` }));
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
  for (const a of input.approvals?.approvals ?? [])
    if (a.expires < input.today) diagnostics.push(diag("staleApproval", { file: a.file, span: a.span }, { id: a.id, date: a.expires }));
  return { atoms, bound, diagnostics: dedupe(diagnostics) };
}

/** A problem inside a shared module is found once per use: report it once. */
function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = `${d.file}|${d.span.start}|${d.span.end}|${d.code}|${d.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
