/**
 * The evaluator: the verdict for a flow under a set of CNPs/CCNPs, with the entries that decided it.
 *
 * Indexes, mirroring how the agent itself computes policy:
 * - rules by subject: CNP rules by namespace (a CNP selects only its own namespace, B3), CCNP
 *   endpoint rules and host (nodeSelector) rules in their own lists;
 * - per subject identity (memoised): the rules selecting it, its per-direction default deny (B1) and
 *   its allow and deny entries, like the agent's per-endpoint policy;
 * - per subject and peer identity (memoised): the entries whose L3 part matches, like the selector
 *   cache, over entry lists pre-split by the kind of peer they can match (pod, reserved, world);
 * - per subject, peer, protocol and port (memoised): the L4 decision, like the policy map.
 * Only L7 rules are decided per flow. Caches are bounded; `memoize: false` turns them off.
 */
import { matchesName, type FqdnPattern } from "../net/fqdn.js";
import { identityOf, selects, selectsNode, type Identity } from "./identity.js";
import type {
  Decision,
  Direction,
  DirectionDecision,
  DirectionReason,
  Endpoint,
  EntryRef,
  Flow,
  HttpRequest,
  HttpRuleJson,
  L7Decision,
  L7Rule,
  Verdict,
} from "./model.js";
import { POD, RESERVED, WORLD, policyText, readPolicies, type Block, type Entry, type EvaluatorOptions, type PeerPart, type PolicyProblem, type PortItem, type ReadResult, type Rule } from "./policy.js";

interface PeerMatch {
  readonly allows: readonly Entry[];
  readonly denies: readonly Entry[];
  readonly notes: readonly string[];
  /** Protocol and port -> the L4 decision (the policy-map lookup); L7 is decided per flow. Created on first use. */
  ports?: Map<number, L4Decision> | undefined;
}

interface L4Decision {
  readonly decision: DirectionDecision;
  /** The matching allow entries, when some of them carry L7 rules. */
  readonly l7?: readonly { entry: Entry; items: readonly MatchedItem[] }[] | undefined;
}

const PROTOCOL_CODES = new Map<string, number>([
  ["TCP", 0],
  ["UDP", 1],
  ["SCTP", 2],
  ["ICMPv4", 3],
  ["ICMPv6", 4],
]);
const MAX_PORTS_CACHED = 4096;

/** One number per protocol and port (or ICMP type). */
function portKey(flow: Flow): number {
  let code = PROTOCOL_CODES.get(flow.protocol);
  if (code === undefined) PROTOCOL_CODES.set(flow.protocol, (code = PROTOCOL_CODES.size));
  const n = flow.protocol === "ICMPv4" || flow.protocol === "ICMPv6" ? flow.icmpType : flow.port;
  return code * 65_537 + (n === undefined ? 65_536 : n);
}

interface DirPolicy {
  /** Some rule selects the subject (so it is enforced, default deny or not). */
  readonly selected: boolean;
  readonly defaultDeny: boolean;
  readonly defaultDenyBy: readonly EntryRef[];
  /** Allow and deny entries, by the kind of peer their L3 part can match at all (PEER_KINDS). */
  readonly allows: readonly (readonly Entry[])[];
  readonly denies: readonly (readonly Entry[])[];
  /** Egress: the DNS-proxy rules (allow entries with L7 dns) that toFQDNs depends on (B4). */
  readonly dnsRules: readonly { readonly ref: EntryRef; readonly pattern: FqdnPattern | undefined; readonly text: string }[];
  readonly peers: Map<number, PeerMatch>;
}

interface EndpointPolicy {
  /** Why the subject is not enforced at all, if it is not. */
  readonly notEnforced?: string | undefined;
  readonly ingress: DirPolicy;
  readonly egress: DirPolicy;
}

const MAX_CACHE = 50_000;
const WORLD_NOT_ENFORCED = "outside the cluster (world): no Cilium policy applies to it";

/** Peer kinds as indexes into DirPolicy.allows/denies (see Entry.kinds). */
const KIND_INDEX = { pod: 0, reserved: 1, world: 2 } as const;

