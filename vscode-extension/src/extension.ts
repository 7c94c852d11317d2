/**
 * The ztc VS Code extension: a language client for the bundled ztc language server, plus the
 * commands, status bar, compiled-YAML view and tasks around it. No analysis happens here: the
 * language server answers everything, the ztc command line compiles.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

const COMPILED_SCHEME = "ztc-compiled";
/** Read-only documents with `ztc explain`'s answers. */
const EXPLAIN_SCHEME = "ztc-explain";
/** The language server's command for `ztc explain` (code lenses on expect statements run it). */
const EXPLAIN_COMMAND = "ztc.explain";
/** The language server's code action kind for "request approval" (lsp/convert.ts). */
const REQUEST_APPROVAL_KIND = vscode.CodeActionKind.QuickFix.append("ztc").append("requestApproval");

let client: LanguageClient | undefined;
/** The language server's log. */
let serverLog: vscode.LogOutputChannel;
/** "ztc: Compile workspace" results, with clickable locations. */
let output: vscode.OutputChannel;
let status: vscode.StatusBarItem;
const compiledChanged = new vscode.EventEmitter<vscode.Uri>();
const openCompiled = new Set<string>();

function setting<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration("ztc").get<T>(key) ?? fallback;
}

function firstFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The configured ztc executable, if any (absolute, or relative to the first workspace folder). */
function configuredBinary(): string | undefined {
  const p = setting("path", "").trim();
  if (!p) return undefined;
  return path.isAbsolute(p) || !firstFolder() ? p : path.join(firstFolder()!, p);
}

function serverOptions(context: vscode.ExtensionContext): ServerOptions {
  const binary = configuredBinary();
  if (binary) return { command: binary, args: ["lsp", "--stdio"], transport: TransportKind.stdio };
  const module = context.asAbsolutePath(path.join("out", "server.cjs"));
  return {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--inspect=6019"] } },
  };
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const projectFile = setting("projectFile", "").trim();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "zt" }, { scheme: "untitled", language: "zt" }],
    outputChannel: serverLog,
    initializationOptions: {
      projectChangedNotifications: true,
      projectFiles: projectFile ? [path.isAbsolute(projectFile) || !firstFolder() ? projectFile : path.join(firstFolder()!, projectFile)] : [],
    },
  };
  clientOptions.middleware = {
    // The server answers `ztc.explain` (a code lens click, or any caller); the answer is shown here.
    executeCommand: async (command, args, next) => {
      const result = await next(command, args);
      if (command === EXPLAIN_COMMAND) await showExplanation(result as ExplainResponse | null, (args[0] as { uri?: string } | undefined)?.uri);
      return result;
    },
  };
  client = new LanguageClient("ztc", "ztc language server", serverOptions(context), clientOptions);
  client.onDidChangeState((e) => updateStatus(e.newState));
  await client.start();
  // The server says when a project's snapshot changed: live views refresh.
  client.onNotification("ztc/projectChanged", () => {
    for (const u of openCompiled) compiledChanged.fire(vscode.Uri.parse(u));
  });
}

function updateStatus(state?: State): void {
  const running = (state ?? (client?.state as State | undefined)) === State.Running;
  let errors = 0;
  let warnings = 0;
  for (const [, diags] of vscode.languages.getDiagnostics())
    for (const d of diags) {
      if (d.source !== "ztc") continue;
      if (d.severity === vscode.DiagnosticSeverity.Error) errors++;
      else if (d.severity === vscode.DiagnosticSeverity.Warning) warnings++;
    }
  status.text = `$(shield) ztc $(error) ${errors} $(warning) ${warnings}`;
  status.tooltip = running ? "ztc language server running. Click to show the problems." : "ztc language server is not running. Click to show the problems.";
  status.backgroundColor = running ? undefined : new vscode.ThemeColor("statusBarItem.warningBackground");
  status.show();
}

/** The URI of the compiled-YAML view of a .zt document. */
function compiledUri(source: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: COMPILED_SCHEME, path: `${source.path}.yaml`, query: source.toString() });
}

