/**
 * Completion by context. The grammar says what may come next (syntax-context.ts); for names the
 * registries and the check say which ones exist: the tenants that may speak in this file, the
 * tenant's namespaces and workloads, other tenants' workloads, entities, HTTP methods, `expect`
 * endpoints, setting values, and the destinations approved for this tenant (never an unapproved,
 * expired, pending or blocked one). Modules and rule sets are in completion-modules.ts.
 */
import type { IToken } from "chevrotain";
import { SOFT_KEYWORDS, type Span, type TextEdit } from "../../language/index.js";
import { Arrow, Colon, Host, isKeyword, Kw, Slash } from "../../language/tokens.js";
import { findBlocked, isPending, type RequestedDestination } from "../approvals.js";
import { parseFqdn, fqdnContains } from "../net/fqdn.js";
import type { PortRange } from "../net/ports.js";
import type { Program } from "../program.js";
import type { Approval, TenantInfo } from "../registry.js";
import { ENTITIES, HTTP_METHODS } from "../resolve.js";
import { icmpNames } from "../resolve-constants.js";
import { FLOW_ENTITIES } from "../expectations.js";
import { argsFollow, argumentEntries, argumentType, enclosingRuleset, importEntries, importPathCompletion, useEntries } from "./completion-modules.js";
import { inProgram, memoized, type ServiceDocument } from "./document.js";
import { approvalMarkdown, ENTITY_DOCS, SETTING_DOCS } from "./hover.js";
import { syntaxContext, type Expected } from "./syntax-context.js";

export type CompletionKind =
  | "keyword"
  | "tenant"
  | "namespace"
  | "workload"
  | "entity"
  | "method"
  | "destination"
  | "port"
  | "protocol"
  | "module"
  | "ruleset"
  | "parameter"
  | "value";

export interface CompletionEntry {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail?: string | undefined;
  /** Markdown. */
  readonly documentation?: string | undefined;
  readonly insertText?: string | undefined;
  /** `insertText` is a snippet (`${1:9090}` placeholders). */
  readonly snippet?: boolean | undefined;
  /** Edits elsewhere in the file that come with the choice (the import a rule set needs). */
  readonly additionalEdits?: readonly TextEdit[] | undefined;
  readonly sortText?: string | undefined;
}

export interface CompletionResult {
  /** The text the chosen entry replaces (the partial word before the cursor). */
  readonly replace: Span;
  readonly items: readonly CompletionEntry[];
}

/** What the statement written so far says about the list the cursor is in. */
interface Statement {
  readonly tenant?: string | undefined;
  readonly action?: "allow" | "deny" | undefined;
  readonly direction?: "ingress" | "egress" | undefined;
  /** In the rule's subject list (its own pods), as opposed to its peers. */
  readonly subject: boolean;
  readonly hasPortClause: boolean;
}

function readStatement(before: readonly IToken[]): Statement {
  let tenant: string | undefined;
  if (isKeyword(before[0], "tenant") && before[1]) tenant = before[1].image;
  let action: Statement["action"];
  let direction: Statement["direction"];
  let clause: "from" | "to" | "bare" | "other" | undefined;
  let hasPortClause = false;
  for (const t of before) {
    if (isKeyword(t, "allow") || isKeyword(t, "deny")) {
      action = isKeyword(t, "allow") ? "allow" : "deny";
      direction = undefined;
      clause = undefined;
      hasPortClause = false;
    } else if (action && !direction && (t.tokenType === Kw.ingress || t.tokenType === Kw.egress)) {
      direction = t.tokenType === Kw.ingress ? "ingress" : "egress";
      clause = "bare";
    } else if (direction && t.tokenType === Kw.from) clause = "from";
    else if (direction && t.tokenType === Kw.to) clause = "to";
    else if (direction && (t.tokenType === Kw.port || t.tokenType === Kw.ports || t.tokenType === Kw.http)) {
      clause = "other";
      if (t.tokenType !== Kw.http) hasPortClause = true;
    }
  }
  const subject = (clause === "from" && direction === "egress") || (clause === "to" && direction === "ingress");
  return { tenant, action, direction, subject, hasPortClause };
}

