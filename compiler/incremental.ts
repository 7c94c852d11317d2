/**
 * Re-checking only what an edit can affect. A tenant's diagnostics and atoms depend on its own
 * files, the registries, and the tenants its rules name (their workloads; their rules, for the
 * cross-tenant check). So after files change, only the tenants in those files and the tenants
 * whose rules name them are checked again, in a sub-project with the tenants they name for context,
 * by the same check() as a full compilation; everything else is taken from the previous result.
 *
 * Baselines apply to many tenants and are few: files holding one are always checked again, with
 * their diagnostics and atoms taken from the new check. `expect` statements are checked against the
 * merged result, all of them, since one may name any tenant's workloads.
 *
 * Anything this reasoning does not cover (a statement kind it does not know, a change to a module,
 * a baseline, the registries or the project file) makes the caller check everything, so a new
 * language feature is at worst slower to re-check, never wrongly re-checked. A randomized test
 * compares this with full checks after random edits.
 */
import { forEachChild, type AstNode } from "../language/index.js";
import type { BindResult, SourceUnit, TenantBlock } from "./binder.js";
import { check, type CheckInput, type CheckResult } from "./checker.js";
import { checkExpectations } from "./expectations.js";
import type { Atom, WorkloadSymbol } from "./ir.js";
import type { TenantRegistry } from "./registry.js";
import { LayeredMap } from "./layered-map.js";
import { pushTo, sameItems } from "./collections.js";
import { GenerationalWeakMap } from "./weak-generations.js";

/** What a unit says about tenants: the ones it speaks for, and the ones its rules name. */
interface UnitFacts {
  readonly tenants: readonly string[];
  readonly refs: readonly string[];
  /** Only statement kinds whose dependencies are understood here. */
  readonly understood: boolean;
  /** Holds a baseline: checked again every time. */
  readonly global: boolean;
}

/** Statements of a tenant block whose effects stay within the tenant's own check. */
const TENANT_ITEMS = new Set(["Rule", "Workload", "Use", "Mode", "DnsMode", "Expect"]);
/** Top-level statements likewise (rules and workloads outside a tenant are syntax errors the checker ignores). */
const TOP_ITEMS = new Set(["Tenant", "Import", "Expect", "Rule", "Workload"]);

const factsCache = new WeakMap<SourceUnit, { registry: TenantRegistry; facts: UnitFacts }>();
/**
 * Tenants named by one statement, for the registry they were found with: statements a re-parse
 * did not touch keep their node. Only statements of files that were edited are remembered (a file
 * whose facts are found again): the facts of every file are found once, when idle, and remembering
 * each statement of a thousand tenants would cost megabytes for edits that mostly never come.
 */
let statementRefs: StatementRefs | undefined;
interface StatementRefs {
  readonly registry: TenantRegistry;
  readonly refs: GenerationalWeakMap<AstNode, readonly string[]>;
  /** Paths whose facts were found with this registry: a second version of one is a file being edited. */
  readonly found: Set<string>;
}
const NO_REFS: readonly string[] = [];

function statementRefsFor(registry: TenantRegistry): StatementRefs {
  if (statementRefs?.registry !== registry) statementRefs = { registry, refs: new GenerationalWeakMap(), found: new Set() };
  return statementRefs;
}

function refsOfStatement(n: AstNode, registry: TenantRegistry, remember: boolean): readonly string[] {
  const known = statementRefsFor(registry);
  const cached = known.refs.get(n);
  if (cached) return cached;
  const refs = new Set<string>();
  const visit = (x: AstNode) => {
    if (x.kind === "TenantRef" && x.tenant) refs.add(x.tenant.text);
    else if (x.kind === "NamespaceRef" && x.namespace) {
      const owner = registry.namespaces.get(x.namespace.text)?.tenant;
      if (owner) refs.add(owner);
    }
    forEachChild(x, visit);
  };
  visit(n);
  const list = refs.size === 0 ? NO_REFS : [...refs];
  if (remember) known.refs.set(n, list);
  return list;
}