interface CompiledYaml {
  yaml: string;
  tenants: string[];
  errors: number;
  message?: string;
}

class CompiledYamlProvider implements vscode.TextDocumentContentProvider {
  readonly onDidChange = compiledChanged.event;
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    if (!client) return "# the ztc language server is not running\n";
    const source = uri.query;
    const r = await client.sendRequest<CompiledYaml>("ztc/compiledYaml", { uri: source });
    const name = vscode.Uri.parse(source).path.split("/").pop();
    if (r.message) return `# ${name}: ${r.message}\n`;
    const head = [
      `# Cilium policies of tenant${r.tenants.length === 1 ? "" : "s"} ${r.tenants.join(", ") || "(none)"}, as ztc compiles them (live; read-only).`,
      r.errors > 0 ? `# ${r.errors} error${r.errors === 1 ? "" : "s"} in their files: the rules with errors are left out until fixed.` : undefined,
    ].filter(Boolean);
    return `${head.join("\n")}\n${r.yaml}`;
  }
}

async function showCompiledYaml(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "zt") {
    void vscode.window.showInformationMessage("ztc: open a .zt file to see what it compiles to.");
    return;
  }
  const uri = compiledUri(editor.document.uri);
  openCompiled.add(uri.toString());
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(doc, "yaml");
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
}

/** The language server's "request approval" code action at the cursor, applied. */
async function requestApproval(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "zt") return;
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", editor.document.uri, editor.selection, REQUEST_APPROVAL_KIND.value)) ?? [];
  const candidates = actions.filter((a) => a.kind && REQUEST_APPROVAL_KIND.contains(a.kind));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage("ztc: no unapproved destination at the cursor. Put the cursor on a host or CIDR that ztc reports as unapproved (ZT3001).");
    return;
  }
  const pick = candidates.length === 1 ? candidates[0] : (await vscode.window.showQuickPick(candidates.map((a) => ({ label: a.title, action: a }))))?.action;
  if (!pick?.edit) return;
  if (!(await vscode.workspace.applyEdit(pick.edit))) {
    void vscode.window.showErrorMessage("ztc: the approval registry could not be edited.");
    return;
  }
  if (pick.command) await vscode.commands.executeCommand(pick.command.command, ...(pick.command.arguments ?? []));
}

/** The answer of `ztc/explain` and of the `ztc.explain` command (lsp/handlers.ts). */
interface ExplainResponse {
  ok: boolean;
  error?: string;
  input?: string;
  text?: string;
  rules?: { file?: string; line?: number; location?: { uri: string; range: vscode.Range } }[];
}

/** Explanations by document URI, with where their `file:line` references point. */
const explanations = new Map<string, { text: string; links: Map<string, { uri: string; line: number }> }>();
let explainCount = 0;

class ExplanationProvider implements vscode.TextDocumentContentProvider, vscode.DocumentLinkProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    return explanations.get(uri.toString())?.text ?? "# this explanation is no longer available\n";
  }
  /** `tenants/payments/policy.zt:11` in the text: a link to that line. */
  provideDocumentLinks(doc: vscode.TextDocument): vscode.DocumentLink[] {
    const e = explanations.get(doc.uri.toString());
    if (!e) return [];
    const out: vscode.DocumentLink[] = [];
    for (let line = 0; line < doc.lineCount; line++) {
      for (const m of doc.lineAt(line).text.matchAll(/([\w./@-]+\.zt):(\d+)/g)) {
        const target = e.links.get(`${m[1]}:${m[2]}`);
        if (!target) continue;
        const range = new vscode.Range(line, m.index, line, m.index + m[0].length);
        out.push(new vscode.DocumentLink(range, vscode.Uri.parse(target.uri).with({ fragment: `L${target.line + 1}` })));
      }
    }
    return out;
  }
}

