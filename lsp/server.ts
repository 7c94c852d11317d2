/**
 * `ztc lsp --stdio`: the language server. Wires the protocol to the session (snapshots) and the
 * handlers (services). Every handler is guarded: bad input gets an error answer or an empty one,
 * never a crash, and a rebuild that throws is reported and retried on the next change.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { setFlagsFromString } from "node:v8";
import {
  CodeActionKind,
  createConnection,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  FileChangeType,
  LSPErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type Position,
  type Diagnostic as LspDiagnostic,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { compileFile } from "../compiler/services/index.js";
import { VERSION } from "../compiler/version.js";
import type { DerivedCache } from "../compiler/host.js";
import type { Program } from "../compiler/program.js";
import { EXPLAIN_COMMAND, pathToUri, REQUEST_APPROVAL_KIND, SHOW_LOCATION_COMMAND, TOKEN_MODIFIERS, TOKEN_TYPES, toLspDiagnostic, uriToPath } from "./convert.js";
import * as H from "./handlers.js";
import { createIdleCollector, defaultHeapGrowth, EDITING_YOUNG_GENERATION, editingHeapFlags, limitHeapGrowth } from "./memory.js";
import { Session, type DocumentView, type Project } from "./session.js";
import type { FileResolver } from "./convert.js";

/** Settings a client may pass as initializationOptions. */
export interface InitOptions {
  /** Where docs/diagnostics.md is published (codeDescription links point into it). */
  readonly diagnosticsDocUrl?: string;
  /** YYYY-MM-DD to evaluate approval expiry on (tests); default: today. */
  readonly today?: string;
  /** ztc.yaml files to load even when they are not inside the workspace folders. */
  readonly projectFiles?: readonly string[];
  /** Milliseconds to wait after a change before re-checking (default 0: changes arriving during a check are coalesced). */
  readonly debounceMs?: number;
  /** Send `ztc/projectChanged` after every rebuild (the VS Code extension refreshes its views on it). */
  readonly projectChangedNotifications?: boolean;
}

/** The answer to `ztc/compiledYaml`. */
export interface CompiledYaml {
  readonly yaml: string;
  readonly tenants: readonly string[];
  /** Errors in the tenants' files: their rules are missing from the YAML. */
  readonly errors: number;
  readonly message?: string;
}

/**
 * A file or folder installed with the running server: beside dist/ (the npm package) or in the VS
 * Code extension's folder (beside out/).
 */
function installed(...rel: string[]): string | undefined {
  let script = process.cwd();
  try {
    // Through the real path: an npm bin link (node_modules/.bin/ztc) is not where the package is.
    if (process.argv[1]) script = nodePath.dirname(fs.realpathSync(process.argv[1]));
  } catch {
    script = nodePath.dirname(nodePath.resolve(process.argv[1]!));
  }
  for (const candidate of [nodePath.join(script, "..", ...rel), nodePath.join(script, ...rel)]) if (fs.existsSync(candidate)) return candidate;
  return undefined;
}

/** docs/diagnostics.md as installed with the server; without it, diagnostics carry no documentation link. */
function defaultDocsUrl(): string | undefined {
  const docs = installed("docs", "diagnostics.md");
  return docs ? pathToUri(docs) : undefined;
}

/** What the process that starts the server wants to hear about. */
export interface ServerHooks {
  /**
   * The workspace is checked for the first time, and V8's flags are still those of the start:
   * the moment to save a code cache (compiler/cli/code-cache.ts) that covers the start's code.
   */
  readonly warm?: () => void;
  /** How the server's code was loaded, for the trace (ZTC_LSP_TRACE=1). */
  readonly codeCache?: string;
  /** Where a project keeps values derived from its files between starts (compiler/cli/derived-cache.ts). */
  readonly derivedCache?: (root: string) => DerivedCache | undefined;
}

/** V8's default tier-up budget (node --v8-options, Node 20). */
const V8_INTERRUPT_BUDGET = 67584;

