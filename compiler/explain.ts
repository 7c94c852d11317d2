/**
 * `ztc explain FLOW`: the verdict for one flow under the project's compiled policies, the rules
 * behind it with their .zt lines, and for a drop the rule that is missing and whether an approval
 * already covers it. FLOW is the text form (`payments/api -> api.stripe.com:443`) or a Hubble JSON
 * line. Pure: the CLI does the I/O.
 */
import { checkCoverage, findBlocked, type RequestedDestination } from "./approvals.js";
import {
  Evaluator,
  ownerOf,
  parseHubbleLine,
  parseTextFlow,
  policyText,
  resolveTextFlow,
  type Decision,
  type DirectionDecision,
  type Endpoint,
  type EntryRef,
  type Flow,
  type Observed,
  type Owner,
  type ProjectContext,
  type TextFlow,
} from "./evaluator/index.js";
import { AddressSet, parseAddress } from "./net/cidr.js";
import { parseFqdn } from "./net/fqdn.js";
import { PortSet, type L4Protocol } from "./net/ports.js";
import { compiledContext, type EvaluationContext } from "./evaluation.js";
import type { Program } from "./program.js";

export interface Fix {
  readonly direction: "ingress" | "egress";
  /** add-rule: a rule to write; remove-deny: a deny wins; add-http-rule: an L7 rule rejects the request; outside: no .zt governs the subject. */
  readonly kind: "add-rule" | "remove-deny" | "add-http-rule" | "outside";
  readonly tenant?: string | undefined;
  readonly file?: string | undefined;
  readonly rule?: string | undefined;
  readonly approval?: { readonly status: string; readonly ids: readonly string[]; readonly detail?: string | undefined } | undefined;
  readonly text: string;
}

export interface Explanation {
  readonly input: string;
  readonly flow: Flow;
  readonly owners: { readonly source?: Owner | undefined; readonly destination?: Owner | undefined };
  readonly decision: Decision;
  readonly observed?: Observed | undefined;
  readonly notes: readonly string[];
  readonly fixes: readonly Fix[];
}

export type ExplainResult = { readonly ok: true; readonly explanation: Explanation } | { readonly ok: false; readonly error: string; readonly skipped?: boolean };

export type ExplainContext = EvaluationContext;

/** The evaluator over the project's compiled policies; undefined when the project does not compile. */
export function explainContext(program: Program): ExplainContext | undefined {
  return compiledContext(program);
}

function portWords(flow: Flow): string {
  if (flow.protocol === "ICMPv4" || flow.protocol === "ICMPv6") return `${flow.protocol} type ${flow.icmpType ?? "?"}`;
  if (flow.port === undefined) return flow.protocol;
  return `${flow.port}/${flow.protocol.toLowerCase()}`;
}

