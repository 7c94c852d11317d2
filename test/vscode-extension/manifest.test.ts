/**
 * The VS Code extension's static parts, kept in step with the compiler: the TextMate grammar's
 * keywords are the lexer's, the problem matcher reads the CLI's output, every contributed command
 * is implemented, and the snippets and configuration are valid JSON.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KEYWORDS } from "../../language/index.js";
import { paymentsProgram } from "../helpers/project.js";
import { renderText } from "../../compiler/cli/render.js";

const EXT = join(import.meta.dirname, "../../vscode-extension");
const json = (file: string) => JSON.parse(readFileSync(join(EXT, file), "utf8"));
const manifest = json("package.json");
const grammar = json("syntaxes/zt.tmLanguage.json");

/** The words of `(a|b|c)` groups in a TextMate regex. */
function alternatives(regex: string): string[] {
  const group = /\(((?:[a-z0-9-]+\|)*[a-z0-9-]+)\)/.exec(regex);
  return group ? group[1]!.split("|") : [];
}

describe("VS Code extension", () => {
  it("colours exactly the lexer's keywords", () => {
    const patterns = grammar.repository.keywords.patterns as { match: string }[];
    const words = patterns.flatMap((p) => alternatives(p.match));
    expect([...words].sort()).toEqual([...KEYWORDS].sort());
    expect(new Set(words).size).toBe(words.length);
  });

  it("matches keywords only as whole words, not inside names and hosts", () => {
    const patterns = (grammar.repository.keywords.patterns as { match: string }[]).map((p) => new RegExp(p.match, "g"));
    const hits = (text: string) => patterns.flatMap((r) => [...text.matchAll(r)].map((m) => m[0]));
    expect(hits("allow ingress to api port 8443 from namespace ingress-nginx").sort()).toEqual(["allow", "from", "ingress", "namespace", "port", "to"]);
    expect(hits('allow egress to host.example.com:443 http GET header "X-Id"').sort()).toEqual(["allow", "egress", "header", "http", "to"]);
    expect(hits("to host.example.com")).toEqual(["to"]);
    expect(hits("tenant-a workload_b")).toEqual([]);
  });

  it("has a problem matcher that reads `ztc check` output", () => {
    const [matcher] = manifest.contributes.problemMatchers;
    const re = new RegExp(matcher.pattern.regexp);
    const file = "tenants/payments/policy.zt";
    const program = paymentsProgram("tenant payments allow egress to api.evil.example:443\n");
    const text = renderText(
      { lineIndex: (f) => program.lineIndex(f), displayPath: (f) => f, color: false, version: "0", root: "/p" },
      program.getDiagnostics().filter((d) => d.file === file),
    );
    const m = re.exec(text.split("\n")[0]!);
    expect(m).not.toBeNull();
    expect([m![matcher.pattern.file], m![matcher.pattern.line], m![matcher.pattern.column], m![matcher.pattern.severity], m![matcher.pattern.code]]).toEqual([
      file,
      "1",
      "33",
      "error",
      "ZT3001",
    ]);
  });

  it("implements every command it contributes", () => {
    const source = readFileSync(join(EXT, "src/extension.ts"), "utf8");
    for (const c of manifest.contributes.commands as { command: string; title: string; category: string }[]) {
      expect(source).toContain(`registerCommand("${c.command}"`);
      expect(c.category).toBe("ztc");
    }
    expect(manifest.contributes.commands.map((c: { title: string }) => `ztc: ${c.title}`).sort()).toEqual(
      ["ztc: Compile workspace", "ztc: Request approval for destination", "ztc: Restart language server", "ztc: Show compiled YAML"],
    );
  });

  it("pins the client's VS Code engine to the types it is built against", () => {
    const root = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8"));
    expect(manifest.engines.vscode).toBe("^1.91.0");
    expect(root.devDependencies["@types/vscode"]).toBe("1.91.0");
    expect(root.devDependencies["vscode-languageclient"]).toBe("11.0.0");
  });

  it("ships valid snippets for the main statements", () => {
    const snippets = json("snippets/zt.json") as Record<string, { prefix: string; body: string[] }>;
    expect(Object.values(snippets).map((s) => s.prefix).sort()).toEqual(["allow", "baseline", "expect", "ruleset", "tenant"]);
    expect(json("language-configuration.json").comments.lineComment).toBe("//");
  });
});

describe("README, Editors", () => {
  it("shows the Neovim configuration that the end-to-end test uses", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const lua = readFileSync(join(import.meta.dirname, "../e2e/nvim/ztc.lua"), "utf8");
    expect(readme).toContain("```lua\n" + lua.trimEnd() + "\n```");
  });
});
