/**
 * Flows in a ztc project's own words: `payments/api` is workload api of tenant payments, pods
 * carry the labels its selector requires, namespaces carry the registry's labels. Also the way back,
 * from an endpoint to the tenant and workload it belongs to (for "which rule is missing").
 */
import type { LabelSelector, WorkloadSymbol } from "../ir.js";
import type { TenantRegistry } from "../registry.js";
import type { Endpoint, Flow, PodEndpoint, ReservedEntity } from "./model.js";
import { RESERVED_ENTITIES } from "./model.js";
import type { TextEndpoint, TextFlow } from "./text-flow.js";

export interface ProjectContext {
  readonly tenants: TenantRegistry;
  /** tenant -> workload name -> symbol (Program.getCheck().bound.workloads). */
  readonly workloads: ReadonlyMap<string, ReadonlyMap<string, WorkloadSymbol>>;
  readonly clusterName: string;
}

/** Where an endpoint of a flow came from in the project, when it is a tenant's pod. */
export interface Owner {
  readonly tenant: string;
  readonly workload?: string | undefined;
  readonly namespace: string;
}

/** Labels that satisfy a selector: its equalities, the first value of each `In`, a value for `Exists`. */
export function labelsFor(sel: LabelSelector): Record<string, string> {
  const out: Record<string, string> = { ...sel.matchLabels };
  for (const e of sel.matchExpressions) {
    if (e.operator === "In" && e.values?.[0] !== undefined) out[e.key] ??= e.values[0];
    if (e.operator === "Exists") out[e.key] ??= "true";
  }
  return out;
}

export function selectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const v = labels[e.key];
    const vs = e.values ?? [];
    if (e.operator === "In" && (v === undefined || !vs.includes(v))) return false;
    if (e.operator === "NotIn" && v !== undefined && vs.includes(v)) return false;
    if (e.operator === "Exists" && v === undefined) return false;
    if (e.operator === "DoesNotExist" && v !== undefined) return false;
  }
  return true;
}

function pod(ctx: ProjectContext, namespace: string, labels: Record<string, string>, name: string): PodEndpoint {
  const ns = ctx.tenants.namespaces.get(namespace);
  return { kind: "pod", namespace, labels, namespaceLabels: ns?.labels, cluster: ctx.clusterName, name };
}

export type Resolved = { readonly ok: true; readonly endpoint: Endpoint; readonly owner?: Owner | undefined } | { readonly ok: false; readonly error: string };

export function resolveEndpoint(t: TextEndpoint, ctx: ProjectContext): Resolved {
  switch (t.kind) {
    case "workload": {
      const tenant = ctx.tenants.tenants.get(t.tenant);
      if (!tenant) return { ok: false, error: `'${t.tenant}' is not a tenant of the tenant registry` };
      const w = ctx.workloads.get(t.tenant)?.get(t.workload);
      if (!w) return { ok: false, error: `tenant ${t.tenant} has no workload '${t.workload}'` };
      const namespace = t.namespace ?? w.namespaces[0];
      if (!namespace || !w.namespaces.includes(namespace)) return { ok: false, error: `workload ${t.tenant}/${t.workload} does not run in namespace ${t.namespace}` };
      return { ok: true, endpoint: pod(ctx, namespace, labelsFor(w.selector), `${t.tenant}/${t.workload}`), owner: { tenant: t.tenant, workload: t.workload, namespace } };
    }
    case "pods": {
      const owner = ctx.tenants.namespaces.get(t.namespace)?.tenant;
      if (!ctx.tenants.namespaces.has(t.namespace)) return { ok: false, error: `'${t.namespace}' is not a namespace of the tenant registry` };
      const labels = { ...t.labels };
      return { ok: true, endpoint: pod(ctx, t.namespace, labels, `${t.namespace}/${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",")}`), owner: owner ? { tenant: owner, namespace: t.namespace } : undefined };
    }
    case "name": {
      const tenant = ctx.tenants.tenants.get(t.name);
      if (tenant) {
        const namespace = [...tenant.namespaces].sort()[0];
        if (!namespace) return { ok: false, error: `tenant ${t.name} has no namespaces` };
        return { ok: true, endpoint: pod(ctx, namespace, {}, `a pod of tenant ${t.name}`), owner: { tenant: t.name, namespace } };
      }
      const ns = ctx.tenants.namespaces.get(t.name);
      if (ns) return { ok: true, endpoint: pod(ctx, t.name, {}, `a pod of namespace ${t.name}`), owner: ns.tenant ? { tenant: ns.tenant, namespace: t.name } : undefined };
      return { ok: false, error: `'${t.name}' is neither a tenant nor a namespace of the tenant registry (write tenant/workload, namespace/key=value, entity:NAME, an address or a host name)` };
    }
    case "entity":
      if (t.entity === "world") return { ok: true, endpoint: { kind: "world", name: "world" } };
      if (!(RESERVED_ENTITIES as readonly string[]).includes(t.entity))
        return { ok: false, error: `'${t.entity}' is not an endpoint entity (world, ${RESERVED_ENTITIES.join(", ")})` };
      return { ok: true, endpoint: { kind: "reserved", entity: t.entity as ReservedEntity, name: t.entity } };
    case "ip":
      return { ok: true, endpoint: { kind: "world", ip: t.ip, name: t.ip } };
    case "host":
      return { ok: true, endpoint: { kind: "world", names: [t.name], name: t.name } };
  }
}

export type ResolvedFlow =
  | { readonly ok: true; readonly flow: Flow; readonly owners: { readonly source?: Owner | undefined; readonly destination?: Owner | undefined } }
  | { readonly ok: false; readonly error: string };

export function resolveTextFlow(t: TextFlow, ctx: ProjectContext): ResolvedFlow {
  const s = resolveEndpoint(t.source, ctx);
  if (!s.ok) return s;
  const d = resolveEndpoint(t.destination, ctx);
  if (!d.ok) return d;
  return {
    ok: true,
    flow: { source: s.endpoint, destination: d.endpoint, protocol: t.protocol, port: t.port, icmpType: t.icmpType, http: t.http, dns: t.dns },
    owners: { source: s.owner, destination: d.owner },
  };
}

/** The tenant (and, if one selector matches, the workload) a pod belongs to. */
export function ownerOf(e: Endpoint, ctx: ProjectContext): Owner | undefined {
  if (e.kind !== "pod" || (e.cluster !== undefined && e.cluster !== ctx.clusterName)) return undefined;
  const tenant = ctx.tenants.namespaces.get(e.namespace)?.tenant;
  if (!tenant) return undefined;
  const labels = Object.fromEntries(Object.entries(e.labels ?? {}).filter(([k]) => !k.includes(":")));
  const candidates = [...(ctx.workloads.get(tenant)?.values() ?? [])].filter((w) => !w.broken && w.namespaces.includes(e.namespace) && selectorMatches(w.selector, labels));
  return { tenant, namespace: e.namespace, workload: candidates.length === 1 ? candidates[0]!.name : undefined };
}
