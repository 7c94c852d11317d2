/**
 * Reusing the resolution of rules that did not change. Resolving a rule (names, peers, ports,
 * approvals) depends on its text, its tenant, the registries, the project file, the date, and the
 * workloads of its own tenant and of the tenants it names; nothing else (resolve.ts). While those
 * are the same, the atoms and diagnostics found last time are reused, moved to where the rule now
 * is. A 2,000-line file is then re-checked in a few milliseconds after a keystroke.
 *
 * A `use` of a rule set is reused the same way, provided the rule set lookups its expansion made
 * (the use's own, and those of nested uses) give the same rule sets now: a rule set is immutable
 * while its file is unchanged, so the same rule sets with the same arguments expand the same.
 *
 * The cache belongs to a check result and is handed to the next check (the snapshot keeps it);
 * entries not used by the last two checks are dropped.
 */
import { forEachChild, type AstNode, type Diagnostic, type Ident, type RuleStmt, type Span, type TenantItem, type UseStmt } from "../language/index.js";
import type { SourceUnit, TenantBlock } from "./binder.js";
import type { Atom, Subject, WorkloadSymbol } from "./ir.js";
import { selectorText } from "./labels.js";
import { workloadSubject, type ResolveContext, type RuleHook } from "./resolve.js";
import type { RulesetIndex, RulesetSymbol } from "./rulesets.js";
import { GenerationalWeakMap } from "./weak-generations.js";

/** A rule set lookup a `use` made while it was expanded: the same answer means the same rules. */
interface Lookup {
  /** Where it was looked up from; undefined for the `use` itself (looked up from where it is now). */
  readonly unit: SourceUnit | undefined;
  readonly name: Ident | undefined;
  readonly symbol: RulesetSymbol | undefined;
}

type Statement = RuleStmt | UseStmt;

/**
 * A run of statements of a block as a check left it (resolveBlock takes them RUN at a time): while
 * the same nodes stand on the same lines and take the same first atom and order numbers, and every
 * statement's entry still holds, its atoms are what replaying each statement would give.
 */
interface Run {
  readonly file: string;
  readonly tenant: string;
  readonly items: readonly TenantItem[];
  /** The line of the first statement, and the text from it to the end of the last (which fixes the lines of the others). */
  readonly line: number;
  readonly text: string;
  readonly firstId: number;
  readonly firstOrder: number;
  readonly orders: number;
  readonly atoms: readonly Atom[];
  readonly diagnostics: readonly Diagnostic[];
  readonly entries: readonly (readonly [Entry, Statement])[];
  /** The entries' workload digests, each pair once (a run of 32 rules mostly names a tenant or two). */
  readonly deps: readonly (readonly [string, number])[];
  /** The workloads its atoms select, each once (a check compares them, not every atom's). */
  readonly workloads: readonly WorkloadSymbol[];
}

interface Entry {
  readonly key: string;
  readonly file: string;
  readonly tenant: string;
  /** Where the rule was, and what it gave, when last resolved or replayed. */
  start: number;
  readonly line: number;
  atoms: readonly Atom[];
  diagnostics: readonly Diagnostic[];
  /** The first order number it took, and how many (a rule one, or none without a direction; a use one per rule of its rule set). */
  orderBase: number;
  readonly orders: number;
  /** The workload digests it was resolved with: tenant -> digest id. */
  readonly deps: readonly (readonly [string, number])[];
  /** For a `use`: the rule set lookups of its expansion, in order. */
  readonly lookups?: readonly Lookup[] | undefined;
  /** The rule set index the lookups were last found to hold in (an index is immutable, and an edit of a tenant's file keeps it). */
  lookedUpIn?: RulesetIndex | undefined;
  used: number;
  /** Out of the cache (forgotten, replaced or cleared): a run holding it is not reused. */
  dropped?: boolean;
}

