/**
 * Canonical, order-free meaning of a set of CiliumNetworkPolicies / CiliumClusterwideNetworkPolicies,
 * so that an upstream example and ztc's output for it can be compared rule for rule.
 *
 * Policies become "atoms": one per (subject, direction, allow/deny, single peer, single port and
 * protocol, single L7 rule). Cilium's own implicit rules are applied while doing so (the section
 * references are to ../shared/reference/cilium-semantics.md), so that different spellings of the
 * same policy give the same atoms and different policies give different ones. Whether a set of
 * policies turns default deny on is recorded apart, per subject and direction (B1).
 *
 * This file deliberately shares no code with the compiler: it is the judge, not the defendant.
 */

export interface NormaliseOptions {
  /** The namespace of a CiliumNetworkPolicy without `metadata.namespace` (upstream examples: `default`). */
  readonly defaultNamespace?: string;
  /**
   * The local cluster's name. Since Cilium 1.19 (`policy-default-local-cluster`, B3) an endpoint
   * selector that names no cluster means this cluster only; and in a subject, a requirement on
   * the local cluster's name always holds (a policy only ever selects local endpoints).
   */
  readonly localCluster?: string;
}

export type Direction = "ingress" | "egress";

export interface Atom {
  readonly subject: string;
  readonly direction: Direction;
  readonly action: "allow" | "deny";
  readonly peer: string;
  /** `TCP/80`, `TCP/4096-8191`, `TCP/*` (every TCP port), `TCP/http` (named), `ICMPv4/8`, or `*` (everything). */
  readonly port: string;
  /** `l4` (no L7 rule), `http{...}`, `dns:...`, plus any field ztc's normaliser does not model, spelled out. */
  readonly l7: string;
  readonly key: string;
}

/** One selector as a sorted set of requirements (`k=v`, `k`, `!k`, `k notin (a,b)`); empty = everything. */
export type Requirements = readonly string[];

export interface DefaultDenyFact {
  readonly subject: Requirements;
  /** `pods` or `nodes`: endpoint and node selectors never select the same things (B6). */
  readonly on: "pods" | "nodes";
  readonly direction: Direction;
  /** `on`: the rules turn default deny on; `off`: they have rules in that direction but say enableDefaultDeny: false. */
  readonly mode: "on" | "off";
  readonly key: string;
}

export interface Normalised {
  readonly atoms: Map<string, Atom>;
  readonly defaultDeny: Map<string, DefaultDenyFact>;
  /**
   * ztc's per-namespace default-deny policies (`ztc.io/policy: default-deny`, exactly
   * `endpointSelector: {}, ingress: [{}], egress: [{}]`): ztc emits one for every tenant namespace
   * by design, so they may only ever make up for a default deny the other side asks for.
   */
  readonly ztcDefaultDeny: Map<string, DefaultDenyFact>;
  /**
   * The DNS-proxy entries ztc adds to subjects with host (toFQDNs) rules (B4), recognised by
   * their trace line in the `ztc.io/rules` annotation. Compared only where the other side has a
   * DNS rule of its own on the same peer and port (see compare()).
   */
  readonly ztcDnsProxy: Map<string, Atom>;
}

type Json = unknown;
type Obj = Record<string, Json>;

export const NAMESPACE_KEY = "io.kubernetes.pod.namespace";
export const CLUSTER_KEY = "io.cilium.k8s.policy.cluster";
const NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";
/** Beyond this many alternatives, `In` lists are kept as they are rather than split (see splitIn). */
const MAX_ALTERNATIVES = 256;
const ZTC_POLICY_LABEL = "ztc.io/policy";
const ZTC_RULES_ANNOTATION = "ztc.io/rules";
/** The trace note ztc writes for its DNS-proxy entries (compiler/emit.ts dnsProxyEntry). */
const ZTC_DNS_PROXY_NOTE = "DNS through the cluster resolver's DNS proxy";

