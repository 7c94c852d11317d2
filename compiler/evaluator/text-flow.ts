/**
 * The text form of a flow, as `ztc explain` takes it (and, later, `expect` statements):
 *
 *   payments/api -> api.stripe.com:443
 *   checkout/web -> payments/api:8080 http POST /v1/charges header "Idempotency-Key: 1"
 *   payments/api -> kube-system/k8s-app=kube-dns:53/udp dns api.stripe.com
 *   entity:host -> payments/api:8080        10.0.0.7 -> ledger/ledger-api:8443
 *   payments/api -> [2001:db8::1]:443       payments/api -> 8.8.8.8:8/icmp
 *
 * Endpoints: `tenant/workload[@namespace]`, `namespace/key=value,...` (pods by labels), a bare
 * tenant or namespace name, `entity:NAME`, an IP address, or a host name (outside the cluster).
 * This is syntax only: names are resolved against a project elsewhere.
 */
import type { Flow, HttpRequest } from "./model.js";

export type TextEndpoint =
  | { readonly kind: "workload"; readonly tenant: string; readonly workload: string; readonly namespace?: string | undefined }
  | { readonly kind: "pods"; readonly namespace: string; readonly labels: Readonly<Record<string, string>> }
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "entity"; readonly entity: string }
  | { readonly kind: "ip"; readonly ip: string }
  | { readonly kind: "host"; readonly name: string };

/** A Flow whose endpoints are still names (resolved by project.ts). */
export type TextFlow = Omit<Flow, "source" | "destination" | "http"> & {
  readonly source: TextEndpoint;
  readonly destination: TextEndpoint;
  readonly http?: (HttpRequest & { readonly headers: Readonly<Record<string, string>> }) | undefined;
};

export type TextFlowResult = { readonly ok: true; readonly flow: TextFlow } | { readonly ok: false; readonly error: string };

const PROTOCOLS: Record<string, string> = { tcp: "TCP", udp: "UDP", sctp: "SCTP", icmp: "ICMPv4", icmpv4: "ICMPv4", icmpv6: "ICMPv6" };
const METHODS = /^(GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH)$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function tokens(text: string): string[] | string {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(m[1].replace(/\\(.)/g, "$1"));
    else if (m[2] !== undefined) {
      if (m[2].includes('"')) return `unbalanced quote in '${m[2]}'`;
      out.push(m[2]);
    }
    if (re.lastIndex >= text.length) break;
  }
  return out;
}

function isIp(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (/:.*:/.test(s) && /^[0-9a-fA-F:.]+$/.test(s));
}

function endpoint(s: string): TextEndpoint | string {
  if (s.startsWith("entity:")) return { kind: "entity", entity: s.slice(7) };
  if (s.startsWith("[") && s.endsWith("]")) return isIp(s.slice(1, -1)) ? { kind: "ip", ip: s.slice(1, -1) } : `'${s}' is not an IP address`;
  if (isIp(s)) return { kind: "ip", ip: s };
  const slash = s.indexOf("/");
  if (slash > 0) {
    const left = s.slice(0, slash);
    const right = s.slice(slash + 1);
    if (!NAME.test(left)) return `'${left}' is not a tenant or namespace name`;
    if (right.includes("=")) {
      const labels: Record<string, string> = {};
      for (const term of right.split(",")) {
        const eq = term.indexOf("=");
        if (eq <= 0) return `'${term}' is not key=value`;
        labels[term.slice(0, eq)] = term.slice(eq + 1);
      }
      return { kind: "pods", namespace: left, labels };
    }
    const [workload, namespace] = right.split("@");
    if (!workload || !NAME.test(workload)) return `'${right}' is not a workload name`;
    if (namespace !== undefined && !NAME.test(namespace)) return `'${namespace}' is not a namespace name`;
    return { kind: "workload", tenant: left, workload, namespace };
  }
  if (s.includes(".")) return { kind: "host", name: s.toLowerCase().replace(/\.$/, "") };
  if (NAME.test(s)) return { kind: "name", name: s };
  return `'${s}' is not an endpoint (tenant/workload, namespace/key=value, entity:NAME, an IP address or a host name)`;
}