export class RuleCache {
  private readonly entries = new Map<string, Entry>();
  /** The same entries by rule node: statements a re-parse did not touch keep their node. */
  private byNode = new GenerationalWeakMap<Statement, Entry>();
  /** Runs by their first statement. */
  private runs = new WeakMap<TenantItem, Run>();
  private readonly digestIds = new Map<string, number>();
  /**
   * Each tenant's last digest, with the workload symbols and mode it was computed from. The binder
   * hands on the same symbols for unchanged declarations, so a tenant whose workloads did not
   * change gets its id back from a comparison of references; the text (every workload of a
   * 100-workload tenant, ~6 KB, hashed again by the id lookup) is built only when they changed.
   * Several blocks of one check ask for the same tenants: those answers are kept for the check.
   */
  private readonly lastDigests = new Map<string, { readonly mode: string; readonly symbols: readonly WorkloadSymbol[]; readonly id: number }>();
  private checkDigests: { readonly ctx: ResolveContext; readonly ids: Map<string, number> } | undefined;
  private generation = 0;
  private inputs: readonly unknown[] = [];
  /**
   * Whether rules resolved anew are remembered. A check of the whole workspace only replays what
   * is there: remembering every rule of a thousand tenants costs memory for edits that mostly
   * never come; the tenants being edited fill the cache as they are re-checked.
   */
  storeNew = true;

  isEmpty(): boolean {
    return this.entries.size === 0;
  }

  /** Starts a check: a change of registries, project file or date empties the cache. */
  begin(ctx: ResolveContext): void {
    const inputs = [ctx.tenants, ctx.approvals, ctx.approvalsSource, ctx.config, ctx.today];
    if (inputs.some((v, i) => v !== this.inputs[i])) {
      for (const e of this.entries.values()) e.dropped = true;
      this.entries.clear();
      this.byNode = new GenerationalWeakMap();
      this.runs = new WeakMap();
      this.digestIds.clear();
      this.lastDigests.clear();
      this.inputs = inputs;
    }
    this.generation++;
  }

  /** Ends a check: forgets rules not seen in this check or the one before. */
  end(): void {
    for (const [k, e] of this.entries)
      if (e.used < this.generation - 1) {
        e.dropped = true;
        this.entries.delete(k);
      }
    this.checkDigests = undefined;
  }

