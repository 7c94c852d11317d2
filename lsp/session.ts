/**
 * The server's state: the open documents, and per project (a folder with ztc.yaml) the current
 * Program snapshot. A change marks the project dirty; the next rebuild creates a new Program over
 * the disk files with the open documents laid on top, passing the old one so unchanged files are
 * not parsed or checked again. Requests first bring the snapshot up to date, so they always see
 * what the user sees. Nothing derived is kept beside the snapshot.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import type { LineIndex } from "../language/index.js";
import type { CompilerHost, DerivedCache } from "../compiler/host.js";
import { tenantFacts } from "../compiler/incremental.js";
import { createProgram, todayUtc, type Program } from "../compiler/program.js";
import { PROJECT_FILE } from "../compiler/project.js";
import { STDLIB_PREFIX, stdlibUnitFile } from "../compiler/stdlib.js";
import { documentFor, looseDocument, type ServiceDocument } from "../compiler/services/index.js";
import { createDiskHost, type DiskHost } from "./disk-host.js";
import { pathToUri, projectUri, uriToPath, type FileResolver } from "./convert.js";
import { SlackText, slackFits } from "./slack.js";

/** A practice edit (Project.practise). */
type PracticeEdit = "layout" | "typo" | "unfinished";
/** Practice rebuilds when idle after the first full check and its first round, a change of layout (Project.preparation). */
const PRACTICE_ROUNDS: readonly PracticeEdit[] = ["typo", "unfinished", "typo"];

/** A policy repository: the folder of a ztc.yaml. */
export class Project {
  readonly disk: DiskHost;
  /** Open documents of this project, by project-relative path, as the compiler gets them (.zt files with slack). */
  readonly overlay = new Map<string, string>();
  /** The open .zt documents' texts with slack (lsp/slack.ts), by project-relative path. */
  private readonly slack = new Map<string, SlackText>();
  program: Program | undefined;
  dirty = true;
  /** What was last published per file (a key of the diagnostics), to send only changes. */
  readonly published = new Map<string, string>();
  /** Open documents edited since the last publication: they get diagnostics even if unchanged. */
  readonly edited = new Set<string>();
  /** Milliseconds the last rebuild took (reported in traces). */
  lastBuildMs = 0;
  private focusedOnce = false;
  private focusedProgram: Program | undefined;

  constructor(
    readonly root: string,
    /** The stdlib folder installed with the server: where bundled `stdlib:` units are as files. */
    private readonly stdlibFolder?: string | undefined,
    /** Whether open .zt documents get slack (lsp/slack.ts). */
    private readonly withSlack = true,
    cache?: DerivedCache,
  ) {
    this.disk = createDiskHost(root, cache);
  }

  /** Project-relative path of an absolute path inside the project, or undefined. */
  relative(abs: string): string | undefined {
    const rel = nodePath.relative(this.root, abs);
    if (rel === "" || rel.startsWith("..") || nodePath.isAbsolute(rel)) return undefined;
    return rel.split(nodePath.sep).join("/");
  }

  /** Sets an open document's text (as written); returns whether it changed. */
  setDocument(rel: string, text: string): boolean {
    let compiled = text;
    let changed = false;
    let s = this.slack.get(rel);
    if (!s && this.withSlack && rel.toLowerCase().endsWith(".zt") && slackFits(text)) this.slack.set(rel, (s = new SlackText(text)));
    else if (s && s.text !== text) {
      s.update(text);
      // White space typed at the end of a line may leave the compiler's copy as it was, but
      // not where its positions are: the document gets its diagnostics again.
      changed = true;
      if (!slackFits(text, s.lineCount)) {
        this.slack.delete(rel);
        s = undefined;
      }
    }
    if (s) compiled = s.padded;
    if (this.overlay.get(rel) !== compiled) {
      this.overlay.set(rel, compiled);
      changed = true;
    }
    if (changed) this.dirty = true;
    return changed;
  }

  /** An open document was closed; returns whether it was open. */
  closeDocument(rel: string): boolean {
    this.slack.delete(rel);
    if (!this.overlay.delete(rel)) return false;
    this.dirty = true;
    return true;
  }

  /** The compiler's index of a file's text, reading positions as in the open document when it has slack. */
  lines(file: string, index: LineIndex): LineIndex {
    return this.slack.get(file)?.lines(index) ?? index;
  }

  /** Brings the snapshot up to date; returns true if a new Program was built. */
  refresh(today: string): boolean {
    if (!this.dirty && this.program) return false;
    const started = performance.now();
    const host = this.disk.withDocuments(this.overlay);
    // The first full build starts from the focused one: its parses, registries (and a rule cache).
    const previous = this.program ?? this.focusedProgram;
    this.focusedProgram = undefined;
    const old = previous && previous.today === today ? previous : undefined;
    this.program = createProgram(host, { today }, old);
    // Force the check now, so a request never pays for it and diagnostics come out in one go.
    this.program.getDiagnostics();
    this.dirty = false;
    this.lastBuildMs = performance.now() - started;
    return true;
  }