/** Approvals that make egress legal for a tenant today: unexpired, signed off, not blocked. */
export function usableApprovals(program: Program, tenant: string): readonly Approval[] {
  const reg = program.registries?.approvals;
  if (!reg) return [];
  return memoized(program, `usableApprovals:${tenant}`, () =>
    reg
      .forTenant(tenant)
      .filter(
        (a) =>
          !isPending(a) &&
          a.expires >= program.today &&
          !findBlocked(reg, requestedOf(a.destination)),
      ),
  );
}

function requestedOf(d: Approval["destination"]): RequestedDestination {
  if (d.kind === "fqdn") return { kind: "fqdn", pattern: d.pattern };
  if (d.kind === "cidr") return { kind: "addresses", set: d.set };
  return { kind: "group", name: d.name };
}

function approvalDetail(a: Approval): string {
  return `${a.id} · ${a.ports.toString()} · expires ${a.expires}`;
}

/** A port range as .zt writes it: 443, 8000-8999, 53/udp. */
export function portText(r: PortRange): string {
  const p = r.start === r.end ? String(r.start) : `${r.start}-${r.end}`;
  return r.protocol === "TCP" ? p : `${p}/${r.protocol.toLowerCase()}`;
}

/**
 * The destination with its approved ports when the rule has no port clause yet, so the completed
 * rule is approved as written: `host:443`, or `10.40.0.0/16 port 5432`.
 */
function destinationInsert(a: Approval, st: Statement): string {
  const ranges = a.ports.ranges();
  if (st.hasPortClause || ranges.length === 0 || a.ports.isAll()) return a.destinationText;
  const r = ranges[0]!;
  if (a.destination.kind === "fqdn" && ranges.length === 1 && r.start === r.end) return `${a.destinationText}:${portText(r)}`;
  return `${a.destinationText} port ${ranges.map(portText).join(", ")}`;
}

function destinations(program: Program, st: Statement, kind: "fqdn" | "cidr"): CompletionEntry[] {
  if (!st.tenant || st.subject || st.direction === "ingress" || st.action === "deny") return [];
  return usableApprovals(program, st.tenant)
    .filter((a) => a.destination.kind === kind)
    .map((a) => ({
      label: a.destinationText,
      kind: "destination" as const,
      detail: approvalDetail(a),
      documentation: approvalMarkdown(program, a),
      insertText: destinationInsert(a, st),
      sortText: `0${a.destinationText}`,
    }));
}

function tenants(program: Program, file: string, st: Statement, declaring: boolean): CompletionEntry[] {
  const reg = program.registries?.tenants;
  if (!reg) return [];
  let list: readonly TenantInfo[] = [...reg.tenants.values()];
  if (declaring) {
    const owners = reg.ownersOf(file);
    if (owners.length > 0) list = owners;
  } else if (st.subject && st.tenant) list = list.filter((t) => t.name === st.tenant);
  return list.map((t) => ({
    label: t.name,
    kind: "tenant" as const,
    detail: t.namespaces.length > 0 ? `namespaces ${t.namespaces.join(", ")}` : t.platform ? "platform tenant" : undefined,
    documentation: t.description,
    sortText: `0${t.name}`,
  }));
}

function namespaces(program: Program, st: Statement, own: boolean): CompletionEntry[] {
  const reg = program.registries?.tenants;
  if (!reg) return [];
  const mine = st.tenant ? (reg.tenants.get(st.tenant)?.namespaces ?? []) : [];
  const list = own ? mine.map((n) => reg.namespaces.get(n)).filter((n) => n !== undefined) : [...reg.namespaces.values()];
  return list.map((n) => ({
    label: n.name,
    kind: "namespace" as const,
    detail: n.tenant ? `tenant ${n.tenant}` : "shared namespace",
    sortText: `${mine.includes(n.name) ? "0" : "1"}${n.name}`,
  }));
}