  /** The hook for resolveBlock, for one block. */
  hook(block: TenantBlock, ctx: ResolveContext): RuleHook {
    if (this.checkDigests?.ctx !== ctx) this.checkDigests = { ctx, ids: new Map() };
    const digests = this.checkDigests.ids;
    const digest = (tenant: string): number => {
      let id = digests.get(tenant);
      if (id === undefined) digests.set(tenant, (id = this.digestOf(tenant, ctx)));
      return id;
    };
    const unit = block.unit;
    const tenant = block.tenant.name;
    const lookupsHold = (e: Entry, statement: Statement) => {
      if (!e.lookups || e.lookedUpIn === ctx.rulesets) return true;
      if (!sameLookups(e.lookups, statement as UseStmt, unit, ctx.rulesets)) return false;
      e.lookedUpIn = ctx.rulesets;
      return true;
    };
    /** An entry still in the cache whose rule set lookups hold; valid() if its digests hold too (runs compare those once). */
    const held = (e: Entry, statement: Statement) => !e.dropped && lookupsHold(e, statement);
    const valid = (e: Entry, statement: Statement) => held(e, statement) && e.deps.every(([t, id]) => digest(t) === id);
    /** The entry each statement of this block was answered from or filed under (none: not cached). */
    const entryOf = new Map<Statement, Entry>();
    const hook = (statement: Statement, resolve: () => Atom[]): Atom[] => {
      // The same node in the same file and tenant has the same text; otherwise compare the text.
      let hit = this.byNode.get(statement);
      let key = hit?.key;
      const byNode = hit !== undefined && hit.file === unit.path && hit.tenant === tenant;
      if (!byNode) {
        key = `${unit.path}\u0000${tenant}\u0000${unit.text.slice(statement.span.start, statement.span.end)}`;
        hit = this.entries.get(key);
      }
      if (hit && valid(hit, statement)) {
        hit.used = this.generation;
        if (!byNode) this.byNode.set(statement, hit);
        entryOf.set(statement, hit);
        return this.replay(hit, statement, block, ctx);
      }
      if (!this.storeNew) return resolve();
      const before = ctx.diagnostics.length;
      const order = ctx.nextOrder;
      let atoms: Atom[];
      let lookups: Lookup[] | undefined;
      if (statement.kind === "Use") {
        const recorded = recordLookups(ctx, unit, resolve);
        atoms = recorded.atoms;
        // A rule set of the edited file itself changes with it: not worth remembering.
        if (!recorded.lookups) return atoms;
        lookups = recorded.lookups;
      } else atoms = resolve();
      const named = new Set([tenant, ...namedTenants(statement)]);
      for (const l of lookups ?? []) if (l.symbol) for (const t of namedTenants(l.symbol.decl)) named.add(t);
      const entry: Entry = {
        key: key!,
        file: unit.path,
        tenant,
        start: statement.span.start,
        line: unit.lines.positionAt(statement.span.start).line + 1,
        atoms,
        diagnostics: ctx.diagnostics.slice(before),
        orderBase: order,
        orders: ctx.nextOrder - order,
        deps: [...named].map((t) => [t, digest(t)] as const),
        lookups,
        lookedUpIn: lookups && ctx.rulesets,
        used: this.generation,
      };
      const replaced = this.entries.get(entry.key);
      if (replaced) replaced.dropped = true;
      this.entries.set(entry.key, entry);
      this.byNode.set(statement, entry);
      entryOf.set(statement, entry);
      return atoms;
    };
    const lineOf = (item: TenantItem) => unit.lines.positionAt(item.span.start).line + 1;
    const textOf = (items: readonly TenantItem[]) => unit.text.slice(items[0]!.span.start, items[items.length - 1]!.span.end);
    const runs: NonNullable<RuleHook["runs"]> = {
      reuse: (body, from, to) => {
        const run = this.runs.get(body[from]!);
        if (!run || run.file !== unit.path || run.tenant !== tenant || run.items.length !== to - from) return undefined;
        if (run.firstId !== ctx.nextAtomId || run.firstOrder !== ctx.nextOrder) return undefined;
        for (let j = 0; j < run.items.length; j++) if (body[from + j] !== run.items[j]) return undefined;
        if (lineOf(run.items[0]!) !== run.line || textOf(run.items) !== run.text) return undefined;
        for (const [e, statement] of run.entries) if (!held(e, statement)) return undefined;
        for (const [t, id] of run.deps) if (digest(t) !== id) return undefined;
        const own = ctx.workloads.get(tenant);
        for (const w of run.workloads) if ((own?.get(w.name) ?? w) !== w) return undefined;
        // (entryOf is only read for runs that are resolved anew, whose statements all pass the hook.)
        for (const [e] of run.entries) e.used = this.generation;
        ctx.nextAtomId += run.atoms.length;
        ctx.nextOrder += run.orders;
        for (const d of run.diagnostics) ctx.diagnostics.push(d);
        return run.atoms;
      },
      resolved: (body, from, to, atoms, before) => {
        if (!this.storeNew) return;
        const entries: (readonly [Entry, Statement])[] = [];
        for (let i = from; i < to; i++) {
          const item = body[i]!;
          if (item.kind !== "Rule" && item.kind !== "Use") continue;
          const e = entryOf.get(item);
          if (!e) return;
          entries.push([e, item]);
        }
        const items = body.slice(from, to);
        this.runs.set(items[0]!, {
          file: unit.path,
          tenant,
          items,
          line: lineOf(items[0]!),
          text: textOf(items),
          firstId: before.id,
          firstOrder: before.order,
          orders: ctx.nextOrder - before.order,
          atoms,
          diagnostics: ctx.diagnostics.slice(before.diagnostics),
          entries,
          deps: distinctDeps(entries),
          workloads: [...new Set(atoms.flatMap((a) => (a.subject.kind === "workload" ? [a.subject.workload] : [])))],
        });
      },
    };
    return Object.assign(hook, { runs });
  }

  /** The id of a tenant's workloads and mode as this check sees them: equal ids, equal inputs to its rules' resolution. */
  private digestOf(tenant: string, ctx: ResolveContext): number {
    const ws = ctx.workloads.get(tenant);
    // A tenant's mode changes what its rules report (audit mode, ZT3035).
    const mode = ctx.settings.get(tenant)?.mode ?? "enforce";
    const last = this.lastDigests.get(tenant);
    if (last && last.mode === mode && sameSymbols(last.symbols, ws)) return last.id;
    const symbols = ws ? [...ws.values()] : [];
    const text = `${mode}\n${symbols.map(workloadText).join("\n")}`;
    let id = this.digestIds.get(text);
    if (id === undefined) this.digestIds.set(text, (id = this.digestIds.size));
    this.lastDigests.set(tenant, { mode, symbols, id });
    return id;
  }

