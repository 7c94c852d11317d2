/**
 * Rule sets: declarations per file, what each module exports, name lookup for `use` (local first,
 * then imported exports, `module.name` to disambiguate), and typed parameters and arguments.
 */
import { diag, type ArgValue, type Diagnostic, type Ident, type RulesetDecl, type UseStmt } from "../language/index.js";
import { closest } from "../language/suggest.js";
import type { SourceUnit } from "./binder.js";
import { labelValueProblem } from "./labels.js";
import { importEdit, type ModuleGraph } from "./modules.js";
import { parseCidr } from "./net/cidr.js";
import { parseFqdn } from "./net/fqdn.js";
import { isValidPortName } from "./net/ports.js";
import { ENTITIES } from "./resolve-constants.js";

export const PARAM_TYPES = ["port", "host", "cidr", "namespace", "tenant", "entity", "label", "string"] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

const TYPE_WORDS: Record<ParamType, string> = {
  port: "a port (9100, 53/udp, 8000-8999, or a port name)",
  host: "a host name or pattern",
  cidr: "a CIDR (address/length)",
  namespace: "a namespace name (or *)",
  tenant: "a tenant name",
  entity: "a Cilium entity",
  label: "a label value",
  string: "a quoted string",
};

export interface ParamSymbol {
  readonly name: string;
  readonly type: ParamType;
  readonly default?: ArgValue | undefined;
  readonly ident: Ident;
}

export interface RulesetSymbol {
  readonly name: string;
  readonly decl: RulesetDecl;
  readonly unit: SourceUnit;
  readonly params: readonly ParamSymbol[];
  /** From the stdlib (bundled or the project's stdlib folder): vetted by the platform team. */
  readonly stdlib: boolean;
}

/** A value bound to a parameter, with where it came from (the argument or the default). */
export interface Binding {
  readonly type: ParamType;
  readonly value: ArgValue;
}

export interface RulesetIndex {
  /** Resolves `use NAME` in a file; reports and returns undefined when it cannot. */
  lookup(unit: SourceUnit, name: Ident, out: Diagnostic[]): RulesetSymbol | undefined;
  /** Every ruleset visible in a file (for completion). */
  visible(unit: SourceUnit): RulesetSymbol[];
  readonly diagnostics: readonly Diagnostic[];
}

const describe = (v: ArgValue): string =>
  v.form === "number" ? `the number ${v.text}` : v.form === "string" ? `the string ${JSON.stringify(v.text)}` : v.form === "variable" ? v.text : `'${v.text}'`;

/** Why `v` is not a value of `type` (variables are checked by the caller), or undefined. */
export function valueProblem(v: ArgValue, type: ParamType): string | undefined {
  const bad = `${TYPE_WORDS[type]}, not ${describe(v)}`;
  switch (type) {
    case "port": {
      if (v.form === "word" && !v.end) return isValidPortName(v.text) ? undefined : bad;
      if (v.form !== "number") return bad;
      const n = Number(v.text);
      if (n < 1 || n > 65535) return `${TYPE_WORDS.port}; ${v.text} is outside 1-65535`;
      if (v.end !== undefined && (v.end <= n || v.end > 65535)) return `${TYPE_WORDS.port}; ${v.text}-${v.end} is not a range low-high within 1-65535`;
      if (v.protocol && !["tcp", "udp", "sctp", "any"].includes(v.protocol.text.toLowerCase())) return `${TYPE_WORDS.port}; '${v.protocol.text}' is not a protocol`;
      return undefined;
    }
    case "host": {
      if (v.form !== "host") return bad;
      const r = parseFqdn(v.text);
      return r.ok ? undefined : `${TYPE_WORDS.host}; '${v.text}' ${r.reason}`;
    }
    case "cidr": {
      if (v.form !== "address") return bad;
      const r = parseCidr(v.text);
      return r.ok ? undefined : `${TYPE_WORDS.cidr}; ${r.reason}`;
    }
    case "namespace":
      return v.form === "word" || (v.form === "host" && v.text === "*") ? undefined : bad;
    case "tenant":
      return v.form === "word" ? undefined : bad;
    case "entity":
      return v.form === "word" && (ENTITIES as readonly string[]).includes(v.text) ? undefined : bad;
    case "label":
      if (v.form === "variable" || v.form === "address") return bad;
      return labelValueProblem(v.text) ? `${TYPE_WORDS.label}; ${labelValueProblem(v.text)}` : undefined;
    case "string":
      return v.form === "string" ? undefined : bad;
  }
}