function workloads(program: Program, tenant: string | undefined): CompletionEntry[] {
  if (!tenant) return [];
  const own = program.getCheck()?.bound.workloads.get(tenant);
  return [...(own?.values() ?? [])].map((w) => ({
    label: w.name,
    kind: "workload" as const,
    detail: `${w.pinned ? `namespace ${w.pinned}` : `tenant ${tenant}`}`,
    documentation: `pods of tenant ${tenant} matching \`${selectorLabel(w.selector)}\``,
    sortText: `0${w.name}`,
  }));
}

function selectorLabel(s: { matchLabels: Readonly<Record<string, string>>; matchExpressions: readonly { key: string }[] }): string {
  const parts = Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions) parts.push(e.key);
  return parts.join(", ");
}

/** Ports approved for the host just before `:`. */
function hostPorts(program: Program, st: Statement, host: string): CompletionEntry[] {
  const parsed = parseFqdn(host);
  if (!st.tenant || !parsed.ok) return [];
  const out: CompletionEntry[] = [];
  for (const a of usableApprovals(program, st.tenant)) {
    if (a.destination.kind !== "fqdn" || !fqdnContains(a.destination.pattern, parsed.pattern)) continue;
    for (const r of a.ports.ranges()) {
      const port = r.start === r.end ? String(r.start) : `${r.start}-${r.end}`;
      out.push({
        label: `${port}${r.protocol === "TCP" ? "" : `/${r.protocol.toLowerCase()}`}`,
        kind: "port",
        detail: `approved by ${a.id}`,
        documentation: approvalMarkdown(program, a),
        sortText: `0${port}`,
      });
    }
  }
  return out;
}

const keywordEntry = (k: string): CompletionEntry => ({ label: k, kind: "keyword", sortText: `9${k}` });

const valueEntries = (values: readonly string[], doc?: (v: string) => string | undefined): CompletionEntry[] =>
  values.map((v) => ({ label: v, kind: "value" as const, documentation: doc?.(v), sortText: `0${v}` }));

/** The forms of `applies to`, each with what it selects. */
const APPLIES: Readonly<Record<string, { insert: string; doc: string }>> = {
  all: { insert: "all tenants", doc: "every namespace of every tenant in the registry (not the platform's shared namespaces)" },
  tenants: { insert: "tenants ", doc: "`tenants payments, ledger`: those tenants' namespaces; `tenants where tier=critical`: the namespaces of tenants whose registry labels match" },
  namespaces: { insert: "namespaces ", doc: "namespaces by name, a tenant's or a shared one" },
  nodes: { insert: "nodes", doc: "a host firewall policy for every node (`nodes where SELECTOR` for some), never pods" },
};

/** The tenant an `expect` statement's source endpoint belongs to, from the tokens written so far. */
function expectSourceTenant(before: readonly IToken[], blockTenant: string | undefined): string | undefined {
  const at = before.findIndex((t) => isKeyword(t, "expect"));
  if (at < 0 || !before.some((t, i) => i > at && t.tokenType === Arrow)) return undefined;
  const a = before[at + 1];
  const b = before[at + 2];
  if (isKeyword(a, "tenant")) return before[at + 2]?.image;
  if (b?.tokenType === Slash) return a?.image;
  if (a && b?.tokenType === Arrow && a.tokenType !== Kw.namespace) return blockTenant;
  return undefined;
}

/** `tenant/workload` for every workload of every tenant, and a block's own workloads bare. */
function flowEndpoints(program: Program, own: string | undefined): CompletionEntry[] {
  const out: CompletionEntry[] = [];
  for (const [tenant, list] of program.getCheck()?.bound.workloads ?? []) {
    for (const w of list.values()) {
      const doc = `a pod of workload ${w.name} of tenant ${tenant} (\`${selectorLabel(w.selector)}\`), in namespace ${w.namespaces[0] ?? "?"}`;
      out.push({ label: `${tenant}/${w.name}`, kind: "workload", detail: `tenant ${tenant}`, documentation: doc, sortText: `${tenant === own ? "0" : "1"}${tenant}/${w.name}` });
      if (tenant === own) out.push({ label: w.name, kind: "workload", detail: `tenant ${tenant} (this block)`, documentation: doc, sortText: `0${w.name}` });
    }
  }
  return out;
}

