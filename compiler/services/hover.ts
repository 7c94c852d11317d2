/**
 * Hover: what a name or rule means to the compiler. A rule shows the YAML it compiles to; a
 * destination the approvals behind it (or the checker's reason why none covers it); tenants and
 * namespaces their registry entries; a workload its selector and namespaces. Everything shown
 * comes from the program (registries, check, emitter); nothing is worked out again here.
 */
import type { Diagnostic, Span } from "../../language/index.js";
import { daysBetween, isPending } from "../approvals.js";
import type { Atom, LabelSelector } from "../ir.js";
import { selectorText } from "../labels.js";
import type { Program } from "../program.js";
import type { Approval } from "../registry.js";
import { ENTITIES } from "../resolve.js";
import type { YamlSource } from "../yaml-source.js";
import { compileRule } from "./compiled.js";
import { atomsByRule, inProgram, type ServiceDocument } from "./document.js";
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

/** Hover at an offset, or undefined when there is nothing to say. */
export function getHover(doc: ServiceDocument, offset: number): HoverResult | undefined {
  const s = symbolAt(doc, offset);
  if (!s) return undefined;
  if (s.kind === "entity") {
    const docText = ENTITY_DOCS[s.name as keyof typeof ENTITY_DOCS];
    return { span: s.span, markdown: docText ? `**entity ${s.name}**: ${docText}` : `**entity ${s.name}**: not an entity Cilium knows.` };
  }
  if (s.kind === "import") return { span: s.span, markdown: `**import** ${code(s.decl.path?.value ?? "")}` };
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
  }
}