function factsOf(unit: SourceUnit, registry: TenantRegistry): UnitFacts {
  const cached = factsCache.get(unit);
  if (cached && cached.registry === registry) return cached.facts;
  const tenants = new Set<string>();
  const refs = new Set<string>();
  let understood = true;
  let global = false;
  const found = statementRefsFor(registry).found;
  const remember = found.has(unit.path);
  found.add(unit.path);
  for (const item of unit.ast.items) {
    if (item.kind === "Baseline") global = true;
    if (!TOP_ITEMS.has(item.kind)) understood = false;
    if (item.kind === "Tenant") {
      if (item.name) tenants.add(item.name.text);
      for (const m of item.body) {
        if (!TENANT_ITEMS.has(m.kind)) understood = false;
        // Expectations are checked against the whole result, not per tenant.
        if (m.kind !== "Expect") for (const r of refsOfStatement(m, registry, remember)) refs.add(r);
      }
    }
  }
  const facts = { tenants: [...tenants], refs: [...refs], understood, global };
  factsCache.set(unit, { registry, facts });
  return facts;
}

/** Every unit's facts, by units array: the next keystroke's list differs from it in a unit or two. */
const factsLists = new WeakMap<readonly SourceUnit[], { readonly registry: TenantRegistry; readonly facts: readonly UnitFacts[] }>();

/**
 * The facts of these units; `before`, the previous list, when it holds the same files in the same
 * order. An edit seldom changes what its file says about tenants: then the previous list itself is
 * handed on, and with it its index (factsIndex).
 */
function factsFor(units: readonly SourceUnit[], registry: TenantRegistry, before: readonly SourceUnit[] | undefined): readonly UnitFacts[] {
  const known = before && factsLists.get(before);
  let facts: readonly UnitFacts[];
  if (known && known.registry === registry && before!.length === units.length) {
    let copy: UnitFacts[] | undefined;
    for (let i = 0; i < units.length; i++) {
      if (units[i] === before![i]) continue;
      const f = factsOf(units[i]!, registry);
      if (!sameFacts(f, known.facts[i]!)) (copy ??= known.facts.slice())[i] = f;
    }
    facts = copy ?? known.facts;
  } else facts = units.map((u) => factsOf(u, registry));
  factsLists.set(units, { registry, facts });
  return facts;
}

function sameFacts(a: UnitFacts, b: UnitFacts): boolean {
  return a.understood === b.understood && a.global === b.global && sameItems(a.tenants, b.tenants) && sameItems(a.refs, b.refs);
}

/** Positions in a facts list: of the files naming each tenant, speaking for each, holding a baseline, or speaking for several. */
interface FactsIndex {
  readonly naming: ReadonlyMap<string, readonly number[]>;
  readonly speaking: ReadonlyMap<string, readonly number[]>;
  readonly global: readonly number[];
  readonly shared: readonly number[];
}
const factsIndexes = new WeakMap<readonly UnitFacts[], FactsIndex>();

/** The facts list's index: an edit's check asks which files concern a tenant or two, of a thousand. */
function factsIndex(facts: readonly UnitFacts[]): FactsIndex {
  let index = factsIndexes.get(facts);
  if (index) return index;
  const naming = new Map<string, number[]>();
  const speaking = new Map<string, number[]>();
  const global: number[] = [];
  const shared: number[] = [];
  facts.forEach((f, i) => {
    for (const r of f.refs) pushTo(naming, r, i);
    for (const t of f.tenants) pushTo(speaking, t, i);
    if (f.global) global.push(i);
    if (f.tenants.length > 1) shared.push(i);
  });
  factsIndexes.set(facts, (index = { naming, speaking, global, shared }));
  return index;
}

