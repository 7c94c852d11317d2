/**
 * Reading CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy objects (plain JSON, as in YAML)
 * into normalised rules: the implicit namespace and cluster requirements the agent adds to
 * selectors (B3), empty versus absent peer lists (B2), ANY as TCP+UDP+SCTP and port ranges (A15-18),
 * toServices resolved against a service catalogue (B8), and each entry linked to the .zt source
 * line named in ztc's `ztc.io/rules` annotation.
 *
 * Objects the agent would reject as a whole (A1-A3, A6, A10, A32) are left out and reported,
 * because Cilium enforces none of their rules.
 */
import { isValidPortName } from "../net/ports.js";
import { ICMP_TYPES } from "../resolve-constants.js";
import { parseAddress, type Family } from "../net/cidr.js";
import { parseFqdn, type FqdnPattern } from "../net/fqdn.js";
import {
  CLUSTER_KEY,
  NS_KEY,
  NS_LABELS_PREFIX,
  eq,
  exists,
  mentionsKey,
  readSelector,
  selectsLabels,
  splitKey,
  usesSource,
  withRequirements,
  type Selector,
} from "./identity.js";
import { ENTITY_NAMES, type EntryRef, type HttpRuleJson, type PolicyId, type PolicyKind, type Section, type SourceRef } from "./model.js";

/** A Kubernetes Service, for toServices (B8). */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  /** The Service's own labels (what k8sServiceSelector matches). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** The pod selector; absent for services without a selector (then `backends` are CIDRs). */
  readonly selector?: Readonly<Record<string, string>> | undefined;
  /** Endpoint addresses of a service without a selector. */
  readonly backends?: readonly string[] | undefined;
}

/** A CiliumCIDRGroup (cidrGroupRef / cidrGroupSelector, A13). */
export interface CidrGroupInfo {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly cidrs: readonly string[];
}

export interface EvaluatorOptions {
  /** The local cluster's name (io.cilium.k8s.policy.cluster); default `default`. */
  readonly clusterName?: string | undefined;
  /** policy-default-local-cluster (default true since 1.19, B3): selectors without a cluster key match the local cluster only. */
  readonly policyDefaultLocalCluster?: boolean | undefined;
  /** --enable-policy: `default` (B1), `always` (every endpoint default-deny), `never` (no enforcement). */
  readonly policyEnforcement?: "default" | "always" | "never" | undefined;
  /** allow-localhost: `always` (the Kubernetes default) admits ingress from the local node to pods; `policy` does not. */
  readonly allowLocalhost?: "always" | "policy" | undefined;
  /** Host firewall enabled (host policies enforced, B6); default true. */
  readonly hostFirewall?: boolean | undefined;
  /** --policy-cidr-match-mode=nodes: CIDR rules also match node addresses (B7). */
  readonly cidrMatchesNodes?: boolean | undefined;
  /** The cluster's Services, to resolve toServices (B8). Without it, toServices entries match nothing. */
  readonly services?: readonly ServiceInfo[] | undefined;
  readonly cidrGroups?: readonly CidrGroupInfo[] | undefined;
  /** Cache per-identity results (default true). Off only to measure the indexes alone. */
  readonly memoize?: boolean | undefined;
}

export interface Block {
  readonly family: Family;
  readonly addr: bigint;
  readonly len: number;
  readonly except: readonly { readonly addr: bigint; readonly len: number; readonly family: Family }[];
  readonly text: string;
}

export type PeerPart =
  | { readonly kind: "selector"; readonly selector: Selector }
  | { readonly kind: "node"; readonly selector: Selector }
  | { readonly kind: "entity"; readonly entity: string }
  | { readonly kind: "cidr"; readonly block: Block }
  | { readonly kind: "fqdn"; readonly pattern: FqdnPattern; readonly text: string };

export interface PortRule {
  /** TCP, UDP, SCTP or an extended protocol (VRRP, GRE...). */
  readonly protocol: string;
  /** Numeric ports: start..end (0..65535 for port 0 / empty). */
  readonly start: number;
  readonly end: number;
  /** A named port (lower case), resolved against the destination. */
  readonly name?: string | undefined;
  /** The policy-map port key (`TCP/80-80`), for the L7 merge. */
  readonly key: string;
}

export interface L7Rules {
  readonly http?: readonly HttpRuleJson[] | undefined;
  readonly dns?: readonly { readonly text: string; readonly pattern: FqdnPattern | undefined }[] | undefined;
}

