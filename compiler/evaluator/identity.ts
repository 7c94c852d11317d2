/**
 * Identities and selectors as Cilium's agent sees them: an endpoint becomes a set of
 * `source:key=value` labels (the identity labels Hubble prints), and a policy selector becomes
 * requirements on them. Keys without a source are `any:` and match every source (B3, A4).
 */
import { isIgnoredByCilium } from "../labels.js";
import { parseAddress, type Family } from "../net/cidr.js";
import type { Endpoint, NamedPort, ReservedEntity } from "./model.js";

export const NS_KEY = "io.kubernetes.pod.namespace";
export const CLUSTER_KEY = "io.cilium.k8s.policy.cluster";
export const SA_KEY = "io.cilium.k8s.policy.serviceaccount";
export const NS_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";

export interface Identity {
  /** Canonical text: equal keys select and match the same way. */
  readonly key: string;
  readonly kind: "pod" | "reserved" | "world";
  readonly entity?: ReservedEntity | undefined;
  /** `source:key` -> value. */
  readonly labels: ReadonlyMap<string, string>;
  /** key -> values over every source (for `any:` requirements). */
  readonly byKey: ReadonlyMap<string, readonly string[]>;
  readonly namespace?: string | undefined;
  readonly cluster?: string | undefined;
  readonly address?: { readonly family: Family; readonly addr: bigint } | undefined;
  /** Lower-case DNS names without the trailing dot. */
  readonly names: readonly string[];
  /** Node labels as `k8s:key` (host and remote-node). */
  readonly nodeLabels: ReadonlyMap<string, string>;
  readonly byNodeKey: ReadonlyMap<string, readonly string[]>;
  readonly namedPorts: readonly NamedPort[];
}

/** Splits a label key into source and key: `k8s:app` -> [k8s, app]; `app` -> [undefined, app]. */
export function splitKey(raw: string): [string | undefined, string] {
  const i = raw.indexOf(":");
  if (i < 0) return [undefined, raw];
  return [raw.slice(0, i), raw.slice(i + 1)];
}

function indexByKey(labels: ReadonlyMap<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [sk, v] of labels) {
    const [, k] = splitKey(sk);
    const l = out.get(k);
    if (l) l.push(v);
    else out.set(k, [v]);
  }
  return out;
}

function sortedText(m: ReadonlyMap<string, string>): string {
  return [...m.entries()]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",");
}

function k8sLabels(raw: Readonly<Record<string, string>> | undefined, into: Map<string, string>): void {
  for (const [k, v] of Object.entries(raw ?? {})) {
    const [source, key] = splitKey(k);
    // Cilium's identity label filter drops these keys, so no selector can match them (B3).
    if ((source === undefined || source === "k8s") && isIgnoredByCilium(key)) continue;
    into.set(source === undefined ? `k8s:${key}` : k, v);
  }
}

function parseIp(ip: string | undefined): Identity["address"] {
  if (!ip) return undefined;
  const a = parseAddress(ip.replace(/^\[|\]$/g, ""));
  return typeof a === "string" ? undefined : a;
}

const EMPTY_MAP: ReadonlyMap<string, never> = new Map<string, never>();
const WORLD_LABELS: ReadonlyMap<string, string> = new Map([["reserved:world", ""]]);
const WORLD_BY_KEY: ReadonlyMap<string, readonly string[]> = new Map([["world", [""]]]);

/** The identity of an endpoint; `localCluster` is where pods without a cluster live. */
export function identityOf(e: Endpoint, localCluster: string): Identity {
  // Outside addresses are numerous (one identity each): share what they have in common.
  if (e.kind === "world") {
    const names = (e.names ?? []).map((n) => n.toLowerCase().replace(/\.$/, "")).filter((n) => n.length > 0);
    return {
      key: `world|${e.ip ?? ""}|${names.length > 1 ? [...names].sort().join(",") : (names[0] ?? "")}`,
      kind: "world",
      labels: WORLD_LABELS,
      byKey: WORLD_BY_KEY,
      address: parseIp(e.ip),
      names,
      nodeLabels: EMPTY_MAP,
      byNodeKey: EMPTY_MAP,
      namedPorts: [],
    };
  }
  const labels = new Map<string, string>();
  const nodeLabels = new Map<string, string>();
  let key: string;
  let namespace: string | undefined;
  let cluster: string | undefined;
  const names: string[] = [];
  switch (e.kind) {
    case "pod": {
      namespace = e.namespace;
      cluster = e.cluster ?? localCluster;
      k8sLabels(e.labels, labels);
      labels.set(`k8s:${NS_KEY}`, e.namespace);
      labels.set(`k8s:${CLUSTER_KEY}`, cluster);
      if (e.serviceAccount !== undefined) labels.set(`k8s:${SA_KEY}`, e.serviceAccount);
      // Kubernetes (1.21+) labels every namespace with its own name.
      const nsLabels: Record<string, string> = { "kubernetes.io/metadata.name": e.namespace, ...e.namespaceLabels };
      for (const [k, v] of Object.entries(nsLabels)) labels.set(`k8s:${NS_LABELS_PREFIX}${k}`, v);
      key = `pod|${sortedText(labels)}`;
      break;
    }
    case "reserved":
      labels.set(`reserved:${e.entity}`, "");
      for (const [k, v] of Object.entries(e.nodeLabels ?? {})) nodeLabels.set(k.includes(":") ? k : `k8s:${k}`, v);
      key = `reserved|${e.entity}|${e.ip ?? ""}|${sortedText(nodeLabels)}`;
      break;
  }
  return {
    key,
    kind: e.kind,
    entity: e.kind === "reserved" ? e.entity : undefined,
    labels,
    byKey: indexByKey(labels),
    namespace,
    cluster,
    address: parseIp(e.ip),
    names,
    nodeLabels,
    byNodeKey: indexByKey(nodeLabels),
    namedPorts: e.namedPorts ?? [],
  };
}

