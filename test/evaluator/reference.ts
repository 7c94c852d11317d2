/**
 * An independent, deliberately simple reading of cilium-semantics.md, for property tests: no
 * indexes, no caches, no code shared with compiler/evaluator (its own label, selector, CIDR, FQDN and
 * HTTP matching). It walks every rule of every policy for every flow. Valid policies only: it does
 * not re-implement the agent's rejection rules.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";
import type { Endpoint, Flow } from "../../compiler/evaluator/index.js";

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RefOptions {
  readonly cluster: string;
}

export interface RefDirection {
  readonly verdict: "allowed" | "dropped" | "l7-denied";
  readonly reason: string;
}

export interface RefDecision {
  readonly verdict: "allowed" | "dropped" | "l7-denied";
  readonly egress: RefDirection;
  readonly ingress: RefDirection;
}

const IGNORED = (key: string) =>
  key === "pod-template-hash" || key === "controller-revision-hash" || (/^([^/]*\.)?(kubernetes\.io|k8s\.io)\//.test(key) && !key.startsWith("app.kubernetes.io/"));

/** [source, key, value] triples: what Hubble would print as the identity's labels. */
function labelsOf(e: Endpoint, o: RefOptions): [string, string, string][] {
  if (e.kind === "world") return [["reserved", "world", ""]];
  if (e.kind === "reserved") return [["reserved", e.entity, ""]];
  const out: [string, string, string][] = [];
  for (const [k, v] of Object.entries(e.labels ?? {})) {
    const parts = k.split(":");
    if (parts.length === 2) out.push([parts[0]!, parts[1]!, v]);
    else if (!IGNORED(k)) out.push(["k8s", k, v]);
  }
  out.push(["k8s", "io.kubernetes.pod.namespace", e.namespace]);
  out.push(["k8s", "io.cilium.k8s.policy.cluster", e.cluster ?? o.cluster]);
  if (e.serviceAccount) out.push(["k8s", "io.cilium.k8s.policy.serviceaccount", e.serviceAccount]);
  out.push(["k8s", "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", e.namespace]);
  for (const [k, v] of Object.entries(e.namespaceLabels ?? {})) out.push(["k8s", `io.cilium.k8s.namespace.labels.${k}`, v]);
  return out;
}

interface Req {
  key: string; // maybe with source
  op: string;
  values: string[];
}

function reqsOf(sel: J | undefined): Req[] {
  const out: Req[] = [];
  for (const [k, v] of Object.entries((sel?.["matchLabels"] as J) ?? {})) out.push({ key: k, op: "In", values: [String(v)] });
  for (const e of (sel?.["matchExpressions"] as J[]) ?? []) out.push({ key: e["key"], op: e["operator"], values: e["values"] ?? [] });
  return out;
}

function reqHolds(r: Req, labels: [string, string, string][]): boolean {
  const colon = r.key.indexOf(":");
  const source = colon < 0 ? "any" : r.key.slice(0, colon);
  const key = colon < 0 ? r.key : r.key.slice(colon + 1);
  const vals = labels.filter(([s, k]) => k === key && (source === "any" || s === source)).map(([, , v]) => v);
  if (r.op === "In") return vals.some((v) => r.values.includes(v));
  if (r.op === "NotIn") return !vals.some((v) => r.values.includes(v));
  if (r.op === "Exists") return vals.length > 0;
  return vals.length === 0;
}

const bare = (k: string) => (k.includes(":") ? k.slice(k.indexOf(":") + 1) : k);

/** B3: what the agent adds to a from/toEndpoints selector. */
function peerReqs(sel: J, kind: string, ns: string | undefined, o: RefOptions, initSubject: boolean): Req[] {
  const reqs = reqsOf(sel);
  if (reqs.some((r) => r.key.startsWith("reserved:"))) return reqs;
  const keys = reqs.map((r) => bare(r.key));
  if (!keys.some((k) => k === "io.kubernetes.pod.namespace" || k.startsWith("io.cilium.k8s.namespace.labels."))) {
    if (kind === "CiliumNetworkPolicy") reqs.push({ key: "k8s:io.kubernetes.pod.namespace", op: "In", values: [ns!] });
    else if (!initSubject) reqs.push({ key: "k8s:io.kubernetes.pod.namespace", op: "Exists", values: [] });
  }
  if (!keys.includes("io.cilium.k8s.policy.cluster")) reqs.push({ key: "k8s:io.cilium.k8s.policy.cluster", op: "In", values: [o.cluster] });
  return reqs;
}

