/**
 * Go to definition, find references and rename. Definitions of tenants and namespaces live in the
 * tenant registry, of destinations in the approval registry (the approvals the checker used, or the
 * registry entries its diagnostics point at); workloads and rule sets are declared in .zt files (a
 * bundled stdlib module is a unit `stdlib:NAME.zt`, which the language server maps to its file).
 * Which rule set a `use` names is the checker's own lookup, so navigation and checking agree.
 */
import { forEachChild, type AstNode, type Location, type SourceFileAst, type Span, type TextEdit, type UseStmt } from "../../language/index.js";
import { nameProblem, type SourceUnit } from "../binder.js";
import type { Program } from "../program.js";
import type { RulesetSymbol } from "../rulesets.js";
import { atomsByRule, inProgram, memoized, type ServiceDocument } from "./document.js";
import { rulesetOfDecl, rulesetOfUse, unitLabel, useNameSpan } from "./modules.js";
import { symbolAt, type SymbolAt } from "./symbol-at.js";

/** Calls `visit` for every node of a file, depth first, with the tenant block it is in. */
export function walkFile(ast: SourceFileAst, visit: (node: AstNode, tenant: string | undefined) => void): void {
  for (const item of ast.items) {
    const tenant = item.kind === "Tenant" ? item.name?.text : undefined;
    const rec = (n: AstNode) => {
      visit(n, tenant);
      forEachChild(n, rec);
    };
    rec(item);
  }
}

type Named = Extract<SymbolAt, { kind: "tenant" | "workload" | "namespace" }>;

/** Every occurrence of a tenant, workload or namespace name in one file. */
function occurrencesIn(unit: SourceUnit, s: Named): Span[] {
  const out: Span[] = [];
  walkFile(unit.ast, (n, tenant) => {
    switch (n.kind) {
      case "Tenant":
        if (s.kind === "tenant" && n.name?.text === s.name) out.push(n.name.span);
        break;
      case "Workload":
        if (s.kind === "workload" && tenant === s.tenant && n.name?.text === s.name) out.push(n.name.span);
        if (s.kind === "namespace" && n.namespace?.text === s.name) out.push(n.namespace.span);
        break;
      case "WorkloadRef":
        if (s.kind === "workload" && tenant === s.tenant && n.name?.text === s.name) out.push(n.name.span);
        break;
      case "TenantRef":
        if (s.kind === "tenant" && n.tenant?.text === s.name) out.push(n.tenant.span);
        if (s.kind === "workload" && n.tenant?.text === s.tenant && n.workload?.text === s.name) out.push(n.workload.span);
        break;
      case "NamespaceRef":
      case "Service":
        if (s.kind === "namespace" && n.namespace?.text === s.name) out.push(n.namespace.span);
        break;
      case "FlowEndpoint": {
        // `expect payments/api -> ...`, `tenant payments workload api`, or `api` in payments' block.
        const owner = n.form === "own" ? tenant : n.tenant?.text;
        if (s.kind === "tenant" && n.tenant?.text === s.name) out.push(n.tenant.span);
        if (s.kind === "workload" && owner === s.tenant && n.workload?.text === s.name) out.push(n.workload.span);
        if (s.kind === "namespace" && n.namespace?.text === s.name) out.push(n.namespace.span);
        break;
      }
      case "Expect":
        if (s.kind === "tenant" && n.defaultDeny?.tenant?.text === s.name) out.push(n.defaultDeny.tenant.span);
        break;
      case "Applies":
        for (const id of s.kind === "tenant" ? n.tenants : s.kind === "namespace" ? n.namespaces : []) if (id.text === s.name) out.push(id.span);
        break;
      default:
        break;
    }
  });
  return out;
}

/** Every `use` of the program with the rule set it resolves to (once per snapshot). */
function usesOf(program: Program): readonly { unit: SourceUnit; use: UseStmt; ruleset: RulesetSymbol }[] {
  return memoized(program, "uses", () => {
    const out: { unit: SourceUnit; use: UseStmt; ruleset: RulesetSymbol }[] = [];
    for (const unit of program.units)
      walkFile(unit.ast, (n) => {
        if (n.kind !== "Use") return;
        const ruleset = rulesetOfUse(program, unit, n);
        if (ruleset) out.push({ unit, use: n, ruleset });
      });
    return out;
  });
}

