/**
 * The CLI's output worker (a worker thread, dist/output-worker.js): checks and renders the last
 * share of a large compilation's policies while the main thread does the rest, so the two cores
 * split the last gate and the YAML. It loads the project's registries itself while the main
 * thread is still checking, and uses them only if their texts are the ones the main thread read.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { EmittedPolicy } from "../emit.js";
import { createNodeHost, overlayHost, type CompilerHost } from "../host.js";
import { renderPolicy, streamDocument } from "../output.js";
import { policyProblems } from "../program.js";
import { loadProject } from "../project.js";
import { loadRegistries, type LoadedRegistries } from "../registry.js";

export interface OutputJob {
  /** The project file and registries as the main thread read them: file -> text. */
  readonly texts: readonly (readonly [string, string])[];
  /** Tenant policies only (a baseline's policy needs its symbol, which stays on the main thread). */
  readonly policies: readonly Pick<EmittedPolicy, "manifest" | "tenant">[];
  /** Render stream documents (`-o -`) rather than files. */
  readonly stream: boolean;
}

export interface OutputJobResult {
  /** policyProblems per policy of the job. */
  readonly problems: readonly (readonly string[])[];
  readonly rendered: readonly string[];
}

interface Inputs {
  readonly registries: LoadedRegistries | undefined;
  readonly texts: ReadonlyMap<string, string>;
}

function load(host: CompilerHost): Inputs {
  const project = loadProject(host);
  const registries = project.config ? loadRegistries(host, project.config, project.source) : undefined;
  const texts = new Map<string, string>();
  if (project.source) texts.set(project.source.file, project.source.text);
  for (const s of registries?.sources ?? []) texts.set(s.file, s.text);
  return { registries, texts };
}

const sameTexts = (a: ReadonlyMap<string, string>, b: readonly (readonly [string, string])[]) => a.size === b.length && b.every(([f, t]) => a.get(f) === t);

const { root, today } = workerData as { root: string; today: string };
const host = createNodeHost(root);
const preloaded = load(host);

parentPort!.once("message", (job: OutputJob) => {
  // A registry edited since the main thread read it: check against the main thread's texts.
  const inputs = sameTexts(preloaded.texts, job.texts) ? preloaded : load(overlayHost(host, new Map(job.texts)));
  const registries = inputs.registries ?? { sources: [], diagnostics: [] };
  const render = job.stream ? streamDocument : renderPolicy;
  const result: OutputJobResult = {
    problems: job.policies.map((p) => policyProblems(p, registries, today)),
    rendered: job.policies.map(render),
  };
  parentPort!.postMessage(result);
});
