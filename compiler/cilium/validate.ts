/**
 * What Cilium checks beyond its CRD schema (cilium-semantics.md §A, `Rule.Sanitize` and friends),
 * applied to plain policy objects. ztc runs it on everything it is about to write; a failure is a
 * ztc bug. It does not depend on how the object was built, so it also checks imported YAML.
 */
import { labelKeyProblem, labelValueProblem } from "../labels.js";
import { memoByText } from "../memo.js";
import { parseCidr, prefixContains } from "../net/cidr.js";
import { isValidPortName } from "../net/ports.js";
import { re2Problem } from "../re2.js";
import { validateCiliumPolicy } from "../generated/validators.js";

type Obj = Record<string, unknown>;

const INGRESS_L3 = ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups"];
const EGRESS_L3 = ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toGroups", "toNodes", "toFQDNs"];
const CRD_ENTITIES = new Set(["all", "world", "cluster", "host", "init", "ingress", "unmanaged", "remote-node", "health", "none", "kube-apiserver", "cluster-mesh"]);
const HTTP_FIELDS = ["path", "method", "host"];
const ENTITY_FIELDS = ["fromEntities", "toEntities"];
const ENDPOINT_FIELDS = ["fromEndpoints", "toEndpoints"];
const CIDR_SET_FIELDS = ["fromCIDRSet", "toCIDRSet"];
const NAMESPACE_KEYS = new Set(["k8s:io.kubernetes.pod.namespace", "io.kubernetes.pod.namespace", "any:io.kubernetes.pod.namespace"]);

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Label keys and values repeat across every policy ztc writes. */
const keyProblem = memoByText((k) => labelKeyProblem(k.replace(/^[A-Za-z0-9]+:/, "")));
const valueProblem = memoByText(labelValueProblem);

/** `where` (here and below) names the place of a finding; it is built only when there is one. */
function checkSelector(sel: unknown, where: () => string, out: string[]): void {
  if (!isObj(sel)) return;
  const labels = sel["matchLabels"];
  if (isObj(labels))
    for (const k of Object.keys(labels)) {
      const kp = keyProblem(k);
      if (kp) out.push(`${where()}.matchLabels: ${kp}`);
      const vp = valueProblem(String(labels[k]));
      if (vp) out.push(`${where()}.matchLabels[${k}]: ${vp}`);
    }
  const exprs = sel["matchExpressions"];
  if (!Array.isArray(exprs)) return;
  exprs.forEach((e, i) => {
    if (!isObj(e)) return;
    const op = e["operator"];
    const values = arr(e["values"]);
    if ((op === "In" || op === "NotIn") && values.length === 0) out.push(`${where()}.matchExpressions[${i}]: ${String(op)} needs at least one value`);
    if ((op === "Exists" || op === "DoesNotExist") && e["values"] !== undefined) out.push(`${where()}.matchExpressions[${i}]: ${String(op)} takes no values`);
    for (const v of values) {
      const vp = valueProblem(String(v));
      if (vp) out.push(`${where()}.matchExpressions[${i}]: ${vp}`);
    }
  });
}

function checkPorts(portRules: unknown, where: () => string, opts: { egress: boolean; deny: boolean }, out: string[]): void {
  arr(portRules).forEach((pr, i) => {
    if (!isObj(pr)) return;
    const at = () => `${where()}.toPorts[${i}]`;
    const ports = arr(pr["ports"]);
    if (ports.length === 0) out.push(`${at()}: no ports (such an item allows nothing)`);
    if (ports.length > 40) out.push(`${at()}: ${ports.length} ports, Cilium allows at most 40`);
    const rules = isObj(pr["rules"]) ? (pr["rules"] as Obj) : undefined;
    const http = rules ? arr(rules["http"]) : [];
    const dns = rules ? arr(rules["dns"]) : [];
    if (rules && opts.deny) out.push(`${at()}: L7 rules are not allowed in deny rules`);
    if (http.length > 0 && dns.length > 0) out.push(`${at()}: HTTP and DNS rules in one item`);
    ports.forEach((p, j) => {
      if (!isObj(p)) return;
      const port = String(p["port"] ?? "");
      const proto = String(p["protocol"] ?? "ANY");
      const numeric = /^\d+$/.test(port);
      if (numeric && (port.length > 1 && port.startsWith("0") ? true : Number(port) > 65535)) out.push(`${at()}.ports[${j}]: port "${port}" is not plain decimal 0-65535`);
      if (!numeric && !(isValidPortName(port) && port === port.toLowerCase())) out.push(`${at()}.ports[${j}]: "${port}" is not a valid port name`);
      if (rules && port === "0") out.push(`${at()}.ports[${j}]: L7 rules cannot be used with port 0`);
      if (http.length > 0 && proto !== "TCP") out.push(`${at()}.ports[${j}]: HTTP rules need protocol TCP, not ${proto}`);
      if (p["endPort"] !== undefined && (!numeric || Number(p["endPort"]) <= Number(port)))
        out.push(`${at()}.ports[${j}]: endPort ${String(p["endPort"])} is ignored by Cilium (not above port ${port})`);
      if (dns.length > 0 && p["endPort"] !== undefined) out.push(`${at()}.ports[${j}]: DNS rules do not support port ranges`);
    });
    if (dns.length > 0 && !opts.egress) out.push(`${at()}: DNS rules are not allowed on ingress`);
    http.forEach((h, k) => {
      if (!isObj(h)) return;
      for (const f of HTTP_FIELDS) {
        const v = h[f];
        if (typeof v === "string") {
          const problem = re2Problem(v);
          if (problem) out.push(`${at()}.rules.http[${k}].${f}: ${problem}`);
        }
      }
    });
  });
}