function inBlock(b: Block, id: Identity): boolean {
  const a = id.address;
  if (!a || a.family !== b.family) return false;
  const bits = b.family === 4 ? 32 : 128;
  const under = (addr: bigint, len: number) => addr >> BigInt(bits - len) === a.addr >> BigInt(bits - len);
  if (!under(b.addr, b.len)) return false;
  return !b.except.some((e) => e.family === a.family && under(e.addr, e.len));
}

const CLUSTER_RESERVED = new Set(["host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver"]);

/** B5: which identities an entity selects. */
export function entityMatches(entity: string, id: Identity, localCluster: string): boolean {
  switch (entity) {
    case "all":
      return true;
    case "none":
      return false;
    case "world":
      return id.kind === "world";
    case "world-ipv4":
      return id.kind === "world" && id.address?.family !== 6;
    case "world-ipv6":
      return id.kind === "world" && id.address?.family !== 4;
    case "cluster":
      return (id.kind === "reserved" && CLUSTER_RESERVED.has(id.entity!)) || (id.kind === "pod" && id.cluster === localCluster);
    case "cluster-mesh":
      // Newer Cilium: the local cluster plus the pods of every remote cluster (inferred from identity aggregation).
      return (id.kind === "reserved" && CLUSTER_RESERVED.has(id.entity!)) || id.kind === "pod";
    default:
      return id.kind === "reserved" && id.entity === entity;
  }
}

// ---- L7

const regexCache = new Map<string, RegExp | null>();

/** Envoy matches method, path and host as RE2 regexes against the whole value (B9). */
export function fullMatch(pattern: string, value: string): boolean {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    let src = pattern.replace(/\(\?P</g, "(?<");
    let flags = "u";
    if (src.startsWith("(?i)")) {
      src = src.slice(4);
      flags += "i";
    }
    try {
      re = new RegExp(`^(?:${src})$`, flags);
    } catch {
      try {
        re = new RegExp(`^(?:${src})$`, flags.replace("u", ""));
      } catch {
        re = null;
      }
    }
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re !== null && re.test(value);
}

function header(req: HttpRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers ?? {})) if (k.toLowerCase() === lower) return v;
  if (lower === ":authority" || lower === "host") return req.host;
  if (lower === ":method") return req.method;
  if (lower === ":path") return req.path;
  return undefined;
}

/** One HTTP rule against a request: every given field must match (B9). */
export function httpRuleMatches(rule: HttpRuleJson, req: HttpRequest): boolean {
  if (rule.method !== undefined && rule.method !== "" && (req.method === undefined || !fullMatch(rule.method, req.method))) return false;
  if (rule.path !== undefined && rule.path !== "" && (req.path === undefined || !fullMatch(rule.path, req.path))) return false;
  if (rule.host !== undefined && rule.host !== "" && (req.host === undefined || !fullMatch(rule.host, req.host))) return false;
  for (const h of rule.headers ?? []) {
    // Cilium splits "Name: value" at the first space and trims the ':' (envoy_l7_rules_translator.go).
    const sp = h.indexOf(" ");
    if (sp < 0) {
      if (header(req, h) === undefined) return false;
    } else if (header(req, h.slice(0, sp).replace(/:+$/, "")) !== h.slice(sp + 1)) return false;
  }
  for (const hm of rule.headerMatches ?? []) {
    // A mismatch action (LOG, ADD, DELETE, REPLACE) handles the request instead of rejecting it.
    if (hm.mismatch) continue;
    if (hm.secret !== undefined) continue;
    const v = header(req, hm.name);
    if (hm.value === undefined || hm.value === "" ? v === undefined : v !== hm.value) return false;
  }
  return true;
}

// ---- the evaluator

const NOT_ENFORCED_DIR: DirPolicy = { selected: false, defaultDeny: false, defaultDenyBy: [], allows: [[], [], []], denies: [[], [], []], dnsRules: [], peers: new Map() };

