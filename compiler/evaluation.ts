/**
 * The evaluator over a program's compiled policies, configured from the project (cluster name,
 * target version, host firewall, the registry's selectorless Services), shared by `ztc explain`,
 * `ztc test` and the editor.
 *
 * The editor needs it after every edit (code lenses on `expect`), and emitting and reading the
 * policies of a thousand tenants takes a second or more. So the policies, read as the evaluator
 * reads them, are remembered per registry across snapshots, per tenant and per baseline, with the
 * inputs that determine them: a new snapshot emits again only the tenants whose atoms or settings
 * changed, and reads again only the baselines whose emitted objects did. A tenant emitted again
 * is only planned: each of its rules is built and read when the evaluator first needs it (when it
 * selects a subject asked about), which spares a large tenant being edited most of that work.
 * Its default-deny rule in each namespace is read whenever needed and not kept (transientRule):
 * `expect default deny` asks about every namespace once, and its verdicts are remembered.
 * The rules are those of the same functions a whole compilation runs (emit.ts), so the verdicts
 * are those of the compiled policies.
 *
 * The emitted policies are not validated here (the editor cannot afford emitting everything after
 * each edit): validation fails only on a ztc bug (ZT4001). `ztc test` and `ztc explain`, which
 * evaluate a program once, use compiledContext: program.emit(), validated, read at once.
 */
import { hasErrors } from "../language/index.js";
import type { BaselineSymbol, TenantSettings } from "./binder.js";
import { supports } from "./cilium/versions.js";
import { RULES_ANNOTATION, defaultDeny, emitBaseline, emitContext, namesCluster, planTenant, type EmitContext, type EmitInput, type EmittedPolicy } from "./emit.js";
import { Evaluator, lazyRule, readPolicies, transientRule, type EvaluatorOptions, type PolicyProblem, type ProjectContext, type Rule, type RuleIndex, type ServiceInfo } from "./evaluator/index.js";
import { BASELINE_KEY, groupsOf } from "./incremental.js";
import type { Atom } from "./ir.js";
import type { Program } from "./program.js";
import type { ProjectConfig } from "./project.js";
import type { TenantRegistry } from "./registry.js";

export interface EvaluationContext {
  readonly program: Program;
  readonly evaluator: Evaluator;
  readonly project: ProjectContext;
  /**
   * Whether a pod of the namespace (no labels) is default-deny for egress and for ingress, as the
   * evaluator says for flows to and from an outside address. Remembered across snapshots while the
   * rules that can select such a pod are the same: `expect default deny for all tenants` asks for
   * every namespace after every edit.
   */
  defaultDeny(namespace: string): { readonly egress: boolean; readonly ingress: boolean };
}

const contexts = new WeakMap<Program, EvaluationContext | null>();
const compiledContexts = new WeakMap<Program, EvaluationContext | null>();

/**
 * The editor's context. Undefined when the project does not compile. Built once per program: the
 * editor asks for it on every code lens and hover, and a Program never changes.
 */
export function evaluationContext(program: Program): EvaluationContext | undefined {
  let ctx = contexts.get(program);
  if (ctx === undefined) contexts.set(program, (ctx = buildContext(program) ?? null));
  return ctx ?? undefined;
}

/**
 * The context over exactly what `ztc compile` writes (program.emit(), validated), read at once;
 * undefined when that fails. Deciding as evaluationContext does (a test says so).
 */
export function compiledContext(program: Program): EvaluationContext | undefined {
  let ctx = compiledContexts.get(program);
  if (ctx === undefined) {
    const emitted = program.emit();
    const inputs = emitted.ok ? inputsOf(program) : undefined;
    ctx = null;
    if (inputs) {
      const evaluator = new Evaluator(
        emitted.policies.map((p) => p.manifest),
        inputs.options,
      );
      const project = inputs.project;
      ctx = { program, evaluator, project, defaultDeny: (namespace) => defaultDenyVerdict(evaluator, project, namespace) };
    }
    compiledContexts.set(program, ctx);
  }
  return ctx ?? undefined;
}