function isObj(x: Json): x is Obj {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function list(x: Json): Json[] {
  return Array.isArray(x) ? x : [];
}

/** Stable JSON with sorted keys, for fields the normaliser passes through without modelling them. */
export function canonicalJson(x: Json): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(",")}]`;
  if (isObj(x))
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(x[k])}`)
      .join(",")}}`;
  return JSON.stringify(x);
}

// ---------------------------------------------------------------------------------------------
// Selectors

/**
 * `k8s:app`, `any:app` and `app` are the same key here. Strictly, `k8s:` only matches labels from
 * the Kubernetes source and `any:` (what an unprefixed key becomes, A4) matches every source; pods
 * get their labels from Kubernetes, so for the pods these examples select they coincide.
 * `reserved:` and other sources are kept.
 */
export function canonicalKey(key: string): string {
  if (key.startsWith("k8s:")) return key.slice(4);
  if (key.startsWith("any:")) return key.slice(4);
  return key;
}

interface Requirement {
  readonly key: string;
  readonly op: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values: readonly string[];
}

function requirementsOf(sel: Json): Requirement[] {
  if (!isObj(sel)) return [];
  const out: Requirement[] = [];
  if (isObj(sel["matchLabels"]))
    for (const [k, v] of Object.entries(sel["matchLabels"])) out.push({ key: canonicalKey(k), op: "In", values: [String(v ?? "")] });
  for (const e of list(sel["matchExpressions"])) {
    if (!isObj(e)) continue;
    const op = String(e["operator"]) as Requirement["op"];
    out.push({ key: canonicalKey(String(e["key"])), op, values: list(e["values"]).map((v) => String(v)) });
  }
  return out;
}

function requirementText(r: Requirement): string {
  switch (r.op) {
    case "In":
      return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${[...new Set(r.values)].sort().join(",")})`;
    case "NotIn":
      return `${r.key} notin (${[...new Set(r.values)].sort().join(",")})`;
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
    default:
      return `${r.key} ${String(r.op)} (${r.values.join(",")})`;
  }
}

/**
 * A requirement `k In (a, b)` matches exactly the union of `k=a` and `k=b`; peers and subjects
 * are unions anyway, so such a selector becomes one alternative per value. This makes an `In`
 * list and the same values written as separate selectors (or, in ztc, one selector per
 * namespace of a tenant) compare equal.
 */
function splitIn(reqs: readonly Requirement[]): Requirement[][] {
  let alts: Requirement[][] = [[]];
  for (const r of reqs) {
    const values = [...new Set(r.values)];
    if (r.op === "In" && values.length > 1 && alts.length * values.length <= MAX_ALTERNATIVES)
      alts = alts.flatMap((a) => values.map((v) => [...a, { key: r.key, op: "In" as const, values: [v] }]));
    else alts = alts.map((a) => [...a, r]);
  }
  return alts;
}

/** Sorted, deduplicated requirement texts; `k` (Exists) goes when `k=v` already requires it. */
function canonicalRequirements(reqs: readonly Requirement[]): Requirements {
  const texts = new Set(reqs.map(requirementText));
  for (const r of reqs) if (r.op === "In") texts.delete(r.key);
  return [...texts].sort();
}

export function selectorText(reqs: Requirements): string {
  return `{${reqs.join(", ")}}`;
}

// ---------------------------------------------------------------------------------------------
// Peers, ports and L7 rules

const L3_KEYS = {
  ingress: ["fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet", "fromNodes", "fromGroups", "fromRequires"],
  egress: ["toEndpoints", "toEntities", "toCIDR", "toCIDRSet", "toFQDNs", "toServices", "toNodes", "toGroups", "toRequires"],
} as const;

/** IPv6 written in its canonical (compressed, lower-case) form; IPv4 as it is. */
export function canonicalCidr(cidr: string): string {
  const [addr, len] = cidr.trim().split("/");
  if (addr === undefined) return cidr;
  let a = addr;
  if (addr.includes(":")) {
    try {
      a = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
    } catch {
      a = addr.toLowerCase();
    }
  }
  return len === undefined ? a : `${a}/${len}`;
}

/**
 * FQDN names and patterns match case-insensitively and whole, with a trailing dot implied (A31);
 * a pattern without `*` matches exactly one name, so it is that name.
 */
function fqdnText(sel: Json): string {
  if (!isObj(sel)) return `fqdn?${canonicalJson(sel)}`;
  const clean = (s: Json) => String(s).trim().toLowerCase().replace(/\.$/, "");
  if (sel["matchName"] !== undefined) return `name:${clean(sel["matchName"])}`;
  if (sel["matchPattern"] !== undefined) {
    const p = clean(sel["matchPattern"]);
    return p.includes("*") ? `pattern:${p}` : `name:${p}`;
  }
  return `fqdn?${canonicalJson(sel)}`;
}