/**
 * The rules as the evaluator looks them up: CNP rules by namespace (a CNP selects only its own
 * namespace, B3), CCNP endpoint rules, host (nodeSelector) rules, each in input order. The editor
 * builds one per snapshot from the previous snapshot's parts (compiler/evaluation.ts), so that an
 * edit of one tenant indexes only that tenant's rules again.
 */
export interface RuleIndex {
  namespaced(namespace: string): readonly Rule[];
  readonly clusterwide: readonly Rule[];
  readonly hosts: readonly Rule[];
  /** Every rule and every problem, in input order (only tools and tests read them: may be made when asked). */
  readonly rules: readonly Rule[];
  readonly problems: readonly PolicyProblem[];
}

/** The index of rules read at once. */
export function indexRules(read: ReadResult): RuleIndex {
  const byNamespace = new Map<string, Rule[]>();
  const clusterwide: Rule[] = [];
  const hosts: Rule[] = [];
  for (const r of read.rules) {
    if (r.subject.kind === "nodes") hosts.push(r);
    else if (r.namespace !== undefined) {
      const l = byNamespace.get(r.namespace);
      if (l) l.push(r);
      else byNamespace.set(r.namespace, [r]);
    } else clusterwide.push(r);
  }
  return { namespaced: (ns) => byNamespace.get(ns) ?? NO_RULES, clusterwide, hosts, rules: read.rules, problems: read.problems };
}

const isIndex = (x: ReadResult | RuleIndex): x is RuleIndex => typeof (x as Partial<RuleIndex>).namespaced === "function";

export class Evaluator {
  private readonly index: RuleIndex;
  private readonly clusterwide: readonly Rule[];
  private readonly hostRules: readonly Rule[];
  private readonly identities = new WeakMap<Endpoint, Identity>();
  /** Identity key -> a small number, so the caches below hash integers, not long label strings. */
  private readonly ids = new Map<string, number>();
  private readonly numbers = new WeakMap<Identity, number>();
  private readonly policies = new Map<number, EndpointPolicy>();
  private readonly cluster: string;
  private readonly memoize: boolean;

  /** `read`: the objects already read with these options (the editor reads each policy once, not per snapshot), or indexed. */
  constructor(
    objects: readonly unknown[],
    readonly options: EvaluatorOptions = {},
    read: ReadResult | RuleIndex = readPolicies(objects, options),
  ) {
    this.index = isIndex(read) ? read : indexRules(read);
    this.clusterwide = this.index.clusterwide;
    this.hostRules = this.index.hosts;
    this.cluster = options.clusterName ?? "default";
    this.memoize = options.memoize ?? true;
  }

  get problems(): readonly PolicyProblem[] {
    return this.index.problems;
  }

  get rules(): readonly Rule[] {
    return this.index.rules;
  }

  identity(e: Endpoint): Identity {
    let id = this.identities.get(e);
    if (!id) {
      id = identityOf(e, this.cluster);
      this.identities.set(e, id);
      let n = this.ids.get(id.key);
      if (n === undefined) {
        if (this.ids.size >= 1_000_000) this.resetCaches();
        this.ids.set(id.key, (n = this.ids.size));
      }
      this.numbers.set(id, n);
    }
    return id;
  }

  private number(id: Identity): number {
    let n = this.numbers.get(id);
    if (n === undefined) {
      n = this.ids.get(id.key);
      if (n === undefined) this.ids.set(id.key, (n = this.ids.size));
      this.numbers.set(id, n);
    }
    return n;
  }

  private resetCaches(): void {
    this.ids.clear();
    this.policies.clear();
  }

  /** The rules that may select a pod of the namespace: its own policies' and the cluster-wide ones. */
  podRules(namespace: string): { readonly namespaced: readonly Rule[]; readonly clusterwide: readonly Rule[] } {
    return { namespaced: this.index.namespaced(namespace), clusterwide: this.clusterwide };
  }

