/**
 * Completion for modules and rule sets: import paths (the stdlib with each module's description,
 * the project's .zt files), rule set names after `use` (with their parameters as a snippet, and
 * those of stdlib modules the file does not import yet, adding the import), and argument names.
 */
import type { IToken } from "chevrotain";
import type { Span } from "../../language/index.js";
import { isKeyword, LParen, RParen, Colon, Comma } from "../../language/tokens.js";
import type { SourceUnit } from "../binder.js";
import { importEdit } from "../modules.js";
import type { Program } from "../program.js";
import type { CompletionEntry } from "./completion.js";
import { firstParagraph, moduleMarkdown, rulesetMarkdown } from "./hover.js";
import { importableModules, rulesetInfo, unitLabel, type ModuleInfo, type RulesetInfo } from "./modules.js";

/** Text for a snippet placeholder: `$`, `}` and `\` are special there. */
const escapeSnippet = (s: string) => s.replace(/[$}\\]/g, (c) => `\\${c}`);

/** `prometheus-scrape(port: ${1:9090})`: every parameter, with its default (or its type) to type over. */
export function rulesetSnippet(info: RulesetInfo): string {
  if (info.params.length === 0) return info.name;
  const args = info.params.map((p, i) => `${p.name}: \${${i + 1}:${escapeSnippet(p.default ?? p.type)}}`);
  return `${info.name}(${args.join(", ")})`;
}

function moduleEntry(m: ModuleInfo, quote: boolean): CompletionEntry {
  const label = m.kind === "project-stdlib" ? "the project's version" : m.kind === "stdlib" ? "bundled with ztc" : m.unitPath;
  return {
    label: m.importPath,
    kind: "module",
    detail: m.description ? firstParagraph(m.description) : label,
    documentation: moduleMarkdown(m, label),
    insertText: quote ? JSON.stringify(m.importPath) : m.importPath,
    sortText: `${m.kind === "local" ? "1" : "0"}${m.importPath}`,
  };
}

/** The modules a file can import and does not import yet (the import being edited does not count). */
function importable(program: Program, unit: SourceUnit, editing?: object): ModuleInfo[] {
  const imported = new Set(unit.ast.items.flatMap((i) => (i.kind === "Import" && i.path && i !== editing ? [i.path.value] : [])));
  return importableModules(program, unit.path).filter((m) => !imported.has(m.importPath));
}

/** Inside `import "..."`: the span of the path (what a choice replaces) and the entries. */
export function importPathCompletion(program: Program | undefined, unit: SourceUnit, offset: number): { replace: Span; items: CompletionEntry[] } | undefined {
  for (const item of unit.ast.items) {
    if (item.kind !== "Import" || !item.path) continue;
    const s = item.path.span;
    const closed = s.end - s.start >= 2 && unit.text.charAt(s.end - 1) === '"';
    if (offset <= s.start || offset > (closed ? s.end - 1 : s.end)) continue;
    const replace = { start: s.start + 1, end: closed ? s.end - 1 : s.end };
    return { replace, items: program ? importable(program, unit, item).map((m) => moduleEntry(m, false)) : [] };
  }
  return undefined;
}

/** After `import`: the module paths, quoted. */
export function importEntries(program: Program, unit: SourceUnit): CompletionEntry[] {
  return importable(program, unit).map((m) => moduleEntry(m, true));
}

function rulesetEntry(program: Program, label: string, info: RulesetInfo, unitPath: string, withArgs: boolean, extra: Partial<CompletionEntry> = {}): CompletionEntry {
  return {
    label,
    kind: "ruleset",
    detail: info.signature,
    documentation: rulesetMarkdown(info, unitLabel(program, unitPath)),
    insertText: withArgs ? rulesetSnippet({ ...info, name: label }) : label,
    snippet: withArgs && info.params.length > 0,
    sortText: `0${label}`,
    ...extra,
  };
}

/**
 * After `use`: the rule sets visible in the file (its own and its imports' exports, qualified when
 * two modules export one name), then the exports of stdlib modules it does not import, each adding
 * the import. `withArgs` is false when parentheses already follow the name.
 */
