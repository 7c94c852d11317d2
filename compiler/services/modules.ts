/**
 * Modules and rule sets as the editor presents them: a module's one-line description (its header
 * comment), a rule set's signature and documentation (the comment above it), the modules a file can
 * import, and which rule set a `use` names. The checker's own index answers the lookups; this only
 * adds what people read.
 */
import { parse, type Comment, type RulesetDecl, type SourceFileAst, type Span, type UseStmt } from "../../language/index.js";
import type { SourceUnit } from "../binder.js";
import { dirname } from "../host.js";
import { relativeFrom } from "../modules.js";
import type { Program } from "../program.js";
import type { RulesetSymbol } from "../rulesets.js";
import { STDLIB_PREFIX, stdlibModules } from "../stdlib.js";
import { memoized } from "./document.js";

export interface ParamInfo {
  readonly name: string;
  readonly type: string;
  /** The default as written (`53/any`). */
  readonly default?: string | undefined;
}

export interface RulesetInfo {
  readonly name: string;
  /** `prometheus-scrape(port: port = 9090)` */
  readonly signature: string;
  readonly params: readonly ParamInfo[];
  /** The comment above the declaration, without the comment markers. */
  readonly doc?: string | undefined;
  readonly exported: boolean;
}

export interface ModuleInfo {
  /** As an import writes it: `stdlib/dns@1`, `./shared.zt`. */
  readonly importPath: string;
  /** The unit path: `stdlib:dns@1.zt`, `platform/stdlib/prometheus@1.zt`, `tenants/shared.zt`. */
  readonly unitPath: string;
  readonly kind: "stdlib" | "project-stdlib" | "local";
  readonly description?: string | undefined;
  readonly exports: readonly RulesetInfo[];
}

// White space ending a line is not part of a comment's text (and the language server's texts carry slack there, lsp/slack.ts).
const strip = (c: Comment) => (c.block ? c.text.slice(2, -2).replace(/^\s*\* ?/gm, "") : c.text.replace(/^\/\/ ?/, "")).replace(/[^\S\n]+$/gm, "");

/** The line comments directly above an offset (no blank line between), as text. */
export function commentAbove(text: string, comments: readonly Comment[], offset: number): string | undefined {
  const run: Comment[] = [];
  let at = offset;
  for (let i = comments.length - 1; i >= 0; i--) {
    const c = comments[i]!;
    if (c.span.end > at) continue;
    if (!/^[ \t]*\r?\n[ \t]*$/.test(text.slice(c.span.end, at))) break;
    run.unshift(c);
    at = c.span.start;
  }
  if (run.length === 0) return undefined;
  return run.map(strip).join("\n").trim() || undefined;
}

