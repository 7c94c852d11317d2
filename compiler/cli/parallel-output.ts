/**
 * The last gate and the YAML of `ztc compile`, split between the main thread and the output
 * worker (output-worker.ts) on large projects. The split changes nothing in what is written or
 * reported: each policy's problems and text are the same pure functions of the policy wherever
 * they run, and they are put back together in policy order. Without the worker (a small project,
 * the unbundled sources in tests, a worker that fails) the main thread does it all.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Diagnostic } from "../../language/index.js";
import type { EmittedPolicy } from "../emit.js";
import { renderPolicy, streamDocument } from "../output.js";
import { policyProblems, validatePolicies, type Program } from "../program.js";
import type { OutputJob, OutputJobResult } from "./output-worker.js";

/** Below this many source files a worker costs more than it saves. */
const MIN_UNITS = 200;
/**
 * The main thread's share of the policies: the worker also pays for receiving them, so it takes
 * a little less than half.
 */
const MAIN_SHARE = 0.55;

export interface OutputWorker {
  run(job: OutputJob): Promise<OutputJobResult | undefined>;
  /** Lets the process exit without waiting for the worker. */
  release(): void;
}

/** Starts the worker for a large program (it loads while the main thread checks); undefined otherwise. */
export function startOutputWorker(program: Program): OutputWorker | undefined {
  if (program.units.length < MIN_UNITS || !program.config) return undefined;
  const url = new URL("./output-worker.js", import.meta.url);
  if (url.protocol !== "file:" || !existsSync(fileURLToPath(url))) return undefined;
  let worker: Worker;
  try {
    worker = new Worker(url, { workerData: { root: program.host.root, today: program.today }, stdout: true, stderr: true });
  } catch {
    return undefined;
  }
  let failed = false;
  const failure = new Promise<undefined>((resolve) => {
    worker.once("error", () => resolve(undefined));
    worker.once("exit", () => resolve(undefined));
  }).then(() => {
    failed = true;
    return undefined;
  });
  return {
    run(job) {
      if (failed) return Promise.resolve(undefined);
      const result = new Promise<OutputJobResult>((resolve) => worker.once("message", resolve));
      try {
        worker.postMessage(job);
      } catch {
        return Promise.resolve(undefined);
      }
      return Promise.race([result, failure]);
    },
    release() {
      worker.unref();
    },
  };
}

export interface CheckedOutput {
  /** ZT4001 findings; nothing may be written when there are any. */
  readonly internal: readonly Diagnostic[];
  /** Per policy: its file content, or its stream document (`stream`). */
  readonly rendered: readonly string[];
}

/** validatePolicies and the rendering of every policy, shared with the worker when there is one. */
export async function checkAndRender(program: Program, policies: readonly EmittedPolicy[], stream: boolean, worker: OutputWorker | undefined): Promise<CheckedOutput> {
  const registries = program.registries!;
  const n = policies.length;
  let split = n;
  if (worker) {
    // The worker takes tenant policies only, from the end (cluster-wide ones sort first).
    let lastBaseline = -1;
    policies.forEach((p, i) => {
      if (p.baseline) lastBaseline = i;
    });
    split = Math.max(Math.ceil(n * MAIN_SHARE), lastBaseline + 1);
  }
  const texts: [string, string][] = [];
  if (program.project.source) texts.push([program.project.source.file, program.project.source.text]);
  for (const s of registries.sources) texts.push([s.file, s.text]);
  const remote =
    worker && split < n ? worker.run({ texts, stream, policies: policies.slice(split).map((p) => ({ manifest: p.manifest, tenant: p.tenant })) }) : undefined;

  const render = stream ? streamDocument : renderPolicy;
  const problems: (readonly string[])[] = new Array(n);
  const rendered: (string | undefined)[] = new Array(n);
  let renderError: unknown;
  const local = (i: number) => {
    problems[i] = policyProblems(policies[i]!, registries, program.today);
    // Rendering waits for no verdict here; an object that cannot be rendered is an error only
    // if the gate passes it (as when rendering came after the gate).
    try {
      rendered[i] = render(policies[i]!);
    } catch (e) {
      renderError ??= e;
    }
  };
  for (let i = 0; i < split; i++) local(i);
  const done = remote ? await remote : undefined;
  worker?.release();
  for (let i = split; i < n; i++) {
    if (done) {
      problems[i] = done.problems[i - split]!;
      rendered[i] = done.rendered[i - split]!;
    } else local(i);
  }
  const internal = validatePolicies(policies, registries, program.today, (_p, i) => problems[i]!);
  if (internal.length === 0 && renderError !== undefined) throw renderError;
  return { internal, rendered: rendered as string[] };
}