export interface PortItem {
  readonly ports: readonly PortRule[];
  readonly l7?: L7Rules | undefined;
}

export type L4 =
  | { readonly kind: "ports"; readonly items: readonly PortItem[] }
  | { readonly kind: "icmp"; readonly fields: readonly { readonly family: 4 | 6; readonly type: number }[] };

export interface Entry {
  readonly ref: EntryRef;
  /** `any`: no L3 given with L4 (B2); otherwise the union of the parts (an empty list selects nothing). */
  readonly l3: "any" | readonly PeerPart[];
  /** undefined: every port and protocol. */
  readonly l4?: L4 | undefined;
  /** Said whenever this entry is consulted (toServices not resolvable...). */
  readonly note?: string | undefined;
  /** POD | RESERVED | WORLD: the peers its L3 part can match at all (an index, not a decision). */
  readonly kinds: number;
}

export interface Rule {
  readonly policy: PolicyId;
  readonly rule: string;
  readonly subject: { readonly kind: "endpoints" | "nodes"; readonly selector: Selector };
  /** CNP: the policy's namespace (the subject is limited to it). */
  readonly namespace?: string | undefined;
  readonly defaultDeny: { readonly ingress: boolean; readonly egress: boolean };
  readonly sections: Readonly<Record<Section, readonly Entry[]>>;
}

export interface PolicyProblem {
  readonly policy?: PolicyId | undefined;
  /** Position in the input list. */
  readonly index: number;
  readonly message: string;
}

export const SECTIONS: readonly Section[] = ["ingress", "ingressDeny", "egress", "egressDeny"];

const INGRESS_L3 = ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups"] as const;
const EGRESS_L3 = ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toFQDNs", "toNodes", "toGroups"] as const;

class Reject extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : v === undefined || v === null ? undefined : [v]);

// ---- the ztc.io/rules annotation

const PATH_RE = /^(?:(?:spec|specs\[\d+\])\.)?(?:ingress|ingressDeny|egress|egressDeny)\[\d+\]$/;

/**
 * `specs[1].egress[0]: tenants/x/policy.zt:7: <rule text> [APR-1]` -> path -> sources. A line may
 * name several paths (`ingress[0], egress[0]: note`) and several lines may name one path.
 */
export function parseRulesAnnotation(text: string | undefined): Map<string, SourceRef[]> {
  const out = new Map<string, SourceRef[]>();
  if (!text) return out;
  for (const line of text.split("\n")) {
    const m = /^(.+?): (.*)$/.exec(line.trim());
    if (!m) continue;
    const paths = m[1]!.split(/,\s*/);
    if (!paths.every((p) => PATH_RE.test(p))) continue;
    let rest = m[2]!;
    let approvals: string[] = [];
    const a = / \[([A-Za-z0-9][\w.-]*(?:, [A-Za-z0-9][\w.-]*)*)\]$/.exec(rest);
    const loc = /^(\S+?):(\d+): (.*)$/.exec(rest);
    let ref: SourceRef;
    if (loc) {
      if (a) {
        approvals = a[1]!.split(", ");
        rest = rest.slice(0, a.index);
      }
      const l2 = /^(\S+?):(\d+): (.*)$/.exec(rest)!;
      ref = { file: l2[1]!, line: Number(l2[2]), text: l2[3]!, approvals };
    } else ref = { text: rest, approvals };
    for (const p of paths) {
      const key = p.replace(/^spec\./, "");
      const l = out.get(key);
      if (l) l.push(ref);
      else out.set(key, [ref]);
    }
  }
  return out;
}

// ---- values

/** Go's strconv.ParseUint(s, 0, 16), which Cilium uses for ports (A15). */
function parseUint16(s: string): number | undefined {
  let m: RegExpExecArray | null;
  let n: number;
  if ((m = /^0[xX]([0-9a-fA-F]+)$/.exec(s))) n = parseInt(m[1]!, 16);
  else if ((m = /^0[oO]?([0-7]+)$/.exec(s))) n = parseInt(m[1]!, 8);
  else if ((m = /^0[bB]([01]+)$/.exec(s))) n = parseInt(m[1]!, 2);
  else if (/^(0|[1-9][0-9]*)$/.test(s)) n = Number(s);
  else return undefined;
  return n <= 65535 ? n : undefined;
}