/** The cidr-groups approved for the tenant (egress to a group needs an approval for the group itself). */
function cidrGroups(program: Program, st: Statement): CompletionEntry[] {
  if (!st.tenant) return [];
  return usableApprovals(program, st.tenant)
    .filter((a) => a.destination.kind === "group")
    .map((a) => ({
      label: a.destination.kind === "group" ? a.destination.name : a.destinationText,
      kind: "destination" as const,
      detail: approvalDetail(a),
      documentation: approvalMarkdown(program, a),
      sortText: `0${a.destinationText}`,
    }));
}

/** Values of a rule set parameter's type, where the registries know them. */
function argumentValues(program: Program, st: Statement, type: string | undefined): CompletionEntry[] {
  switch (type) {
    case "namespace":
      return namespaces(program, st, false);
    case "tenant":
      return tenants(program, "", { ...st, subject: false }, false);
    case "entity":
      return ENTITIES.map((n) => ({ label: n, kind: "entity" as const, detail: ENTITY_DOCS[n], sortText: `0${n}` }));
    case "host":
      return destinations(program, { ...st, hasPortClause: true, subject: false, direction: "egress", action: "allow" }, "fqdn");
    case "cidr":
      return destinations(program, { ...st, hasPortClause: true, subject: false, direction: "egress", action: "allow" }, "cidr");
    default:
      return [];
  }
}