/** The rule set a symbol names (a declaration, a use or a `use` statement), as the checker resolves it. */
function rulesetOf(doc: ServiceDocument & { program: Program }, s: SymbolAt | undefined): RulesetSymbol | undefined {
  if (s?.kind === "ruleset") return s.use ? rulesetOfUse(doc.program, doc.unit, s.use) : s.decl ? rulesetOfDecl(doc.program, doc.unit, s.decl) : undefined;
  if (s?.kind === "use") return rulesetOfUse(doc.program, doc.unit, s.use);
  return undefined;
}

/** A rule set's declaration and every use of it, across the program. */
function rulesetReferences(program: Program, r: RulesetSymbol, includeDeclaration: boolean): Location[] {
  const out: Location[] = includeDeclaration && r.decl.name ? [{ file: r.unit.path, span: r.decl.name.span }] : [];
  for (const u of usesOf(program)) {
    const span = u.ruleset === r ? useNameSpan(u.use) : undefined;
    if (span) out.push({ file: u.unit.path, span });
  }
  return out;
}

function registryLocation(program: Program, s: Named): Location | undefined {
  const reg = program.registries?.tenants;
  if (!reg) return undefined;
  if (s.kind === "tenant") {
    const t = reg.tenants.get(s.name);
    return t ? { file: reg.file, span: t.span } : undefined;
  }
  if (s.kind === "namespace") {
    const ns = reg.namespaces.get(s.name);
    return ns ? { file: reg.file, span: ns.span } : undefined;
  }
  return undefined;
}

/** Where the thing at an offset is defined: registry entries for tenants, namespaces and destinations. */
export function getDefinition(doc: ServiceDocument, offset: number): Location[] {
  const s = symbolAt(doc, offset);
  if (!s || !inProgram(doc)) return [];
  const program = doc.program;
  switch (s.kind) {
    case "tenant":
    case "namespace": {
      const loc = registryLocation(program, s);
      return loc ? [loc] : [];
    }
    case "ruleset":
    case "use": {
      const r = rulesetOf(doc, s);
      return r?.decl.name ? [{ file: r.unit.path, span: r.decl.name.span }] : [];
    }
    case "import": {
      const target = program.modules?.imports.get(doc.unit.path)?.find((i) => i.decl === s.decl)?.target;
      return target ? [{ file: target, span: { start: 0, end: 0 } }] : [];
    }
    case "argument": {
      const r = rulesetOfUse(program, doc.unit, s.use);
      const p = r?.decl.params.find((x) => x.name?.text === s.arg.name?.text);
      return r && p?.name ? [{ file: r.unit.path, span: p.name.span }] : [];
    }
    case "parameter": {
      const p = s.ruleset.params.find((x) => x.name?.text === s.name);
      return p?.name ? [{ file: doc.unit.path, span: p.name.span }] : [];
    }
    case "workload": {
      const w = program.getCheck()?.bound.workloads.get(s.tenant)?.get(s.name);
      if (w) return [{ file: w.file, span: w.nameSpan }];
      // Not bound (its tenant block has errors): the declarations as written.
      return declarations(program, s);
    }
    case "destination": {
      const check = program.getCheck();
      const atoms = check ? (atomsByRule(check).get(s.rule) ?? []).filter((a) => a.peerSpan.start === s.target.span.start) : [];
      const used = [...new Map(atoms.flatMap((a) => a.approvals).map((a) => [a.id, a])).values()];
      if (used.length > 0) return used.map((a) => ({ file: a.file, span: a.span }));
      // Expired, blocked, other tenants' approvals: the registry entries the diagnostics point at.
      return program
        .getDiagnostics()
        .filter((d) => d.file === doc.unit.path && d.span.start === s.target.span.start)
        .flatMap((d) => (d.related ?? []).map((r) => ({ file: r.file, span: r.span })));
    }
    default:
      return [];
  }
}

function declarations(program: Program, s: Extract<SymbolAt, { kind: "workload" }>): Location[] {
  const out: Location[] = [];
  for (const u of program.units)
    walkFile(u.ast, (n, tenant) => {
      if (n.kind === "Workload" && tenant === s.tenant && n.name?.text === s.name) out.push({ file: u.path, span: n.name.span });
    });
  return out;
}