const L4_PROTOCOLS = ["TCP", "UDP", "SCTP"];
const EXTENDED = new Set(["VRRP", "IGMP", "GRE", "IPIP", "IPV6", "ESP", "AH"]);

function portRules(p: Obj): PortRule[] {
  const rawProto = typeof p["protocol"] === "string" ? (p["protocol"] as string).toUpperCase() : "ANY";
  if (rawProto !== "ANY" && !L4_PROTOCOLS.includes(rawProto) && !EXTENDED.has(rawProto)) throw new Reject(`unknown protocol '${rawProto}'`);
  const protos = rawProto === "ANY" ? L4_PROTOCOLS : [rawProto];
  const rawPort = p["port"] === undefined || p["port"] === null ? "" : String(p["port"]).trim();
  // Port 0 or empty means all ports of the protocol (A16); endPort is ignored then (A18).
  if (rawPort === "" || rawPort === "0") return protos.map((protocol) => ({ protocol, start: 0, end: 65535, key: `${protocol}/0-65535` }));
  if (EXTENDED.has(rawProto)) throw new Reject(`protocol ${rawProto} takes no port (A17)`);
  if (isValidPortName(rawPort) && !/^\d+$/.test(rawPort)) return protos.map((protocol) => ({ protocol, start: 0, end: -1, name: rawPort.toLowerCase(), key: `${protocol}/${rawPort.toLowerCase()}` }));
  const n = parseUint16(rawPort);
  if (n === undefined) throw new Reject(`port '${rawPort}' is not a number 0-65535 or a port name (A15)`);
  const endPort = typeof p["endPort"] === "number" ? (p["endPort"] as number) : undefined;
  const end = endPort !== undefined && endPort > n ? Math.min(endPort, 65535) : n;
  return protos.map((protocol) => ({ protocol, start: n, end, key: `${protocol}/${n}-${end}` }));
}

function icmpFields(items: unknown[]): { family: 4 | 6; type: number }[] {
  const out: { family: 4 | 6; type: number }[] = [];
  for (const item of items) {
    for (const f of list(isObj(item) ? item["fields"] : undefined) ?? []) {
      if (!isObj(f)) continue;
      const family = f["family"] === "IPv6" ? 6 : 4;
      const t = f["type"];
      let type: number | undefined;
      if (typeof t === "number") type = t;
      else if (typeof t === "string" && /^\d+$/.test(t)) type = Number(t);
      else if (typeof t === "string") type = ICMP_TYPES[family === 4 ? "IPv4" : "IPv6"][t];
      // A name of the other family makes the agent fail to decode the whole object (A32).
      if (type === undefined) throw new Reject(`ICMP type '${String(t)}' is not an IPv${family} type (A32)`);
      out.push({ family, type });
    }
  }
  return out;
}

function loosePrefix(text: string, allowBare: boolean): { family: Family; addr: bigint; len: number } {
  const [a, l] = text.split("/");
  const parsed = parseAddress((a ?? "").trim());
  if (typeof parsed === "string") throw new Reject(`'${text}' is not a CIDR (A11)`);
  const bits = parsed.family === 4 ? 32 : 128;
  if (l === undefined && !allowBare) throw new Reject(`'${text}' needs a prefix length (A12)`);
  const len = l === undefined ? bits : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > bits) throw new Reject(`'${text}' has a bad prefix length`);
  const shift = BigInt(bits - len);
  return { family: parsed.family, addr: (parsed.addr >> shift) << shift, len };
}

function block(cidr: string, except: readonly string[], allowBare: boolean): Block {
  const p = loosePrefix(cidr, allowBare);
  return { ...p, except: except.map((e) => loosePrefix(e, false)), text: except.length ? `${cidr} except ${except.join(", ")}` : cidr };
}

/** Bits of Entry.kinds: the kinds of peer an entry's L3 part can match at all. */
export const POD = 1;
export const RESERVED = 2;
export const WORLD = 4;
const ANY_KIND = POD | RESERVED | WORLD;

const ENTITY_KINDS: Record<string, number> = {
  all: ANY_KIND,
  none: 0,
  world: WORLD,
  "world-ipv4": WORLD,
  "world-ipv6": WORLD,
  cluster: POD | RESERVED,
  "cluster-mesh": POD | RESERVED,
};