  /** The rules that select an identity as their subject. */
  selecting(id: Identity): Rule[] {
    if (id.kind === "pod") {
      const out: Rule[] = [];
      for (const r of this.index.namespaced(id.namespace!)) if (selects(r.subject.selector, id)) out.push(r);
      for (const r of this.clusterwide) if (selects(r.subject.selector, id)) out.push(r);
      return out;
    }
    if (id.kind === "reserved" && (id.entity === "host" || id.entity === "remote-node")) return this.hostRules.filter((r) => selectsNode(r.subject.selector, id));
    if (id.kind === "reserved" && (id.entity === "health" || id.entity === "ingress" || id.entity === "init"))
      return this.clusterwide.filter((r) => selects(r.subject.selector, id));
    return [];
  }

  private endpointPolicy(id: Identity): EndpointPolicy {
    const n = this.number(id);
    let p = this.memoize ? this.policies.get(n) : undefined;
    if (p) return p;
    p = this.computeEndpointPolicy(id);
    if (this.memoize) {
      if (this.policies.size >= MAX_CACHE) this.policies.clear();
      this.policies.set(n, p);
    }
    return p;
  }

  /** Why no policy applies to the identity, if none does. */
  private notEnforced(id: Identity): string | undefined {
    if (id.kind === "world") return WORLD_NOT_ENFORCED;
    if (id.kind === "reserved" && (id.entity === "kube-apiserver" || id.entity === "unmanaged")) return `${id.entity} is not a Cilium endpoint: no policy applies to it`;
    if (id.kind === "reserved" && (id.entity === "host" || id.entity === "remote-node") && this.options.hostFirewall === false)
      return "the host firewall is off: host policies are not enforced (B6)";
    if (id.kind === "pod" && id.cluster !== this.cluster) return `a pod of cluster ${id.cluster}: its own cluster's policies apply there, not these`;
    return undefined;
  }

  private computeEndpointPolicy(id: Identity): EndpointPolicy {
    const notEnforced = this.notEnforced(id);
    if (notEnforced) return { notEnforced, ingress: NOT_ENFORCED_DIR, egress: NOT_ENFORCED_DIR };
    const rules = this.selecting(id);
    return { ingress: this.dirPolicy(rules, "ingress"), egress: this.dirPolicy(rules, "egress") };
  }

  private dirPolicy(rules: readonly Rule[], dir: Direction): DirPolicy {
    const deny = dir === "ingress" ? "ingressDeny" : "egressDeny";
    const defaultDenyBy: EntryRef[] = [];
    const allows: Entry[][] = [[], [], []];
    const denies: Entry[][] = [[], [], []];
    const add = (into: Entry[][], e: Entry) => {
      const bits = e.kinds;
      if (bits & POD) into[0]!.push(e);
      if (bits & RESERVED) into[1]!.push(e);
      if (bits & WORLD) into[2]!.push(e);
    };
    const dnsRules: DirPolicy["dnsRules"][number][] = [];
    for (const r of rules) {
      for (const e of r.sections[dir]) add(allows, e);
      for (const e of r.sections[deny]) add(denies, e);
      if (r.defaultDeny[dir]) {
        const first = r.sections[dir][0] ?? r.sections[deny][0];
        defaultDenyBy.push(
          first?.ref ?? { policy: r.policy, rule: r.rule, section: dir, entry: -1, path: `${r.rule === "spec" ? "spec" : r.rule}.enableDefaultDeny.${dir}`, sources: [] },
        );
      }
      if (dir === "egress")
        for (const e of r.sections.egress)
          if (e.l4?.kind === "ports") for (const it of e.l4.items) for (const d of it.l7?.dns ?? []) dnsRules.push({ ref: e.ref, pattern: d.pattern, text: d.text });
    }
    return { selected: rules.length > 0, defaultDeny: defaultDenyBy.length > 0, defaultDenyBy, allows, denies, dnsRules, peers: new Map() };
  }

