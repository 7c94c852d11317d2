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
import { PROJECT_FILE, loadProject } from "../project.js";
import { VERSION } from "../version.js";
import { renderGithub, renderJson, renderSarif, renderText, summaryLine, type RenderContext } from "./render.js";

export interface CliIo {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly stderrIsTTY: boolean;
}

const FORMATS = ["text", "json", "github", "sarif"] as const;
type Format = (typeof FORMATS)[number];

export const HELP = `ztc ${VERSION}: zero-trust network policy for Kubernetes and Cilium

Usage:
  ztc compile [DIR] [-o OUT | -o -]   type-check the policy repository in DIR and write
                                      CiliumNetworkPolicies (one file each + kustomization.yaml)
  ztc check [DIR] [-f FORMAT]         type-check only and report diagnostics
  ztc fmt [--check] [PATH...]         format .zt files canonically (default: the project's sources)
  ztc lsp --stdio                     the language server, for editors (see README, "Editors")
  ztc --help | --version

DIR is a folder with a ztc.yaml (or below one); default: the current folder.

Options:
  -o, --output PATH    output folder (default: 'output' in ztc.yaml); '-' writes one YAML stream to stdout
  -f, --format FORMAT  diagnostics as text (default), json, github (workflow annotations) or sarif
      --today DATE     check approval expiry as of DATE (YYYY-MM-DD, UTC); also ZTC_TODAY
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

function renderContext(io: CliIo, program: Program | undefined, root: string, color: boolean): RenderContext {
  return {
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
    case "text":
      if (shown.length > 0) io.stderr(renderText(ctx, shown));
  }
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // The language server takes the transport options of vscode-languageserver (--stdio, --node-ipc,
  // --socket=N, --clientProcessId=N), which it reads from process.argv itself. It is loaded only
  // here, so the other commands do not pay for it at start-up.
  if (argv[0] === "lsp") {
    if (!argv.slice(1).some((a) => /^--(stdio|node-ipc|socket=|pipe=)/.test(a))) {
      io.stderr("ztc lsp: choose a transport: ztc lsp --stdio\n");
      return 2;
    }
    const { startLanguageServer } = await import("../../lsp/server.js");
    startLanguageServer();
    // The server runs until the client says exit (vscode-languageserver then ends the process).
    return new Promise<number>(() => undefined);
  }
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
    if (!FORMATS.includes(fmt)) throw new UsageError(`unknown format '${values.format}' (use ${FORMATS.join(", ")})`);
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
      io.stderr(`ztc: checked ${program.units.length} file${program.units.length === 1 ? "" : "s"} (${tenants.size} tenant${tenants.size === 1 ? "" : "s"}): ${summaryLine(diagnostics)} in ${Date.now() - started} ms\n`);
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
    io.stderr(
      `ztc: ${result.policies.length} policies for ${tenants.size} tenant${tenants.size === 1 ? "" : "s"} -> ${label}/ ` +
        `(${s.written} written, ${s.unchanged} unchanged, ${s.removed} removed); ${summaryLine(all)} in ${Date.now() - started} ms\n`,
    );
  }
  return 0;
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
