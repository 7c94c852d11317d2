/**
 * Lowering atoms to Cilium objects. For every tenant namespace: a default-deny policy, then one
 * policy per subject and direction (`zt-<tenant>-<workload>-<direction>`, or `zt-<tenant>-<direction>`
 * for namespace-wide rules). Entries keep source order; each is traced in annotations to its .zt
 * line and the approvals that allowed it. Follows the compiler checklist of cilium-semantics.md §C.
 */
import type { BaselineSymbol } from "./binder.js";
import type { Atom, HttpRuleIr, LabelSelector, Peer, PodSet, PortReq } from "./ir.js";
import { formatPrefix } from "./net/cidr.js";
import type { ProjectConfig } from "./project.js";
import type { TenantRegistry } from "./registry.js";

export const NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";
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

function podsSelector(p: PodSet): JsonObject {
  // Pods of every namespace: an explicit Exists, because an absent namespace means "my namespace" in a CNP.
  if (p.anyNamespace) return selectorJson(p.selector, {}, [{ key: NAMESPACE_LABEL, operator: "Exists" }]);
  if (p.namespaces.length === 1) return selectorJson(p.selector, { [NAMESPACE_LABEL]: p.namespaces[0]! });
  return selectorJson(p.selector, {}, [{ key: NAMESPACE_LABEL, operator: "In", values: [...p.namespaces] }]);
}

/** The L3 field and its single element for a peer, in this direction and namespace. */
function peerElement(peer: Peer, direction: "ingress" | "egress", namespace: string): [string, Json] {
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
      return [to ? "toEndpoints" : "fromEndpoints", podsSelector(peer.pods)];
    case "within":
      return [to ? "toEndpoints" : "fromEndpoints", { matchLabels: { [NAMESPACE_LABEL]: namespace } }];
    case "service":
      return ["toServices", { k8sService: { serviceName: peer.name, namespace: peer.namespace } }];
  }
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

function toPortsJson(
  ports: readonly PortReq[] | undefined,
  http: readonly HttpRuleIr[] | undefined,
  dns: readonly string[] | undefined,
  deny: boolean,
): Json[] | undefined {
  if (!ports || ports.length === 0) return undefined;
  const items: Json[] = [];
  for (let i = 0; i < ports.length; i += MAX_PORTS_PER_ITEM) {
    const item: JsonObject = { ports: ports.slice(i, i + MAX_PORTS_PER_ITEM).map(portJson) };
    if (!deny && http && http.length > 0) item["rules"] = { http: http.map(httpJson) };
    else if (!deny && dns && dns.length > 0) item["rules"] = { dns: dns.map(dnsJson) };
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
function buildEntries(atoms: readonly Atom[], direction: "ingress" | "egress", namespace: string): Entry[] {
  const entries: Entry[] = [];
  let last: { entry: Entry; field: string; key: string; origin: number } | undefined;
  for (const a of atoms) {
    const [field, element] = peerElement(a.peer, direction, namespace);
    const toPorts = toPortsJson(a.ports, a.http, a.dns, a.action === "deny");
    const key = JSON.stringify(toPorts ?? null);
    if (last && last.origin === a.origin.order && last.field === field && last.key === key) {
      const list = last.entry.json[field] as Json[];
      if (!list.some((x) => sameJson(x, element))) list.push(element);
      last.entry.atoms.push(a);
      continue;
    }
    const json: JsonObject = { [field]: [element] };
    if (toPorts) json["toPorts"] = toPorts;
    const entry: Entry = { json, atoms: [a] };
    entries.push(entry);
    last = { entry, field, key, origin: a.origin.order };
  }
  return entries;
}

function dnsProxyEntry(config: ProjectConfig): Entry {
  const labels: Record<string, string> = { [NAMESPACE_LABEL]: config.dns.namespace };
  for (const k of Object.keys(config.dns.labels).sort()) labels[`k8s:${k}`] = config.dns.labels[k]!;
  return {
    json: {
      toEndpoints: [{ matchLabels: labels }],
      toPorts: [{ ports: [{ port: String(config.dns.port), protocol: config.dns.protocol }], rules: { dns: [{ matchPattern: "*" }] } }],
    },
    atoms: [],
    note: "DNS through the cluster resolver's DNS proxy, required by the host rules above (dns in ztc.yaml)",
  };
}

function traceLine(section: string, index: number, e: Entry): string {
  if (e.note) return `${section}[${index}]: ${e.note}`;
  const origins = [...new Map(e.atoms.map((a) => [a.origin.order, a.origin])).values()];
  const approvals = [...new Set(e.atoms.flatMap((a) => a.approvals.map((x) => x.id)))].sort();
  return origins
    .map(
      (o) =>
        `${section}[${index}]: ${o.file}:${o.line}: ${o.text}${o.via ? ` (${o.via.file}:${o.via.line}: ${o.via.text})` : ""}${approvals.length ? ` [${approvals.join(", ")}]` : ""}`,
    )
    .join("\n");
}

interface Group {
  key: string;
  subject: string;
  selector: JsonObject;
  description: string;
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

function baseLabels(tenant: string, policy: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: "ztc", [TENANT_LABEL]: tenant, [POLICY_LABEL]: policy };
}

/** The default-deny policy of one tenant namespace: its own object, so it stands on its own. */
function defaultDeny(tenantName: string, ns: string, registryFile: string): EmittedPolicy {
  const name = `zt-${tenantName}-default-deny`;
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
        labels: baseLabels(tenantName, "default-deny"),
        annotations: {
          [SOURCE_ANNOTATION]: `${registryFile} (tenant ${tenantName}, namespace ${ns})`,
          [RULES_ANNOTATION]: `ingress[0], egress[0]: default deny for every pod of namespace ${ns}; traffic flows only where a rule of tenant ${tenantName} allows it`,
        },
      },
      spec: {
        description: `ztc: default deny, both directions, for namespace ${ns} (tenant ${tenantName})`,
        endpointSelector: {},
        ingress: [{}],
        egress: [{}],
      },
    },
  };
}

