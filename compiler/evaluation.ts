/**
 * The evaluator over a program's compiled policies, configured from the project (cluster name,
 * target version, host firewall, the registry's selectorless Services), shared by `ztc explain`,
 * `ztc test` and the editor.
 *
 * The editor needs it after every edit (code lenses on `expect`), and emitting and reading the
 * policies of a thousand tenants takes a second or more. So the policies, read as the evaluator
 * reads them, are remembered per registry across snapshots, per tenant and per baseline, with the
 * inputs that determine them: a new snapshot emits and reads again only the tenants whose atoms or
 * settings changed, and reads again only the baselines whose emitted objects did. Emitting one tenant is the same
 * function a whole compilation runs (emit.ts), so the verdicts are those of the compiled policies.
 *
 * The first context for a registry (every `ztc test` and `ztc explain`) reads what program.emit()
 * produced, validated as for writing; later ones, in an editor, skip that validation, which only
 * ever fails on a ztc bug (ZT4001).
 */
import { hasErrors } from "../language/index.js";
import type { TenantSettings } from "./binder.js";
import { supports } from "./cilium/versions.js";
import { emitBaseline, emitContext, emitTenant, type EmitContext, type EmitInput, type EmittedPolicy } from "./emit.js";
import { Evaluator, readPolicies, type EvaluatorOptions, type PolicyProblem, type ProjectContext, type Rule, type ServiceInfo } from "./evaluator/index.js";
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

/**
 * Undefined when the project does not compile. Built once per program: the editor asks for it on
 * every code lens and hover, and a Program never changes.
 */
export function evaluationContext(program: Program): EvaluationContext | undefined {
  let ctx = contexts.get(program);
  if (ctx === undefined) contexts.set(program, (ctx = buildContext(program) ?? null));
  return ctx ?? undefined;
}

/** A policy as the evaluator reads it, with the key compilation sorts policies by (sortPolicies). */
interface ReadPolicy {
  readonly order: string;
  readonly rules: readonly Rule[];
  readonly problems: readonly PolicyProblem[];
}

interface TenantPolicies {
  /** Its atoms in the check's order: reused atoms are the same objects, and atoms never change. */
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
  const input: EmitInput = { atoms: check.atoms, tenants, config, baselines: check.bound.baselines, settings: check.bound.settings };
  const emitCtx = emitContext(input);
  let cache = caches.get(tenants);
  let emitted: readonly EmittedPolicy[] | undefined;
  if (!cache || cache.config !== config || cache.localCluster !== emitCtx.localCluster) {
    const e = program.emit();
    if (!e.ok) return undefined;
    emitted = e.policies;
    cache = { config, localCluster: emitCtx.localCluster, options, tenants: new Map(), baselines: new Map(), clusterwide: [], clusterwideVersion: 0, defaultDeny: new Map() };
    caches.set(tenants, cache);
  }
  const policies = currentPolicies(cache, input, emitCtx, emitted);
  policies.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const rules: Rule[] = [];
  const problems: PolicyProblem[] = [];
  policies.forEach((p, index) => {
    for (const r of p.rules) rules.push(r);
    for (const q of p.problems) problems.push({ ...q, index });
  });
  const evaluator = new Evaluator([], cache.options, { rules, problems });
  const project: ProjectContext = { tenants, workloads: check.bound.workloads, clusterName: config.clusterName };
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
 * (or taken from `emitted`, the program's own emission) and read now. The cache then holds exactly
 * the snapshot's tenants and baselines.
 */
function currentPolicies(cache: PolicyCache, input: EmitInput, ctx: EmitContext, emitted: readonly EmittedPolicy[] | undefined): ReadPolicy[] {
  const byTenant = new Map<string, Atom[]>();
  const byBaseline = new Map<string, Atom[]>();
  for (const a of input.atoms) {
    const [map, key] = a.baseline === undefined ? [byTenant, a.tenant] : [byBaseline, a.baseline];
    const list = map.get(key);
    if (list) list.push(a);
    else map.set(key, [a]);
  }
  const emittedBy = new Map<string, EmittedPolicy[]>();
  for (const p of emitted ?? []) {
    const key = p.baseline ? `baseline:${p.baseline.name}` : `tenant:${p.tenant}`;
    const list = emittedBy.get(key);
    if (list) list.push(p);
    else emittedBy.set(key, [p]);
  }
  const out: ReadPolicy[] = [];
  const settings = input.settings;
  const tenants = new Map<string, TenantPolicies>();
  for (const name of input.tenants.tenants.keys()) {
    const atoms = byTenant.get(name) ?? [];
    const s = settings?.get(name);
    let entry = cache.tenants.get(name);
    if (!entry || entry.mode !== s?.mode || entry.dns !== s?.dns || !sameList(entry.atoms, atoms)) {
      const own = emitted ? (emittedBy.get(`tenant:${name}`) ?? []) : emitTenant(input, name, sortedBySource(atoms), ctx);
      entry = { atoms, mode: s?.mode, dns: s?.dns, policies: read(own, cache.options) };
    }
    tenants.set(name, entry);
    out.push(...entry.policies);
  }
  const baselines = new Map<string, BaselinePolicies>();
  for (const b of input.baselines ?? []) {
    // Two baselines of one name are an error, and a program with errors has no context.
    const own = emitted ? (emittedBy.get(`baseline:${b.name}`) ?? []) : emitBaseline(input, b, byBaseline.get(b.name) ?? [], ctx);
    const json = JSON.stringify(own.map((p) => p.manifest));
    let entry = cache.baselines.get(b.name);
    if (!entry || entry.json !== json) entry = { json, policies: read(own, cache.options) };
    baselines.set(b.name, entry);
    out.push(...entry.policies);
  }
  cache.tenants = tenants;
  cache.baselines = baselines;
  return out;
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
    const pod = { kind: "pod", namespace, labels: {}, namespaceLabels: project.tenants.namespaces.get(namespace)?.labels, cluster: project.clusterName, name: `a pod of ${namespace}` } as const;
    const world = { kind: "world", ip: PROBE_ADDRESS, name: PROBE_ADDRESS } as const;
    const entry: DefaultDenyEntry = {
      rules: namespaced,
      clusterwide: version,
      verdict: {
        egress: evaluator.evaluate({ source: pod, destination: world, protocol: "TCP", port: 9 }).egress.defaultDeny,
        ingress: evaluator.evaluate({ source: world, destination: pod, protocol: "TCP", port: 9 }).ingress.defaultDeny,
      },
    };
    cache.defaultDeny.set(namespace, entry);
    return entry.verdict;
  };
}