function inCidr(ip: string | undefined, cidr: string): boolean {
  if (!ip) return false;
  const [addr, len] = cidr.split("/");
  const type = isIPv4(addr!) ? "ipv4" : "ipv6";
  if ((type === "ipv4" && !isIPv4(ip)) || (type === "ipv6" && !isIPv6(ip))) return false;
  const bl = new BlockList();
  bl.addSubnet(addr!, len === undefined ? (type === "ipv4" ? 32 : 128) : Number(len), type);
  return bl.check(ip, type);
}

/** A31, written from the text: lower case, whole name, `*` inside a label, leading `**.` for several labels. */
function fqdnMatches(pattern: string, name: string): boolean {
  const p = pattern.trim().toLowerCase().replace(/\.$/, "");
  const n = name.toLowerCase().replace(/\.$/, "");
  if (/^\*+$/.test(p)) return true;
  let re = "";
  let rest = p;
  const multi = /^\*\*+\./.exec(rest);
  if (multi) {
    re = "([-a-z0-9_]+\\.)+";
    rest = rest.slice(multi[0].length);
  }
  re += rest
    .split("")
    .map((c) => (c === "*" ? "[-a-z0-9_]*" : c === "." ? "\\." : c.replace(/[-]/g, "\\-")))
    .join("")
    .replace(/(\[-a-z0-9_\]\*)+/g, "[-a-z0-9_]*");
  return new RegExp(`^${re}$`).test(n);
}

function entityHas(entity: string, e: Endpoint, o: RefOptions): boolean {
  const clusterReserved = ["host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver"];
  switch (entity) {
    case "all":
      return true;
    case "none":
      return false;
    case "world":
      return e.kind === "world";
    case "cluster":
      return (e.kind === "reserved" && clusterReserved.includes(e.entity)) || (e.kind === "pod" && (e.cluster ?? o.cluster) === o.cluster);
    default:
      return e.kind === "reserved" && e.entity === entity;
  }
}

interface Rule {
  kind: string;
  ns?: string;
  spec: J;
}

function rulesOf(policies: readonly J[]): Rule[] {
  const out: Rule[] = [];
  for (const p of policies) {
    const ns = p["kind"] === "CiliumNetworkPolicy" ? (p["metadata"]?.["namespace"] ?? "default") : undefined;
    for (const spec of [...(p["spec"] ? [p["spec"]] : []), ...(p["specs"] ?? [])]) out.push({ kind: p["kind"], ns, spec });
  }
  return out;
}

function selectsSubject(r: Rule, e: Endpoint, o: RefOptions): boolean {
  if (r.spec["nodeSelector"]) return false;
  if (e.kind === "world") return false;
  if (e.kind === "reserved" && !["health", "ingress", "init"].includes(e.entity)) return false;
  let reqs = reqsOf(r.spec["endpointSelector"]);
  if (r.kind === "CiliumNetworkPolicy") {
    reqs = reqs.filter((q) => q.key !== "k8s:io.kubernetes.pod.namespace");
    reqs.push({ key: "k8s:io.kubernetes.pod.namespace", op: "In", values: [r.ns!] });
  }
  const labels = labelsOf(e, o);
  return reqs.every((q) => reqHolds(q, labels));
}

interface PortHit {
  width: number;
  l7?: J;
}