  private partMatches(part: PeerPart, peer: Identity, dp: DirPolicy, notes: string[]): boolean {
    switch (part.kind) {
      case "selector":
        return selects(part.selector, peer);
      case "node":
        return peer.kind === "reserved" && (peer.entity === "host" || peer.entity === "remote-node") && selectsNode(part.selector, peer);
      case "entity":
        return entityMatches(part.entity, peer, this.cluster);
      case "cidr": {
        // CIDR rules never match Cilium-managed pods or nodes (B7).
        const eligible = peer.kind === "world" || (this.options.cidrMatchesNodes === true && peer.kind === "reserved" && (peer.entity === "host" || peer.entity === "remote-node"));
        if (!eligible) return false;
        if (!peer.address) {
          if (peer.names.length === 0) notes.push(`CIDR ${part.block.text} cannot be decided: the peer's address is not known`);
          return false;
        }
        return inBlock(part.block, peer);
      }
      case "fqdn": {
        // toFQDNs never matches in-cluster peers, and only names the DNS proxy let through have addresses (B4).
        if (peer.kind !== "world") return false;
        const names = peer.names.filter((n) => matchesName(part.pattern, n));
        if (names.length === 0) return false;
        if (dp.dnsRules.length === 0) {
          notes.push(`toFQDNs ${part.text} matches ${names[0]}, but no egress rule of the subject sends DNS through Cilium's DNS proxy, so Cilium never learns its addresses (B4)`);
          return false;
        }
        const proxied = names.find((n) => dp.dnsRules.some((d) => d.pattern !== undefined && matchesName(d.pattern, n)));
        if (!proxied) {
          notes.push(`toFQDNs ${part.text} matches ${names[0]}, but the subject's DNS rules refuse that name, so Cilium never learns its addresses (B4)`);
          return false;
        }
        return true;
      }
    }
  }

  private entryL3(e: Entry, peer: Identity, dp: DirPolicy, notes: string[]): boolean {
    if (e.note) notes.push(e.note);
    if (e.l3 === "any") return true;
    for (const part of e.l3) if (this.partMatches(part, peer, dp, notes)) return true;
    return false;
  }

  private peerMatch(dp: DirPolicy, peer: Identity): PeerMatch {
    const n = this.number(peer);
    let m = this.memoize ? dp.peers.get(n) : undefined;
    if (m) return m;
    const notes: string[] = [];
    const k = KIND_INDEX[peer.kind];
    m = {
      allows: dp.allows[k]!.filter((e) => this.entryL3(e, peer, dp, notes)),
      denies: dp.denies[k]!.filter((e) => this.entryL3(e, peer, dp, notes)),
      notes: notes.length === 0 ? NO_NOTES : [...new Set(notes)],
    };
    if (this.memoize) {
      if (dp.peers.size >= MAX_CACHE) dp.peers.clear();
      dp.peers.set(n, m);
    }
    return m;
  }

  /** Decides one direction: `subject`'s policy about traffic with `peer`. */
  private direction(dir: Direction, subject: Identity, peer: Identity, flow: Flow, destination: Identity): DirectionDecision {
    // The world is never a subject: no need to look up (or cache) a policy for every outside address.
    if (subject.kind === "world") return fixed(dir, "not-enforced", WORLD_NOT_ENFORCED);
    const ep = this.endpointPolicy(subject);
    if (ep.notEnforced) return fixed(dir, "not-enforced", ep.notEnforced);
    if (this.options.policyEnforcement === "never") return fixed(dir, "enforcement-disabled", "policy enforcement is 'never'");
    const dp = ep[dir];
    const pm = this.peerMatch(dp, peer);
    const key = portKey(flow);
    let c = this.memoize ? pm.ports?.get(key) : undefined;
    if (!c) {
      c = this.decideL4(dir, subject, peer, flow, destination, dp, pm);
      if (this.memoize) {
        pm.ports ??= new Map();
        if (pm.ports.size >= MAX_PORTS_CACHED) pm.ports.clear();
        pm.ports.set(key, c);
      }
    }
    if (!c.l7) return c.decision;
    const l7 = decideL7(c.l7, flow);
    if (!l7) return c.decision;
    return { ...c.decision, verdict: l7.verdict === "denied" ? "l7-denied" : c.decision.verdict, l7 };
  }

  /** Whether the subject is default-deny in a direction (B1): true, false, or why it is although no rule says so. */
  private defaultDenyIn(subject: Identity, byRule: boolean): boolean | string {
    if (byRule) return true;
    if (this.options.policyEnforcement === "always") return "policy enforcement is 'always': every endpoint is default-deny (B1)";
    if (subject.kind === "reserved" && subject.entity === "init") return "endpoints with reserved:init are always default-deny (B1)";
    return false;
  }