export function useEntries(program: Program, unit: SourceUnit, inside: string | undefined, withArgs: boolean): CompletionEntry[] {
  const out: CompletionEntry[] = [];
  const visible = program.rulesets?.visible(unit) ?? [];
  const count = new Map<string, number>();
  for (const r of visible) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  const aliasOf = new Map((program.modules?.imports.get(unit.path) ?? []).flatMap((i) => (i.target && i.alias ? [[i.target, i.alias] as const] : [])));
  for (const r of visible) {
    if (r.name === inside && r.unit === unit) continue;
    const info = rulesetInfo(r.unit.text, r.unit.ast.comments, r.decl);
    const ambiguous = (count.get(r.name) ?? 0) > 1 && r.unit !== unit;
    const label = ambiguous ? `${aliasOf.get(r.unit.path) ?? "?"}.${r.name}` : r.name;
    out.push(rulesetEntry(program, label, info, r.unit.path, withArgs));
  }
  const names = new Set(visible.map((r) => r.name));
  for (const m of importable(program, unit)) {
    if (m.kind === "local") continue;
    for (const info of m.exports) {
      if (names.has(info.name)) continue;
      out.push(
        rulesetEntry(program, info.name, info, m.unitPath, withArgs, {
          detail: `${info.signature} · adds import "${m.importPath}"`,
          additionalEdits: [importEdit(unit, m.importPath)],
          sortText: `1${info.name}`,
        }),
      );
    }
  }
  return out;
}

/** The `use` statement being written in `before` (its name token), and the argument names given so far. */
function useInProgress(before: readonly IToken[]): { name: IToken; given: Set<string> } | undefined {
  let open = -1;
  for (let i = before.length - 1; i >= 0; i--) {
    const t = before[i]!;
    if (t.tokenType === RParen) return undefined;
    if (t.tokenType === LParen) {
      open = i;
      break;
    }
  }
  const name = before[open - 1];
  if (open < 2 || !isKeyword(before[open - 2], "use") || !name) return undefined;
  const given = new Set<string>();
  for (let i = open + 1; i + 1 < before.length; i++)
    if (before[i + 1]!.tokenType === Colon && (i === open + 1 || before[i - 1]!.tokenType === Comma)) given.add(before[i]!.image);
  return { name, given };
}

/** The rule set a `use` in progress names, resolved in this file. */
function usedRuleset(program: Program, unit: SourceUnit, before: readonly IToken[]) {
  const u = useInProgress(before);
  if (!u || !program.rulesets) return undefined;
  const r = program.rulesets.lookup(unit, { text: u.name.image, span: { start: u.name.startOffset, end: u.name.startOffset + u.name.image.length } }, []);
  return r ? { r, given: u.given, info: rulesetInfo(r.unit.text, r.unit.ast.comments, r.decl) } : undefined;
}

/** Inside `use NAME(`: the parameters not given yet, each as `name: default`. */
export function argumentEntries(program: Program, unit: SourceUnit, before: readonly IToken[]): CompletionEntry[] {
  const u = usedRuleset(program, unit, before);
  if (!u) return [];
  return u.info.params
    .filter((p) => !u.given.has(p.name))
    .map((p, i) => ({
      label: p.name,
      kind: "parameter" as const,
      detail: `${p.name}: ${p.type}${p.default !== undefined ? ` = ${p.default}` : " (required)"}`,
      documentation: rulesetMarkdown(u.info, unitLabel(program, u.r.unit.path)),
      insertText: `${p.name}: \${1:${escapeSnippet(p.default ?? p.type)}}`,
      snippet: true,
      sortText: `${p.default === undefined ? "0" : "1"}${String(i).padStart(2, "0")}`,
    }));
}

/** The type of the argument being written (`use x(port: |`), to offer values of that type. */
export function argumentType(program: Program, unit: SourceUnit, before: readonly IToken[]): string | undefined {
  const u = usedRuleset(program, unit, before);
  const last = before[before.length - 1];
  const name = before[before.length - 2];
  if (!u || last?.tokenType !== Colon || !name) return undefined;
  return u.info.params.find((p) => p.name === name.image)?.type;
}

/** The rule set declaration the cursor is in, if any (a rule set does not use itself). */
export function enclosingRuleset(unit: SourceUnit, offset: number): string | undefined {
  for (const item of unit.ast.items) if (item.kind === "Ruleset" && item.span.start <= offset && offset <= item.span.end) return item.name?.text;
  return undefined;
}

/** Does `(` follow the name being completed (editing the name of `use x(...)`)? */
export function argsFollow(text: string, end: number): boolean {
  return /^[A-Za-z0-9_.-]*\s*\(/.test(text.slice(end));
}
