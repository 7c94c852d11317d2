/**
 * The `ztc` command line. I/O happens here and in the node host; everything else is the same
 * Program the language server uses. Exit codes: 0 success, 1 the input has errors, 2 usage or I/O.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { parseArgs } from "node:util";
import { isEnvironmentProblem, diag, LineIndex, type Diagnostic } from "../../language/index.js";
import { format } from "../../language/format.js";
import { isValidDate } from "../registry.js";
import { createNodeHost, decodeText } from "../host.js";
import { createNodeOutputFs, planOutput, renderStream, writeOutput } from "../output.js";
import { createProgram, discoverSources, type Program } from "../program.js";
import { diffSnapshots, renderDiffMarkdown, renderDiffText, snapshotFromPolicies, snapshotFromProgram, type Snapshot } from "../diff.js";
import type { Manifest } from "../emit.js";
import { createGitHost, GitError } from "../git-host.js";
import { parseAllDocuments } from "yaml";
import { PROJECT_FILE, loadProject } from "../project.js";
import { VERSION } from "../version.js";
import { explain, explainContext, explanationJson, renderExplanation } from "../explain.js";
import { renderJunit, runTests } from "../tests.js";
import { auditLine, renderGithub, renderJunitCheck, renderJson, renderSarif, renderText, summaryLine, type RenderContext } from "./render.js";

export interface CliIo {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly stderrIsTTY: boolean;
  /** Standard input, read whole (`ztc explain -`); default: file descriptor 0. */
  readonly readStdin?: (() => string) | undefined;
}

const FORMATS = ["text", "json", "github", "sarif", "markdown", "junit"] as const;
type Format = (typeof FORMATS)[number];

export const HELP = `ztc ${VERSION}: zero-trust network policy for Kubernetes and Cilium

Usage:
  ztc compile [DIR] [-o OUT | -o -]   type-check the policy repository in DIR and write
                                      CiliumNetworkPolicies (one file each + kustomization.yaml)
  ztc check [DIR] [-f FORMAT]         type-check only and report diagnostics
  ztc fmt [--check] [PATH...]         format .zt files canonically (default: the project's sources)
  ztc diff BASE [DIR] [-f FORMAT]     blast radius: what changes against BASE (a git ref, or a folder of
                                      compiled policies): policies, tenants, namespaces, changed inputs
  ztc test [DIR] [-f FORMAT]          run the expect statements against the compiled policies, and check
                                      the invariants (cross-tenant rules matched, no unreachable rule)
  ztc explain FLOW [DIR] [-f json]    the verdict for one flow under DIR's compiled policies, the
                                      rules behind it (.zt file:line), and for a drop the missing rule
                                      FLOW: 'payments/api -> api.stripe.com:443' (see docs/evaluator.md),
                                      a Hubble JSON line, or '-' for Hubble JSON lines on stdin
  ztc lsp --stdio                     the language server, for editors (see README, "Editors")
  ztc --help | --version

DIR is a folder with a ztc.yaml (or below one); default: the current folder.

Options:
  -o, --output PATH    output folder (default: 'output' in ztc.yaml); '-' writes one YAML stream to stdout
  -f, --format FORMAT  diagnostics as text (default), json, github (workflow annotations), sarif or junit;
                       for diff: text (default), markdown (a pull-request comment) or json
      --today DATE     check approval expiry as of DATE (YYYY-MM-DD, UTC); also ZTC_TODAY
      --no-invariants  for test: only the expect statements, not the invariants
      --check          fmt: change nothing, exit 1 if a file is not formatted
  -q, --quiet          print errors only
      --no-color       no colours (also NO_COLOR=1)
  -h, --help           this help
  -v, --version        the version

Exit codes: 0 success, 1 the input has errors, 2 usage or I/O problems.
Diagnostics reference: docs/diagnostics.md
`;

class UsageError extends Error {}

