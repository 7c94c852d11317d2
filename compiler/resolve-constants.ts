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

/**
 * ICMP type names Cilium accepts, per family (`pkg/policy/api/icmp.go`; the CRD lists them), with
 * their numbers. ztc also accepts them in kebab-case (`echo-request`) and always emits the number,
 * so a name of the wrong family can never reach the agent (cilium-semantics.md §A 32).
 */
export const ICMP_TYPES: Readonly<Record<"IPv4" | "IPv6", Readonly<Record<string, number>>>> = {
  IPv4: {
    EchoReply: 0,
    DestinationUnreachable: 3,
    Redirect: 5,
    Echo: 8,
    EchoRequest: 8,
    RouterAdvertisement: 9,
    RouterSelection: 10,
    TimeExceeded: 11,
    ParameterProblem: 12,
    Timestamp: 13,
    TimestampReply: 14,
    Photuris: 40,
    ExtendedEchoRequest: 42,
    ExtendedEchoReply: 43,
  },
  IPv6: {
    DestinationUnreachable: 1,
    PacketTooBig: 2,
    TimeExceeded: 3,
    ParameterProblem: 4,
    EchoRequest: 128,
    EchoReply: 129,
    MulticastListenerQuery: 130,
    MulticastListenerReport: 131,
    MulticastListenerDone: 132,
    RouterSolicitation: 133,
    RouterAdvertisement: 134,
    NeighborSolicitation: 135,
    NeighborAdvertisement: 136,
    RedirectMessage: 137,
    RouterRenumbering: 138,
    ICMPNodeInformationQuery: 139,
    ICMPNodeInformationResponse: 140,
    InverseNeighborDiscoverySolicitation: 141,
    InverseNeighborDiscoveryAdvertisement: 142,
    HomeAgentAddressDiscoveryRequest: 144,
    HomeAgentAddressDiscoveryReply: 145,
    MobilePrefixSolicitation: 146,
    MobilePrefixAdvertisement: 147,
    DuplicateAddressRequestCodeSuffix: 157,
    DuplicateAddressConfirmationCodeSuffix: 158,
    ExtendedEchoRequest: 160,
    ExtendedEchoReply: 161,
  },
};

/** `echo-request` / `EchoRequest` / `echorequest` -> the canonical name. */
const norm = (s: string) => s.replace(/[-_]/g, "").toLowerCase();

/** The type number for a name or number in a family; a string explains a problem. */
export function icmpType(text: string, family: "IPv4" | "IPv6"): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 255 ? n : `${text} is above 255`;
  }
  const own = Object.entries(ICMP_TYPES[family]).find(([k]) => norm(k) === norm(text));
  if (own) return own[1];
  const other = family === "IPv4" ? "IPv6" : "IPv4";
  if (Object.keys(ICMP_TYPES[other]).some((k) => norm(k) === norm(text)))
    return `'${text}' is an ${other === "IPv6" ? "ICMPv6" : "ICMPv4"} type; write '${other === "IPv6" ? "icmpv6" : "icmp"} ${text}'`;
  return `'${text}' is not an ${family === "IPv4" ? "ICMPv4" : "ICMPv6"} type name`;
}

/** Kebab-case names for completion and messages (`echo-request`). */
export function icmpNames(family: "IPv4" | "IPv6"): string[] {
  return Object.keys(ICMP_TYPES[family]).map((k) => k.replace(/([a-z])([A-Z])/g, "$1-$2").replace(/^ICMP/, "icmp-").toLowerCase());
}
