/** Small builders for policies, endpoints and flows in evaluator tests. */
import type { Endpoint, Flow, PodEndpoint, ReservedEndpoint, ReservedEntity, WorldEndpoint } from "../../compiler/evaluator/index.js";

type Json = Record<string, unknown>;

export function cnp(namespace: string, name: string, spec: Json | Json[], annotations?: Record<string, string>): Json {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    ...(Array.isArray(spec) ? { specs: spec } : { spec }),
  };
}

export function ccnp(name: string, spec: Json | Json[]): Json {
  return { apiVersion: "cilium.io/v2", kind: "CiliumClusterwideNetworkPolicy", metadata: { name }, ...(Array.isArray(spec) ? { specs: spec } : { spec }) };
}

export const pod = (namespace: string, labels: Record<string, string> = {}, extra: Partial<PodEndpoint> = {}): PodEndpoint => ({ kind: "pod", namespace, labels, ...extra });
export const world = (ip?: string, ...names: string[]): WorldEndpoint => ({ kind: "world", ip, names });
export const reserved = (entity: ReservedEntity, extra: Partial<ReservedEndpoint> = {}): ReservedEndpoint => ({ kind: "reserved", entity, ...extra });

export function tcp(source: Endpoint, destination: Endpoint, port: number, extra: Partial<Flow> = {}): Flow {
  return { source, destination, protocol: "TCP", port, ...extra };
}

export function udp(source: Endpoint, destination: Endpoint, port: number, extra: Partial<Flow> = {}): Flow {
  return { source, destination, protocol: "UDP", port, ...extra };
}

export const ports = (...ps: (string | [string, string])[]) => [{ ports: ps.map((p) => (Array.isArray(p) ? { port: p[0], protocol: p[1] } : { port: p, protocol: "TCP" })) }];
export const nsSel = (ns: string, labels: Record<string, string> = {}) => ({ matchLabels: { "k8s:io.kubernetes.pod.namespace": ns, ...labels } });
