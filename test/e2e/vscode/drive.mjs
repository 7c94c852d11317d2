// Drives code-server (real VS Code in the browser) with headless Debian Chromium and checks the
// ztc extension the way a user meets it. Writes screenshots and summary.json to OUT_DIR.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.env.CS_URL;
const outDir = process.env.OUT_DIR ?? ".";
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const summary = { checks: {} };
const check = (name, ok, detail) => {
  summary.checks[name] = { ok: !!ok, ...(detail === undefined ? {} : { detail }) };
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok || detail === undefined ? "" : `: ${JSON.stringify(detail).slice(0, 300)}`}`);
};
const profile = mkdtempSync(join(tmpdir(), "ztc-e2e-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1440, height: 900 },
});
const page = ctx.pages()[0] ?? (await ctx.newPage());
page.on("console", (m) => {
  if (m.type() === "error") (summary.consoleErrors ??= []).push(m.text().slice(0, 200));
});

/** Opens a file of the workspace with Quick Open. */
async function open(path) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: 30000 });
  await input.fill(path);
  // The row for this very file (its folder shown beside the name), not a recently opened one.
  const parts = path.split("/");
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: parts[parts.length - 2] ?? "" }).filter({ hasText: parts[parts.length - 1] });
  await row.first().waitFor({ timeout: 30000 });
  await row.first().click();
  await page.locator(".tab.active", { hasText: parts[parts.length - 1] }).waitFor({ timeout: 30000 });
  await page.waitForTimeout(500);
}

/** Runs a command from the palette. */
async function command(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: 30000 });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 30000 });
  await page.keyboard.press("Enter");
}

const editor = () => page.locator(".editor-group-container.active .monaco-editor").first();

/** Types at the end of a line of the active editor and asks for completion; returns the suggestions. */
async function suggestAt(line, typed) {
  await editor().locator(".view-lines").click();
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").fill(`:${line}`);
  await page.keyboard.press("Enter");
  await page.keyboard.press("End");
  for (const [i, part] of typed.split("\n").entries()) {
    if (i > 0) await page.keyboard.press("Enter");
    if (part) await page.keyboard.type(part);
  }
  await page.keyboard.press("Control+Space");
  const rows = page.locator(".suggest-widget .monaco-list-row");
  await rows.first().waitFor({ timeout: 30000 });
  await page.waitForTimeout(1000);
  return rows.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? e.textContent));
}

/** Hovers the first token with this text in the active editor; returns the hover's text. */
async function hoverOn(text) {
  const token = editor().locator(".view-line span > span", { hasText: text }).first();
  const box = await token.boundingBox();
  await page.mouse.move(box.x + Math.min(6, box.width / 2), box.y + box.height / 2);
  const hover = page.locator(".monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden)").first();
  await hover.waitFor({ state: "visible", timeout: 30000 });
  await page.waitForTimeout(1500);
  return (await page.locator(".monaco-hover:not(.hidden)").allInnerTexts()).join("\n");
}

let ok = false;
try {
  await page.goto(url);
  await page.waitForSelector(".monaco-workbench", { timeout: 90000 });
  lap("workbench loaded");
  await page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ timeout: 60000 });

  // 1. A broken file: an error squiggle, with the right code in its hover.
  await open("tenants/checkout/broken.zt");
  await editor().locator(".squiggly-error").first().waitFor({ state: "attached", timeout: 90000 });
  lap("squiggle");
  const squiggle = editor().locator(".squiggly-error").first();
  const sbox = await squiggle.boundingBox();
  await page.mouse.move(sbox.x + sbox.width / 2, sbox.y + sbox.height / 2);
  await page.locator(".monaco-hover:not(.hidden)").first().waitFor({ state: "visible", timeout: 30000 });
  await page.waitForTimeout(1500);
  const problemHover = (await page.locator(".monaco-hover:not(.hidden)").allInnerTexts()).join("\n");
  check("error squiggle with code ZT3001 and its message", problemHover.includes("ZT3001") && problemHover.includes("not covered by an approval"), problemHover.slice(0, 300));
  await page.mouse.move(5, 5);
  await page.keyboard.press("Escape");

  // 1b. ztc: Request approval for destination, from the palette, with the cursor on the host.
  await editor().locator(".view-line span > span", { hasText: "api.evil.example" }).first().click();
  await command("ztc: Request approval for destination");
  await page.locator(".tab", { hasText: "approvals.yaml" }).first().waitFor({ timeout: 30000 });
  await page.waitForFunction(
    () => [...document.querySelectorAll(".editor-instance .view-lines")].some((v) => v.textContent?.includes("DRAFT-checkout-api-evil-example")),
    undefined,
    { timeout: 30000 },
  );
  const draft = await page.locator(".editor-instance .view-lines").evaluateAll((vs) => vs.map((v) => v.textContent).join("\n"));
  check("Request approval drafts a PENDING entry in approvals.yaml and shows it", draft.includes("DRAFT-checkout-api-evil-example") && draft.includes("PENDING"), draft.slice(0, 200));
  // Leave the registry as it is on disk.
  await command("File: Revert File");
  await page.waitForTimeout(500);

  // 2. Keyword colouring (TextMate grammar) in an example file.
  await open("tenants/checkout/policy.zt");
  await editor().locator(".view-lines").waitFor({ timeout: 30000 });
  await page.waitForTimeout(1500);
  const tokens = await editor()
    .locator(".view-line span > span")
    .evaluateAll((els) => els.map((e) => ({ text: e.textContent, color: getComputedStyle(e).color })));
  const colorOf = (t) => tokens.find((x) => x.text?.trim() === t)?.color;
  summary.tokens = tokens.slice(0, 40);
  const keyword = colorOf("workload");
  const plain = colorOf("checkout-web");
  check("keywords coloured differently from plain words", keyword && plain && keyword !== plain && colorOf("allow") && colorOf("allow") !== plain, { keyword, plain, allow: colorOf("allow") });

  // 3. Hover on a rule: the YAML it compiles to.
  const ruleHover = await hoverOn("allow");
  check("hover on a rule shows its compiled YAML", ruleHover.includes("Compiles to") && /(to|from)(FQDNs|Endpoints)/.test(ruleHover), ruleHover.slice(0, 400));
  await page.screenshot({ path: join(outDir, "ztc-vscode-hover.png") });
  await page.mouse.move(5, 5);
  await page.keyboard.press("Escape");

  // 4. Completion in a rule: checkout's approved destinations, not another tenant's.
  const labels = await suggestAt(5, "  allow egress from web to ");
  summary.completion = labels;
  check(
    "completion offers the tenant's approved destinations only",
    labels.some((l) => l.includes("api.paypal.com")) && labels.some((l) => l.includes("api.stripe.com")) && !labels.some((l) => l.includes("api.openai.com")),
    labels,
  );
  await page.screenshot({ path: join(outDir, "ztc-vscode-completion.png") });
  await page.keyboard.press("Escape");
  // Back to the file as it is on disk.
  await command("File: Revert File");
  await page.waitForTimeout(1000);

  // 5. The compiled-YAML view beside the file.
  await command("ztc: Show compiled YAML");
  const yamlTab = page.locator('.tab[aria-label*="policy.zt.yaml"]');
  await yamlTab.first().waitFor({ timeout: 30000 });
  await page.waitForFunction(
    () => [...document.querySelectorAll(".editor-instance .view-lines")].some((v) => v.textContent?.includes("CiliumNetworkPolicy")),
    undefined,
    { timeout: 30000 },
  );
  const yamlText = await page.locator(".editor-instance .view-lines").evaluateAll((vs) => vs.map((v) => v.textContent).join("\n"));
  check("Show compiled YAML opens the tenant's policies", yamlText.includes("zt-checkout") && yamlText.includes("CiliumNetworkPolicy"), yamlText.slice(0, 300));

  /** The text of every visible editor (Monaco renders spaces as non-breaking ones). */
  const editorsText = async () =>
    (await page.locator(".editor-instance .view-lines").evaluateAll((vs) => vs.map((v) => v.textContent).join("\n"))).replace(/\u00a0/g, " ");

  // 5b. Completion after `use`: the rule sets of the imported modules.
  await command("View: Close All Editors");
  await page.waitForTimeout(500);
  await open("tenants/payments/policy.zt");
  const useLabels = await suggestAt(18, "\nuse kube");
  summary.useCompletion = useLabels;
  check("completion after `use` offers the imported rule sets", useLabels.some((l) => l.includes("kube-apiserver")), useLabels);
  await page.keyboard.press("Escape");
  await command("File: Revert File");
  await page.waitForTimeout(1000);

  // 6. The Problems panel lists the workspace's diagnostics, also of files nobody opened.
  await page.keyboard.press("Control+Shift+M");
  await page.locator(".markers-panel .monaco-list-row").first().waitFor({ timeout: 30000 });
  await page.waitForTimeout(1500);
  const problems = await page.locator(".markers-panel .monaco-list-row").evaluateAll((els) => els.map((e) => `${e.textContent} | ${e.getAttribute("aria-label")}`));
  summary.problems = problems;
  // ZT3001 from the broken file, and the example's warnings in a file nobody opened (tenants/search).
  check("Problems panel shows ztc diagnostics (ZT3001, ZT3025, ZT3014)", ["ZT3001", "ZT3025", "ZT3014"].every((c) => problems.some((p) => p?.includes(c))), problems);

  await page.screenshot({ path: join(outDir, "ztc-vscode.png") });
  lap("screenshots");

  // 7. Code lenses on the expectations say whether each holds, once the project compiles: the
  //    broken file goes (on disk, as another tool would), and the server's file watching notices.
  await command("View: Toggle Panel Visibility");
  await open("tenants/payments/tests.zt");
  await editor().locator(".codelens-decoration", { hasText: "not evaluated: the project has 1 error" }).first().waitFor({ timeout: 60000 });
  unlinkSync(join(new URL(url).searchParams.get("folder"), "tenants/checkout/broken.zt"));
  const lens = editor().locator(".codelens-decoration a", { hasText: "holds" });
  await lens.first().waitFor({ timeout: 60000 });
  // Lenses are drawn as they come in: wait until the file's twelve are there.
  await page
    .waitForFunction(() => [...document.querySelectorAll(".editor-group-container.active .codelens-decoration")].filter((e) => e.textContent?.includes("holds")).length >= 12, undefined, { timeout: 30000 })
    .catch(() => undefined);
  const lensTexts = await editor().locator(".codelens-decoration").allInnerTexts();
  summary.codeLenses = lensTexts;
  check("code lenses on expect statements say ✓ holds", lensTexts.length === 12 && lensTexts.every((t) => t.includes("✓ holds")), lensTexts);
  await lens.first().click();
  await page.locator(".tab", { hasText: "explain-" }).first().waitFor({ timeout: 30000 });
  await page.waitForFunction(() => [...document.querySelectorAll(".editor-instance .view-lines")].some((v) => v.textContent?.includes("verdict:")), undefined, { timeout: 30000 });
  await page.screenshot({ path: join(outDir, "ztc-vscode-codelens.png") });
  const lensExplained = await editorsText();
  check(
    "a code lens explains its expectation's flow",
    lensExplained.includes("flow: payments/api -> api.stripe.com 443/tcp") && lensExplained.includes("verdict: ALLOWED"),
    lensExplained.slice(0, 300),
  );

  // 8. ztc: Explain flow…: a flow typed in, explained as `ztc explain` does.
  await command("View: Close All Editors");
  await page.waitForTimeout(500);
  await open("tenants/payments/tests.zt");
  await command("ztc: Explain flow");
  const flowInput = page.locator(".quick-input-widget input");
  await flowInput.waitFor({ timeout: 30000 });
  await flowInput.fill("payments/worker -> api.stripe.com:443");
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    () => [...document.querySelectorAll(".editor-instance .view-lines")].some((v) => v.textContent?.replace(/\u00a0/g, " ").includes("flow: payments/worker -> api.stripe.com")),
    undefined,
    { timeout: 30000 },
  );
  const explained = await editorsText();
  summary.explained = explained.slice(0, 1500);
  check(
    "ztc: Explain flow… shows the verdict, the missing rule and its approval",
    explained.includes("verdict: DROPPED") && explained.includes("allow egress from worker to api.stripe.com:443") && explained.includes("already covered by APR-0042"),
    explained.slice(0, 400),
  );
  await page.screenshot({ path: join(outDir, "ztc-vscode-explain.png") });

  ok = Object.values(summary.checks).every((c) => c.ok);
} catch (e) {
  summary.error = String(e?.stack ?? e);
  console.log(`FAIL ${summary.error}`);
  await page.screenshot({ path: join(outDir, "ztc-vscode-failure.png") }).catch(() => {});
} finally {
  summary.ok = ok;
  summary.seconds = (Date.now() - t0) / 1000;
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(summary, null, 2));
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  console.log(ok ? "RESULT PASS" : "RESULT FAIL");
  process.exit(ok ? 0 : 1);
}
