/**
 * The diagnostics catalog: every code ztc can report, with its severity, message template, help
 * and documentation. docs/diagnostics.md and the README's reference are generated from this table
 * (scripts/gen-docs.ts) and a test keeps them in sync, so a code cannot exist undocumented.
 *
 * Codes are stable: never renumber or reuse one. Ranges: 1xxx syntax, 2xxx names and ownership,
 * 3xxx policy checks, 4xxx Cilium output, 5xxx project and registries, 6xxx tests (`ztc test`),
 * 9xxx internal errors.
 */

export type CatalogSeverity = "error" | "warning" | "info";

/** "input": the user's files are wrong (exit 1). "io": the environment is (exit 2). */
export type ProblemKind = "input" | "io" | "internal";

export interface CatalogDocs {
  /** What the diagnostic means and why it matters, a short paragraph. */
  readonly summary: string;
  /** A minimal example that triggers it (a .zt or YAML snippet). */
  readonly avoid?: string;
  /** The corrected form. */
  readonly prefer?: string;
}

export interface CatalogEntry<A> {
  readonly code: string;
  readonly severity: CatalogSeverity;
  readonly kind: ProblemKind;
  /** kebab-case name, stable like the code. */
  readonly title: string;
  readonly message: (args: A) => string;
  readonly help?: string | ((args: A) => string | undefined);
  readonly docs: CatalogDocs;
}

function entry<A>(e: CatalogEntry<A>): CatalogEntry<A> {
  return e;
}

type NoArgs = Record<string, never>;
const quote = (s: string) => `'${s}'`;
const didYouMean = (s: string | undefined) => (s ? ` Did you mean ${quote(s)}?` : "");

