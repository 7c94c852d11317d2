/** In-memory policy repositories for tests: a default registry, overridable per test. */
import { createMemoryHost } from "../../compiler/host.js";
import { createProgram, type Program } from "../../compiler/program.js";

export const TODAY = "2026-11-21";

export const DEFAULT_ZTC_YAML = `version: 1
registries:
  tenants: registry/tenants.yaml
  approvals: registry/approvals.yaml
sources: ["**/*.zt"]
output: out
cilium:
  version: "1.19"
`;

export const DEFAULT_TENANTS = `tenants:
  platform:
    platform: true
    paths: ["platform/**"]
  payments:
    namespaces: [payments, payments-batch]
    owners: [team-payments]
    paths: ["tenants/payments/**"]
  checkout:
    namespaces: [checkout]
    paths: ["tenants/checkout/**"]
  ledger:
    namespaces: [ledger]
    paths: ["tenants/ledger/**"]
namespaces:
  kube-system: {}
  monitoring: {}
  ingress-nginx: {}
services:
  kube-system/metrics-server: {}
  kube-system/kube-dns: {}
`;

export const DEFAULT_APPROVALS = `approvals:
  - id: APR-0042
    destination: api.stripe.com
    ports: [443/tcp]
    tenants: [payments, checkout]
    approved-by: secops
    ticket: SEC-1234
    expires: 2030-06-30
  - id: APR-0051
    destination: "*.s3.eu-west-1.amazonaws.com"
    ports: [443/tcp]
    tenants: [payments]
    approved-by: secops
    ticket: SEC-1301
    expires: 2030-12-31
  - id: APR-0060
    destination: 10.40.0.0/16
    ports: [5432/tcp]
    tenants: [payments]
    approved-by: secops
    ticket: SEC-1402
    expires: 2030-12-31
  - id: APR-0070
    destination: api.soon.example
    ports: [443/tcp]
    tenants: ["*"]
    approved-by: secops
    ticket: SEC-1500
    expires: 2026-12-01
  - id: APR-0019
    destination: api.old.example
    ports: [443/tcp]
    tenants: [payments]
    approved-by: secops
    ticket: SEC-0910
    expires: 2026-11-20
blocked:
  - destination: "*.pastebin.com"
    reason: paste sites are an exfiltration channel
  - destination: 169.254.169.254/32
    reason: instance metadata
`;

/** The default approvals without the entries that expire around TODAY (for golden output). */
export const STABLE_APPROVALS = DEFAULT_APPROVALS.split("  - id: APR-0070")[0]! + DEFAULT_APPROVALS.slice(DEFAULT_APPROVALS.indexOf("blocked:"));

export interface ProjectFiles {
  [path: string]: string | Uint8Array;
}

/** A project with the default ztc.yaml and registries unless `files` overrides them. */
export function projectFiles(files: ProjectFiles): ProjectFiles {
  return {
    "ztc.yaml": DEFAULT_ZTC_YAML,
    "registry/tenants.yaml": DEFAULT_TENANTS,
    "registry/approvals.yaml": DEFAULT_APPROVALS,
    ...files,
  };
}

export function program(files: ProjectFiles, today = TODAY): Program {
  return createProgram(createMemoryHost(projectFiles(files)), { today });
}

/** The program for one payments policy file. */
export function paymentsProgram(source: string, extra: ProjectFiles = {}): Program {
  return program({ "tenants/payments/policy.zt": source, ...extra });
}