/** The entry's ports against the flow: undefined = no match; a list of the port rules that match. */
function portHits(entry: J, flow: Flow, dest: Endpoint): PortHit[] | undefined {
  const toPorts: J[] = entry["toPorts"] ?? [];
  const icmps: J[] = entry["icmps"] ?? [];
  if (icmps.length > 0) {
    const fam = flow.protocol === "ICMPv4" ? "IPv4" : flow.protocol === "ICMPv6" ? "IPv6" : undefined;
    const names: Record<string, number> = { EchoRequest: fam === "IPv6" ? 128 : 8, EchoReply: fam === "IPv6" ? 129 : 0 };
    const ok = icmps.some((i) => (i["fields"] ?? []).some((f: J) => (f["family"] ?? "IPv4") === fam && (typeof f["type"] === "number" ? f["type"] : names[f["type"]]) === flow.icmpType));
    return ok ? [{ width: 0 }] : undefined;
  }
  if (toPorts.length === 0) return [{ width: 1e9 }];
  const hits: PortHit[] = [];
  for (const tp of toPorts)
    for (const p of tp["ports"] ?? []) {
      const protos = !p["protocol"] || p["protocol"] === "ANY" ? ["TCP", "UDP", "SCTP"] : [p["protocol"]];
      if (!protos.includes(flow.protocol)) continue;
      const port = String(p["port"] ?? "0");
      const l7 = tp["rules"];
      if (/^[a-z]/i.test(port)) {
        const np = (dest.kind === "world" ? [] : (dest.namedPorts ?? [])).find((x) => x.name.toLowerCase() === port.toLowerCase() && (x.protocol ?? "TCP") === flow.protocol);
        if (np && np.port === flow.port) hits.push({ width: 0, l7 });
        continue;
      }
      const start = Number(port);
      if (start === 0) {
        hits.push({ width: 65535, l7 });
        continue;
      }
      const end = typeof p["endPort"] === "number" && p["endPort"] > start ? p["endPort"] : start;
      if (flow.port !== undefined && flow.port >= start && flow.port <= end) hits.push({ width: end - start, l7 });
    }
  return hits.length > 0 ? hits : undefined;
}

function peerMatches(entry: J, ingress: boolean, r: Rule, peer: Endpoint, subjectDns: string[], o: RefOptions): boolean {
  const kinds = ingress ? ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities"] : ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toFQDNs"];
  const present = kinds.filter((k) => entry[k] !== undefined);
  if (present.length === 0) return (entry["toPorts"] ?? []).length > 0 || (entry["icmps"] ?? []).length > 0;
  const initSubject = Object.keys(r.spec["endpointSelector"]?.["matchLabels"] ?? {}).includes("reserved:init");
  for (const k of present)
    for (const item of entry[k] as J[]) {
      if (k.endsWith("Endpoints")) {
        const labels = labelsOf(peer, o);
        if (peerReqs(item, r.kind, r.ns, o, initSubject).every((q) => reqHolds(q, labels))) return true;
      } else if (k.endsWith("Entities")) {
        if (entityHas(item as unknown as string, peer, o)) return true;
      } else if (k === "toFQDNs") {
        if (peer.kind !== "world") continue;
        const pattern = item["matchName"] ?? item["matchPattern"];
        for (const n of peer.names ?? []) if (fqdnMatches(pattern, n) && subjectDns.some((d) => fqdnMatches(d, n))) return true;
      } else {
        if (peer.kind !== "world") continue;
        const cidr = typeof item === "string" ? item : item["cidr"];
        const except: string[] = typeof item === "string" ? [] : (item["except"] ?? []);
        if (inCidr(peer.ip, cidr) && !except.some((x) => inCidr(peer.ip, x))) return true;
      }
    }
  return false;
}