/** Which peer kinds an entry's L3 part can possibly match (an index over entries, not a decision). */
function peerKinds(l3: Entry["l3"], cidrMatchesNodes: boolean): number {
  if (l3 === "any") return ANY_KIND;
  let bits = 0;
  for (const part of l3) {
    switch (part.kind) {
      case "selector": {
        // A k8s: requirement that must hold (In/Exists) rules out reserved and world identities.
        const podOnly = part.selector.requirements.some((r) => r.source === "k8s" && (r.op === "In" || r.op === "Exists"));
        bits |= podOnly ? POD : ANY_KIND;
        break;
      }
      case "node":
        bits |= RESERVED;
        break;
      case "entity":
        bits |= ENTITY_KINDS[part.entity] ?? RESERVED;
        break;
      case "cidr":
        bits |= cidrMatchesNodes ? WORLD | RESERVED : WORLD;
        break;
      case "fqdn":
        bits |= WORLD;
        break;
    }
  }
  return bits;
}

// ---- reading one policy

interface Ctx {
  readonly kind: PolicyKind;
  readonly namespace?: string | undefined;
  readonly options: EvaluatorOptions;
  readonly cluster: string;
  /** The subject selects reserved:init: CCNP peers then get no namespace requirement (B3). */
  initSubject: boolean;
}

/** The implicit requirements Cilium adds to from/toEndpoints (B3). */
function peerSelector(raw: unknown, ctx: Ctx): Selector {
  const s = readSelector(raw);
  if (s.invalid) throw new Reject(`selector ${s.text}: ${s.invalid}`);
  if (usesSource(s, "reserved")) return s;
  const extra = [];
  const namespaced = mentionsKey(s, (k) => k === NS_KEY || k.startsWith(NS_LABELS_PREFIX));
  if (!namespaced) {
    if (ctx.kind === "CiliumNetworkPolicy") extra.push(eq(`k8s:${NS_KEY}`, ctx.namespace ?? "default"));
    else if (!ctx.initSubject) extra.push(exists(`k8s:${NS_KEY}`));
  }
  if ((ctx.options.policyDefaultLocalCluster ?? true) && !mentionsKey(s, (k) => k === CLUSTER_KEY)) extra.push(eq(`k8s:${CLUSTER_KEY}`, ctx.cluster));
  return withRequirements(s, extra);
}

function nodeSelectorOf(raw: unknown): Selector {
  const s = readSelector(raw);
  if (s.invalid) throw new Reject(`node selector ${s.text}: ${s.invalid}`);
  return s;
}

function fqdnPart(raw: unknown): PeerPart {
  const o = isObj(raw) ? raw : {};
  const text = typeof o["matchName"] === "string" ? (o["matchName"] as string) : typeof o["matchPattern"] === "string" ? (o["matchPattern"] as string) : undefined;
  if (text === undefined) throw new Reject("a toFQDNs item needs matchName or matchPattern (A29)");
  if (typeof o["matchName"] === "string" && text.includes("*")) throw new Reject(`matchName '${text}' may not contain '*' (A30)`);
  const p = parseFqdn(text);
  if (!p.ok) throw new Reject(`toFQDNs '${text}': ${p.reason}`);
  return { kind: "fqdn", pattern: p.pattern, text };
}

function cidrSetParts(items: unknown[], ctx: Ctx): PeerPart[] {
  const parts: PeerPart[] = [];
  for (const it of items) {
    if (!isObj(it)) continue;
    const except = (list(it["except"]) ?? []).map(String);
    if (typeof it["cidr"] === "string") parts.push({ kind: "cidr", block: block(it["cidr"] as string, except, false) });
    else if (typeof it["cidrGroupRef"] === "string") {
      const g = (ctx.options.cidrGroups ?? []).find((x) => x.name === it["cidrGroupRef"]);
      for (const c of g?.cidrs ?? []) parts.push({ kind: "cidr", block: block(c, except, false) });
    } else if (isObj(it["cidrGroupSelector"])) {
      const sel = readSelector(it["cidrGroupSelector"]);
      // CIDR group labels have the source cidrgroup (A13).
      for (const g of ctx.options.cidrGroups ?? [])
        if (selectsLabels(sel, g.labels ?? {}, "cidrgroup")) for (const c of g.cidrs) parts.push({ kind: "cidr", block: block(c, except, false) });
    } else throw new Reject("a CIDR rule needs exactly one of cidr, cidrGroupRef, cidrGroupSelector (A12)");
  }
  return parts;
}

