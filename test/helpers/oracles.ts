/**
 * Independent judges of emitted policies: the @kubernetes-models/cilium validators (generated from
 * Cilium 1.19's CRDs) and, when ../shared is present, the upstream CRD schemas of Cilium 1.20-dev.
 * Neither shares code with ztc's own validation.
 */
import { CiliumClusterwideNetworkPolicy } from "@kubernetes-models/cilium/cilium.io/v2/CiliumClusterwideNetworkPolicy";
import { CiliumNetworkPolicy } from "@kubernetes-models/cilium/cilium.io/v2/CiliumNetworkPolicy";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";

export const SHARED = join(import.meta.dirname, "../../../shared");
export const HAS_SHARED = existsSync(join(SHARED, "cilium/schema/cnp.schema.json"));

/**
 * The generated validators check `format: idn-hostname` on HTTP `host`, which the Kubernetes API
 * server ignores (and which Cilium treats as a regex); that one error is not a rejection.
 */
export function modelProblems(doc: Record<string, unknown>): string | undefined {
  try {
    const Model = doc["kind"] === "CiliumClusterwideNetworkPolicy" ? CiliumClusterwideNetworkPolicy : CiliumNetworkPolicy;
    new Model(doc as never).validate();
    return undefined;
  } catch (e) {
    const errors = (e as { errors?: { keyword?: string; params?: { format?: string } }[] }).errors;
    if (errors && errors.every((x) => x.keyword === "format" && x.params?.format === "idn-hostname")) return undefined;
    return (e as Error).message;
  }
}

/** Go's net.ParseCIDR: addr/len, no zone, no IPv4 leading zeros, length within the family. */
function goCidr(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return false;
  const family = isIP(addr);
  if (family === 4 && addr.split(".").some((o) => o.length > 1 && o.startsWith("0"))) return false;
  return family === 4 ? Number(len) <= 32 : family === 6 ? Number(len) <= 128 : false;
}

let upstream: { cnp: ValidateFunction; ccnp: ValidateFunction } | undefined;
export function upstreamProblems(doc: Record<string, unknown>): string | undefined {
  if (!HAS_SHARED) return undefined;
  if (!upstream) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat("cidr", goCidr);
    ajv.addFormat("idn-hostname", () => true);
    const load = (f: string) => JSON.parse(readFileSync(join(SHARED, "cilium/schema", f), "utf8"));
    upstream = { cnp: ajv.compile(load("cnp.schema.json")), ccnp: ajv.compile(load("ccnp.schema.json")) };
  }
  const v = doc["kind"] === "CiliumClusterwideNetworkPolicy" ? upstream.ccnp : upstream.cnp;
  return v(doc) ? undefined : JSON.stringify(v.errors?.slice(0, 3));
}