function checkCidrRules(list: unknown, where: () => string, out: string[]): void {
  arr(list).forEach((c, i) => {
    if (!isObj(c) || typeof c["cidr"] !== "string") return;
    const r = parseCidr(c["cidr"]);
    if (!r.ok) {
      out.push(`${where()}[${i}].cidr: ${r.reason}`);
      return;
    }
    arr(c["except"]).forEach((e, j) => {
      const x = parseCidr(String(e));
      if (!x.ok) out.push(`${where()}[${i}].except[${j}]: ${x.reason}`);
      else if (!prefixContains(r.prefix, x.prefix)) out.push(`${where()}[${i}].except[${j}]: not inside ${String(c["cidr"])} (or another family)`);
    });
  });
}

function checkFqdns(list: unknown, where: () => string, out: string[]): void {
  arr(list).forEach((f, i) => {
    if (!isObj(f)) return;
    const name = f["matchName"];
    const pattern = f["matchPattern"];
    if ((name === undefined) === (pattern === undefined)) out.push(`${where()}[${i}]: exactly one of matchName and matchPattern`);
    if (typeof name === "string" && !/^[-a-zA-Z0-9_.]{1,255}$/.test(name)) out.push(`${where()}[${i}].matchName: invalid characters`);
    if (typeof pattern === "string" && !/^[-a-zA-Z0-9_.*]{1,255}$/.test(pattern)) out.push(`${where()}[${i}].matchPattern: invalid characters`);
  });
}

function checkSection(entries: unknown, section: string, out: string[]): void {
  const egress = section.startsWith("egress");
  const deny = section.endsWith("Deny");
  const l3Fields = egress ? EGRESS_L3 : INGRESS_L3;
  arr(entries).forEach((e, i) => {
    if (!isObj(e)) return;
    const at = () => `spec.${section}[${i}]`;
    const present = l3Fields.filter((f) => e[f] !== undefined);
    if (present.length > 1) out.push(`${at()}: combining ${present.join(" and ")} in one rule is not supported by Cilium`);
    for (const f of present) if (arr(e[f]).length === 0) out.push(`${at()}.${f}: an empty list selects nothing`);
    if (deny && e["toFQDNs"] !== undefined) out.push(`${at()}: toFQDNs is allow-only`);
    if (deny && e["toServices"] !== undefined) out.push(`${at()}: toServices in deny rules is never resolved by Cilium`);
    if (e["icmps"] !== undefined && e["toPorts"] !== undefined) out.push(`${at()}: icmps and toPorts cannot be combined`);
    for (const f of ENTITY_FIELDS)
      for (const ent of arr(e[f])) if (!CRD_ENTITIES.has(String(ent))) out.push(`${at()}.${f}: unknown entity '${String(ent)}'`);
    for (const f of ENDPOINT_FIELDS) arr(e[f]).forEach((s, j) => checkSelector(s, () => `${at()}.${f}[${j}]`, out));
    for (const f of CIDR_SET_FIELDS) checkCidrRules(e[f], () => `${at()}.${f}`, out);
    checkFqdns(e["toFQDNs"], () => `${at()}.toFQDNs`, out);
    checkPorts(e["toPorts"], at, { egress, deny }, out);
  });
}

function checkRule(doc: Obj, spec: Obj, out: string[]): void {
  const sections = ["ingress", "ingressDeny", "egress", "egressDeny"];
  if (!sections.some((s) => arr(spec[s]).length > 0)) out.push("spec: a rule must have at least one of ingress, ingressDeny, egress, egressDeny");
  if ((spec["endpointSelector"] === undefined) === (spec["nodeSelector"] === undefined)) out.push("spec: exactly one of endpointSelector and nodeSelector");
  if (doc["kind"] === "CiliumNetworkPolicy") {
    if (spec["nodeSelector"] !== undefined) out.push("spec.nodeSelector: not allowed in a CiliumNetworkPolicy");
    const sel = spec["endpointSelector"];
    const keys = isObj(sel) && isObj(sel["matchLabels"]) ? Object.keys(sel["matchLabels"] as Obj) : [];
    const exprKeys = isObj(sel) ? arr(sel["matchExpressions"]).map((e) => (isObj(e) ? String(e["key"]) : "")) : [];
    if ([...keys, ...exprKeys].some((k) => NAMESPACE_KEYS.has(k))) out.push("spec.endpointSelector: a namespace in a CNP subject is overridden by the agent");
  }
  checkSelector(spec["endpointSelector"], () => "spec.endpointSelector", out);
  for (const s of sections) checkSection(spec[s], s, out);
}

/** Problems Cilium (schema or agent) would report for one policy object; empty when accepted. */
export function ciliumProblems(doc: unknown): string[] {
  const out: string[] = [];
  if (!validateCiliumPolicy(doc)) {
    for (const e of validateCiliumPolicy.errors ?? []) {
      if (["if", "then", "else", "oneOf", "anyOf"].includes(e.keyword) && (validateCiliumPolicy.errors?.length ?? 0) > 1) continue;
      out.push(`schema: ${e.instancePath || "/"} ${e.message ?? ""}`.trim());
    }
  }
  if (!isObj(doc)) return out;
  const rules: [string, Obj][] = [];
  if (isObj(doc["spec"])) rules.push(["spec", doc["spec"] as Obj]);
  arr(doc["specs"]).forEach((r, i) => {
    if (isObj(r)) rules.push([`specs[${i}]`, r]);
  });
  if (rules.length === 0) out.push("a policy needs spec or specs");
  for (const [where, spec] of rules) {
    const problems: string[] = [];
    checkRule(doc, spec, problems);
    out.push(...problems.map((p) => (p.startsWith("spec") ? where + p.slice(4) : `${where}: ${p}`)));
  }
  return out;
}