/** toServices: the generated toEndpoints / toCIDRSet (B8), or why there are none. */
function serviceParts(items: unknown[], ctx: Ctx): { parts: PeerPart[]; matched: number } {
  const parts: PeerPart[] = [];
  let matched = 0;
  for (const it of items) {
    if (!isObj(it)) continue;
    const ref = isObj(it["k8sService"]) ? it["k8sService"] : undefined;
    const bySel = isObj(it["k8sServiceSelector"]) ? it["k8sServiceSelector"] : undefined;
    const ns = (ref?.["namespace"] ?? bySel?.["namespace"]) as string | undefined;
    const sel = bySel ? readSelector(bySel["selector"]) : undefined;
    for (const svc of ctx.options.services ?? []) {
      // An empty namespace matches the service in any namespace, even in a CNP (B8).
      if (ns && svc.namespace !== ns) continue;
      if (ref && svc.name !== ref["serviceName"]) continue;
      // k8sServiceSelector matches the Service's own labels (B8).
      if (sel && !selectsLabels(sel, svc.labels ?? {}, "k8s")) continue;
      matched++;
      if (svc.selector) {
        const reqs = Object.entries(svc.selector).map(([k, v]) => eq(k.includes(":") ? k : `k8s:${k}`, v));
        reqs.push(eq(`k8s:${NS_KEY}`, svc.namespace));
        parts.push({ kind: "selector", selector: { requirements: reqs, text: `service ${svc.namespace}/${svc.name}` } });
      } else for (const b of svc.backends ?? []) parts.push({ kind: "cidr", block: block(b, [], true) });
    }
  }
  return { parts, matched };
}

function readL4(e: Obj, deny: boolean): L4 | undefined {
  const toPorts = list(e["toPorts"]) ?? [];
  const icmps = list(e["icmps"]) ?? [];
  if (toPorts.length > 0 && icmps.length > 0) throw new Reject("icmps and toPorts in one entry (A10)");
  if (icmps.length > 0) return { kind: "icmp", fields: icmpFields(icmps) };
  if (toPorts.length === 0) return undefined;
  const items: PortItem[] = [];
  for (const tp of toPorts) {
    if (!isObj(tp)) continue;
    const ports = (list(tp["ports"]) ?? []).filter(isObj).flatMap(portRules).slice();
    let l7: L7Rules | undefined;
    const rules = !deny && isObj(tp["rules"]) ? (tp["rules"] as Obj) : undefined;
    if (rules) {
      const http = list(rules["http"]);
      const dns = list(rules["dns"]);
      if (http && dns) throw new Reject("http and dns rules in one toPorts item (A21)");
      if (http) l7 = { http: http.filter(isObj) as HttpRuleJson[] };
      if (dns)
        l7 = {
          dns: dns.filter(isObj).map((d) => {
            const text = String(d["matchName"] ?? d["matchPattern"] ?? "");
            const p = d["matchName"] !== undefined && text.includes("*") ? undefined : parseFqdn(text);
            return { text, pattern: p?.ok ? p.pattern : undefined };
          }),
        };
    }
    // A toPorts item without ports contributes nothing (A19).
    items.push({ ports, l7 });
  }
  // Copies: a list grown by push has room for 17 items, and the editor keeps thousands of these.
  return { kind: "ports", items: items.slice() };
}