/** Finds the folder holding ztc.yaml, from `start` upwards. */
export function findProjectRoot(start: string): string | undefined {
  let dir = nodePath.resolve(start);
  try {
    if (fs.statSync(dir).isFile()) dir = nodePath.dirname(dir);
  } catch {
    return undefined;
  }
  for (;;) {
    if (fs.existsSync(nodePath.join(dir, PROJECT_FILE))) return dir;
    const parent = nodePath.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function exitCodeFor(diagnostics: readonly Diagnostic[]): number {
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) return 0;
  return errors.some((d) => isEnvironmentProblem(d)) ? 2 : 1;
}

/** Tenants in audit mode and baselines whose default deny is staged, from a checked program. */
function auditSummary(program: Program | undefined): RenderContext["audit"] {
  const bound = program?.getCheck()?.bound;
  if (!bound) return undefined;
  const tenants = [...bound.settings].filter(([, s]) => s.mode === "audit").map(([t]) => t).sort();
  const baselines = bound.baselines.filter((b) => b.audit || b.stagedDefaultDeny.size > 0).map((b) => b.name).sort();
  return { tenants, baselines };
}

function renderContext(io: CliIo, program: Program | undefined, root: string, color: boolean): RenderContext {
  const config = program?.config;
  return {
    files: program
      ? [...program.units.map((u) => u.path).filter((p) => !p.startsWith("stdlib:")), ...(config ? [PROJECT_FILE, config.tenantsPath, config.approvalsPath] : [])]
      : undefined,
    audit: auditSummary(program),
    lineIndex: (f) => program?.lineIndex(f),
    displayPath: (f) => {
      const rel = nodePath.relative(io.cwd, nodePath.join(root, f)) || f;
      return rel.split(nodePath.sep).join("/");
    },
    color,
    version: VERSION,
    root,
  };
}

function report(io: CliIo, ctx: RenderContext, diagnostics: readonly Diagnostic[], fmt: Format, quiet: boolean): void {
  const shown = quiet ? diagnostics.filter((d) => d.severity === "error") : diagnostics;
  switch (fmt) {
    case "json":
      io.stdout(renderJson(ctx, shown));
      return;
    case "sarif":
      io.stdout(renderSarif(ctx, shown));
      return;
    case "github":
      io.stdout(renderGithub(ctx, shown));
      return;
    case "junit":
      io.stdout(renderJunitCheck(ctx, shown));
      return;
    case "text":
      if (shown.length > 0) io.stderr(renderText(ctx, shown));
  }
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // The language server is loaded only here, so the other commands do not pay for it at start-up.
  if (argv[0] === "lsp") return (await import("./lsp-command.js")).lspCommand(argv, io);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: "string", short: "o" },
        format: { type: "string", short: "f" },
        today: { type: "string" },
        check: { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        "no-color": { type: "boolean" },
        "no-invariants": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (e) {
    io.stderr(`ztc: ${(e as Error).message}\nRun 'ztc --help' for usage.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout(`ztc ${VERSION}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === "help") {
    io.stdout(HELP);
    return 0;
  }
  if (!command) {
    io.stderr(HELP);
    return 2;
  }
  const color = io.stderrIsTTY && !values["no-color"] && !io.env["NO_COLOR"];
  try {
    const fmt = (values.format ?? "text") as Format;
    if (!FORMATS.includes(fmt) || (fmt === "markdown" && command !== "diff") || (fmt === "junit" && command !== "test" && command !== "check"))
      throw new UsageError(`unknown format '${values.format}' (use ${FORMATS.filter((f) => f !== "markdown" && f !== "junit").join(", ")}; diff also takes markdown, check and test junit)`);
    const today = values.today ?? io.env["ZTC_TODAY"];
    if (today !== undefined && !isValidDate(today)) throw new UsageError(`--today must be a date written YYYY-MM-DD, not '${today}'`);
    const quiet = values.quiet === true;
    switch (command) {
      case "compile":
      case "check": {
        if (rest.length > 1) throw new UsageError(`${command} takes one project folder, got ${rest.length}`);
        if (command === "check" && values.output !== undefined) throw new UsageError("check writes nothing; use compile -o");
        return runCompile(io, command, rest[0] ?? ".", { fmt, today, quiet, color, output: values.output });
      }
      case "fmt":
        return runFmt(io, rest, { check: values.check === true, color, quiet });
      case "diff": {
        if (rest.length < 1 || rest.length > 2) throw new UsageError("diff takes BASE (a git ref or a folder of compiled policies) and optionally the project folder");
        if (fmt === "github" || fmt === "sarif") throw new UsageError("diff writes text, markdown or json");
        return runDiff(io, rest[0]!, rest[1] ?? ".", { fmt, today, color });
      }
      case "test": {
        if (rest.length > 1) throw new UsageError(`test takes one project folder, got ${rest.length}`);
        if (fmt === "markdown") throw new UsageError("test writes text, json, junit, github or sarif");
        return runTest(io, rest[0] ?? ".", { fmt, today, quiet, color, invariants: values["no-invariants"] !== true });
      }
      case "explain": {
        if (rest.length < 1 || rest.length > 2) throw new UsageError("explain takes a flow and optionally a project folder: ztc explain 'payments/api -> api.stripe.com:443' [DIR]");
        if (fmt !== "text" && fmt !== "json") throw new UsageError("explain prints text or json");
        return runExplain(io, rest[0]!, rest[1] ?? ".", { fmt, today, color });
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`ztc: ${e.message}\nRun 'ztc --help' for usage.\n`);
      return 2;
    }
    // Never a stack trace for the user: an unexpected exception is a ztc bug, reported as one.
    const d = diag("internalError", { file: "", span: { start: 0, end: 0 } }, { message: (e as Error)?.message ?? String(e) });
    io.stderr(`ztc: ${d.message}\n${d.help}\n`);
    if (io.env["ZTC_DEBUG"]) io.stderr(`${(e as Error)?.stack ?? ""}\n`);
    return 1;
  }
}

interface CompileOptions {
  fmt: Format;
  today: string | undefined;
  quiet: boolean;
  color: boolean;
  output: string | undefined;
}

function runCompile(io: CliIo, command: "compile" | "check", dir: string, o: CompileOptions): number {
  const started = Date.now();
  const start = nodePath.resolve(io.cwd, dir);
  const root = findProjectRoot(start);
  if (!root) {
    const d = diag("projectNotFound", { file: "", span: { start: 0, end: 0 } }, { path: dir });
    report(io, renderContext(io, undefined, io.cwd, o.color), [d], o.fmt, false);
    if (o.fmt === "text") io.stderr(`  = help: ${d.help}\n`);
    return 2;
  }
  const host = createNodeHost(root);
  const program = createProgram(host, { today: o.today });
  const ctx = renderContext(io, program, root, o.color);
  if (command === "check") {
    const diagnostics = program.getDiagnostics();
    report(io, ctx, diagnostics, o.fmt, o.quiet);
    if (o.fmt === "text" && !o.quiet) {
      const tenants = new Set(program.getCheck()?.bound.blocks.map((b) => b.tenant.name) ?? []);
      const files = program.units.filter((u) => !u.path.startsWith("stdlib:")).length;
      const stdlib = program.units.length - files;
      io.stderr(
        `ztc: checked ${files} file${files === 1 ? "" : "s"}${stdlib ? ` and ${stdlib} stdlib module${stdlib === 1 ? "" : "s"}` : ""} (${tenants.size} tenant${tenants.size === 1 ? "" : "s"}): ${summaryLine(diagnostics)} in ${Date.now() - started} ms\n`,
      );
      io.stderr(auditLine(ctx));
    }
    return exitCodeFor(diagnostics);
  }

  const result = program.emit();
  if (!result.ok) {
    report(io, ctx, result.diagnostics, o.fmt, o.quiet);
    if (o.fmt === "text") io.stderr(`ztc: nothing written: ${summaryLine(result.diagnostics)}\n`);
    return Math.max(1, exitCodeFor(result.diagnostics));
  }
  const config = program.config!;
  if (o.output === "-") {
    report(io, ctx, result.diagnostics, o.fmt === "text" ? "text" : o.fmt, o.quiet);
    io.stdout(renderStream(result.policies));
    return 0;
  }
  // An output folder from ztc.yaml must stay in the project; one given on the command line is the user's choice.
  let absOut: string;
  if (o.output !== undefined) absOut = nodePath.resolve(io.cwd, o.output);
  else {
    absOut = nodePath.join(root, config.output);
    let probe = absOut;
    while (!fs.existsSync(probe)) probe = nodePath.dirname(probe);
    const real = fs.realpathSync(probe);
    if (real !== root && !real.startsWith(root + nodePath.sep)) {
      const d = diag("pathOutsideProject", { file: PROJECT_FILE, span: program.project.source?.locate(["output"]) ?? { start: 0, end: 0 } }, { path: config.output, what: "output folder" });
      report(io, ctx, [d], o.fmt, false);
      return 1;
    }
  }
  const label = nodePath.relative(io.cwd, absOut) || ".";
  let written;
  try {
    fs.mkdirSync(absOut, { recursive: true });
    written = writeOutput(createNodeOutputFs(absOut), "", label, planOutput(result.policies));
  } catch (e) {
    written = { diagnostics: [diag("outputWriteFailed", { file: "", span: { start: 0, end: 0 } }, { path: label, reason: (e as Error).message })] };
  }
  const all = [...result.diagnostics, ...written.diagnostics];
  report(io, ctx, all, o.fmt, o.quiet);
  if (!written.summary) {
    if (o.fmt === "text") io.stderr(`ztc: nothing written: ${summaryLine(all)}\n`);
    return 2;
  }
  if (o.fmt === "text" && !o.quiet) {
    const s = written.summary;
    const tenants = new Set(result.policies.map((p) => p.tenant).filter(Boolean));
    const namespaced = result.policies.filter((p) => p.manifest.kind === "CiliumNetworkPolicy").length;
    const clusterwide = result.policies.length - namespaced;
    io.stderr(
      `ztc: ${namespaced} ${namespaced === 1 ? "policy" : "policies"} for ${tenants.size} tenant${tenants.size === 1 ? "" : "s"}` +
        `${clusterwide > 0 ? `, ${clusterwide} cluster-wide` : ""} -> ${label}/ ` +
        `(${s.written} written, ${s.unchanged} unchanged, ${s.removed} removed); ${summaryLine(all)} in ${Date.now() - started} ms\n`,
    );
    io.stderr(auditLine(ctx));
  }
  return 0;
}

/** Reads the CiliumNetworkPolicies of a folder of YAML files (a previous `ztc compile` output). */
function readPolicyFolder(dir: string): Manifest[] {
  const out: Manifest[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = nodePath.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name))
        for (const doc of parseAllDocuments(fs.readFileSync(p, "utf8"))) {
          const v = (doc as { toJS(): unknown }).toJS() as Manifest | null;
          if (v && (v.kind === "CiliumNetworkPolicy" || v.kind === "CiliumClusterwideNetworkPolicy")) out.push(v);
        }
    }
  };
  walk(dir);
  return out;
}