/** Entries for one token the grammar accepts, in its context. */
function entriesFor(e: Expected, doc: ServiceDocument, st: Statement, before: readonly IToken[], replace: Span): CompletionEntry[] {
  const where = `${e.rule}:${e.keyword ?? e.token.name}`;
  if (e.rule === "appliesStmt" && e.keyword && APPLIES[e.keyword])
    return [{ label: APPLIES[e.keyword]!.insert.trim(), kind: "keyword", insertText: APPLIES[e.keyword]!.insert, documentation: APPLIES[e.keyword]!.doc, sortText: `0${e.keyword}` }];
  if (e.keyword) return [keywordEntry(e.keyword)];
  // Registries and workloads come from the program even when its snapshot of this file is older.
  const program = doc.program;
  const prev = before[before.length - 1];
  switch (where) {
    case "entityTarget:Name":
      return ENTITIES.map((n) => ({ label: n, kind: "entity" as const, detail: ENTITY_DOCS[n], sortText: `0${n}` }));
    case "httpRule:BareName":
      return HTTP_METHODS.map((m) => ({ label: m, kind: "method" as const, sortText: `0${m}` }));
    case "portSpec:Name":
      // After '/': the protocol.
      return prev?.tokenType.name === "Slash"
        ? ["tcp", "udp", "sctp", "any"].map((p) => ({ label: p, kind: "protocol" as const, sortText: `0${p}` }))
        : [];
    case "modeStmt:Name":
      return valueEntries(["audit", "enforce"], (v) => SETTING_DOCS[`mode ${v}`]);
    case "dnsModeStmt:Name":
      return valueEntries(["strict", "any"], (v) => SETTING_DOCS[`dns ${v}`]);
    case "kafkaRule:BareName":
      return valueEntries(["produce", "consume"]);
    case "icmpType:BareName": {
      const family = [...before].reverse().find((t) => t.tokenType === Kw.icmp || t.tokenType === Kw.icmpv6)?.tokenType === Kw.icmpv6 ? "IPv6" : "IPv4";
      return valueEntries(icmpNames(family));
    }
    case "expectStmt:Ident":
      return SOFT_KEYWORDS.map((v) => ({
        label: v,
        kind: "keyword" as const,
        documentation: v === "allowed" ? "both sides let the flow through (and any HTTP or DNS rules accept the request)" : "the flow is dropped, or its request rejected",
        sortText: `0${v}`,
      }));
    case "flowEndpoint:Name":
      if (e.occurrence === 6) return FLOW_ENTITIES.map((n) => ({ label: n, kind: "entity" as const, detail: ENTITY_DOCS[n as keyof typeof ENTITY_DOCS], sortText: `0${n}` }));
      break;
    default:
      break;
  }
  if (!program) return [];
  switch (where) {
    case "tenantDecl:Name":
      return tenants(program, doc.unit.path, st, true);
    case "tenantTarget:Name":
      if (e.occurrence === 0) return tenants(program, doc.unit.path, st, false);
      // `tenant X workload |`: X's workloads.
      return isKeyword(prev, "workload") && before[before.length - 2] ? workloads(program, before[before.length - 2]!.image) : [];
    case "namespaceTarget:Name":
      return namespaces(program, st, st.subject);
    case "serviceTarget:Name":
      return e.occurrence === 0 ? namespaces(program, st, false) : [];
    case "workloadDecl:Name":
      return e.occurrence === 2 ? namespaces(program, st, true) : [];
    case "workloadTarget:Name":
    case "workloadTarget:BareName":
      return workloads(program, st.tenant);
    case "hostTarget:Host":
      return destinations(program, st, "fqdn");
    case "cidrTarget:Address":
      return destinations(program, st, "cidr");
    case "cidrGroupTarget:Name":
      return cidrGroups(program, st);
    case "portSpec:NumberLit": {
      const host = before[before.length - 2];
      return prev?.tokenType === Colon && host?.tokenType === Host ? hostPorts(program, st, host.image) : [];
    }
    case "appliesStmt:Name":
      // `applies to tenants |` or `applies to namespaces |`.
      return [...before].reverse().find((t) => t.tokenType === Kw.tenants || t.tokenType === Kw.namespaces)?.tokenType === Kw.namespaces
        ? namespaces(program, st, false)
        : tenants(program, "", { ...st, subject: false }, false).filter((t) => !program.registries?.tenants?.tenants.get(t.label)?.platform);
    case "expectStmt:Name":
      return tenants(program, "", { ...st, subject: false }, false);
  }
  if (!inProgram(doc)) return [];
  switch (where) {
    case "importDecl:StringLit":
      return importEntries(program, doc.unit);
    case "useStmt:Name":
    case "useStmt:Host":
      return useEntries(program, doc.unit, enclosingRuleset(doc.unit, replace.start), !argsFollow(doc.unit.text, replace.end));
    case "arg:Name":
      return argumentEntries(program, doc.unit, before);
    case "argValue:Name":
    case "argValue:Host":
    case "argValue:Address":
      return argumentValues(program, st, argumentType(program, doc.unit, before));
    case "flowEndpoint:Name":
    case "flowEndpoint:BareName":
      if (e.occurrence === 0) return flowEndpoints(program, st.tenant);
      // `tenant/|` and `tenant X workload |`: that tenant's workloads.
      if (e.occurrence === 2 || e.occurrence === 4) return workloads(program, before[before.length - 2]?.image);
      if (e.occurrence === 3) return tenants(program, "", { ...st, subject: false }, false);
      if (e.occurrence === 5) return namespaces(program, st, false);
      return [];
    case "flowEndpoint:Host": {
      const tenant = expectSourceTenant(before, st.tenant);
      return tenant ? destinations(program, { ...st, tenant, subject: false, direction: "egress", action: "allow", hasPortClause: false }, "fqdn") : [];
    }
    default:
      return [];
  }
}

/** Completion at an offset: everything that may be written there, with what it means. */
export function getCompletions(doc: ServiceDocument, offset: number): CompletionResult | undefined {
  const inImport = importPathCompletion(inProgram(doc) ? doc.program : undefined, doc.unit, offset);
  if (inImport) return inImport;
  const ctx = syntaxContext(doc.unit.text, doc.unit.ast, offset);
  if (!ctx) return undefined;
  const st = readStatement(ctx.before);
  const items = new Map<string, CompletionEntry>();
  for (const e of ctx.expected) {
    for (const entry of entriesFor(e, doc, st, ctx.before, ctx.replace)) {
      const key = `${entry.kind}:${entry.label}`;
      if (!items.has(key)) items.set(key, entry);
    }
  }
  return { replace: ctx.replace, items: [...items.values()] };
}