  /**
   * Before the first full build: a program over only what the open documents' diagnostics depend
   * on (their tenants' files and the tenants those name), so they get diagnostics in a fraction of
   * the time a large workspace takes. Returns it with the files whose diagnostics it has exactly,
   * or undefined when there is nothing to focus on. The snapshot stays empty until refresh().
   */
  focusedBuild(today: string): { program: Program; files: ReadonlySet<string> } | undefined {
    const open = [...this.overlay.keys()].filter((f) => f.endsWith(".zt"));
    if (this.program || this.focusedOnce || open.length === 0) return undefined;
    this.focusedOnce = true;
    const docs = this.disk.withDocuments(this.overlay);
    const only = (keep: (file: string) => boolean): CompilerHost => {
      // Filtered once: a program asks for the listing several times, and keep() runs globs.
      let files: readonly string[] | undefined;
      return {
        root: docs.root,
        cache: docs.cache,
        readFile: (p, max) => docs.readFile(p, max),
        listFiles: () => (files ??= docs.listFiles().filter((f) => !f.endsWith(".zt") || keep(f))),
      };
    };
    // The open documents (and the registries), then all files of their tenants, then those of
    // the tenants they name; each step reuses the previous one's parses and registries.
    const openOnly = createProgram(only((f) => open.includes(f)), { today });
    const registry = openOnly.registries?.tenants;
    if (!registry) return undefined;
    const tenants = new Set(openOnly.units.flatMap((u) => tenantFacts(u, registry).tenants));
    // Only the named tenants' globs are run: asking each file for its owners would compile the
    // globs of every tenant in the registry.
    const ownedBy = (names: ReadonlySet<string>) => {
      const infos = [...names].flatMap((n) => registry.tenants.get(n) ?? []);
      return (f: string) => open.includes(f) || infos.some((t) => t.owns(f));
    };
    const mine = ownedBy(tenants);
    const theirs = docs.listFiles().some((f) => f.endsWith(".zt") && !open.includes(f) && mine(f)) ? createProgram(only(mine), { today }, openOnly) : openOnly;
    const named = new Set([...tenants, ...theirs.units.flatMap((u) => tenantFacts(u, registry).refs)]);
    const focused = createProgram(only(ownedBy(named)), { today }, theirs);
    focused.getDiagnostics();
    this.focusedProgram = focused;
    return { program: focused, files: new Set(theirs.units.map((u) => u.path)) };
  }

  /**
   * Work worth doing ahead, when idle, returned as pieces to run one at a time: every unit's
   * tenant facts (asked for by the first edit's incremental check: a walk of every statement of
   * the workspace, in pieces of a few milliseconds); practice rebuilds of an open document (the
   * first keystrokes otherwise run code V8 has not optimized yet: 30-60 ms each instead of ~12),
   * each piece one edit and its undo on throwaway programs; and the positions of the approval
   * registry's YAML, which the first unapproved destination's "request approval" fix needs and
   * which take ~50-90 ms for thousands of approvals, after the first practice round so
   * that a keystroke after a second's pause meets neither a long piece nor cold code. (The tenant
   * registry's positions, for hovers and definitions into it, are parsed when first asked for.)
   */
  preparation(): (() => void)[] {
    const program = this.program;
    const pieces: (() => void)[] = [];
    const registry = program?.registries?.tenants;
    const units = program?.units ?? [];
    for (let i = 0; registry && i < units.length; i += 100) pieces.push(() => units.slice(i, i + 100).forEach((u) => tenantFacts(u, registry)));
    if (!program) return pieces;
    // A change of layout first; typos in a host name need the approvals' positions (for their
    // fix), which come after it.
    pieces.push(() => this.practise("layout"));
    const approvals = program.config && program.registries?.sources.find((s) => s.file === program.config!.approvalsPath);
    if (approvals) pieces.push(() => void approvals.positions);
    for (const kind of PRACTICE_ROUNDS) pieces.push(() => this.practise(kind));
    return pieces;
  }