/** Shows an explanation in a read-only document beside the editor. */
async function showExplanation(r: ExplainResponse | null, source?: string): Promise<void> {
  if (!r) return;
  if (!r.ok) {
    void vscode.window.showWarningMessage(`ztc explain: ${r.error ?? "no answer"}`);
    return;
  }
  const links = new Map<string, { uri: string; line: number }>();
  for (const rule of r.rules ?? []) if (rule.file && rule.line && rule.location) links.set(`${rule.file}:${rule.line}`, { uri: rule.location.uri, line: rule.location.range.start.line });
  const name = source ? vscode.Uri.parse(source).path.split("/").pop() : undefined;
  const text = `# ztc explain ${JSON.stringify(r.input ?? "")}${name ? ` (from ${name})` : ""}\n\n${r.text ?? ""}`;
  const uri = vscode.Uri.from({ scheme: EXPLAIN_SCHEME, path: `/explain-${++explainCount}.txt` });
  explanations.set(uri.toString(), { text, links });
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: false });
}

let lastFlow = "";

/** ztc: Explain flow…: a flow typed in, or with none, the expect statement or rule at the cursor. */
async function explainFlow(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "zt") {
    void vscode.window.showInformationMessage("ztc: open a .zt file of the project to explain a flow under its policies.");
    return;
  }
  if (!client) return;
  const flow = await vscode.window.showInputBox({
    title: "ztc: Explain flow",
    prompt: "A flow (SOURCE -> DESTINATION[:PORT] [http METHOD PATH] [dns NAME]) or a Hubble JSON line. Leave it empty to explain the expect statement or rule at the cursor.",
    placeHolder: "payments/api -> api.stripe.com:443",
    value: lastFlow,
  });
  if (flow === undefined) return;
  lastFlow = flow;
  const uri = editor.document.uri.toString();
  const position = client.code2ProtocolConverter.asPosition(editor.selection.active);
  const r = await client.sendRequest<ExplainResponse>("ztc/explain", { uri, flow: flow.trim() === "" ? undefined : flow, position });
  await showExplanation(r, uri);
}

/** The ztc command line: the configured binary, or the bundled one run by VS Code's Node. */
function cliCommand(context: vscode.ExtensionContext, args: string[]): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const binary = configuredBinary();
  if (binary) return { command: binary, args, env: process.env };
  return { command: process.execPath, args: [context.asAbsolutePath(path.join("out", "ztc.cjs")), ...args], env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } };
}

interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: string;
  code: string;
  message: string;
  help?: string;
}

/** Every folder of the workspace with a ztc.yaml (a few levels deep). */
async function projectRoots(): Promise<string[]> {
  const files = await vscode.workspace.findFiles("**/ztc.yaml", "**/{node_modules,.git,out}/**", 50);
  return [...new Set(files.map((f) => path.dirname(f.fsPath)))].sort();
}

/** ztc: Compile workspace: `ztc compile` per project, diagnostics as clickable lines in Output. */
async function compileWorkspace(context: vscode.ExtensionContext): Promise<void> {
  await vscode.workspace.saveAll(false);
  const roots = await projectRoots();
  output.show(true);
  if (roots.length === 0) {
    output.appendLine("ztc: no ztc.yaml in this workspace.");
    return;
  }
  for (const root of roots) {
    output.appendLine(`\n$ ztc compile ${root}`);
    const { command, args, env } = cliCommand(context, ["compile", root, "--format", "json"]);
    const started = Date.now();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(command, args, { cwd: root, env });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      p.on("error", (e) => resolve({ code: -1, stdout, stderr: String(e) }));
      p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    let diagnostics: JsonDiagnostic[] = [];
    try {
      diagnostics = (JSON.parse(result.stdout) as { diagnostics: JsonDiagnostic[] }).diagnostics;
    } catch {
      if (result.stdout.trim()) output.appendLine(result.stdout.trim());
    }
    for (const d of diagnostics) {
      // Absolute paths with line and column: the Output view makes them links.
      const file = d.file ? path.join(root, d.file) : path.join(root, "ztc.yaml");
      output.appendLine(`${file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`);
      if (d.help) output.appendLine(`    help: ${d.help}`);
    }
    if (result.stderr.trim()) output.appendLine(result.stderr.trim());
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    const warnings = diagnostics.filter((d) => d.severity === "warning").length;
    let written = "";
    if (result.code === 0) {
      const kustomization = path.join(root, "out", "kustomization.yaml");
      if (fs.existsSync(kustomization)) written = `, ${(fs.readFileSync(kustomization, "utf8").match(/^- /gm) ?? []).length} policies in out/`;
    }
    output.appendLine(
      `ztc: ${result.code === 0 ? "compiled" : result.code === 1 ? "not compiled (errors)" : `failed (exit ${result.code})`}: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}${written} in ${Date.now() - started} ms`,
    );
  }
}