function direction(dir: "ingress" | "egress", subject: Endpoint, peer: Endpoint, flow: Flow, rules: Rule[], o: RefOptions): RefDirection {
  if (subject.kind === "world" || (subject.kind === "reserved" && ["kube-apiserver", "unmanaged"].includes(subject.entity)) || (subject.kind === "pod" && (subject.cluster ?? o.cluster) !== o.cluster))
    return { verdict: "allowed", reason: "not-enforced" };
  // Nodes are host-firewall subjects; these generated policies have no nodeSelector rules.
  if (subject.kind === "reserved" && (subject.entity === "host" || subject.entity === "remote-node")) return { verdict: "allowed", reason: "no-policy" };
  const mine = rules.filter((r) => selectsSubject(r, subject, o));
  const dest = flow.destination;
  let defaultDeny = mine.some((r) => {
    const edd = r.spec["enableDefaultDeny"]?.[dir];
    return typeof edd === "boolean" ? edd : (r.spec[dir] ?? []).length > 0 || (r.spec[`${dir}Deny`] ?? []).length > 0;
  });
  if (subject.kind === "reserved" && subject.entity === "init") defaultDeny = true;
  const dnsPatterns: string[] = [];
  for (const r of mine) for (const e of r.spec["egress"] ?? []) for (const tp of e["toPorts"] ?? []) for (const d of tp["rules"]?.["dns"] ?? []) dnsPatterns.push(d["matchName"] ?? d["matchPattern"]);
  for (const r of mine)
    for (const e of r.spec[`${dir}Deny`] ?? []) if (peerMatches(e, dir === "ingress", r, peer, [], o) && portHits(e, flow, dest)) return { verdict: "dropped", reason: "denied" };
  const hits: PortHit[] = [];
  for (const r of mine)
    for (const e of r.spec[dir] ?? []) {
      if (!peerMatches(e, dir === "ingress", r, peer, dnsPatterns, o)) continue;
      const h = portHits(e, flow, dest);
      if (h) hits.push(...h);
    }
  if (hits.length === 0) {
    if (dir === "ingress" && peer.kind === "reserved" && peer.entity === "host" && subject.kind === "pod") return { verdict: "allowed", reason: "allow-localhost" };
    return defaultDeny ? { verdict: "dropped", reason: "default-deny" } : { verdict: "allowed", reason: "no-policy" };
  }
  // B9: the most specific port entries decide; a plain one among them makes L7 allow-all.
  const min = Math.min(...hits.map((h) => h.width));
  const best = hits.filter((h) => h.width === min);
  const withL7 = best.filter((h) => (h.l7?.["http"]?.length ?? 0) > 0 || (h.l7?.["dns"]?.length ?? 0) > 0);
  if (withL7.length === 0 || withL7.length < best.length) return { verdict: "allowed", reason: "allowed" };
  const http = withL7.flatMap((h) => (h.l7!["http"] ?? []) as J[]);
  const dns = withL7.flatMap((h) => ((h.l7!["dns"] ?? []) as J[]).map((d) => d["matchName"] ?? d["matchPattern"]));
  if (http.length > 0) {
    if (!flow.http) return { verdict: "allowed", reason: "allowed" };
    const whole = (re: string | undefined, v: string | undefined) => !re || (v !== undefined && new RegExp(`^(?:${re})$`).test(v));
    const ok = http.some(
      (h) =>
        whole(h["method"], flow.http!.method) &&
        whole(h["path"], flow.http!.path) &&
        whole(h["host"], flow.http!.host) &&
        ((h["headers"] ?? []) as string[]).every((x) => {
          const [name, ...value] = x.split(" ");
          const have = Object.entries(flow.http!.headers ?? {}).find(([k]) => k.toLowerCase() === name!.replace(/:$/, "").toLowerCase())?.[1];
          return value.length === 0 ? have !== undefined : have === value.join(" ");
        }),
    );
    return { verdict: ok ? "allowed" : "l7-denied", reason: "allowed" };
  }
  if (flow.dns === undefined) return { verdict: "allowed", reason: "allowed" };
  return { verdict: dns.some((d) => fqdnMatches(d, flow.dns!)) ? "allowed" : "l7-denied", reason: "allowed" };
}

export function referenceDecision(policies: readonly J[], flow: Flow, o: RefOptions): RefDecision {
  const rules = rulesOf(policies);
  const egress = direction("egress", flow.source, flow.destination, flow, rules, o);
  const ingress = direction("ingress", flow.destination, flow.source, flow, rules, o);
  const verdict = egress.verdict === "dropped" || ingress.verdict === "dropped" ? "dropped" : egress.verdict === "l7-denied" || ingress.verdict === "l7-denied" ? "l7-denied" : "allowed";
  return { verdict, egress, ingress };
}
