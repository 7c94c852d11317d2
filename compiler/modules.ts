/**
 * Modules: every .zt file the sources reach through `import`, each read and parsed once per
 * compilation. Stdlib imports are versioned names (`stdlib/dns@1`), served from the project's
 * stdlib folder when it has the module and from the bundled stdlib otherwise; local imports are
 * paths relative to the importing file that must stay inside the project.
 */
import { diag, type Diagnostic, type ImportDecl, type Span, type TextEdit } from "../language/index.js";
import { closest } from "../language/suggest.js";
import type { SourceUnit } from "./binder.js";
import { dirname, joinProjectPath, type CompilerHost } from "./host.js";
import type { ProjectConfig } from "./project.js";
import { bundledStdlib, latestStdlib, STDLIB_PREFIX, stdlibModuleExporting, stdlibName, stdlibOverrides } from "./stdlib.js";

export interface ResolvedImport {
  readonly decl: ImportDecl;
  /** The module's unit path, when it resolved. */
  readonly target?: string | undefined;
  /** The short name qualifying its exports: `dns` for stdlib/dns@1, `common` for ./common.zt. */
  readonly alias?: string | undefined;
}

export interface ModuleGraph {
  /** Every unit: the sources, then the modules they reach, in a stable order. */
  readonly units: readonly SourceUnit[];
  readonly imports: ReadonlyMap<string, readonly ResolvedImport[]>;
  readonly diagnostics: readonly Diagnostic[];
}

export type ReadUnit = (path: string, at: { file: string; span: Span }) => SourceUnit | Diagnostic;

/** One import of a unit, resolved, with the diagnostics resolving it gave (before loading the module). */
interface ImportResolution {
  readonly resolved: ResolvedImport;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * How a unit's imports resolved: a function of the unit, the project's file listing and its
 * configuration (resolveImport below reads nothing else), so an editor's next program reuses it
 * for every unit it did not change instead of resolving thousands of imports per keystroke.
 */
const resolutions = new WeakMap<SourceUnit, { readonly listing: readonly string[]; readonly config: ProjectConfig; readonly imports: readonly ImportResolution[] }>();
/** The import cycles found in a graph, reused by a graph with the same imports. */
const cyclesOf = new WeakMap<ModuleGraph, readonly Diagnostic[]>();
/** What a graph was loaded from, besides its units: a later load from the same may reuse it. */
const inputsOf = new WeakMap<ModuleGraph, { readonly listing: readonly string[]; readonly config: ProjectConfig; readonly roots: number }>();

const NO_DIAGNOSTICS: readonly Diagnostic[] = [];
const NO_IMPORTS: readonly ImportResolution[] = [];

function aliasOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1).replace(/^stdlib:/, "");
  return base.replace(/\.zt$/, "").replace(/@\d+$/, "");
}

/**
 * Loads `roots` and everything they import. `readUnit` parses a project file (or returns the
 * diagnostic explaining why it cannot); `stdlibUnit` parses a bundled module.
 */