  /**
   * The cached result moved to where the rule is now, with this check's numbering and workloads.
   * Atoms that would come out equal are handed on as they are: the analyses' caches keyed by atom
   * parts then hit, and an edit allocates (and promotes to the old generation) only what moved.
   */
  private replay(e: Entry, statement: Statement, block: TenantBlock, ctx: ResolveContext): Atom[] {
    const delta = statement.span.start - e.start;
    const rule = statement.kind === "Rule" ? statement : undefined;
    const file = block.unit.path;
    const move = (s: Span): Span => (delta === 0 ? s : { start: s.start + delta, end: s.end + delta });
    const diagnostics =
      delta === 0
        ? e.diagnostics
        : e.diagnostics.map((d) =>
            d.file !== file
              ? d
              : {
                  ...d,
                  span: move(d.span),
                  fixes: d.fixes?.map((f) => ({ ...f, edits: f.edits.map((x) => (x.file === file ? { ...x, span: move(x.span) } : x)) })),
                  related: d.related?.map((r) => (r.file === file ? { ...r, span: move(r.span) } : r)),
                },
          );
    ctx.diagnostics.push(...diagnostics);
    // Order numbers keep their distance from the first one the statement takes.
    const orderBase = ctx.nextOrder;
    ctx.nextOrder += e.orders;
    const shift = orderBase - e.orderBase;
    const line = block.unit.lines.positionAt(statement.span.start).line + 1;
    const own = ctx.workloads.get(block.tenant.name);
    // Most statements of the file being edited did not move: their atoms are handed on without
    // allocating anything (what the loop below would find, checked without building it).
    if (delta === 0 && shift === 0 && unmoved(e.atoms, ctx.nextAtomId, file, line, rule, own)) {
      ctx.nextAtomId += e.atoms.length;
      return e.atoms as Atom[];
    }
    // Atoms of one statement mostly share their origin and HTTP rules: the last pair found is
    // tried first, and a map is made only for a statement with several (one map per moved
    // statement was a thousand maps per keystroke).
    let origins: Map<object, Atom["origin"]> | undefined;
    let originFrom: object | undefined;
    let originTo: Atom["origin"] | undefined;
    let https: Map<object, Atom["http"]> | undefined;
    let httpFrom: object | undefined;
    let httpTo: Atom["http"] | undefined;
    const rebind = (s: Subject): Subject => {
      if (s.kind !== "workload") return s;
      const w = own?.get(s.workload.name) ?? s.workload;
      return w === s.workload ? s : workloadSubject(w);
    };
    const atoms = e.atoms.map((a) => {
      let origin = originFrom === a.origin ? originTo : origins?.get(a.origin);
      if (!origin) {
        const o = a.origin;
        // A rule set's atoms keep their rule (the one in the rule set); the use is their site.
        origin =
          delta === 0 && shift === 0 && o.file === file && (!rule || o.rule === rule) && o.line === line
            ? o
            : { ...o, order: o.order + shift, file, rule: rule ?? o.rule, span: move(o.span), line };
        if (originFrom) (origins ??= new Map()).set(originFrom, originTo!);
        originFrom = o;
        originTo = origin;
      }
      let http = a.http;
      if (a.http && rule) {
        http = httpFrom === a.http ? httpTo : https?.get(a.http);
        if (!http) {
          const asts = rule.http?.rules ?? [];
          http = a.http.every((h, i) => (asts[i] ?? h.ast) === h.ast) ? a.http : a.http.map((h, i) => ({ ...h, ast: asts[i] ?? h.ast }));
          if (httpFrom) (https ??= new Map()).set(httpFrom, httpTo);
          httpFrom = a.http;
          httpTo = http;
        }
      }
      const id = ctx.nextAtomId++;
      const subject = rebind(a.subject);
      if (delta === 0 && id === a.id && origin === a.origin && http === a.http && subject === a.subject) return a;
      return { ...a, id, origin, peerSpan: move(a.peerSpan), subject, http };
    });
    // The next replay starts from these, so a rule that stays put keeps its atoms.
    e.start = statement.span.start;
    e.orderBase = orderBase;
    e.atoms = atoms;
    e.diagnostics = diagnostics;
    return atoms;
  }
}