/** Tasks `ztc check` and `ztc compile` per project, with the $ztc problem matcher. */
class ZtcTaskProvider implements vscode.TaskProvider {
  constructor(private readonly context: vscode.ExtensionContext) {}
  async provideTasks(): Promise<vscode.Task[]> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return [];
    const tasks: vscode.Task[] = [];
    for (const root of await projectRoots())
      for (const command of ["check", "compile"] as const) {
        const project = path.relative(folder.uri.fsPath, root) || ".";
        tasks.push(this.task({ type: "ztc", command, project }, folder));
      }
    return tasks;
  }
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as { type: "ztc"; command: "check" | "compile"; project?: string };
    const folder = typeof task.scope === "object" ? (task.scope as vscode.WorkspaceFolder) : vscode.workspace.workspaceFolders?.[0];
    return folder ? this.task(def, folder) : undefined;
  }
  private task(def: { type: "ztc"; command: "check" | "compile"; project?: string }, folder: vscode.WorkspaceFolder): vscode.Task {
    const { command, args, env } = cliCommand(this.context, [def.command, def.project ?? "."]);
    const exec = new vscode.ProcessExecution(command, args, { cwd: folder.uri.fsPath, env: env as Record<string, string> });
    const task = new vscode.Task(def, folder, `${def.command} ${def.project ?? "."}`, "ztc", exec, "$ztc");
    task.group = def.command === "check" ? vscode.TaskGroup.Test : vscode.TaskGroup.Build;
    return task;
  }
}

const explanationProvider = new ExplanationProvider();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  serverLog = vscode.window.createOutputChannel("ztc", { log: true });
  output = vscode.window.createOutputChannel("ztc: compile");
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  status.command = "workbench.actions.view.problems";
  context.subscriptions.push(
    serverLog,
    output,
    status,
    compiledChanged,
    vscode.workspace.registerTextDocumentContentProvider(COMPILED_SCHEME, new CompiledYamlProvider()),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.uri.scheme === COMPILED_SCHEME) openCompiled.delete(d.uri.toString());
    }),
    vscode.languages.onDidChangeDiagnostics(() => updateStatus()),
    vscode.commands.registerCommand("ztc.showCompiledYaml", showCompiledYaml),
    vscode.commands.registerCommand("ztc.requestApproval", requestApproval),
    vscode.commands.registerCommand("ztc.explainFlow", explainFlow),
    vscode.workspace.registerTextDocumentContentProvider(EXPLAIN_SCHEME, explanationProvider),
    vscode.languages.registerDocumentLinkProvider({ scheme: EXPLAIN_SCHEME }, explanationProvider),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.uri.scheme === EXPLAIN_SCHEME) explanations.delete(d.uri.toString());
    }),
    vscode.commands.registerCommand("ztc.compileWorkspace", () => compileWorkspace(context)),
    vscode.commands.registerCommand("ztc.restartServer", async () => {
      if (client) await client.restart();
      else await startClient(context);
    }),
    vscode.tasks.registerTaskProvider("ztc", new ZtcTaskProvider(context)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("ztc.path") || e.affectsConfiguration("ztc.projectFile")) {
        await client?.stop();
        client = undefined;
        await startClient(context);
      }
    }),
  );
  updateStatus();
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