function readEntry(raw: unknown, section: Section, ref: EntryRef, ctx: Ctx): Entry {
  if (!isObj(raw)) throw new Reject(`${ref.path} is not an object`);
  const deny = section.endsWith("Deny");
  const ingress = section.startsWith("ingress");
  for (const k of ["fromRequires", "toRequires"]) if ((list(raw[k]) ?? []).length > 0) throw new Reject(`${k} was removed from Cilium (§0)`);
  const kinds = (ingress ? INGRESS_L3 : EGRESS_L3).filter((k) => raw[k] !== undefined && raw[k] !== null);
  const nonEmpty = kinds.filter((k) => (list(raw[k]) ?? []).length > 0);
  if (nonEmpty.length > 1) throw new Reject(`${ref.path}: combining ${nonEmpty.join(" and ")} is not supported (A6)`);
  const l4 = readL4(raw, deny);
  let note: string | undefined;
  let l3: Entry["l3"];
  if (kinds.length === 0) {
    // No L3 at all: a wildcard peer if the entry has L4, otherwise nothing (B2).
    l3 = l4 ? "any" : [];
  } else {
    const parts: PeerPart[] = [];
    for (const k of kinds) {
      const items = list(raw[k]) ?? [];
      switch (k) {
        case "fromEndpoints":
        case "toEndpoints":
          for (const s of items) parts.push({ kind: "selector", selector: peerSelector(s, ctx) });
          break;
        case "fromNodes":
        case "toNodes":
          for (const s of items) parts.push({ kind: "node", selector: nodeSelectorOf(s) });
          break;
        case "fromEntities":
        case "toEntities":
          for (const s of items) {
            if (!(ENTITY_NAMES as readonly string[]).includes(String(s))) throw new Reject(`unsupported entity '${String(s)}' (A9)`);
            parts.push({ kind: "entity", entity: String(s) });
          }
          break;
        case "fromCIDR":
        case "toCIDR":
          for (const s of items) parts.push({ kind: "cidr", block: block(String(s), [], true) });
          break;
        case "fromCIDRSet":
        case "toCIDRSet":
          parts.push(...cidrSetParts(items, ctx));
          break;
        case "toFQDNs":
          if (deny) {
            note = "toFQDNs is not allowed in deny rules (A20); this entry denies nothing";
            break;
          }
          for (const s of items) parts.push(fqdnPart(s));
          break;
        case "toServices": {
          if (items.length === 0) break;
          if (deny) {
            // The agent never resolves toServices in deny rules, so the entry has no L3 and denies every peer (B2, inferred).
            note = "toServices in a deny rule is never resolved by Cilium, so it denies every peer on its ports (B2, inferred)";
            l3 = l4 ? "any" : [];
            break;
          }
          if (ctx.options.services === undefined) {
            note = "toServices: no service catalogue was given, so this entry matches nothing";
            break;
          }
          const r = serviceParts(items, ctx);
          if (r.matched === 0) {
            note = "toServices: no Service matches, so Cilium leaves the entry without L3 and it allows every peer on its ports (B2, inferred)";
            l3 = l4 ? "any" : [];
          }
          parts.push(...r.parts);
          break;
        }
        case "fromGroups":
        case "toGroups":
          note = `${k} (AWS security groups) is not modelled; this entry matches nothing`;
          break;
      }
    }
    l3 ??= parts.slice();
  }
  // The note is said with the entry's place, once per consultation: build the text once.
  return { ref, l3, l4, kinds: peerKinds(l3, ctx.options.cidrMatchesNodes === true), note: note === undefined ? undefined : `${ref.path} of ${policyText(ref.policy)}: ${note}` };
}

/** `CiliumNetworkPolicy ns/name` or `CiliumClusterwideNetworkPolicy name`. */
export function policyText(p: PolicyId): string {
  return p.kind === "CiliumNetworkPolicy" ? `CiliumNetworkPolicy ${p.namespace}/${p.name}` : `CiliumClusterwideNetworkPolicy ${p.name}`;
}

function defaultDenyOf(spec: Obj, dir: "ingress" | "egress"): boolean {
  const edd = isObj(spec["enableDefaultDeny"]) ? (spec["enableDefaultDeny"] as Obj)[dir] : undefined;
  if (typeof edd === "boolean") return edd;
  // Unset: any ingress (or ingressDeny) entry switches the subject to default deny (B1).
  return (list(spec[dir])?.length ?? 0) > 0 || (list(spec[`${dir}Deny`])?.length ?? 0) > 0;
}

function endpointSubject(raw: unknown, rule: string, ctx: Ctx): Rule["subject"] {
  let sel = readSelector(raw);
  if (sel.invalid) throw new Reject(`${rule}.endpointSelector: ${sel.invalid}`);
  if (ctx.kind === "CiliumNetworkPolicy") {
    // The agent overrides a k8s: namespace in a CNP subject with the policy's own (B3).
    sel = withRequirements(sel, [eq(`k8s:${NS_KEY}`, ctx.namespace ?? "default")], (r) => r.source === "k8s" && r.key === NS_KEY);
  }
  return { kind: "endpoints", selector: sel };
}

const entryPaths = new Map<string, string>();
/** One string per entry path (`specs[2].egress[0]`): the editor keeps thousands of read rules. */
function entryPath(path: string): string {
  let p = entryPaths.get(path);
  if (p === undefined) {
    if (entryPaths.size > 100_000) entryPaths.clear();
    entryPaths.set(path, (p = path));
  }
  return p;
}