export function loadModules(
  host: CompilerHost,
  config: ProjectConfig,
  roots: readonly SourceUnit[],
  readUnit: ReadUnit,
  stdlibUnit: (name: string) => SourceUnit,
  previous?: ModuleGraph,
): ModuleGraph {
  const listing = host.listFiles();
  const reused = previous && swapped(previous, listing, config, roots, readUnit, stdlibUnit);
  if (reused) return reused;
  const diagnostics: Diagnostic[] = [];
  const units = new Map<string, SourceUnit>(roots.map((u) => [u.path, u]));
  const imports = new Map<string, readonly ResolvedImport[]>();
  const projectZt = () => host.listFiles().filter((f) => f.endsWith(".zt"));
  let overridden: Set<string> | undefined;
  const overrides = () => (overridden ??= new Set(stdlibOverrides(host, config.stdlib).keys()));
  const bundled = bundledStdlib();

  /** The unit's imports, resolved (reused while the listing and configuration are the same). */
  const resolveUnit = (unit: SourceUnit): readonly ImportResolution[] => {
    const known = resolutions.get(unit);
    if (known && known.listing === listing && known.config === config) return known.imports;
    const list: ImportResolution[] = [];
    for (const item of unit.ast.items) {
      if (item.kind !== "Import" || !item.path) continue;
      const own: Diagnostic[] = [];
      const target = resolveImport(item.path.value, unit.path, { file: unit.path, span: item.path.span }, own);
      list.push({ resolved: target === undefined ? { decl: item } : { decl: item, target, alias: aliasOf(target) }, diagnostics: own.length === 0 ? NO_DIAGNOSTICS : own });
    }
    // Kept for every unit while it lives: without the room a pushed-to array keeps for more.
    resolutions.set(unit, { listing, config, imports: list.length === 0 ? NO_IMPORTS : list.slice() });
    return list;
  };

  const queue = [...roots];
  for (let next = 0; next < queue.length; next++) {
    const unit = queue[next]!;
    const list = resolveUnit(unit);
    let resolved: ResolvedImport[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const { resolved: r, diagnostics: found } = list[i]!;
      for (const d of found) diagnostics.push(d);
      const target = r.target;
      if (target === undefined || units.has(target)) continue;
      const at = { file: unit.path, span: r.decl.path!.span };
      let loaded: SourceUnit | Diagnostic;
      if (target.startsWith(STDLIB_PREFIX)) loaded = stdlibUnit(target.slice(STDLIB_PREFIX.length, -3));
      else loaded = readUnit(target, at);
      if ("code" in loaded) {
        diagnostics.push(loaded);
        resolved ??= list.map((x) => x.resolved);
        resolved[i] = { decl: r.decl };
        continue;
      }
      units.set(target, loaded);
      queue.push(loaded);
    }
    // The same array as last time when nothing failed to load: cycles need not be looked for again.
    const last = previous?.imports.get(unit.path);
    imports.set(unit.path, resolved ?? (last && sameImports(last, list) ? last : list.map((x) => x.resolved)));
  }

  function resolveImport(text: string, from: string, at: { file: string; span: Span }, out: Diagnostic[]): string | undefined {
    if (text.startsWith("stdlib/")) {
      let name = stdlibName(text);
      if (!name) {
        out.push(diag("unknownModule", at, { path: text }));
        return undefined;
      }
      if (!name.includes("@")) {
        const latest = latestStdlib(name) ?? (overrides().has(`${name}@1`) ? `stdlib/${name}@1` : undefined);
        if (!latest) {
          out.push(unknownStdlib(text, name, at));
          return undefined;
        }
        out.push(
          diag("stdlibVersionRequired", at, { path: text, latest }, {
            fixes: [{ title: `Import ${latest}`, edits: [{ file: at.file, span: at.span, newText: JSON.stringify(latest) }] }],
          }),
        );
        // Still load the newest version, so the rest of the file is checked instead of drowning
        // in follow-on errors; the error above keeps the compilation from succeeding.
        name = latest.slice("stdlib/".length);
      }
      if (overrides().has(name)) return `${config.stdlib}/${name}.zt`;
      if (bundled[name] !== undefined) return `${STDLIB_PREFIX}${name}.zt`;
      out.push(unknownStdlib(text, name, at));
      return undefined;
    }
    if (text.startsWith("/") || /^[A-Za-z]:[\\/]/.test(text) || from.startsWith(STDLIB_PREFIX)) {
      out.push(diag("importOutsideProject", at, { path: text }));
      return undefined;
    }
    const joined = joinProjectPath(dirname(from), text);
    if (joined === undefined) {
      out.push(diag("importOutsideProject", at, { path: text }));
      return undefined;
    }
    if (!joined.endsWith(".zt")) {
      out.push(unknownModule(at, text, projectZt().includes(`${joined}.zt`) ? `${text}.zt` : undefined));
      return undefined;
    }
    if (!host.listFiles().includes(joined) && host.readFile(joined, 0).kind === "missing") {
      const near = closest(joined, projectZt());
      out.push(unknownModule(at, text, near ? relativeFrom(dirname(from), near) : undefined));
      return undefined;
    }
    return joined;
  }

  function unknownStdlib(text: string, name: string, at: { file: string; span: Span }): Diagnostic {
    const suggestion = suggestStdlib(name);
    const available = suggestion ? undefined : [...new Set([...Object.keys(bundled), ...overrides()])].sort().join(", ");
    return unknownModule(at, text, suggestion, available);
  }

  function suggestStdlib(name: string): string | undefined {
    const base = name.replace(/@\d+$/, "");
    const names = [...new Set([...Object.keys(bundled), ...overrides()])];
    const hit = closest(name, names) ?? closest(base, names.map((n) => n.replace(/@\d+$/, ""))) ?? stdlibModuleExporting(host, config.stdlib, base)?.name;
    if (!hit) return undefined;
    return `stdlib/${hit.includes("@") ? hit : (latestStdlib(hit)?.slice(7) ?? hit)}`;
  }

  // Cycles depend on the imports alone: the previous graph's, when every unit imports the same.
  let cycles: readonly Diagnostic[] | undefined;
  const before = previous && cyclesOf.get(previous);
  if (before && previous!.imports.size === imports.size && sameGraph(imports, previous!.imports)) cycles = before;
  else {
    const found: Diagnostic[] = [];
    detectCycles(imports, found);
    cycles = found;
  }
  diagnostics.push(...cycles);
  const rootSet = new Set(roots);
  // The map holds the roots first, then the modules in the order they were reached.
  const ordered = [...roots, ...[...units.values()].filter((u) => !rootSet.has(u)).sort((a, b) => (a.path < b.path ? -1 : 1))];
  const graph: ModuleGraph = { units: ordered, imports, diagnostics };
  cyclesOf.set(graph, cycles);
  inputsOf.set(graph, { listing, config, roots: roots.length });
  return graph;
}

