/**
 * Hover: what a name or rule means to the compiler. A rule or a `use` shows the YAML it compiles
 * to, a baseline its CiliumClusterwideNetworkPolicy; a destination the approvals behind it (or the
 * checker's reason why none covers it); tenants and namespaces their registry entries; a workload
 * its selector and namespaces; an import or rule set its module, signature and documentation; an
 * `expect` whether it holds. Everything shown comes from the program (registries, check, emitter,
 * `ztc test`'s evaluation); nothing is worked out again here.
 */
import type { Diagnostic, Span } from "../../language/index.js";
import { daysBetween, isPending } from "../approvals.js";
import type { Atom, LabelSelector } from "../ir.js";
import { selectorText } from "../labels.js";
import type { Program } from "../program.js";
import type { Approval } from "../registry.js";
import { ENTITIES } from "../resolve.js";
import type { YamlSource } from "../yaml-source.js";
import type { BaselineDecl, ExpectStmt, UseStmt } from "../../language/index.js";
import { compileBaseline, compileRule, compileUse, type CompiledRule } from "./compiled.js";
import { atomsByRule, inProgram, type ServiceDocument } from "./document.js";
import { expectStatus, type DecidingRule } from "./explain.js";
import { importedModule, rulesetInfo, rulesetOfDecl, rulesetOfUse, unitLabel, type ModuleInfo, type RulesetInfo } from "./modules.js";
import { symbolAt, type SymbolAt } from "./symbol-at.js";

export interface HoverResult {
  readonly span: Span;
  /** Markdown. */
  readonly markdown: string;
}

/** One-line meanings of Cilium's entities (cilium-semantics.md B5). */
export const ENTITY_DOCS: Readonly<Record<(typeof ENTITIES)[number], string>> = {
  all: "every identity, inside and outside the cluster",
  world: "everything outside the cluster (all addresses that are not pods, nodes or other known identities)",
  cluster: "every pod of every namespace and every node of this cluster",
  host: "the node the pod runs on (the local host)",
  "remote-node": "the other nodes of the cluster",
  "kube-apiserver": "the Kubernetes API server, wherever it runs",
  ingress: "Cilium's ingress and Gateway API proxy",
  health: "Cilium's health-check endpoints",
  init: "endpoints whose identity is not resolved yet",
  unmanaged: "pods not managed by Cilium",
  none: "nothing (a rule that selects no peer)",
};

const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";

function fence(lang: string, text: string): string {
  return "```" + lang + "\n" + text.replace(/\n+$/, "") + "\n```";
}

function lineOf(program: Program, file: string, span: Span): number {
  return (program.lineIndex(file)?.positionAt(span.start).line ?? 0) + 1;
}

/** The YAML of a registry entry, dedented: from its key's line to the end of its value. */
function registryEntry(src: YamlSource | undefined, path: (string | number)[]): string | undefined {
  if (!src) return undefined;
  const key = src.locate(path, true);
  const value = src.locate(path);
  if (value.end <= key.start) return undefined;
  const lineStart = src.text.lastIndexOf("\n", key.start - 1) + 1;
  const indent = key.start - lineStart;
  const text = src.text.slice(lineStart, value.end);
  if (text.length > 2000) return undefined;
  return text
    .split("\n")
    .map((l) => (l.slice(0, indent).trim() === "" ? l.slice(indent) : l))
    .join("\n");
}

function sourceOf(program: Program, file: string | undefined): YamlSource | undefined {
  return file ? program.registries?.sources.find((s) => s.file === file) : undefined;
}

/** Diagnostics of a file whose span lies inside `span`, errors first. */
function diagnosticsIn(program: Program, file: string, span: Span): Diagnostic[] {
  return program
    .getDiagnostics()
    .filter((d) => d.file === file && d.span.start >= span.start && d.span.end <= span.end)
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}

function listDiagnostics(ds: readonly Diagnostic[]): string {
  return ds.map((d) => `- **${d.code}** ${d.message}${d.help ? ` _${d.help}_` : ""}`).join("\n");
}

export function approvalMarkdown(program: Program, a: Approval): string {
  const days = daysBetween(program.today, a.expires);
  const state = isPending(a)
    ? "**pending**: not signed off yet, approves nothing"
    : days < 0
      ? `**expired** ${-days} day${days === -1 ? "" : "s"} ago`
      : `valid for ${days} more day${days === 1 ? "" : "s"}`;
  const rows = [
    `**${a.id}** ${code(a.destinationText)} on ${code(a.ports.toString())} (${a.file}:${lineOf(program, a.file, a.span)})`,
    `- tenants: ${a.tenants === "*" ? "all (`*`)" : a.tenants.join(", ")}`,
    `- approved by ${a.approvedBy}, ticket ${a.ticket}`,
    `- expires ${a.expires}: ${state}`,
  ];
  if (a.description) rows.push(`- ${a.description}`);
  return rows.join("\n");
}