/** Every reference to the tenant, workload, namespace or rule set at an offset, across the program. */
export function getReferences(doc: ServiceDocument, offset: number, includeDeclaration: boolean): Location[] {
  const s = symbolAt(doc, offset);
  if ((s?.kind === "ruleset" || s?.kind === "use") && inProgram(doc)) {
    const r = rulesetOf(doc, s);
    return r ? rulesetReferences(doc.program, r, includeDeclaration) : [];
  }
  if (!s || (s.kind !== "tenant" && s.kind !== "workload" && s.kind !== "namespace")) return [];
  const units = inProgram(doc) ? doc.program.units : [doc.unit];
  const out: Location[] = [];
  if (includeDeclaration && doc.program && s.kind !== "workload") {
    const loc = registryLocation(doc.program, s);
    if (loc) out.push(loc);
  }
  for (const u of units) for (const span of occurrencesIn(u, s)) out.push({ file: u.path, span });
  if (!includeDeclaration && s.kind === "workload") {
    const decls = new Set((inProgram(doc) ? declarations(doc.program, s) : []).map((l) => `${l.file}:${l.span.start}`));
    return out.filter((l) => !decls.has(`${l.file}:${l.span.start}`));
  }
  return out;
}

/** Occurrences of the symbol at an offset within its own file (document highlights). */
export function getHighlights(doc: ServiceDocument, offset: number): Span[] {
  const s = symbolAt(doc, offset);
  if (s?.kind === "ruleset" && inProgram(doc))
    return getReferences(doc, offset, true)
      .filter((l) => l.file === doc.unit.path)
      .map((l) => l.span);
  if (!s || (s.kind !== "tenant" && s.kind !== "workload" && s.kind !== "namespace")) return [];
  return occurrencesIn(doc.unit, s);
}

export type RenameCheck = { readonly span: Span; readonly placeholder: string } | { readonly error: string };

/** Can the symbol at an offset be renamed? Workloads and the project's rule sets can; tenants and namespaces are renamed in the registry. */
export function prepareRename(doc: ServiceDocument, offset: number): RenameCheck {
  const s = symbolAt(doc, offset);
  if (s?.kind === "workload") return { span: s.span, placeholder: s.name };
  if (s?.kind === "ruleset" && inProgram(doc)) {
    const r = rulesetOf(doc, s);
    if (!r) return { error: "This rule set is not found here, so its uses cannot be told apart." };
    if (r.stdlib)
      return { error: `Rule set '${r.name}' is part of ${unitLabel(doc.program, r.unit.path)}: its name is what every importer uses, so it is not renamed here.` };
    const span = s.use ? useNameSpan(s.use)! : s.span;
    return { span, placeholder: r.name };
  }
  if (s?.kind === "tenant" || s?.kind === "namespace")
    return { error: `${s.kind === "tenant" ? "Tenants" : "Namespaces"} are named by the tenant registry; rename them there and in every file.` };
  return { error: "Only workloads and rule sets can be renamed." };
}

function renameRuleset(doc: ServiceDocument & { program: Program }, r: RulesetSymbol, newName: string): { readonly edits: TextEdit[] } | { readonly error: string } {
  const problem = nameProblem(newName);
  if (problem) return { error: `'${newName}' is not a valid rule set name: ${problem}.` };
  if (newName === r.name) return { edits: [] };
  const refs = rulesetReferences(doc.program, r, true);
  // Every file that sees the rule set must not see another of the new name (it would be shadowed or ambiguous).
  for (const file of new Set([r.unit.path, ...refs.map((l) => l.file)])) {
    const unit = doc.program.units.find((u) => u.path === file);
    const clash = unit && doc.program.rulesets?.visible(unit).find((x) => x.name === newName && x !== r);
    if (clash) return { error: `${file} already sees a rule set '${newName}' (${unitLabel(doc.program, clash.unit.path)}).` };
  }
  return { edits: refs.map((l) => ({ file: l.file, span: l.span, newText: newName })) };
}

/** The edits renaming the workload or rule set at an offset everywhere, or why it cannot be done. */
export function getRenameEdits(doc: ServiceDocument, offset: number, newName: string): { readonly edits: TextEdit[] } | { readonly error: string } {
  const check = prepareRename(doc, offset);
  if ("error" in check) return check;
  const sym = symbolAt(doc, offset);
  if (sym?.kind === "ruleset" && inProgram(doc)) return renameRuleset(doc, rulesetOf(doc, sym)!, newName);
  const s = sym as Extract<SymbolAt, { kind: "workload" }>;
  const problem = nameProblem(newName);
  if (problem) return { error: `'${newName}' is not a valid workload name: ${problem}.` };
  if (newName === s.name) return { edits: [] };
  const existing = doc.program?.getCheck()?.bound.workloads.get(s.tenant)?.get(newName);
  if (existing) return { error: `Tenant ${s.tenant} already has a workload '${newName}' (${existing.file}).` };
  const edits = getReferences(doc, offset, true).map((l) => ({ file: l.file, span: l.span, newText: newName }));
  return { edits };
}
