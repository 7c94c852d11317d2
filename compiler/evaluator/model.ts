/**
 * The evaluator's data model: endpoints, flows and decisions. Plain data, no behaviour, so that
 * other front ends (Hubble JSON, the text form `payments/api -> api.stripe.com:443`, and later
 * `expect` statements in .zt) can build flows and read decisions without knowing how policies are
 * indexed. Semantics follow ../shared/reference/cilium-semantics.md (sections cited as B1, B2...).
 */

/** Reserved identities that are not pods (cilium-semantics.md B5). */
export type ReservedEntity = "host" | "remote-node" | "kube-apiserver" | "health" | "ingress" | "init" | "unmanaged";

export const RESERVED_ENTITIES: readonly ReservedEntity[] = ["host", "remote-node", "kube-apiserver", "health", "ingress", "init", "unmanaged"];

/** Entity names a policy may use in from/toEntities (B5; world-ipv4/6 are agent-only, cluster-mesh is newer). */
export const ENTITY_NAMES = [
  "all",
  "world",
  "world-ipv4",
  "world-ipv6",
  "cluster",
  "cluster-mesh",
  "host",
  "remote-node",
  "kube-apiserver",
  "health",
  "ingress",
  "init",
  "unmanaged",
  "none",
] as const;
export type EntityName = (typeof ENTITY_NAMES)[number];

export type L4Proto = "TCP" | "UDP" | "SCTP";
/** A flow's protocol: the three L4 protocols, ICMP, or an extended IP protocol (VRRP, GRE...). */
export type FlowProtocol = L4Proto | "ICMPv4" | "ICMPv6" | (string & {});

/** A container port name as seen on the destination pod (B9: named ports resolve per destination). */
export interface NamedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol?: L4Proto | undefined;
}

/** A Cilium-managed pod. */
export interface PodEndpoint {
  readonly kind: "pod";
  readonly namespace: string;
  /**
   * The pod's labels. A key without a source prefix is a Kubernetes label (`app` = `k8s:app`);
   * `source:key` keeps another source. Namespace, cluster and service account have their own fields.
   */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Labels of the namespace (selectable as io.cilium.k8s.namespace.labels.*, B3). */
  readonly namespaceLabels?: Readonly<Record<string, string>> | undefined;
  readonly serviceAccount?: string | undefined;
  /** Cluster-mesh cluster; default: the evaluator's local cluster. */
  readonly cluster?: string | undefined;
  readonly ip?: string | undefined;
  readonly namedPorts?: readonly NamedPort[] | undefined;
  /** For display: a pod or workload name. */
  readonly name?: string | undefined;
}

/** A node, the API server, the health endpoint... anything with a reserved identity (B5). */
export interface ReservedEndpoint {
  readonly kind: "reserved";
  readonly entity: ReservedEntity;
  readonly ip?: string | undefined;
  /** host / remote-node: the node's labels, matched by nodeSelector (host policies, B6) and to/fromNodes. */
  readonly nodeLabels?: Readonly<Record<string, string>> | undefined;
  readonly namedPorts?: readonly NamedPort[] | undefined;
  readonly name?: string | undefined;
}

/** Anything outside the cluster (identity world): an address and/or the DNS names it was resolved from. */
export interface WorldEndpoint {
  readonly kind: "world";
  readonly ip?: string | undefined;
  /** Names the subject's DNS lookups (through Cilium's DNS proxy) resolved to this address: what toFQDNs matches (B4). */
  readonly names?: readonly string[] | undefined;
  readonly name?: string | undefined;
}

export type Endpoint = PodEndpoint | ReservedEndpoint | WorldEndpoint;

