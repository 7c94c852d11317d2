/**
 * The real server (bin/ztc.js lsp --stdio, the built bundle) over stdio with a JSON-RPC client:
 * every feature once, workspace awareness through watched files, and bad input of every kind.
 */
import { readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExample, ROOT } from "../helpers/example.js";
import { LspClient } from "../helpers/lsp-client.js";

const TODAY = "2026-11-21";
let work: string;
let c: LspClient;
const uri = (rel: string) => pathToFileURL(join(work, rel)).href;
const read = (rel: string) => readFileSync(join(work, rel), "utf8");
const pos = (line: number, character: number) => ({ line, character });

/** The position of `word` (its `at`-th character) in the payments policy of the example. */
function find(word: string, at = 0, after = "") {
  const lines = readFileSync(join(ROOT, "examples/acme/tenants/payments/policy.zt"), "utf8").split("\n");
  const line = lines.findIndex((l) => l.includes(word) && l.includes(after));
  return pos(line, lines[line]!.indexOf(word) + at);
}
const STRIPE_RULE = find("allow", 2, "api.stripe.com");
const STRIPE_HOST = find("api.stripe.com");
const TENANT_NAME = find("payments", 2, "tenant payments {");
const API_DECL = find("api", 1, "workload api");

function open(rel: string, text = read(rel)) {
  c.notify("textDocument/didOpen", { textDocument: { uri: uri(rel), languageId: "zt", version: 1, text } });
}

beforeAll(async () => {
  work = copyExample("ztc-lsp-");
  c = new LspClient({ command: process.execPath, args: [join(ROOT, "bin/ztc.js"), "lsp", "--stdio"], cwd: work });
  const search = c.diagnostics(uri("tenants/search/policy.zt"));
  const init = (await c.initialize(pathToFileURL(work).href, { today: TODAY }, { workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } })) as {
    capabilities: Record<string, unknown>;
  };
  expect(init.capabilities).toMatchObject({ hoverProvider: true, renameProvider: { prepareProvider: true } });
  await search;
});

