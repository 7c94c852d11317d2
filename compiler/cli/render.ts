/**
 * Diagnostics for people and machines: a compiler-style text report with the source line and a
 * caret, JSON, GitHub workflow annotations and SARIF 2.1.0. All formats carry the same codes,
 * ranges, help and fixes.
 */
import { entryForCode, type Diagnostic, type LineIndex, type Span } from "../../language/index.js";
import { catalogEntries } from "../../language/catalog.js";

export interface RenderContext {
  /** The text of a project file, for code frames. */
  lineIndex(file: string): LineIndex | undefined;
  /** How to show a project-relative path (relative to the working directory). */
  displayPath(file: string): string;
  readonly color: boolean;
  readonly version: string;
  /** Absolute project folder, for SARIF's base URI. */
  readonly root: string;
  /** The project's files (sources, registries, ztc.yaml), for reports with one entry per file. */
  readonly files?: readonly string[] | undefined;
  /** What is not enforced: tenants in audit mode, baselines with staged default deny. */
  readonly audit?: { readonly tenants: readonly string[]; readonly baselines: readonly string[] } | undefined;
}

export interface Range1 {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** 1-based line/column range (columns count UTF-16 units, like editors). */
export function range1(ctx: RenderContext, file: string, span: Span): Range1 {
  const li = ctx.lineIndex(file);
  if (!li) return { line: 1, column: 1, endLine: 1, endColumn: 1 };
  const s = li.positionAt(span.start);
  const e = li.positionAt(span.end);
  return { line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
}

const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function where(ctx: RenderContext, d: { file: string; span: Span }): string {
  if (!d.file) return "ztc";
  const r = range1(ctx, d.file, d.span);
  return `${ctx.displayPath(d.file)}:${r.line}:${r.column}`;
}

function codeFrame(ctx: RenderContext, d: Diagnostic, colorCode: string): string[] {
  const li = d.file ? ctx.lineIndex(d.file) : undefined;
  if (!li || li.text.length === 0) return [];
  const start = li.positionAt(d.span.start);
  const end = li.positionAt(d.span.end);
  const lineText = li.line(start.line);
  if (lineText.length > 400) return [];
  const num = String(start.line + 1);
  const gutter = " ".repeat(num.length);
  const width = end.line === start.line ? Math.max(1, end.character - start.character) : Math.max(1, lineText.length - start.character);
  const visible = lineText.replace(/\t/g, " ");
  return [
    `  ${gutter} ${paint(ctx.color, "34", "|")}`,
    `  ${paint(ctx.color, "34", num)} ${paint(ctx.color, "34", "|")} ${visible}`,
    `  ${gutter} ${paint(ctx.color, "34", "|")} ${" ".repeat(start.character)}${paint(ctx.color, colorCode, "^".repeat(width))}`,
  ];
}

export function renderText(ctx: RenderContext, diagnostics: readonly Diagnostic[]): string {
  const out: string[] = [];
  for (const d of diagnostics) {
    const colorCode = d.severity === "error" ? "1;31" : d.severity === "warning" ? "1;33" : "1;36";
    out.push(`${where(ctx, d)}: ${paint(ctx.color, colorCode, d.severity)} ${paint(ctx.color, "2", d.code)}: ${d.message}`);
    out.push(...codeFrame(ctx, d, colorCode));
    if (d.help) out.push(`  ${paint(ctx.color, "1", "= help:")} ${d.help}`);
    for (const f of d.fixes ?? []) out.push(`  ${paint(ctx.color, "1", "= fix:")} ${f.title}`);
    for (const r of d.related ?? []) out.push(`  ${paint(ctx.color, "1", "= note:")} ${where(ctx, r)}: ${r.message}`);
    out.push("");
  }
  return out.join("\n");
}

export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

export function renderJson(ctx: RenderContext, diagnostics: readonly Diagnostic[]): string {
  const loc = (file: string, span: Span) => ({ file, ...range1(ctx, file, span) });
  return (
    JSON.stringify(
      {
        version: 1,
        tool: { name: "ztc", version: ctx.version },
        summary: {
          errors: diagnostics.filter((d) => d.severity === "error").length,
          warnings: diagnostics.filter((d) => d.severity === "warning").length,
          ...(ctx.audit ? { audit: ctx.audit } : {}),
        },
        diagnostics: diagnostics.map((d) => ({
          code: d.code,
          severity: d.severity,
          message: d.message,
          ...loc(d.file, d.span),
          ...(d.help ? { help: d.help } : {}),
          ...(d.fixes ? { fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ ...loc(e.file, e.span), newText: e.newText })) })) } : {}),
          ...(d.related ? { related: d.related.map((r) => ({ ...loc(r.file, r.span), message: r.message })) } : {}),
        })),
      },
      null,
      2,
    ) + "\n"
  );
}

const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** GitHub Actions workflow commands: annotations on the pull request's diff. */
export function renderGithub(ctx: RenderContext, diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const level = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "notice";
      const props = [`title=${escapeProperty(`${d.code} ${entryForCode(d.code)?.title ?? ""}`.trim())}`];
      if (d.file) {
        const r = range1(ctx, d.file, d.span);
        props.unshift(`file=${escapeProperty(ctx.displayPath(d.file))}`, `line=${r.line}`, `col=${r.column}`, `endLine=${r.endLine}`, `endColumn=${r.endColumn}`);
      }
      const text = d.help ? `${d.message}\n${d.help}` : d.message;
      return `::${level} ${props.join(",")}::${escapeData(text)}\n`;
    })
    .join("");
}

