/**
 * Lowering atoms to Cilium objects. For every tenant namespace: a default-deny policy, then one
 * policy per subject and direction (`zt-<tenant>-<workload>-<direction>`, or `zt-<tenant>-<direction>`
 * for namespace-wide rules). Entries keep source order; each is traced in annotations to its .zt
 * line and the approvals that allowed it. Follows the compiler checklist of cilium-semantics.md §C.
 */
import type { BaselineSymbol, TenantSettings } from "./binder.js";
import { supports } from "./cilium/versions.js";
import type { Atom, HttpRuleIr, IcmpReq, KafkaRuleIr, LabelSelector, Peer, PodSet, PortReq } from "./ir.js";
import { formatPrefix } from "./net/cidr.js";
import { PortSet } from "./net/ports.js";
import type { ProjectConfig } from "./project.js";
import type { TenantRegistry } from "./registry.js";

export const NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";
export const CLUSTER_LABEL = "k8s:io.cilium.k8s.policy.cluster";
/** Namespace labels are selectable under this prefix (cilium-semantics.md B3). */
export const NAMESPACE_LABELS_PREFIX = "k8s:io.cilium.k8s.namespace.labels.";
/** `audit` for policies of a tenant or baseline in audit mode (default deny off). */
export const MODE_LABEL = "ztc.io/mode";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const TENANT_LABEL = "ztc.io/tenant";
export const BASELINE_LABEL = "ztc.io/baseline";
/** `default-deny` or `rules`: what a generated policy is for. */
export const POLICY_LABEL = "ztc.io/policy";
export const SOURCE_ANNOTATION = "ztc.io/source";
export const APPROVALS_ANNOTATION = "ztc.io/approvals";
export const RULES_ANNOTATION = "ztc.io/rules";
/** Cilium's agent checks this many ports per toPorts item at most (§A 14). */
export const MAX_PORTS_PER_ITEM = 40;
/** ...and this many fields per ICMP rule (§A 32). */
export const MAX_ICMP_FIELDS = 40;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface Manifest {
  readonly apiVersion: "cilium.io/v2";
  readonly kind: "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  /** One rule (default-deny policies), or... */
  readonly spec?: JsonObject;
  /** ...one rule per subject (rules policies). */
  readonly specs?: JsonObject[];
}

/** The rules of a manifest, whether written as `spec` or `specs`. */
export function rulesOf(m: Manifest): JsonObject[] {
  return m.specs ?? (m.spec ? [m.spec] : []);
}

export interface EmittedPolicy {
  readonly manifest: Manifest;
  /** The tenant whose policy this is (a security boundary: see boundary.ts). */
  readonly tenant?: string | undefined;
  /** The baseline a cluster-wide policy comes from. */
  readonly baseline?: BaselineSymbol | undefined;
  /** Output path relative to the output folder. */
  readonly path: string;
  /** The atoms behind each entry, by section and index (for hover, explain and tests). */
  readonly atoms: readonly Atom[];
}

export interface EmitInput {
  readonly atoms: readonly Atom[];
  readonly tenants: TenantRegistry;
  readonly config: ProjectConfig;
  readonly baselines?: readonly BaselineSymbol[] | undefined;
  readonly settings?: ReadonlyMap<string, TenantSettings> | undefined;
}

/** What every section of one compilation shares. */
interface Ctx {
  readonly config: ProjectConfig;
  /**
   * Set when rules name other clusters and the target predates policy-default-local-cluster
   * (1.19): then every pod selector that names no cluster gets this cluster's name, so it means
   * the same on every version (cilium-semantics.md B3).
   */
  readonly localCluster?: string | undefined;
  readonly strictDns: (tenant: string) => boolean;
}

/** The context of a compilation's emission: emitTenant and emitBaseline take it, computed once. */
export { context as emitContext, type Ctx as EmitContext };

/** Whether an atom's peer is pods of a named cluster (see Ctx.localCluster). */
export function namesCluster(a: Atom): boolean {
  return a.peer.kind === "pods" && a.peer.pods.cluster !== undefined;
}

/** `mesh`: whether some atom names a cluster, when the caller knows without a walk over every atom. */
function context(input: EmitInput, mesh = input.atoms.some(namesCluster)): Ctx {
  const { config } = input;
  const settings = input.settings ?? new Map<string, TenantSettings>();
  return {
    config,
    localCluster: mesh && !supports(config.cilium, "defaultLocalCluster") ? config.clusterName : undefined,
    strictDns: (tenant) => (settings.get(tenant)?.dns ?? config.dns.lookups) === "strict",
  };
}