  /**
   * One practice edit of an open document and its undo, on throwaway programs (see preparation()).
   * The edit is one of:
   * - `layout`: a second space after a rule's first word (the same rule, in other text);
   * - `typo`: a letter in the middle of a rule's host name, which is what typing a destination is
   *   like: an unapproved destination, with its "request approval" fix. Without typo rounds the
   *   bench's first two such keystrokes took ~34 and ~28 ms (against ~10); with them ~31 and
   *   16-26 ms: the first is still partly cold, for reasons not found yet;
   * - `unfinished`: a rule begun on a new line after a rule, which is what typing a new rule is
   *   like: a syntax error, the parser's recovery and its diagnostics. In place of a second change
   *   of layout, it took the first new rule's keystrokes after 200 edits without a syntax error
   *   (in-process, three runs each) from 12-13 to ~10 ms for the line break and from 10-13 to
   *   ~8 ms for `allow`. (Its tenth keystroke, ~20 ms either way, is the one that outgrows the
   *   line's slack, which moves everything after it: lsp/slack.ts.)
   */
  private practise(kind: PracticeEdit): void {
    const typo = kind === "typo";
    const program = this.program;
    if (!program || this.dirty) return;
    const path = [...this.overlay.keys()].find((f) => f.endsWith(".zt"));
    const text = path && this.overlay.get(path);
    const unit = text ? program.units.find((u) => u.path === path && u.text === text) : undefined;
    const block = unit?.ast.items.find((i) => i.kind === "Tenant" && i.body.some((m) => m.kind === "Rule"));
    const rules = block?.kind === "Tenant" ? block.body.filter((m) => m.kind === "Rule") : [];
    if (!path || !text || rules.length === 0) return;
    const middle = rules.length >> 1;
    const rule = rules[middle];
    if (!rule || rule.kind !== "Rule") return;
    const hosts = typo ? [...rules.slice(middle), ...rules.slice(0, middle)].flatMap((r) => (r.kind === "Rule" ? [r.bare, r.to].flatMap((l) => l?.targets ?? []) : [])) : [];
    const host = hosts.find((t) => t.kind === "Host" && t.name.span.end - t.name.span.start > 2);
    const at = kind === "unfinished" ? rule.span.end : host?.kind === "Host" ? (host.name.span.start + host.name.span.end) >> 1 : rule.actionSpan.end;
    const typed = kind === "unfinished" ? "\n  allow e" : host ? "q" : " ";
    // What is typed takes spaces of the line's slack, as typing does (lsp/slack.ts); the change
    // of layout moves what follows, as a paste does.
    let rest = text.slice(at);
    const slack = / *(?=\r?\n)/.exec(rest);
    if (kind !== "layout" && slack) {
      const taken = Math.min(typed.length, slack[0].length);
      const end = slack.index + slack[0].length;
      rest = rest.slice(0, end - taken) + rest.slice(end);
    }
    const edited = `${text.slice(0, at)}${typed}${rest}`;
    const practice = createProgram(this.disk.withDocuments(new Map(this.overlay).set(path, edited)), { today: program.today }, program);
    practice.getDiagnostics();
    createProgram(this.disk.withDocuments(this.overlay), { today: program.today }, practice).getDiagnostics();
  }

  /**
   * Project-relative paths as URIs. A bundled stdlib unit maps to its file in the installed stdlib
   * folder; when there is none with the same text, it has no location (lines() says so), so no
   * editor is sent to a wrong place.
   */
  files(program: Program | undefined = this.program): FileResolver {
    const stdlib = (file: string) => stdlibUnitFile(file, this.stdlibFolder, readInstalled);
    return {
      uri: (file) => {
        const installed = file.startsWith(STDLIB_PREFIX) ? stdlib(file) : undefined;
        return installed ? pathToUri(installed) : projectUri(this.root, file || PROJECT_FILE);
      },
      lines: (file) => {
        if (file.startsWith(STDLIB_PREFIX) && !stdlib(file)) return undefined;
        const index = program?.lineIndex(file || PROJECT_FILE);
        return index && this.lines(file, index);
      },
    };
  }
}

export interface SessionOptions {
  /** YYYY-MM-DD for approval expiry; default: the current date (ZTC_TODAY also works). */
  readonly today?: string | undefined;
  /** The stdlib folder installed with ztc (for go to definition into bundled modules). */
  readonly stdlibFolder?: string | undefined;
  /** Slack at the ends of open documents' lines (lsp/slack.ts); default true. */
  readonly slack?: boolean | undefined;
  /** Where a project keeps values derived from its files between starts (none by default). */
  readonly derivedCache?: ((root: string) => DerivedCache | undefined) | undefined;
}

/** The installed stdlib's files never change while the server runs: read each once. */
const installed = new Map<string, string | undefined>();
function readInstalled(file: string): string | undefined {
  if (!installed.has(file)) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      text = undefined;
    }
    installed.set(file, text);
  }
  return installed.get(file);
}

/** A document as a service sees it, with what the protocol layer needs to convert answers. */
export interface DocumentView {
  readonly doc: ServiceDocument;
  /** The document's text as written (the compiler's copy, `doc.unit.text`, may carry slack). */
  readonly text: string;
  readonly lines: LineIndex;
  readonly files: FileResolver;
  readonly project?: Project | undefined;
  /** The path used in diagnostics and edits: project-relative, or the URI for loose documents. */
  readonly path: string;
}