/** The project facts both contexts start from; undefined when the project does not compile. */
function inputsOf(program: Program) {
  const tenants = program.registries?.tenants;
  const check = program.getCheck();
  const config = program.config;
  if (!tenants || !check || !config || hasErrors(program.getDiagnostics())) return undefined;
  // Services without a selector reach their declared addresses; the pod selectors of the others
  // are not in the registry, so toServices to them matches nothing here (docs/evaluator.md).
  const services: ServiceInfo[] = [...tenants.services.values()]
    .filter((s) => !s.selector)
    .map((s) => ({ namespace: s.namespace, name: s.name, backends: s.addressText }));
  const options: EvaluatorOptions = {
    clusterName: config.clusterName,
    policyDefaultLocalCluster: supports(config.cilium, "defaultLocalCluster"),
    hostFirewall: config.features.has("host-firewall"),
    services,
  };
  const project: ProjectContext = { tenants, workloads: check.bound.workloads, clusterName: config.clusterName };
  return { tenants, check, config, options, project };
}

/** A policy as the evaluator reads it. */
interface PolicyRules {
  readonly rules: readonly Rule[];
  readonly problems: readonly PolicyProblem[];
}

/** With the key compilation sorts policies by (sortPolicies). */
interface ReadPolicy extends PolicyRules {
  readonly order: string;
}

interface TenantPolicies {
  /**
   * Its atoms (the check's group, groupsOf): the same array, or at least the same atoms, while
   * incremental checks do not re-check the tenant. Atoms never change once made.
   */
  readonly atoms: readonly Atom[];
  readonly mode: TenantSettings["mode"] | undefined;
  readonly dns: TenantSettings["dns"];
  /** In the order of compilation (a tenant's are all in its namespaces: kept without their keys). */
  readonly policies: readonly PolicyRules[];
  /** Its rules by namespace (its namespaces are its alone), made when the evaluator first asks. */
  byNamespace?: ByNamespace;
}

interface BaselinePolicies {
  /**
   * What it was emitted from: a baseline's symbol and atoms are made anew by every check, so they
   * are not the same objects, but usually equal ones (sameData). Emitting a baseline over every
   * namespace is not cheap (about 10 ms and 2.4 MB of garbage per edit on 1,000 tenants).
   */
  readonly symbol: BaselineSymbol;
  readonly atoms: readonly Atom[];
  /** The namespaces of tenants in audit mode (emitBaseline's other input). */
  readonly audit: string;
  /** The emitted objects as JSON: reading their thousands of rules again costs more than emitting. */
  readonly json: string;
  readonly policies: readonly ReadPolicy[];
}

/** Namespace -> whether its pods are default-deny, with the rules that decided it. */
interface DefaultDenyEntry {
  readonly rules: readonly Rule[];
  readonly clusterwide: number;
  readonly verdict: { readonly egress: boolean; readonly ingress: boolean };
}

interface PolicyCache {
  readonly config: ProjectConfig;
  readonly localCluster: string | undefined;
  readonly options: EvaluatorOptions;
  /** The registry's tenants, in its order (a cache is per registry), and the slot of each namespace's tenant. */
  readonly names: readonly string[];
  readonly slotOf: ReadonlyMap<string, number>;
  /** The last snapshot's policies, by slot (the same array while no tenant's policies change). */
  tenants: readonly TenantPolicies[];
  baselines: Map<string, BaselinePolicies>;
  /** The last snapshot's baseline rules, as the evaluator indexes them. */
  baselineRules: { readonly of: readonly BaselinePolicies[]; readonly clusterwide: readonly Rule[]; readonly hosts: readonly Rule[] };
  /** The cluster-wide rules last seen, and a number that changes when they do. */
  clusterwide: readonly Rule[];
  clusterwideVersion: number;
  readonly defaultDeny: Map<string, DefaultDenyEntry>;
}

/** Per registry: a changed registry (or project file) changes what every policy says. */
const caches = new WeakMap<TenantRegistry, PolicyCache>();