function runDiff(io: CliIo, base: string, dir: string, o: { fmt: Format; today: string | undefined; color: boolean }): number {
  const root = findProjectRoot(nodePath.resolve(io.cwd, dir));
  if (!root) {
    io.stderr(`ztc: error ZT5014: no ztc.yaml found in ${dir} or its parent folders\n`);
    return 2;
  }
  const head = createProgram(createNodeHost(root), { today: o.today });
  const headResult = head.emit();
  if (!headResult.ok) {
    report(io, renderContext(io, head, root, o.color), headResult.diagnostics.filter((d) => d.severity === "error"), "text", false);
    io.stderr("ztc: the working tree does not compile; fix it before diffing\n");
    return 1;
  }
  let baseSnapshot: Snapshot;
  const basePath = nodePath.resolve(io.cwd, base);
  if (fs.existsSync(basePath) && fs.statSync(basePath).isDirectory()) {
    baseSnapshot = { policies: snapshotFromPolicies(readPolicyFolder(basePath)) };
  } else {
    let baseProgram: Program;
    try {
      baseProgram = createProgram(createGitHost(root, base), { today: o.today });
    } catch (e) {
      io.stderr(`ztc: cannot read ${base}: ${e instanceof GitError ? e.message : (e as Error).message}\n  = help: BASE is a git revision (main, HEAD~1, a commit) or a folder with compiled policies\n`);
      return 2;
    }
    if (!baseProgram.emit().ok) {
      const errors = baseProgram.emit().diagnostics.filter((d) => d.severity === "error").length;
      io.stderr(`ztc: ${base} does not compile (${errors} error${errors === 1 ? "" : "s"}); compare against a revision that does\n`);
      return 1;
    }
    baseSnapshot = snapshotFromProgram(baseProgram);
  }
  const result = diffSnapshots(baseSnapshot, snapshotFromProgram(head), head.registries?.tenants);
  const label = base;
  if (o.fmt === "json") io.stdout(JSON.stringify({ base: label, ...result }, null, 2) + "\n");
  else if (o.fmt === "markdown") io.stdout(renderDiffMarkdown(result, label));
  else io.stdout(renderDiffText(result, label, true));
  return 0;
}

