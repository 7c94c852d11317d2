/**
 * Label selectors: Kubernetes syntax rules, the keys Cilium reserves (which would let a selector
 * escape its tenant), and the keys Cilium drops from identities (which silently never match).
 */
import { diag, type Diagnostic, type Selector } from "../language/index.js";
import type { LabelSelector, MatchExpression } from "./ir.js";

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Why a label key is not valid Kubernetes syntax, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `'${key}' has more than one '/'`;
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length > 253 || !PREFIX.test(prefix)) return `the prefix '${prefix}' of '${key}' is not a DNS subdomain`;
  }
  if (!NAME.test(name)) return `'${name}' is not a valid label name (at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)`;
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `the value '${value.slice(0, 20)}...' is longer than 63 characters`;
  if (!VALUE.test(value)) return `'${value}' is not a valid label value (A-Z a-z 0-9 - _ ., alphanumeric at both ends)`;
  return undefined;
}

/** Keys Cilium uses for scoping; a tenant selector on them could reach outside the tenant. */
export function reservedKeyProblem(key: string): string | undefined {
  const k = key.replace(/^(k8s|any):/, "");
  if (k === "io.kubernetes.pod.namespace") return `'${key}' selects namespaces; name the namespace or tenant in the rule instead`;
  if (k.startsWith("io.cilium.k8s.namespace.labels")) return `'${key}' selects namespaces by label: write 'namespace where KEY=VALUE' instead`;
  if (k === "io.cilium.k8s.policy.cluster") return `'${key}' selects clusters: write 'in cluster NAME' (or 'in any cluster') after the peer instead`;
  if (k === "io.cilium.k8s.policy.serviceaccount") return `'${key}' selects service accounts: write 'serviceaccount NAME' instead`;
  if (k.startsWith("io.cilium.") || k.startsWith("reserved.") || key.startsWith("reserved:"))
    return `'${key}' is reserved for Cilium's own identities`;
  return undefined;
}

/** Keys removed by Cilium's default identity label filter (pkg/labelsfilter). */
export function isIgnoredByCilium(key: string): boolean {
  if (key === "pod-template-hash" || key === "controller-revision-hash" || key === "pod-template-generation") return true;
  const slash = key.indexOf("/");
  if (slash < 0) return false;
  const prefix = key.slice(0, slash);
  if (prefix === "app.kubernetes.io") return false;
  return prefix === "kubernetes.io" || prefix.endsWith(".kubernetes.io") || prefix === "k8s.io" || prefix.endsWith(".k8s.io");
}

/**
 * Converts and validates a selector. Returns undefined (after reporting) when it cannot be
 * turned into a Cilium selector.
 */
/**
 * `nodeLabels`: the selector matches node labels (host policies, `nodes where ...`), to which
 * Cilium's pod identity label filter does not apply.
 */
