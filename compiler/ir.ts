/**
 * The checked, resolved form of a program: every rule of every tenant broken into atoms
 * (one subject, one peer, its ports), each linked back to its source rule. The emitter and the
 * analyses work on atoms only; they never look at syntax again.
 */
import type { HttpRule as HttpRuleAst, RuleStmt, Span } from "../language/index.js";
import type { AddressSet, Prefix } from "./net/cidr.js";
import type { FqdnPattern } from "./net/fqdn.js";
import type { PortSet, ProtocolSpec } from "./net/ports.js";
import type { Approval } from "./registry.js";

export interface MatchExpression {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values?: readonly string[] | undefined;
}

/** A Kubernetes label selector in canonical form (sorted keys, sorted values). */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly MatchExpression[];
}

export const EMPTY_SELECTOR: LabelSelector = { matchLabels: {}, matchExpressions: [] };

export interface WorkloadSymbol {
  readonly name: string;
  readonly tenant: string;
  readonly file: string;
  readonly nameSpan: Span;
  readonly selector: LabelSelector;
  /** The namespaces its pods run in: the pinned one, or all of the tenant's. */
  readonly namespaces: readonly string[];
  readonly pinned?: string | undefined;
  /** Its declaration had errors (already reported): rules using it are skipped silently. */
  readonly broken?: boolean | undefined;
}

export type Subject =
  | { readonly kind: "all" }
  | { readonly kind: "namespace"; readonly namespace: string }
  | { readonly kind: "workload"; readonly workload: WorkloadSymbol };

/** A set of pods: those in `namespaces` (or in any namespace) matching `selector`. */
export interface PodSet {
  readonly namespaces: readonly string[];
  /** `namespace *`: pods of every namespace (then `namespaces` is empty). */
  readonly anyNamespace?: boolean | undefined;
  /**
   * `namespace where ...`: pods of the namespaces whose labels match (then `namespaces` lists the
   * registry's namespaces that match, for messages only: the cluster decides).
   */
  readonly namespaceSelector?: LabelSelector | undefined;
  /** Cluster mesh: a cluster's name, `*` for any cluster; undefined for this cluster. */
  readonly cluster?: string | undefined;
  readonly selector: LabelSelector;
  /** The tenant owning all of `namespaces`, if one does. */
  readonly tenant?: string | undefined;
  readonly workload?: string | undefined;
}

export type Peer =
  | { readonly kind: "fqdn"; readonly pattern: FqdnPattern }
  | { readonly kind: "cidr"; readonly prefix: Prefix; readonly except: readonly Prefix[]; readonly set: AddressSet }
  | { readonly kind: "entity"; readonly entity: string }
  | { readonly kind: "pods"; readonly pods: PodSet; readonly description: string }
  | { readonly kind: "within" }
  | { readonly kind: "service"; readonly namespace: string; readonly name: string }
  /** A CiliumCIDRGroup by name. */
  | { readonly kind: "cidrGroup"; readonly name: string }
  /** Cluster nodes by their labels (fromNodes/toNodes). */
  | { readonly kind: "nodes"; readonly selector: LabelSelector };

export interface IcmpReq {
  readonly family: "IPv4" | "IPv6";
  readonly type: number;
}

export interface KafkaRuleIr {
  readonly role?: "produce" | "consume" | undefined;
  readonly topic?: string | undefined;
}

export interface PortReq {
  /** A number, or a named port (lower-case IANA name). */
  readonly port: number | string;
  readonly end?: number | undefined;
  readonly protocol: ProtocolSpec;
}

export interface HttpRuleIr {
  readonly method?: string | undefined;
  readonly path?: string | undefined;
  readonly host?: string | undefined;
  readonly headers: readonly string[];
  readonly ast?: HttpRuleAst | undefined;
  /** For a `grpc` method: how it was written. */
  readonly grpc?: string | undefined;
}

/** The source rule an atom came from, for traceability. */
export interface RuleOrigin {
  /** Global order: files sorted by path, rules by position. */
  readonly order: number;
  /** Where the rule is written, or for a rule from a rule set, where the rule set is used. */
  readonly file: string;
  readonly line: number;
  /** The span in `file` to point at: the rule, or the `use` statement. */
  readonly span: Span;
  readonly rule: RuleStmt;
  /** The rule's text with comments removed and whitespace collapsed (`use ...` for rule sets). */
  readonly text: string;
  /** For rules that come from a rule set: which, and where its rule is written. */
  readonly via?:
    | {
        readonly ruleset: string;
        readonly file: string;
        readonly line: number;
        readonly text: string;
        /** Every module of the `use` chain, outermost first (the innermost is `file`). */
        readonly files: readonly string[];
      }
    | undefined;
  /** The rule comes from the stdlib, which the platform team vetted. */
  readonly stdlib?: boolean | undefined;
}

export interface Atom {
  readonly id: number;
  /** The tenant whose policy this is; for a baseline atom, the platform tenant that owns it. */
  readonly tenant: string;
  /** Set for atoms of a baseline (cluster-wide policy). */
  readonly baseline?: string | undefined;
  readonly origin: RuleOrigin;
  readonly action: "allow" | "deny";
  readonly direction: "ingress" | "egress";
  readonly subject: Subject;
  readonly peer: Peer;
  readonly peerSpan: Span;
  /** Undefined: every port and protocol. */
  readonly ports?: readonly PortReq[] | undefined;
  /** The numeric ports as a set (named ports excluded). */
  readonly portSet: PortSet;
  readonly namedPorts: readonly string[];
  readonly http?: readonly HttpRuleIr[] | undefined;
  /** DNS rule patterns (L7 `dns`): the names the subject may resolve through this peer. */
  readonly dns?: readonly string[] | undefined;
  readonly kafka?: readonly KafkaRuleIr[] | undefined;
  /** ICMP types; then `ports` is empty: an ICMP atom allows no port. */
  readonly icmp?: readonly IcmpReq[] | undefined;
  /** `authenticated`: mutual authentication required. */
  readonly auth?: boolean | undefined;
  /** Approvals that make this egress legal (external destinations only). */
  readonly approvals: readonly Approval[];
  /** Its rule had errors (already reported): kept for editor features, skipped by analyses. */
  readonly flawed?: boolean | undefined;
}

export function subjectKey(s: Subject): string {
  return s.kind === "workload" ? `w:${s.workload.name}` : s.kind === "namespace" ? `ns:${s.namespace}` : "all";
}
