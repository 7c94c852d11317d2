/**
 * Slack at line ends (lsp/slack.ts): the padded text stands for the document exactly, keeps its
 * length while typing stays within a line's slack, and every feature of the server answers for it
 * what it answers for the document without slack.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExample, ROOT } from "../helpers/example.js";
import { LineIndex, MAX_SOURCE_CHARS } from "../../language/index.js";
import { compileFile } from "../../compiler/services/index.js";
import * as H from "../../lsp/handlers.js";
import { toLspDiagnostic } from "../../lsp/convert.js";
import { Session, type DocumentView } from "../../lsp/session.js";
import { OPEN_SLACK, SLACK, SlackText } from "../../lsp/slack.js";

/** The document a padded text stands for, read through its index; throws if the slack holds anything but spaces. */
function unpad(s: SlackText): string {
  const index = new LineIndex(s.padded);
  const view = s.lines(index)!;
  let out = "";
  for (let i = 0; i < index.lineCount; i++) {
    const end = view.lineEnd(i);
    const rawEnd = index.lineEnd(i);
    if (!/^ *$/.test(s.padded.slice(end, rawEnd))) throw new Error(`line ${i}: slack is not spaces: ${JSON.stringify(s.padded.slice(end, rawEnd))}`);
    const next = i + 1 < index.lineCount ? index.lineStart(i + 1) : s.padded.length;
    out += s.padded.slice(index.lineStart(i), end) + s.padded.slice(rawEnd, next);
  }
  return out;
}