/** Splits `dest:port[/proto]` (IPv6 in brackets). */
function splitPort(s: string): [string, string | undefined] {
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    return close > 0 && s[close + 1] === ":" ? [s.slice(0, close + 1), s.slice(close + 2)] : [s, undefined];
  }
  if (isIp(s) && s.includes(":")) return [s, undefined];
  const colon = s.lastIndexOf(":");
  if (colon < 0 || s.startsWith("entity:") && colon === 6) return [s, undefined];
  return [s.slice(0, colon), s.slice(colon + 1)];
}

export function parseTextFlow(text: string): TextFlowResult {
  const fail = (error: string): TextFlowResult => ({ ok: false, error });
  const toks = tokens(text.trim());
  if (typeof toks === "string") return fail(toks);
  const arrow = toks.indexOf("->");
  if (arrow !== 1 || toks.length < 3) return fail("write a flow as SOURCE -> DESTINATION[:PORT[/PROTOCOL]] [http METHOD PATH] [dns NAME]");
  const source = endpoint(toks[0]!);
  if (typeof source === "string") return fail(source);
  const [destText, portText] = splitPort(toks[2]!);
  const destination = endpoint(destText);
  if (typeof destination === "string") return fail(destination);
  let protocol = "TCP";
  let port: number | undefined;
  let icmpType: number | undefined;
  if (portText !== undefined) {
    const [p, proto] = portText.split("/");
    if (proto !== undefined) {
      const P = PROTOCOLS[proto.toLowerCase()];
      if (!P) return fail(`unknown protocol '${proto}' (tcp, udp, sctp, icmp, icmpv6)`);
      protocol = P;
    }
    if (!/^\d+$/.test(p ?? "")) return fail(`'${p}' is not a port number`);
    const n = Number(p);
    if (protocol.startsWith("ICMP")) {
      if (n > 255) return fail(`ICMP type ${n} is above 255`);
      icmpType = n;
    } else {
      if (n < 1 || n > 65535) return fail(`port ${n} is not 1-65535`);
      port = n;
    }
  }
  let http: { method?: string; path?: string; host?: string; headers: Record<string, string> } | undefined;
  let dns: string | undefined;
  const rest = toks.slice(3);
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i]!;
    const next = () => rest[++i];
    if (t === "http") {
      http ??= { headers: {} };
      const m = rest[i + 1];
      if (m && METHODS.test(m.toUpperCase())) {
        http.method = m.toUpperCase();
        i++;
      }
      const p = rest[i + 1];
      if (p && p.startsWith("/")) {
        http.path = p;
        i++;
      }
    } else if (METHODS.test(t)) {
      http ??= { headers: {} };
      http.method = t;
      const p = rest[i + 1];
      if (p && p.startsWith("/")) {
        http.path = p;
        i++;
      }
    } else if (t === "host") {
      const h = next();
      if (!h) return fail("'host' needs a value");
      http ??= { headers: {} };
      http.host = h;
    } else if (t === "header") {
      const h = next();
      if (!h) return fail("'header' needs \"Name: value\" or \"Name\"");
      http ??= { headers: {} };
      const colon = h.indexOf(":");
      if (colon < 0) http.headers[h] = "";
      else http.headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else if (t === "dns") {
      const n = next();
      if (!n) return fail("'dns' needs a query name");
      dns = n;
    } else return fail(`unexpected '${t}' (expected http, METHOD, host, header or dns)`);
  }
  if (http && protocol !== "TCP") return fail("HTTP needs TCP");
  return { ok: true, flow: { source, destination, protocol, port, icmpType, http, dns } };
}
