/**
 * What every editor service works on: one source file, and the Program it belongs to when there
 * is one. A .zt file outside any project (or outside the project's `sources`) still gets the
 * services that only need its syntax; the ones that need registries answer nothing.
 */
import { LineIndex, parse, type SourceFileAst, type TenantDecl } from "../../language/index.js";
import type { SourceUnit } from "../binder.js";
import type { CheckResult } from "../checker.js";
import type { Atom } from "../ir.js";
import type { Program } from "../program.js";

/** The input of a service: a parsed file, and its program if it is part of one. */
export interface ServiceDocument {
  readonly unit: SourceUnit;
  readonly program?: Program | undefined;
}

/** A file that belongs to no program: parsed on its own. */
export function looseDocument(path: string, text: string): ServiceDocument {
  const parsed = parse(text, path);
  return { unit: { path, text, lines: new LineIndex(text), ast: parsed.ast, parseDiagnostics: parsed.diagnostics } };
}

const memo = new WeakMap<object, Map<string, unknown>>();

/**
 * Derived data computed at most once per snapshot (a Program or its CheckResult) and dropped with
 * it, so the language server never keeps derived state beside the snapshot.
 */
export function memoized<T>(owner: object, key: string, compute: () => T): T {
  let m = memo.get(owner);
  if (!m) memo.set(owner, (m = new Map()));
  if (m.has(key)) return m.get(key) as T;
  const v = compute();
  m.set(key, v);
  return v;
}

/** The program's unit for a path, or undefined (O(1) after the first call per snapshot). */
export function unitOf(program: Program, path: string): SourceUnit | undefined {
  return memoized(program, "units", () => new Map(program.units.map((u) => [u.path, u]))).get(path);
}

/** The document for a path: the program's unit when it has one, otherwise the text parsed alone. */
export function documentFor(program: Program | undefined, path: string, text: string): ServiceDocument {
  const unit = program ? unitOf(program, path) : undefined;
  if (unit && unit.text === text) return { unit, program };
  return looseDocument(path, text);
}

/** The top-level tenant item containing an offset (its block or its one-line rule). */
export function tenantAt(ast: SourceFileAst, offset: number): TenantDecl | undefined {
  for (const item of ast.items) {
    if (item.kind !== "Tenant") continue;
    if (offset >= item.span.start && offset <= item.span.end) return item;
  }
  return undefined;
}

/** The check result of a document's program, if the program could be checked. */
export function checkOf(doc: ServiceDocument): CheckResult | undefined {
  return doc.program?.getCheck();
}

/** The atoms each rule of the program became, by rule node. */
export function atomsByRule(check: CheckResult): ReadonlyMap<object, readonly Atom[]> {
  return memoized(check, "atomsByRule", () => {
    const m = new Map<object, Atom[]>();
    for (const a of check.atoms) {
      const list = m.get(a.origin.rule);
      if (list) list.push(a);
      else m.set(a.origin.rule, [a]);
    }
    return m;
  });
}

/** Is the document part of its program (so diagnostics, atoms and symbols cover it)? */
export function inProgram(doc: ServiceDocument): doc is ServiceDocument & { program: Program } {
  return doc.program !== undefined && unitOf(doc.program, doc.unit.path) === doc.unit;
}