/** One rule (a `specs` item) per subject: the namespace-wide rules first, then workloads by name. */
function subjectGroups(tenantName: string, ns: string, atoms: readonly Atom[]): Group[] {
  const groups = new Map<string, Group>();
  for (const a of atoms) {
    const s = a.subject;
    let key: string;
    let group: Omit<Group, "atoms">;
    if (s.kind === "workload") {
      if (!s.workload.namespaces.includes(ns)) continue;
      key = `1:${s.workload.name}`;
      group = {
        key,
        subject: s.workload.name,
        selector: selectorJson(s.workload.selector),
        description: `ztc: workload ${s.workload.name} of tenant ${tenantName}`,
      };
    } else {
      if (s.kind === "namespace" && s.namespace !== ns) continue;
      key = "0:";
      group = { key, subject: "all", selector: {}, description: `ztc: every pod of namespace ${ns} (tenant ${tenantName})` };
    }
    const g = groups.get(key);
    if (g) g.atoms.push(a);
    else groups.set(key, { ...group, atoms: [a] });
  }
  return [...groups.values()].sort((x, y) => (x.key < y.key ? -1 : 1));
}

/**
 * All CiliumNetworkPolicies of all tenants. Per tenant namespace: `zt-<tenant>-default-deny`, and
 * `zt-<tenant>` with one rule in `specs` per subject (when the tenant has rules there).
 */
export function emitTenantPolicies(input: EmitInput): EmittedPolicy[] {
  const { tenants, config } = input;
  const policies: EmittedPolicy[] = [];
  const byTenant = new Map<string, Atom[]>();
  for (const a of [...input.atoms].sort((x, y) => x.origin.order - y.origin.order || x.id - y.id)) {
    if (a.baseline) continue;
    const l = byTenant.get(a.tenant);
    if (l) l.push(a);
    else byTenant.set(a.tenant, [a]);
  }
  for (const tenantName of [...tenants.tenants.keys()].sort()) {
    const tenant = tenants.tenants.get(tenantName)!;
    const atoms = byTenant.get(tenantName) ?? [];
    for (const ns of [...tenant.namespaces].sort()) {
      policies.push(defaultDeny(tenantName, ns, tenants.file));
      const groups = subjectGroups(tenantName, ns, atoms);
      if (groups.length === 0) continue;
      const specs: JsonObject[] = [];
      const trace: string[] = [];
      const all: Atom[] = [];
      groups.forEach((g, i) => {
        const spec: JsonObject = { description: g.description, endpointSelector: g.selector };
        ruleSections(g.atoms, ns, config, `specs[${i}]`, spec, trace);
        specs.push(spec);
        all.push(...g.atoms);
      });
      const name = `zt-${tenantName}`;
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
          metadata: { name, namespace: ns, labels: baseLabels(tenantName, "rules"), annotations },
          specs,
        },
      });
    }
  }
  return policies;
}

