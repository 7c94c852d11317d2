/**
 * The tenant security boundary, checked on the final objects and independently of the checker:
 * a tenant's policy is namespaced, lives in one of the tenant's namespaces, selects only pods there,
 * and every external destination it allows is covered by an unexpired approval for the tenant.
 * If the checker ever let something through, this stops it before anything is written.
 */
import { checkCoverage, findBlocked, type RequestedDestination } from "./approvals.js";
import { rulesOf, type EmittedPolicy } from "./emit.js";
import { AddressSet, parseCidr } from "./net/cidr.js";
import { parseFqdn } from "./net/fqdn.js";
import { PortSet, type ProtocolSpec } from "./net/ports.js";
import type { ApprovalRegistry, TenantRegistry } from "./registry.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function portsOf(entry: Obj): PortSet {
  const items = arr(entry["toPorts"]);
  // An entry with ICMP types allows ICMP only (Cilium turns them into ICMP port rules).
  if (items.length === 0) return entry["icmps"] !== undefined ? PortSet.empty() : PortSet.all();
  let set = PortSet.empty();
  for (const it of items)
    for (const p of arr(isObj(it) ? it["ports"] : undefined)) {
      if (!isObj(p)) continue;
      const port = Number(p["port"]);
      if (!Number.isInteger(port)) continue;
      if (port === 0) return PortSet.all();
      const end = typeof p["endPort"] === "number" && p["endPort"] > port ? p["endPort"] : port;
      set = set.union(PortSet.spec(String(p["protocol"] ?? "ANY") as ProtocolSpec, port, end));
    }
  return set;
}

export function boundaryProblems(
  policy: EmittedPolicy,
  tenants: TenantRegistry,
  approvals: ApprovalRegistry | undefined,
  today: string,
): string[] {
  const out: string[] = [];
  if (policy.baseline) return baselineProblems(policy, tenants, approvals, today);
  if (!policy.tenant) return ["a generated policy belongs to neither a tenant nor a baseline"];
  const tenant = tenants.tenants.get(policy.tenant);
  const m = policy.manifest;
  if (!tenant) return [`policy of unknown tenant '${policy.tenant}'`];
  if (m.kind !== "CiliumNetworkPolicy") out.push(`tenant '${tenant.name}' produced a ${m.kind}; tenant policy must be namespaced`);
  const ns = m.metadata.namespace;
  if (!ns || !tenant.namespaces.includes(ns)) out.push(`tenant '${tenant.name}' produced a policy in namespace '${ns ?? "(none)"}', which it does not own`);
  for (const spec of rulesOf(m) as Obj[]) {
    if (spec["nodeSelector"] !== undefined) out.push(`tenant '${tenant.name}' produced a node (host firewall) policy`);
    checkEgress(spec, tenant.name, tenants, approvals, today, out);
  }
  return out;
}

