import { describe, expect, it } from "vitest";
import { renderStream } from "../../compiler/output.js";
import { getHover } from "../../compiler/services/index.js";
import { fixture } from "../helpers/services.js";

const hover = (template: string, extra = {}) => {
  const f = fixture(template, extra);
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