afterAll(async () => {
  await c?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("language server over stdio", () => {
  it("checks the whole workspace at start: diagnostics for files nobody opened, linked to their docs", async () => {
    const search = c.lastDiagnostics(uri("tenants/search/policy.zt"))!;
    expect(search.diagnostics.map((d) => d.code)).toEqual(["ZT3025", "ZT3014"]);
    const d = search.diagnostics[1] as { codeDescription?: { href: string }; source?: string };
    expect(d.codeDescription?.href).toMatch(/docs\/diagnostics\.md#zt3014-all-ports$/);
    expect(d.source).toBe("ztc");
    await c.waitFor((m) => m.method === "textDocument/publishDiagnostics" && (m.params as { uri: string }).uri === uri("registry/approvals.yaml"), 10_000, true);
    expect(c.lastDiagnostics(uri("registry/approvals.yaml"))!.diagnostics.map((x) => x.code)).toEqual(["ZT5017"]);
    expect(c.lastDiagnostics(uri("tenants/checkout/policy.zt"))?.diagnostics ?? []).toEqual([]);
    // The client was asked to watch .zt and registry files.
    expect(c.received.some((m) => m.method === "client/registerCapability")).toBe(true);
  });

  it("answers every feature on an open file", async () => {
    const rel = "tenants/payments/policy.zt";
    open(rel);
    const doc = { uri: uri(rel) };
    const hover = await c.call<{ contents: { value: string } }>("textDocument/hover", { textDocument: doc, position: STRIPE_RULE });
    expect(hover.contents.value).toContain("matchName: api.stripe.com");
    const completion = await c.call<{ items: { label: string; detail?: string }[] }>("textDocument/completion", { textDocument: doc, position: STRIPE_HOST });
    expect(completion.items.find((i) => i.label === "api.stripe.com")?.detail).toBe("APR-0042 · 443/tcp · expires 2030-06-30");
    const def = await c.call<{ uri: string }[]>("textDocument/definition", { textDocument: doc, position: TENANT_NAME });
    expect(def[0]!.uri).toBe(uri("registry/tenants.yaml"));
    const refs = await c.call<unknown[]>("textDocument/references", { textDocument: doc, position: API_DECL, context: { includeDeclaration: true } });
    expect(refs.length).toBeGreaterThan(3);
    const rename = await c.call<{ changes: Record<string, unknown[]> }>("textDocument/rename", { textDocument: doc, position: API_DECL, newName: "card-api" });
    // The workload is named in checkout's policy and in the tests of both teams.
    expect(Object.keys(rename.changes).sort()).toEqual(
      [uri("tenants/checkout/policy.zt"), uri(rel), uri("tenants/payments/tests.zt")].sort(),
    );
    const badRename = await c.request("textDocument/rename", { textDocument: doc, position: TENANT_NAME, newName: "x" });
    expect(badRename.error?.message).toContain("tenant registry");
    const symbols = await c.call<{ name: string }[]>("textDocument/documentSymbol", { textDocument: doc });
    expect(symbols.map((s) => s.name)).toEqual(["import stdlib/prometheus@1", "import stdlib/ingress-controller@1", "import stdlib/kube-apiserver@1", "tenant payments"]);
    expect((await c.call<unknown[]>("textDocument/foldingRange", { textDocument: doc })).length).toBeGreaterThan(0);
    const tokens = await c.call<{ data: number[] }>("textDocument/semanticTokens/full", { textDocument: doc });
    expect(tokens.data.length % 5).toBe(0);
    // The example is formatted (aligned workload declarations are ztc fmt's own style): no edits.
    expect(await c.call<unknown[]>("textDocument/formatting", { textDocument: doc, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
    const messy = "tenants/ledger/messy.zt";
    open(messy, "tenant ledger {\n   allow   egress to api.stripe.com:443\n}\n");
    const fmt = await c.call<{ newText: string }[]>("textDocument/formatting", { textDocument: { uri: uri(messy) }, options: { tabSize: 2, insertSpaces: true } });
    expect(fmt.length).toBeGreaterThan(0);
    c.notify("textDocument/didClose", { textDocument: { uri: uri(messy) } });
  });

  it("knows modules, rule sets and expectations: completion after use, definition into the stdlib, hover and code lenses on expects", async () => {
    const rel = "tenants/payments/policy.zt";
    const doc = { uri: uri(rel) };
    // After `use`: the imported rule sets, as plain text for a client without snippets; others add their import.
    const completion = await c.call<{ items: { label: string; insertTextFormat?: number; textEdit?: { newText: string }; additionalTextEdits?: { newText: string }[] }[] }>(
      "textDocument/completion",
      { textDocument: doc, position: find("kube-apiserver", 0, "use kube-apiserver") },
    );
    const kube = completion.items.find((i) => i.label === "kube-apiserver")!;
    expect(kube).toMatchObject({ insertTextFormat: 1, textEdit: { newText: "kube-apiserver(port: 6443)" } });
    expect(completion.items.find((i) => i.label === "within-namespace")?.additionalTextEdits?.[0]?.newText).toBe('\nimport "stdlib/within-namespace@1"');
    // Definition: a bundled module is opened from the stdlib folder installed with ztc; the project's own version from the project.
    const bundled = await c.call<{ uri: string; range: { start: { line: number } } }[]>("textDocument/definition", { textDocument: doc, position: find("kube-apiserver", 2, "use kube-apiserver") });
    expect(bundled).toHaveLength(1);
    expect(bundled[0]!.uri).toBe(pathToFileURL(join(ROOT, "stdlib/kube-apiserver@1.zt")).href);
    const stdlibLine = readFileSync(join(ROOT, "stdlib/kube-apiserver@1.zt"), "utf8").split("\n")[bundled[0]!.range.start.line];
    expect(stdlibLine).toContain("export ruleset kube-apiserver(");
    const own = await c.call<{ uri: string }[]>("textDocument/definition", { textDocument: doc, position: find("prometheus-scrape", 2, "use prometheus-scrape") });
    expect(own[0]!.uri).toBe(uri("platform/stdlib/prometheus@1.zt"));
    const module = await c.call<{ uri: string }[]>("textDocument/definition", { textDocument: doc, position: find("stdlib/kube-apiserver@1", 3) });
    expect(module[0]!.uri).toBe(pathToFileURL(join(ROOT, "stdlib/kube-apiserver@1.zt")).href);
    const useHover = await c.call<{ contents: { value: string } }>("textDocument/hover", { textDocument: doc, position: find("ingress-nginx", 2, "use ingress-nginx") });
    expect(useHover.contents.value).toContain("Arguments here:\n- `port` = `8443`");

    const tests = "tenants/payments/tests.zt";
    open(tests);
    const lines = read(tests).split("\n");
    const lenses = await c.call<{ range: { start: { line: number } }; command: { title: string; command: string; arguments: unknown[] } }[]>("textDocument/codeLens", { textDocument: { uri: uri(tests) } });
    expect(lenses.map((l) => l.range.start.line)).toEqual(lines.flatMap((l, i) => (l.startsWith("expect") ? [i] : [])));
    expect(lenses.every((l) => l.command.title === "✓ holds" && l.command.command === "ztc.explain")).toBe(true);
    const expectLine = lines.findIndex((l) => l.includes("DELETE"));
    const hover = await c.call<{ contents: { value: string } }>("textDocument/hover", { textDocument: { uri: uri(tests) }, position: pos(expectLine, 2) });
    expect(hover.contents.value).toContain("**✓ holds**: the flow is denied");
    expect(hover.contents.value).toContain("request rejected by the L7 rules of tenants/payments/policy.zt:22");
  });

  it("explains flows: the ztc/explain request and the ztc.explain command, as ztc explain prints them", async () => {
    const tests = "tenants/payments/tests.zt";
    const flow = "payments/worker -> api.stripe.com:443";
    const r = await c.call<{ ok: boolean; verdict: string; text: string; fixes: { rule?: string; approval?: { status: string; ids: string[] } }[] }>("ztc/explain", { uri: uri(tests), flow });
    expect(r).toMatchObject({ ok: true, verdict: "dropped" });
    expect(r.fixes[0]).toMatchObject({ rule: "allow egress from worker to api.stripe.com:443", approval: { status: "approved", ids: ["APR-0042"] } });
    // The same text as the command line's.
    const { main } = await import("../../compiler/cli/main.js");
    let cli = "";
    await main(["explain", flow, work, "--today", TODAY], { cwd: work, env: {}, stdout: (s) => (cli += s), stderr: (s) => (cli += s), stderrIsTTY: false });
    expect(r.text).toBe(cli);
    // The code lens's command: the flow of the expect statement at a position.
    const lines = read(tests).split("\n");
    const line = lines.findIndex((l) => l.includes("api.example.org"));
    const cmd = await c.call<{ ok: boolean; verdict: string; rules: { role: string; location?: { uri: string; range: { start: { line: number } } } }[] }>(
      "workspace/executeCommand",
      { command: "ztc.explain", arguments: [{ uri: uri(tests), position: pos(line, 3) }] },
    );
    expect(cmd).toMatchObject({ ok: true, verdict: "dropped" });
    const located = cmd.rules.find((x) => x.location?.uri === uri("tenants/payments/policy.zt"));
    expect(located?.role).toBe("default-deny");
    expect(await c.call("ztc/explain", { uri: uri(tests), flow: "payments/nope -> x.example.com:443" })).toMatchObject({ ok: false, error: expect.stringContaining("nope") });
  });

  it("updates diagnostics as the user types, and offers the approval request", async () => {
    const rel = "tenants/search/policy.zt";
    const text = read(rel);
    open(rel, text);
    const line = text.split("\n").findIndex((l) => l.includes("api.openai.com"));
    const col = text.split("\n")[line]!.indexOf("api.openai.com");
    const next = c.diagnostics(uri(rel), undefined, 2);
    c.notify("textDocument/didChange", {
      textDocument: { uri: uri(rel), version: 2 },
      contentChanges: [{ range: { start: pos(line, col), end: pos(line, col + "api.openai.com".length) }, text: "api.evil.example" }],
    });
    expect((await next).diagnostics.map((d) => d.code).sort()).toEqual(["ZT3001", "ZT3014", "ZT3025"]);
    const actions = await c.call<{ title: string; kind: string; edit: { changes: Record<string, unknown> }; command?: { command: string } }[]>("textDocument/codeAction", {
      textDocument: { uri: uri(rel) },
      range: { start: pos(line, col + 2), end: pos(line, col + 2) },
      context: { diagnostics: [], only: ["quickfix"] },
    });
    const request = actions.find((a) => a.kind === "quickfix.ztc.requestApproval")!;
    expect(Object.keys(request.edit.changes)).toEqual([uri("registry/approvals.yaml")]);
    expect(request.command?.command).toBe("ztc.server.showLocation");
    const compiled = await c.call<{ yaml: string; tenants: string[] }>("ztc/compiledYaml", { uri: uri(rel) });
    expect(compiled.tenants).toEqual(["search"]);
    expect(compiled.yaml).toContain("name: zt-search-default-deny");
    // Undo: back to the two warnings.
    const back = c.diagnostics(uri(rel), undefined, 3);
    c.notify("textDocument/didChange", { textDocument: { uri: uri(rel), version: 3 }, contentChanges: [{ text }] });
    expect((await back).diagnostics.map((d) => d.code)).toEqual(["ZT3025", "ZT3014"]);
  });

  it("follows files created, changed and deleted on disk (watched files)", async () => {
    const rel = "tenants/ledger/extra.zt";
    writeFileSync(join(work, rel), "tenant ledger allow egress to api.evil.example:443\n");
    const created = c.diagnostics(uri(rel));
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(rel), type: 1 }] });
    expect((await created).diagnostics.map((d) => d.code)).toEqual(["ZT3001"]);
    unlinkSync(join(work, rel));
    const gone = c.diagnostics(uri(rel));
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(rel), type: 3 }] });
    expect((await gone).diagnostics).toEqual([]);
  });

  it("survives a registry that becomes invalid, and recovers when it is fixed", async () => {
    const reg = "registry/approvals.yaml";
    const good = read(reg);
    writeFileSync(join(work, reg), good.replace("approvals:", "approvals: [\n"));
    const broken = c.diagnostics(uri(reg));
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(reg), type: 2 }] });
    expect((await broken).diagnostics.map((d) => d.code)).toContain("ZT5001");
    const doc = { uri: uri("tenants/payments/policy.zt") };
    expect((await c.request("textDocument/hover", { textDocument: doc, position: STRIPE_RULE })).error).toBeUndefined();
    expect((await c.request("textDocument/completion", { textDocument: doc, position: STRIPE_HOST })).error).toBeUndefined();
    writeFileSync(join(work, reg), good);
    const fixed = c.diagnostics(uri(reg));
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(reg), type: 2 }] });
    expect((await fixed).diagnostics.map((d) => d.code)).toEqual(["ZT5017"]);
  });

  it("answers or reports bad requests and keeps running", async () => {
    const doc = { uri: uri("tenants/payments/policy.zt") };
    // Positions far outside the document are clamped.
    expect((await c.request("textDocument/hover", { textDocument: doc, position: pos(99999, 99999) })).error).toBeUndefined();
    expect((await c.request("textDocument/completion", { textDocument: doc, position: pos(-5, -7) })).error).toBeUndefined();
    // Missing and nonsensical parameters.
    expect((await c.request("textDocument/hover", {})).error?.code).toBe(-32602);
    expect((await c.request("textDocument/hover", { textDocument: { uri: 42 }, position: "x" })).error?.code).toBe(-32602);
    expect((await c.request("textDocument/definition", null)).error).toBeDefined();
    // Documents that are not .zt, that do not exist, or are not files.
    expect((await c.request("textDocument/hover", { textDocument: { uri: uri("registry/tenants.yaml") }, position: pos(0, 0) })).result).toBeNull();
    expect((await c.request("textDocument/hover", { textDocument: { uri: uri("nope/missing.zt") }, position: pos(0, 0) })).result).toBeNull();
    const untitled = c.diagnostics("untitled:Untitled-1.zt");
    c.notify("textDocument/didOpen", { textDocument: { uri: "untitled:Untitled-1.zt", languageId: "zt", version: 1, text: "tenant x {\n  allo\n}\n" } });
    expect((await untitled).diagnostics.map((d) => d.code)).toEqual(["ZT1001"]);
    // Explain without a document, with a nonsensical position, for a file outside any project.
    expect((await c.request("ztc/explain", {})).error?.code).toBe(-32602);
    expect((await c.request("ztc/explain", { uri: doc.uri, position: "x" })).result).toMatchObject({ ok: false });
    expect((await c.request("workspace/executeCommand", { command: "ztc.explain", arguments: [] })).error?.code).toBe(-32602);
    // Unknown methods, malformed JSON, a notification for a document nobody opened.
    expect((await c.request("ztc/noSuchMethod", {})).error?.code).toBe(-32601);
    c.writeRaw("{ this is not json");
    c.notify("textDocument/didChange", { textDocument: { uri: uri("never/opened.zt"), version: 9 }, contentChanges: [{ text: "x" }] });
    c.notify("textDocument/didClose", { textDocument: { uri: uri("never/opened.zt") } });
    // Cancelled straight away: either an answer or RequestCancelled, never silence.
    const sent = Array.from({ length: 20 }, () => c.send("textDocument/completion", { textDocument: doc, position: STRIPE_HOST }));
    for (const s of sent) c.notify("$/cancelRequest", { id: s.id });
    for (const s of sent) {
      const m = await s.response;
      expect(m.error === undefined || m.error.code === -32800, JSON.stringify(m.error)).toBe(true);
    }
    c.notify("$/cancelRequest", { id: 123456789 });
    expect(c.exited).toBeUndefined();
    expect((await c.request("textDocument/hover", { textDocument: doc, position: STRIPE_RULE })).result).toBeTruthy();
  });

  it("keeps up with 100 edits per second and ends with the right diagnostics", async () => {
    const rel = "tenants/ledger/policy.zt";
    const text = read(rel);
    open(rel, text);
    const doc = { uri: uri(rel) };
    let version = 1;
    for (let i = 0; i < 200; i++) {
      // Type a comment character by character, then a broken rule, 10 ms apart.
      const insert = i % 50 === 49 ? "\n  allow egress to" : "x";
      c.notify("textDocument/didChange", {
        textDocument: { uri: uri(rel), version: ++version },
        contentChanges: [{ range: { start: pos(1, 0), end: pos(1, 0) }, text: insert }],
      });
      if (i % 20 === 0) expect((await c.request("textDocument/hover", { textDocument: doc, position: pos(4, 4) }, 10_000)).error).toBeUndefined();
      await new Promise((r) => setTimeout(r, 10));
    }
    const settled = c.diagnostics(uri(rel));
    c.notify("textDocument/didChange", { textDocument: { uri: uri(rel), version: ++version }, contentChanges: [{ text }] });
    expect((await settled).diagnostics).toEqual([]);
    expect(c.exited).toBeUndefined();
  });

  it("checks changes that arrive together once, for the last of them", async () => {
    const rel = "tenants/ledger/policy.zt";
    const text = read(rel);
    open(rel, text);
    const before = c.received.length;
    let version = 1000;
    const frames = Array.from({ length: 20 }, (_, i) => {
      const body = JSON.stringify({
        jsonrpc: "2.0",
        method: "textDocument/didChange",
        params: { textDocument: { uri: uri(rel), version: ++version }, contentChanges: [{ text: text + "//" + "x".repeat(i) + "\n" }] },
      });
      return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    });
    const last = version;
    const settled = c.waitFor((m) => m.method === "textDocument/publishDiagnostics" && (m.params as { version?: number }).version === last, 10_000);
    c.writeBytes(frames.join(""));
    await settled;
    const published = c.received.slice(before).filter((m) => m.method === "textDocument/publishDiagnostics" && (m.params as { uri: string }).uri === uri(rel));
    expect(published.map((m) => (m.params as { version?: number }).version)).toEqual([last]);
  });

  it("shuts down cleanly", async () => {
    await c.stop();
    expect(c.exited).toEqual({ code: 0, signal: null });
    expect(c.stderr).not.toMatch(/TypeError|ReferenceError|at .*\.js:\d+/);
  });
});