function selectorYaml(s: LabelSelector): string {
  const lines: string[] = [];
  const labels = Object.entries(s.matchLabels);
  if (labels.length > 0) lines.push("matchLabels:", ...labels.map(([k, v]) => `  ${k}: ${v}`));
  if (s.matchExpressions.length > 0) {
    lines.push("matchExpressions:");
    for (const e of s.matchExpressions) {
      lines.push(`- key: ${e.key}`, `  operator: ${e.operator}`);
      if (e.values) lines.push("  values:", ...e.values.map((v) => `  - ${v}`));
    }
  }
  return lines.length > 0 ? lines.join("\n") : "{}  # every pod";
}

function hoverTenant(program: Program, name: string): string {
  const reg = program.registries?.tenants;
  const t = reg?.tenants.get(name);
  if (!reg || !t) return `**tenant ${name}**: not in the tenant registry${reg ? ` (${reg.file})` : ""}.`;
  const entry = registryEntry(sourceOf(program, reg.file), ["tenants", name]);
  const head = `**tenant ${name}**${t.description ? `: ${t.description}` : ""} (${reg.file}:${lineOf(program, reg.file, t.span)})`;
  return entry ? `${head}\n\n${fence("yaml", entry)}` : head;
}

function hoverNamespace(program: Program, name: string): string {
  const reg = program.registries?.tenants;
  const ns = reg?.namespaces.get(name);
  if (!reg || !ns) return `**namespace ${name}**: not in the tenant registry${reg ? ` (${reg.file})` : ""}.`;
  const where = `${reg.file}:${lineOf(program, reg.file, ns.span)}`;
  if (ns.tenant) {
    const owner = reg.tenants.get(ns.tenant);
    return `**namespace ${name}**: owned by tenant ${code(ns.tenant)}${owner ? ` (namespaces ${owner.namespaces.join(", ")})` : ""} (${where})`;
  }
  const entry = registryEntry(sourceOf(program, reg.file), ["namespaces", name]);
  const head = `**namespace ${name}**: shared, owned by no tenant (${where})`;
  return entry ? `${head}\n\n${fence("yaml", entry)}` : head;
}

function hoverWorkload(program: Program, tenant: string, name: string): string {
  const w = program.getCheck()?.bound.workloads.get(tenant)?.get(name);
  if (!w) return `**workload ${name}** of tenant ${tenant}: not declared.`;
  const where = `${w.file}:${lineOf(program, w.file, w.nameSpan)}`;
  return [
    `**workload ${name}** of tenant ${code(tenant)} (${where})`,
    "",
    `pods matching ${code(selectorText(w.selector))} in ${w.pinned ? "namespace" : "namespaces"} ${w.namespaces.map(code).join(", ")}`,
    "",
    fence("yaml", `endpointSelector:\n${selectorYaml(w.selector).replace(/^/gm, "  ")}`),
  ].join("\n");
}

function hoverDestination(program: Program, doc: ServiceDocument, s: Extract<SymbolAt, { kind: "destination" }>): string {
  const check = program.getCheck();
  const atoms: Atom[] = check ? (atomsByRule(check).get(s.rule) ?? []).filter((a) => a.peerSpan.start === s.target.span.start) : [];
  const text = doc.unit.text.slice(s.target.span.start, s.target.span.end);
  const head = `**${code(text)}**`;
  if (s.rule.direction !== "egress" || s.rule.action !== "allow")
    return `${head}: ${s.rule.action === "deny" ? "deny rules need no approval" : "ingress from outside the cluster needs no approval"}.`;
  const used = [...new Map(atoms.flatMap((a) => a.approvals).map((a) => [a.id, a])).values()];
  if (used.length > 0)
    return `${head} is approved for tenant ${code(atoms[0]!.tenant)} by:\n\n${used.map((a) => approvalMarkdown(program, a)).join("\n\n")}`;
  const why = diagnosticsIn(program, doc.unit.path, s.target.span).filter((d) => d.severity === "error");
  if (why.length > 0) return `${head} is not approved:\n\n${listDiagnostics(why)}`;
  if (atoms.length > 0) return `${head} stays inside the cluster: no approval needed.`;
  return `${head}: not checked (the rule or its tenant has errors).`;
}