describe("slack text", () => {
  const alphabet = fc.constantFrom("a", "b", " ", "\n", "\r\n", "\r", "\t", "xyz");
  const text = fc.array(alphabet, { maxLength: 30 }).map((xs) => xs.join(""));
  const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: text });

  it("stands for the document after any edits, line for line and position for position (property)", () => {
    fc.assert(
      fc.property(text, fc.constantFrom(0, 1, OPEN_SLACK), fc.array(edit, { maxLength: 25 }), (start, slack, edits) => {
        const s = new SlackText(start, slack);
        expect(unpad(s)).toBe(start);
        let doc = start;
        // The compiler keeps its index while the padded text stays the same (white space typed at a line's end).
        let index = new LineIndex(s.padded);
        for (const e of edits) {
          const at = e.at % (doc.length + 1);
          doc = doc.slice(0, at) + e.insert + doc.slice(Math.min(doc.length, at + e.remove));
          s.update(doc);
          expect(s.text).toBe(doc);
          expect(unpad(s)).toBe(doc);
          const real = new LineIndex(doc);
          if (index.text !== s.padded) index = new LineIndex(s.padded);
          const view = s.lines(index)!;
          expect(view.lineCount).toBe(real.lineCount);
          for (let o = 0; o <= doc.length; o++) {
            const p = real.positionAt(o);
            // (Between the \r and \n of a line end is no position of the document.)
            if (p.character > real.line(p.line).length) continue;
            expect(view.positionAt(view.offsetAt(p))).toEqual(p);
          }
          // Past a line's end, a position is its end.
          for (let l = 0; l < real.lineCount; l++) expect(view.positionAt(view.offsetAt({ line: l, character: 1000 }))).toEqual(real.positionAt(real.lineEnd(l)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("takes the slack of the indented lines after a line that runs out, and moves only them", () => {
    const rules = Array.from({ length: 12 }, (_, i) => `  allow egress to h${i}.example.com:443`);
    const doc = `tenant a {\n${rules.join("\n")}\n}\ntenant b allow egress to z.example.com:443\n`;
    const s = new SlackText(doc);
    const length = s.padded.length;
    const after = (t: string) => s.padded.indexOf(t);
    const at = doc.indexOf(":443");
    const far = after("h9.example.com");
    const near = after("h1.example.com");
    // Typing 40 characters on the first rule: 16 of its own slack, then the lines below lend theirs.
    let typed = "";
    for (let i = 0; i < 40; i++) {
      typed += "q";
      s.update(doc.slice(0, at) + typed + doc.slice(at));
      expect(unpad(s)).toBe(doc.slice(0, at) + typed + doc.slice(at));
    }
    expect(s.padded.length).toBe(length);
    expect(after("h1.example.com")).toBeGreaterThan(near);
    expect(after("h9.example.com")).toBe(far);
    // The last rule's slack can only come from the closing brace's line, which does not lend (it is
    // not indented: the change would cross the block): the text after it moves.
    const last = s.text.indexOf(":443", s.text.indexOf("h11."));
    const tail = after("tenant b");
    s.update(s.text.slice(0, last) + "q".repeat(20) + s.text.slice(last));
    expect(after("tenant b")).toBeGreaterThan(tail);
    expect(unpad(s)).toBe(s.text);
  });

  it("keeps its length while typing uses up a line's slack, and moves the rest once when it runs out", () => {
    const doc = "tenant a {\n  allow egress to x.example.com:443\n  allow egress to y.example.com:443\n}\n";
    expect(new SlackText(doc).padded).toBe(doc.replace(/\n/g, " ".repeat(OPEN_SLACK) + "\n") + " ".repeat(OPEN_SLACK));
    // A text without slack at the start: lines get it as they are edited.
    const s = new SlackText(doc, 0);
    expect(s.padded).toBe(doc);
    const at = doc.indexOf(":443");
    // The first keystroke on a line gives it slack (the text grows by it).
    s.update(doc.slice(0, at) + "q" + doc.slice(at));
    const length = s.padded.length;
    expect(length).toBe(doc.length + 1 + SLACK);
    let typed = "q";
    for (let i = 0; i <= SLACK; i++) {
      typed += "q";
      s.update(doc.slice(0, at) + typed + doc.slice(at));
      if (i < SLACK) expect(s.padded.length).toBe(length);
    }
    // The slack ran out: the line got more.
    expect(s.padded.length).toBe(length + 1 + SLACK);
    // Breaking the line and joining it again use the slack too.
    const now = s.text;
    const eol = now.indexOf("\n", at);
    const next = s.padded.indexOf("y.example.com");
    s.update(now.slice(0, eol) + "\n" + now.slice(eol));
    expect(s.padded.indexOf("y.example.com")).toBe(next);
    s.update(now);
    expect(s.padded.indexOf("y.example.com")).toBe(next);
    expect(unpad(s)).toBe(now);
  });
});

const TODAY = "2026-11-21";
const POLICY = "tenants/payments/policy.zt";
let work: string;

beforeAll(() => {
  work = copyExample("ztc-slack-");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Everything the server answers for a document, in LSP terms, asked at positions on every line. */
function answers(session: Session, uri: string, text: string, everywhere: boolean): unknown {
  const v: DocumentView = session.view(uri, text);
  const project = v.project!;
  const program = project.program!;
  const files = project.files(program);
  const url = "https://docs.example/zt";
  const toLsp = (d: Parameters<typeof toLspDiagnostic>[0]) => toLspDiagnostic(d, files.lines(d.file) ?? v.lines, files, url);
  const textDocument = { uri };
  const safe = <T>(f: () => T): T | string => {
    try {
      return f();
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };
  const real = new LineIndex(text);
  const at: { line: number; character: number }[] = [];
  for (let line = 0; everywhere && line < real.lineCount; line++) {
    const content = real.line(line);
    const columns = new Set([0, content.length, content.length + 2]);
    for (const m of content.matchAll(/[\w.*"/-]+/g)) columns.add(m.index + 1);
    for (const character of columns) at.push({ line, character });
  }
  const diagnostics = program.getDiagnostics().map(toLsp);
  return {
    diagnostics,
    symbols: H.documentSymbols(v, { textDocument }),
    folding: H.foldingRanges(v, { textDocument }),
    tokens: H.semanticTokens(v, { textDocument }),
    formatting: H.formatting(v, { textDocument, options: { tabSize: 2, insertSpaces: true } }),
    lenses: H.codeLenses(v, { textDocument }),
    yaml: compileFile(program, v.path).yaml,
    actionsAtDiagnostics: diagnostics.map((d) => H.codeActions(v, { textDocument, range: d.range, context: { diagnostics: [] } }, toLsp)),
    at: at.map((position) => ({
      position,
      hover: safe(() => H.hover(v, { textDocument, position })),
      completion: safe(() => H.completion(v, { textDocument, position }, true)),
      definition: safe(() => H.definition(v, { textDocument, position })),
      references: safe(() => H.references(v, { textDocument, position, context: { includeDeclaration: true } })),
      highlights: safe(() => H.highlights(v, { textDocument, position })),
      rename: safe(() => [H.prepareRename(v, { textDocument, position }), H.rename(v, { textDocument, position, newName: "renamed" })]),
      actions: safe(() => H.codeActions(v, { textDocument, range: { start: position, end: position }, context: { diagnostics: [] } }, toLsp)),
      onType: safe(() => [H.onTypeFormatting(v, { textDocument, position, ch: "\n", options: { tabSize: 2, insertSpaces: true } }), H.onTypeFormatting(v, { textDocument, position, ch: "}", options: { tabSize: 2, insertSpaces: true } })]),
      explain: safe(() => H.explain(v, { position })),
    })),
  };
}

describe("a document with slack", () => {
  it("is only one the compiler would take with all the slack its lines may get", () => {
    const uri = pathToFileURL(join(work, "tenants/payments/big.zt")).href;
    const session = new Session({ today: TODAY });
    const project = () => [...session.projects.values()][0]!;
    const line = "// " + "x".repeat(60) + "\n";
    // Small enough for slack; then, grown by a paste, too large for it.
    const small = line.repeat(1000);
    session.setDocument(uri, small);
    expect(project().overlay.get("tenants/payments/big.zt")).not.toBe(small);
    const big = line.repeat(Math.ceil(MAX_SOURCE_CHARS / line.length) - 10);
    expect(big.length).toBeLessThan(MAX_SOURCE_CHARS);
    session.setDocument(uri, big);
    expect(project().overlay.get("tenants/payments/big.zt")).toBe(big);
    session.setDocument(uri, big + "// more\n");
    expect(project().overlay.get("tenants/payments/big.zt")).toBe(big + "// more\n");
  });

  it.each([
    ["\n", 3],
    ["\r\n", 9],
  ])("gets from every feature what the same document without slack gets, through typing, new lines, joins and pastes (line ends %j)", (eol, every) => {
    const uri = pathToFileURL(join(work, POLICY)).href;
    const original = readFileSync(join(work, POLICY), "utf8");
    const steps: string[] = [];
    let doc = original;
    const type = (at: number, s: string) => {
      for (const ch of s) {
        doc = doc.slice(0, at) + ch + doc.slice(at);
        at++;
        steps.push(doc);
      }
    };
    const remove = (at: number, n: number) => {
      for (let i = 0; i < n; i++) {
        doc = doc.slice(0, at - 1) + doc.slice(at);
        at--;
        steps.push(doc);
      }
    };
    // A typo in a host name, typed and taken back (an unapproved destination, with its fixes).
    const host = doc.indexOf("stripe.com") + "stripe".length;
    type(host, "xy");
    remove(host + 2, 2);
    // A new rule on a new line, typed a character at a time.
    const end = doc.indexOf("\n", doc.indexOf("files.stripe.com"));
    type(end, '\n  allow egress from api to tenant ledger workload ledger-api port 8444 http GET "/x');
    // A line broken in two (a continuation line), then joined again.
    const cut = doc.indexOf(" http GET");
    type(cut, "\n   ");
    remove(cut + 4, 4);
    // Trailing white space the user typed, a comment, an unterminated string; a paste of several lines.
    const comment = doc.indexOf("// The worker watches");
    type(doc.indexOf("\n", comment), "   ");
    type(doc.indexOf("\n", comment), " note");
    doc = doc.replace("use kube-apiserver for worker", "use kube-apiserver for worker\n  allow egress from worker to api.stripe.com:443\n  allow egress from worker to api.stripe.com:443");
    steps.push(doc);
    type(doc.indexOf("deny egress"), "allow ingress to api port 9090 from workload worker\n  ");
    // A rule set with documentation (line and block comments), used, its comments then edited.
    doc += "\n// A local cache.\n// Port: the cache's port.\nruleset local-cache(port: port = 6379) {\n  allow egress to namespace payments workload app=redis port $port\n}\n/* Another one,\n   on two lines. */\nruleset local-queue {\n  allow egress to namespace payments workload app=queue port 5672\n}\n";
    doc = doc.replace("use prometheus-scrape for api", "use prometheus-scrape for api\n  use local-cache(port: 6380) for api\n  use local-queue for api");
    steps.push(doc);
    type(doc.indexOf("A local cache.") + "A local".length, " shared");
    type(doc.indexOf("on two lines.") + "on two".length, "  ");
    // Lines deleted at once, and the file as it was.
    doc = doc.replace(/\n  \/\/ Checkout creates[^\n]*\n/, "\n");
    steps.push(doc, original);

    const withSlack = new Session({ today: TODAY });
    withSlack.setDocument(uri, original.replace(/\n/g, eol));
    for (const [i, lf] of steps.entries()) {
      const text = lf.replace(/\n/g, eol);
      withSlack.setDocument(uri, text);
      const fresh = new Session({ today: TODAY, slack: false });
      fresh.setDocument(uri, text);
      // Every few keystrokes is compared, at positions on every line less often (the rest keep the slack's history going).
      if (i % every !== 0 && i !== steps.length - 1) continue;
      const everywhere = i % (4 * every) === 0 || i === steps.length - 1;
      const project = [...withSlack.projects.values()][0]!;
      expect(project.overlay.get(POLICY), `step ${i} has slack`).not.toBe(text);
      expect(answers(withSlack, uri, text, everywhere), `step ${i}`).toEqual(answers(fresh, uri, text, everywhere));
    }
  });
});
