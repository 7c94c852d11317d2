/** Names the resolver, the rule-set checker and editor services share. */

/** Entities the CRD accepts (cilium-semantics B5). */
export const ENTITIES = [
  "all",
  "world",
  "cluster",
  "host",
  "remote-node",
  "kube-apiserver",
  "ingress",
  "health",
  "init",
  "unmanaged",
  "none",
] as const;

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"] as const;
