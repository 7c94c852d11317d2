/**
 * Re-checking only what an edit can affect. A tenant's diagnostics and atoms depend on its own
 * files, the registries, and the tenants its rules name (their workloads; their rules, for the
 * cross-tenant check). So after files change, only the tenants in those files and the tenants
 * whose rules name them are checked again, in a sub-project with the tenants they name for context,
 * by the same check() as a full compilation; everything else is taken from the previous result.
 *
 * Anything this reasoning does not cover (a statement kind it does not know, a change to the
 * registries or the project file) makes the caller check everything, so a new language feature is
 * at worst slower to re-check, never wrongly re-checked. A randomized test compares this with full
 * checks after random edits.
 */
import { forEachChild, type AstNode } from "../language/index.js";
import type { BindResult, SourceUnit, TenantBlock } from "./binder.js";
import { check, type CheckInput, type CheckResult } from "./checker.js";
import type { Atom, WorkloadSymbol } from "./ir.js";
import type { TenantRegistry } from "./registry.js";

/** What a unit says about tenants: the ones it speaks for, and the ones its rules name. */
interface UnitFacts {
  readonly tenants: readonly string[];
  readonly refs: readonly string[];
  /** Only statement kinds whose dependencies are understood here. */
  readonly understood: boolean;
}

const factsCache = new WeakMap<SourceUnit, { registry: TenantRegistry; facts: UnitFacts }>();

function factsOf(unit: SourceUnit, registry: TenantRegistry): UnitFacts {
  const cached = factsCache.get(unit);
  if (cached && cached.registry === registry) return cached.facts;
  const tenants = new Set<string>();
  const refs = new Set<string>();
  let understood = true;
  const visit = (n: AstNode) => {
    if (n.kind === "TenantRef" && n.tenant) refs.add(n.tenant.text);
    else if (n.kind === "NamespaceRef" && n.namespace) {
      const owner = registry.namespaces.get(n.namespace.text)?.tenant;
      if (owner) refs.add(owner);
    }
    forEachChild(n, visit);
  };
  for (const item of unit.ast.items) {
    if (item.kind === "Tenant") {
      if (item.name) tenants.add(item.name.text);
      for (const m of item.body) if (m.kind !== "Rule" && m.kind !== "Workload") understood = false;
      visit(item);
    } else if (item.kind !== "Rule" && item.kind !== "Workload") understood = false;
    // Rules and workloads outside a tenant are syntax errors; the checker ignores them.
  }
  const facts = { tenants: [...tenants], refs: [...refs], understood };
  factsCache.set(unit, { registry, facts });
  return facts;
}

export interface PreviousCheck {
  readonly units: readonly SourceUnit[];
  readonly check: CheckResult;
}

/**
 * The check of `input`, computed from `previous` (same registries, project file and date) by
 * re-checking only the tenants an edit can affect; undefined when that cannot be done safely.
 */
export function checkIncrementally(input: CheckInput, previous: PreviousCheck): CheckResult | undefined {
  const registry = input.tenants;
  const oldByPath = new Map(previous.units.map((u) => [u.path, u]));
  const newPaths = new Set(input.units.map((u) => u.path));
  const changed: SourceUnit[] = [];
  for (const u of input.units) {
    const old = oldByPath.get(u.path);
    if (old !== u) {
      changed.push(u);
      if (old) changed.push(old);
    }
  }
  for (const u of previous.units) if (!newPaths.has(u.path)) changed.push(u);
  if (changed.length === 0) return previous.check;

  // Tenants the change touches directly.
  const touched = new Set<string>();
  for (const u of changed) {
    const f = factsOf(u, registry);
    if (!f.understood) return undefined;
    for (const t of f.tenants) touched.add(t);
  }
  // Who names whom, over the new program; units by tenant.
  const referrers = new Map<string, Set<string>>();
  const unitsOf = new Map<string, SourceUnit[]>();
  const refsOf = new Map<string, Set<string>>();
  for (const u of input.units) {
    const f = factsOf(u, registry);
    for (const t of f.tenants) {
      const list = unitsOf.get(t);
      if (list) list.push(u);
      else unitsOf.set(t, [u]);
      let mine = refsOf.get(t);
      if (!mine) refsOf.set(t, (mine = new Set()));
      for (const r of f.refs) {
        mine.add(r);
        let rs = referrers.get(r);
        if (!rs) referrers.set(r, (rs = new Set()));
        rs.add(t);
      }
    }
  }
  // Re-checked: the touched tenants, those naming them, and all tenants sharing a file with them
  // (a file's diagnostics are recomputed as a whole).
  const recheck = new Set<string>(touched);
  for (const t of touched) for (const r of referrers.get(t) ?? []) recheck.add(r);
  const queue = [...recheck];
  while (queue.length > 0) {
    const t = queue.pop()!;
    for (const u of unitsOf.get(t) ?? [])
      for (const other of factsOf(u, registry).tenants)
        if (!recheck.has(other)) {
          recheck.add(other);
          queue.push(other);
        }
  }
  // Context: the tenants they name, checked alongside but taken from the previous result.
  const context = new Set<string>();
  for (const t of recheck) for (const r of refsOf.get(t) ?? []) if (!recheck.has(r)) context.add(r);

  const keepFiles = new Set<string>();
  for (const t of recheck) for (const u of unitsOf.get(t) ?? []) keepFiles.add(u.path);
  const subPaths = new Set(keepFiles);
  for (const t of context) for (const u of unitsOf.get(t) ?? []) subPaths.add(u.path);
  // Past half the project a full check costs the same and is simpler.
  if (subPaths.size * 2 > input.units.length && input.units.length > 8) return undefined;

  const sub = check({ ...input, units: input.units.filter((u) => subPaths.has(u.path)) });
  const unitFiles = new Set([...newPaths, ...previous.units.map((u) => u.path)]);
  // Files whose diagnostics come from the new sub-check: the re-checked tenants' files, and every
  // changed or removed file (whose old diagnostics are stale).
  const fresh = new Set([...keepFiles, ...changed.map((u) => u.path)]);
  const fromOld = (file: string) => !fresh.has(file) && (!unitFiles.has(file) || newPaths.has(file));
  const diagnostics = [
    ...previous.check.diagnostics.filter((d) => fromOld(d.file)),
    ...sub.diagnostics.filter((d) => keepFiles.has(d.file)),
  ];
  const atoms: Atom[] = [...previous.check.atoms.filter((a) => !recheck.has(a.tenant)), ...sub.atoms.filter((a) => recheck.has(a.tenant))];
  const order = new Map(input.units.map((u, i) => [u.path, i]));
  const blocks: TenantBlock[] = [
    ...previous.check.bound.blocks.filter((b) => !recheck.has(b.tenant.name) && newPaths.has(b.unit.path)),
    ...sub.bound.blocks.filter((b) => recheck.has(b.tenant.name)),
  ].sort((a, b) => order.get(a.unit.path)! - order.get(b.unit.path)! || a.decl.span.start - b.decl.span.start);
  const workloads = new Map<string, ReadonlyMap<string, WorkloadSymbol>>();
  for (const [t, w] of previous.check.bound.workloads) if (!recheck.has(t)) workloads.set(t, w);
  for (const [t, w] of sub.bound.workloads) if (recheck.has(t)) workloads.set(t, w);
  const bound: BindResult = {
    blocks,
    workloads,
    diagnostics: [...previous.check.bound.diagnostics.filter((d) => fromOld(d.file)), ...sub.bound.diagnostics.filter((d) => keepFiles.has(d.file))],
  };
  return { atoms, bound, diagnostics };
}
