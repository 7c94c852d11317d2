/**
 * check(): binding, per-rule resolution and the cross-rule analyses, in that order. Pure: the
 * same inputs give the same atoms and diagnostics.
 */
import { diag, type Diagnostic } from "../language/index.js";
import { checkCidrUnions, checkCrossTenant, checkOverlaps } from "./analysis.js";
import { bind, type BindResult, type SourceUnit } from "./binder.js";
import type { Atom } from "./ir.js";
import type { ProjectConfig } from "./project.js";
import type { ApprovalRegistry, TenantRegistry } from "./registry.js";
import { resolveBlock, type ResolveContext } from "./resolve.js";
import type { RuleCache } from "./rule-cache.js";
import type { YamlSource } from "./yaml-source.js";

export interface CheckInput {
  readonly config: ProjectConfig;
  readonly units: readonly SourceUnit[];
  readonly tenants: TenantRegistry;
  readonly approvals: ApprovalRegistry | undefined;
  readonly approvalsSource: YamlSource | undefined;
  readonly today: string;
  /** Rules resolved by an earlier check, reused where nothing they depend on changed (editors). */
  readonly ruleCache?: RuleCache | undefined;
}

export interface CheckResult {
  readonly atoms: readonly Atom[];
  readonly bound: BindResult;
  readonly diagnostics: readonly Diagnostic[];
  /** The cache this check used and filled, for the next one. */
  readonly ruleCache?: RuleCache | undefined;
}

export function check(input: CheckInput): CheckResult {
  const bound = bind(input.units, input.tenants);
  const diagnostics: Diagnostic[] = [...bound.diagnostics];
  const ctx: ResolveContext = {
    config: input.config,
    tenants: input.tenants,
    approvals: input.approvals,
    approvalsSource: input.approvalsSource,
    workloads: bound.workloads,
    today: input.today,
    diagnostics,
    nextAtomId: 0,
    nextOrder: 0,
  };
  const atoms: Atom[] = [];
  const cache = input.ruleCache;
  cache?.begin(ctx);
  for (const block of bound.blocks) atoms.push(...resolveBlock(block, ctx, cache?.hook(block, ctx)));
  cache?.end();
  // Analyses across rules only look at rules that are correct on their own: a rule that is
  // already an error would otherwise add confusing follow-on warnings.
  const sound = atoms.filter((a) => !a.flawed);
  checkOverlaps(sound, diagnostics);
  checkCidrUnions(sound, diagnostics);
  checkCrossTenant(sound, input.tenants, new Set(bound.blocks.map((b) => b.tenant.name)), diagnostics);
  for (const a of input.approvals?.approvals ?? [])
    if (a.expires < input.today) diagnostics.push(diag("staleApproval", { file: a.file, span: a.span }, { id: a.id, date: a.expires }));
  return { atoms, bound, diagnostics, ruleCache: cache };
}