/** A unit's rule sets (symbols and the problems of their declarations), per unit and stdlib flag. */
const declared = new WeakMap<SourceUnit, { readonly stdlib: boolean; readonly own: ReadonlyMap<string, RulesetSymbol>; readonly diagnostics: readonly Diagnostic[] }>();

/** The graph each index was built (or last reused) for, and the host's answer to `exporting` (the latest one's). */
const builtFor = new WeakMap<RulesetIndex, { graph: ModuleGraph; exporting: (ruleset: string) => string | undefined }>();

function declarationsOf(unit: SourceUnit, stdlib: boolean) {
  let known = declared.get(unit);
  if (!known || known.stdlib !== stdlib) {
    known = declareRulesets(unit, stdlib);
    declared.set(unit, known);
  }
  return known;
}

/**
 * `exporting` names the stdlib module (`stdlib/prometheus@1`) that exports a rule set of a name,
 * for the fix that imports it when a file uses it without. `previous` is returned as it is when
 * the graph has the same imports and its other units declare no rule sets (an edit of a tenant's
 * file), so rule sets keep their identity from one keystroke to the next.
 */
export function buildRulesetIndex(
  graph: ModuleGraph,
  isStdlib: (path: string) => boolean,
  exporting: (ruleset: string) => string | undefined = () => undefined,
  previous?: RulesetIndex,
): RulesetIndex {
  const built = previous && builtFor.get(previous);
  const before = built?.graph;
  if (built && before && before.imports === graph.imports && before.units.length === graph.units.length) {
    const quiet = (u: SourceUnit) => {
      const d = declarationsOf(u, isStdlib(u.path));
      return d.own.size === 0 && d.diagnostics.length === 0;
    };
    if (graph.units.every((u, i) => u === before.units[i] || (u.path === before.units[i]!.path && quiet(u) && quiet(before.units[i]!)))) {
      built.graph = graph;
      built.exporting = exporting;
      return previous;
    }
  }
  const diagnostics: Diagnostic[] = [];
  const byUnit = new Map<string, ReadonlyMap<string, RulesetSymbol>>();
  for (const unit of graph.units) {
    // An editor's next program reuses the symbols of every file it did not change.
    const known = declarationsOf(unit, isStdlib(unit.path));
    for (const d of known.diagnostics) diagnostics.push(d);
    if (known.own.size > 0) byUnit.set(unit.path, known.own);
  }

  const imported = (unit: SourceUnit) => (graph.imports.get(unit.path) ?? []).filter((i) => i.target !== undefined);
  // A module of the project can be changed to export it; a stdlib module is not the user's to edit.
  const exportFix = (r: RulesetSymbol) =>
    r.stdlib ? undefined : [{ title: `Export rule set '${r.name}' from ${r.unit.path}`, edits: [{ file: r.unit.path, span: { start: r.decl.span.start, end: r.decl.span.start }, newText: "export " }] }];

  const state = { graph, exporting };
  const index: RulesetIndex = {
    diagnostics,
    visible(unit) {
      const out = [...(byUnit.get(unit.path)?.values() ?? [])];
      for (const imp of imported(unit)) for (const r of byUnit.get(imp.target!)?.values() ?? []) if (r.decl.exported) out.push(r);
      return out;
    },
    lookup(unit, ident, out) {
      const at = { file: unit.path, span: ident.span };
      const text = ident.text;
      const dot = text.indexOf(".");
      if (dot > 0) {
        const [alias, name] = [text.slice(0, dot), text.slice(dot + 1)];
        const modules = imported(unit).filter((i) => i.alias === alias);
        if (modules.length === 0) {
          if ((graph.imports.get(unit.path) ?? []).some((i) => !i.target)) return undefined;
          out.push(diag("unknownRuleset", at, { name: text, hint: `no imported module is called '${alias}'`, suggestion: undefined }));
          return undefined;
        }
        for (const m of modules) {
          const r = byUnit.get(m.target!)?.get(name);
          if (r) {
            if (!r.decl.exported) {
              out.push(diag("rulesetNotExported", at, { name, module: m.decl.path!.value }, { fixes: exportFix(r) }));
              return undefined;
            }
            return r;
          }
        }
        const names = modules.flatMap((m) => [...(byUnit.get(m.target!)?.values() ?? [])].filter((r) => r.decl.exported).map((r) => `${alias}.${r.name}`));
        out.push(diag("unknownRuleset", at, { name: text, suggestion: closest(text, names) }));
        return undefined;
      }
      const local = byUnit.get(unit.path)?.get(text);
      if (local) return local;
      const found: { r: RulesetSymbol; module: string; alias: string | undefined }[] = [];
      let hidden: { r: RulesetSymbol; module: string } | undefined;
      for (const imp of imported(unit)) {
        const r = byUnit.get(imp.target!)?.get(text);
        if (!r) continue;
        if (r.decl.exported) found.push({ r, module: imp.decl.path!.value, alias: imp.alias });
        else hidden = { r, module: imp.decl.path!.value };
      }
      if (found.length === 1) return found[0]!.r;
      if (found.length > 1) {
        const fixes = found.map((f) => `${f.alias}.${text}`).map((q) => ({ title: `Write ${q}`, edits: [{ file: unit.path, span: ident.span, newText: q }] }));
        out.push(diag("ambiguousRuleset", at, { name: text, modules: found.map((f) => f.module).join(", ") }, { fixes }));
        return undefined;
      }
      if (hidden) {
        out.push(diag("rulesetNotExported", at, { name: text, module: hidden.module }, { fixes: exportFix(hidden.r) }));
        return undefined;
      }
      // An import of this file that failed may be where the rule set lives: its error is enough.
      if ((graph.imports.get(unit.path) ?? []).some((i) => !i.target)) return undefined;
      const module = state.exporting(text);
      if (module && !(graph.imports.get(unit.path) ?? []).some((i) => i.decl.path?.value === module)) {
        const fixes = [{ title: `Import ${module}`, edits: [importEdit(unit, module)] }];
        out.push(diag("unknownRuleset", at, { name: text, suggestion: undefined, hint: `${module} exports it; this file does not import that module` }, { fixes }));
        return undefined;
      }
      const candidates = [...(byUnit.get(unit.path)?.keys() ?? []), ...imported(unit).flatMap((i) => [...(byUnit.get(i.target!)?.values() ?? [])].filter((r) => r.decl.exported).map((r) => r.name))];
      const stdlibHint = (graph.imports.get(unit.path) ?? []).length === 0 ? "this file imports no module" : undefined;
      out.push(diag("unknownRuleset", at, { name: text, suggestion: closest(text, candidates), hint: stdlibHint }));
      return undefined;
    },
  };
  builtFor.set(index, state);
  return index;
}