  /**
   * Whether the endpoint is default-deny for egress and for ingress, as `evaluate` says of any of
   * its flows (B1), from the rules selecting it, asked only that (Rule.defaultDeny), and without
   * remembering its policy when it was not already: `expect default deny` asks this of a pod of
   * every namespace, and the editor kept those policies and the namespace-wide rules read for them
   * (about 9 MB on 1,000 tenants) though nothing asked about those pods again.
   */
  defaultDeny(endpoint: Endpoint): { readonly egress: boolean; readonly ingress: boolean } {
    const id = this.identity(endpoint);
    const known = this.memoize ? this.policies.get(this.number(id)) : undefined;
    if ((known ? known.notEnforced : this.notEnforced(id)) || this.options.policyEnforcement === "never") return NOT_DEFAULT_DENY;
    if (known) return { egress: this.defaultDenyIn(id, known.egress.defaultDeny) !== false, ingress: this.defaultDenyIn(id, known.ingress.defaultDeny) !== false };
    const rules = this.selecting(id);
    return {
      egress: this.defaultDenyIn(id, rules.some((r) => r.defaultDeny.egress)) !== false,
      ingress: this.defaultDenyIn(id, rules.some((r) => r.defaultDeny.ingress)) !== false,
    };
  }

  /** The L4 decision for one subject, peer, protocol and port: deny first, then allow, then default deny (B1). */
  private decideL4(dir: Direction, subject: Identity, peer: Identity, flow: Flow, destination: Identity, dp: DirPolicy, pm: PeerMatch): L4Decision {
    const notes: string[] = [...pm.notes];
    const note = (n: string) => {
      if (!notes.includes(n)) notes.push(n);
    };
    const dd = this.defaultDenyIn(subject, dp.defaultDeny);
    if (typeof dd === "string") note(dd);
    const defaultDeny = dd !== false;
    const deniedBy: EntryRef[] = [];
    for (const e of pm.denies) if (l4Matches(e, flow, destination, note) !== undefined) deniedBy.push(e.ref);
    if (deniedBy.length > 0)
      return { decision: { direction: dir, verdict: "dropped", reason: "denied", defaultDeny, defaultDenyBy: dp.defaultDenyBy, allowedBy: NONE, deniedBy, notes } };
    const matched: { entry: Entry; items: readonly MatchedItem[] }[] = [];
    for (const e of pm.allows) {
      const items = l4Matches(e, flow, destination, note);
      if (items !== undefined) matched.push({ entry: e, items });
    }
    let reason: DirectionReason;
    let verdict: Verdict = "allowed";
    if (matched.length > 0) reason = "allowed";
    else if (dir === "ingress" && peer.kind === "reserved" && peer.entity === "host" && subject.kind !== "reserved" && (this.options.allowLocalhost ?? "always") === "always")
      reason = "allow-localhost";
    else if (defaultDeny) {
      reason = "default-deny";
      verdict = "dropped";
    } else {
      reason = "no-policy";
      if (dp.selected) note(`the rules selecting the subject do not make it default-deny for ${dir}, so Cilium allows what they do not mention (B1)`);
    }
    const decision: DirectionDecision = {
      direction: dir,
      verdict,
      reason,
      defaultDeny,
      defaultDenyBy: dp.defaultDenyBy,
      allowedBy: matched.map((m) => m.entry.ref),
      deniedBy: NONE,
      notes,
    };
    const hasL7 = matched.some((m) => m.items.some((it) => it.item?.l7 !== undefined));
    return { decision, l7: hasL7 ? matched : undefined };
  }

  evaluate(flow: Flow): Decision {
    const src = this.identity(flow.source);
    const dst = this.identity(flow.destination);
    const egress = this.direction("egress", src, dst, flow, dst);
    const ingress = this.direction("ingress", dst, src, flow, dst);
    const verdict: Verdict =
      egress.verdict === "dropped" || ingress.verdict === "dropped"
        ? "dropped"
        : egress.verdict === "l7-denied" || ingress.verdict === "l7-denied"
          ? "l7-denied"
          : "allowed";
    return new EvaluatedFlow(verdict, flow, egress, ingress);
  }
}

