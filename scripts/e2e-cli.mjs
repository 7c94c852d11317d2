// End-to-end checks of the built CLI (dist/ztc.js through bin/ztc.js), as separate processes:
// what the in-process tests cannot see (bundling, process exit codes, stdout/stderr plumbing).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin/ztc.js");
const work = mkdtempSync(join(tmpdir(), "ztc-e2e-"));
let failures = 0;

function ztc(args, cwd = work) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, ZTC_TODAY: "2026-11-21", NO_COLOR: "1" } });
  return { ...r, ms: Number(process.hrtime.bigint() - t) / 1e6 };
}
function check(name, ok, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok || !detail ? "" : `\n     ${detail.slice(0, 800)}`}`);
  if (!ok) failures++;
}

try {
  const repo = join(work, "acme");
  cpSync(join(root, "examples/acme"), repo, { recursive: true, filter: (s) => !s.includes("/out") });

  const version = ztc(["--version"]);
  check("--version", version.status === 0 && /^ztc \d+\.\d+\.\d+\n$/.test(version.stdout), version.stderr);

  const compile = ztc(["compile", repo]);
  const files = readdirSync(join(repo, "out"), { recursive: true }).filter((f) => String(f).endsWith(".yaml"));
  check(`compile the example (exit 0, ${files.length} files, ${compile.ms.toFixed(0)} ms)`, compile.status === 0 && files.length === 12, compile.stderr);

  const again = ztc(["compile"], join(repo, "tenants/payments"));
  check("compile from a subfolder finds ztc.yaml and changes nothing", again.status === 0 && again.stderr.includes("0 written, 12 unchanged"), again.stderr);

  const stream = ztc(["compile", repo, "-o", "-", "-q"]);
  const docs = parseAllDocuments(stream.stdout);
  check("-o - writes a YAML stream of 11 policies", stream.status === 0 && docs.length === 11 && docs.every((d) => d.errors.length === 0), stream.stderr);

  const json = ztc(["check", repo, "--format", "json"]);
  let parsed;
  try {
    parsed = JSON.parse(json.stdout);
  } catch {}
  check("check --format json", json.status === 0 && parsed?.summary?.warnings === 3, json.stdout + json.stderr);

  const test = ztc(["test", repo, "-f", "junit"]);
  check(
    "test: the example's expectations and invariants pass, as JUnit",
    test.status === 0 && test.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="ztc test"') && !test.stdout.includes("<failure"),
    test.stdout.slice(0, 400) + test.stderr,
  );

  const git = (...args) => spawnSync("git", ["-c", "user.email=ci@example.org", "-c", "user.name=ci", ...args], { cwd: repo, encoding: "utf8" });
  git("init", "-q");
  git("add", "-A");
  const committed = git("commit", "-qm", "base");
  const module = join(repo, "platform/stdlib/prometheus@1.zt");
  const original = readFileSync(module, "utf8");
  writeFileSync(module, original.replace("port: port = 9090", "port: port = 9091"));
  const diff = ztc(["diff", "HEAD", repo, "-f", "markdown"]);
  check(
    "diff HEAD: a stdlib module change shows every tenant it touches",
    committed.status === 0 && diff.status === 0 && diff.stdout.includes("touching **2 tenants** (`ledger`, `payments`)") && diff.stdout.includes("| changed | `module platform/stdlib/prometheus@1.zt` | ledger, payments |"),
    committed.stderr + diff.stdout + diff.stderr,
  );
  writeFileSync(module, original);

  writeFileSync(join(repo, "tenants/checkout/broken.zt"), "tenant checkout allow egress to api.evil.example:443\n");
  const broken = ztc(["compile", repo]);
  check(
    "an unapproved destination: exit 1, located diagnostic, nothing written, no stack trace",
    broken.status === 1 &&
      broken.stderr.includes("tenants/checkout/broken.zt:1:33: error ZT3001") &&
      broken.stderr.includes("nothing written") &&
      !/\n\s+at /.test(broken.stderr),
    broken.stderr,
  );
  rmSync(join(repo, "tenants/checkout/broken.zt"));

  writeFileSync(join(repo, "tenants/checkout/binary.zt"), Buffer.from([0, 1, 2, 255, 254]));
  const binary = ztc(["check", repo]);
  check("a binary source file: exit 1 with ZT1005", binary.status === 1 && binary.stderr.includes("ZT1005"), binary.stderr);
  rmSync(join(repo, "tenants/checkout/binary.zt"));

  writeFileSync(join(repo, "registry/tenants.yaml"), "tenants: &a [*a]\n");
  const bad = ztc(["check", repo]);
  check("a hostile registry: exit 1, no crash", bad.status === 1 && /ZT500\d/.test(bad.stderr) && !/\n\s+at /.test(bad.stderr), bad.stderr);

  const usage = ztc(["compile", "--nope"]);
  check("usage error: exit 2", usage.status === 2 && usage.stderr.includes("Run 'ztc --help'"), usage.stderr);

  const missing = ztc(["check", join(work, "nowhere")]);
  check("missing project: exit 2 with ZT5014", missing.status === 2 && missing.stderr.includes("ZT5014"), missing.stderr);

  const unformatted = join(work, "fmt.zt");
  writeFileSync(unformatted, "tenant payments {\nallow egress   api.stripe.com:443 // why\n}\n");
  const fmtCheck = ztc(["fmt", "--check", unformatted]);
  const fmtRun = ztc(["fmt", unformatted]);
  check(
    "fmt --check then fmt",
    fmtCheck.status === 1 && fmtRun.status === 0 && readFileSync(unformatted, "utf8") === "tenant payments {\n  allow egress api.stripe.com:443 // why\n}\n",
    fmtCheck.stdout + fmtRun.stderr,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(failures === 0 ? "e2e: all checks passed" : `e2e: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