export function endpointText(e: Endpoint): string {
  switch (e.kind) {
    case "pod": {
      const labels = Object.entries(e.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
      return e.name ?? `${e.namespace}/${labels || "(any pod)"}`;
    }
    case "reserved":
      return `entity ${e.entity}${e.ip ? ` (${e.ip})` : ""}`;
    case "world":
      return e.names?.[0]?.replace(/\.$/, "") ?? e.ip ?? "world";
  }
}

/** The .zt words for the other side of a rule. */
function peerWords(e: Endpoint, own: Owner | undefined, subjectTenant: string, ctx: ExplainContext): string | undefined {
  if (e.kind === "world") {
    // Hubble writes DNS names with the trailing dot; .zt host names have none.
    if (e.names?.[0]) return e.names[0].replace(/\.$/, "").toLowerCase();
    if (e.ip) {
      const a = parseAddress(e.ip);
      return typeof a === "string" ? undefined : `cidr ${e.ip}/${a.family === 4 ? 32 : 128}`;
    }
    return "entity world";
  }
  if (e.kind === "reserved") return `entity ${e.entity}`;
  const owner = own ?? ownerOf(e, ctx.project);
  if (owner?.workload) return owner.tenant === subjectTenant ? owner.workload : `tenant ${owner.tenant} workload ${owner.workload}`;
  const labels = Object.entries(e.labels ?? {}).filter(([k]) => !k.includes(":"));
  return labels.length > 0 ? `namespace ${e.namespace} workload ${labels.map(([k, v]) => `${k}=${v}`).join(", ")}` : `namespace ${e.namespace}`;
}

function portClause(flow: Flow, hostForm: boolean): string | undefined {
  if (flow.protocol === "ICMPv4" || flow.protocol === "ICMPv6") return undefined;
  if (flow.port === undefined) return "";
  const suffix = flow.protocol === "TCP" ? "" : `/${flow.protocol.toLowerCase()}`;
  return hostForm ? `:${flow.port}${suffix}` : ` port ${flow.port}${suffix}`;
}

function tenantFile(ctx: ExplainContext, tenant: string): string | undefined {
  const info = ctx.project.tenants.tenants.get(tenant);
  return ctx.program.units.map((u) => u.path).find((p) => info?.owns(p));
}

function missingRule(dir: "ingress" | "egress", d: Decision, owners: Explanation["owners"], ctx: ExplainContext): Fix {
  const flow = d.flow;
  const subject = dir === "egress" ? flow.source : flow.destination;
  const peer = dir === "egress" ? flow.destination : flow.source;
  const owner = (dir === "egress" ? owners.source : owners.destination) ?? ownerOf(subject, ctx.project);
  if (!owner)
    return { direction: dir, kind: "outside", text: `${endpointText(subject)} is not a tenant's pod: no .zt file here writes its ${dir} policy` };
  const tenantInfo = ctx.project.tenants.tenants.get(owner.tenant);
  const subjectWord = owner.workload ?? (tenantInfo && tenantInfo.namespaces.length > 1 ? `namespace ${owner.namespace}` : undefined);
  const peerOwner = dir === "egress" ? owners.destination : owners.source;
  const peerText = peerWords(peer, peerOwner, owner.tenant, ctx);
  const hostForm = peer.kind === "world" && !!peer.names?.[0];
  const ports = portClause(flow, hostForm);
  const file = tenantFile(ctx, owner.tenant);
  if (peerText === undefined || ports === undefined)
    return { direction: dir, kind: "add-rule", tenant: owner.tenant, file, text: `ztc's language cannot express this flow yet (${portWords(flow)}); allow it in tenant ${owner.tenant}'s policy by hand` };
  const rule =
    dir === "egress"
      ? `allow egress${subjectWord ? ` from ${subjectWord}` : ""} to ${peerText}${ports}`
      : `allow ingress${subjectWord ? ` to ${subjectWord}` : ""}${ports} from ${peerText}`;
  let approval: Fix["approval"];
  if (dir === "egress" && peer.kind === "world" && flow.port !== undefined && (flow.protocol === "TCP" || flow.protocol === "UDP" || flow.protocol === "SCTP")) {
    const reg = ctx.program.registries?.approvals;
    let dest: RequestedDestination | undefined;
    if (peer.names?.[0]) {
      const p = parseFqdn(peer.names[0]);
      if (p.ok) dest = { kind: "fqdn", pattern: p.pattern };
    } else if (peer.ip) {
      const a = parseAddress(peer.ip);
      if (typeof a !== "string") dest = { kind: "addresses", set: AddressSet.prefix({ family: a.family, addr: a.addr, len: a.family === 4 ? 32 : 128 }) };
    }
    if (reg && dest) {
      const blocked = findBlocked(reg, dest);
      const c = checkCoverage(reg, owner.tenant, dest, PortSet.spec(flow.protocol as L4Protocol, flow.port), ctx.program.today);
      if (blocked) approval = { status: "blocked", ids: [], detail: `${blocked.destinationText} is on the blocklist: ${blocked.reason}` };
      else if (c.ok) approval = { status: "approved", ids: c.used.map((a) => a.id) };
      else if (c.reason === "expired") approval = { status: "expired", ids: c.expired.map((a) => a.id), detail: `expired on ${c.expired.map((a) => a.expires).join(", ")}` };
      else approval = { status: c.reason, ids: [], detail: c.detail };
    }
  }
  const where = file ?? `a file of tenant ${owner.tenant}`;
  let text = `add to ${where}: ${rule}`;
  if (approval?.status === "approved") text += `\napproval: already covered by ${approval.ids.join(", ")}`;
  else if (approval?.status === "blocked") text += `\napproval: impossible, ${approval.detail}`;
  else if (approval) text += `\napproval: needed, none covers it (${approval.status}${approval.detail ? `: ${approval.detail}` : ""}); request one in the approval registry`;
  return { direction: dir, kind: "add-rule", tenant: owner.tenant, file, rule, approval, text };
}

function fixesFor(d: Decision, owners: Explanation["owners"], ctx: ExplainContext): Fix[] {
  const out: Fix[] = [];
  for (const dd of [d.egress, d.ingress]) {
    if (dd.reason === "default-deny") out.push(missingRule(dd.direction, d, owners, ctx));
    else if (dd.reason === "denied")
      out.push({
        direction: dd.direction,
        kind: "remove-deny",
        text: `a deny wins over every allow (B1): narrow or remove ${dd.deniedBy.map(sourceText).join("; ")}`,
      });
    else if (dd.l7?.verdict === "denied") {
      const req = d.flow.http ? `${d.flow.http.method ?? ""} ${d.flow.http.path ?? ""}`.trim() : `DNS ${d.flow.dns}`;
      out.push({
        direction: dd.direction,
        kind: "add-http-rule",
        text: `the request ${req} matches none of the ${dd.l7.protocol.toUpperCase()} rules of ${[...new Set(dd.l7.rules.map((r) => sourceText(r.ref)))].join("; ")}; extend them`,
      });
    }
  }
  return out;
}

export function sourceText(r: EntryRef): string {
  const s = r.sources.find((x) => x.file);
  const where = `${policyText(r.policy)} ${r.path}`;
  return s ? `${s.file}:${s.line} (${where})` : where;
}

export function explain(input: string, ctx: ExplainContext): ExplainResult {
  const text = input.trim();
  if (text.startsWith("{")) {
    const h = parseHubbleLine(text);
    if (h.kind === "skip") return { ok: false, error: `this Hubble line is ${h.reason}: nothing to explain`, skipped: true };
    const owners = { source: ownerOf(h.flow.source, ctx.project), destination: ownerOf(h.flow.destination, ctx.project) };
    return { ok: true, explanation: explainFlow(h.flow, ctx, { input: text, owners, observed: h.observed, notes: h.notes }) };
  }
  const t = parseTextFlow(text);
  if (!t.ok) return { ok: false, error: t.error };
  return explainTextFlow(t.flow, ctx, text);
}

/** Explains a flow whose endpoints are still names (`ztc explain` text, an `expect` statement). */
export function explainTextFlow(flow: TextFlow, ctx: ExplainContext, input: string): ExplainResult {
  const r = resolveTextFlow(flow, ctx.project);
  if (!r.ok) return { ok: false, error: r.error };
  return { ok: true, explanation: explainFlow(r.flow, ctx, { input, owners: r.owners }) };
}

/** Evaluates a resolved flow and says why, and what would change the verdict. */
export function explainFlow(
  flow: Flow,
  ctx: ExplainContext,
  about: { readonly input: string; readonly owners?: Explanation["owners"] | undefined; readonly observed?: Observed | undefined; readonly notes?: readonly string[] | undefined },
): Explanation {
  const owners = about.owners ?? { source: ownerOf(flow.source, ctx.project), destination: ownerOf(flow.destination, ctx.project) };
  const decision = ctx.evaluator.evaluate(flow);
  return { input: about.input, flow, owners, decision, observed: about.observed, notes: about.notes ?? [], fixes: fixesFor(decision, owners, ctx) };
}

// ---- rendering

const VERDICT_WORD = { allowed: "ALLOWED", dropped: "DROPPED", "l7-denied": "DENIED AT L7" } as const;

function refLines(refs: readonly EntryRef[], indent: string): string[] {
  const out: string[] = [];
  for (const r of refs) {
    const withFile = r.sources.filter((s) => s.file);
    if (withFile.length > 0)
      for (const s of withFile) out.push(`${indent}${s.file}:${s.line}: ${s.text}${s.approvals.length ? ` [${s.approvals.join(", ")}]` : ""}`);
    else if (r.sources[0]) out.push(`${indent}${r.sources[0].text}`);
    out.push(`${indent}  (${policyText(r.policy)}, ${r.path})`);
  }
  return out;
}

function directionLines(d: DirectionDecision, who: string): string[] {
  const head = `${d.direction} (${who}): `;
  const out: string[] = [];
  switch (d.reason) {
    case "not-enforced":
      out.push(`${head}not enforced`);
      break;
    case "enforcement-disabled":
      out.push(`${head}not enforced (policy enforcement never)`);
      break;
    case "no-policy":
      out.push(`${head}allowed: no rule makes it default-deny`);
      break;
    case "allow-localhost":
      out.push(`${head}allowed: traffic from the local node is always admitted (allow-localhost)`);
      break;
    case "allowed":
      out.push(`${head}${d.verdict === "l7-denied" ? "allowed at L4, request rejected at L7" : "allowed"} by`, ...refLines(d.allowedBy, "  "));
      break;
    case "default-deny":
      out.push(`${head}DROPPED: default deny, no allow rule matches`, "  default deny comes from", ...refLines(d.defaultDenyBy, "    "));
      break;
    case "denied":
      out.push(`${head}DROPPED: explicitly denied by`, ...refLines(d.deniedBy, "  "));
      break;
  }
  if (d.l7) {
    const l7 = d.l7;
    const what = l7.protocol === "http" ? "HTTP" : "DNS";
    if (l7.neutralisedBy) out.push(`  ${what} rules have no effect: the same peer and port are also allowed without L7 rules (B9) by`, ...refLines(l7.neutralisedBy, "    "));
    else if (l7.verdict === "unknown") out.push(`  requests are filtered by ${l7.rules.length} ${what} rule(s); give the request (http METHOD PATH / dns NAME) to decide`);
    else if (l7.verdict === "allowed") out.push(`  the ${what} request matches ${l7.matched.map((r) => ruleText(r)).join(", ")}`);
    else out.push(`  the ${what} request matches none of: ${l7.rules.map((r) => ruleText(r)).join(", ")} (${l7.protocol === "http" ? "HTTP 403" : "DNS REFUSED"}, not a packet drop)`);
  }
  for (const n of d.notes) out.push(`  note: ${n}`);
  return out;
}

function ruleText(r: { readonly http?: { method?: string | undefined; path?: string | undefined; host?: string | undefined; headers?: readonly string[] | undefined } | undefined; readonly dns?: string | undefined }): string {
  if (r.dns !== undefined) return r.dns;
  const h = r.http ?? {};
  return [h.method ?? "*", h.path ?? "", h.host ? `host ${h.host}` : "", ...(h.headers ?? []).map((x) => `header "${x}"`)].filter(Boolean).join(" ");
}

export function renderExplanation(e: Explanation): string {
  const d = e.decision;
  const f = e.flow;
  const l7 = f.http ? ` ${f.http.method ?? ""} ${f.http.path ?? ""}`.trimEnd() : f.dns ? ` dns ${f.dns}` : "";
  // Pods read from Hubble are shown as the tenant workload they belong to, when one matches.
  const show = (ep: Endpoint, o: Owner | undefined) => (o?.workload && ep.kind === "pod" && !ep.name?.includes("/") ? `${o.tenant}/${o.workload} (${endpointText(ep)})` : endpointText(ep));
  const src = show(f.source, e.owners.source);
  const dst = show(f.destination, e.owners.destination);
  const lines = [`flow: ${src} -> ${dst} ${portWords(f)}${l7}`, `verdict: ${VERDICT_WORD[d.verdict]}`];
  if (e.observed?.verdict) lines.push(`hubble saw: ${[e.observed.verdict, e.observed.dropReason, e.observed.trafficDirection].filter(Boolean).join(", ")}`);
  for (const n of e.notes) lines.push(`note: ${n}`);
  lines.push("", ...directionLines(d.egress, `source ${src}`), ...directionLines(d.ingress, `destination ${dst}`));
  const modules = modulesInvolved(e);
  if (modules.length > 0) lines.push("", `modules behind these rules: ${modules.join(", ")}`);
  if (e.fixes.length > 0) {
    lines.push("");
    for (const x of e.fixes) lines.push(`to change it (${x.direction}):`, ...x.text.split("\n").map((l) => `  ${l}`));
  }
  return lines.join("\n") + "\n";
}

/**
 * The rule-set modules (stdlib or the project's) behind the deciding rules: each source line of a
 * rule from a rule set names where the rule set is written, `(stdlib:dns@1.zt:10: ...)`.
 */
export function modulesInvolved(e: Explanation): string[] {
  const out = new Set<string>();
  const d = e.decision;
  for (const ref of [...d.egress.allowedBy, ...d.egress.deniedBy, ...d.ingress.allowedBy, ...d.ingress.deniedBy])
    for (const s of ref.sources) {
      const m = /\(([^():\s]+(?::[^():\s]+)?\.zt):\d+: /.exec(s.text);
      if (m) out.add(m[1]!.startsWith("stdlib:") ? `stdlib/${m[1]!.slice(7, -3)} (bundled)` : m[1]!);
    }
  return [...out].sort();
}

export function explanationJson(e: Explanation): unknown {
  return {
    input: e.input,
    verdict: e.decision.verdict,
    summary: e.decision.summary,
    flow: e.flow,
    owners: e.owners,
    observed: e.observed,
    notes: e.notes,
    egress: e.decision.egress,
    ingress: e.decision.ingress,
    modules: modulesInvolved(e),
    fixes: e.fixes,
  };
}