/** The tenants a file speaks for and the tenants its rules name (for focusing a first check). */
export function tenantFacts(unit: SourceUnit, registry: TenantRegistry): { readonly tenants: readonly string[]; readonly refs: readonly string[] } {
  return factsOf(unit, registry);
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
  const units = input.units;
  // Units are compared in order first: an edit keeps the list of files, so one walk finds the changes.
  const changed: SourceUnit[] = [];
  let sameFiles = units.length === previous.units.length;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    const old = sameFiles ? previous.units[i]! : undefined;
    if (old === u) continue;
    if (old && old.path === u.path) {
      changed.push(u, old);
      continue;
    }
    sameFiles = false;
    break;
  }
  // Only needed when the files changed: built then (a set of every path per keystroke otherwise).
  let paths: Set<string> | undefined;
  const newPaths = () => (paths ??= new Set(units.map((u) => u.path)));
  if (!sameFiles) {
    changed.length = 0;
    const oldByPath = new Map(previous.units.map((u) => [u.path, u]));
    for (const u of units) {
      const old = oldByPath.get(u.path);
      if (old !== u) {
        changed.push(u);
        if (old) changed.push(old);
      }
    }
    for (const u of previous.units) if (!newPaths().has(u.path)) changed.push(u);
  }
  if (changed.length === 0) return previous.check;

  // Tenants the change touches directly.
  const touched = new Set<string>();
  for (const u of changed) {
    const f = factsOf(u, registry);
    if (!f.understood) return undefined;
    for (const t of f.tenants) touched.add(t);
  }
  // Re-checked: the touched tenants and those naming them; then all tenants sharing a file with
  // them (a file's diagnostics are recomputed as a whole). Linear scans, no index per program.
  const facts = factsFor(units, registry, sameFiles ? previous.units : undefined);
  const index = factsIndex(facts);
  const recheck = new Set<string>(touched);
  const addTenants = (i: number) => {
    for (const t of facts[i]!.tenants) recheck.add(t);
  };
  index.global.forEach(addTenants);
  for (const t of touched) index.naming.get(t)?.forEach(addTenants);
  for (let grew = true; grew; ) {
    grew = false;
    for (const i of index.shared) {
      const f = facts[i]!;
      if (f.tenants.some((t) => recheck.has(t)) && !f.tenants.every((t) => recheck.has(t))) {
        addTenants(i);
        grew = true;
      }
    }
  }
  // Context: the tenants they name, checked alongside but taken from the previous result.
  const context = new Set<string>();
  const keepFiles = new Set<string>();
  const keep = (i: number) => {
    keepFiles.add(units[i]!.path);
    for (const r of facts[i]!.refs) if (!recheck.has(r)) context.add(r);
  };
  index.global.forEach(keep);
  for (const t of recheck) index.speaking.get(t)?.forEach(keep);
  const subPaths = new Set(keepFiles);
  for (const t of context) for (const i of index.speaking.get(t) ?? []) subPaths.add(units[i]!.path);
  // Past half the project a full check costs the same and is simpler.
  if (subPaths.size * 2 > units.length && units.length > 8) return undefined;

  const sub = check({ ...input, units: input.units.filter((u) => subPaths.has(u.path)), expectations: false });
  // With the same files, a file not re-checked keeps its diagnostics; otherwise also a file that is gone does not.
  const unitFiles = sameFiles ? undefined : new Set([...newPaths(), ...previous.units.map((u) => u.path)]);
  // Files whose diagnostics come from the new sub-check: the re-checked tenants' files, and every
  // changed or removed file (whose old diagnostics are stale).
  const fresh = new Set([...keepFiles, ...changed.map((u) => u.path)]);
  const fromOld = (file: string) => !fresh.has(file) && (!unitFiles || !unitFiles.has(file) || newPaths().has(file));
  const stale = new Set(previous.check.expectationDiagnostics);
  const partial = new Set(sub.expectationDiagnostics);
  // Atoms by tenant: the previous groups with the re-checked tenants' replaced; the flat list is
  // only built when someone reads it (emit, some editor services), not on every keystroke.
  const fromSub = (key: string) => recheck.has(key) || key.startsWith(BASELINE_KEY);
  // (Every baseline's group is replaced: the previous check's baselines name them all.)
  const replaced = [...recheck, ...previous.check.bound.baselines.map((b) => BASELINE_KEY + b.name)];
  const groups = LayeredMap.of(groupsOf(previous.check), replaced, [...groupsOf(sub)].filter(([key]) => fromSub(key)));
  // Blocks in unit order, as bind() lists them: the previous ones, with the re-checked tenants' replaced.
  const blocks = (sameFiles && mergedBlocks(units, keepFiles, previous.check.bound.blocks, sub.bound.blocks)) || blocksInOrder(units, newPaths(), recheck, previous.check, sub);
  const workloads = LayeredMap.of(previous.check.bound.workloads, recheck, [...sub.bound.workloads].filter(([t]) => recheck.has(t)));
  const settings = LayeredMap.of(previous.check.bound.settings, recheck, [...sub.bound.settings].filter(([t]) => recheck.has(t)));
  const bound: BindResult = {
    blocks,
    // Every baseline's file is in the sub-check.
    baselines: sub.bound.baselines,
    workloads,
    settings,
    diagnostics: [...previous.check.bound.diagnostics.filter((d) => fromOld(d.file)), ...sub.bound.diagnostics.filter((d) => keepFiles.has(d.file))],
  };
  // With the same files in the same order, only the expectations that can see the change are checked again.
  const since = sameFiles ? { units: previous.units, diagnostics: previous.check.expectationDiagnostics, recheck } : undefined;
  const expected = checkExpectations(input.units, bound, registry, since);
  const diagnostics = [
    ...previous.check.diagnostics.filter((d) => fromOld(d.file) && !stale.has(d)),
    ...sub.diagnostics.filter((d) => keepFiles.has(d.file) && !partial.has(d)),
    ...expected.diagnostics,
  ];
  let atoms: Atom[] | undefined;
  const result: CheckResult = {
    get atoms() {
      atoms ??= [...groups.values()].flat();
      return atoms;
    },
    bound,
    get expectations() {
      return expected.expectations;
    },
    diagnostics,
    expectationDiagnostics: expected.diagnostics,
    ruleCache: sub.ruleCache,
  };
  atomGroups.set(result, groups);
  return result;
}