/** The header comment's first paragraph, without a leading `stdlib/NAME@1:` label. */
export function moduleDescription(text: string, ast: SourceFileAst): string | undefined {
  const lines: string[] = [];
  for (const c of ast.comments) {
    const gap = text.slice(lines.length === 0 ? 0 : ast.comments[lines.length - 1]!.span.end, c.span.start);
    // The header is the comment block the file starts with, up to its first blank line.
    if (c.block || gap.trim() !== "" || (lines.length > 0 && gap.split("\n").length > 2)) break;
    const line = strip(c).trim();
    if (line === "") break;
    lines.push(line);
  }
  const first = lines.join(" ").replace(/^(?:[\w'.-]+\s)?[\w./-]+@\d+:\s*/, "");
  return first === "" ? undefined : first;
}

export function rulesetInfo(text: string, comments: readonly Comment[], decl: RulesetDecl): RulesetInfo {
  const params = decl.params.flatMap((p) =>
    p.name && p.type ? [{ name: p.name.text, type: p.type.text, default: p.default ? text.slice(p.default.span.start, p.default.span.end) : undefined }] : [],
  );
  const name = decl.name?.text ?? "?";
  const signature = `${name}(${params.map((p) => `${p.name}: ${p.type}${p.default !== undefined ? ` = ${p.default}` : ""}`).join(", ")})`;
  let doc = commentAbove(text, comments, decl.span.start);
  // A module with one rule set often heads it with the module's own comment: drop the label.
  if (doc) doc = doc.replace(/^(?:[\w'.-]+\s)?[\w./-]+@\d+:\s*/, "");
  return { name, signature, params, doc, exported: decl.exported };
}

function infoOf(importPath: string, unitPath: string, kind: ModuleInfo["kind"], text: string, ast: SourceFileAst): ModuleInfo {
  const exports = ast.items.flatMap((i) => (i.kind === "Ruleset" && i.exported && i.name ? [rulesetInfo(text, ast.comments, i)] : []));
  return { importPath, unitPath, kind, description: moduleDescription(text, ast), exports };
}

/** The parsed unit of a path: the program's, or the file parsed on its own. */
function astOf(program: Program, unitPath: string, text: () => string | undefined): { text: string; ast: SourceFileAst } | undefined {
  const unit = program.units.find((u) => u.path === unitPath);
  if (unit) return unit;
  const t = text();
  return t === undefined ? undefined : { text: t, ast: parse(t, unitPath).ast };
}

/** Every module a file may import: the stdlib (the project's versions first) and the project's other .zt files. */
export function importableModules(program: Program, fromFile: string): readonly ModuleInfo[] {
  return memoized(program, `importable:${fromFile}`, () => {
    const out: ModuleInfo[] = [];
    for (const m of stdlibModules(program.host, program.config?.stdlib)) {
      const parsed = astOf(program, m.unitPath, m.text);
      if (parsed) out.push(infoOf(m.importPath, m.unitPath, m.overridden ? "project-stdlib" : "stdlib", parsed.text, parsed.ast));
    }
    const stdlibDir = program.config?.stdlib;
    const output = program.config ? `${program.config.output}/` : undefined;
    for (const f of program.host.listFiles()) {
      if (!f.endsWith(".zt") || f === fromFile || (stdlibDir && f.startsWith(`${stdlibDir}/`)) || (output && f.startsWith(output))) continue;
      const parsed = astOf(program, f, () => {
        const r = program.host.readFile(f, 1 << 20);
        return r.kind === "ok" ? r.text : undefined;
      });
      // A file is worth importing for the rule sets it exports; one without any is not a module.
      const info = parsed && infoOf(relativeFrom(dirname(fromFile), f), f, "local", parsed.text, parsed.ast);
      if (info && info.exports.length > 0) out.push(info);
    }
    return out;
  });
}

/** What an import of a file resolved to, with its description and exports. */
export function importedModule(program: Program, unit: SourceUnit, importPath: string): ModuleInfo | undefined {
  const target = program.modules?.imports.get(unit.path)?.find((i) => i.decl.path?.value === importPath)?.target;
  if (!target) return undefined;
  const parsed = program.units.find((u) => u.path === target);
  if (!parsed) return undefined;
  const kind = target.startsWith(STDLIB_PREFIX) ? "stdlib" : importPath.startsWith("stdlib/") ? "project-stdlib" : "local";
  return infoOf(importPath, target, kind, parsed.text, parsed.ast);
}

/** The rule set a `use` of a file names, as the checker resolves it (undefined when it does not). */
export function rulesetOfUse(program: Program, unit: SourceUnit, use: UseStmt): RulesetSymbol | undefined {
  if (!use.name || !program.rulesets) return undefined;
  return program.rulesets.lookup(unit, use.name, []);
}

/** The rule set a declaration is, from the program's index. */
export function rulesetOfDecl(program: Program, unit: SourceUnit, decl: RulesetDecl): RulesetSymbol | undefined {
  if (!decl.name || !program.rulesets) return undefined;
  return program.rulesets.visible(unit).find((r) => r.decl === decl);
}

/** How a unit is named to people: `stdlib/dns@1 (bundled with ztc)`, or its path. */
export function unitLabel(program: Program, unitPath: string): string {
  if (unitPath.startsWith(STDLIB_PREFIX)) return `stdlib/${unitPath.slice(STDLIB_PREFIX.length, -3)} (bundled with ztc)`;
  const dir = program.config?.stdlib;
  if (dir && unitPath.startsWith(`${dir}/`)) return `stdlib/${unitPath.slice(dir.length + 1, -3)} (the project's version, ${unitPath})`;
  return unitPath;
}

/** The span of a `use`'s rule set name without its module qualifier (`dns.dns` -> the second `dns`). */
export function useNameSpan(use: UseStmt): Span | undefined {
  if (!use.name) return undefined;
  const dot = use.name.text.indexOf(".");
  return dot < 0 ? use.name.span : { start: use.name.span.start + dot + 1, end: use.name.span.end };
}