function buildContext(program: Program): EvaluationContext | undefined {
  const inputs = inputsOf(program);
  if (!inputs) return undefined;
  const { tenants, check, config, options, project } = inputs;
  // By tenant: an incremental check keeps the arrays of the tenants it did not re-check, so
  // nothing here walks every atom of the project after an edit.
  const groups = groupsOf(check);
  let mesh = false;
  for (const atoms of groups.values()) if ((mesh = namesClusterIn(atoms))) break;
  const input: EmitInput = {
    get atoms() {
      return check.atoms;
    },
    tenants,
    config,
    baselines: check.bound.baselines,
    settings: check.bound.settings,
  };
  const emitCtx = emitContext(input, mesh);
  let cache = caches.get(tenants);
  if (!cache || cache.config !== config || cache.localCluster !== emitCtx.localCluster) {
    const names = [...tenants.tenants.keys()];
    const slotOf = new Map<string, number>();
    names.forEach((name, i) => {
      for (const ns of tenants.tenants.get(name)!.namespaces) slotOf.set(ns, i);
    });
    cache = {
      config,
      localCluster: emitCtx.localCluster,
      options,
      names,
      slotOf,
      tenants: [],
      baselines: new Map(),
      baselineRules: { of: [], clusterwide: [], hosts: [] },
      clusterwide: [],
      clusterwideVersion: 0,
      defaultDeny: new Map(),
    };
    caches.set(tenants, cache);
  }
  const evaluator = new Evaluator([], cache.options, currentIndex(cache, input, groups, emitCtx));
  return { program, evaluator, project, defaultDeny: defaultDenyOf(cache, evaluator, project) };
}

/** Sorting key of sortPolicies (emit.ts): cluster-wide first, then by namespace and name. */
function orderOf(p: EmittedPolicy): string {
  return `${p.manifest.kind === "CiliumClusterwideNetworkPolicy" ? "0" : "1"}\u0000${p.manifest.metadata.namespace ?? ""}\u0000${p.manifest.metadata.name}`;
}

function read(policies: readonly EmittedPolicy[], options: EvaluatorOptions): ReadPolicy[] {
  return policies.map((p) => {
    const r = readPolicies([p.manifest], options);
    // A copy to size: the editor keeps one of these per namespace.
    return { order: orderOf(p), rules: r.rules.slice(), problems: r.problems.length === 0 ? NO_PROBLEMS : r.problems };
  });
}

const sameList = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The rules of the snapshot: the cache's policies where their inputs are the same, else emitted
 * (tenants: planned) now. The cache then holds exactly the snapshot's tenants and baselines.
 *
 * In the evaluator, only the order of the rules of one namespace, and of the cluster-wide ones,
 * matters (which rule decided a flow, first): each is that of compilation (sortPolicies). Baselines
 * emit only cluster-wide policies, and a tenant's only its namespaces': the index is made of the
 * baselines' rules and each tenant's own, so an edit of a tenant indexes only that tenant again
 * (an edit after which the editor asked for lenses used to leave about 1.4 MB of index behind).
 */
function currentIndex(cache: PolicyCache, input: EmitInput, groups: ReadonlyMap<string, readonly Atom[]>, ctx: EmitContext): RuleIndex {
  const baselines = new Map<string, BaselinePolicies>();
  const ofBaselines: BaselinePolicies[] = [];
  for (const b of input.baselines ?? []) {
    // Two baselines of one name are an error, and a program with errors has no context.
    const atoms = groups.get(BASELINE_KEY + b.name) ?? NO_ATOMS;
    const audit = b.namespaces.filter((ns) => input.settings?.get(b.tenantOf.get(ns) ?? "")?.mode === "audit").join(" ");
    let entry = cache.baselines.get(b.name);
    if (!entry || entry.audit !== audit || !sameData(entry.symbol, b) || !sameAtoms(entry.atoms, atoms)) {
      const own = emitBaseline(input, b, atoms, ctx);
      const json = JSON.stringify(own.map((p) => p.manifest));
      entry = { symbol: b, atoms, audit, json, policies: entry?.json === json ? entry.policies : read(own, cache.options) };
    }
    baselines.set(b.name, entry);
    ofBaselines.push(entry);
  }
  cache.baselines = baselines;
  if (!sameList(cache.baselineRules.of, ofBaselines)) {
    const clusterwide: Rule[] = [];
    const hosts: Rule[] = [];
    for (const p of byOrder(ofBaselines.flatMap((b) => b.policies))) for (const r of p.rules) (r.subject.kind === "nodes" ? hosts : clusterwide).push(r);
    cache.baselineRules = { of: ofBaselines, clusterwide, hosts };
  }
  const settings = input.settings;
  const previous = cache.tenants;
  let tenants: TenantPolicies[] | undefined;
  cache.names.forEach((name, i) => {
    const atoms = groups.get(name) ?? NO_ATOMS;
    const s = settings?.get(name);
    const entry = previous[i];
    if (entry && entry.mode === s?.mode && entry.dns === s?.dns && (entry.atoms === atoms || sameList(entry.atoms, atoms))) {
      if (tenants) tenants[i] = entry;
      return;
    }
    tenants ??= previous.slice();
    tenants[i] = { atoms, mode: s?.mode, dns: s?.dns, policies: planned(input, name, sortedBySource(atoms), ctx, cache.options) };
  });
  if (tenants) cache.tenants = tenants;
  return snapshotIndex(cache.slotOf, cache.tenants, cache.baselineRules);
}