/** SARIF 2.1.0 for code scanning dashboards. */
export function renderSarif(ctx: RenderContext, diagnostics: readonly Diagnostic[]): string {
  const level = (s: string) => (s === "error" ? "error" : s === "warning" ? "warning" : "note");
  const rules = catalogEntries().map((e) => ({
    id: e.code,
    name: e.title,
    shortDescription: { text: e.title.replace(/-/g, " ") },
    fullDescription: { text: e.docs.summary },
    helpUri: `https://ztc.dev/docs/diagnostics#${e.code.toLowerCase()}`,
    defaultConfiguration: { level: level(e.severity) },
  }));
  const region = (file: string, span: Span) => {
    const r = range1(ctx, file, span);
    return { startLine: r.line, startColumn: r.column, endLine: r.endLine, endColumn: r.endColumn };
  };
  const physical = (file: string, span: Span) => ({
    physicalLocation: { artifactLocation: { uri: file, uriBaseId: "PROJECTROOT" }, region: region(file, span) },
  });
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "ztc", version: ctx.version, informationUri: "https://ztc.dev", rules } },
        originalUriBaseIds: { PROJECTROOT: { uri: `file://${ctx.root.replace(/\/?$/, "/")}` } },
        results: diagnostics.map((d) => ({
          ruleId: d.code,
          ruleIndex: rules.findIndex((r) => r.id === d.code),
          level: level(d.severity),
          message: { text: d.help ? `${d.message} ${d.help}` : d.message },
          locations: d.file ? [physical(d.file, d.span)] : [],
          ...(d.related ? { relatedLocations: d.related.map((r, i) => ({ id: i, ...physical(r.file, r.span), message: { text: r.message } })) } : {}),
          ...(d.fixes
            ? {
                fixes: d.fixes.map((f) => ({
                  description: { text: f.title },
                  artifactChanges: f.edits.map((e) => ({
                    artifactLocation: { uri: e.file, uriBaseId: "PROJECTROOT" },
                    replacements: [{ deletedRegion: region(e.file, e.span), insertedContent: { text: e.newText } }],
                  })),
                })),
              }
            : {}),
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + "\n";
}

/** `ztc: not enforced: ...` for the text summary, or nothing when everything is enforced. */
export function auditLine(ctx: RenderContext): string {
  const a = ctx.audit;
  if (!a || (a.tenants.length === 0 && a.baselines.length === 0)) return "";
  const parts: string[] = [];
  if (a.tenants.length) parts.push(`tenant${a.tenants.length > 1 ? "s" : ""} ${a.tenants.join(", ")} in audit mode (default deny off)`);
  if (a.baselines.length) parts.push(`baseline${a.baselines.length > 1 ? "s" : ""} ${a.baselines.join(", ")} with staged default deny`);
  return `ztc: not enforced: ${parts.join("; ")}\n`;
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JUnit XML for `ztc check`: one test case per file, failed when the file has errors. */
export function renderJunitCheck(ctx: RenderContext, diagnostics: readonly Diagnostic[]): string {
  const files = [...new Set([...(ctx.files ?? []), ...diagnostics.map((d) => d.file).filter((f) => f !== "")])].sort();
  const failed = files.filter((f) => diagnostics.some((d) => d.file === f && d.severity === "error"));
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="ztc check" tests="${files.length}" failures="${failed.length}">`];
  lines.push(`  <testsuite name="ztc check" tests="${files.length}" failures="${failed.length}">`);
  for (const f of files) {
    const mine = diagnostics.filter((d) => d.file === f);
    const open = `    <testcase name="${xml(ctx.displayPath(f))}" classname="ztc.check" file="${xml(ctx.displayPath(f))}"`;
    if (mine.length === 0) {
      lines.push(`${open}/>`);
      continue;
    }
    const text = (d: Diagnostic) => {
      const r = range1(ctx, d.file, d.span);
      return `${ctx.displayPath(d.file)}:${r.line}:${r.column}: ${d.severity} ${d.code}: ${d.message}`;
    };
    const errors = mine.filter((d) => d.severity === "error");
    lines.push(`${open}>`);
    if (errors.length > 0) lines.push(`      <failure message="${xml(errors[0]!.message)}" type="${errors[0]!.code}">${xml(errors.map(text).join("\n"))}</failure>`);
    const warnings = mine.filter((d) => d.severity !== "error");
    if (warnings.length > 0) lines.push(`      <system-out>${xml(warnings.map(text).join("\n"))}</system-out>`);
    lines.push("    </testcase>");
  }
  const project = diagnostics.filter((d) => d.file === "");
  if (project.length > 0) lines.push(`    <testcase name="project" classname="ztc.check"><failure message="${xml(project[0]!.message)}">${xml(project.map((d) => `${d.code}: ${d.message}`).join("\n"))}</failure></testcase>`);
  lines.push("  </testsuite>", "</testsuites>");
  return lines.join("\n") + "\n";
}