const NO_RULESETS: ReadonlyMap<string, RulesetSymbol> = new Map();
const NO_DIAGNOSTICS: readonly Diagnostic[] = [];

function declareRulesets(unit: SourceUnit, stdlib: boolean): { stdlib: boolean; own: ReadonlyMap<string, RulesetSymbol>; diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const own = new Map<string, RulesetSymbol>();
  for (const item of unit.ast.items) {
    if (item.kind !== "Ruleset" || !item.name) continue;
    const name = item.name.text;
    if (own.has(name)) {
      diagnostics.push(diag("duplicateRuleset", { file: unit.path, span: item.name.span }, { name, what: "rule set" }));
      continue;
    }
    const params: ParamSymbol[] = [];
    const seen = new Set<string>();
    for (const p of item.params) {
      if (!p.name || !p.type) continue;
      if (seen.has(p.name.text)) {
        diagnostics.push(diag("duplicateRuleset", { file: unit.path, span: p.name.span }, { name: p.name.text, what: "parameter" }));
        continue;
      }
      seen.add(p.name.text);
      const type = p.type.text as ParamType;
      if (!(PARAM_TYPES as readonly string[]).includes(type)) {
        diagnostics.push(diag("unknownParameterType", { file: unit.path, span: p.type.span }, { type: p.type.text, suggestion: closest(p.type.text, PARAM_TYPES) }));
        continue;
      }
      if (p.default) {
        const problem = p.default.form === "variable" ? `${TYPE_WORDS[type]}; a default cannot refer to another parameter` : valueProblem(p.default, type);
        if (problem) {
          diagnostics.push(diag("argumentType", { file: unit.path, span: p.default.span }, { param: p.name.text, expected: problem.split(", not ")[0]!, found: problem.split(", not ")[1] ?? p.default.text }));
          continue;
        }
      }
      params.push({ name: p.name.text, type, default: p.default, ident: p.name });
    }
    own.set(name, { name, decl: item, unit, params, stdlib });
  }
  // Most units declare none: one empty map and list for all of them (a map takes half a kilobyte).
  return { stdlib, own: own.size === 0 ? NO_RULESETS : own, diagnostics: diagnostics.length === 0 ? NO_DIAGNOSTICS : diagnostics };
}