const NO_ATOMS: readonly Atom[] = [];

/**
 * Whether two lists of atoms say the same, as emission reads them: in source order, equal but for
 * their ids (which only break ties of that order, as here).
 */
function sameAtoms(a: readonly Atom[], b: readonly Atom[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const bySource = (x: Atom, y: Atom) => x.origin.order - y.origin.order || x.id - y.id;
  const x = [...a].sort(bySource);
  const y = [...b].sort(bySource);
  const budget = { left: 50_000 };
  return x.every((atom, i) => sameData(atom, y[i], budget, 0, "id"));
}

/**
 * Whether two values are equal as data: primitives alike, functions the same, objects of one
 * prototype with equal own properties (maps and sets by their entries, in order). Past a budget of
 * values compared or a depth, they are not (the caller then does the work it meant to save).
 */
function sameData(a: unknown, b: unknown, budget = { left: 50_000 }, depth = 0, skip?: string): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (--budget.left < 0 || depth > 64 || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  // Objects whose data is not in their own properties (the project's own classes keep theirs there).
  if (a instanceof RegExp || a instanceof Date) return String(a) === String(b);
  if (a instanceof WeakMap || a instanceof WeakSet || a instanceof Promise || a instanceof ArrayBuffer || ArrayBuffer.isView(a)) return false;
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    const other = m.entries();
    for (const [k, v] of a) {
      const [k2, v2] = other.next().value as [unknown, unknown];
      if (!sameData(k, k2, budget, depth + 1) || !sameData(v, v2, budget, depth + 1)) return false;
    }
    return true;
  }
  if (a instanceof Set) {
    const m = b as Set<unknown>;
    if (a.size !== m.size) return false;
    const other = m.values();
    for (const v of a) if (!sameData(v, other.next().value, budget, depth + 1)) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i]) return false;
    if (k === skip) continue;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], budget, depth + 1)) return false;
  }
  return true;
}
const NO_RULES: readonly Rule[] = [];
const NO_PROBLEMS: readonly PolicyProblem[] = [];

function snapshotIndex(slotOf: ReadonlyMap<string, number>, tenants: readonly TenantPolicies[], baselines: PolicyCache["baselineRules"]): RuleIndex {
  let all: { rules: Rule[]; problems: PolicyProblem[] } | undefined;
  // Every policy in the order a whole compilation reads them: the tools that ask for all rules.
  const everything = () => {
    if (!all) {
      all = { rules: [], problems: [] };
      const policies = [...byOrder(baselines.of.flatMap((b) => b.policies)), ...tenants.flatMap((t) => t.policies)];
      policies.forEach((p, index) => {
        for (const r of p.rules) all!.rules.push(r);
        for (const q of p.problems) all!.problems.push({ ...q, index });
      });
    }
    return all;
  };
  return {
    namespaced(namespace) {
      const slot = slotOf.get(namespace);
      return slot === undefined ? NO_RULES : rulesIn(tenants[slot]!, namespace);
    },
    clusterwide: baselines.clusterwide,
    hosts: baselines.hosts,
    get rules() {
      return everything().rules;
    },
    get problems() {
      return everything().problems;
    },
  };
}

/** Namespace, its rules, namespace, ...: a tenant has a few namespaces, and a map of its own costs more. */
type ByNamespace = readonly (string | readonly Rule[])[];

function rulesIn(entry: TenantPolicies, namespace: string): readonly Rule[] {
  let pairs = entry.byNamespace;
  if (!pairs) {
    const m = new Map<string, Rule[]>();
    for (const p of entry.policies)
      for (const r of p.rules) {
        // Tenants emit CiliumNetworkPolicies only, each in a namespace of the tenant.
        const l = m.get(r.namespace!);
        if (l) l.push(r);
        else m.set(r.namespace!, [r]);
      }
    const list: (string | readonly Rule[])[] = new Array(m.size * 2);
    let i = 0;
    for (const [ns, rules] of m) {
      list[i++] = ns;
      list[i++] = rules.slice();
    }
    entry.byNamespace = pairs = list;
  }
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === namespace) return pairs[i + 1] as readonly Rule[];
  return NO_RULES;
}