/**
 * The previous graph with edited sources swapped in, when a fresh load would give the same: the
 * same listing and configuration, the same sources in the same order, each edited one with the
 * very same import statements (a re-parse keeps the nodes of statements an edit did not touch),
 * and every module reading as the same unit. A keystroke then costs no walk of the imports.
 */
function swapped(previous: ModuleGraph, listing: readonly string[], config: ProjectConfig, roots: readonly SourceUnit[], readUnit: ReadUnit, stdlibUnit: (name: string) => SourceUnit): ModuleGraph | undefined {
  const inputs = inputsOf.get(previous);
  if (!inputs || inputs.listing !== listing || inputs.config !== config || inputs.roots !== roots.length) return undefined;
  const units = previous.units.slice();
  const moved: [SourceUnit, SourceUnit][] = [];
  for (let i = 0; i < roots.length; i++) {
    const now = roots[i]!;
    const before = units[i]!;
    if (now === before) continue;
    if (now.path !== before.path || !sameImportStatements(now, before)) return undefined;
    units[i] = now;
    moved.push([before, now]);
  }
  const nowhere = { file: "", span: { start: 0, end: 0 } };
  for (let i = roots.length; i < units.length; i++) {
    const m = units[i]!;
    if ((m.path.startsWith(STDLIB_PREFIX) ? stdlibUnit(m.path.slice(STDLIB_PREFIX.length, -3)) : readUnit(m.path, nowhere)) !== m) return undefined;
  }
  // The swapped-in units resolve their imports as their predecessors did.
  for (const [before, now] of moved) {
    const known = resolutions.get(before);
    if (known) resolutions.set(now, known);
  }
  const graph: ModuleGraph = { units, imports: previous.imports, diagnostics: previous.diagnostics };
  cyclesOf.set(graph, cyclesOf.get(previous) ?? []);
  inputsOf.set(graph, inputs);
  return graph;
}

