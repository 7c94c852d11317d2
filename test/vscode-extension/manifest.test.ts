/**
 * The VS Code extension's static parts, kept in step with the compiler: the TextMate grammar's
 * keywords are the lexer's, the problem matcher reads the CLI's output, every contributed command
 * is implemented, and the snippets and configuration are valid JSON.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KEYWORDS } from "../../language/index.js";
import { paymentsProgram, program } from "../helpers/project.js";
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
      ["ztc: Compile workspace", "ztc: Explain flow…", "ztc: Request approval for destination", "ztc: Restart language server", "ztc: Show compiled YAML"],
    );
  });

  it("pins the client's VS Code engine to the types it is built against", () => {
    const root = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8"));
    expect(manifest.engines.vscode).toBe("^1.91.0");
    expect(root.devDependencies["@types/vscode"]).toBe("1.91.0");
    expect(root.devDependencies["vscode-languageclient"]).toBe("11.0.0");
  });

  it("ships snippets for the main statements", () => {
    const snippets = json("snippets/zt.json") as Record<string, { prefix: string; body: string[] }>;
    expect(Object.values(snippets).map((s) => s.prefix).sort()).toEqual(["allow", "baseline", "expect", "expect default deny", "import", "ruleset", "tenant", "use"]);
    expect(json("language-configuration.json").comments.lineComment).toBe("//");
  });

  it("has snippets in the real syntax: each, with its placeholders' defaults, parses and checks without a problem", () => {
    const snippets = json("snippets/zt.json") as Record<string, { prefix: string; body: string[] }>;
    // Where each statement is written: a file of its owner, with what it names around it.
    const contexts: Record<string, { file: string; before?: string; after?: string; extra?: Record<string, string> }> = {
      tenant: { file: "tenants/payments/policy.zt" },
      allow: { file: "tenants/payments/policy.zt" },
      import: { file: "tenants/payments/policy.zt", after: "tenant payments {\n  use dns\n}\n" },
      baseline: { file: "platform/baseline.zt" },
      ruleset: { file: "platform/shared.zt" },
      use: { file: "tenants/payments/policy.zt", before: 'import "stdlib/prometheus@1"\ntenant payments {\n  workload api = app=payments-api\n', after: "}\n" },
      expect: { file: "tenants/payments/tests.zt", extra: { "tenants/payments/policy.zt": "tenant payments {\n  workload api = app=payments-api\n}\n" } },
      "expect default deny": { file: "platform/tests.zt" },
    };
    for (const s of Object.values(snippets)) {
      const c = contexts[s.prefix]!;
      const body = expandSnippet(s.body.join("\n"));
      const text = `${c.before ?? ""}${body}\n${c.after ?? ""}`;
      const p = program({ [c.file]: text, ...(c.extra ?? {}) });
      const problems = p.getDiagnostics().filter((d) => d.file !== "registry/approvals.yaml");
      expect(problems.map((d) => `${d.code} ${d.message}`), `${s.prefix}:\n${text}`).toEqual([]);
      expect(p.units.some((u) => u.path === c.file && u.ast.items.length > 0)).toBe(true);
    }
  });

  it("colours module paths, rule set names, parameters and verdicts", () => {
    const scopes = (text: string) => {
      const out: string[] = [];
      for (const p of grammar.patterns as { include: string }[]) {
        for (const rule of grammar.repository[p.include.slice(1)].patterns as { match?: string; name?: string; captures?: Record<string, { name: string }> }[]) {
          if (!rule.match) continue;
          for (const m of text.matchAll(new RegExp(rule.match, "g"))) {
            if (rule.name) out.push(`${m[0]} ${rule.name}`);
            for (const [i, cap] of Object.entries(rule.captures ?? {})) if (m[Number(i)]) out.push(`${m[Number(i)]} ${cap.name}`);
          }
        }
      }
      return out;
    };
    expect(scopes('import "stdlib/dns@1"')).toContain('"stdlib/dns@1" string.quoted.double.module.zt');
    expect(scopes("export ruleset scrape(port: port = 9090) {")).toContain("scrape entity.name.function.ruleset.zt");
    expect(scopes("  use prometheus-scrape(port: 9100) for api")).toContain("prometheus-scrape entity.name.function.ruleset.zt");
    expect(scopes("baseline cluster-defaults {")).toContain("cluster-defaults entity.name.type.baseline.zt");
    expect(scopes("allow ingress port $port from namespace monitoring")).toContain("$port variable.parameter.zt");
    expect(scopes("expect payments/api -> api.stripe.com:443 denied")).toContain("denied keyword.other.verdict.zt");
  });
});

/** A snippet as inserted when every placeholder keeps its default (the first choice of a list). */
function expandSnippet(body: string): string {
  return body
    .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, "$1")
    .replace(/\$\{\d+:([^}]*)\}/g, "$1")
    .replace(/\$\d+/g, "")
    .replace(/\\\$/g, "$");
}

describe("README, Editors", () => {
  it("shows the Neovim configuration that the end-to-end test uses", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const lua = readFileSync(join(import.meta.dirname, "../e2e/nvim/ztc.lua"), "utf8");
    expect(readme).toContain("```lua\n" + lua.trimEnd() + "\n```");
  });
});
