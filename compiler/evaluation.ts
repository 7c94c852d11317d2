/**
 * The evaluator over a program's compiled policies, configured from the project (cluster name,
 * target version, host firewall, the registry's selectorless Services), shared by `ztc explain`,
 * `ztc test` and the editor.
 */
import { supports } from "./cilium/versions.js";
import { Evaluator, type ProjectContext, type ServiceInfo } from "./evaluator/index.js";
import type { Program } from "./program.js";

export interface EvaluationContext {
  readonly program: Program;
  readonly evaluator: Evaluator;
  readonly project: ProjectContext;
}

const contexts = new WeakMap<Program, EvaluationContext | null>();

/**
 * Undefined when the project does not compile. Built once per program: the editor asks for it on
 * every code lens and hover, and a Program never changes.
 */
export function evaluationContext(program: Program): EvaluationContext | undefined {
  let ctx = contexts.get(program);
  if (ctx === undefined) contexts.set(program, (ctx = buildContext(program) ?? null));
  return ctx ?? undefined;
}

function buildContext(program: Program): EvaluationContext | undefined {
  const emitted = program.emit();
  const tenants = program.registries?.tenants;
  const check = program.getCheck();
  const config = program.config;
  if (!emitted.ok || !tenants || !check || !config) return undefined;
  // Services without a selector reach their declared addresses; the pod selectors of the others
  // are not in the registry, so toServices to them matches nothing here (docs/evaluator.md).
  const services: ServiceInfo[] = [...tenants.services.values()]
    .filter((s) => !s.selector)
    .map((s) => ({ namespace: s.namespace, name: s.name, backends: s.addressText }));
  return {
    program,
    evaluator: new Evaluator(
      emitted.policies.map((p) => p.manifest),
      {
        clusterName: config.clusterName,
        policyDefaultLocalCluster: supports(config.cilium, "defaultLocalCluster"),
        hostFirewall: config.features.has("host-firewall"),
        services,
      },
    ),
    project: { tenants, workloads: check.bound.workloads, clusterName: config.clusterName },
  };
}
