/**
 * What each supported Cilium minor version accepts. The target comes from ztc.yaml
 * (`cilium.version`); every version-dependent decision in the checker and emitter asks here.
 */

export interface CiliumVersion {
  readonly major: 1;
  readonly minor: number;
  readonly text: string;
}

export const SUPPORTED_MINORS = [16, 17, 18, 19, 20] as const;
export const DEFAULT_CILIUM_VERSION = "1.19";

export type Feature =
  /** `**.` prefix in matchPattern (multi-label wildcard). */
  | "fqdnMultiLabelWildcard"
  /** rules.kafka (removed in 1.20). */
  | "kafka"
  /** Kafka rules deprecated (1.18, 1.19). */
  | "kafkaDeprecated"
  /** The `cluster-mesh` entity. */
  | "clusterMeshEntity"
  /** Selectors limited to the local cluster unless they name one (policy-default-local-cluster). */
  | "defaultLocalCluster";

const FEATURES: Record<Feature, (minor: number) => boolean> = {
  fqdnMultiLabelWildcard: (m) => m >= 20,
  kafka: (m) => m < 20,
  kafkaDeprecated: (m) => m >= 18,
  clusterMeshEntity: (m) => m >= 21,
  defaultLocalCluster: (m) => m >= 19,
};

/** The first version a feature appears in, or the version that removed it, for messages. */
export const FEATURE_NEEDS: Record<Feature, string> = {
  fqdnMultiLabelWildcard: "Cilium 1.20 or later",
  kafka: "Cilium 1.19 or earlier (Kafka rules were removed in 1.20)",
  kafkaDeprecated: "Cilium 1.17 or earlier",
  clusterMeshEntity: "a Cilium release newer than 1.20",
  defaultLocalCluster: "Cilium 1.19 or later",
};

export function parseCiliumVersion(text: string): CiliumVersion | undefined {
  const m = /^1\.(\d{2})$/.exec(text);
  if (!m) return undefined;
  const minor = Number(m[1]);
  return (SUPPORTED_MINORS as readonly number[]).includes(minor) ? { major: 1, minor, text } : undefined;
}

export function supports(v: CiliumVersion, feature: Feature): boolean {
  return FEATURES[feature](v.minor);
}