export function resolveSelector(sel: Selector, file: string, out: Diagnostic[], opts: { nodeLabels?: boolean } = {}): LabelSelector | undefined {
  const matchLabels: Record<string, string> = {};
  const exprs: MatchExpression[] = [];
  let ok = true;
  const fail = (span: { start: number; end: number }, reason: string) => {
    out.push(diag("invalidLabel", { file, span }, { reason }));
    ok = false;
  };
  for (const term of sel.terms) {
    if (!term.key) {
      ok = false;
      continue;
    }
    const key = term.key.text;
    const kp = labelKeyProblem(key) ?? (term.serviceAccount ? undefined : reservedKeyProblem(key));
    if (kp) {
      fail(term.key.span, kp);
      continue;
    }
    if (!opts.nodeLabels && isIgnoredByCilium(key)) out.push(diag("ignoredLabel", { file, span: term.key.span }, { name: key }));
    for (const v of term.values) {
      const vp = labelValueProblem(v.text);
      if (vp) fail(v.span, vp);
    }
    const values = [...new Set(term.values.map((v) => v.text))].sort();
    switch (term.op) {
      case "=": {
        const v = values[0];
        if (v === undefined) {
          ok = false;
          break;
        }
        const existing = matchLabels[key];
        if (existing !== undefined && existing !== v) fail(term.span, `'${key}' cannot equal both '${existing}' and '${v}'; this selector matches nothing`);
        else matchLabels[key] = v;
        break;
      }
      case "!=":
        if (values.length > 0) exprs.push({ key, operator: "NotIn", values });
        break;
      case "in":
      case "notin":
        if (values.length === 0) fail(term.span, `'${term.op}' needs at least one value`);
        else exprs.push({ key, operator: term.op === "in" ? "In" : "NotIn", values });
        break;
      case "exists":
        exprs.push({ key, operator: "Exists" });
        break;
      case "!exists":
        exprs.push({ key, operator: "DoesNotExist" });
        break;
    }
  }
  if (!ok) return undefined;
  return canonicalSelector(matchLabels, exprs);
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function canonicalSelector(matchLabels: Record<string, string>, exprs: readonly MatchExpression[]): LabelSelector {
  const labels: Record<string, string> = {};
  for (const k of Object.keys(matchLabels).sort()) labels[k] = matchLabels[k]!;
  const seen = new Set<string>();
  const expressions = [...exprs]
    .map((e) => (e.values ? { ...e, values: [...e.values].sort() } : e))
    // By code unit, as the keys above: localeCompare follows the machine's locale (output must be the
    // same wherever it runs), and its first call loads ICU's collation data (2.6 MB of memory).
    .sort((a, b) => compareText(a.key + a.operator + (a.values ?? []).join(","), b.key + b.operator + (b.values ?? []).join(",")))
    .filter((e) => {
      const id = `${e.key}|${e.operator}|${(e.values ?? []).join(",")}`;
      return seen.has(id) ? false : (seen.add(id), true);
    });
  return { matchLabels: labels, matchExpressions: expressions };
}

export function selectorText(s: LabelSelector): string {
  const parts = Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions) {
    if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === "In" ? "in" : "notin"} (${(e.values ?? []).join(", ")})`);
  }
  return parts.join(", ") || "(all pods)";
}

/** `a` requires a subset of what `b` requires, so every pod matching `b` matches `a`. */
export function selectorContains(a: LabelSelector, b: LabelSelector): boolean {
  // for-in, not Object.entries: the overlap analyses call this for many pairs after every keystroke.
  for (const k in a.matchLabels) if (b.matchLabels[k] !== a.matchLabels[k]) return false;
  const bExprs = new Set(b.matchExpressions.map((e) => `${e.key}|${e.operator}|${(e.values ?? []).join(",")}`));
  for (const e of a.matchExpressions) {
    const id = `${e.key}|${e.operator}|${(e.values ?? []).join(",")}`;
    if (bExprs.has(id)) continue;
    // `key` Exists is implied by an equality on that key in b; `In` by an equality on a listed value.
    const bv = b.matchLabels[e.key];
    if (e.operator === "Exists" && bv !== undefined) continue;
    if (e.operator === "In" && bv !== undefined && (e.values ?? []).includes(bv)) continue;
    if (e.operator === "NotIn" && bv !== undefined && !(e.values ?? []).includes(bv)) continue;
    return false;
  }
  return true;
}

/** Could some pod match both? Only equality conflicts are detected; otherwise assume yes. */
export function selectorsOverlap(a: LabelSelector, b: LabelSelector): boolean {
  for (const k in a.matchLabels) {
    const other = b.matchLabels[k];
    if (other !== undefined && other !== a.matchLabels[k]) return false;
  }
  const clash = (x: LabelSelector, y: LabelSelector) =>
    x.matchExpressions.some((e) => {
      const v = y.matchLabels[e.key];
      if (v === undefined) return e.operator === "Exists" ? false : false;
      if (e.operator === "DoesNotExist") return true;
      if (e.operator === "In") return !(e.values ?? []).includes(v);
      if (e.operator === "NotIn") return (e.values ?? []).includes(v);
      return false;
    });
  return !clash(a, b) && !clash(b, a);
}