function checkEgress(spec: Obj, tenantName: string, tenants: TenantRegistry, approvals: ApprovalRegistry | undefined, today: string, out: string[]): void {
  for (const entry of arr(spec["egress"])) {
    if (!isObj(entry)) continue;
    const ports = portsOf(entry);
    const dests: { text: string; dest: RequestedDestination | { kind: "everything" } }[] = [];
    for (const f of arr(entry["toFQDNs"])) {
      if (!isObj(f)) continue;
      const text = String(f["matchName"] ?? f["matchPattern"] ?? "");
      const parsed = parseFqdn(text);
      if (!parsed.ok) out.push(`unparseable host '${text}'`);
      else dests.push({ text, dest: { kind: "fqdn", pattern: parsed.pattern } });
    }
    for (const c of arr(entry["toCIDRSet"]).concat(arr(entry["toCIDR"]).map((x) => ({ cidr: x })))) {
      if (!isObj(c) || c["cidrGroupRef"] !== undefined) continue;
      const cidr = parseCidr(String(c["cidr"] ?? ""));
      if (!cidr.ok) {
        out.push(`unparseable CIDR '${String(c["cidr"])}'`);
        continue;
      }
      const except = arr(c["except"])
        .map((e) => parseCidr(String(e)))
        .flatMap((r) => (r.ok ? [r.prefix] : []));
      dests.push({ text: String(c["cidr"]), dest: { kind: "addresses", set: AddressSet.cidrExcept(cidr.prefix, except) } });
    }
    for (const c of arr(entry["toCIDRSet"])) if (isObj(c) && typeof c["cidrGroupRef"] === "string") dests.push({ text: `cidr-group ${c["cidrGroupRef"]}`, dest: { kind: "group", name: c["cidrGroupRef"] } });
    for (const e of arr(entry["toEntities"]))
      if (e === "world" || e === "all") dests.push({ text: `entity ${e}`, dest: { kind: "addresses", set: AddressSet.everything() } });
    for (const svc of arr(entry["toServices"])) {
      const ref = isObj(svc) && isObj(svc["k8sService"]) ? (svc["k8sService"] as Obj) : undefined;
      const info = ref ? tenants.services.get(`${String(ref["namespace"])}/${String(ref["serviceName"])}`) : undefined;
      if (!ref || !info) out.push("egress to a service the tenant registry does not declare");
      else if (!info.selector && info.addresses) dests.push({ text: `service ${info.namespace}/${info.name}`, dest: { kind: "addresses", set: info.addresses } });
    }
    const icmp = entry["icmps"] !== undefined;
    for (const d of dests) {
      if (!approvals) {
        out.push(`egress to ${d.text} without an approval registry`);
        continue;
      }
      const blocked = findBlocked(approvals, d.text.startsWith("entity ") ? { kind: "everything" } : d.dest);
      if (blocked) out.push(`egress to ${d.text} overlaps blocked destination ${blocked.destinationText}`);
      if (!ports.isEmpty() && !checkCoverage(approvals, tenantName, d.dest as RequestedDestination, ports, today).ok)
        out.push(`egress to ${d.text} on ${ports.toString()} is not covered by an approval for tenant '${tenantName}'`);
      if (icmp && !checkCoverage(approvals, tenantName, d.dest as RequestedDestination, PortSet.empty(), today, true).ok)
        out.push(`ICMP egress to ${d.text} is not covered by an approval for tenant '${tenantName}'`);
    }
  }
}

/** The namespaces a CCNP rule's endpointSelector selects, or undefined if it is not an explicit list. */
function selectedNamespaces(sel: unknown): string[] | undefined {
  if (!isObj(sel)) return undefined;
  const labels = isObj(sel["matchLabels"]) ? (sel["matchLabels"] as Obj) : {};
  const ns = labels["k8s:io.kubernetes.pod.namespace"];
  if (typeof ns === "string") return [ns];
  for (const e of arr(sel["matchExpressions"])) {
    if (isObj(e) && e["key"] === "k8s:io.kubernetes.pod.namespace" && e["operator"] === "In") return arr(e["values"]).map(String);
  }
  return undefined;
}

/**
 * A baseline's cluster-wide policy: written by a platform tenant, selecting only the registry
 * namespaces the baseline applies to (never "every pod"), and every external destination approved
 * for every tenant whose namespaces it covers.
 */
function baselineProblems(policy: EmittedPolicy, tenants: TenantRegistry, approvals: ApprovalRegistry | undefined, today: string): string[] {
  const out: string[] = [];
  const b = policy.baseline!;
  const m = policy.manifest;
  if (m.kind !== "CiliumClusterwideNetworkPolicy") out.push(`baseline '${b.name}' produced a ${m.kind}`);
  if (!b.owner.platform || !tenants.tenants.get(b.owner.name)?.platform) out.push(`baseline '${b.name}' is not owned by a platform tenant`);
  for (const spec of rulesOf(m) as Obj[]) {
    if (b.nodes) {
      // A host policy: nodes only, and its egress approved for the platform tenant that owns it.
      if (spec["endpointSelector"] !== undefined || !isObj(spec["nodeSelector"])) out.push(`host policy '${b.name}' must select nodes only`);
      checkEgress(spec, b.owner.name, tenants, approvals, today, out);
      continue;
    }
    if (spec["nodeSelector"] !== undefined) out.push(`baseline '${b.name}' selects nodes but applies to namespaces`);
    const selected = selectedNamespaces(spec["endpointSelector"]);
    if (!selected) {
      out.push(`baseline '${b.name}' has a rule that does not select an explicit list of namespaces`);
      continue;
    }
    for (const ns of selected) {
      if (!tenants.namespaces.has(ns)) out.push(`baseline '${b.name}' selects namespace '${ns}', which the registry does not know`);
      if (!b.namespaces.includes(ns)) out.push(`baseline '${b.name}' selects namespace '${ns}' outside its 'applies to'`);
    }
    for (const tenant of new Set(selected.map((ns) => b.tenantOf.get(ns) ?? b.owner.name))) checkEgress(spec, tenant, tenants, approvals, today, out);
  }
  return out;
}