function selectorJson(s: LabelSelector, extraLabels: Record<string, string> = {}, extraExpr: JsonObject[] = []): JsonObject {
  const out: JsonObject = {};
  const labels: Record<string, string> = { ...extraLabels };
  for (const [k, v] of Object.entries(s.matchLabels)) labels[k] = v;
  if (Object.keys(labels).length > 0) out["matchLabels"] = labels;
  const exprs: JsonObject[] = [...extraExpr];
  for (const e of s.matchExpressions) {
    const x: JsonObject = { key: e.key, operator: e.operator };
    if (e.values) x["values"] = [...e.values];
    exprs.push(x);
  }
  if (exprs.length > 0) out["matchExpressions"] = exprs;
  return out;
}

function podsSelector(p: PodSet, ctx: Ctx): JsonObject {
  const labels: Record<string, string> = {};
  const exprs: JsonObject[] = [];
  if (p.namespaceSelector) {
    // A namespace-label key also lifts the implicit "same namespace" restriction (B3).
    for (const [k, v] of Object.entries(p.namespaceSelector.matchLabels)) labels[NAMESPACE_LABELS_PREFIX + k] = v;
    for (const e of p.namespaceSelector.matchExpressions) {
      const x: JsonObject = { key: NAMESPACE_LABELS_PREFIX + e.key, operator: e.operator };
      if (e.values) x["values"] = [...e.values];
      exprs.push(x);
    }
  }
  // Pods of every namespace: an explicit Exists, because an absent namespace means "my namespace" in a CNP.
  else if (p.anyNamespace) exprs.push({ key: NAMESPACE_LABEL, operator: "Exists" });
  else if (p.namespaces.length === 1) labels[NAMESPACE_LABEL] = p.namespaces[0]!;
  else exprs.push({ key: NAMESPACE_LABEL, operator: "In", values: [...p.namespaces] });
  const cluster = p.cluster ?? ctx.localCluster;
  if (cluster === "*") exprs.push({ key: CLUSTER_LABEL, operator: "Exists" });
  else if (cluster !== undefined) labels[CLUSTER_LABEL] = cluster;
  return selectorJson(p.selector, labels, exprs);
}

/** The L3 field and its single element for a peer, in this direction and namespace. */
function peerElement(peer: Peer, direction: "ingress" | "egress", namespace: string, ctx: Ctx): [string, Json] {
  const to = direction === "egress";
  switch (peer.kind) {
    case "fqdn":
      return ["toFQDNs", peer.pattern.isPattern ? { matchPattern: peer.pattern.text } : { matchName: peer.pattern.text }];
    case "cidr": {
      const rule: JsonObject = { cidr: formatPrefix(peer.prefix) };
      if (peer.except.length > 0) rule["except"] = peer.except.map(formatPrefix);
      return [to ? "toCIDRSet" : "fromCIDRSet", rule];
    }
    case "entity":
      return [to ? "toEntities" : "fromEntities", peer.entity];
    case "pods":
      return [to ? "toEndpoints" : "fromEndpoints", podsSelector(peer.pods, ctx)];
    case "within": {
      const labels: Record<string, string> = { [NAMESPACE_LABEL]: namespace };
      if (ctx.localCluster) labels[CLUSTER_LABEL] = ctx.localCluster;
      return [to ? "toEndpoints" : "fromEndpoints", { matchLabels: labels }];
    }
    case "service":
      return ["toServices", { k8sService: { serviceName: peer.name, namespace: peer.namespace } }];
    case "cidrGroup":
      return [to ? "toCIDRSet" : "fromCIDRSet", { cidrGroupRef: peer.name }];
    case "nodes":
      return [to ? "toNodes" : "fromNodes", selectorJson(peer.selector)];
  }
}

function icmpsJson(icmp: readonly IcmpReq[]): Json[] {
  const out: Json[] = [];
  for (let i = 0; i < icmp.length; i += MAX_ICMP_FIELDS)
    out.push({ fields: icmp.slice(i, i + MAX_ICMP_FIELDS).map((f) => ({ type: f.type, family: f.family })) });
  return out;
}