/** The project of DIR, or undefined after reporting that there is none (exit 2). */
function openProject(io: CliIo, dir: string, today: string | undefined): { root: string; program: Program } | undefined {
  const root = findProjectRoot(nodePath.resolve(io.cwd, dir));
  if (!root) {
    const d = diag("projectNotFound", { file: "", span: { start: 0, end: 0 } }, { path: dir });
    io.stderr(`ztc: ${d.message}\n  = help: ${d.help}\n`);
    return undefined;
  }
  return { root, program: createProgram(createNodeHost(root), { today }) };
}

function runTest(io: CliIo, dir: string, o: { fmt: Format; today: string | undefined; quiet: boolean; color: boolean; invariants: boolean }): number {
  const started = Date.now();
  const opened = openProject(io, dir, o.today);
  if (!opened) return 2;
  const { root, program } = opened;
  const ctx = renderContext(io, program, root, o.color);
  const results = runTests(program, { invariants: o.invariants });
  if (!results) {
    const diagnostics = program.emit().diagnostics.filter((d) => d.severity === "error");
    report(io, ctx, diagnostics, o.fmt === "junit" ? "text" : o.fmt, false);
    io.stderr(`ztc: cannot test: the project does not compile (${summaryLine(diagnostics)})\n`);
    return 1;
  }
  if (o.fmt === "junit") io.stdout(renderJunit(results, (f) => ctx.displayPath(f)));
  else report(io, ctx, results.diagnostics, o.fmt, o.quiet);
  const failed = results.cases.filter((c) => !c.passed && c.diagnostic?.severity === "error");
  if (o.fmt === "text" && !o.quiet) {
    const count = (kind: string) => results.cases.filter((c) => c.kind === kind);
    const expectations = count("expect");
    const line = (label: string, cases: readonly { passed: boolean }[]) => `${label} ${cases.length - cases.filter((c) => !c.passed).length}/${cases.length}`;
    io.stderr(
      `ztc test: ${line("expectations", expectations)}` +
        (o.invariants ? `, ${line("cross-tenant rules matched", count("cross-tenant"))}, ${line("rules reachable", count("reachable"))}` : "") +
        `; ${failed.length === 0 ? "passed" : `${failed.length} failed`} in ${Date.now() - started} ms\n`,
    );
  }
  return failed.length > 0 ? 1 : 0;
}

