import { describe, expect, it } from "vitest";
import { renderStream } from "../../compiler/output.js";
import { getHover } from "../../compiler/services/index.js";
import { fixture } from "../helpers/services.js";

const hover = (template: string, extra = {}, file?: string) => {
  const f = fixture(template, extra, file);
  const h = getHover(f.doc, f.at[0]!);
  return { h, f, md: h?.markdown ?? "" };
};

describe("hover", () => {
  it("shows the YAML a rule compiles to, exactly as the emitter writes it", () => {
    const { md, f } = hover(`tenant payments {
  workload api = app=payments-api
  <|>allow egress from api to api.stripe.com:443, files.example.com:443
  allow egress from api to cidr 10.40.0.0/16 port 5432
}
`);
    void f;
    expect(md).toContain("# zt-payments (namespaces payments, payments-batch)");
    expect(md).toContain("matchName: api.stripe.com");
    // Only this rule's entries: the CIDR rule is not part of it.
    expect(md).not.toContain("toCIDRSet");
    expect(md).toContain("DNS-proxy");
  });

  it("shows entries that are byte for byte those of `ztc compile`", () => {
    const { md, f } = hover(`tenant payments {
  workload api = app=payments-api
  allow ingress to api port 8080 from tenant checkout
    <|>http GET "/v1/charges/[0-9]+", POST "/v1/charges"
}
`);
    const yaml = /```yaml\n([\s\S]*?)```/.exec(md)![1]!;
    const entries = yaml.slice(yaml.indexOf("  ingress:\n") + "  ingress:\n".length);
    const emitted = renderStream(f.program.emit().policies);
    expect(entries.length).toBeGreaterThan(50);
    expect(emitted).toContain(entries.replace(/\n$/, ""));
  });

  it("says a rule with errors compiles to nothing, and why", () => {
    const { md } = hover(`tenant payments {
  <|>allow egress to api.evil.example:443
}
`);
    expect(md).toContain("compiles to nothing");
    expect(md).toContain("ZT3001");
  });

  it("shows the approval behind a destination", () => {
    const { md, h, f } = hover(`tenant payments allow egress to api.str<|>ipe.com:443
`);
    expect(md).toContain("**APR-0042**");
    expect(md).toContain("approved by secops, ticket SEC-1234");
    expect(md).toContain("expires 2030-06-30");
    expect(f.text.slice(h!.span.start, h!.span.end)).toBe("api.stripe.com:443");
  });

  it("says why no approval covers a destination", () => {
    expect(hover(`tenant payments allow egress to api.old.exa<|>mple:443\n`).md).toMatch(/not approved[\s\S]*ZT3002[\s\S]*APR-0019/);
    expect(hover(`tenant payments allow egress to api.stripe.com:8<|>443\n`).md).toMatch(/ZT3001[\s\S]*not on these ports/);
    expect(hover(`tenant payments allow egress to x.paste<|>bin.com:443\n`).md).toContain("ZT3003");
  });

  it("shows registry entries for tenants and namespaces", () => {
    const t = hover(`tenant pay<|>ments allow egress to api.stripe.com:443\n`).md;
    expect(t).toContain("registry/tenants.yaml:5");
    expect(t).toContain("payments:\n  namespaces: [payments, payments-batch]");
    expect(hover(`tenant payments allow ingress from namespace moni<|>toring port 9090\n`).md).toContain("shared, owned by no tenant");
    expect(hover(`tenant payments allow egress to namespace chec<|>kout port 80\n`).md).toContain("owned by tenant `checkout`");
    expect(hover(`tenant payments allow egress to tenant nob<|>ody port 80\n`).md).toContain("not in the tenant registry");
  });

  it("shows a workload's selector and namespaces, also another tenant's", () => {
    const md = hover(`tenant payments {
  workload worker = app=payments-worker, !legacy in namespace payments-batch
  allow egress from wor<|>ker to tenant ledger port 8443
}
`).md;
    expect(md).toContain("app=payments-worker");
    expect(md).toContain("namespace `payments-batch`");
    expect(md).toContain("operator: DoesNotExist");
  });

  it("explains entities", () => {
    expect(hover(`tenant payments allow egress to entity kube-api<|>server port 6443\n`).md).toContain("the Kubernetes API server");
  });

  it("has nothing to say on comments and whitespace", () => {
    expect(hover(`// a com<|>ment\ntenant payments allow egress to api.stripe.com:443\n`).h).toBeUndefined();
  });
});

const SHARED = {
  "platform/shared.zt": `// Shared rules of the platform team.

// Postgres on the managed database network.
export ruleset postgres(network: cidr = 10.40.0.0/16, port: port = 5432) {
  allow egress to cidr $network port $port
}
`,
};