/** A Decision whose summary text is built only when read (and by JSON.stringify, through toJSON). */
class EvaluatedFlow implements Decision {
  constructor(
    readonly verdict: Verdict,
    readonly flow: Flow,
    readonly egress: DirectionDecision,
    readonly ingress: DirectionDecision,
  ) {}
  get summary(): string {
    return summarize(this.verdict, this.egress, this.ingress);
  }
  toJSON(): Decision {
    return { verdict: this.verdict, flow: this.flow, egress: this.egress, ingress: this.ingress, summary: this.summary };
  }
}

const NONE: readonly EntryRef[] = Object.freeze([]);
const NO_RULES: readonly Rule[] = Object.freeze([]);
const NO_NOTES: readonly string[] = Object.freeze([]);
const NOT_DEFAULT_DENY = Object.freeze({ egress: false, ingress: false });
const fixedCache = new Map<string, DirectionDecision>();

/** Decisions that depend on nothing but the subject (not enforced...): shared, frozen. */
function fixed(direction: Direction, reason: "not-enforced" | "enforcement-disabled", note: string): DirectionDecision {
  const k = `${direction}|${reason}|${note}`;
  let d = fixedCache.get(k);
  if (!d) {
    d = Object.freeze({ direction, verdict: "allowed", reason, defaultDeny: false, defaultDenyBy: NONE, allowedBy: NONE, deniedBy: NONE, notes: Object.freeze([note]) });
    fixedCache.set(k, d);
  }
  return d;
}

export { policyText };

function refText(r: EntryRef): string {
  return `${policyText(r.policy)} ${r.path}`;
}

function summarize(verdict: Verdict, egress: DirectionDecision, ingress: DirectionDecision): string {
  const side = (d: DirectionDecision) => {
    switch (d.reason) {
      case "denied":
        return `${d.direction} denied by ${refText(d.deniedBy[0]!)}`;
      case "default-deny":
        return `${d.direction} default deny (no allow rule matches)`;
      case "allowed":
        return d.l7?.verdict === "denied"
          ? `${d.direction} ${d.l7.protocol.toUpperCase()} request rejected by L7 rules (${d.l7.protocol === "http" ? "403" : "REFUSED"})`
          : `${d.direction} allowed by ${refText(d.allowedBy[0]!)}${d.allowedBy.length > 1 ? ` (+${d.allowedBy.length - 1})` : ""}`;
      case "allow-localhost":
        return `${d.direction} from the local host (allow-localhost)`;
      case "no-policy":
        return `${d.direction} not default-deny`;
      case "not-enforced":
        return `${d.direction} not enforced`;
      case "enforcement-disabled":
        return `${d.direction} enforcement disabled`;
    }
  };
  return `${verdict}: ${side(egress)}; ${side(ingress)}`;
}

// ---- L4 and the L7 merge

interface MatchedItem {
  readonly item?: PortItem | undefined;
  /** Port key of the policy map entry: protocol and range; wider = less specific. */
  readonly key: string;
  readonly width: number;
}

const WILDCARD_ONLY: readonly MatchedItem[] = Object.freeze([{ key: "*", width: 1 << 30 }]);

