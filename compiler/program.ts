/**
 * The Program: one compilation of one policy repository, and the single entry point for the CLI
 * and the language server. It is immutable; a new Program for changed inputs reuses the parse
 * results of unchanged files from the old one. Phases run lazily and at most once.
 */
import picomatch from "picomatch";
import {
  compareDiagnostics,
  diag,
  hasErrors,
  LineIndex,
  MAX_SOURCE_CHARS,
  parse,
  type Diagnostic,
  type ParseResult,
} from "../language/index.js";
import { reparse } from "../language/reparse.js";
import { boundaryProblems } from "./boundary.js";
import { check, type CheckInput, type CheckResult } from "./checker.js";
import { ciliumProblems } from "./cilium/validate.js";
import { emitBaselinePolicies, emitTenantPolicies, sortPolicies, type EmittedPolicy } from "./emit.js";
import { derivedValue, type CompilerHost, type DerivedCache } from "./host.js";
import { checkIncrementally, type PreviousCheck } from "./incremental.js";
import { loadModules, type ModuleGraph } from "./modules.js";
import { loadProject, MAX_YAML_BYTES, PROJECT_FILE, type LoadedProject, type ProjectConfig } from "./project.js";
import { RuleCache } from "./rule-cache.js";
import { loadRegistries, type LoadedRegistries } from "./registry.js";
import { buildRulesetIndex, type RulesetIndex } from "./rulesets.js";
import { bundledStdlib, isStdlibPath, STDLIB_PREFIX, stdlibModuleExporting } from "./stdlib.js";
import type { SourceUnit } from "./binder.js";

export interface ProgramOptions {
  /** YYYY-MM-DD for approval expiry (UTC). Default: the current date. */
  readonly today?: string | undefined;
}

