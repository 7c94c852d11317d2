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
 * The rules are those of the same functions a whole compilation runs (emit.ts), so the verdicts
 * are those of the compiled policies.
 *
 * The emitted policies are not validated here (the editor cannot afford emitting everything after
 * each edit): validation fails only on a ztc bug (ZT4001). `ztc test` and `ztc explain`, which
 * evaluate a program once, use compiledContext: program.emit(), validated, read at once.
 */
import { hasErrors } from "../language/index.js";
import type { TenantSettings } from "./binder.js";
import { supports } from "./cilium/versions.js";
import { emitBaseline, emitContext, namesCluster, planTenant, type EmitContext, type EmitInput, type EmittedPolicy } from "./emit.js";
import { Evaluator, lazyRule, readPolicies, type EvaluatorOptions, type PolicyProblem, type ProjectContext, type Rule, type ServiceInfo } from "./evaluator/index.js";
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

/** A policy as the evaluator reads it, with the key compilation sorts policies by (sortPolicies). */
interface ReadPolicy {
  readonly order: string;
  readonly rules: readonly Rule[];
  readonly problems: readonly PolicyProblem[];
}

interface TenantPolicies {
  /**
   * Its atoms (the check's group, groupsOf): the same array, or at least the same atoms, while
   * incremental checks do not re-check the tenant. Atoms never change once made.
   */
  readonly atoms: readonly Atom[];
  readonly mode: TenantSettings["mode"] | undefined;
  readonly dns: TenantSettings["dns"];
  readonly policies: readonly ReadPolicy[];
}

interface BaselinePolicies {
  /**
   * The emitted objects as JSON: a baseline's atoms are resolved anew by every check, so they are
   * not the same objects; emitting a few baselines is cheap, reading their thousands of rules not.
   */
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
  tenants: Map<string, TenantPolicies>;
  baselines: Map<string, BaselinePolicies>;
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
  const mesh = [...groups.values()].some(namesClusterIn);
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
    cache = { config, localCluster: emitCtx.localCluster, options, tenants: new Map(), baselines: new Map(), clusterwide: [], clusterwideVersion: 0, defaultDeny: new Map() };
    caches.set(tenants, cache);
  }
  // In the evaluator, only the order of the rules of one namespace, and of the cluster-wide ones,
  // matters (which rule decided a flow, first): each is that of compilation (sortPolicies).
  const policies = currentPolicies(cache, input, groups, emitCtx);
  const rules: Rule[] = [];
  const problems: PolicyProblem[] = [];
  policies.forEach((p, index) => {
    for (const r of p.rules) rules.push(r);
    for (const q of p.problems) problems.push({ ...q, index });
  });
  const evaluator = new Evaluator([], cache.options, { rules, problems });
  return { program, evaluator, project, defaultDeny: defaultDenyOf(cache, evaluator, project) };
}

/** Sorting key of sortPolicies (emit.ts): cluster-wide first, then by namespace and name. */
function orderOf(p: EmittedPolicy): string {
  return `${p.manifest.kind === "CiliumClusterwideNetworkPolicy" ? "0" : "1"}\u0000${p.manifest.metadata.namespace ?? ""}\u0000${p.manifest.metadata.name}`;
}

function read(policies: readonly EmittedPolicy[], options: EvaluatorOptions): ReadPolicy[] {
  return policies.map((p) => {
    const r = readPolicies([p.manifest], options);
    return { order: orderOf(p), rules: r.rules, problems: r.problems };
  });
}

const sameList = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Every policy of the snapshot, read: the cache's where their inputs are the same, else emitted
 * (tenants: planned) now. The cache then holds exactly the snapshot's tenants and baselines.
 */
function currentPolicies(cache: PolicyCache, input: EmitInput, groups: ReadonlyMap<string, readonly Atom[]>, ctx: EmitContext): ReadPolicy[] {
  const clusterwide: ReadPolicy[] = [];
  const baselines = new Map<string, BaselinePolicies>();
  for (const b of input.baselines ?? []) {
    // Two baselines of one name are an error, and a program with errors has no context.
    const own = emitBaseline(input, b, groups.get(BASELINE_KEY + b.name) ?? [], ctx);
    const json = JSON.stringify(own.map((p) => p.manifest));
    let entry = cache.baselines.get(b.name);
    if (!entry || entry.json !== json) entry = { json, policies: read(own, cache.options) };
    baselines.set(b.name, entry);
    clusterwide.push(...entry.policies);
  }
  const out = byOrder(clusterwide);
  const settings = input.settings;
  const tenants = new Map<string, TenantPolicies>();
  for (const name of input.tenants.tenants.keys()) {
    const atoms = groups.get(name) ?? [];
    const s = settings?.get(name);
    let entry = cache.tenants.get(name);
    if (!entry || entry.mode !== s?.mode || entry.dns !== s?.dns || !(entry.atoms === atoms || sameList(entry.atoms, atoms)))
      entry = { atoms, mode: s?.mode, dns: s?.dns, policies: planned(input, name, sortedBySource(atoms), ctx, cache.options) };
    tenants.set(name, entry);
    // A namespace belongs to one tenant (the registry says so): its policies are all here.
    for (const p of entry.policies) out.push(p);
  }
  cache.tenants = tenants;
  cache.baselines = baselines;
  return out;
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
function planned(input: EmitInput, tenant: string, atoms: readonly Atom[], ctx: EmitContext, options: EvaluatorOptions): ReadPolicy[] {
  const out: ReadPolicy[] = [];
  for (const p of planTenant(input, tenant, atoms, ctx)) {
    out.push(...read([p.defaultDeny], options));
    if (p.rules.length === 0) continue;
    const policy = { kind: "CiliumNetworkPolicy", name: p.name, namespace: p.namespace } as const;
    const rules = p.rules.map((r, i) =>
      lazyRule(
        policy,
        `specs[${i}]`,
        r.endpointSelector,
        () => {
          const built = r.build();
          return { spec: built.spec, trace: built.trace.join("\n") };
        },
        options,
      ),
    );
    out.push({ order: `1\u0000${p.namespace}\u0000${p.name}`, rules, problems: [] });
  }
  return byOrder(out);
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

/** What the evaluator says of a pod of the namespace with no labels, to and from an outside address. */
function defaultDenyVerdict(evaluator: Evaluator, project: ProjectContext, namespace: string): { egress: boolean; ingress: boolean } {
  const pod = { kind: "pod", namespace, labels: {}, namespaceLabels: project.tenants.namespaces.get(namespace)?.labels, cluster: project.clusterName, name: `a pod of ${namespace}` } as const;
  const world = { kind: "world", ip: PROBE_ADDRESS, name: PROBE_ADDRESS } as const;
  return {
    egress: evaluator.evaluate({ source: pod, destination: world, protocol: "TCP", port: 9 }).egress.defaultDeny,
    ingress: evaluator.evaluate({ source: world, destination: pod, protocol: "TCP", port: 9 }).ingress.defaultDeny,
  };
}