/** The entry's L4 part against the flow: undefined if it does not match, else the matching port items. */
function l4Matches(e: Entry, flow: Flow, destination: Identity, note: (n: string) => void): readonly MatchedItem[] | undefined {
  const l4 = e.l4;
  if (!l4) return WILDCARD_ONLY;
  if (l4.kind === "icmp") {
    const family = flow.protocol === "ICMPv4" ? 4 : flow.protocol === "ICMPv6" ? 6 : 0;
    if (family === 0) return undefined;
    return l4.fields.some((f) => f.family === family && f.type === flow.icmpType) ? [{ key: `icmp${family}/${flow.icmpType}`, width: 0 }] : undefined;
  }
  let out: MatchedItem[] | undefined;
  for (const item of l4.items)
    for (const p of item.ports) {
      if (p.protocol !== flow.protocol) continue;
      if (p.name !== undefined) {
        const np = destination.namedPorts.find((n) => n.name.toLowerCase() === p.name && (n.protocol ?? "TCP") === p.protocol);
        if (!np) {
          if (destination.namedPorts.length === 0) note(`named port '${p.name}' of ${e.ref.path}: the destination's container ports are not known`);
          continue;
        }
        if (np.port !== flow.port) continue;
        (out ??= []).push({ item, key: `${p.protocol}/${np.port}-${np.port}`, width: 0 });
        continue;
      }
      const isExtended = p.protocol !== "TCP" && p.protocol !== "UDP" && p.protocol !== "SCTP";
      if (!isExtended && p.end - p.start < 65535 && (flow.port === undefined || flow.port < p.start || flow.port > p.end)) continue;
      (out ??= []).push({ item, key: p.key, width: p.end - p.start });
    }
  return out;
}

/**
 * L7 (B9): the most specific policy-map entry for the port wins (longest match); within one port
 * key, an allow for the same peer without L7 rules makes the L7 rules allow-all (mergePortProto).
 */
function decideL7(matched: readonly { entry: Entry; items: readonly MatchedItem[] }[], flow: Flow): L7Decision | undefined {
  const groups = new Map<string, { width: number; plain: EntryRef[]; rules: L7Rule[]; patterns: (FqdnPattern | undefined)[]; protocol?: "http" | "dns" }>();
  for (const m of matched)
    for (const it of m.items) {
      let g = groups.get(it.key);
      if (!g) groups.set(it.key, (g = { width: it.width, plain: [], rules: [], patterns: [] }));
      const l7 = it.item?.l7;
      if (l7?.http && l7.http.length > 0) {
        g.protocol = "http";
        for (const h of l7.http) {
          g.rules.push({ ref: m.entry.ref, http: h });
          g.patterns.push(undefined);
        }
      } else if (l7?.dns && l7.dns.length > 0) {
        g.protocol ??= "dns";
        for (const d of l7.dns) {
          g.rules.push({ ref: m.entry.ref, dns: d.text });
          g.patterns.push(d.pattern);
        }
      } else g.plain.push(m.entry.ref);
    }
  if (![...groups.values()].some((g) => g.rules.length > 0)) return undefined;
  // Several entries equally specific for this port act as one (their rules merge).
  const all = [...groups.values()];
  const width = Math.min(...all.map((g) => g.width));
  const best = { plain: [] as EntryRef[], rules: [] as L7Rule[], patterns: [] as (FqdnPattern | undefined)[], protocol: undefined as "http" | "dns" | undefined };
  for (const g of all)
    if (g.width === width) {
      best.plain.push(...g.plain);
      best.rules.push(...g.rules);
      best.patterns.push(...g.patterns);
      if (g.protocol === "http" || !best.protocol) best.protocol = g.protocol;
    }
  if (best.rules.length === 0) return undefined;
  const protocol = best.protocol!;
  if (best.plain.length > 0) return { protocol, rules: best.rules, verdict: "allowed", matched: [], neutralisedBy: best.plain };
  if (protocol === "http") {
    if (!flow.http) return { protocol, rules: best.rules, verdict: "unknown", matched: [] };
    const ok = best.rules.filter((r) => r.http && httpRuleMatches(r.http, flow.http!));
    return { protocol, rules: best.rules, verdict: ok.length > 0 ? "allowed" : "denied", matched: ok };
  }
  if (flow.dns === undefined) return { protocol, rules: best.rules, verdict: "unknown", matched: [] };
  // Names the DNS allow-list rejects get REFUSED from the DNS proxy (B4).
  const ok = best.rules.filter((r, i) => r.dns !== undefined && best.patterns[i] !== undefined && matchesName(best.patterns[i]!, flow.dns!));
  return { protocol, rules: best.rules, verdict: ok.length > 0 ? "allowed" : "denied", matched: ok };
}