function sameImportStatements(a: SourceUnit, b: SourceUnit): boolean {
  const x = a.ast.items.filter((i) => i.kind === "Import");
  const y = b.ast.items.filter((i) => i.kind === "Import");
  return x.length === y.length && x.every((item, i) => item === y[i]);
}

function sameGraph(a: ReadonlyMap<string, readonly ResolvedImport[]>, b: ReadonlyMap<string, readonly ResolvedImport[]>): boolean {
  for (const [path, list] of a) if (b.get(path) !== list) return false;
  return true;
}

function sameImports(list: readonly ResolvedImport[], resolutions: readonly ImportResolution[]): boolean {
  if (list.length !== resolutions.length) return false;
  for (let i = 0; i < list.length; i++) if (list[i] !== resolutions[i]!.resolved) return false;
  return true;
}

/** ZT2012, with the did-you-mean as a fix that keeps the path a string (the span covers the quotes). */
function unknownModule(at: { file: string; span: Span }, path: string, suggestion: string | undefined, available?: string): Diagnostic {
  const fixes = suggestion ? [{ title: `Replace with '${suggestion}'`, edits: [{ file: at.file, span: at.span, newText: JSON.stringify(suggestion) }] }] : undefined;
  return diag("unknownModule", at, { path, suggestion, available }, { fixes });
}

/** `from` folder + project path -> the shortest relative spelling (`./x.zt`, `../y/x.zt`). */
export function relativeFrom(fromDir: string, target: string): string {
  const a = fromDir ? fromDir.split("/") : [];
  const b = target.split("/");
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  const up = a.length - i;
  return (up === 0 ? "./" : "../".repeat(up)) + b.slice(i).join("/");
}

/** Reports each import cycle once, at the import that closes it. */
function detectCycles(imports: ReadonlyMap<string, readonly ResolvedImport[]>, out: Diagnostic[]): void {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (path: string) => {
    state.set(path, 1);
    stack.push(path);
    for (const imp of imports.get(path) ?? []) {
      if (!imp.target) continue;
      const s = state.get(imp.target);
      if (s === 1) {
        // Named from the file it is reported in: "a.zt -> b.zt -> a.zt" at a.zt's import of b.zt.
        const loop = stack.slice(stack.indexOf(imp.target));
        const cycle = [path, ...loop.slice(0, -1), path].map((p) => p.replace(/^stdlib:/, "stdlib/").replace(/\.zt$/, (m) => (p.startsWith("stdlib:") ? "" : m)));
        out.push(diag("importCycle", { file: path, span: imp.decl.path!.span }, { cycle: cycle.join(" -> ") }));
      } else if (s === undefined) visit(imp.target);
    }
    stack.pop();
    state.set(path, 2);
  };
  for (const path of [...imports.keys()].sort()) if (!state.has(path)) visit(path);
}

/**
 * The edit adding `import "PATH"` to a file: after its last import, else after the comment block
 * that heads the file, else at the top.
 */
export function importEdit(unit: SourceUnit, importPath: string): TextEdit {
  const line = `import ${JSON.stringify(importPath)}`;
  const imports = unit.ast.items.filter((i) => i.kind === "Import");
  const last = imports[imports.length - 1];
  if (last) return { file: unit.path, span: { start: last.span.end, end: last.span.end }, newText: `\n${line}` };
  const text = unit.text;
  let end = -1;
  for (const c of unit.ast.comments) {
    const gap = text.slice(end < 0 ? 0 : end, c.span.start);
    if (c.block || (end < 0 ? gap.trim() !== "" : !/^\r?\n$/.test(gap))) break;
    end = c.span.end;
  }
  if (end < 0) return { file: unit.path, span: { start: 0, end: 0 }, newText: `${line}\n\n` };
  const blankAfter = /^\r?\n[ \t]*\r?\n/.test(text.slice(end));
  return { file: unit.path, span: { start: end, end }, newText: blankAfter ? `\n${line}` : `\n${line}\n` };
}