/**
 * Binds a use's arguments to the rule set's parameters. `outer` resolves `$name` arguments of a
 * use inside another rule set. Reports problems at the use site and returns undefined on error.
 */
export function bindArguments(
  use: UseStmt,
  ruleset: RulesetSymbol,
  file: string,
  outer: ((name: string) => Binding | undefined) | undefined,
  out: Diagnostic[],
): Map<string, Binding> | undefined {
  let ok = true;
  const env = new Map<string, Binding>();
  const given = new Set<string>();
  for (const arg of use.args) {
    if (!arg.name || !arg.value) {
      ok = false;
      continue;
    }
    const param = ruleset.params.find((p) => p.name === arg.name!.text);
    if (!param) {
      const s = closest(arg.name.text, ruleset.params.map((p) => p.name));
      const known = ruleset.params.length ? ` (parameters: ${ruleset.params.map((p) => `${p.name}: ${p.type}`).join(", ")})` : " (it takes no parameters)";
      const fixes = s ? [{ title: `Replace with '${s}'`, edits: [{ file, span: arg.name.span, newText: s }] }] : undefined;
      out.push(diag("unknownArgument", { file, span: arg.name.span }, { message: `rule set '${ruleset.name}' has no parameter '${arg.name.text}'${s ? `. Did you mean '${s}'?` : known}` }, { fixes }));
      ok = false;
      continue;
    }
    if (given.has(param.name)) {
      out.push(diag("unknownArgument", { file, span: arg.name.span }, { message: `'${param.name}' is given twice` }));
      ok = false;
      continue;
    }
    given.add(param.name);
    let value = arg.value;
    if (value.form === "variable") {
      const b = outer?.(value.text.slice(1));
      if (!b) {
        out.push(diag("unknownVariable", { file, span: value.span }, { name: value.text.slice(1), where: outer ? "is not a parameter of the enclosing rule set" : "can only be used inside a rule set" }));
        ok = false;
        continue;
      }
      if (b.type !== param.type) {
        out.push(diag("argumentType", { file, span: value.span }, { param: param.name, expected: TYPE_WORDS[param.type], found: `${value.text}, a ${b.type}` }));
        ok = false;
        continue;
      }
      value = b.value;
    } else {
      const problem = valueProblem(value, param.type);
      if (problem) {
        out.push(diag("argumentType", { file, span: value.span }, { param: param.name, expected: problem.split(", not ")[0]!, found: problem.split(", not ")[1] ?? value.text }));
        ok = false;
        continue;
      }
    }
    env.set(param.name, { type: param.type, value });
  }
  for (const p of ruleset.params) {
    if (env.has(p.name) || given.has(p.name)) continue;
    if (p.default) env.set(p.name, { type: p.type, value: p.default });
    else {
      out.push(diag("missingArgument", { file, span: use.name?.span ?? use.span }, { param: `${p.name} (${p.type})`, ruleset: ruleset.name }));
      ok = false;
    }
  }
  return ok ? env : undefined;
}