/**
 * The blocks when the files are the same as before: both lists hold each file's blocks together,
 * in the order of the files, and a file's tenants are all re-checked (its blocks come from the
 * sub-check) or none are. Undefined if the lists are not like that.
 */
function mergedBlocks(units: readonly SourceUnit[], fromSub: ReadonlySet<string>, old: readonly TenantBlock[], sub: readonly TenantBlock[]): TenantBlock[] | undefined {
  const out: TenantBlock[] = [];
  let p = 0;
  let q = 0;
  for (const u of units) {
    const path = u.path;
    const mine = fromSub.has(path);
    for (; p < old.length && old[p]!.unit.path === path; p++) if (!mine) out.push(old[p]!);
    for (; q < sub.length && sub[q]!.unit.path === path; q++) if (mine) out.push(sub[q]!);
  }
  return p === old.length && q === sub.length ? out : undefined;
}

/** The blocks in unit order, in general: the previous ones, with the re-checked tenants' replaced. */
function blocksInOrder(units: readonly SourceUnit[], paths: ReadonlySet<string>, recheck: ReadonlySet<string>, previous: CheckResult, sub: CheckResult): TenantBlock[] {
  const blocksOf = new Map<string, TenantBlock[]>();
  const add = (b: TenantBlock) => {
    const list = blocksOf.get(b.unit.path);
    if (list) list.push(b);
    else blocksOf.set(b.unit.path, [b]);
  };
  for (const b of previous.bound.blocks) if (!recheck.has(b.tenant.name) && paths.has(b.unit.path)) add(b);
  for (const b of sub.bound.blocks) if (recheck.has(b.tenant.name)) add(b);
  const blocks: TenantBlock[] = [];
  for (const u of units) {
    const list = blocksOf.get(u.path);
    if (list) blocks.push(...(list.length > 1 ? list.sort((a, b) => a.decl.span.start - b.decl.span.start) : list));
  }
  return blocks;
}

const atomGroups = new WeakMap<CheckResult, ReadonlyMap<string, readonly Atom[]>>();
/** Baselines' atoms are grouped apart from their owner tenant's: they always come from the new check. */
export const BASELINE_KEY = "\u0000baseline:";

/**
 * A check's atoms by tenant or baseline (BASELINE_KEY + name), in the order of the flat list
 * within each: the same arrays in a later incremental check for the tenants it did not re-check.
 */
export function groupsOf(check: CheckResult): ReadonlyMap<string, readonly Atom[]> {
  let groups = atomGroups.get(check);
  if (!groups) {
    const m = new Map<string, Atom[]>();
    for (const a of check.atoms) {
      const key = a.baseline === undefined ? a.tenant : BASELINE_KEY + a.baseline;
      const list = m.get(key);
      if (list) list.push(a);
      else m.set(key, [a]);
    }
    atomGroups.set(check, (groups = m));
  }
  return groups;
}