function hoverRule(program: Program, doc: ServiceDocument, s: Extract<SymbolAt, { kind: "rule" }>): string {
  const compiled = compileRule(program, s.rule);
  const problems = diagnosticsIn(program, doc.unit.path, s.rule.span);
  const errors = problems.filter((d) => d.severity === "error");
  const parts: string[] = [];
  if (compiled) {
    parts.push(`**Compiles to** (${compiled.namespaces} polic${compiled.namespaces === 1 ? "y" : "ies"}):`, fence("yaml", compiled.yaml));
    if (compiled.dnsProxy)
      parts.push("_The last egress entry is the DNS-proxy rule that host rules need; each policy gets it once._");
    if (errors.length > 0) parts.push("Parts of the rule with errors are left out:");
  } else parts.push(errors.length > 0 ? "**This rule compiles to nothing** until its errors are fixed:" : "**This rule compiles to nothing**.");
  if (problems.length > 0) parts.push(listDiagnostics(problems));
  return parts.join("\n\n");
}

function compiledParts(compiled: CompiledRule | undefined, what: string): string[] {
  if (!compiled) return [`**${what} compiles to nothing here** (or its errors keep it out).`];
  const out = [`**${what} compiles to** (${compiled.namespaces} polic${compiled.namespaces === 1 ? "y" : "ies"}):`, fence("yaml", compiled.yaml)];
  if (compiled.dnsProxy) out.push("_The last egress entry is the DNS-proxy rule that host rules need; each policy gets it once._");
  return out;
}

/** The first paragraph of a comment, on one line. */
export function firstParagraph(doc: string): string {
  return doc.split(/\n\s*\n/)[0]!.replace(/\s*\n\s*/g, " ").trim();
}

/** A rule set's signature, documentation and module. */
export function rulesetMarkdown(info: RulesetInfo, module: string): string {
  return [fence("zt", `${info.exported ? "export " : ""}ruleset ${info.signature}`), `from ${module}`, info.doc ?? ""].filter((x) => x !== "").join("\n\n");
}

export function moduleMarkdown(m: ModuleInfo, label: string): string {
  const parts = [`**module** ${code(m.importPath)}: ${label}`];
  if (m.description) parts.push(m.description);
  parts.push(m.exports.length === 0 ? "_Exports no rule set._" : `Exports:\n${m.exports.map((e) => `- ${code(e.signature)}${e.doc ? `: ${firstParagraph(e.doc)}` : ""}`).join("\n")}`);
  return parts.join("\n\n");
}

function hoverUse(program: Program, doc: ServiceDocument, use: UseStmt): string {
  const r = rulesetOfUse(program, doc.unit, use);
  if (!r) {
    const why = diagnosticsIn(program, doc.unit.path, use.span).filter((d) => d.severity === "error");
    return `**use ${use.name?.text ?? ""}**: no such rule set here.${why.length > 0 ? `\n\n${listDiagnostics(why)}` : ""}`;
  }
  const info = rulesetInfo(r.unit.text, r.unit.ast.comments, r.decl);
  const parts = [rulesetMarkdown(info, unitLabel(program, r.unit.path))];
  if (info.params.length > 0) {
    const given = new Map(use.args.flatMap((a) => (a.name && a.value ? [[a.name.text, doc.unit.text.slice(a.value.span.start, a.value.span.end)] as const] : [])));
    parts.push(
      `Arguments here:\n${info.params.map((p) => `- ${code(p.name)} = ${given.has(p.name) ? code(given.get(p.name)!) : p.default !== undefined ? `${code(p.default)} (default)` : "**missing**"}`).join("\n")}`,
    );
  }
  // Only a use in a tenant block or a baseline expands to policies; one inside a rule set does where that is used.
  const top = doc.unit.ast.items.some((i) => (i.kind === "Tenant" || i.kind === "Baseline") && i.span.start <= use.span.start && use.span.end <= i.span.end);
  if (top) parts.push(...compiledParts(compileUse(program, doc.unit.path, use), `use ${use.name?.text ?? ""}`));
  const problems = diagnosticsIn(program, doc.unit.path, use.span);
  if (problems.length > 0) parts.push(listDiagnostics(problems));
  return parts.join("\n\n");
}