function readRule(spec: unknown, rule: string, policy: PolicyId, trace: Map<string, SourceRef[]>, ctx: Ctx): Rule {
  if (!isObj(spec)) throw new Reject(`${rule} is not an object`);
  const hasEp = spec["endpointSelector"] !== undefined && spec["endpointSelector"] !== null;
  const hasNode = spec["nodeSelector"] !== undefined && spec["nodeSelector"] !== null;
  if (hasEp === hasNode) throw new Reject(`${rule} needs exactly one of endpointSelector and nodeSelector (A2)`);
  if (hasNode && ctx.kind === "CiliumNetworkPolicy") throw new Reject(`${rule}: a CiliumNetworkPolicy cannot have a nodeSelector (A3)`);
  if (!SECTIONS.some((s) => (list(spec[s])?.length ?? 0) > 0)) throw new Reject(`${rule} has none of ingress, ingressDeny, egress, egressDeny (A1)`);
  const subject: Rule["subject"] = hasNode ? { kind: "nodes", selector: nodeSelectorOf(spec["nodeSelector"]) } : endpointSubject(spec["endpointSelector"], rule, ctx);
  ctx.initSubject = subject.kind === "endpoints" && subject.selector.requirements.some((r) => r.source === "reserved" && r.key === "init");
  const sections = {} as Record<Section, Entry[]>;
  for (const section of SECTIONS) {
    sections[section] = (list(spec[section]) ?? []).map((raw, i) => {
      const bare = `${section}[${i}]`;
      const path = entryPath(rule === "spec" ? bare : `${rule}.${bare}`);
      const sources = trace.get(path) ?? [];
      return readEntry(raw, section, { policy, rule, section, entry: i, path, sources }, ctx);
    });
  }
  return {
    policy,
    rule,
    subject,
    namespace: ctx.kind === "CiliumNetworkPolicy" ? ctx.namespace : undefined,
    defaultDeny: { ingress: defaultDenyOf(spec, "ingress"), egress: defaultDenyOf(spec, "egress") },
    sections,
  };
}

/** A rule's spec and its lines of the ztc.io/rules annotation (one string, or the lines). */
export interface RuleSource {
  readonly spec: unknown;
  readonly trace: string | readonly string[];
}

/**
 * A rule of a CiliumNetworkPolicy whose subject is read now and the rest when the evaluator first
 * needs it (when the rule selects a subject it is asked about): the editor evaluates a few
 * subjects of policies with hundreds of rules, after every edit. `load` gives the rule and its
 * lines of the ztc.io/rules annotation. The agent would reject a policy with a malformed rule as a
 * whole; found this late, that throws instead (ztc validates what it emits: it is a ztc bug).
 */
export function lazyRule(policy: PolicyId, rule: string, endpointSelector: unknown, load: () => RuleSource, options: EvaluatorOptions = {}): Rule {
  return new LazyRule(policy, rule, endpointSelector, load, options);
}

/**
 * A lazyRule that keeps only its subject: the rest is read from `load` again whenever the
 * evaluator needs it (it remembers what it derives from a rule per subject). For small rules asked
 * about rarely: the editor has a default-deny rule in each of thousands of namespaces, which
 * `expect default deny` reads once (its verdicts are remembered across snapshots) and kept read
 * took about 0.8 KB each.
 */
export function transientRule(policy: PolicyId, rule: string, endpointSelector: unknown, load: () => RuleSource, options: EvaluatorOptions = {}): Rule {
  return new TransientRule(policy, rule, endpointSelector, load, options);
}

/**
 * An object per rule with its methods on the prototype: the editor keeps thousands of these, and
 * an object literal with getters over closures took about a kilobyte each.
 */
class LazyRule implements Rule {
  readonly subject: Rule["subject"];
  readonly namespace: string | undefined;
  private body: Rule | undefined;
  /** Its defaultDeny, when that alone was asked for (see the getter). */
  private defaultDenyOnly: Rule["defaultDeny"] | undefined;

  constructor(
    readonly policy: PolicyId,
    readonly rule: string,
    endpointSelector: unknown,
    /** Dropped once read: it holds what the rule is built from. */
    private load: (() => RuleSource) | undefined,
    private readonly options: EvaluatorOptions,
  ) {
    this.subject = this.guard(() => endpointSubject(endpointSelector, rule, this.ctx()));
    this.namespace = policy.kind === "CiliumNetworkPolicy" ? policy.namespace : undefined;
  }