function kafkaJson(k: KafkaRuleIr): JsonObject {
  const out: JsonObject = {};
  if (k.role) out["role"] = k.role;
  if (k.topic !== undefined) out["topic"] = k.topic;
  return out;
}

function portJson(p: PortReq): JsonObject {
  const out: JsonObject = { port: String(p.port) };
  if (p.end !== undefined) out["endPort"] = p.end;
  out["protocol"] = p.protocol;
  return out;
}

function httpJson(h: HttpRuleIr): JsonObject {
  const out: JsonObject = {};
  if (h.method) out["method"] = h.method;
  if (h.path !== undefined) out["path"] = h.path;
  if (h.host !== undefined) out["host"] = h.host;
  if (h.headers.length > 0) out["headers"] = [...h.headers];
  return out;
}

function dnsJson(pattern: string): JsonObject {
  return pattern.includes("*") ? { matchPattern: pattern } : { matchName: pattern };
}

function toPortsJson(a: Atom): Json[] | undefined {
  const { ports, http, dns, kafka } = a;
  const deny = a.action === "deny";
  if (!ports || ports.length === 0) return undefined;
  const items: Json[] = [];
  for (let i = 0; i < ports.length; i += MAX_PORTS_PER_ITEM) {
    const item: JsonObject = { ports: ports.slice(i, i + MAX_PORTS_PER_ITEM).map(portJson) };
    if (!deny && http && http.length > 0) item["rules"] = { http: http.map(httpJson) };
    else if (!deny && dns && dns.length > 0) item["rules"] = { dns: dns.map(dnsJson) };
    else if (!deny && kafka && kafka.length > 0) item["rules"] = { kafka: kafka.map(kafkaJson) };
    items.push(item);
  }
  return items;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Entry {
  readonly json: JsonObject;
  readonly atoms: Atom[];
  readonly note?: string;
}

/** Builds the entries of one section; consecutive atoms of one rule with the same ports merge. */
function buildEntries(atoms: readonly Atom[], direction: "ingress" | "egress", namespace: string, ctx: Ctx): Entry[] {
  const entries: Entry[] = [];
  // The merge key is a JSON text: built only when an atom follows one of the same rule and field.
  let last: { entry: Entry; field: string; key: string | undefined; toPorts: Json[] | undefined; icmps: Json[] | undefined; auth: boolean; origin: number } | undefined;
  for (const a of atoms) {
    const [field, element] = peerElement(a.peer, direction, namespace, ctx);
    const toPorts = toPortsJson(a);
    const icmps = a.icmp ? icmpsJson(a.icmp) : undefined;
    const auth = a.auth === true;
    let key: string | undefined;
    if (last && last.origin === a.origin.order && last.field === field) {
      last.key ??= mergeKey(last.toPorts, last.icmps, last.auth);
      key = mergeKey(toPorts, icmps, auth);
      if (last.key === key) {
        const list = last.entry.json[field] as Json[];
        if (!list.some((x) => sameJson(x, element))) list.push(element);
        last.entry.atoms.push(a);
        continue;
      }
    }
    const json: JsonObject = { [field]: [element] };
    if (toPorts) json["toPorts"] = toPorts;
    if (icmps) json["icmps"] = icmps;
    if (a.auth) json["authentication"] = { mode: "required" };
    const entry: Entry = { json, atoms: [a] };
    entries.push(entry);
    last = { entry, field, key, toPorts, icmps, auth, origin: a.origin.order };
  }
  return entries;
}

function mergeKey(toPorts: Json[] | undefined, icmps: Json[] | undefined, auth: boolean): string {
  return JSON.stringify([toPorts ?? null, icmps ?? null, auth]);
}

/**
 * The egress rule to the cluster resolver every subject with host rules needs (B4). It admits
 * every lookup, or with strict DNS only the names of the subject's host rules (and their
 * search-path expansions, which resolvers try first) plus the cluster's own service names.
 */
function dnsProxyEntry(ctx: Ctx, namespace: string, strict: readonly string[] | undefined): Entry {
  const { config } = ctx;
  const labels: Record<string, string> = { [NAMESPACE_LABEL]: config.dns.namespace };
  for (const k of Object.keys(config.dns.labels).sort()) labels[`k8s:${k}`] = config.dns.labels[k]!;
  if (ctx.localCluster) labels[CLUSTER_LABEL] = ctx.localCluster;
  let names: JsonObject[] = [{ matchPattern: "*" }];
  if (strict) {
    const domain = config.dns.clusterDomain;
    const search = namespace ? [`${namespace}.svc.${domain}`, `svc.${domain}`, domain] : [`svc.${domain}`, domain];
    const all = new Set<string>();
    for (const n of strict) {
      all.add(n);
      for (const s of search) all.add(`${n}.${s}`);
    }
    all.add(`*.*.svc.${domain}`);
    all.add(`*.*.*.svc.${domain}`);
    names = [...all].filter((n) => n.length <= 255).map(dnsJson);
  }
  return {
    json: {
      toEndpoints: [{ matchLabels: labels }],
      toPorts: [{ ports: [{ port: String(config.dns.port), protocol: config.dns.protocol }], rules: { dns: names } }],
    },
    atoms: [],
    note: strict
      ? "DNS through the cluster resolver's DNS proxy, only for the names of the host rules above and the cluster's own (dns strict)"
      : "DNS through the cluster resolver's DNS proxy, required by the host rules above (dns in ztc.yaml)",
  };
}

function traceLine(section: string, index: number, e: Entry): string {
  if (e.note) return `${section}[${index}]: ${e.note}`;
  // Most entries come from one atom: no maps and sets to deduplicate one origin.
  const single = e.atoms.length === 1 ? e.atoms[0]! : undefined;
  const origins = single ? [single.origin] : [...new Map(e.atoms.map((a) => [a.origin.order, a.origin])).values()];
  const approvals =
    single && single.approvals.length === 0 ? [] : [...new Set(e.atoms.flatMap((a) => a.approvals.map((x) => x.id)))].sort();
  return origins
    .map(
      (o) =>
        `${section}[${index}]: ${o.file}:${o.line}: ${o.text}${o.via ? ` (${o.via.file}:${o.via.line}: ${o.via.text})` : ""}${approvals.length ? ` [${approvals.join(", ")}]` : ""}`,
    )
    .join("\n");
}

interface Group {
  key: string;
  /** A workload's name, or `all` (the namespace-wide rules). */
  subject: string;
  selector: JsonObject;
  atoms: Atom[];
}

/** `file:3,7,12; other.zt:2`: every source line behind a policy, grouped by file. */
function sourceList(atoms: readonly Atom[], extra: readonly [string, number][] = []): string[] {
  const byFile = new Map<string, Set<number>>();
  for (const [file, line] of [...extra, ...atoms.map((a): [string, number] => [a.origin.file, a.origin.line])]) {
    const lines = byFile.get(file) ?? new Set<number>();
    lines.add(line);
    byFile.set(file, lines);
  }
  return [...byFile.entries()].map(([f, lines]) => `${f}:${[...lines].sort((x, y) => x - y).join(",")}`);
}

/**
 * Output file of a policy: `<namespace>.<name>.yaml` (a namespace has no dots, so this is
 * unambiguous), cluster-wide ones under `clusterwide/`. One flat folder keeps writes cheap.
 */
function policyPath(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}.${name}.yaml` : `clusterwide/${name}.yaml`;
}

function baseLabels(tenant: string, policy: string, audit = false): Record<string, string> {
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: "ztc", [TENANT_LABEL]: tenant, [POLICY_LABEL]: policy };
  if (audit) labels[MODE_LABEL] = "audit";
  return labels;
}

const AUDIT_DEFAULT_DENY = { ingress: false, egress: false };

/**
 * The default-deny policy of one tenant namespace: its own object, so it stands on its own. In
 * audit mode it still exists (and says so) but switches nothing into default deny.
 */
export function defaultDeny(tenantName: string, ns: string, registryFile: string, audit: boolean): EmittedPolicy {
  const name = `zt-${tenantName}-default-deny`;
  const spec: JsonObject = {
    description: audit
      ? `ztc: default deny for namespace ${ns} (tenant ${tenantName}), staged: audit mode`
      : `ztc: default deny, both directions, for namespace ${ns} (tenant ${tenantName})`,
    endpointSelector: {},
  };
  if (audit) spec["enableDefaultDeny"] = AUDIT_DEFAULT_DENY;
  spec["ingress"] = [{}];
  spec["egress"] = [{}];
  return {
    tenant: tenantName,
    path: policyPath(ns, name),
    atoms: [],
    manifest: {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: {
        name,
        namespace: ns,
        labels: baseLabels(tenantName, "default-deny", audit),
        annotations: {
          [SOURCE_ANNOTATION]: `${registryFile} (tenant ${tenantName}, namespace ${ns})`,
          [RULES_ANNOTATION]: audit
            ? `ingress[0], egress[0]: audit mode (enableDefaultDeny: false): traffic no rule of tenant ${tenantName} allows still flows in namespace ${ns}`
            : `ingress[0], egress[0]: default deny for every pod of namespace ${ns}; traffic flows only where a rule of tenant ${tenantName} allows it`,
        },
      },
      spec,
    },
  };
}

/** One rule (a `specs` item) per subject: the namespace-wide rules first, then workloads by name. */
function subjectGroups(tenantName: string, ns: string, atoms: readonly Atom[]): Group[] {
  const groups = new Map<string, Group>();
  for (const a of atoms) {
    const s = a.subject;
    let key: string;
    if (s.kind === "workload") {
      if (!s.workload.namespaces.includes(ns)) continue;
      key = `1:${s.workload.name}`;
    } else {
      if (s.kind === "namespace" && s.namespace !== ns) continue;
      key = "0:";
    }
    const g = groups.get(key);
    if (g) g.atoms.push(a);
    // A group's selector once, from its first atom (a large tenant has thousands).
    else if (s.kind === "workload") groups.set(key, { key, subject: s.workload.name, selector: selectorJson(s.workload.selector), atoms: [a] });
    else groups.set(key, { key, subject: "all", selector: {}, atoms: [a] });
  }
  const out = [...groups.values()].sort((x, y) => (x.key < y.key ? -1 : 1));
  // Exact copies: a list grown by push has room for 17 atoms, and the editor keeps every group
  // of every tenant until its rule is read (most are never read).
  for (const g of out) g.atoms = g.atoms.slice();
  return out;
}

const bySourceOrder = (x: Atom, y: Atom) => x.origin.order - y.origin.order || x.id - y.id;

/** The atoms by rule order, then id: the checker makes them in that order, so usually a copy. */
function inSourceOrder(atoms: readonly Atom[]): Atom[] {
  for (let i = 1; i < atoms.length; i++) if (bySourceOrder(atoms[i - 1]!, atoms[i]!) > 0) return [...atoms].sort(bySourceOrder);
  return [...atoms];
}

/**
 * All CiliumNetworkPolicies of all tenants. Per tenant namespace: `zt-<tenant>-default-deny`, and
 * `zt-<tenant>` with one rule in `specs` per subject (when the tenant has rules there).
 */
export function emitTenantPolicies(input: EmitInput): EmittedPolicy[] {
  const { tenants } = input;
  const ctx = context(input);
  const policies: EmittedPolicy[] = [];
  const byTenant = new Map<string, Atom[]>();
  for (const a of inSourceOrder(input.atoms)) {
    if (a.baseline) continue;
    const l = byTenant.get(a.tenant);
    if (l) l.push(a);
    else byTenant.set(a.tenant, [a]);
  }
  for (const tenantName of [...tenants.tenants.keys()].sort()) policies.push(...emitTenant(input, tenantName, byTenant.get(tenantName) ?? [], ctx));
  return policies;
}

/** One rule (`specs` item) of a tenant's policy in a namespace, planned: built on demand. */
export interface PlannedRule {
  /** Its subject. */
  readonly endpointSelector: JsonObject;
  readonly atoms: readonly Atom[];
  /** The rule, and its lines of the ztc.io/rules annotation. */
  build(): { readonly spec: JsonObject; readonly trace: readonly string[] };
}

/** What a tenant's policies in one namespace will be. */
export interface PlannedNamespace {
  readonly namespace: string;
  readonly defaultDeny: EmittedPolicy;
  /** The name of the rules policy, and its rules (none: there is no such policy). */
  readonly name: string;
  readonly audit: boolean;
  readonly rules: readonly PlannedRule[];
}

/**
 * The policies of one tenant of the registry, given its atoms (baselines' excluded) in source
 * order: a function of those, its settings, the registry and the context alone. Planning costs
 * little; a reader that needs the rules of a few subjects (the editor's evaluator) builds only those.
 */
export function planTenant(input: EmitInput, tenantName: string, atoms: readonly Atom[], ctx: Ctx): PlannedNamespace[] {
  const { tenants } = input;
  const tenant = tenants.tenants.get(tenantName);
  if (!tenant) return [];
  const audit = input.settings?.get(tenantName)?.mode === "audit";
  const strict = ctx.strictDns(tenantName);
  return [...tenant.namespaces].sort().map((ns) => {
    const groups = subjectGroups(tenantName, ns, atoms);
    // A namespace-wide DNS allow-list applies to every workload of the namespace too.
    const namespaceDns = groups.some((g) => g.subject === "all" && g.atoms.some((a) => isResolverDnsRule(a, ctx.config)));
    const rules = groups.map((g, i) => plannedRule(tenantName, ns, g, i, ctx, audit, strict, namespaceDns));
    return { namespace: ns, defaultDeny: defaultDeny(tenantName, ns, tenants.file, audit), name: `zt-${tenantName}`, audit, rules };
  });
}

/**
 * One planned rule. Its own function, so that what `build` keeps (the editor keeps thousands of
 * these until their rules are read) is only what building needs, not the tenant's atoms.
 */
function plannedRule(tenantName: string, ns: string, g: Group, i: number, ctx: Ctx, audit: boolean, strict: boolean, namespaceDns: boolean): PlannedRule {
  return {
    endpointSelector: g.selector,
    atoms: g.atoms,
    build() {
      const description = g.subject === "all" ? `ztc: every pod of namespace ${ns} (tenant ${tenantName})` : `ztc: workload ${g.subject} of tenant ${tenantName}`;
      const spec: JsonObject = { description, endpointSelector: g.selector };
      if (audit) spec["enableDefaultDeny"] = AUDIT_DEFAULT_DENY;
      const trace: string[] = [];
      ruleSections(g.atoms, ns, ctx, `specs[${i}]`, spec, trace, strict, namespaceDns || g.atoms.some((a) => isResolverDnsRule(a, ctx.config)));
      return { spec, trace };
    },
  };
}

/** The policies of one tenant of the registry, all built (see planTenant). */
export function emitTenant(input: EmitInput, tenantName: string, atoms: readonly Atom[], ctx: Ctx): EmittedPolicy[] {
  const policies: EmittedPolicy[] = [];
  for (const planned of planTenant(input, tenantName, atoms, ctx)) {
    const { namespace: ns, name, audit } = planned;
    policies.push(planned.defaultDeny);
    if (planned.rules.length === 0) continue;
    const specs: JsonObject[] = [];
    const trace: string[] = [];
    const all: Atom[] = [];
    for (const r of planned.rules) {
      const built = r.build();
      specs.push(built.spec);
      trace.push(...built.trace);
      all.push(...r.atoms);
    }
    const approvals = [...new Set(all.flatMap((a) => a.approvals.map((x) => x.id)))].sort();
    const annotations: Record<string, string> = { [SOURCE_ANNOTATION]: sourceList(all).join("; ") };
    if (approvals.length > 0) annotations[APPROVALS_ANNOTATION] = approvals.join(", ");
    annotations[RULES_ANNOTATION] = trace.join("\n");
    policies.push({
      tenant: tenantName,
      path: policyPath(ns, name),
      atoms: all,
      manifest: {
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name, namespace: ns, labels: baseLabels(tenantName, "rules", audit), annotations },
        specs,
      },
    });
  }
  return policies;
}

/**
 * An allow rule with DNS rules to the cluster resolver on its port: the author's own DNS
 * allow-list. ztc then adds no DNS-proxy rule of its own, whose `*` would widen the list (Cilium
 * merges L7 rules on the same peer and port).
 */
export function isResolverDnsRule(a: Atom, config: ProjectConfig): boolean {
  if (a.action !== "allow" || a.direction !== "egress" || !a.dns || a.peer.kind !== "pods") return false;
  const p = a.peer.pods;
  const inNamespace = p.anyNamespace || p.namespaces.includes(config.dns.namespace);
  const labels = Object.entries(config.dns.labels).every(([k, v]) => p.selector.matchLabels[k] === v);
  return inNamespace && labels && a.portSet.intersects(PortSet.spec(config.dns.protocol, config.dns.port));
}

/** Sections of one rule: allow and deny entries per direction, plus the DNS-proxy rule for hosts. */
function ruleSections(
  atoms: readonly Atom[],
  namespace: string,
  ctx: Ctx,
  prefix: string,
  spec: JsonObject,
  trace: string[],
  strict = false,
  ownDns = atoms.some((a) => isResolverDnsRule(a, ctx.config)),
): void {
  for (const direction of ["ingress", "egress"] as const) {
    const mine = atoms.filter((a) => a.direction === direction);
    if (mine.length === 0) continue;
    const allow = buildEntries(mine.filter((a) => a.action === "allow"), direction, namespace, ctx);
    const deny = buildEntries(mine.filter((a) => a.action === "deny"), direction, namespace, ctx);
    const hosts = mine.filter((a) => a.action === "allow" && a.peer.kind === "fqdn").map((a) => (a.peer.kind === "fqdn" ? a.peer.pattern.text : ""));
    if (direction === "egress" && hosts.length > 0 && !ownDns) allow.push(dnsProxyEntry(ctx, namespace, strict ? [...new Set(hosts)].sort() : undefined));
    const denyKey = direction === "ingress" ? "ingressDeny" : "egressDeny";
    if (allow.length > 0) spec[direction] = allow.map((e) => e.json);
    if (deny.length > 0) spec[denyKey] = deny.map((e) => e.json);
    trace.push(...allow.map((e, j) => traceLine(`${prefix}.${direction}`, j, e)), ...deny.map((e, j) => traceLine(`${prefix}.${denyKey}`, j, e)));
  }
}

/**
 * One CiliumClusterwideNetworkPolicy per baseline, selecting exactly its namespaces (or, for a
 * host policy, its nodes), with enableDefaultDeny stated for both directions so the baseline never
 * flips (or keeps) default deny by accident. Namespaces of tenants in audit mode get a rule of
 * their own without default deny. `within namespace` needs one rule per namespace (a CCNP cannot
 * say "the subject's own namespace"), in a second policy.
 */
export function emitBaselinePolicies(input: EmitInput): EmittedPolicy[] {
  const out: EmittedPolicy[] = [];
  const ctx = context(input);
  for (const b of [...(input.baselines ?? [])].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)))
    out.push(...emitBaseline(input, b, input.atoms.filter((a) => a.baseline === b.name), ctx));
  return out;
}

/** The policies of one baseline, given its atoms (in any order). */
export function emitBaseline(input: EmitInput, b: BaselineSymbol, baselineAtoms: readonly Atom[], ctx: Ctx): EmittedPolicy[] {
  const out: EmittedPolicy[] = [];
  const settings = input.settings ?? new Map<string, TenantSettings>();
  if (b.namespaces.length === 0 && !b.nodes) return out;
  const atoms = [...baselineAtoms].sort(bySourceOrder);
  const enforced = !b.visibilityOnly && !b.audit;
  const enableDefaultDeny = { ingress: enforced && b.defaultDeny.has("ingress"), egress: enforced && b.defaultDeny.has("egress") };
  const staged = [...new Set([...b.stagedDefaultDeny, ...(enforced ? [] : b.defaultDeny)])].sort();
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: "ztc", [BASELINE_LABEL]: b.name, [POLICY_LABEL]: b.nodes ? "host-firewall" : "baseline" };
  if (b.audit) labels[MODE_LABEL] = "audit";
  const auditNs = b.namespaces.filter((ns) => settings.get(b.tenantOf.get(ns) ?? "")?.mode === "audit");
  const splitAudit = auditNs.length > 0 && (enableDefaultDeny.ingress || enableDefaultDeny.egress);
  const groups: { namespaces: readonly string[]; edd: { ingress: boolean; egress: boolean }; audit: boolean }[] = b.nodes
    ? [{ namespaces: [], edd: enableDefaultDeny, audit: false }]
    : splitAudit
      ? [
          { namespaces: b.namespaces.filter((ns) => !auditNs.includes(ns)), edd: enableDefaultDeny, audit: false },
          { namespaces: auditNs, edd: AUDIT_DEFAULT_DENY, audit: true },
        ].filter((g) => g.namespaces.length > 0)
      : [{ namespaces: b.namespaces, edd: enableDefaultDeny, audit: false }];

  const shared = atoms.filter((a) => a.peer.kind !== "within");
  const trace: string[] = [];
  const specs: JsonObject[] = [];
  groups.forEach((g, i) => {
    const prefix = groups.length === 1 ? "spec" : `specs[${i}]`;
    const scope = b.nodes ? nodesText(b.nodes) : namespacesText(g.namespaces);
    const spec: JsonObject = {
      description: `ztc: baseline ${b.name} for ${scope}${g.audit ? " (tenants in audit mode: no default deny)" : ""}`,
      ...(b.nodes ? { nodeSelector: selectorJson(b.nodes) } : { endpointSelector: { matchExpressions: [{ key: NAMESPACE_LABEL, operator: "In", values: [...g.namespaces] }] } }),
      enableDefaultDeny: g.edd,
    };
    const t: string[] = [];
    ruleSections(shared, "", ctx, prefix, spec, t);
    for (const direction of ["ingress", "egress"] as const)
      if (g.edd[direction] && spec[direction] === undefined && spec[direction === "ingress" ? "ingressDeny" : "egressDeny"] === undefined) {
        spec[direction] = [{}];
        t.push(`${prefix}.${direction}[0]: default deny (${b.unit.path})`);
      }
    if (["ingress", "ingressDeny", "egress", "egressDeny"].some((k) => spec[k] !== undefined)) {
      specs.push(spec);
      trace.push(...t);
    }
  });
  if (staged.length > 0) trace.push(`default deny ${staged.join(", ")}: staged (audit), not enforced`);
  if (specs.length > 0) {
    const name = `zt-baseline-${b.name}`;
    const approvals = [...new Set(shared.flatMap((a) => a.approvals.map((x) => x.id)))].sort();
    const annotations: Record<string, string> = {
      [SOURCE_ANNOTATION]: sourceList(shared, [[b.unit.path, b.unit.lines.positionAt(b.decl.span.start).line + 1]]).join("; "),
    };
    if (approvals.length > 0) annotations[APPROVALS_ANNOTATION] = approvals.join(", ");
    annotations[RULES_ANNOTATION] = trace.join("\n");
    const manifest: Manifest = {
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: { name, labels, annotations },
      ...(specs.length === 1 ? { spec: specs[0]! } : { specs }),
    };
    out.push({ baseline: b, path: policyPath(undefined, name), atoms: shared, manifest });
  }

  const within = atoms.filter((a) => a.peer.kind === "within");
  if (within.length > 0) {
    const specs: JsonObject[] = [];
    const wtrace: string[] = [];
    b.namespaces.forEach((ns, i) => {
      const s: JsonObject = {
        description: `ztc: baseline ${b.name}, within namespace ${ns}`,
        endpointSelector: { matchLabels: { [NAMESPACE_LABEL]: ns } },
        enableDefaultDeny: auditNs.includes(ns) ? AUDIT_DEFAULT_DENY : enableDefaultDeny,
      };
      const t: string[] = [];
      ruleSections(within, ns, ctx, `specs[${i}]`, s, t);
      if (i === 0) wtrace.push(...t.map((l) => l.replace(/^specs\[0\]/, "specs[*]")));
      specs.push(s);
    });
    const name = `zt-baseline-${b.name}-within-namespace`;
    out.push({
      baseline: b,
      path: policyPath(undefined, name),
      atoms: within,
      manifest: {
        apiVersion: "cilium.io/v2",
        kind: "CiliumClusterwideNetworkPolicy",
        metadata: { name, labels, annotations: { [SOURCE_ANNOTATION]: sourceList(within).join("; "), [RULES_ANNOTATION]: wtrace.join("\n") } },
        specs,
      },
    });
  }
  return out;
}

function namespacesText(namespaces: readonly string[]): string {
  return `namespaces ${namespaces.length <= 6 ? namespaces.join(", ") : `${namespaces.slice(0, 5).join(", ")} and ${namespaces.length - 5} more`}`;
}

function nodesText(sel: LabelSelector): string {
  const labels = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  const exprs = sel.matchExpressions.map((e) => `${e.key} ${e.operator}${e.values ? ` (${e.values.join(", ")})` : ""}`);
  const all = [...labels, ...exprs];
  return all.length === 0 ? "every node" : `nodes where ${all.join(", ")}`;
}

/** Output order: cluster-wide policies first, then by namespace and name. */
export function sortPolicies(policies: EmittedPolicy[]): EmittedPolicy[] {
  const keyed = policies.map((p) => ({
    p,
    key: `${p.manifest.kind === "CiliumClusterwideNetworkPolicy" ? "0" : "1"}\u0000${p.manifest.metadata.namespace ?? ""}\u0000${p.manifest.metadata.name}`,
  }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.p);
}