function runExplain(io: CliIo, flowArg: string, dir: string, o: { fmt: "text" | "json"; today: string | undefined; color: boolean }): number {
  const opened = openProject(io, dir, o.today);
  if (!opened) return 2;
  const { root, program } = opened;
  const ctx = explainContext(program);
  if (!ctx) {
    const diagnostics = program.emit().diagnostics;
    report(io, renderContext(io, program, root, o.color), diagnostics.filter((d) => d.severity === "error"), "text", false);
    io.stderr(`ztc: cannot explain: the project does not compile (${summaryLine(diagnostics)})\n`);
    return 1;
  }
  // '-': Hubble JSON lines on stdin (hubble observe -o json | ztc explain -); lines that are not flows are skipped.
  const inputs = flowArg === "-" ? (io.readStdin ?? (() => fs.readFileSync(0, "utf8")))().split("\n").filter((l) => l.trim() !== "") : [flowArg];
  const results = [];
  let failed = 0;
  for (const input of inputs) {
    const r = explain(input, ctx);
    if (!r.ok) {
      if (flowArg === "-" && r.skipped) continue;
      io.stderr(`ztc: ${r.error}\n`);
      failed++;
      continue;
    }
    if (o.fmt === "json") results.push(explanationJson(r.explanation));
    else io.stdout((results.length > 0 ? "\n" : "") + renderExplanation(r.explanation)), results.push(null);
  }
  if (o.fmt === "json") io.stdout(JSON.stringify(flowArg === "-" ? results : (results[0] ?? null), null, 2) + "\n");
  return failed > 0 && results.length === 0 ? 2 : 0;
}