/** Sections of one rule: allow and deny entries per direction, plus the DNS-proxy rule for hosts. */
function ruleSections(atoms: readonly Atom[], namespace: string, config: ProjectConfig, prefix: string, spec: JsonObject, trace: string[]): void {
  for (const direction of ["ingress", "egress"] as const) {
    const mine = atoms.filter((a) => a.direction === direction);
    if (mine.length === 0) continue;
    const allow = buildEntries(mine.filter((a) => a.action === "allow"), direction, namespace);
    const deny = buildEntries(mine.filter((a) => a.action === "deny"), direction, namespace);
    if (direction === "egress" && mine.some((a) => a.action === "allow" && a.peer.kind === "fqdn")) allow.push(dnsProxyEntry(config));
    const denyKey = direction === "ingress" ? "ingressDeny" : "egressDeny";
    if (allow.length > 0) spec[direction] = allow.map((e) => e.json);
    if (deny.length > 0) spec[denyKey] = deny.map((e) => e.json);
    trace.push(...allow.map((e, j) => traceLine(`${prefix}.${direction}`, j, e)), ...deny.map((e, j) => traceLine(`${prefix}.${denyKey}`, j, e)));
  }
}

/**
 * One CiliumClusterwideNetworkPolicy per baseline, selecting exactly its namespaces, with
 * enableDefaultDeny stated for both directions so the baseline never flips (or keeps) default
 * deny by accident. `within namespace` needs one rule per namespace (a CCNP cannot say "the
 * subject's own namespace"), in a second policy.
 */
export function emitBaselinePolicies(input: EmitInput): EmittedPolicy[] {
  const out: EmittedPolicy[] = [];
  for (const b of [...(input.baselines ?? [])].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    if (b.namespaces.length === 0) continue;
    const atoms = input.atoms.filter((a) => a.baseline === b.name).sort((x, y) => x.origin.order - y.origin.order || x.id - y.id);
    const enableDefaultDeny = {
      ingress: b.defaultDeny.has("ingress") && !b.visibilityOnly,
      egress: b.defaultDeny.has("egress") && !b.visibilityOnly,
    };
    const selector = { matchExpressions: [{ key: NAMESPACE_LABEL, operator: "In", values: [...b.namespaces] }] };
    const labels = { [MANAGED_BY_LABEL]: "ztc", [BASELINE_LABEL]: b.name, [POLICY_LABEL]: "baseline" };
    const scope = `namespaces ${b.namespaces.length <= 6 ? b.namespaces.join(", ") : `${b.namespaces.slice(0, 5).join(", ")} and ${b.namespaces.length - 5} more`}`;

    const shared = atoms.filter((a) => a.peer.kind !== "within");
    const trace: string[] = [];
    const spec: JsonObject = { description: `ztc: baseline ${b.name} for ${scope}`, endpointSelector: selector, enableDefaultDeny };
    ruleSections(shared, "", input.config, "spec", spec, trace);
    for (const direction of ["ingress", "egress"] as const)
      if (enableDefaultDeny[direction] && spec[direction] === undefined && spec[direction === "ingress" ? "ingressDeny" : "egressDeny"] === undefined) {
        spec[direction] = [{}];
        trace.push(`spec.${direction}[0]: default deny (${b.unit.path})`);
      }
    const sections = ["ingress", "ingressDeny", "egress", "egressDeny"].filter((k) => spec[k] !== undefined);
    if (sections.length > 0) {
      const name = `zt-baseline-${b.name}`;
      const approvals = [...new Set(shared.flatMap((a) => a.approvals.map((x) => x.id)))].sort();
      const annotations: Record<string, string> = {
        [SOURCE_ANNOTATION]: sourceList(shared, [[b.unit.path, b.unit.lines.positionAt(b.decl.span.start).line + 1]]).join("; "),
      };
      if (approvals.length > 0) annotations[APPROVALS_ANNOTATION] = approvals.join(", ");
      annotations[RULES_ANNOTATION] = trace.join("\n");
      out.push({ baseline: b, path: policyPath(undefined, name), atoms: shared, manifest: { apiVersion: "cilium.io/v2", kind: "CiliumClusterwideNetworkPolicy", metadata: { name, labels, annotations }, spec } });
    }

    const within = atoms.filter((a) => a.peer.kind === "within");
    if (within.length > 0) {
      const specs: JsonObject[] = [];
      const wtrace: string[] = [];
      b.namespaces.forEach((ns, i) => {
        const s: JsonObject = {
          description: `ztc: baseline ${b.name}, within namespace ${ns}`,
          endpointSelector: { matchLabels: { [NAMESPACE_LABEL]: ns } },
          enableDefaultDeny,
        };
        const t: string[] = [];
        ruleSections(within, ns, input.config, `specs[${i}]`, s, t);
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
  }
  return out;
}

/** Output order: cluster-wide policies first, then by namespace and name. */
export function sortPolicies(policies: EmittedPolicy[]): EmittedPolicy[] {
  const key = (p: EmittedPolicy) =>
    `${p.manifest.kind === "CiliumClusterwideNetworkPolicy" ? "0" : "1"}\u0000${p.manifest.metadata.namespace ?? ""}\u0000${p.manifest.metadata.name}`;
  return [...policies].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