export function startLanguageServer(connection: Connection = createConnection(ProposedFeatures.all), hooks: ServerHooks = {}): Connection {
  const documents = new TextDocuments(TextDocument);
  let session = new Session();
  let options: InitOptions = {};
  let docsUrl = defaultDocsUrl();
  let folders: string[] = [];
  let watchedByClient = false;
  let folderEvents = false;
  /** The client expands snippets (`${1:9090}`) in completions; otherwise they are sent as plain text. */
  let snippets = false;
  /** The client re-requests code lenses when told (their `ztc test` results depend on other files). */
  let lensRefresh = false;
  const watchers: fs.FSWatcher[] = [];
  /** The scheduled rebuild, if any (see schedule()). */
  let timer: { cancel(): void } | undefined;
  /** Changes and requests handled so far: a scheduled rebuild waits while they keep coming. */
  let handled = 0;

  const log = (message: string) => connection.console.error(`ztc: ${message}`);
  /** ZTC_LSP_TRACE=1: log every rebuild's duration (diagnosing latency). */
  const traceBuilds = process.env["ZTC_LSP_TRACE"] === "1";
  const collector = createIdleCollector(undefined, undefined, traceBuilds ? log : undefined);
  // Before the first check, while the heap is nearly empty and sizing it costs least (lsp/memory.ts).
  collector.keepYoungGeneration(EDITING_YOUNG_GENERATION);
  const toLsp = (v: DocumentView) => (d: Parameters<typeof toLspDiagnostic>[0]) => toLspDiagnostic(d, v.files.lines(d.file) ?? v.lines, v.files, docsUrl);
  /** Snapshots whose diagnostics were published (a request may rebuild a snapshot before the scheduler does). */
  const seen = new WeakSet<object>();

  /**
   * Sends the diagnostics of every file of a project whose diagnostics changed since last time
   * (of the snapshot, or of a focused program for just the files it knows exactly).
   */
  function publish(project: Project, focused?: { program: Program; files: ReadonlySet<string> }): void {
    const program = focused?.program ?? project.program;
    if (!program) return;
    seen.add(program);
    const files: FileResolver = project.files(program);
    const byFile = new Map<string, LspDiagnostic[]>();
    for (const d of program.getDiagnostics()) {
      const file = d.file || "ztc.yaml";
      if (focused && !focused.files.has(file)) continue;
      const lines = files.lines(file);
      if (!lines) continue;
      const list = byFile.get(file) ?? [];
      list.push(toLspDiagnostic(d, lines, files, docsUrl));
      byFile.set(file, list);
    }
    // Open documents carry their version, so a client can tell which edit the diagnostics are for.
    const send = (file: string, diagnostics: LspDiagnostic[]) => {
      const uri = files.uri(file);
      const version = documents.get(uri)?.version;
      void connection.sendDiagnostics(version === undefined ? { uri, diagnostics } : { uri, version, diagnostics });
    };
    for (const [file, list] of byFile) {
      const key = JSON.stringify(list);
      if (project.published.get(file) === key && !project.edited.has(file)) continue;
      project.published.set(file, key);
      send(file, list);
    }
    for (const file of new Set([...(focused ? focused.files : project.published.keys()), ...(focused ? [] : project.edited)])) {
      if (byFile.has(file)) continue;
      if (focused && !project.published.has(file)) {
        // Clean on first sight: say so once, so the client knows the file was checked.
        project.published.set(file, "[]");
        send(file, []);
        continue;
      }
      project.published.delete(file);
      send(file, []);
    }
    if (focused) return;
    project.edited.clear();
    if (options.projectChangedNotifications) void connection.sendNotification("ztc/projectChanged", { root: pathToUri(project.root) });
    if (lensRefresh) void connection.sendRequest("workspace/codeLens/refresh").catch(() => undefined);
  }

  function refresh(project: Project): void {
    try {
      const first = project.program === undefined;
      if (first) {
        limitHeapGrowth();
        collector.collectNow();
      }
      if (project.refresh(session.today())) {
        publish(project);
        if (traceBuilds) log(`rebuilt ${project.root} in ${project.lastBuildMs.toFixed(1)} ms @${performance.now().toFixed(1)}`);
      }
      if (first) {
        for (const piece of project.preparation()) whenIdle(piece);
        if (traceBuilds && hooks.codeCache) log(`code cache: ${hooks.codeCache}`);
        const derived = project.disk.cache?.describe?.();
        if (traceBuilds && derived) log(`derived values: ${derived}`);
        // V8's own heap growth from here on: held at 20 % past the live data, the edits and code
        // lenses that follow ran into a full collection every few requests (edit p95 ~21 -> ~25 ms,
        // lens p95 ~30 -> ~90 ms) for ~50 MB less resident memory. It is also the flag the code
        // cache must be saved under (compiler/cli/lsp-bin.ts), or V8 refuses it.
        defaultHeapGrowth();
        hooks.warm?.();
        editingHeapFlags();
        // The CLI starts with a raised tier-up budget (compiler/cli/bin.ts); edits are repeated
        // work that V8's default budget optimizes sooner.
        setFlagsFromString(`--interrupt-budget=${V8_INTERRUPT_BUDGET}`);
      }
      armIdle();
      collector.afterWork();
    } catch (e) {
      // A compiler bug must not take the server down: report it, keep the old snapshot.
      project.dirty = false;
      log(`rebuilding ${project.root} failed: ${(e as Error)?.stack ?? e}`);
    }
  }

  function rebuildAll(): void {
    timer = undefined;
    for (const p of session.projects.values()) {
      if (!p.dirty) continue;
      // First build of a project with open documents: their diagnostics first, the rest next.
      let focused;
      try {
        focused = p.focusedBuild(session.today());
      } catch (e) {
        log(`focused check of ${p.root} failed: ${(e as Error)?.stack ?? e}`);
      }
      if (focused) {
        publish(p, focused);
        schedule();
        continue;
      }
      refresh(p);
    }
  }

  /**
   * Runs `work` once no message has arrived for a while (postponed by every message). Pieces of
   * work run one per turn of the event loop, and input read in between postpones the rest: a
   * keystroke waits for at most the piece under way.
   */
  const idleWork: (() => void)[] = [];
  let idleTimer: NodeJS.Timeout | undefined;
  function whenIdle(work: () => void): void {
    idleWork.push(work);
    armIdle();
  }
  function armIdle(): void {
    if (idleWork.length === 0) return;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(runIdle, 200);
    idleTimer.unref();
  }
  function runIdle(): void {
    idleTimer = undefined;
    const w = idleWork.shift();
    try {
      const started = performance.now();
      w?.();
      if (traceBuilds) log(`idle work in ${(performance.now() - started).toFixed(1)} ms, ${idleWork.length} pieces left @${performance.now().toFixed(1)}`);
      // Preparation leaves garbage in the old generation (a practice edit, the approvals' YAML
      // tree) and no rebuild follows it to collect: the server's peak was here (~196 MB).
      collector.collectIfGrown();
    } catch (e) {
      log(`background work failed: ${(e as Error)?.message ?? e}`);
    }
    // The connection reads input in the poll phase and dispatches it from an immediate of its own,
    // queued after one queued now: the second hop runs after the dispatch of whatever arrived
    // during this piece, which re-arms the timer (armIdle) to wait for a pause again.
    if (idleWork.length > 0) setImmediate(() => setImmediate(() => idleTimer === undefined && runIdle()));
  }

  /**
   * Coalesces changes: the rebuild runs once the messages already received are processed. The
   * connection handles one message per turn of the event loop (setImmediate), so the rebuild hops
   * from turn to turn behind them until a turn handled none. (A timer did this before, and cost
   * every keystroke a millisecond and a half of its ~10 ms: Node's timers wait at least 1 ms.)
   */
  function schedule(delayMs = options.debounceMs ?? 0): void {
    if (timer) return;
    if (delayMs > 0) {
      const t = setTimeout(rebuildAll, delayMs);
      timer = { cancel: () => clearTimeout(t) };
      return;
    }
    let seen = -1;
    let next: NodeJS.Immediate;
    const hop = () => {
      if (handled === seen) return rebuildAll();
      seen = handled;
      next = setImmediate(hop);
    };
    next = setImmediate(hop);
    timer = { cancel: () => clearImmediate(next) };
  }

  /** Parse-only diagnostics for .zt documents outside any project. */
  function publishLoose(uri: string, text: string): void {
    const v = session.view(uri, text);
    if (v.project || !H.isZt(uri)) return;
    const files = v.files;
    void connection.sendDiagnostics({ uri, diagnostics: v.doc.unit.parseDiagnostics.map((d) => toLspDiagnostic(d, v.lines, files, docsUrl)) });
  }

  function changed(uri: string, text: string): void {
    handled++;
    collector.activity();
    armIdle();
    try {
      const project = session.setDocument(uri, text);
      if (project && !project.program && timer) {
        // The first document of a project that is still waiting for its first check: check now.
        timer.cancel();
        timer = undefined;
      }
      if (project) schedule();
      else publishLoose(uri, text);
    } catch (e) {
      log(`document ${uri}: ${(e as Error)?.message ?? e}`);
    }
  }

  /** The text of a document: the open editor's, else the file on disk. */
  function textOf(uri: string): string | undefined {
    const open = documents.get(uri);
    if (open) return open.getText();
    const abs = uriToPath(uri);
    if (!abs) return undefined;
    try {
      return fs.readFileSync(abs, "utf8");
    } catch {
      return undefined;
    }
  }

  /** Wraps a request handler: validates the document, brings its snapshot up to date, never throws. */
  function on<P extends { textDocument?: { uri?: unknown } }, R>(name: string, handler: (v: DocumentView, p: P) => R, empty: R) {
    return (params: P, token?: CancellationToken): R | ResponseError<void> => {
      handled++;
      collector.activity();
      armIdle();
      try {
        if (token?.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, `${name}: cancelled`);
        const uri = params?.textDocument?.uri;
        if (typeof uri !== "string") return new ResponseError(ErrorCodes.InvalidParams, `${name}: textDocument.uri is missing`);
        if (!H.isZt(uri)) return empty;
        const text = textOf(uri);
        if (text === undefined) return empty;
        const v = session.view(uri, text);
        // view() may have rebuilt the snapshot for this request: publish what it found.
        if (v.project) publishIfNew(v.project);
        // A newer change may have arrived while the snapshot was rebuilt.
        if (token?.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, `${name}: cancelled`);
        return handler(v, params);
      } catch (e) {
        if (e instanceof H.UserError) return new ResponseError(LSPErrorCodes.RequestFailed, e.message);
        log(`${name} failed: ${(e as Error)?.stack ?? e}`);
        return new ResponseError(ErrorCodes.InternalError, `${name} failed: ${(e as Error)?.message ?? e}`);
      }
    };
  }

  /** Publishes a snapshot that a request (rather than the scheduler) brought up to date. */
  function publishIfNew(project: Project): void {
    if (project.program && !seen.has(project.program)) publish(project);
  }

  function watchFallback(project: Project): void {
    if (watchedByClient || watchers.some((w) => (w as unknown as { ztcRoot?: string }).ztcRoot === project.root)) return;
    try {
      const w = fs.watch(project.root, { recursive: true }, (event, name) => {
        if (!name) return;
        const abs = nodePath.join(project.root, name.toString());
        if (abs.includes(`${nodePath.sep}.git${nodePath.sep}`)) return;
        session.fileChanged(abs, event === "rename");
        schedule();
      });
      (w as unknown as { ztcRoot?: string }).ztcRoot = project.root;
      w.on("error", () => undefined);
      watchers.push(w);
    } catch (e) {
      log(`cannot watch ${project.root}: ${(e as Error).message}`);
    }
  }

  /** Finds the workspace's projects and checks them, after a moment in which editors open files. */
  function discoverAll(): void {
    for (const folder of folders) for (const p of session.discover(folder)) watchFallback(p);
    for (const f of Array.isArray(options.projectFiles) ? options.projectFiles : []) {
      const p = typeof f === "string" ? session.projectOf(nodePath.resolve(f)) : undefined;
      if (p) watchFallback(p);
    }
    schedule(20);
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    options = (params.initializationOptions ?? {}) as InitOptions;
    if (typeof options !== "object" || options === null) options = {};
    session = new Session({
      today: typeof options.today === "string" ? options.today : undefined,
      stdlibFolder: installed("stdlib"),
      derivedCache: hooks.derivedCache,
    });
    if (typeof options.diagnosticsDocUrl === "string") docsUrl = options.diagnosticsDocUrl;
    const uris = (params.workspaceFolders ?? []).map((f) => f.uri);
    if (uris.length === 0 && params.rootUri) uris.push(params.rootUri);
    folders = uris.flatMap((u) => uriToPath(u) ?? []);
    if (folders.length === 0 && params.rootPath) folders.push(params.rootPath);
    watchedByClient = params.capabilities?.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    folderEvents = params.capabilities?.workspace?.workspaceFolders === true;
    snippets = params.capabilities?.textDocument?.completion?.completionItem?.snippetSupport === true;
    lensRefresh = params.capabilities?.workspace?.codeLens?.refreshSupport === true;
    return {
      serverInfo: { name: "ztc", version: VERSION },
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [" ", ":", "/"] },
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] }, full: true },
        documentFormattingProvider: true,
        documentOnTypeFormattingProvider: { firstTriggerCharacter: "\n", moreTriggerCharacter: ["}"] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, REQUEST_APPROVAL_KIND, CodeActionKind.RefactorRewrite] },
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [SHOW_LOCATION_COMMAND, EXPLAIN_COMMAND] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
    };
  });

  connection.onInitialized(() => {
    if (watchedByClient)
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, {
          watchers: [{ globPattern: "**/*.zt" }, { globPattern: "**/*.{yaml,yml}" }],
        })
        .catch((e: unknown) => log(`cannot register file watchers: ${String(e)}`));
    try {
      discoverAll();
    } catch (e) {
      log(`workspace scan failed: ${(e as Error)?.stack ?? e}`);
    }
    if (folderEvents)
      connection.workspace.onDidChangeWorkspaceFolders((ev) => {
        folders = [...folders.filter((f) => !ev.removed.some((r) => uriToPath(r.uri) === f)), ...ev.added.flatMap((a) => uriToPath(a.uri) ?? [])];
        discoverAll();
      });
  });

  connection.onDidChangeWatchedFiles((p) => {
    for (const c of p?.changes ?? []) {
      const abs = uriToPath(c.uri);
      if (!abs) continue;
      const known = session.fileChanged(abs, c.type !== FileChangeType.Changed);
      if (known.length === 0 && nodePath.basename(abs) === "ztc.yaml" && c.type === FileChangeType.Created) {
        const p2 = session.projectOf(abs);
        if (p2) p2.dirty = true;
      }
    }
    schedule();
  });

  documents.onDidOpen((e) => changed(e.document.uri, e.document.getText()));
  documents.onDidChangeContent((e) => changed(e.document.uri, e.document.getText()));
  documents.onDidClose((e) => {
    try {
      if (session.closeDocument(e.document.uri)) schedule();
      else if (H.isZt(e.document.uri) && !uriToPath(e.document.uri)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    } catch (err) {
      log(`close ${e.document.uri}: ${(err as Error)?.message ?? err}`);
    }
  });

  connection.onHover(on("hover", H.hover, null));
  connection.onCompletion(on("completion", (v, p) => H.completion(v, p, snippets), null));
  connection.onDefinition(on("definition", H.definition, []));
  connection.onReferences(on("references", H.references, []));
  connection.onDocumentHighlight(on("documentHighlight", H.highlights, []));
  connection.onPrepareRename(on("prepareRename", H.prepareRename, null));
  connection.onRenameRequest(on("rename", H.rename, null));
  connection.onDocumentSymbol(on("documentSymbol", H.documentSymbols, []));
  connection.onFoldingRanges(on("foldingRange", H.foldingRanges, []));
  connection.languages.semanticTokens.on(on("semanticTokens", H.semanticTokens, { data: [] }));
  connection.onDocumentFormatting(on("formatting", H.formatting, []));
  connection.onDocumentOnTypeFormatting(on("onTypeFormatting", H.onTypeFormatting, []));
  connection.onCodeAction(on("codeAction", (v, p) => H.codeActions(v, p, toLsp(v)), []));
  // Lenses run `ztc test` on a file's expects: they start after the input already sent has been
  // read, so that a cancellation in it (editors cancel lenses when the document changes) spares
  // the work, and with it the delay to the next edit's diagnostics.
  const codeLenses = on("codeLens", H.codeLenses, []);
  connection.onCodeLens((p, token) => new Promise((resolve) => setImmediate(() => resolve(codeLenses(p, token)))));

  /** `ztc explain` for a document: a flow, or the statement at a position. Params `{ uri, flow?, position? }`. */
  const explain = on<{ textDocument: { uri: string }; flow?: unknown; position?: Position | undefined }, H.ExplainResponse | null>(
    "ztc/explain",
    (v, p) => H.explain(v, p),
    null,
  );
  const explainParams = (p: unknown) => {
    const o = (p ?? {}) as { uri?: unknown; textDocument?: { uri?: unknown }; flow?: unknown; position?: unknown };
    const position = o.position as Position | undefined;
    const valid = position && Number.isFinite(position.line) && Number.isFinite(position.character) ? position : undefined;
    return { textDocument: { uri: (o.textDocument?.uri ?? o.uri) as string }, flow: o.flow, position: valid };
  };
  connection.onRequest<H.ExplainResponse | null, void>("ztc/explain", (p: unknown, token: CancellationToken) => explain(explainParams(p), token));

  connection.onExecuteCommand(async (p, token) => {
    try {
      if (p?.command === SHOW_LOCATION_COMMAND) {
        const [uri, range] = (p.arguments ?? []) as [unknown, unknown];
        if (typeof uri === "string") await connection.window.showDocument({ uri, takeFocus: true, selection: range as never });
      }
      if (p?.command === EXPLAIN_COMMAND) return explain(explainParams(p.arguments?.[0]), token);
    } catch (e) {
      log(`command ${p?.command}: ${(e as Error)?.message ?? e}`);
    }
    return null;
  });

  /** The YAML the tenants of a .zt file compile to, for the editor's live "compiled YAML" view. */
  connection.onRequest("ztc/compiledYaml", (p: { uri?: unknown }): CompiledYaml | ResponseError<void> => {
    try {
      const uri = p?.uri;
      if (typeof uri !== "string") return new ResponseError(ErrorCodes.InvalidParams, "ztc/compiledYaml: uri is missing");
      const text = textOf(uri);
      if (text === undefined || !H.isZt(uri)) return { yaml: "", tenants: [], errors: 0, message: "not a .zt file" };
      const v = session.view(uri, text);
      if (!v.project?.program) return { yaml: "", tenants: [], errors: 0, message: "this file is not part of a ztc project (no ztc.yaml above it)" };
      publishIfNew(v.project);
      const c = compileFile(v.project.program, v.path);
      return { yaml: c.yaml, tenants: c.tenants, errors: c.errors };
    } catch (e) {
      log(`ztc/compiledYaml failed: ${(e as Error)?.stack ?? e}`);
      return new ResponseError(ErrorCodes.InternalError, String((e as Error)?.message ?? e));
    }
  });

  connection.onShutdown(() => {
    timer?.cancel();
    if (idleTimer) clearTimeout(idleTimer);
    idleWork.length = 0;
    collector.dispose();
    for (const w of watchers) w.close();
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