function hoverBaseline(program: Program, doc: ServiceDocument, decl: BaselineDecl): string {
  const name = decl.name?.text ?? "";
  const b = program.getCheck()?.bound.baselines.find((x) => x.name === name && x.unit.path === doc.unit.path);
  const head = `**baseline ${name}**: a CiliumClusterwideNetworkPolicy`;
  if (!b) return `${head}; not compiled (see its errors).\n\n${listDiagnostics(diagnosticsIn(program, doc.unit.path, decl.span))}`;
  const scope = b.nodes ? "the nodes it applies to (host firewall)" : b.namespaces.length > 0 ? `namespaces ${b.namespaces.map(code).join(", ")}` : "no namespace";
  const dd = b.visibilityOnly ? "visibility only: never default deny" : b.defaultDeny.size > 0 ? `default deny ${[...b.defaultDeny].sort().join(", ")}${b.audit ? " (staged: mode audit)" : ""}` : "no default deny";
  const yaml = compileBaseline(program, name);
  const parts = [`${head} for ${scope}; ${dd}.`];
  parts.push(yaml ? `**Compiles to:**\n\n${fence("yaml", yaml)}` : "**Compiles to nothing** (it selects nothing, or its rules have errors).");
  const errors = diagnosticsIn(program, doc.unit.path, decl.span).filter((d) => d.severity === "error");
  if (errors.length > 0) parts.push(`Rules with errors are left out:\n${listDiagnostics(errors)}`);
  return parts.join("\n\n");
}

function decidingList(rules: readonly DecidingRule[]): string {
  const word = { allowed: "allowed by", denied: "denied by", "default-deny": "default deny from", "l7-matched": "request accepted by the L7 rules of", "l7-rejected": "request rejected by the L7 rules of" } as const;
  return rules
    .slice(0, 8)
    .map((r) => `- ${r.direction} ${word[r.role]} ${r.location ? `${r.location.file}:${r.line}: ` : ""}${code(r.text)}${r.location ? "" : ` (${r.entry})`}`)
    .join("\n");
}

function hoverExpect(doc: ServiceDocument, stmt: ExpectStmt): string {
  const s = expectStatus(doc, stmt);
  const lines: string[] = [];
  if (s.status === "holds") lines.push(`**✓ holds**${stmt.verdict ? `: the flow is ${s.actual ?? stmt.verdict.value}` : ""} (as \`ztc test\` evaluates it)`);
  else if (s.status === "fails") lines.push(`**✗ fails**: ${s.message ?? ""}`);
  else lines.push(`**${s.message ?? "not evaluated"}**`);
  if (s.cases.length > 1) lines.push(s.cases.map((c) => `- ${c.passed ? "✓" : "✗"} ${c.name.replace(/^.*\((tenant [^)]*)\)$/, "$1")}`).join("\n"));
  if (s.deciding.length > 0) lines.push(`Decided by:\n${decidingList(s.deciding)}`);
  if (s.status === "fails" && stmt.source) lines.push("_Explain it (code lens, or **ztc: Explain flow…**) for the rule that is missing and its approval status._");
  return lines.join("\n\n");
}

export const SETTING_DOCS: Record<string, string> = {
  "mode audit": "the tenant's policies are emitted without default deny (`enableDefaultDeny: false`, label `ztc.io/mode: audit`): traffic no rule allows still flows, so the rules can be watched in Hubble before they are enforced. Deny rules and L7 rules still act. The tenant registry must allow it (`audit-allowed: true`).",
  "mode enforce": "the default: the tenant's namespaces are default-deny in both directions, and only what its rules allow flows.",
  "dns strict": "the DNS-proxy rule admits only the names of the tenant's host rules (and the cluster's own names); other lookups are refused.",
  "dns any": "the default: the DNS-proxy rule admits every lookup (`matchPattern: \"*\"`); the host rules are the allow-list.",
};

function hoverSetting(program: Program, s: Extract<SymbolAt, { kind: "setting" }>): string {
  const which = s.stmt.kind === "Mode" ? "mode" : "dns";
  const value = s.stmt.value?.text ?? "";
  const meaning = SETTING_DOCS[`${which} ${value}`];
  const where = s.baseline ? `baseline ${s.baseline}` : `tenant ${s.tenant ?? "?"}`;
  if (!meaning) return `**${which} ${value}**: not a setting; write ${which === "mode" ? "`mode audit` or `mode enforce`" : "`dns strict` or `dns any`"}.`;
  const text = s.baseline && which === "mode" ? meaning.replace("the tenant's policies are emitted", "the baseline's policy is emitted").replace(" The tenant registry must allow it (`audit-allowed: true`).", "") : meaning;
  const parts = [`**${which} ${value}** (${where}): ${text}`];
  if (which === "mode" && value === "audit" && s.tenant) {
    const t = program.registries?.tenants?.tenants.get(s.tenant);
    if (t) parts.push(t.auditAllowed ? `Tenant ${code(s.tenant)} is allowed audit mode by the tenant registry.` : `Tenant ${code(s.tenant)} is **not** allowed audit mode by the tenant registry (ZT2027).`);
  }
  return parts.join("\n\n");
}