/** Whether replaying these atoms would give each back as it is (replay's conditions, in one pass). */
function unmoved(atoms: readonly Atom[], firstId: number, file: string, line: number, rule: RuleStmt | undefined, own: ReadonlyMap<string, WorkloadSymbol> | undefined): boolean {
  for (let i = 0; i < atoms.length; i++) {
    const a = atoms[i]!;
    const o = a.origin;
    if (a.id !== firstId + i || o.file !== file || o.line !== line || (rule && o.rule !== rule)) return false;
    if (a.subject.kind === "workload" && (own?.get(a.subject.workload.name) ?? a.subject.workload) !== a.subject.workload) return false;
    if (rule && a.http) {
      const asts = rule.http?.rules ?? [];
      if (!a.http.every((h, j) => (asts[j] ?? h.ast) === h.ast)) return false;
    }
  }
  return true;
}

/** Symbols are immutable and handed on from check to check: their text is computed once. */
const workloadTexts = new WeakMap<WorkloadSymbol, string>();

function workloadText(w: WorkloadSymbol): string {
  let text = workloadTexts.get(w);
  if (text === undefined) {
    text = `${w.name}|${selectorText(w.selector)}|${w.namespaces.join(",")}|${w.pinned ?? ""}|${w.broken ? 1 : 0}|${w.file}`;
    workloadTexts.set(w, text);
  }
  return text;
}

function sameSymbols(symbols: readonly WorkloadSymbol[], ws: ReadonlyMap<string, WorkloadSymbol> | undefined): boolean {
  if (symbols.length !== (ws?.size ?? 0)) return false;
  let i = 0;
  for (const w of ws?.values() ?? []) if (w !== symbols[i++]) return false;
  return true;
}

/** The digest pairs of a run's entries, each once. */
function distinctDeps(entries: readonly (readonly [Entry, Statement])[]): (readonly [string, number])[] {
  const seen = new Set<string>();
  const out: (readonly [string, number])[] = [];
  for (const [e] of entries)
    for (const d of e.deps) {
      const k = `${d[0]}\0${d[1]}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(d);
      }
    }
  return out;
}

/** Tenants a statement or rule set names (whose workloads it may use). */
function namedTenants(node: AstNode): string[] {
  const out = new Set<string>();
  const visit = (n: AstNode) => {
    if (n.kind === "TenantRef" && n.tenant) out.add(n.tenant.text);
    forEachChild(n, visit);
  };
  visit(node);
  return [...out];
}

/**
 * Expands a `use`, recording the rule set lookups it makes; no lookups when a rule set of the
 * file being checked takes part (it is edited with the file, so remembering it does not pay) or
 * a lookup reports a problem (whose fixes depend on more of the file than the use).
 */
function recordLookups(ctx: ResolveContext, unit: SourceUnit, expand: () => Atom[]): { atoms: Atom[]; lookups: Lookup[] | undefined } {
  const real = ctx.rulesets;
  const lookups: Lookup[] = [];
  let uncached = false;
  const recording: RulesetIndex = {
    diagnostics: real.diagnostics,
    visible: (u) => real.visible(u),
    lookup(from, name, out) {
      const n = out.length;
      const symbol = real.lookup(from, name, out);
      const first = lookups.length === 0;
      if (symbol?.unit === unit || (!first && from === unit) || out.length > n) uncached = true;
      lookups.push({ unit: first ? undefined : from, name: first ? undefined : name, symbol });
      return symbol;
    },
  };
  const mutable = ctx as { rulesets: RulesetIndex };
  mutable.rulesets = recording;
  try {
    const atoms = expand();
    return { atoms, lookups: uncached ? undefined : lookups };
  } finally {
    mutable.rulesets = real;
  }
}

/** The lookups a `use` made give the same answers now (so its expansion would too). */
function sameLookups(lookups: readonly Lookup[], use: UseStmt, unit: SourceUnit, index: RulesetIndex): boolean {
  const found: Diagnostic[] = [];
  for (const l of lookups) {
    found.length = 0;
    const name = l.name ?? use.name;
    if (!name) return false;
    if (index.lookup(l.unit ?? unit, name, found) !== l.symbol || found.length > 0) return false;
  }
  return true;
}