/** .zt files under a folder (skipping VCS and dependency folders). */
function ztFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== ".git" && e.name !== "node_modules") walk(nodePath.join(d, e.name));
      } else if (e.isFile() && e.name.endsWith(".zt")) out.push(nodePath.join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

function runFmt(io: CliIo, paths: readonly string[], o: { check: boolean; color: boolean; quiet: boolean }): number {
  let files: string[] = [];
  if (paths.length === 0) {
    const root = findProjectRoot(io.cwd);
    if (root) {
      const host = createNodeHost(root);
      const project = loadProject(host);
      files = project.config ? discoverSources(host, project.config).map((f) => nodePath.join(root, f)) : ztFilesUnder(root);
    } else files = ztFilesUnder(io.cwd);
  } else {
    for (const p of paths) {
      const abs = nodePath.resolve(io.cwd, p);
      let st: fs.Stats;
      try {
        st = fs.statSync(abs);
      } catch {
        io.stderr(`ztc: ${p}: no such file or folder\n`);
        return 2;
      }
      files.push(...(st.isDirectory() ? ztFilesUnder(abs) : [abs]));
    }
  }
  let failed = 0;
  let unformatted = 0;
  let changed = 0;
  for (const abs of files) {
    const shown = nodePath.relative(io.cwd, abs).split(nodePath.sep).join("/") || abs;
    const decoded = decodeText(fs.readFileSync(abs));
    if (!("text" in decoded)) {
      io.stderr(`${shown}: error ZT1005: this file is not UTF-8 text (${decoded.reason})\n`);
      failed++;
      continue;
    }
    const original = decoded.text;
    const result = format(original.replace(/\r\n/g, "\n"), shown);
    if (!result.ok) {
      const lines = new LineIndex(original.replace(/\r\n/g, "\n"));
      io.stderr(
        renderText(
          { lineIndex: () => lines, displayPath: () => shown, color: o.color, version: VERSION, root: io.cwd },
          result.diagnostics.filter((d) => d.severity === "error"),
        ),
      );
      failed++;
      continue;
    }
    const crlf = original.includes("\r\n");
    const text = crlf ? result.text.replace(/\n/g, "\r\n") : result.text;
    if (text === original) continue;
    if (o.check) {
      io.stdout(`${shown}: not formatted\n`);
      unformatted++;
      continue;
    }
    const raw = fs.readFileSync(abs);
    const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? "\ufeff" : "";
    const tmp = `${abs}.ztc-tmp-${process.pid}`;
    fs.writeFileSync(tmp, bom + text);
    fs.renameSync(tmp, abs);
    changed++;
    if (!o.quiet) io.stderr(`formatted ${shown}\n`);
  }
  if (failed > 0) return 1;
  if (o.check && unformatted > 0) {
    io.stderr(`ztc: ${unformatted} file${unformatted === 1 ? " is" : "s are"} not formatted; run 'ztc fmt'\n`);
    return 1;
  }
  if (!o.quiet && !o.check) io.stderr(`ztc: ${files.length} file${files.length === 1 ? "" : "s"} checked, ${changed} reformatted\n`);
  return 0;
}