export interface EmitResult {
  readonly ok: boolean;
  readonly policies: readonly EmittedPolicy[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface Program {
  readonly host: CompilerHost;
  readonly today: string;
  readonly project: LoadedProject;
  readonly config?: ProjectConfig | undefined;
  readonly registries?: LoadedRegistries | undefined;
  /** Every unit of the compilation: the sources, then the modules they import. */
  readonly units: readonly SourceUnit[];
  readonly modules?: ModuleGraph | undefined;
  readonly rulesets?: RulesetIndex | undefined;
  /** The text of any file a diagnostic can point at. */
  fileText(path: string): string | undefined;
  lineIndex(path: string): LineIndex | undefined;
  getCheck(): CheckResult | undefined;
  /** The check, if it was computed, with its units: what a later program may reuse. */
  previousCheck(): PreviousCheck | undefined;
  /** Every diagnostic of the project, sorted. */
  getDiagnostics(): readonly Diagnostic[];
  emit(): EmitResult;
}

/**
 * The last gate before writing: every policy against Cilium's schema and agent rules and against
 * the tenant boundary. Any finding is a ztc bug (ZT4001): the caller writes nothing.
 */
export function validatePolicies(policies: readonly EmittedPolicy[], registries: LoadedRegistries, today: string): Diagnostic[] {
  const internal: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const p of policies) {
    const id = `${p.manifest.metadata.namespace ?? ""}/${p.manifest.metadata.name}`;
    const problems = [
      ...ciliumProblems(p.manifest),
      ...(registries.tenants ? boundaryProblems(p, registries.tenants, registries.approvals, today) : []),
      ...(seen.has(id) ? ["two policies have the same namespace and name"] : []),
    ];
    seen.add(id);
    const origin = p.atoms[0]?.origin;
    for (const problem of problems)
      internal.push(diag("invalidOutput", { file: origin?.file ?? "", span: origin?.rule.span ?? { start: 0, end: 0 } }, { policy: id, problem }));
  }
  return internal;
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * The previous program's units by path. An edit keeps the list of files, so a source is first
 * looked for at its position, a module among the last units (modules follow the sources); the map
 * is only built when neither is it.
 */
function previousUnits(units: readonly SourceUnit[]): { get(path: string, at?: number): SourceUnit | undefined } {
  let byPath: Map<string, SourceUnit> | undefined;
  return {
    get(path, at) {
      const same = at === undefined ? undefined : units[at];
      if (same?.path === path) return same;
      if (at === undefined) for (let i = units.length - 1; i >= Math.max(0, units.length - 32); i--) if (units[i]!.path === path) return units[i];
      byPath ??= new Map(units.map((u) => [u.path, u]));
      return byPath.get(path);
    },
  };
}

/**
 * Files from this size on have their parse kept in the host's cache, if it has one: a 2,000-line
 * file takes ~100 ms to parse at the start of a language server, and ~20 to read back. A small
 * file parses faster than its cache reads.
 */
const CACHED_PARSE_FROM_CHARS = 32 * 1024;
/** The kind of the parses kept in a host's cache (what they are keyed with besides the text). */
const PARSE = "zt-parse-1";

function parsedUnit(path: string, text: string, old: ReturnType<typeof previousUnits> | undefined, at?: number, cache?: DerivedCache): SourceUnit {
  const prev = old?.get(path, at);
  if (prev && prev.text === text) return prev;
  // After an edit, only the statements around it are parsed again when that is provably the same.
  const parsed = (prev && reparse({ text: prev.text, ast: prev.ast, diagnostics: prev.parseDiagnostics }, text, path)) ?? cachedParse(path, text, prev ? undefined : cache);
  return { path, text, lines: new LineIndex(text), ast: parsed.ast, parseDiagnostics: parsed.diagnostics };
}

/**
 * A file's parse, from the host's cache when it has this very text's: only for a file a program
 * sees for the first time (an edited document's parses would each be written for nothing).
 */
function cachedParse(path: string, text: string, cache: DerivedCache | undefined): ParseResult {
  return derivedValue(text.length >= CACHED_PARSE_FROM_CHARS ? cache : undefined, PARSE, path, text, () => parse(text, path));
}

function readSource(host: CompilerHost, path: string, old: ReturnType<typeof previousUnits> | undefined, index?: number): SourceUnit {
  const r = host.readFile(path, MAX_SOURCE_CHARS * 4);
  if (r.kind === "ok") return parsedUnit(path, r.text, old, index, host.cache);
  const at = { file: path, span: { start: 0, end: 0 } };
  const empty = (d: Diagnostic): SourceUnit => ({
    path,
    text: "",
    lines: new LineIndex(""),
    ast: { kind: "File", span: { start: 0, end: 0 }, items: [], comments: [] },
    parseDiagnostics: [d],
  });
  switch (r.kind) {
    case "too-large":
      return empty(diag("fileTooLarge", at, { size: `${(r.size / 1048576).toFixed(1)} MiB`, limit: "4.0 MiB" }));
    case "not-text":
      return empty(diag("binaryFile", at, { reason: r.reason }));
    case "missing":
      return empty(diag("fileNotFound", at, { path, what: "source file" }));
    case "outside":
      return empty(diag("pathOutsideProject", at, { path, what: "source file" }));
    case "error":
      return empty(diag("fileNotFound", at, { path, what: `source file (${r.message})` }));
  }
}

/** The sources found in a listing (the same array while the files are the same) for a configuration. */
const discovered = new WeakMap<readonly string[], { readonly config: ProjectConfig; readonly paths: readonly string[] }>();

/** The .zt files the project's `sources` globs select, outside the output folder. */
export function discoverSources(host: CompilerHost, config: ProjectConfig): readonly string[] {
  const listing = host.listFiles();
  const known = discovered.get(listing);
  if (known && known.config === config) return known.paths;
  const globs = config.sources.map((g) => picomatch.makeRe(g, { dot: false }));
  const outPrefix = `${config.output}/`;
  const paths = listing.filter((f) => f.endsWith(".zt") && !f.startsWith(outPrefix) && globs.some((g) => g.test(f)));
  discovered.set(listing, { config, paths });
  return paths;
}

/** The old program's project file and registries, if their files still read the same. */
function unchangedInputs(host: CompilerHost, old: Program | undefined): { project: LoadedProject; registries: LoadedRegistries } | undefined {
  const config = old?.config;
  const registries = old?.registries;
  if (!old || !config || !registries || !old.project.source) return undefined;
  const same = (path: string, text: string | undefined) => {
    const r = host.readFile(path, MAX_YAML_BYTES);
    return r.kind === "ok" && text !== undefined && r.text === text;
  };
  if (!same(PROJECT_FILE, old.project.source.text)) return undefined;
  for (const path of [config.tenantsPath, config.approvalsPath])
    if (!same(path, registries.sources.find((s) => s.file === path)?.text)) return undefined;
  return { project: old.project, registries };
}

export function createProgram(host: CompilerHost, options: ProgramOptions = {}, old?: Program): Program {
  const today = options.today ?? todayUtc();
  // An editor creates a program per keystroke: the project file and registries are loaded again
  // only when their text changed, and then nothing of the old check can be reused.
  const reused = unchangedInputs(host, old);
  const project = reused?.project ?? loadProject(host);
  const config = project.config;
  const registries = reused ? reused.registries : config ? loadRegistries(host, config, project.source) : undefined;
  // Only what is reused is kept from the old program, not the program itself: each program would
  // otherwise hold on to every one before it. The old units are dropped once the units are read:
  // the program's methods share this scope and would keep the previous version of edited files.
  let oldUnits = old ? previousUnits(old.units) : undefined;
  let previous: PreviousCheck | undefined = reused && old && old.today === today ? old.previousCheck() : undefined;
  // Programs made one from another (an editor's) remember resolved rules; a one-off compile does not.
  let ruleCache: RuleCache | undefined = old ? (old.previousCheck()?.check.ruleCache ?? new RuleCache()) : undefined;
  const extra: Diagnostic[] = [];
  let units: SourceUnit[] = [];
  let modules: ModuleGraph | undefined;
  let rulesets: RulesetIndex | undefined;
  if (config) {
    const paths = discoverSources(host, config);
    if (paths.length === 0)
      extra.push(diag("noSources", { file: config.file, span: project.source?.locate(["sources"]) ?? { start: 0, end: 0 } }, { globs: config.sources.join(", ") }));
    const roots = paths.map((p, i) => readSource(host, p, oldUnits, i));
    modules = loadModules(
      host,
      config,
      roots,
      (path, at) => {
        const unit = readSource(host, path, oldUnits);
        // A module that cannot be read is reported at the import, not as a broken source.
        const fatal = unit.parseDiagnostics.find((d) => d.code === "ZT5005" || d.code === "ZT5006");
        return fatal ? diag("unknownModule", at, { path }) : unit;
      },
      (name) => parsedUnit(`${STDLIB_PREFIX}${name}.zt`, bundledStdlib()[name]!, oldUnits),
      reused ? old?.modules : undefined,
    );
    units = [...modules.units];
    oldUnits = undefined;
    rulesets = buildRulesetIndex(
      modules,
      (p) => isStdlibPath(p, config.stdlib),
      (name) => stdlibModuleExporting(host, config.stdlib, name)?.importPath,
      reused ? old?.rulesets : undefined,
    );
    extra.push(...modules.diagnostics, ...rulesets.diagnostics);
    const tenants = registries?.tenants;
    if (tenants)
      for (const u of units) {
        const owners = tenants.ownersOf(u.path);
        if (owners.length > 1) extra.push(diag("overlappingPaths", { file: u.path, span: { start: 0, end: 0 } }, { file: u.path, tenants: owners.map((t) => t.name).join(", ") }));
      }
  }

  // Built when first asked for: an editor builds a program per keystroke and mostly asks for none.
  let files: { texts: Map<string, string>; indexes: Map<string, LineIndex> } | undefined;
  const known = () => {
    if (files) return files;
    const texts = new Map<string, string>();
    if (project.source) texts.set(project.source.file, project.source.text);
    for (const s of registries?.sources ?? []) texts.set(s.file, s.text);
    for (const u of units) texts.set(u.path, u.text);
    files = { texts, indexes: new Map<string, LineIndex>(units.map((u) => [u.path, u.lines])) };
    return files;
  };

  let checked: CheckResult | undefined | null = null;
  let all: Diagnostic[] | undefined;
  let emitted: EmitResult | undefined;

  const program: Program = {
    host,
    today,
    project,
    config,
    registries,
    units,
    modules,
    rulesets,
    fileText: (p) => known().texts.get(p),
    lineIndex(p) {
      const { texts, indexes } = known();
      let li = indexes.get(p);
      if (!li) {
        const t = texts.get(p);
        if (t === undefined) return undefined;
        li = new LineIndex(t);
        indexes.set(p, li);
      }
      return li;
    },
    getCheck() {
      if (checked !== null) return checked;
      if (config && registries?.tenants && rulesets) {
        const input: CheckInput = {
          config,
          units,
          rulesets,
          tenants: registries.tenants,
          approvals: registries.approvals,
          approvalsSource: registries.sources.find((s) => s.file === config.approvalsPath),
          today,
          ruleCache,
        };
        const incremental = previous && checkIncrementally(input, previous);
        if (incremental) checked = incremental;
        else {
          // A first, focused check fills the cache; a whole-workspace check only replays it.
          if (ruleCache) ruleCache.storeNew = !previous && ruleCache.isEmpty();
          checked = check(input);
          if (ruleCache) ruleCache.storeNew = true;
        }
      } else checked = undefined;
      previous = undefined;
      ruleCache = undefined;
      return checked;
    },
    previousCheck() {
      return checked ? { units, check: checked } : undefined;
    },
    getDiagnostics() {
      if (all) return all;
      const list = [
        ...project.diagnostics,
        ...(registries?.diagnostics ?? []),
        ...extra,
        ...units.flatMap((u) => u.parseDiagnostics),
        ...(program.getCheck()?.diagnostics ?? []),
      ];
      all = list.sort(compareDiagnostics);
      return all;
    },
    emit() {
      if (emitted) return emitted;
      const diagnostics = program.getDiagnostics();
      const result = program.getCheck();
      if (hasErrors(diagnostics) || !config || !registries?.tenants || !result) {
        emitted = { ok: false, policies: [], diagnostics };
        return emitted;
      }
      const input = { atoms: result.atoms, tenants: registries.tenants, config, baselines: result.bound.baselines, settings: result.bound.settings };
      const policies = sortPolicies([...emitBaselinePolicies(input), ...emitTenantPolicies(input)]);
      const internal = validatePolicies(policies, registries, today);
      emitted =
        internal.length > 0
          ? { ok: false, policies: [], diagnostics: [...diagnostics, ...internal] }
          : { ok: true, policies, diagnostics };
      return emitted;
    },
  };
  return program;
}