// ---- selectors

export type Operator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface Requirement {
  /** undefined: any source. */
  readonly source: string | undefined;
  readonly key: string;
  readonly op: Operator;
  readonly values: ReadonlySet<string>;
  /** `source:key`, precomputed for lookups (undefined for any source). */
  readonly sourceKey?: string | undefined;
}

export interface Selector {
  readonly requirements: readonly Requirement[];
  /** As written in the policy, for explanations. */
  readonly text: string;
  /** The selector could not be read (bad operator...): it selects nothing. */
  readonly invalid?: string | undefined;
}

const OPS: ReadonlySet<string> = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/**
 * Requirements made before, by what they were made from: policies repeat the same labels in
 * thousands of rules, and the editor keeps every rule it read. A requirement never changes, so
 * rules share one. Emptied when large, so that a long session does not accumulate them.
 */
const requirements = new Map<string, Requirement>();
const MAX_REQUIREMENTS = 50_000;

function requirement(rawKey: string, op: Operator, values: readonly string[]): Requirement {
  const id = JSON.stringify([rawKey, op, values]);
  let r = requirements.get(id);
  if (r === undefined) {
    const [source, key] = splitKey(rawKey);
    const src = source === "any" ? undefined : source;
    r = { source: src, key, op, values: new Set(values), sourceKey: src === undefined ? undefined : `${src}:${key}` };
    if (requirements.size >= MAX_REQUIREMENTS) requirements.clear();
    requirements.set(id, r);
  }
  return r;
}

/** Reads a Kubernetes label selector as written in a policy (matchLabels, matchExpressions). */
export function readSelector(json: unknown): Selector {
  const text = JSON.stringify(json ?? {});
  if (json === null || json === undefined) return { requirements: [], text };
  if (typeof json !== "object" || Array.isArray(json)) return { requirements: [], text, invalid: "a selector must be an object" };
  const o = json as { matchLabels?: unknown; matchExpressions?: unknown };
  const reqs: Requirement[] = [];
  if (o.matchLabels !== undefined && o.matchLabels !== null) {
    if (typeof o.matchLabels !== "object" || Array.isArray(o.matchLabels)) return { requirements: [], text, invalid: "matchLabels must be an object" };
    for (const [k, v] of Object.entries(o.matchLabels as Record<string, unknown>)) reqs.push(requirement(k, "In", [String(v ?? "")]));
  }
  if (o.matchExpressions !== undefined && o.matchExpressions !== null) {
    if (!Array.isArray(o.matchExpressions)) return { requirements: [], text, invalid: "matchExpressions must be a list" };
    for (const e of o.matchExpressions as { key?: unknown; operator?: unknown; values?: unknown }[]) {
      if (typeof e?.key !== "string" || typeof e.operator !== "string" || !OPS.has(e.operator))
        return { requirements: [], text, invalid: `bad match expression ${JSON.stringify(e)}` };
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      if ((e.operator === "In" || e.operator === "NotIn") && values.length === 0)
        return { requirements: [], text, invalid: `'${e.operator}' needs values (A4)` };
      reqs.push(requirement(e.key, e.operator as Operator, values));
    }
  }
  // A copy of exactly its length (reqs has room for 16 more): the editor keeps thousands of selectors.
  return { requirements: reqs.slice(), text };
}

/** Does the selector mention this key (in any source)? */
export function mentionsKey(s: Selector, test: (key: string) => boolean): boolean {
  return s.requirements.some((r) => test(r.key));
}

export function usesSource(s: Selector, source: string): boolean {
  return s.requirements.some((r) => r.source === source);
}

export function withRequirements(s: Selector, extra: readonly Requirement[], drop?: (r: Requirement) => boolean): Selector {
  const kept = drop ? s.requirements.filter((r) => !drop(r)) : s.requirements;
  // concat, not a spread: the result has exactly its length, and rules keep it.
  return { requirements: kept.concat(extra), text: s.text, invalid: s.invalid };
}

export function eq(key: string, value: string): Requirement {
  return requirement(key, "In", [value]);
}

export function exists(key: string): Requirement {
  return requirement(key, "Exists", []);
}

const NO_VALUES: readonly string[] = [];

function matchesLabels(s: Selector, labels: ReadonlyMap<string, string>, byKey: ReadonlyMap<string, readonly string[]>): boolean {
  if (s.invalid) return false;
  for (const r of s.requirements) {
    let one: string | undefined;
    let many: readonly string[] = NO_VALUES;
    if (r.sourceKey === undefined) many = byKey.get(r.key) ?? NO_VALUES;
    else one = labels.get(r.sourceKey);
    const has = one !== undefined || many.length > 0;
    const inSet = one !== undefined ? r.values.has(one) : many.some((v) => r.values.has(v));
    switch (r.op) {
      case "In":
        if (!inSet) return false;
        break;
      case "NotIn":
        if (inSet) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Does an endpoint selector select this identity? */
export function selects(s: Selector, id: Identity): boolean {
  return matchesLabels(s, id.labels, id.byKey);
}

/** Does a selector select plain labels of one source (a Service's, a CiliumCIDRGroup's)? */
export function selectsLabels(s: Selector, raw: Readonly<Record<string, string>>, source: string): boolean {
  const labels = new Map(Object.entries(raw).map(([k, v]) => [`${source}:${k}`, v]));
  return matchesLabels(s, labels, indexByKey(labels));
}

/** Does a node selector select this node's labels? */
export function selectsNode(s: Selector, id: Identity): boolean {
  return matchesLabels(s, id.nodeLabels, id.byNodeKey);
}
