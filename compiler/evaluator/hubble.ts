/**
 * Hubble flows (`hubble observe -o json`, the Hubble exporter) to evaluator flows. Accepts the
 * wrapped `{"flow": ...}` form and the legacy bare Flow, protojson's proto field names and
 * lowerCamelCase (../shared/reference/hubble-flows.md §1), and skips replies and non-flow lines.
 */
import type { Endpoint, Flow, HttpRequest, ReservedEntity } from "./model.js";
import { CLUSTER_KEY, NS_KEY, NS_LABELS_PREFIX, SA_KEY } from "./identity.js";

/** What Hubble itself reported, to compare with the evaluator's verdict. */
export interface Observed {
  readonly time?: string | undefined;
  readonly verdict?: string | undefined;
  readonly dropReason?: string | undefined;
  readonly trafficDirection?: string | undefined;
  readonly eventType?: number | undefined;
  readonly nodeName?: string | undefined;
  readonly summary?: string | undefined;
}

export type HubbleResult =
  | { readonly kind: "flow"; readonly flow: Flow; readonly observed: Observed; readonly notes: readonly string[] }
  | { readonly kind: "skip"; readonly reason: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A field in either spelling: proto name (`drop_reason_desc`) or lowerCamelCase (`dropReasonDesc`). */
function get(o: Obj | undefined, protoName: string): unknown {
  if (!o) return undefined;
  if (o[protoName] !== undefined) return o[protoName];
  const camel = protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return o[camel];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

/** Reserved numeric identities (pkg/identity/numericidentity.go). */
const RESERVED_IDS: Record<number, ReservedEntity | "world"> = {
  1: "host",
  2: "world",
  3: "unmanaged",
  4: "health",
  5: "init",
  6: "remote-node",
  7: "kube-apiserver",
  8: "ingress",
  9: "world",
  10: "world",
};
const RESERVED_ORDER: readonly (ReservedEntity | "world")[] = ["world", "host", "remote-node", "kube-apiserver", "health", "init", "ingress", "unmanaged"];

function resolveEndpoint(raw: unknown, ip: string | undefined, names: readonly string[], role: string, notes: string[]): Endpoint | string {
  const e = isObj(raw) ? raw : {};
  const labelList = Array.isArray(e["labels"]) ? (e["labels"] as unknown[]).filter((l): l is string => typeof l === "string") : [];
  const labels = new Map<string, string>();
  for (const l of labelList) {
    const eqAt = l.indexOf("=");
    labels.set(eqAt < 0 ? l : l.slice(0, eqAt), eqAt < 0 ? "" : l.slice(eqAt + 1));
  }
  const reserved = RESERVED_ORDER.filter((r) => labels.has(`reserved:${r}`) || (r === "world" && (labels.has("reserved:world-ipv4") || labels.has("reserved:world-ipv6"))));
  const identity = num(get(e, "identity"));
  let kind: ReservedEntity | "world" | undefined = reserved[0];
  if (!kind && identity !== undefined) {
    kind = RESERVED_IDS[identity];
    // Node-local identities (CIDR and FQDN peers) are outside the cluster; remote-node-scoped ones are nodes.
    if (!kind && identity >= 1 << 24) kind = identity >> 24 === 2 ? "remote-node" : "world";
  }
  if (!kind && [...labels.keys()].some((k) => k.startsWith("cidr:") || k.startsWith("fqdn:"))) kind = "world";
  const name = str(get(e, "pod_name"));
  if (kind === "world") return { kind: "world", ip, names: names.length > 0 ? names : undefined, name };
  if (kind) return { kind: "reserved", entity: kind, ip, name };
  const namespace = labels.get(`k8s:${NS_KEY}`) ?? str(get(e, "namespace"));
  if (!namespace) return `the ${role} has no labels, namespace or reserved identity${identity !== undefined ? ` (identity ${identity})` : ""}`;
  const podLabels: Record<string, string> = {};
  const namespaceLabels: Record<string, string> = {};
  let serviceAccount: string | undefined;
  let cluster = str(get(e, "cluster_name"));
  for (const [k, v] of labels) {
    const colon = k.indexOf(":");
    const source = colon < 0 ? "k8s" : k.slice(0, colon);
    const key = colon < 0 ? k : k.slice(colon + 1);
    if (source === "k8s" && key === NS_KEY) continue;
    if (source === "k8s" && key === CLUSTER_KEY) cluster = v;
    else if (source === "k8s" && key === SA_KEY) serviceAccount = v;
    else if (source === "k8s" && key.startsWith(NS_LABELS_PREFIX)) namespaceLabels[key.slice(NS_LABELS_PREFIX.length)] = v;
    else podLabels[source === "k8s" ? key : k] = v;
  }
  if (labelList.length === 0) notes.push(`the ${role}'s labels are not in the flow (a field mask?): only its namespace is known`);
  return { kind: "pod", namespace, labels: podLabels, namespaceLabels, serviceAccount, cluster, ip, name };
}

function httpOf(h: Obj): HttpRequest {
  const headers: Record<string, string> = {};
  for (const x of Array.isArray(h["headers"]) ? (h["headers"] as unknown[]) : []) if (isObj(x) && typeof x["key"] === "string") headers[x["key"]] = String(x["value"] ?? "");
  let path: string | undefined;
  let host: string | undefined;
  const url = str(h["url"]);
  if (url) {
    try {
      const u = new URL(url, "http://unknown.invalid");
      path = u.pathname + u.search;
      if (u.host !== "unknown.invalid") host = u.host;
    } catch {
      path = url;
    }
  }
  host = headers["Host"] ?? headers["host"] ?? headers[":authority"] ?? host;
  return { method: str(h["method"]), path, host, headers };
}

/** One decoded JSON value (a GetFlowsResponse or a bare Flow) to a flow. */
export function hubbleFlow(value: unknown): HubbleResult {
  if (!isObj(value)) return { kind: "skip", reason: "not a JSON object" };
  let f: Obj | undefined;
  if (isObj(value["flow"])) f = value["flow"];
  else if (isObj(value["IP"]) || isObj(value["l4"]) || isObj(value["source"]) || isObj(value["destination"])) f = value; // legacy bare Flow
  if (!f) {
    const what = Object.keys(value).find((k) => k !== "node_name" && k !== "nodeName" && k !== "time") ?? "empty";
    return { kind: "skip", reason: `not a flow (${what})` };
  }
  // Policy is evaluated in the original direction; replies pass by connection tracking (B1).
  const isReply = get(f, "is_reply");
  if (isReply === true || (isReply === undefined && f["reply"] === true)) return { kind: "skip", reason: "a reply" };
  const l7 = isObj(f["l7"]) ? f["l7"] : undefined;
  if (l7 && str(l7["type"]) === "RESPONSE") return { kind: "skip", reason: "an L7 response" };

  const ip = isObj(f["IP"]) ? f["IP"] : undefined;
  const l4 = isObj(f["l4"]) ? f["l4"] : undefined;
  let protocol: string | undefined;
  let port: number | undefined;
  let icmpType: number | undefined;
  for (const p of ["TCP", "UDP", "SCTP"] as const)
    if (l4 && isObj(l4[p])) {
      protocol = p;
      port = num(get(l4[p] as Obj, "destination_port"));
    }
  for (const p of ["ICMPv4", "ICMPv6"] as const)
    if (l4 && isObj(l4[p])) {
      protocol = p;
      icmpType = num(get(l4[p] as Obj, "type")) ?? 0;
    }
  for (const p of ["VRRP", "IGMP"] as const) if (l4 && isObj(l4[p])) protocol = p;
  if (!protocol) return { kind: "skip", reason: "no L4 protocol in the flow" };

  const notes: string[] = [];
  const names = ((get(f, "destination_names") as unknown[] | undefined) ?? []).filter((n): n is string => typeof n === "string");
  const source = resolveEndpoint(f["source"], str(ip?.["source"]), [], "source", notes);
  if (typeof source === "string") return { kind: "skip", reason: `cannot resolve: ${source}` };
  const destination = resolveEndpoint(f["destination"], str(ip?.["destination"]), names, "destination", notes);
  if (typeof destination === "string") return { kind: "skip", reason: `cannot resolve: ${destination}` };

  let http: HttpRequest | undefined;
  let dns: string | undefined;
  if (l7 && isObj(l7["http"])) http = httpOf(l7["http"]);
  if (l7 && isObj(l7["dns"])) dns = str(l7["dns"]["query"]);
  const et = get(f, "event_type");
  const observed: Observed = {
    time: str(f["time"]),
    verdict: str(f["verdict"]),
    dropReason: str(get(f, "drop_reason_desc")),
    trafficDirection: str(get(f, "traffic_direction")),
    eventType: isObj(et) ? num(et["type"]) : undefined,
    nodeName: str(get(f, "node_name")),
    summary: str(f["Summary"]),
  };
  return { kind: "flow", flow: { source, destination, protocol, port, icmpType, http, dns }, observed, notes };
}

/** One line of `hubble observe -o json` output. */
export function parseHubbleLine(line: string): HubbleResult {
  const t = line.trim();
  if (t === "") return { kind: "skip", reason: "an empty line" };
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    return { kind: "skip", reason: `not JSON (${(e as Error).message})` };
  }
  return hubbleFlow(v);
}
