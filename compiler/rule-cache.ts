/**
 * Reusing the resolution of rules that did not change. Resolving a rule (names, peers, ports,
 * approvals) depends on its text, its tenant, the registries, the project file, the date, and the
 * workloads of its own tenant and of the tenants it names; nothing else (resolve.ts). While those
 * are the same, the atoms and diagnostics found last time are reused, moved to where the rule now
 * is. A 2,000-line file is then re-checked in a few milliseconds after a keystroke.
 *
 * The cache belongs to a check result and is handed to the next check (the snapshot keeps it);
 * entries not used by the last two checks are dropped.
 */
import { forEachChild, type AstNode, type Diagnostic, type RuleStmt, type Span } from "../language/index.js";
import type { TenantBlock } from "./binder.js";
import type { Atom, Subject, WorkloadSymbol } from "./ir.js";
import { selectorText } from "./labels.js";
import type { ResolveContext, RuleHook } from "./resolve.js";

interface Entry {
  readonly key: string;
  readonly file: string;
  readonly tenant: string;
  /** Where the rule was, and what it gave, when last resolved or replayed. */
  start: number;
  readonly line: number;
  atoms: readonly Atom[];
  diagnostics: readonly Diagnostic[];
  /** Whether resolving it took an order number (rules without a direction do not). */
  readonly ordered: boolean;
  /** The workload digests it was resolved with: tenant -> digest id. */
  readonly deps: readonly (readonly [string, number])[];
  used: number;
}

export class RuleCache {
  private readonly entries = new Map<string, Entry>();
  /** The same entries by rule node: statements a re-parse did not touch keep their node. */
  private byNode = new WeakMap<RuleStmt, Entry>();
  private readonly digestIds = new Map<string, number>();
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
      this.entries.clear();
      this.byNode = new WeakMap();
      this.digestIds.clear();
      this.inputs = inputs;
    }
    this.generation++;
  }

  /** Ends a check: forgets rules not seen in this check or the one before. */
  end(): void {
    for (const [k, e] of this.entries) if (e.used < this.generation - 1) this.entries.delete(k);
  }

  /** The hook for resolveBlock, for one block. */
  hook(block: TenantBlock, ctx: ResolveContext): RuleHook {
    const digests = new Map<string, number>();
    const digest = (tenant: string): number => {
      let id = digests.get(tenant);
      if (id === undefined) {
        const ws = ctx.workloads.get(tenant);
        // A tenant's mode changes what its rules report (audit mode, ZT3035).
        const text = `${ctx.settings.get(tenant)?.mode ?? "enforce"}\n${ws ? [...ws.values()].map(workloadText).join("\n") : ""}`;
        id = this.digestIds.get(text);
        if (id === undefined) this.digestIds.set(text, (id = this.digestIds.size));
        digests.set(tenant, id);
      }
      return id;
    };
    const unit = block.unit;
    const tenant = block.tenant.name;
    return (rule, resolve) => {
      // The same node in the same file and tenant has the same text; otherwise compare the text.
      let hit = this.byNode.get(rule);
      let key = hit?.key;
      if (!hit || hit.file !== unit.path || hit.tenant !== tenant) {
        key = `${unit.path}\u0000${tenant}\u0000${unit.text.slice(rule.span.start, rule.span.end)}`;
        hit = this.entries.get(key);
      }
      if (hit && this.entries.get(hit.key) === hit && hit.deps.every(([t, id]) => digest(t) === id)) {
        hit.used = this.generation;
        this.byNode.set(rule, hit);
        return this.replay(hit, rule, block, ctx);
      }
      if (!this.storeNew) return resolve();
      const before = ctx.diagnostics.length;
      const order = ctx.nextOrder;
      const atoms = resolve();
      const entry: Entry = {
        key: key!,
        file: unit.path,
        tenant,
        start: rule.span.start,
        line: unit.lines.positionAt(rule.span.start).line + 1,
        atoms,
        diagnostics: ctx.diagnostics.slice(before),
        ordered: ctx.nextOrder !== order,
        deps: [tenant, ...namedTenants(rule)].map((t) => [t, digest(t)] as const),
        used: this.generation,
      };
      this.entries.set(entry.key, entry);
      this.byNode.set(rule, entry);
      return atoms;
    };
  }

  /**
   * The cached result moved to where the rule is now, with this check's numbering and workloads.
   * Atoms that would come out equal are handed on as they are: the analyses' caches keyed by atom
   * parts then hit, and an edit allocates (and promotes to the old generation) only what moved.
   */
  private replay(e: Entry, rule: RuleStmt, block: TenantBlock, ctx: ResolveContext): Atom[] {
    const delta = rule.span.start - e.start;
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
    const order = e.ordered ? ctx.nextOrder++ : 0;
    const line = block.unit.lines.positionAt(rule.span.start).line + 1;
    const origins = new Map<object, Atom["origin"]>();
    const https = new Map<object, Atom["http"]>();
    const own = ctx.workloads.get(block.tenant.name);
    const rebind = (s: Subject): Subject => {
      if (s.kind !== "workload") return s;
      const w = own?.get(s.workload.name) ?? s.workload;
      return w === s.workload ? s : { kind: "workload", workload: w };
    };
    const atoms = e.atoms.map((a) => {
      let origin = origins.get(a.origin);
      if (!origin) {
        const o = a.origin;
        origin = delta === 0 && o.order === order && o.file === file && o.rule === rule && o.line === line ? o : { ...o, order, file, rule, span: move(o.span), line };
        origins.set(a.origin, origin);
      }
      let http = a.http;
      if (a.http) {
        http = https.get(a.http);
        if (!http) {
          const asts = rule.http?.rules ?? [];
          http = a.http.every((h, i) => (asts[i] ?? h.ast) === h.ast) ? a.http : a.http.map((h, i) => ({ ...h, ast: asts[i] ?? h.ast }));
          https.set(a.http, http);
        }
      }
      const id = ctx.nextAtomId++;
      const subject = rebind(a.subject);
      if (delta === 0 && id === a.id && origin === a.origin && http === a.http && subject === a.subject) return a;
      return { ...a, id, origin, peerSpan: move(a.peerSpan), subject, http };
    });
    // The next replay starts from these, so a rule that stays put keeps its atoms.
    e.start = rule.span.start;
    e.atoms = atoms;
    e.diagnostics = diagnostics;
    return atoms;
  }
}

function workloadText(w: WorkloadSymbol): string {
  return `${w.name}|${selectorText(w.selector)}|${w.namespaces.join(",")}|${w.pinned ?? ""}|${w.broken ? 1 : 0}|${w.file}`;
}

/** Tenants a rule names (whose workloads it may use). */
function namedTenants(rule: RuleStmt): string[] {
  const out = new Set<string>();
  const visit = (n: AstNode) => {
    if (n.kind === "TenantRef" && n.tenant) out.add(n.tenant.text);
    forEachChild(n, visit);
  };
  visit(rule);
  return [...out];
}
