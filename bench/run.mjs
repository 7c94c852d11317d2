// `npm run bench`: times the built CLI as separate processes, the way CI and users run it.
// Targets (issue 2): compile of 1,000 tenants / 20,000 rules / 2,000 approvals <= 2 s end to end;
// check of a one-file project <= 300 ms from process start. Then the language server (issue 5, see
// bench/lsp.ts). Reports; `--strict` fails on a miss; `--quick` takes fewer LSP samples.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "./generate.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin/ztc.js");
const work = join(root, ".bench");
const strict = process.argv.includes("--strict");
const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 5);
const hasTime = existsSync("/usr/bin/time");

function timed(args) {
  const cmd = hasTime ? "/usr/bin/time" : process.execPath;
  const argv = hasTime ? ["-f", "%M", process.execPath, bin, ...args] : [bin, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ZTC_TODAY: "2026-11-21", NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssKb = hasTime ? Number(r.stderr.trim().split("\n").pop()) : NaN;
  if (r.status !== 0) throw new Error(`ztc ${args.join(" ")} exited ${r.status}:\n${r.stderr.slice(0, 2000)}`);
  return { ms, rssMb: rssKb / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
function measure(name, target, fn) {
  fn(); // warm the file system cache
  const samples = Array.from({ length: runs }, fn);
  const ms = median(samples.map((s) => s.ms));
  const rss = Math.max(...samples.map((s) => (Number.isFinite(s.rssMb) ? s.rssMb : -Infinity)));
  results.push({ name, ms, min: Math.min(...samples.map((s) => s.ms)), rss, target, ok: ms <= target });
}

if (!existsSync(join(root, "dist/ztc.js"))) {
  console.error("bench: build first (npm install or npm run build)");
  process.exit(2);
}
mkdirSync(work, { recursive: true });
const big = join(work, "repo-1000");
const size = generate(big, 1000);
console.log(`bench: generated ${size.tenants} tenants, ${size.rules} rules (3 per tenant through stdlib and shared rule sets), ${size.approvals} approvals, 2 baselines and ${size.expectations} expectations in ${big}`);

// A never-used folder per run: deleting thousands of files right before a run slows the next
// file creations on this VM's disk (ext4 mounted with discard), which would measure the benchmark.
let fresh = 0;
const freshDirs = [];
measure("compile 1,000 tenants (fresh output folder)", 2000, () => {
  const dir = join(work, `fresh-${process.pid}-${fresh++}`);
  freshDirs.push(dir);
  return timed(["compile", big, "-q", "-o", dir]);
});
timed(["compile", big, "-q"]);
measure("compile 1,000 tenants (output up to date)", 2000, () => timed(["compile", big, "-q"]));
measure("compile 1,000 tenants to a stream (-o -)", 2000, () => timed(["compile", big, "-q", "-o", "-"]));
// The floor for a fresh folder on this disk: a bare Node process writing the same files, nothing else.
const sizes = readdirSync(join(big, "out")).map((f) => statSync(join(big, "out", f)).size);
writeFileSync(join(work, "sizes.json"), JSON.stringify(sizes));
const floorScript = `const fs=require("fs");const s=JSON.parse(fs.readFileSync(process.argv[1]));const d=process.argv[2];fs.mkdirSync(d);s.forEach((n,i)=>fs.writeFileSync(d+"/f"+i+".yaml","x".repeat(n)));`;
measure(`(floor) node writing the same ${sizes.length} files, no ztc`, Infinity, () => {
  const t0 = process.hrtime.bigint();
  const dir = join(work, `floor-${process.pid}-${fresh++}`);
  freshDirs.push(dir);
  const r = spawnSync(process.execPath, ["-e", floorScript, join(work, "sizes.json"), dir]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMb: NaN };
});
measure("check 1,000 tenants", 2000, () => timed(["check", big, "-q"]));

// The same repository as issue 2 specified it: 20 plain rules per tenant, no modules or baselines.
const plain = join(work, "repo-1000-plain");
generate(plain, 1000, { features: false });
measure("compile 1,000 tenants, plain rules (-o -)", 2000, () => timed(["compile", plain, "-q", "-o", "-"]));

const small = join(work, "repo-1");
generate(small, 1, { features: false });
writeFileSync(join(small, "tenants/t0000/policy.zt"), "tenant t0000 allow egress from api to api-0.partner.example:443\n" + "tenant t0000 { workload api = app=api }\n");
measure("check a one-file project", 300, () => timed(["check", small, "-q"]));
measure("ztc --version (process start)", 300, () => timed(["--version"]));

for (const d of freshDirs) rmSync(d, { recursive: true, force: true });

// The language server (issue 5), through the real server over stdio: bench/lsp.ts prints one JSON line per figure.
const lsp = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench/lsp.ts"), "--json", `--samples=${process.argv.includes("--quick") ? 50 : 200}`], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "pipe"],
  timeout: 600_000,
});
if (lsp.status !== 0) {
  console.error(`bench: the language server benchmark failed (exit ${lsp.status}):\n${lsp.stderr.slice(-3000)}`);
  results.push({ name: "LSP benchmark", ms: NaN, min: NaN, rss: NaN, target: 0, ok: false });
} else
  for (const line of lsp.stdout.split("\n").filter((l) => l.startsWith("{"))) {
    const r = JSON.parse(line);
    const target = r.target ?? Infinity;
    results.push({ name: r.name, ms: r.ms, min: r.median ?? NaN, rss: NaN, target: target === null ? Infinity : target, ok: r.ms <= (target ?? Infinity), unit: r.unit, detail: r.detail });
  }
console.log(`\n${"benchmark".padEnd(72)} ${"median".padStart(9)} ${"min".padStart(9)} ${"max RSS".padStart(9)} ${"target".padStart(8)}`);
console.log("(LSP rows: the first column is the figure named, p95 for latencies; the second the median)");
for (const r of results)
  console.log(
    `${r.name.padEnd(72)} ${`${r.ms.toFixed(0)} ${r.unit ? "MB" : "ms"}`.padStart(9)} ${Number.isFinite(r.min) ? `${r.min.toFixed(0)} ms`.padStart(9) : "".padStart(9)} ${Number.isFinite(r.rss) ? `${r.rss.toFixed(0)} MB`.padStart(9) : "".padStart(9)} ${Number.isFinite(r.target) ? `${r.target} ${r.unit ? "MB" : "ms"}`.padStart(8) : "".padStart(8)} ${!Number.isFinite(r.target) ? "" : r.ok ? "ok" : "MISSED"}${r.unit && r.unit !== "MB" ? `  ${r.unit}` : ""}${r.detail ? `  ${r.detail}` : ""}`,
  );
const missed = results.filter((r) => !r.ok);
if (missed.length > 0) console.log(`\nbench: ${missed.length} target(s) missed`);
process.exit(strict && missed.length > 0 ? 1 : 0);