function hoverParameter(doc: ServiceDocument, s: Extract<SymbolAt, { kind: "parameter" }>): string {
  const p = s.ruleset.params.find((x) => x.name?.text === s.name);
  const rs = s.ruleset.name?.text ?? "?";
  if (!p) return `**$${s.name}**: not a parameter of rule set ${code(rs)}.`;
  const def = p.default ? ` = ${doc.unit.text.slice(p.default.span.start, p.default.span.end)}` : "";
  return `**parameter** ${code(`${s.name}: ${p.type?.text ?? "?"}${def}`)} of rule set ${code(rs)}${p.default ? "" : " (required)"}`;
}

function hoverArgument(program: Program, doc: ServiceDocument, s: Extract<SymbolAt, { kind: "argument" }>): string {
  const r = rulesetOfUse(program, doc.unit, s.use);
  const name = s.arg.name?.text ?? "";
  if (!r) return `**${name}**: an argument of a rule set that is not found here.`;
  const info = rulesetInfo(r.unit.text, r.unit.ast.comments, r.decl);
  const p = info.params.find((x) => x.name === name);
  if (!p) return `**${name}**: rule set ${code(r.name)} has no such parameter (${info.signature}).`;
  return `**parameter** ${code(`${p.name}: ${p.type}${p.default !== undefined ? ` = ${p.default}` : ""}`)} of rule set ${code(r.name)} (${unitLabel(program, r.unit.path)})`;
}

/** Hover at an offset, or undefined when there is nothing to say. */
export function getHover(doc: ServiceDocument, offset: number): HoverResult | undefined {
  const s = symbolAt(doc, offset);
  if (!s) return undefined;
  if (s.kind === "entity") {
    const docText = ENTITY_DOCS[s.name as keyof typeof ENTITY_DOCS];
    return { span: s.span, markdown: docText ? `**entity ${s.name}**: ${docText}` : `**entity ${s.name}**: not an entity Cilium knows.` };
  }
  if (s.kind === "import" && !inProgram(doc)) return { span: s.span, markdown: `**import** ${code(s.decl.path?.value ?? "")}` };
  if (s.kind === "parameter") return { span: s.span, markdown: hoverParameter(doc, s) };
  if (!inProgram(doc)) return undefined;
  const program = doc.program;
  switch (s.kind) {
    case "tenant":
      return { span: s.span, markdown: hoverTenant(program, s.name) };
    case "namespace":
      return { span: s.span, markdown: hoverNamespace(program, s.name) };
    case "workload":
      return { span: s.span, markdown: hoverWorkload(program, s.tenant, s.name) };
    case "destination":
      return { span: s.span, markdown: hoverDestination(program, doc, s) };
    case "service": {
      const ns = s.target.namespace?.text ?? "";
      const name = s.target.name?.text ?? "";
      return { span: s.span, markdown: `**service ${ns}/${name}**: the pods behind this Kubernetes Service (Cilium ${code("toServices")}; egress only).` };
    }
    case "rule":
      return { span: s.rule.span, markdown: hoverRule(program, doc, s) };
    case "import": {
      const path = s.decl.path?.value ?? "";
      const m = importedModule(program, doc.unit, path);
      if (!m) {
        const why = diagnosticsIn(program, doc.unit.path, s.span);
        return { span: s.span, markdown: `**import** ${code(path)}: not found.${why.length > 0 ? `\n\n${listDiagnostics(why)}` : ""}` };
      }
      return { span: s.span, markdown: moduleMarkdown(m, unitLabel(program, m.unitPath)) };
    }
    case "ruleset": {
      if (s.use) return { span: s.span, markdown: hoverUse(program, doc, s.use) };
      const r = s.decl ? rulesetOfDecl(program, doc.unit, s.decl) : undefined;
      if (!s.decl) return undefined;
      const info = rulesetInfo(doc.unit.text, doc.unit.ast.comments, s.decl);
      return { span: s.span, markdown: rulesetMarkdown(info, unitLabel(program, r?.unit.path ?? doc.unit.path)) };
    }
    case "use":
      return { span: s.span, markdown: hoverUse(program, doc, s.use) };
    case "argument":
      return { span: s.span, markdown: hoverArgument(program, doc, s) };
    case "baseline":
      return { span: s.span, markdown: hoverBaseline(program, doc, s.decl) };
    case "expect":
      return { span: s.span, markdown: hoverExpect(doc, s.stmt) };
    case "setting":
      return { span: s.span, markdown: hoverSetting(program, s) };
  }
}