export const CATALOG = {
  // ---------------------------------------------------------------- 1xxx syntax
  syntaxError: entry<{ message: string }>({
    code: "ZT1001",
    severity: "error",
    kind: "input",
    title: "syntax-error",
    message: (a) => a.message,
    docs: {
      summary:
        "The parser expected something else at this point. The message names what it expected; the squiggle covers the token it found instead. Parsing continues after the error, so later statements are still checked.",
      avoid: "tenant payments allow egress api.stripe.com:",
      prefer: "tenant payments allow egress api.stripe.com:443",
    },
  }),
  invalidCharacter: entry<{ text: string }>({
    code: "ZT1002",
    severity: "error",
    kind: "input",
    title: "invalid-character",
    message: (a) => `unexpected character ${JSON.stringify(a.text)}`,
    help: "Remove it, or put the value in double quotes if it belongs to a label value.",
    docs: {
      summary: "The text contains a character that no token of the language can start with.",
      avoid: "workload api = app=payments;api",
      prefer: 'workload api = app="payments-api"',
    },
  }),
  unterminatedString: entry<NoArgs>({
    code: "ZT1003",
    severity: "error",
    kind: "input",
    title: "unterminated-string",
    message: () => "unterminated string: a closing '\"' is missing before the end of the line",
    help: 'Close the string with " on the same line.',
    docs: {
      summary: "Strings are written in double quotes and must end on the line they start on.",
      avoid: 'http GET "/v1/charges',
      prefer: 'http GET "/v1/charges"',
    },
  }),
  unterminatedComment: entry<NoArgs>({
    code: "ZT1004",
    severity: "error",
    kind: "input",
    title: "unterminated-comment",
    message: () => "unterminated block comment: '*/' is missing",
    help: "Close the comment with */, or use // for a line comment.",
    docs: { summary: "A block comment opened with /* runs to the end of the file.", avoid: "/* temporary", prefer: "// temporary" },
  }),
  binaryFile: entry<{ reason: string }>({
    code: "ZT1005",
    severity: "error",
    kind: "input",
    title: "not-a-text-file",
    message: (a) => `this file is not UTF-8 text (${a.reason})`,
    help: "ztc reads .zt files as UTF-8 text; remove the file from the sources or save it as UTF-8.",
    docs: {
      summary:
        "A source file contains NUL bytes or bytes that are not valid UTF-8. It is reported once, at the first offending byte, instead of as thousands of syntax errors.",
    },
  }),
  fileTooLarge: entry<{ size: string; limit: string }>({
    code: "ZT1006",
    severity: "error",
    kind: "input",
    title: "file-too-large",
    message: (a) => `this file is ${a.size}, above the ${a.limit} limit for one source file`,
    help: "Split the policy into several files; a tenant may spread its rules over many files.",
    docs: {
      summary:
        "ztc refuses source files above 4 MiB so a runaway generator or a wrongly matched file cannot stall CI or the editor. Real policy files are a few kilobytes.",
    },
  }),
  tooManyErrors: entry<{ count: number }>({
    code: "ZT1007",
    severity: "error",
    kind: "input",
    title: "too-many-syntax-errors",
    message: (a) => `too many syntax errors; ${a.count} more were not reported`,
    help: "Fix the first errors; later ones are often caused by them.",
    docs: { summary: "After 100 syntax errors in one file, ztc stops listing them. The count says how many were left out." },
  }),
  invalidEscape: entry<{ text: string }>({
    code: "ZT1008",
    severity: "error",
    kind: "input",
    title: "invalid-escape",
    message: (a) => `unknown escape sequence ${quote(a.text)} in string`,
    help: 'Only \\" \\\\ \\n and \\t are escapes; write a backslash as \\\\.',
    docs: {
      summary: 'Inside double quotes a backslash starts an escape: \\" \\\\ \\n \\t. Regular expressions need their backslashes doubled.',
      avoid: 'http GET "/v1/\\d+"',
      prefer: 'http GET "/v1/\\\\d+"',
    },
  }),
  duplicateClause: entry<{ clause: string }>({
    code: "ZT1009",
    severity: "error",
    kind: "input",
    title: "duplicate-clause",
    message: (a) => `a rule may have only one '${a.clause}' clause`,
    help: (a) => `Merge the lists with commas: ${a.clause} a, b.`,
    docs: {
      summary: "Each rule has at most one from, one to, one port and one http clause. Lists inside a clause are separated by commas.",
      avoid: "allow egress from api to db.internal.example.com:5432 to cache.example.com:6379",
      prefer: "allow egress from api to db.internal.example.com:5432, cache.example.com:6379",
    },
  }),

  // ---------------------------------------------------------------- 2xxx names and ownership
  unknownTenant: entry<{ name: string; suggestion?: string | undefined }>({
    code: "ZT2001",
    severity: "error",
    kind: "input",
    title: "unknown-tenant",
    message: (a) => `unknown tenant ${quote(a.name)}.${didYouMean(a.suggestion)}`,
    help: "Tenants are declared in the tenant registry (registry/tenants.yaml).",
    docs: {
      summary: "The name does not match a tenant in the tenant registry. Every tenant must be registered, with its namespaces and the paths it may write, before it can have policy.",
      avoid: "tenant paymnets allow egress api.stripe.com:443",
      prefer: "tenant payments allow egress api.stripe.com:443",
    },
  }),
  unknownNamespace: entry<{ name: string; suggestion?: string | undefined; tenant?: string | undefined }>({
    code: "ZT2002",
    severity: "error",
    kind: "input",
    title: "unknown-namespace",
    message: (a) =>
      a.tenant
        ? `namespace ${quote(a.name)} does not belong to tenant ${quote(a.tenant)}.${didYouMean(a.suggestion)}`
        : `unknown namespace ${quote(a.name)}.${didYouMean(a.suggestion)}`,
    help: (a) =>
      a.tenant
        ? `A workload may only be placed in one of its tenant's namespaces (registry/tenants.yaml).`
        : "Namespaces are tenant namespaces or shared namespaces listed under 'namespaces:' in the tenant registry.",
    docs: {
      summary:
        "A namespace must be known to the tenant registry: either one of a tenant's namespaces or a shared namespace (kube-system, monitoring, ...) listed under `namespaces:`. A workload placed `in namespace X` must use one of its own tenant's namespaces.",
      avoid: "allow ingress from namespace ingres-nginx port 8443",
      prefer: "allow ingress from namespace ingress-nginx port 8443",
    },
  }),
  unknownWorkload: entry<{ name: string; tenant: string; suggestion?: string | undefined }>({
    code: "ZT2003",
    severity: "error",
    kind: "input",
    title: "unknown-workload",
    message: (a) => `tenant ${quote(a.tenant)} has no workload ${quote(a.name)}.${didYouMean(a.suggestion)}`,
    help: (a) => `Declare it in a tenant ${a.tenant} block: workload ${a.name} = app=${a.name}`,
    docs: {
      summary: "Workloads are declared with `workload NAME = selector` inside a tenant block and can then be used as subjects and peers, also by other tenants (`tenant ledger workload ledger-api`).",
      avoid: "allow egress from apii to api.stripe.com:443",
      prefer: "allow egress from api to api.stripe.com:443",
    },
  }),
  duplicateWorkload: entry<{ name: string; tenant: string }>({
    code: "ZT2004",
    severity: "error",
    kind: "input",
    title: "duplicate-workload",
    message: (a) => `workload ${quote(a.name)} is already declared for tenant ${quote(a.tenant)}`,
    help: "Rename one of them; workload names are unique per tenant across all its files.",
    docs: { summary: "A tenant's workload names are unique across all files of the tenant; the related location shows the first declaration." },
  }),
  tenantNotOwned: entry<{ tenant: string; file: string; paths: string }>({
    code: "ZT2005",
    severity: "error",
    kind: "input",
    title: "tenant-not-owned-by-file",
    message: (a) => `${a.file} may not declare policy for tenant ${quote(a.tenant)}`,
    help: (a) => `Tenant ${a.tenant} writes its policy under ${a.paths}; move the block there or ask the platform team to extend its paths in the tenant registry.`,
    docs: {
      summary:
        "Each tenant lists in the tenant registry the paths whose files may speak for it. This keeps one team's pull request from changing another team's policy: CODEOWNERS on those paths decides who reviews.",
      avoid: "# in tenants/checkout/policy.zt\ntenant payments allow egress api.stripe.com:443",
      prefer: "# in tenants/payments/policy.zt\ntenant payments allow egress api.stripe.com:443",
    },
  }),
  namespaceNotOwned: entry<{ namespace: string; tenant: string }>({
    code: "ZT2006",
    severity: "error",
    kind: "input",
    title: "subject-outside-tenant",
    message: (a) => `namespace ${quote(a.namespace)} is not one of tenant ${quote(a.tenant)}'s namespaces; a rule may only select the tenant's own pods`,
    help: "Use one of the tenant's own namespaces, or write the rule from the other side (the owner of that namespace admits the traffic).",
    docs: {
      summary: "A rule's subject (what `from` names on egress, `to` on ingress) must be this tenant's own pods: one of its workloads or namespaces. ztc never emits a policy that selects another tenant's pods.",
      avoid: "tenant payments allow egress from namespace checkout to api.stripe.com:443",
      prefer: "tenant payments allow egress from namespace payments to api.stripe.com:443",
    },
  }),
  unknownEntity: entry<{ name: string; suggestion?: string | undefined; note?: string | undefined }>({
    code: "ZT2007",
    severity: "error",
    kind: "input",
    title: "unknown-entity",
    message: (a) => `${quote(a.name)} is not a Cilium entity${a.note ? ` ${a.note}` : "."}${didYouMean(a.suggestion)}`,
    help: "Entities: world, cluster, host, remote-node, kube-apiserver, ingress, health, init, unmanaged, all, none.",
    docs: {
      summary:
        "Entities name identities Cilium knows without labels. `world-ipv4` and `world-ipv6` are known to the agent but rejected by the CRD, and `cluster-mesh` only exists in newer Cilium versions.",
      avoid: "allow egress to entity kube-api-server port 6443",
      prefer: "allow egress to entity kube-apiserver port 6443",
    },
  }),
  invalidName: entry<{ what: string; name: string; reason: string }>({
    code: "ZT2008",
    severity: "error",
    kind: "input",
    title: "invalid-name",
    message: (a) => `${a.what} name ${quote(a.name)} is not valid: ${a.reason}`,
    help: "Names are lower-case DNS labels: a-z, 0-9 and '-', starting and ending with a letter or digit, at most 63 characters.",
    docs: {
      summary: "Tenant, workload and namespace names become parts of Kubernetes object names and labels, so they follow the DNS label rules.",
      avoid: "workload API_Server = app=api",
      prefer: "workload api-server = app=api",
    },
  }),
  invalidSubject: entry<{ found: string; direction: string }>({
    code: "ZT2009",
    severity: "error",
    kind: "input",
    title: "invalid-subject",
    message: (a) => `the ${a.direction === "egress" ? "'from'" : "'to'"} of an ${a.direction} rule must be this tenant's workload or namespace, not ${a.found}`,
    help: (a) =>
      a.direction === "egress"
        ? "On egress, 'from' names your own pods and 'to' the destination: allow egress from api to api.stripe.com:443"
        : "On ingress, 'to' names your own pods and 'from' the source: allow ingress to api port 8080 from tenant checkout",
    docs: {
      summary: "Each rule selects some of the tenant's own pods (the subject) and a peer. On egress the subject follows `from`, on ingress it follows `to`.",
      avoid: "allow ingress from api to tenant checkout",
      prefer: "allow ingress to api from tenant checkout",
    },
  }),
  invalidLabel: entry<{ reason: string }>({
    code: "ZT2010",
    severity: "error",
    kind: "input",
    title: "invalid-label-selector",
    message: (a) => `invalid label selector: ${a.reason}`,
    help: "Label keys are [prefix/]name (name: at most 63 of A-Z a-z 0-9 - _ .); values at most 63 of the same characters, starting and ending alphanumeric.",
    docs: {
      summary:
        "Workload selectors use Kubernetes label syntax. Keys that Cilium reserves for namespaces, clusters or identities (io.kubernetes.pod.namespace, io.cilium.k8s.*, reserved:...) cannot be used: they would let a selector reach outside the tenant.",
      avoid: "workload api = io.kubernetes.pod.namespace=checkout",
      prefer: "workload api = app=payments-api",
    },
  }),
  ignoredLabel: entry<{ name: string }>({
    code: "ZT2011",
    severity: "warning",
    kind: "input",
    title: "ignored-label",
    message: (a) => `label ${quote(a.name)} is dropped from Cilium identities, so a selector on it never matches`,
    help: "Select on labels that are part of the pod's identity (app, app.kubernetes.io/*, your own labels).",
    docs: {
      summary:
        "Cilium's default label filter drops pod-template-hash, controller-revision-hash, statefulset.kubernetes.io/pod-name, batch.kubernetes.io/*, topology.kubernetes.io/* and other kubernetes.io / k8s.io keys from identities. A policy selecting them silently matches nothing.",
      avoid: "workload api = pod-template-hash=5d9f8",
      prefer: "workload api = app=payments-api",
    },
  }),

  unknownModule: entry<{ path: string; suggestion?: string | undefined; available?: string | undefined }>({
    code: "ZT2012",
    severity: "error",
    kind: "input",
    title: "unknown-module",
    message: (a) => `module ${quote(a.path)} not found.${didYouMean(a.suggestion)}${a.available ? ` The stdlib has: ${a.available}.` : ""}`,
    help: "Import stdlib modules by versioned name (import \"stdlib/dns@1\") and local modules by a path relative to this file (import \"./common.zt\").",
    docs: {
      summary: "An import names no stdlib module and no .zt file of the project. Stdlib modules are listed in stdlib/README.md; local paths are relative to the importing file.",
      avoid: 'import "stdlib/prometheus-scrap@1"',
      prefer: 'import "stdlib/prometheus@1"',
    },
  }),
  importOutsideProject: entry<{ path: string }>({
    code: "ZT2013",
    severity: "error",
    kind: "input",
    title: "import-outside-project",
    message: (a) => `import ${quote(a.path)} leaves the project folder`,
    help: "Imports are relative paths inside the repository: no absolute paths, no '..' above the project root, no symbolic links that point out of it.",
    docs: {
      summary: "A module can only come from the policy repository itself or from the stdlib, so what compiles is exactly what was reviewed in the pull request.",
      avoid: 'import "../../other-repo/rules.zt"',
    },
  }),
  importCycle: entry<{ cycle: string }>({
    code: "ZT2014",
    severity: "error",
    kind: "input",
    title: "import-cycle",
    message: (a) => `import cycle: ${a.cycle}`,
    help: "Move what both modules need into a third module that imports neither.",
    docs: { summary: "Modules import each other in a circle. ztc names the whole cycle so it can be broken at the right place." },
  }),
  stdlibVersionRequired: entry<{ path: string; latest: string }>({
    code: "ZT2015",
    severity: "error",
    kind: "input",
    title: "stdlib-version-required",
    message: (a) => `stdlib imports name a major version: write ${quote(a.latest)}`,
    help: "The version keeps a later, incompatible stdlib change from silently changing every tenant.",
    docs: {
      summary: "Stdlib modules are versioned (`stdlib/dns@1`). A tenant keeps the behaviour it was reviewed with until it moves to a new major version on purpose.",
      avoid: 'import "stdlib/dns"',
      prefer: 'import "stdlib/dns@1"',
    },
  }),
  unknownRuleset: entry<{ name: string; suggestion?: string | undefined; hint?: string | undefined }>({
    code: "ZT2016",
    severity: "error",
    kind: "input",
    title: "unknown-ruleset",
    message: (a) => `unknown rule set ${quote(a.name)}${a.hint ? ` (${a.hint})` : ""}.${didYouMean(a.suggestion)}`,
    help: "Rule sets come from this file or from an imported module's exports: import \"stdlib/dns@1\" then use dns.",
    docs: { summary: "`use NAME` names no rule set of this file and no exported rule set of an imported module." },
  }),
  rulesetNotExported: entry<{ name: string; module: string }>({
    code: "ZT2017",
    severity: "error",
    kind: "input",
    title: "ruleset-not-exported",
    message: (a) => `rule set ${quote(a.name)} of ${a.module} is not exported`,
    help: "Only `export ruleset` declarations are visible to importers; mark it export if it is meant to be shared.",
    docs: { summary: "A module keeps rule sets without `export` to itself, so what it offers to others is explicit." },
  }),
  ambiguousRuleset: entry<{ name: string; modules: string }>({
    code: "ZT2018",
    severity: "error",
    kind: "input",
    title: "ambiguous-ruleset",
    message: (a) => `rule set ${quote(a.name)} is exported by several imported modules (${a.modules})`,
    help: "Qualify it with the module's name: use dns.NAME",
    docs: { summary: "Two imported modules export a rule set of the same name; `use module.name` picks one." },
  }),
  duplicateRuleset: entry<{ name: string; what: string }>({
    code: "ZT2019",
    severity: "error",
    kind: "input",
    title: "duplicate-declaration",
    message: (a) => `${a.what} ${quote(a.name)} is already declared`,
    help: "Rename one of them.",
    docs: { summary: "Two rule sets of one file, or two baselines of the project, have the same name." },
  }),
  rulesetCycle: entry<{ cycle: string }>({
    code: "ZT2020",
    severity: "error",
    kind: "input",
    title: "ruleset-cycle",
    message: (a) => `rule sets use each other in a cycle: ${a.cycle}`,
    docs: { summary: "A rule set uses itself, directly or through others, so it would expand forever." },
  }),
  baselineNotAllowed: entry<{ file: string }>({
    code: "ZT2021",
    severity: "error",
    kind: "input",
    title: "baseline-not-allowed",
    message: (a) => `${a.file} may not declare baselines: only files of a platform tenant can`,
    help: "Baselines compile to cluster-wide policies; write them under a path owned by a tenant marked `platform: true` in the tenant registry.",
    docs: {
      summary: "A baseline applies to many tenants at once, so only the platform team (a tenant with `platform: true`, through its `paths`) may write one. Tenants compose their policy with `use` instead.",
      avoid: "// in tenants/payments/policy.zt\nbaseline payments-everywhere {\n  applies to all tenants\n  allow egress to entity world\n}",
    },
  }),
  unknownParameterType: entry<{ type: string; suggestion?: string | undefined }>({
    code: "ZT2022",
    severity: "error",
    kind: "input",
    title: "unknown-parameter-type",
    message: (a) => `unknown parameter type ${quote(a.type)}.${didYouMean(a.suggestion)}`,
    help: "Parameter types: port, host, cidr, namespace, tenant, entity, label, string.",
    docs: { summary: "A rule set parameter declares a type ztc does not know." },
  }),
  unknownVariable: entry<{ name: string; where: string; suggestion?: string | undefined }>({
    code: "ZT2023",
    severity: "error",
    kind: "input",
    title: "unknown-parameter",
    message: (a) => `$${a.name} ${a.where}.${didYouMean(a.suggestion && "$" + a.suggestion)}`,
    docs: { summary: "A `$name` refers to no parameter of the enclosing rule set, or appears outside a rule set." },
  }),
  baselineWithoutScope: entry<{ name: string }>({
    code: "ZT2024",
    severity: "error",
    kind: "input",
    title: "baseline-without-scope",
    message: (a) => `baseline ${quote(a.name)} does not say which namespaces it applies to`,
    help: "Add 'applies to all tenants', 'applies to tenants a, b', 'applies to tenants where key=value' or 'applies to namespaces x, y'.",
    docs: { summary: "A baseline must name what it selects: ztc never emits a cluster-wide policy that selects every pod by accident." },
  }),
  visibilityWithDefaultDeny: entry<{ name: string; directions: string }>({
    code: "ZT2025",
    severity: "error",
    kind: "input",
    title: "visibility-only-with-default-deny",
    message: (a) => `baseline ${quote(a.name)} is 'visibility only', but this turns on default deny for ${a.directions}`,
    help: "A visibility-only baseline never changes what is allowed: remove 'visibility only', or move the default deny to another baseline.",
    docs: {
      summary:
        "`visibility only` promises that the baseline's policy sets `enableDefaultDeny: false` in both directions, so adding it (for DNS or HTTP visibility) cannot cut traffic. A `default deny` in the same baseline, written there or in a rule set it uses, contradicts that.",
      avoid: "baseline dns-visibility {\n  applies to all tenants\n  visibility only\n  use zero-trust\n}",
      prefer: "baseline dns-visibility {\n  applies to all tenants\n  visibility only\n  use dns\n}",
    },
  }),

  unknownService: entry<{ service: string; suggestion?: string | undefined }>({
    code: "ZT2026",
    severity: "error",
    kind: "input",
    title: "unknown-service",
    message: (a) => `service ${a.service} is not declared in the tenant registry.${didYouMean(a.suggestion)}`,
    help: (a) => `Declare it under 'services:' in the tenant registry ("${a.service}": {} for a Service with a pod selector), or name its pods by tenant or namespace instead.`,
    docs: {
      summary:
        "A Service without a pod selector sends traffic to whatever addresses its Endpoints list, which Cilium matches as CIDRs (cilium-semantics.md B8): a tenant could reach any address through one. So `service` peers must be declared in the tenant registry, which the platform team reviews; a Service without a selector is declared with its addresses, and egress to it needs approvals like any CIDR.",
      avoid: "allow egress from api to service payments/anything port 443",
      prefer: "# registry/tenants.yaml\nservices:\n  kube-system/metrics-server: {}",
    },
  }),
  auditNotAllowed: entry<{ tenant: string }>({
    code: "ZT2027",
    severity: "error",
    kind: "input",
    title: "audit-mode-not-allowed",
    message: (a) => `tenant '${a.tenant}' may not switch off default deny: 'mode audit' needs 'audit-allowed: true' for it in the tenant registry`,
    help: "Ask the platform team to allow a staged rollout for this tenant in registry/tenants.yaml, or remove 'mode audit'.",
    docs: {
      summary:
        "In audit mode a tenant's namespaces are not default-deny: its rules are emitted (and visible in Hubble) but traffic they do not allow still flows. That weakens zero trust, so the tenant registry, reviewed by the platform team, must allow it per tenant.",
      avoid: "tenant payments {\n  mode audit\n}",
    },
  }),
  conflictingSetting: entry<{ setting: string; tenant: string; first: string; value: string; other: string }>({
    code: "ZT2028",
    severity: "error",
    kind: "input",
    title: "conflicting-setting",
    message: (a) => `'${a.setting} ${a.value}' contradicts '${a.setting} ${a.other}' for tenant '${a.tenant}' at ${a.first}`,
    help: "A tenant has one mode and one DNS setting, whatever file says it: keep one of them.",
    docs: { summary: "Tenant settings (`mode`, `dns`) apply to the whole tenant; two blocks of the tenant may not disagree." },
  }),
  invalidSetting: entry<{ setting: string; value: string; allowed: string; where?: string | undefined }>({
    code: "ZT2029",
    severity: "error",
    kind: "input",
    title: "invalid-setting",
    message: (a) => (a.where ? `'${a.setting}' ${a.where}` : `'${a.setting} ${a.value}' is not a setting: use ${a.allowed}`),
    docs: {
      summary: "`mode` takes `audit` or `enforce`; `dns` (as a tenant statement) takes `strict` or `any`. `mode` belongs in tenant blocks and baselines, `dns` in tenant blocks.",
      avoid: "tenant payments {\n  mode staged\n}",
      prefer: "tenant payments {\n  mode audit\n}",
    },
  }),
  unknownCluster: entry<{ name: string; suggestion?: string | undefined; known: string }>({
    code: "ZT2030",
    severity: "error",
    kind: "input",
    title: "unknown-cluster",
    message: (a) => `cluster '${a.name}' is not in the cluster mesh of ztc.yaml (${a.known}).${didYouMean(a.suggestion)}`,
    help: "List the mesh's other clusters under cluster.mesh in ztc.yaml; a misspelt cluster name would silently match nothing.",
    docs: {
      summary: "Rules may name pods in other clusters of a Cilium cluster mesh (`tenant ledger in cluster eu-west`). The names are checked against `cluster.mesh` in ztc.yaml, because a selector for a cluster that does not exist matches nothing without any error from Cilium.",
      avoid: "allow ingress to api port 8080 from tenant checkout in cluster eu-wset",
    },
  }),
  nodesBaselineScope: entry<{ message: string }>({
    code: "ZT2031",
    severity: "error",
    kind: "input",
    title: "host-policy-scope",
    message: (a) => a.message,
    docs: {
      summary:
        "A baseline that applies to nodes becomes a host firewall policy (a CiliumClusterwideNetworkPolicy with a nodeSelector, cilium-semantics.md B6). Such a policy never selects pods, so it cannot also apply to tenants or namespaces, and rules that only make sense for pods (`within namespace`) are refused.",
      avoid: "baseline nodes {\n  applies to nodes\n  applies to all tenants\n}",
    },
  }),

  // ---------------------------------------------------------------- 3xxx policy checks
  unapprovedDestination: entry<{ destination: string; tenant: string; ports: string; detail?: string | undefined }>({
    code: "ZT3001",
    severity: "error",
    kind: "input",
    title: "unapproved-destination",
    message: (a) => `egress to ${a.destination}${a.ports} is not covered by an approval for tenant ${quote(a.tenant)}${a.detail ? `: ${a.detail}` : ""}`,
    help: "External destinations need an approval from the security team in registry/approvals.yaml; the fix adds a draft entry for review.",
    docs: {
      summary:
        "Egress to anything outside the cluster (host names, patterns, CIDRs, the world entity) must be covered by an unexpired approval that names this tenant (or `*`) and includes every port of the rule. A pattern is covered only by an approval pattern that contains it: `*.stripe.com` is not covered by `api.stripe.com`, and `**.x.com` is not covered by `*.x.com`. CIDRs may be covered by several approvals together.",
      avoid: "tenant payments allow egress api.example.org:443   # no approval",
      prefer: "# registry/approvals.yaml\n- id: APR-0100\n  destination: api.example.org\n  ports: [443/tcp]\n  tenants: [payments]\n  approved-by: secops\n  ticket: SEC-2000\n  expires: 2027-06-30",
    },
  }),
  approvalExpired: entry<{ destination: string; ids: string; date: string }>({
    code: "ZT3002",
    severity: "error",
    kind: "input",
    title: "approval-expired",
    message: (a) => `egress to ${a.destination} relied on approval ${a.ids}, which expired on ${a.date}`,
    help: "Ask the security team to renew the approval (a new expiry date in registry/approvals.yaml), or remove the rule.",
    docs: {
      summary: "An approval is valid up to and including its `expires` date (UTC). After that, rules that need it fail to compile, so a lapsed approval cannot stay deployed unnoticed.",
    },
  }),
  blockedDestination: entry<{ destination: string; blocked: string; reason: string }>({
    code: "ZT3003",
    severity: "error",
    kind: "input",
    title: "blocked-destination",
    message: (a) => `egress to ${a.destination} reaches blocked destination ${a.blocked} (${a.reason})`,
    help: "Blocked destinations cannot be approved. Narrow the rule so it does not include the blocked destination.",
    docs: {
      summary:
        "The approval registry's `blocked:` list names destinations that are never allowed, whatever the approvals say. A rule is rejected when what it allows overlaps a blocked destination: `**.com` overlaps `*.pastebin.com`, `0.0.0.0/0` overlaps every blocked CIDR, and the world entity overlaps everything.",
      avoid: "allow egress to **.pastebin.com:443",
    },
  }),
  approvalExpiringSoon: entry<{ ids: string; date: string; days: number }>({
    code: "ZT3004",
    severity: "warning",
    kind: "input",
    title: "approval-expiring-soon",
    message: (a) => `approval ${a.ids} expires on ${a.date} (in ${a.days} day${a.days === 1 ? "" : "s"}); this rule stops compiling after that`,
    help: "Ask the security team to renew it before it lapses.",
    docs: { summary: "A rule depends on an approval that expires within 30 days." },
  }),
  invalidPort: entry<{ reason: string }>({
    code: "ZT3006",
    severity: "error",
    kind: "input",
    title: "invalid-port",
    message: (a) => `invalid port: ${a.reason}`,
    help: "Ports are 1-65535; a range is low-high with low < high; protocols are tcp, udp, sctp or any.",
    docs: {
      summary:
        "Port numbers must be 1..65535 (Cilium treats port 0 as 'all ports'; ztc says so by leaving the port out). Ranges need low < high. Cilium parses ports with base prefixes, so ztc always emits plain decimal.",
      avoid: "allow egress to api.stripe.com:99999",
      prefer: "allow egress to api.stripe.com:443",
    },
  }),
  invalidCidr: entry<{ text: string; reason: string }>({
    code: "ZT3007",
    severity: "error",
    kind: "input",
    title: "invalid-cidr",
    message: (a) => `invalid CIDR ${quote(a.text)}: ${a.reason}`,
    help: "Write the network address with its prefix length, e.g. 10.40.0.0/16 or fd00::/8.",
    docs: {
      summary:
        "CIDRs are written address/prefix-length. Host bits must be zero (10.40.1.0/16 is ambiguous; the fix offers 10.40.0.0/16), a bare address needs /32 or /128, and IPv4 octets have no leading zeros.",
      avoid: "deny egress to cidr 169.254.169.254",
      prefer: "deny egress to cidr 169.254.169.254/32",
    },
  }),
  invalidHost: entry<{ text: string; reason: string }>({
    code: "ZT3008",
    severity: "error",
    kind: "input",
    title: "invalid-host",
    message: (a) => `invalid host name or pattern ${quote(a.text)}: ${a.reason}`,
    help: "Host names use letters, digits, '-', '_' and dots; patterns add '*' inside a label or a leading '**.' for any number of labels.",
    docs: {
      summary:
        "Host names and patterns must match what Cilium's toFQDNs accepts: labels of [-a-zA-Z0-9_] (patterns also '*'), separated by single dots, at most 255 characters. A leading `**.` matches one or more whole labels (Cilium 1.20+); any other `*` matches within one label.",
      avoid: "allow egress to api..stripe.com:443",
      prefer: "allow egress to api.stripe.com:443",
    },
  }),
  duplicateRule: entry<{ line: number }>({
    code: "ZT3009",
    severity: "warning",
    kind: "input",
    title: "duplicate-rule",
    message: (a) => `this rule repeats the rule on line ${a.line}`,
    help: "Remove one of them.",
    docs: { summary: "Two rules of the same tenant allow (or deny) exactly the same traffic." },
  }),
  shadowedRule: entry<{ line: number; file: string }>({
    code: "ZT3010",
    severity: "warning",
    kind: "input",
    title: "shadowed-by-deny",
    message: (a) => `this allow has no effect: the deny rule at ${a.file}:${a.line} blocks all the traffic it allows`,
    help: "In Cilium a deny always wins over an allow. Remove the allow or narrow the deny.",
    docs: {
      summary: "Cilium evaluates deny rules before allow rules, whatever policy they come from. An allow whose traffic is entirely denied is dead code that misleads reviewers.",
      avoid: "deny egress to cidr 169.254.0.0/16\nallow egress to cidr 169.254.169.254/32 port 80",
    },
  }),
  redundantRule: entry<{ line: number; file: string; l7?: boolean | undefined }>({
    code: "ZT3011",
    severity: "warning",
    kind: "input",
    title: "redundant-rule",
    message: (a) =>
      a.l7
        ? `the HTTP rules here have no effect: the rule at ${a.file}:${a.line} already allows the same peer and port without HTTP rules`
        : `this rule is already covered by the rule at ${a.file}:${a.line}`,
    help: (a) => (a.l7 ? "Cilium merges the two and the HTTP restrictions become allow-all; add HTTP rules to the other rule too, or remove it." : "Remove the narrower rule, or the broader one if it was a mistake."),
    docs: {
      summary:
        "Another rule of the same tenant, subject and direction already allows everything this rule allows. When a plain rule and an HTTP rule cover the same peer and port, Cilium's merge makes the HTTP rules allow everything, so the restriction silently disappears.",
      avoid: "allow egress to *.stripe.com:443\nallow egress to api.stripe.com:443",
    },
  }),
  broadRule: entry<{ what: string }>({
    code: "ZT3012",
    severity: "warning",
    kind: "input",
    title: "overly-broad-rule",
    message: (a) => `overly broad rule: ${a.what}`,
    help: "Name the destinations the workload needs instead, so the rule documents and limits what it reaches.",
    docs: {
      summary:
        "The rule opens a very large space: the world or all entity, 0.0.0.0/0 or ::/0, the `*` pattern or a whole top-level domain. It compiles (when approved), but zero trust means naming what is needed.",
      avoid: "allow egress to entity world port 443",
      prefer: "allow egress to api.stripe.com:443, files.stripe.com:443",
    },
  }),
  broadCidrUnion: entry<{ family: string; cidrs: string }>({
    code: "ZT3013",
    severity: "warning",
    kind: "input",
    title: "cidrs-cover-everything",
    message: (a) => `together these rules allow all of ${a.family} (${a.cidrs})`,
    help: "Splitting 0.0.0.0/0 into smaller prefixes does not make it narrower; name the networks the workload needs.",
    docs: {
      summary: "Several CIDR rules of one subject and direction add up to the whole address family, e.g. 0.0.0.0/1 and 128.0.0.0/1. ztc checks the union, not the spelling.",
      avoid: "allow egress to cidr 0.0.0.0/1, cidr 128.0.0.0/1 port 443",
    },
  }),
  allPorts: entry<{ peer: string; ingress?: boolean | undefined }>({
    code: "ZT3014",
    severity: "warning",
    kind: "input",
    title: "all-ports",
    message: (a) => `this rule allows every port and protocol ${a.ingress ? "from" : "to"} ${a.peer}`,
    help: (a) => (a.ingress ? "Add the ports the workload listens on: port 8080." : "Add the ports the workload uses: port 443, or host:443."),
    docs: {
      summary: "Without a port, the rule allows all TCP, UDP and SCTP ports. Rules to other tenants, namespaces and external destinations should name their ports.",
      avoid: "allow ingress to api from tenant checkout",
      prefer: "allow ingress to api port 8080 from tenant checkout",
    },
  }),
  crossTenantOneSided: entry<{ message: string }>({
    code: "ZT3015",
    severity: "warning",
    kind: "input",
    title: "cross-tenant-one-sided",
    message: (a) => a.message,
    help: "Traffic between tenants needs both sides: the client's egress rule and the server's ingress rule.",
    docs: {
      summary:
        "Every tenant namespace is default-deny in both directions, so traffic from tenant A to tenant B flows only if A allows the egress and B admits the ingress. ztc warns about one-sided rules, which usually mean a missing rule in the other team's file.",
      avoid: "tenant checkout allow egress from web to tenant payments workload api port 8080   # payments does not admit it",
      prefer: "tenant payments allow ingress to api port 8080 from tenant checkout workload web",
    },
  }),
  peerNotAllowed: entry<{ peer: string; reason: string }>({
    code: "ZT3017",
    severity: "error",
    kind: "input",
    title: "peer-not-allowed-here",
    message: (a) => `${a.peer} cannot be used here: ${a.reason}`,
    docs: {
      summary:
        "Some peers only make sense in one direction or action: host names and patterns are egress-allow only (Cilium has no fromFQDNs and no FQDN deny), services are egress-only, and `within namespace` has no subject of its own.",
      avoid: "allow ingress to api port 443 from api.example.com",
      prefer: "allow ingress to api port 443 from cidr 203.0.113.0/24",
    },
  }),
  invalidExcept: entry<{ except: string; cidr: string; reason: string }>({
    code: "ZT3018",
    severity: "error",
    kind: "input",
    title: "invalid-except",
    message: (a) => `except ${a.except} ${a.reason} ${a.cidr}`,
    help: "Each except must be a smaller prefix inside the CIDR it modifies, of the same address family.",
    docs: {
      summary: "Cilium rejects an `except` that is not contained in its CIDR, is of another family, or is shorter than it (the agent's CIDRRule check).",
      avoid: "allow egress to cidr 10.40.0.0/16 except 10.50.0.0/24",
      prefer: "allow egress to cidr 10.40.0.0/16 except 10.40.9.0/24",
    },
  }),
  portGivenTwice: entry<NoArgs>({
    code: "ZT3019",
    severity: "error",
    kind: "input",
    title: "port-given-twice",
    message: () => "ports are given both after the host (host:port) and in a port clause",
    help: "Use one form: api.stripe.com:443, or api.stripe.com port 443.",
    docs: { summary: "A destination's port is written either `host:443` or in the rule's `port` clause, not both." },
  }),
  invalidProtocol: entry<{ text: string }>({
    code: "ZT3020",
    severity: "error",
    kind: "input",
    title: "invalid-protocol",
    message: (a) => `unknown protocol ${quote(a.text)}`,
    help: "Use tcp (the default), udp, sctp or any.",
    docs: { summary: "A port's protocol is written after a slash: 53/udp, 9000/sctp, 53/any. Without one, TCP is meant." },
  }),
  l7NotAllowed: entry<{ reason: string; what?: string | undefined }>({
    code: "ZT3021",
    severity: "error",
    kind: "input",
    title: "l7-rule-not-allowed",
    message: (a) => `${a.what ?? "HTTP rules"} cannot be used here: ${a.reason}`,
    docs: {
      summary:
        "L7 rules (HTTP, gRPC, DNS, Kafka) are enforced by Cilium's proxy and have preconditions the agent checks (cilium-semantics.md §A 16, 20-24): allow rules only; explicit ports, never all ports or port 0; TCP only for HTTP, gRPC and Kafka; DNS rules on egress, without port ranges; one L7 protocol per rule; no L7 on host ingress and only DNS on host egress.",
      avoid: "deny ingress to api port 8080 from tenant checkout http GET \"/admin\"",
    },
  }),
  invalidHttpRule: entry<{ reason: string }>({
    code: "ZT3022",
    severity: "error",
    kind: "input",
    title: "invalid-http-rule",
    message: (a) => `invalid HTTP rule: ${a.reason}`,
    help: "Methods are GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, CONNECT, TRACE or *; paths and hosts are RE2 regular expressions matched against the whole value; headers are \"Name\" or \"Name: value\".",
    docs: {
      summary:
        "Cilium passes HTTP rules to Envoy, which matches method, path and host as RE2 regular expressions against the whole value (\"/v1\" does not match \"/v1/x\"). RE2 has no look-around or backreferences; an invalid regex would make the agent reject the whole policy.",
      avoid: 'http GET "/v1/(?!admin).*"',
      prefer: 'http GET "/v1/public/.*"',
    },
  }),
  fqdnInCluster: entry<{ name: string }>({
    code: "ZT3023",
    severity: "error",
    kind: "input",
    title: "fqdn-in-cluster",
    message: (a) => `${quote(a.name)} is a cluster-internal name; host rules never match in-cluster addresses`,
    help: "Reach in-cluster services with `service NAMESPACE/NAME`, `namespace X` or `tenant X workload Y`.",
    docs: {
      summary: "Cilium's toFQDNs only matches addresses outside the cluster, so a rule to *.svc.cluster.local silently allows nothing.",
      avoid: "allow egress to ledger.ledger.svc.cluster.local:8443",
      prefer: "allow egress to tenant ledger workload ledger-api port 8443",
    },
  }),
  coarseRule: entry<{ message: string }>({
    code: "ZT3025",
    severity: "warning",
    kind: "input",
    title: "coarse-rule-broader-than-needed",
    message: (a) => a.message,
    help: "Namespace-wide rules are a good start; once the workload rules beside it cover what the workloads need, remove the namespace-wide rule.",
    docs: {
      summary:
        "The coarse-to-fine path: a namespace-wide rule (allow within namespace, a port public to the cluster, egress to everything approved) next to workload rules that allow part of the same traffic. ztc points out the overlap so the move to fine-grained rules is visible until the coarse rule can go.",
      avoid: "allow within namespace\nallow ingress to db port 5432 from api",
    },
  }),
  argumentType: entry<{ param: string; expected: string; found: string }>({
    code: "ZT3026",
    severity: "error",
    kind: "input",
    title: "argument-type-mismatch",
    message: (a) => `parameter '${a.param}' expects ${a.expected}, not ${a.found}`,
    docs: {
      summary: "A rule set argument (or a parameter's default) does not fit the parameter's type: a port is a number (9100, 53/udp, 8000-8999) or a port name; a host a DNS name or pattern; a cidr address/length; a namespace, tenant or entity a name.",
      avoid: "use prometheus-scrape(port: prometheus.io)",
      prefer: "use prometheus-scrape(port: 9100)",
    },
  }),
  unknownArgument: entry<{ message: string }>({
    code: "ZT3027",
    severity: "error",
    kind: "input",
    title: "invalid-argument",
    message: (a) => a.message,
    help: "Pass each parameter at most once, by name: use prometheus-scrape(port: 9100).",
    docs: { summary: "An argument names no parameter of the rule set, or names one twice." },
  }),
  missingArgument: entry<{ param: string; ruleset: string }>({
    code: "ZT3028",
    severity: "error",
    kind: "input",
    title: "missing-argument",
    message: (a) => `rule set ${quote(a.ruleset)} needs a value for ${a.param}`,
    docs: { summary: "A rule set parameter without a default was not given a value." },
  }),
  baselineScope: entry<{ message: string }>({
    code: "ZT3030",
    severity: "warning",
    kind: "input",
    title: "baseline-scope",
    message: (a) => a.message,
    docs: {
      summary:
        "A baseline selects no namespace at all, or puts a system namespace such as kube-system under default deny, which stops cluster DNS and controllers unless every one of their flows is allowed.",
    },
  }),

  deprecatedFeature: entry<{ feature: string; version: string; removed: string }>({
    code: "ZT3031",
    severity: "warning",
    kind: "input",
    title: "deprecated-feature",
    message: (a) => `${a.feature} is deprecated in Cilium ${a.version} and removed in ${a.removed}`,
    help: "It still works on the target version in ztc.yaml; plan the replacement before the cluster upgrades.",
    docs: { summary: "Kafka rules were deprecated in Cilium 1.18 and removed in 1.20 (cilium-semantics.md §0). ztc emits them up to 1.19 and warns from 1.18 on." },
  }),
  invalidIcmp: entry<{ reason: string }>({
    code: "ZT3032",
    severity: "error",
    kind: "input",
    title: "invalid-icmp",
    message: (a) => `invalid ICMP type: ${a.reason}`,
    docs: {
      summary:
        "ICMP types are numbers from 0 to 255 or Cilium's names, which differ per family (`icmp` is IPv4, `icmpv6` IPv6): `echo-request` is type 8 in IPv4 and 128 in IPv6, `packet-too-big` exists only in IPv6. A name of the wrong family makes the agent reject the whole policy (cilium-semantics.md §A 32); ztc writes the number.",
      avoid: "allow egress to tenant ledger icmp packet-too-big",
      prefer: "allow egress to tenant ledger icmpv6 packet-too-big",
    },
  }),
  agentFeatureRequired: entry<{ feature: string; what: string }>({
    code: "ZT3033",
    severity: "error",
    kind: "input",
    title: "agent-feature-required",
    message: (a) => `${a.what} needs the Cilium agent feature '${a.feature}', which ztc.yaml does not list under cilium.features`,
    help: (a) => `If the cluster enables it, add '${a.feature}' to cilium.features in ztc.yaml; otherwise the agent rejects the policy.`,
    docs: {
      summary:
        "Some rules need agent features that are off by default: `authenticated` needs mutual authentication (the operator marks policies that require it invalid otherwise, §A 33); `nodes where ...` peers need `--enable-node-selector-labels` (§A 8). ztc.yaml says which the cluster has (`cilium.features`).",
      avoid: "allow ingress to api port 8080 from tenant checkout authenticated",
    },
  }),
  hostFirewallDisabled: entry<{ baseline: string }>({
    code: "ZT3034",
    severity: "warning",
    kind: "input",
    title: "host-firewall-not-enabled",
    message: (a) => `baseline '${a.baseline}' applies to nodes, but ztc.yaml does not list 'host-firewall' under cilium.features: Cilium ignores host policies unless the host firewall is enabled`,
    help: "Enable the host firewall (hostFirewall.enabled=true) and add 'host-firewall' to cilium.features, or drop the baseline.",
    docs: { summary: "Host policies (nodeSelector) are only enforced with the host firewall enabled (cilium-semantics.md B6); without it they are accepted and silently do nothing." },
  }),
  auditStillEnforced: entry<{ what: string }>({
    code: "ZT3035",
    severity: "warning",
    kind: "input",
    title: "enforced-in-audit-mode",
    message: (a) => `${a.what} is enforced even in audit mode`,
    help: "Audit mode only keeps default deny off. Deny rules still drop traffic and L7 rules still reject the requests they do not match; remove them while auditing if nothing may break.",
    docs: {
      summary:
        "`mode audit` emits the tenant's policies with `enableDefaultDeny: false`, so traffic no rule allows still flows. Cilium still enforces what the policies say explicitly: deny rules drop, and L7 rules (HTTP, gRPC, DNS, Kafka) reject non-matching requests (cilium-semantics.md B1).",
      avoid: "tenant payments {\n  mode audit\n  deny egress to cidr 169.254.169.254/32\n}",
    },
  }),
  denyWithoutDefaultDeny: entry<{ targets: string; direction: string }>({
    code: "ZT3036",
    severity: "warning",
    kind: "input",
    title: "deny-without-default-deny",
    message: (a) =>
      `this deny rule does not switch ${a.targets} into ${a.direction} default deny: ztc writes enableDefaultDeny: false, so only the denied traffic is blocked`,
    help: (a) => `That is usually what a deny rule is for. If these endpoints should also drop everything no rule allows, add 'default deny ${a.direction}' to the baseline.`,
    docs: {
      summary:
        "In Cilium, any policy with an ingress or egress section switches the endpoints it selects into default deny for that direction, even one with only deny rules (cilium-semantics.md B1): a deny-only policy would silently cut all other traffic. ztc writes `enableDefaultDeny` explicitly on baselines and host policies, so a deny rule only denies; this warning says so where the selected endpoints are not default-deny otherwise (shared namespaces, nodes).",
      avoid: "baseline lock-metadata {\n  applies to nodes\n  deny egress to cidr 169.254.169.254/32\n}",
    },
  }),
  strictDnsUndermined: entry<{ tenant: string; baseline: string }>({
    code: "ZT3037",
    severity: "warning",
    kind: "input",
    title: "strict-dns-undermined",
    message: (a) => `tenant '${a.tenant}' asks for strict DNS, but baseline '${a.baseline}' lets its pods look up every name`,
    help: "Cilium merges DNS rules: the baseline's dns \"*\" admits every lookup whatever the tenant's rules say. Narrow the baseline's DNS rule, or exclude the tenant from it.",
    docs: {
      summary:
        "With `dns strict`, the DNS-proxy rule of a tenant's policies lists only the names its host rules need and the cluster's own names. The DNS proxy answers a lookup if any rule admits it, so a baseline (such as the stdlib's `dns` rule set, `dns \"*\"`) that admits every name makes strict mode moot.",
    },
  }),
  serviceWithoutSelector: entry<{ service: string; addresses: string }>({
    code: "ZT3038",
    severity: "warning",
    kind: "input",
    title: "service-without-selector",
    message: (a) => `service ${a.service} has no pod selector: Cilium matches its backends ${a.addresses} as CIDRs, which never include pods`,
    help: "Reaching it is egress to those addresses, checked against the approvals. If the backends are pods, give the Service a selector (and declare it so) or name the pods instead.",
    docs: { summary: "For a Service without a pod selector, Cilium's toServices becomes a toCIDRSet of its Endpoints' addresses (cilium-semantics.md B8), and CIDR rules never match Cilium-managed pods (B7)." },
  }),
  invalidKafkaRule: entry<{ reason: string }>({
    code: "ZT3039",
    severity: "error",
    kind: "input",
    title: "invalid-kafka-rule",
    message: (a) => `invalid Kafka rule: ${a.reason}`,
    docs: {
      summary: "A Kafka rule is a role (`produce` or `consume`), a quoted topic, or both. Topics are 1 to 249 characters of letters, digits, '.', '_' and '-'.",
      avoid: 'allow egress to tenant ledger port 9092 kafka write "orders"',
      prefer: 'allow egress to tenant ledger port 9092 kafka produce "orders"',
    },
  }),
  invalidAuthentication: entry<{ reason: string }>({
    code: "ZT3040",
    severity: "error",
    kind: "input",
    title: "invalid-authentication",
    message: (a) => `'authenticated' cannot be used here: ${a.reason}`,
    docs: {
      summary:
        "Mutual authentication (`authentication.mode: required`) exists only on allow rules (cilium-semantics.md §A 20), and both sides need a SPIFFE identity, which only Cilium-managed pods have: with a host, CIDR or entity peer every connection would fail authentication.",
      avoid: "deny ingress to api from tenant checkout authenticated",
    },
  }),

  hostNotResolvable: entry<{ host: string; line: string }>({
    code: "ZT3041",
    severity: "warning",
    kind: "input",
    title: "host-not-resolvable",
    message: (a) => `the DNS rule at ${a.line} does not let these pods look up ${a.host}, so this host rule never matches`,
    help: (a) => `Cilium learns a host's addresses only from lookups its DNS proxy answers; add "${a.host}" to the DNS rule's names.`,
    docs: {
      summary:
        "When a tenant writes its own DNS rule to the cluster resolver (`dns \"*.example.com\"`), ztc adds no DNS-proxy rule of its own: its `*` would widen the tenant's list, because Cilium merges DNS rules on the same peer and port. Then every host the tenant's rules allow must be among the names its DNS rule admits, or the lookup is refused and the host rule allows nothing (cilium-semantics.md B4).",
      avoid:
        'tenant payments {\n  allow egress to namespace kube-system workload k8s-app=kube-dns port 53/any dns "*.internal.example"\n  allow egress to api.stripe.com:443\n}',
      prefer:
        'tenant payments {\n  allow egress to namespace kube-system workload k8s-app=kube-dns port 53/any dns "*.internal.example", "api.stripe.com"\n  allow egress to api.stripe.com:443\n}',
    },
  }),

  // ---------------------------------------------------------------- 4xxx Cilium output
  invalidOutput: entry<{ policy: string; problem: string }>({
    code: "ZT4001",
    severity: "error",
    kind: "internal",
    title: "internal-invalid-output",
    message: (a) => `internal error: the generated policy ${a.policy} would be rejected by Cilium: ${a.problem}`,
    help: "This is a bug in ztc, not in your policy. Nothing was written. Please report it with the input that caused it.",
    docs: {
      summary:
        "Every generated document is checked against the CiliumNetworkPolicy schema and the agent's own validation rules before anything is written. A failure means ztc produced something Cilium would reject; it is reported as an internal error and no output is written.",
    },
  }),
  outputConflict: entry<{ path: string }>({
    code: "ZT4002",
    severity: "error",
    kind: "io",
    title: "output-conflict",
    message: (a) => `${a.path} exists in the output folder and was not written by ztc; refusing to overwrite it`,
    help: "Move the file away or choose another output folder; ztc only replaces or deletes files that carry its 'Code generated by ztc' header.",
    docs: { summary: "ztc owns only the files it generated (they start with a 'Code generated by ztc. DO NOT EDIT.' header). It never overwrites or deletes anything else in the output folder." },
  }),
  outputWriteFailed: entry<{ path: string; reason: string }>({
    code: "ZT4003",
    severity: "error",
    kind: "io",
    title: "output-write-failed",
    message: (a) => `cannot write ${a.path}: ${a.reason}`,
    docs: { summary: "Writing the output failed (permissions, disk full, a file where a folder should be). Files already in place were left unchanged or completely replaced, never half-written." },
  }),
  versionUnsupportedFeature: entry<{ feature: string; version: string; need: string }>({
    code: "ZT4004",
    severity: "error",
    kind: "input",
    title: "unsupported-by-target-version",
    message: (a) => `${a.feature} is not supported by Cilium ${a.version} (the target in ztc.yaml); it needs ${a.need}`,
    help: "Raise cilium.version in ztc.yaml once the cluster runs that version, or avoid the feature.",
    docs: { summary: "Some Cilium features depend on the version: `**.` patterns need 1.20; Kafka rules were removed in 1.20. ztc checks against `cilium.version` in ztc.yaml." },
  }),

  // ---------------------------------------------------------------- 5xxx project and registries
  yamlSyntax: entry<{ message: string }>({
    code: "ZT5001",
    severity: "error",
    kind: "input",
    title: "yaml-syntax",
    message: (a) => `YAML syntax error: ${a.message}`,
    docs: { summary: "The YAML file could not be parsed. Registries and ztc.yaml are YAML 1.2." },
  }),
  schemaViolation: entry<{ message: string }>({
    code: "ZT5002",
    severity: "error",
    kind: "input",
    title: "schema-violation",
    message: (a) => a.message,
    docs: {
      summary:
        "The file does not match its JSON Schema (shipped with ztc under compiler/schemas/): a missing or misspelled field, or a value of the wrong type. The squiggle points at the YAML node.",
      avoid: "tenants:\n  payments:\n    namespace: [payments]",
      prefer: "tenants:\n  payments:\n    namespaces: [payments]",
    },
  }),
  duplicateKey: entry<{ key: string }>({
    code: "ZT5003",
    severity: "error",
    kind: "input",
    title: "duplicate-key",
    message: (a) => `duplicate key ${quote(a.key)}; YAML keeps only one of them`,
    help: "Remove or rename one of the keys.",
    docs: { summary: "A mapping has the same key twice. Many YAML tools silently keep the last value; ztc refuses, because a registry entry must say one thing." },
  }),
  aliasLimit: entry<NoArgs>({
    code: "ZT5004",
    severity: "error",
    kind: "input",
    title: "yaml-alias-limit",
    message: () => "too many YAML aliases: the document expands beyond what a registry needs (alias bomb?)",
    help: "Write the values out instead of using anchors and aliases.",
    docs: { summary: "YAML anchors and aliases can expand exponentially ('billion laughs'). ztc caps alias expansion and refuses documents that exceed it." },
  }),
  fileNotFound: entry<{ path: string; what: string }>({
    code: "ZT5005",
    severity: "error",
    kind: "io",
    title: "file-not-found",
    message: (a) => `${a.what} ${a.path} does not exist`,
    docs: { summary: "A file named in ztc.yaml (a registry) or on the command line could not be read." },
  }),
  pathOutsideProject: entry<{ path: string; what: string }>({
    code: "ZT5006",
    severity: "error",
    kind: "input",
    title: "path-outside-project",
    message: (a) => `${a.what} ${quote(a.path)} is outside the project folder`,
    help: "Paths in ztc.yaml are relative to it and stay inside its folder: no '..', no absolute paths, no symbolic links that leave it.",
    docs: {
      summary: "ztc only reads and writes inside the project folder (the folder of ztc.yaml). This keeps a pull request from pointing CI at files elsewhere on the runner.",
      avoid: "registries:\n  tenants: ../../etc/tenants.yaml",
      prefer: "registries:\n  tenants: registry/tenants.yaml",
    },
  }),
  duplicateNamespace: entry<{ namespace: string; first: string }>({
    code: "ZT5007",
    severity: "error",
    kind: "input",
    title: "namespace-claimed-twice",
    message: (a) => `namespace ${quote(a.namespace)} is already claimed by ${a.first}`,
    help: "A namespace belongs to exactly one tenant (or is shared); remove it from one of the entries.",
    docs: { summary: "Two tenants (or a tenant and the shared namespaces) list the same namespace. Ownership must be unambiguous: a namespace's default deny and policies come from one tenant." },
  }),
  duplicateApprovalId: entry<{ id: string }>({
    code: "ZT5008",
    severity: "error",
    kind: "input",
    title: "duplicate-approval-id",
    message: (a) => `approval id ${quote(a.id)} is used twice`,
    help: "Approval ids are referenced from the generated policies; give each approval its own id.",
    docs: { summary: "Approval ids appear in the annotations of generated policies for audit, so they must be unique." },
  }),
  invalidRegistryValue: entry<{ message: string }>({
    code: "ZT5009",
    severity: "error",
    kind: "input",
    title: "invalid-registry-value",
    message: (a) => a.message,
    docs: { summary: "A registry value is well-formed YAML of the right type but not a valid destination, port, glob or date." },
  }),
  unknownTenantInRegistry: entry<{ name: string; suggestion?: string | undefined }>({
    code: "ZT5010",
    severity: "error",
    kind: "input",
    title: "approval-for-unknown-tenant",
    message: (a) => `approval names unknown tenant ${quote(a.name)}.${didYouMean(a.suggestion)}`,
    docs: { summary: "An approval's `tenants` list names a tenant the tenant registry does not define, so it would silently approve nothing." },
  }),
  noSources: entry<{ globs: string }>({
    code: "ZT5011",
    severity: "warning",
    kind: "input",
    title: "no-sources",
    message: (a) => `no .zt files match the sources in ztc.yaml (${a.globs})`,
    docs: { summary: "The `sources` globs in ztc.yaml match no files, so nothing is compiled; check the patterns." },
  }),
  unsupportedCiliumVersion: entry<{ version: string }>({
    code: "ZT5012",
    severity: "error",
    kind: "input",
    title: "unsupported-cilium-version",
    message: (a) => `Cilium version ${quote(a.version)} is not supported; ztc targets 1.16 to 1.20`,
    docs: { summary: "`cilium.version` in ztc.yaml selects what ztc may emit. Supported: 1.16, 1.17, 1.18, 1.19, 1.20." },
  }),
  projectNotFound: entry<{ path: string }>({
    code: "ZT5014",
    severity: "error",
    kind: "io",
    title: "project-not-found",
    message: (a) => `no ztc.yaml found in ${a.path} or its parent folders`,
    help: "Run ztc in a policy repository, or pass its folder: ztc compile path/to/repo",
    docs: { summary: "ztc looks for ztc.yaml in the given folder (default: the current folder) and its parents." },
  }),
  notText: entry<{ reason: string }>({
    code: "ZT5015",
    severity: "error",
    kind: "input",
    title: "registry-not-text",
    message: (a) => `this file is not UTF-8 text (${a.reason})`,
    docs: { summary: "Registries and ztc.yaml must be UTF-8 text without NUL bytes; registries above 16 MiB are refused." },
  }),
  overlappingPaths: entry<{ file: string; tenants: string }>({
    code: "ZT5016",
    severity: "warning",
    kind: "input",
    title: "file-owned-by-several-tenants",
    message: (a) => `${a.file} matches the paths of several tenants (${a.tenants})`,
    help: "Give each tenant its own folder so ownership and review are unambiguous.",
    docs: { summary: "A source file is matched by the `paths` globs of more than one tenant, so more than one team could claim it." },
  }),

  staleApproval: entry<{ id: string; date: string }>({
    code: "ZT5017",
    severity: "warning",
    kind: "input",
    title: "expired-approval-in-registry",
    message: (a) => `approval ${a.id} expired on ${a.date} and approves nothing any more`,
    help: "Renew it (a new expiry date, reviewed by the security team) or delete the entry so the registry shows only what is approved.",
    docs: {
      summary:
        "An approval whose `expires` date has passed still sits in the approval registry. Rules that relied on it fail with ZT3002; the warning keeps the registry an accurate record of what is approved today.",
    },
  }),

  // ---------------------------------------------------------------- 6xxx tests
  expectationFailed: entry<{ message: string }>({
    code: "ZT6001",
    severity: "error",
    kind: "input",
    title: "expectation-failed",
    message: (a) => a.message,
    help: "The notes name the rules that decided the flow. Change them, or the expectation if the policy is right.",
    docs: {
      summary:
        "`ztc test` evaluated an `expect` statement against the compiled policies, with Cilium's semantics (default deny per direction, deny over allow, egress and ingress both needed between pods, L7 rules), and the result differs from the expectation.",
      avoid: "tenant payments {\n  workload api = app=payments-api\n  expect api -> api.stripe.com:443 allowed\n}",
      prefer: "tenant payments {\n  workload api = app=payments-api\n  allow egress from api to api.stripe.com:443\n  expect api -> api.stripe.com:443 allowed\n}",
    },
  }),
  oneSidedFlow: entry<{ message: string }>({
    code: "ZT6002",
    severity: "error",
    kind: "input",
    title: "one-sided-cross-tenant-flow",
    message: (a) => a.message,
    help: "Traffic between tenants needs the client's egress rule and the server's ingress rule. Ask the other tenant to add theirs, or remove this rule.",
    docs: {
      summary:
        "An invariant `ztc test` checks without being asked: every rule that lets a tenant's pods talk to another tenant's pods is matched by the other tenant's policy. ztc builds the flow the rule describes and evaluates it against both tenants' compiled policies; a rule the other side drops is a test failure.",
    },
  }),
  unreachableRule: entry<{ message: string }>({
    code: "ZT6003",
    severity: "warning",
    kind: "input",
    title: "unreachable-rule",
    message: (a) => a.message,
    help: "A rule that can never allow anything is dead weight or a mistake: remove it, or change what stops it.",
    docs: {
      summary:
        "An invariant `ztc test` checks without being asked: for each allow rule it evaluates a flow the rule is written for. A rule whose flow a deny rule always drops, or whose selector can match no pod, is unreachable.",
    },
  }),

  // ---------------------------------------------------------------- 9xxx internal
  internalError: entry<{ message: string }>({
    code: "ZT9001",
    severity: "error",
    kind: "internal",
    title: "internal-error",
    message: (a) => `internal error: ${a.message}`,
    help: "This is a bug in ztc. Nothing was written. Please report it with the input that caused it.",
    docs: { summary: "ztc hit an unexpected condition. It reports it as a diagnostic instead of crashing and writes nothing." },
  }),
} as const;

export type CodeName = keyof typeof CATALOG;

/** Catalog entries in code order, for documentation and lookups by code. */
export function catalogEntries(): Array<CatalogEntry<never> & { name: CodeName }> {
  return (Object.keys(CATALOG) as CodeName[])
    .map((name) => ({ ...(CATALOG[name] as CatalogEntry<never>), name }))
    .sort((a, b) => (a.code < b.code ? -1 : 1));
}

const byCode = new Map<string, CatalogEntry<never>>();
export function entryForCode(code: string): CatalogEntry<never> | undefined {
  if (byCode.size === 0) for (const e of catalogEntries()) byCode.set(e.code, e);
  return byCode.get(code);
}