export class Session {
  readonly projects = new Map<string, Project>();
  /** Folder -> the project root above it (or null): ztc.yaml lookups are cached. */
  private readonly roots = new Map<string, string | null>();
  /** Loose documents (no project, or not a file: URI), parsed per version. */
  private readonly loose = new Map<string, { text: string; doc: ServiceDocument }>();

  constructor(private readonly options: SessionOptions = {}) {}

  today(): string {
    return this.options.today ?? process.env["ZTC_TODAY"] ?? todayUtc();
  }

  /** The project a file belongs to: the nearest folder above it with a ztc.yaml. */
  projectOf(abs: string): Project | undefined {
    const root = this.rootOf(nodePath.dirname(abs));
    if (!root) return undefined;
    let p = this.projects.get(root);
    if (!p) {
      p = new Project(root, this.options.stdlibFolder, this.options.slack ?? true, this.options.derivedCache?.(root));
      this.projects.set(root, p);
    }
    return p;
  }

  private rootOf(dir: string): string | undefined {
    const chain: string[] = [];
    let d = dir;
    let found: string | null | undefined;
    for (;;) {
      const cached = this.roots.get(d);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      chain.push(d);
      let exists = false;
      try {
        exists = fs.statSync(nodePath.join(d, PROJECT_FILE)).isFile();
      } catch {
        exists = false;
      }
      if (exists) {
        found = d;
        break;
      }
      const parent = nodePath.dirname(d);
      if (parent === d) {
        found = null;
        break;
      }
      d = parent;
    }
    for (const c of chain) this.roots.set(c, found ?? null);
    return found ?? undefined;
  }

  /** A ztc.yaml appeared or disappeared: forget where projects are. */
  forgetRoots(): void {
    this.roots.clear();
  }

  /** Finds the projects in a workspace folder (ztc.yaml files, a few levels deep). */
  discover(folder: string, depth = 4): Project[] {
    const found: Project[] = [];
    const walk = (dir: string, level: number) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      if (entries.some((e) => e.isFile() && e.name === PROJECT_FILE)) {
        const p = this.projectOf(nodePath.join(dir, PROJECT_FILE));
        if (p) found.push(p);
        return;
      }
      if (level >= depth) return;
      for (const e of entries)
        if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") walk(nodePath.join(dir, e.name), level + 1);
    };
    walk(folder, 0);
    return found;
  }

  /** Records an open document's text (a change or an open). Returns the project it dirtied. */
  setDocument(uri: string, text: string): Project | undefined {
    const abs = uriToPath(uri);
    const project = abs ? this.projectOf(abs) : undefined;
    const rel = abs && project ? project.relative(abs) : undefined;
    if (!project || rel === undefined) return undefined;
    if (project.setDocument(rel, text)) project.edited.add(rel);
    return project;
  }

  /** A document was closed: the file on disk is the truth again. */
  closeDocument(uri: string): Project | undefined {
    this.loose.delete(uri);
    const abs = uriToPath(uri);
    const project = abs ? this.projectOf(abs) : undefined;
    const rel = abs && project ? project.relative(abs) : undefined;
    if (!project || rel === undefined || !project.closeDocument(rel)) return undefined;
    return project;
  }

  /** A file changed on disk (watched files). Returns the projects it concerns. */
  fileChanged(abs: string, structural: boolean): Project[] {
    if (nodePath.basename(abs) === PROJECT_FILE && structural) this.forgetRoots();
    const out: Project[] = [];
    for (const p of this.projects.values()) {
      const rel = p.relative(abs);
      if (rel === undefined) continue;
      p.disk.invalidate(rel, structural);
      p.dirty = true;
      out.push(p);
    }
    return out;
  }

  /** The document at a URI as the services see it, with its project's snapshot brought up to date. */
  view(uri: string, text: string): DocumentView {
    const abs = uriToPath(uri);
    const project = abs ? this.projectOf(abs) : undefined;
    const rel = abs && project ? project.relative(abs) : undefined;
    if (project && rel !== undefined) {
      project.setDocument(rel, text);
      project.refresh(this.today());
      const doc = documentFor(project.program, rel, project.overlay.get(rel)!);
      const files = project.files();
      const lines = project.lines(rel, doc.unit.lines);
      return { doc, text, lines, files: { uri: files.uri, lines: (f) => (f === rel ? lines : files.lines(f)) }, project, path: rel };
    }
    let entry = this.loose.get(uri);
    if (!entry || entry.text !== text) {
      entry = { text, doc: looseDocument(uri, text) };
      this.loose.set(uri, entry);
    }
    const doc = entry.doc;
    return { doc, text, lines: doc.unit.lines, files: { uri: () => uri, lines: () => doc.unit.lines }, path: uri };
  }
}