function byOrder(policies: ReadPolicy[]): ReadPolicy[] {
  return policies.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
}

const clusterNamed = new WeakMap<readonly Atom[], boolean>();

/** Whether some atom of a group names a cluster, remembered per group (see emitContext). */
function namesClusterIn(atoms: readonly Atom[]): boolean {
  let named = clusterNamed.get(atoms);
  if (named === undefined) clusterNamed.set(atoms, (named = atoms.some(namesCluster)));
  return named;
}

/** A tenant's policies with rules read when first needed (planTenant, lazyRule). */
function planned(input: EmitInput, tenant: string, atoms: readonly Atom[], ctx: EmitContext, options: EvaluatorOptions): PolicyRules[] {
  const out: ReadPolicy[] = [];
  for (const p of planTenant(input, tenant, atoms, ctx)) {
    const dd = p.defaultDeny.manifest;
    const ddPolicy = { kind: "CiliumNetworkPolicy", name: dd.metadata.name, namespace: p.namespace } as const;
    const rule = transientRule(ddPolicy, "spec", (dd.spec as { endpointSelector?: unknown }).endpointSelector, defaultDenySource(tenant, p.namespace, input.tenants.file, p.audit), options);
    out.push({ order: orderOf(p.defaultDeny), rules: [rule], problems: NO_PROBLEMS });
    if (p.rules.length === 0) continue;
    const policy = { kind: "CiliumNetworkPolicy", name: p.name, namespace: p.namespace } as const;
    // The rule keeps only `build` (not the plan, nor a closure of its own) until it is read.
    const rules = p.rules.map((r, i) => lazyRule(policy, specsName(i), r.endpointSelector, r.build, options));
    out.push({ order: `1\u0000${p.namespace}\u0000${p.name}`, rules, problems: NO_PROBLEMS });
  }
  return byOrder(out).map(({ rules, problems }) => ({ rules, problems }));
}

/**
 * What a namespace's default-deny rule is read from, whenever it is (transientRule): its own
 * function, so that it keeps only these (not the plan, nor the emitted policy).
 */
function defaultDenySource(tenant: string, namespace: string, registryFile: string, audit: boolean) {
  return () => {
    const m = defaultDeny(tenant, namespace, registryFile, audit).manifest;
    return { spec: m.spec, trace: m.metadata.annotations?.[RULES_ANNOTATION] ?? "" };
  };
}

const specsNames: string[] = [];
/** `specs[i]`, one string for each i: the editor keeps thousands of rules. */
function specsName(i: number): string {
  return (specsNames[i] ??= `specs[${i}]`);
}

function sortedBySource(atoms: readonly Atom[]): Atom[] {
  return [...atoms].sort((x, y) => x.origin.order - y.origin.order || x.id - y.id);
}

/** A documentation address (TEST-NET-1, RFC 5737): outside every cluster, reached by nothing on purpose. */
export const PROBE_ADDRESS = "192.0.2.1";

function defaultDenyOf(cache: PolicyCache, evaluator: Evaluator, project: ProjectContext): EvaluationContext["defaultDeny"] {
  let version: number | undefined;
  return (namespace) => {
    const { namespaced, clusterwide } = evaluator.podRules(namespace);
    if (version === undefined) {
      if (!sameList(cache.clusterwide, clusterwide)) {
        cache.clusterwide = clusterwide;
        cache.clusterwideVersion++;
      }
      version = cache.clusterwideVersion;
    }
    const known = cache.defaultDeny.get(namespace);
    if (known && known.clusterwide === version && sameList(known.rules, namespaced)) return known.verdict;
    const entry: DefaultDenyEntry = { rules: namespaced, clusterwide: version, verdict: defaultDenyVerdict(evaluator, project, namespace) };
    cache.defaultDeny.set(namespace, entry);
    return entry.verdict;
  };
}

/**
 * What the evaluator says of a pod of the namespace with no labels: what it says of its flows to
 * and from an outside address (a test says so), without keeping that pod's policy.
 */
function defaultDenyVerdict(evaluator: Evaluator, project: ProjectContext, namespace: string): { readonly egress: boolean; readonly ingress: boolean } {
  return evaluator.defaultDeny({ kind: "pod", namespace, labels: {}, namespaceLabels: project.tenants.namespaces.get(namespace)?.labels, cluster: project.clusterName, name: `a pod of ${namespace}` });
}