/**
 * HTTP `method`, `path` and `host` are RE2 expressions matched against the whole value (B9), so
 * `^GET$` and `GET` are the same rule. Only one leading `^` and one unescaped trailing `$` are
 * removed; anything else is compared as written.
 */
function unanchor(re: string): string {
  let s = re;
  if (s.startsWith("^")) s = s.slice(1);
  if (s.endsWith("$") && !s.endsWith("\\$")) s = s.slice(0, -1);
  return s;
}

function httpText(rule: Json): string {
  if (!isObj(rule)) return `http?${canonicalJson(rule)}`;
  const parts: string[] = [];
  for (const k of Object.keys(rule).sort()) {
    const v = rule[k];
    if (k === "method" || k === "path" || k === "host") parts.push(`${k}=${unanchor(String(v))}`);
    else if (k === "headers") parts.push(`headers=${canonicalJson([...list(v)].map(String).sort())}`);
    else if (k === "headerMatches") parts.push(`headerMatches=${canonicalJson([...list(v)].map(canonicalJson).sort())}`);
    else parts.push(`${k}=${canonicalJson(v)}`);
  }
  return `http{${parts.join(" ")}}`;
}

/** The L7 rules of one toPorts item, one per atom; `l4` when there are none. */
function l7Texts(item: Obj): string[] {
  const extras = Object.keys(item)
    .filter((k) => k !== "ports" && k !== "rules")
    .sort()
    .map((k) => ` +${k}=${canonicalJson(item[k])}`)
    .join("");
  const rules = item["rules"];
  const out: string[] = [];
  if (isObj(rules)) {
    for (const k of Object.keys(rules).sort()) {
      const v = rules[k];
      if (k === "http") for (const r of list(v)) out.push(httpText(r));
      else if (k === "dns") for (const r of list(v)) out.push(`dns:${fqdnText(r)}`);
      else for (const r of list(v)) out.push(`${k}:${canonicalJson(r)}`);
    }
  }
  if (out.length === 0) out.push("l4");
  return [...new Set(out)].map((t) => t + extras);
}

const ALL_PROTOCOLS = ["TCP", "UDP", "SCTP"];

/** One text per protocol: ANY (or no protocol) is TCP, UDP and SCTP (A17); port 0 or none is every port. */
function portTexts(p: Json): string[] {
  if (!isObj(p)) return [`?${canonicalJson(p)}`];
  const proto = p["protocol"] === undefined ? "ANY" : String(p["protocol"]).toUpperCase();
  const protocols = proto === "ANY" ? ALL_PROTOCOLS : [proto];
  const raw = p["port"] === undefined ? "0" : String(p["port"]).trim();
  let port: string;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    const end = p["endPort"] === undefined ? undefined : Number(p["endPort"]);
    // endPort is ignored when it is not above port, and with port 0 (A18).
    port = n === 0 ? "*" : end !== undefined && end > n ? `${n}-${end}` : String(n);
  } else port = raw.toLowerCase();
  return protocols.map((pr) => `${pr}/${port}`);
}

const ICMP_NAMES: Record<"IPv4" | "IPv6", Record<string, number>> = {
  IPv4: {
    EchoReply: 0,
    DestinationUnreachable: 3,
    Redirect: 5,
    Echo: 8,
    EchoRequest: 8,
    RouterAdvertisement: 9,
    RouterSelection: 10,
    TimeExceeded: 11,
    ParameterProblem: 12,
    Timestamp: 13,
    TimestampReply: 14,
    Photuris: 40,
    ExtendedEchoRequest: 42,
    ExtendedEchoReply: 43,
  },
  IPv6: {
    DestinationUnreachable: 1,
    PacketTooBig: 2,
    TimeExceeded: 3,
    ParameterProblem: 4,
    EchoRequest: 128,
    EchoReply: 129,
    MulticastListenerQuery: 130,
    MulticastListenerReport: 131,
    MulticastListenerDone: 132,
    RouterSolicitation: 133,
    RouterAdvertisement: 134,
    NeighborSolicitation: 135,
    NeighborAdvertisement: 136,
    RedirectMessage: 137,
    RouterRenumbering: 138,
    ICMPNodeInformationQuery: 139,
    ICMPNodeInformationResponse: 140,
    InverseNeighborDiscoverySolicitation: 141,
    InverseNeighborDiscoveryAdvertisement: 142,
    HomeAgentAddressDiscoveryRequest: 144,
    HomeAgentAddressDiscoveryReply: 145,
    MobilePrefixSolicitation: 146,
    MobilePrefixAdvertisement: 147,
    DuplicateAddressRequestCodeSuffix: 157,
    DuplicateAddressConfirmationCodeSuffix: 158,
    ExtendedEchoRequest: 160,
    ExtendedEchoReply: 161,
  },
};