export interface HttpRequest {
  readonly method?: string | undefined;
  /** The request path as Envoy sees it (`:path`, with the query string). */
  readonly path?: string | undefined;
  readonly host?: string | undefined;
  /** Header name -> value (names are case-insensitive). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * One connection attempt, in its original direction (replies are allowed by connection tracking, B1),
 * after service translation (the destination is the backend, B8).
 */
export interface Flow {
  readonly source: Endpoint;
  readonly destination: Endpoint;
  readonly protocol: FlowProtocol;
  /** Destination port (TCP/UDP/SCTP). */
  readonly port?: number | undefined;
  /** ICMP type (ICMPv4/ICMPv6). */
  readonly icmpType?: number | undefined;
  /** An HTTP request on this connection, to decide L7 HTTP rules (B9). */
  readonly http?: HttpRequest | undefined;
  /** A DNS query name on this connection, to decide L7 DNS rules (B4). */
  readonly dns?: string | undefined;
}

export type Direction = "ingress" | "egress";
export type Section = "ingress" | "ingressDeny" | "egress" | "egressDeny";
export type PolicyKind = "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";

export interface PolicyId {
  readonly kind: PolicyKind;
  readonly name: string;
  /** CNP only. */
  readonly namespace?: string | undefined;
}

/** A line of the policy's `ztc.io/rules` annotation: the .zt source behind an entry. */
export interface SourceRef {
  readonly file?: string | undefined;
  readonly line?: number | undefined;
  /** The rule text (or, for generated entries, ztc's note). */
  readonly text: string;
  readonly approvals: readonly string[];
}

/** One entry of one section of one rule of one policy. */
export interface EntryRef {
  readonly policy: PolicyId;
  /** `spec` or `specs[N]`. */
  readonly rule: string;
  readonly section: Section;
  readonly entry: number;
  /** `specs[1].egress[0]`, the form ztc's annotations use. */
  readonly path: string;
  readonly sources: readonly SourceRef[];
}

export type Verdict = "allowed" | "dropped" | "l7-denied";

/**
 * Why a direction decided as it did:
 * - not-enforced: the subject is not a Cilium endpoint here (world, unmanaged, a node without host policies, a remote cluster's pod);
 * - enforcement-disabled: policy enforcement `never`;
 * - no-policy: no rule selects the subject in this direction... or none asks for default deny (B1);
 * - allowed: an allow entry matched;
 * - allow-localhost: ingress from the local node, always allowed (allow-localhost=always, B1);
 * - default-deny: the subject is default-deny in this direction and no allow entry matched;
 * - denied: a deny entry matched (deny wins over allow, B1).
 */
export type DirectionReason = "not-enforced" | "enforcement-disabled" | "no-policy" | "allowed" | "allow-localhost" | "default-deny" | "denied";

export interface HttpRuleJson {
  readonly method?: string | undefined;
  readonly path?: string | undefined;
  readonly host?: string | undefined;
  readonly headers?: readonly string[] | undefined;
  readonly headerMatches?: readonly { readonly name: string; readonly value?: string | undefined; readonly mismatch?: string | undefined; readonly secret?: unknown }[] | undefined;
}

export interface L7Rule {
  readonly ref: EntryRef;
  readonly http?: HttpRuleJson | undefined;
  /** DNS: matchName or matchPattern text. */
  readonly dns?: string | undefined;
}

export interface L7Decision {
  readonly protocol: "http" | "dns";
  /** The rules the proxy enforces for this peer and port (one of them must match). */
  readonly rules: readonly L7Rule[];
  /** `unknown`: the flow carries no request to decide on. */
  readonly verdict: "allowed" | "denied" | "unknown";
  /** The rules that matched the request. */
  readonly matched: readonly L7Rule[];
  /** Entries that allow the same peer and port without L7 rules make L7 allow-all (B9). */
  readonly neutralisedBy?: readonly EntryRef[] | undefined;
}

export interface DirectionDecision {
  readonly direction: Direction;
  readonly verdict: Verdict;
  readonly reason: DirectionReason;
  /** The subject is default-deny in this direction (B1), and the entries that made it so. */
  readonly defaultDeny: boolean;
  readonly defaultDenyBy: readonly EntryRef[];
  readonly allowedBy: readonly EntryRef[];
  readonly deniedBy: readonly EntryRef[];
  readonly l7?: L7Decision | undefined;
  /** Things the reader should know (a toFQDNs rule that cannot match without the DNS proxy, a named port not known...). */
  readonly notes: readonly string[];
}

export interface Decision {
  readonly verdict: Verdict;
  readonly flow: Flow;
  /** The source's egress policy (absent when the source is not enforced, e.g. world). */
  readonly egress: DirectionDecision;
  /** The destination's ingress policy. */
  readonly ingress: DirectionDecision;
  /** One line for people. */
  readonly summary: string;
}