describe("hover on modules, rule sets, baselines, expectations and settings", () => {
  it("shows a use's rule set: documentation, parameters, the arguments in effect and the YAML it compiles to here", () => {
    const { md } = hover(
      `import "../../platform/shared.zt"\ntenant payments {\n  workload api = app=api\n  use post<|>gres(network: 10.40.0.0/24) for api\n  allow egress from api to api.stripe.com:443\n}\n`,
      SHARED,
    );
    expect(md).toContain("export ruleset postgres(network: cidr = 10.40.0.0/16, port: port = 5432)");
    expect(md).toContain("Postgres on the managed database network.");
    expect(md).toContain("from platform/shared.zt");
    expect(md).toContain("- `network` = `10.40.0.0/24`\n- `port` = `5432` (default)");
    expect(md).toContain('- cidr: "10.40.0.0/24"');
    expect(md).toContain('port: "5432"');
    // Only the use's entries: the Stripe rule beside it is not part of them.
    expect(md).not.toContain("api.stripe.com");
  });

  it("shows an import's module: where it comes from, its description and its exports", () => {
    const stdlib = hover(`import "stdlib/pro<|>metheus@1"\ntenant payments allow egress to api.stripe.com:443\n`).md;
    expect(stdlib).toContain("**module** `stdlib/prometheus@1`: stdlib/prometheus@1 (bundled with ztc)");
    expect(stdlib).toContain("metrics scraping by Prometheus.");
    expect(stdlib).toContain("- `prometheus-scrape(port: port = 9090, namespace: namespace = monitoring, app: label = prometheus)`");
    const local = hover(`import "../../platform/sha<|>red.zt"\n`, SHARED).md;
    expect(local).toContain("platform/shared.zt");
    expect(local).toContain("Shared rules of the platform team.");
    expect(hover(`import "stdlib/nope<|>@1"\n`).md).toContain("ZT2012");
  });

  it("shows a rule set declaration's signature and documentation, and a parameter's type", () => {
    const decl = hover(`// Metrics from the monitoring namespace.\nruleset sc<|>rape(port: port = 9100) {\n  allow ingress port $port from namespace monitoring\n}\n`);
    expect(decl.md).toContain("ruleset scrape(port: port = 9100)");
    expect(decl.md).toContain("Metrics from the monitoring namespace.");
    expect(hover(`ruleset scrape(port: port = 9100) {\n  allow ingress port $po<|>rt from namespace monitoring\n}\n`).md).toBe("**parameter** `port: port = 9100` of rule set `scrape`");
    expect(hover(`import "stdlib/kube-apiserver@1"\ntenant payments {\n  use kube-apiserver(po<|>rt: 443)\n}\n`).md).toContain("**parameter** `port: port = 6443` of rule set `kube-apiserver`");
  });

  it("shows the CiliumClusterwideNetworkPolicy a baseline compiles to", () => {
    const { md } = hover(`import "stdlib/health@1"\nbaseline cluster-de<|>faults {\n  applies to tenants payments\n  default deny ingress\n  use health-checks\n}\n`, {}, "platform/baseline.zt");
    expect(md).toContain("**baseline cluster-defaults**: a CiliumClusterwideNetworkPolicy for namespaces `payments`, `payments-batch`; default deny ingress.");
    expect(md).toContain("kind: CiliumClusterwideNetworkPolicy");
    expect(md).toContain("name: zt-baseline-cluster-defaults");
    expect(md).toContain("- fromEntities:\n    - health");
  });

  it("says whether an expect holds, as ztc test evaluates it, and which rules decide it", () => {
    const source = `tenant payments {\n  workload api = app=api\n  allow egress from api to api.stripe.com:443\n}\n`;
    const holds = hover(`${source}ex<|>pect payments/api -> api.stripe.com:443 allowed\n`).md;
    expect(holds).toContain("**✓ holds**: the flow is allowed");
    expect(holds).toContain("- egress allowed by tenants/payments/policy.zt:3: `allow egress from api to api.stripe.com:443`");
    const fails = hover(`${source}expect payments/api -> api.stripe.com:8443 <|>allowed\n`).md;
    expect(fails).toContain("**✗ fails**: expected allowed, but the flow is dropped");
    expect(fails).toContain("egress default deny from");
    expect(hover(`${source}<|>expect default deny for tenant payments\n`).md).toContain("- ✓ tenant payments, namespace payments-batch");
  });

  it("says an expect is not evaluated while the project has errors", () => {
    expect(hover(`tenant payments allow egress to api.nope.example:443\n<|>expect payments/x -> api.stripe.com:443 allowed\n`).md).toContain("not evaluated: the project has");
  });

  it("explains mode and dns settings", () => {
    expect(hover(`tenant payments {\n  mode au<|>dit\n}\n`).md).toContain("**mode audit** (tenant payments): the tenant's policies are emitted without default deny");
    expect(hover(`tenant payments {\n  mode au<|>dit\n}\n`).md).toContain("**not** allowed audit mode by the tenant registry (ZT2027)");
    expect(hover(`tenant payments {\n  dns str<|>ict\n}\n`).md).toContain("admits only the names of the tenant's host rules");
  });
});