/** ICMP types by number, names resolved per family (A32); family defaults to IPv4. */
function icmpTexts(icmps: Json): string[] {
  const out: string[] = [];
  for (const rule of list(icmps))
    for (const f of list(isObj(rule) ? rule["fields"] : undefined)) {
      if (!isObj(f)) continue;
      const family = f["family"] === "IPv6" ? "IPv6" : "IPv4";
      const t = f["type"];
      const n = typeof t === "number" ? t : /^\d+$/.test(String(t)) ? Number(t) : ICMP_NAMES[family][String(t)];
      out.push(`ICMP${family === "IPv4" ? "v4" : "v6"}/${n ?? String(t)}`);
    }
  return out;
}

/** (port, l7) pairs of one rule entry. */
function portL7(entry: Obj): [string, string][] {
  const out: [string, string][] = [];
  const hasPorts = entry["toPorts"] !== undefined;
  const hasIcmps = entry["icmps"] !== undefined;
  if (hasPorts)
    for (const item of list(entry["toPorts"])) {
      if (!isObj(item)) continue;
      // A toPorts item without ports contributes nothing (A19).
      const ports = list(item["ports"]).flatMap(portTexts);
      const l7 = l7Texts(item);
      for (const p of ports) for (const r of l7) out.push([p, r]);
    }
  if (hasIcmps) for (const t of icmpTexts(entry["icmps"])) out.push([t, "l4"]);
  if (!hasPorts && !hasIcmps) out.push(["*", "l4"]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Policies

interface Context {
  readonly kind: "CNP" | "CCNP";
  readonly namespace: string;
  readonly localCluster: string;
  /** CCNP peers get no implicit namespace when the subject selects reserved:init (B3). */
  readonly subjectIsInit: boolean;
}

/** Endpoint (or node) selector of a peer, with the namespace and cluster Cilium adds (B3). */
function peerSelectors(sel: Json, ctx: Context, nodes: boolean): Requirements[] {
  const reqs = requirementsOf(sel);
  const keys = reqs.map((r) => r.key);
  if (!keys.some((k) => k.startsWith("reserved:"))) {
    if (!nodes && !keys.some((k) => k === NAMESPACE_KEY || k.startsWith(NAMESPACE_LABELS_PREFIX))) {
      if (ctx.kind === "CNP") reqs.push({ key: NAMESPACE_KEY, op: "In", values: [ctx.namespace] });
      else if (!ctx.subjectIsInit) reqs.push({ key: NAMESPACE_KEY, op: "Exists", values: [] });
    }
    if (!keys.includes(CLUSTER_KEY)) reqs.push({ key: CLUSTER_KEY, op: "In", values: [ctx.localCluster] });
  }
  return splitIn(reqs).map(canonicalRequirements);
}

function peersOf(entry: Obj, direction: Direction, ctx: Context): string[] {
  const present = L3_KEYS[direction].filter((k) => entry[k] !== undefined);
  // No L3 member at all: with toPorts (or icmps) it is every peer (B2), the wildcard that
  // `entities: [all]` also stands for. With neither, the entry allows nothing (it only counts
  // for default deny), which portL7 cannot express: callers skip such entries.
  if (present.length === 0) return ["entity:all"];
  const out: string[] = [];
  for (const k of present) {
    const v = entry[k];
    switch (k) {
      case "fromEndpoints":
      case "toEndpoints":
        for (const s of list(v)) for (const r of peerSelectors(s, ctx, false)) out.push(`endpoints${selectorText(r)}`);
        break;
      case "fromNodes":
      case "toNodes":
        for (const s of list(v)) for (const r of peerSelectors(s, ctx, true)) out.push(`nodes${selectorText(r)}`);
        break;
      case "fromEntities":
      case "toEntities":
        for (const e of list(v)) out.push(`entity:${String(e)}`);
        break;
      case "fromCIDR":
      case "toCIDR":
        for (const c of list(v)) out.push(`cidr:${canonicalCidr(String(c))}`);
        break;
      case "fromCIDRSet":
      case "toCIDRSet":
        for (const c of list(v)) {
          if (!isObj(c)) continue;
          const except = list(c["except"]).map((e) => canonicalCidr(String(e))).sort();
          const tail = except.length > 0 ? ` except ${except.join(",")}` : "";
          if (c["cidr"] !== undefined) out.push(`cidr:${canonicalCidr(String(c["cidr"]))}${tail}`);
          else if (c["cidrGroupRef"] !== undefined) out.push(`cidrgroup:${String(c["cidrGroupRef"])}${tail}`);
          else if (c["cidrGroupSelector"] !== undefined) {
            for (const r of splitIn(requirementsOf(c["cidrGroupSelector"])).map(canonicalRequirements)) out.push(`cidrgroups${selectorText(r)}${tail}`);
          } else out.push(`cidrset?${canonicalJson(c)}`);
        }
        break;
      case "toFQDNs":
        for (const f of list(v)) out.push(`fqdn:${fqdnText(f)}`);
        break;
      case "toServices":
        for (const s of list(v)) {
          if (!isObj(s)) continue;
          // A service reference without a namespace matches the service in any namespace (B8).
          if (isObj(s["k8sService"])) {
            const ref = s["k8sService"];
            out.push(`service:${ref["namespace"] ? String(ref["namespace"]) : "*"}/${String(ref["serviceName"])}`);
          } else if (isObj(s["k8sServiceSelector"])) {
            const ref = s["k8sServiceSelector"];
            const ns = ref["namespace"] ? String(ref["namespace"]) : "*";
            for (const r of splitIn(requirementsOf(ref["selector"])).map(canonicalRequirements)) out.push(`services${selectorText(r)} in ${ns}`);
          } else out.push(`service?${canonicalJson(s)}`);
        }
        break;
      default:
        // fromGroups/toGroups (AWS), fromRequires/toRequires (removed): kept whole, so that
        // they can only ever compare equal to the same thing.
        out.push(`${k}:${canonicalJson(v)}`);
    }
  }
  return out;
}

const ENTRY_KNOWN = new Set<string>([...L3_KEYS.ingress, ...L3_KEYS.egress, "toPorts", "icmps"]);

function entryExtras(entry: Obj): string {
  return Object.keys(entry)
    .filter((k) => !ENTRY_KNOWN.has(k))
    .sort()
    .map((k) => ` +${k}=${canonicalJson(entry[k])}`)
    .join("");
}

function atomOf(subject: string, direction: Direction, action: "allow" | "deny", peer: string, port: string, l7: string): Atom {
  return { subject, direction, action, peer, port, l7, key: `${subject} ${direction} ${action} ${peer} ${port} ${l7}` };
}

function factOf(subject: Requirements, on: "pods" | "nodes", direction: Direction, mode: "on" | "off"): DefaultDenyFact {
  return { subject, on, direction, mode, key: `${on}${selectorText(subject)} ${direction} default-deny ${mode}` };
}

const SPEC_KNOWN = new Set(["endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny", "enableDefaultDeny", "description", "labels"]);

function isZtcDefaultDeny(doc: Obj, rule: Obj): boolean {
  const labels = isObj(doc["metadata"]) && isObj(doc["metadata"]["labels"]) ? doc["metadata"]["labels"] : {};
  if (labels[ZTC_POLICY_LABEL] !== "default-deny") return false;
  const { description: _d, ...rest } = rule;
  return canonicalJson(rest) === canonicalJson({ endpointSelector: {}, ingress: [{}], egress: [{}] });
}

/** `spec.egress[3]` / `specs[1].egress[0]` entries that ztc's trace marks as its DNS-proxy rule. */
function ztcDnsProxyEntries(doc: Obj): Set<string> {
  const annotations = isObj(doc["metadata"]) && isObj(doc["metadata"]["annotations"]) ? doc["metadata"]["annotations"] : {};
  const trace = annotations[ZTC_RULES_ANNOTATION];
  const out = new Set<string>();
  if (typeof trace !== "string") return out;
  for (const line of trace.split("\n")) {
    const m = /^(spec|specs\[\d+\])\.egress\[(\d+)\]: (.*)$/.exec(line);
    if (m && m[3]!.startsWith(ZTC_DNS_PROXY_NOTE)) out.add(`${m[1]}.egress[${m[2]}]`);
  }
  return out;
}

function emptyNormalised(): Normalised {
  return { atoms: new Map(), defaultDeny: new Map(), ztcDefaultDeny: new Map(), ztcDnsProxy: new Map() };
}

/** Only Cilium policies count; other documents (Deployments, Services) in an example are skipped. */
export function isCiliumPolicy(doc: Json): doc is Obj {
  return isObj(doc) && (doc["kind"] === "CiliumNetworkPolicy" || doc["kind"] === "CiliumClusterwideNetworkPolicy");
}

export function normalise(docs: readonly Json[], options: NormaliseOptions = {}): Normalised {
  const out = emptyNormalised();
  const localCluster = options.localCluster ?? "default";
  for (const doc of docs) {
    if (!isCiliumPolicy(doc)) continue;
    const kind = doc["kind"] === "CiliumClusterwideNetworkPolicy" ? "CCNP" : "CNP";
    const meta = isObj(doc["metadata"]) ? doc["metadata"] : {};
    const namespace = kind === "CNP" ? String(meta["namespace"] ?? options.defaultNamespace ?? "default") : "";
    const proxyEntries = ztcDnsProxyEntries(doc);
    const rules: [string, Json][] = [];
    if (doc["spec"] !== undefined) rules.push(["spec", doc["spec"]]);
    list(doc["specs"]).forEach((r, i) => rules.push([`specs[${i}]`, r]));
    for (const [path, rule] of rules) {
      if (!isObj(rule)) continue;
      const ztcDefault = isZtcDefaultDeny(doc, rule);
      const onNodes = rule["nodeSelector"] !== undefined;
      const on = onNodes ? "nodes" : "pods";
      const subjectReqs = requirementsOf(onNodes ? rule["nodeSelector"] : rule["endpointSelector"]);
      const subjectIsInit = subjectReqs.some((r) => r.key === "reserved:init");
      let subjectAlts: Requirements[];
      if (kind === "CNP" && !onNodes) {
        // The agent replaces whatever namespace the subject names with the policy's own (B3).
        const own = subjectReqs.filter((r) => r.key !== NAMESPACE_KEY);
        own.push({ key: NAMESPACE_KEY, op: "In", values: [namespace] });
        subjectAlts = splitIn(own).map(canonicalRequirements);
      } else subjectAlts = splitIn(subjectReqs).map(canonicalRequirements);
      subjectAlts = subjectAlts.map((s) => s.filter((r) => r !== `${CLUSTER_KEY}=${localCluster}`));
      const ctx: Context = { kind, namespace, localCluster, subjectIsInit };
      const edd = isObj(rule["enableDefaultDeny"]) ? rule["enableDefaultDeny"] : {};

      for (const subject of subjectAlts) {
        const subjectText = `${on}${selectorText(subject)}`;
        for (const direction of ["ingress", "egress"] as const) {
          const denyKey = direction === "ingress" ? "ingressDeny" : "egressDeny";
          const hasRules = list(rule[direction]).length > 0 || list(rule[denyKey]).length > 0;
          const explicit = edd[direction];
          // B1: unset enableDefaultDeny means "on" when the rule has entries in that direction.
          // An explicit false only matters where the rule has entries (else nothing selects it).
          const mode = typeof explicit === "boolean" ? (explicit ? "on" : hasRules ? "off" : undefined) : hasRules ? "on" : undefined;
          if (mode) {
            const f = factOf(subject, on, direction, mode);
            (ztcDefault ? out.ztcDefaultDeny : out.defaultDeny).set(f.key, f);
          }
          if (ztcDefault) continue;
          for (const [section, action] of [
            [direction, "allow"],
            [denyKey, "deny"],
          ] as const) {
            list(rule[section]).forEach((entry, i) => {
              if (!isObj(entry)) return;
              const hasL3 = L3_KEYS[direction].some((k) => entry[k] !== undefined);
              if (!hasL3 && entry["toPorts"] === undefined && entry["icmps"] === undefined) return;
              const extras = entryExtras(entry);
              const target = proxyEntries.has(`${path}.${section}[${i}]`) && action === "allow" ? out.ztcDnsProxy : out.atoms;
              for (const peer of peersOf(entry, direction, ctx))
                for (const [port, l7] of portL7(entry)) {
                  const a = atomOf(subjectText, direction, action, peer, port, l7 + extras);
                  target.set(a.key, a);
                }
            });
          }
        }
        // Rule fields the normaliser does not model (`log`, anything newer) become atoms of
        // their own, so that they are compared rather than dropped.
        for (const k of Object.keys(rule).filter((k) => !SPEC_KNOWN.has(k)).sort()) {
          const a = atomOf(subjectText, "ingress", "allow", `spec:${k}`, canonicalJson(rule[k]), "-");
          out.atoms.set(a.key, a);
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison

export interface Comparison {
  /** Atoms only the expected side (upstream) has. */
  readonly missing: string[];
  /** Atoms only the actual side (ztc) has. */
  readonly extra: string[];
  /** Default-deny facts of the expected side the actual side does not provide. */
  readonly defaultDenyMissing: string[];
  /** Default-deny facts of the actual side (outside ztc's per-namespace default deny) the expected side lacks. */
  readonly defaultDenyExtra: string[];
}

/** `outer` selects every endpoint `inner` selects: all of its requirements are among inner's. */
function covers(outer: DefaultDenyFact, inner: DefaultDenyFact): boolean {
  return outer.on === inner.on && outer.direction === inner.direction && outer.mode === inner.mode && outer.subject.every((r) => inner.subject.includes(r));
}

/**
 * Compares `actual` (ztc's output) with `expected` (upstream). Atoms must be equal as sets. For
 * default deny, an endpoint is in default deny if any rule selecting it wants it (B1), so an
 * "on" fact is satisfied by an "on" fact for a selector at least as wide; ztc's per-namespace
 * default-deny policies count only towards satisfying the expected side. "off" facts must match
 * exactly.
 */
export function compare(expected: Normalised, actual: Normalised): Comparison {
  const actualAtoms = new Map(actual.atoms);
  for (const a of actual.ztcDnsProxy.values()) {
    // ztc's DNS-proxy rule is compared where upstream has it too, and where upstream has a DNS
    // rule of its own on the same subject, peer and port: there ztc's `matchPattern: "*"` would
    // merge with it and widen the names it allows (B9), which is a difference in meaning.
    const mirrored = expected.atoms.has(a.key);
    const upstreamDns = [...expected.atoms.values()].some(
      (e) => e.subject === a.subject && e.direction === a.direction && e.action === a.action && e.peer === a.peer && e.port === a.port && e.l7.startsWith("dns:"),
    );
    if (mirrored || upstreamDns) actualAtoms.set(a.key, a);
  }
  const missing = [...expected.atoms.keys()].filter((k) => !actualAtoms.has(k)).sort();
  const extra = [...actualAtoms.keys()].filter((k) => !expected.atoms.has(k)).sort();

  const actualFacts = [...actual.defaultDeny.values()];
  const actualWithZtc = [...actualFacts, ...actual.ztcDefaultDeny.values()];
  const expectedFacts = [...expected.defaultDeny.values(), ...expected.ztcDefaultDeny.values()];
  const satisfied = (f: DefaultDenyFact, by: DefaultDenyFact[]) =>
    f.mode === "off" ? by.some((g) => g.key === f.key) : by.some((g) => covers(g, f));
  const defaultDenyMissing = expectedFacts.filter((f) => !satisfied(f, actualWithZtc)).map((f) => f.key).sort();
  const defaultDenyExtra = actualFacts.filter((f) => !satisfied(f, expectedFacts)).map((f) => f.key).sort();
  return { missing, extra, defaultDenyMissing, defaultDenyExtra };
}

export function isEquivalent(c: Comparison): boolean {
  return c.missing.length + c.extra.length + c.defaultDenyMissing.length + c.defaultDenyExtra.length === 0;
}

/** A diff of the atom sets, `-` for upstream only and `+` for ztc only; empty when equivalent. */
export function renderComparison(c: Comparison): string {
  return [
    ...c.missing.map((k) => `- ${k}`),
    ...c.extra.map((k) => `+ ${k}`),
    ...c.defaultDenyMissing.map((k) => `- ${k}`),
    ...c.defaultDenyExtra.map((k) => `+ ${k}`),
  ].join("\n");
}