  /**
   * Read, but the rest of the rule not kept: whether a pod is default-deny is asked of every rule
   * that selects it, and `expect default deny` asks it of a pod of every namespace, whose
   * namespace-wide rules are often the tenant's largest (about 4 KB each, read).
   */
  get defaultDeny(): Rule["defaultDeny"] {
    if (this.body) return this.body.defaultDeny;
    return (this.defaultDenyOnly ??= this.readNow(this.load!).defaultDeny);
  }

  get sections(): Rule["sections"] {
    return this.read().sections;
  }

  private ctx(): Ctx {
    const { policy, options } = this;
    return { kind: policy.kind, namespace: policy.namespace, options, cluster: options.clusterName ?? "default", initSubject: false };
  }

  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof Reject) throw new Error(`${policyText(this.policy)} ${this.rule} would be rejected by the Cilium agent (a ztc bug): ${e.message}`);
      throw e;
    }
  }

  protected read(): Rule {
    if (!this.body) {
      this.body = this.readNow(this.load!);
      this.load = undefined;
    }
    return this.body;
  }

  protected readNow(load: () => RuleSource): Rule {
    return this.guard(() => {
      const { spec, trace } = load();
      return readRule(spec, this.rule, this.policy, parseRulesAnnotation(typeof trace === "string" ? trace : trace.join("\n")), this.ctx());
    });
  }
}

/** The last transient rule read: the evaluator reads a rule's sections several times in a row. */
let lastTransient: { readonly rule: TransientRule; readonly body: Rule } | undefined;

class TransientRule extends LazyRule {
  constructor(policy: PolicyId, rule: string, endpointSelector: unknown, private readonly source: () => RuleSource, options: EvaluatorOptions) {
    super(policy, rule, endpointSelector, undefined, options);
  }

  protected override read(): Rule {
    if (lastTransient?.rule !== this) lastTransient = { rule: this, body: this.readNow(this.source) };
    return lastTransient.body;
  }

  override get defaultDeny(): Rule["defaultDeny"] {
    return this.read().defaultDeny;
  }
}

export interface ReadResult {
  readonly rules: readonly Rule[];
  readonly problems: readonly PolicyProblem[];
}

/** Reads every policy; an object any of whose rules the agent would reject contributes nothing (B10). */
export function readPolicies(objects: readonly unknown[], options: EvaluatorOptions = {}): ReadResult {
  const rules: Rule[] = [];
  const problems: PolicyProblem[] = [];
  const cluster = options.clusterName ?? "default";
  objects.forEach((o, index) => {
    if (!isObj(o)) {
      problems.push({ index, message: "not an object" });
      return;
    }
    const kind = o["kind"];
    if (kind !== "CiliumNetworkPolicy" && kind !== "CiliumClusterwideNetworkPolicy") {
      problems.push({ index, message: `kind ${String(kind)} is not a Cilium network policy; ignored` });
      return;
    }
    const meta = isObj(o["metadata"]) ? o["metadata"] : {};
    const namespace = kind === "CiliumNetworkPolicy" ? String(meta["namespace"] ?? "default") : undefined;
    const policy: PolicyId = { kind, name: String(meta["name"] ?? ""), namespace };
    const annotations = isObj(meta["annotations"]) ? meta["annotations"] : {};
    const trace = parseRulesAnnotation(typeof annotations["ztc.io/rules"] === "string" ? (annotations["ztc.io/rules"] as string) : undefined);
    const ctx: Ctx = { kind, namespace, options, cluster, initSubject: false };
    try {
      const mine: Rule[] = [];
      if (o["spec"] !== undefined && o["spec"] !== null) mine.push(readRule(o["spec"], "spec", policy, trace, ctx));
      (list(o["specs"]) ?? []).forEach((s, i) => mine.push(readRule(s, `specs[${i}]`, policy, trace, ctx)));
      if (mine.length === 0) throw new Reject("it has neither spec nor specs (§0)");
      rules.push(...mine);
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      problems.push({ index, policy, message: `rejected by the Cilium agent, none of its rules apply: ${e.message}` });
    }
  });
  return { rules, problems };
}

export { splitKey };
