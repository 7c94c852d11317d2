/**
 * The grammar, as a Chevrotain CstParser with error recovery. One module-level instance is reused
 * for every parse (Chevrotain's self-analysis is the expensive part of start-up).
 *
 * Syntax only lives here; to-ast.ts turns the CST into the typed AST and reports the problems the
 * grammar deliberately accepts (a rule outside a tenant, a clause given twice) with better messages
 * than a parse error could give.
 */
import {
  CstParser,
  EOF,
  tokenMatcher,
  type CstNode,
  type IOrAlt,
  type IParserErrorMessageProvider,
  type IToken,
  type OrMethodOpts,
  type TokenType,
} from "chevrotain";
import { closest } from "./suggest.js";
import * as T from "./tokens.js";

/** Human descriptions of what a rule expects, used when no single token was expected. */
const RULE_EXPECTATIONS: Record<string, string> = {
  item: "'tenant', 'baseline', 'ruleset', 'import' or 'expect'",
  expectStmt: "a flow (SOURCE -> DESTINATION ... allowed or denied) or 'default deny'",
  flowEndpoint: "an endpoint: tenant/workload, tenant NAME, namespace NAME, entity NAME, an address or a host name",
  flowDetail: "'http', 'dns', 'icmp', 'port', 'allowed' or 'denied'",
  rulesetItem: "a rule (allow ..., deny ...), 'use' or 'default deny'",
  baselineItem: "'applies to', 'default deny', 'visibility only', 'mode', a rule or 'use'",
  appliesStmt: "'all tenants', 'tenants ...', 'namespaces ...' or 'nodes'",
  argValue: "a value: a number, a port (443/tcp), a host name, a CIDR, a name, a string or a $parameter",
  param: "a parameter: name: type [= default]",
  tenantDecl: "'{' or a rule (allow ..., deny ...)",
  tenantItem: "a rule (allow ..., deny ...), a workload declaration, 'use', 'mode' or 'dns'",
  ruleStmt: "'ingress', 'egress' or 'within namespace'",
  ruleClause: "'from', 'to', 'port', 'http', 'grpc', 'kafka', 'dns', 'icmp', 'icmpv6' or 'authenticated'",
  target:
    "a peer: a host name, cidr ..., cidr-group ..., entity ..., tenant ..., namespace ..., service ns/name, nodes, workload ... or within namespace",
  clusterSuffix: "'cluster NAME' or 'any cluster'",
  kafkaRule: "a Kafka rule: produce or consume, and/or a quoted topic",
  icmpType: "an ICMP type: a number (0-255) or a name such as echo-request",
  portSpec: "a port number, a port range (8000-8999) or a port name",
  selectorTerm: "a label selector (key=value, key!=value, key in (a, b), key, !key)",
  labelValue: "a label value",
  labelKeyPart: "a label key",
  httpRule: "an HTTP method and/or a quoted path",
};

function describe(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  const shown = `'${token.image.length > 40 ? token.image.slice(0, 37) + "..." : token.image}'`;
  // A misspelled keyword lexes as a name: say which keyword it resembles.
  if (token.tokenType === T.Ident) {
    const keyword = closest(token.image, T.KEYWORDS);
    if (keyword) return `${shown} (did you mean '${keyword}'?)`;
  }
  return shown;
}

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

function joinAlternatives(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return unique.slice(0, -1).join(", ") + " or " + unique[unique.length - 1];
}

const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    if (expected === EOF) return `unexpected ${describe(actual)}: expected 'tenant', 'baseline', 'ruleset', 'import' or 'expect' at the start of a statement`;
    if (expected === T.RBrace && ruleName === "tenantDecl")
      return `expected a rule (allow ..., deny ...), a workload declaration, 'use', 'mode', 'dns' or '}' but found ${describe(actual)}`;
    if (expected === T.RBrace && ruleName === "rulesetDecl")
      return `expected a rule (allow ..., deny ...), 'use', 'default deny' or '}' but found ${describe(actual)}`;
    if (expected === T.RBrace && ruleName === "baselineDecl")
      return `expected 'applies to', 'default deny', 'visibility only', 'mode', a rule, 'use' or '}' but found ${describe(actual)}`;
    return `expected ${label(expected)} but found ${describe(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describe(firstRedundant)}: expected 'tenant', 'baseline', 'ruleset', 'import' or 'expect' at the start of a statement`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const first = actual[0]!;
    const wanted = RULE_EXPECTATIONS[ruleName] ?? joinAlternatives(expectedPathsPerAlt.flat().map((p) => label(p[0]!)));
    return `expected ${wanted} but found ${describe(first)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const wanted = RULE_EXPECTATIONS[ruleName] ?? joinAlternatives(expectedIterationPaths.map((p) => label(p[0]!)));
    return `expected ${wanted} but found ${describe(actual[0]!)}`;
  },
};

const TARGET_STARTS: TokenType[] = [
  T.Host,
  T.Wildcard,
  T.Variable,
  T.Kw.approved,
  T.Kw.cidr,
  T.Kw["cidr-group"],
  T.Kw.nodes,
  T.Kw.entity,
  T.Kw.tenant,
  T.Kw.namespace,
  T.Kw.service,
  T.Kw.workload,
  T.Kw.within,
  T.BareName,
];

const matchesAny = (tok: IToken, types: TokenType[]) => types.some((t) => tokenMatcher(tok, t));
const isOperator = (tok: IToken) =>
  tok.tokenType === T.Equals || tok.tokenType === T.DoubleEquals || tok.tokenType === T.NotEquals || tok.tokenType === T.Kw.in || tok.tokenType === T.Kw.notin;

/** Option objects of CONSUME and SUBRULE, made once rather than on every call. */
const LABEL = {
  action: { LABEL: "action" },
  address: { LABEL: "address" },
  all: { LABEL: "all" },
  allTenants: { LABEL: "allTenants" },
  any: { LABEL: "any" },
  approved: { LABEL: "approved" },
  authenticated: { LABEL: "authenticated" },
  bare: { LABEL: "bare" },
  cidr: { LABEL: "cidr" },
  cluster: { LABEL: "cluster" },
  defaultKeyword: { LABEL: "defaultKeyword" },
  destination: { LABEL: "destination" },
  direction: { LABEL: "direction" },
  dnsName: { LABEL: "dnsName" },
  end: { LABEL: "end" },
  entity: { LABEL: "entity" },
  except: { LABEL: "except" },
  expectKeyword: { LABEL: "expectKeyword" },
  header: { LABEL: "header" },
  headerKeyword: { LABEL: "headerKeyword" },
  host: { LABEL: "host" },
  hostKeyword: { LABEL: "hostKeyword" },
  keyword: { LABEL: "keyword" },
  method: { LABEL: "method" },
  name: { LABEL: "name" },
  named: { LABEL: "named" },
  namespace: { LABEL: "namespace" },
  namespaceSelector: { LABEL: "namespaceSelector" },
  namespacesKeyword: { LABEL: "namespacesKeyword" },
  nodeSelector: { LABEL: "nodeSelector" },
  nodesKeyword: { LABEL: "nodesKeyword" },
  nodesWhere: { LABEL: "nodesWhere" },
  number: { LABEL: "number" },
  op: { LABEL: "op" },
  own: { LABEL: "own" },
  path: { LABEL: "path" },
  pattern: { LABEL: "pattern" },
  port: { LABEL: "port" },
  protocol: { LABEL: "protocol" },
  role: { LABEL: "role" },
  serviceAccount: { LABEL: "serviceAccount" },
  source: { LABEL: "source" },
  string: { LABEL: "string" },
  tenant: { LABEL: "tenant" },
  tenantsKeyword: { LABEL: "tenantsKeyword" },
  topic: { LABEL: "topic" },
  type: { LABEL: "type" },
  value: { LABEL: "value" },
  variable: { LABEL: "variable" },
  verdict: { LABEL: "verdict" },
  word: { LABEL: "word" },
  workload: { LABEL: "workload" },
} as const;

class ZtParser extends CstParser {
  /**
   * The alternatives of every OR, made on first use: written inline, each call would build the
   * array and its closures again (with the option objects above, a third of what a parse
   * allocates). They refer to nothing but the parser itself, so one copy serves every call.
   */
  private readonly alts: (IOrAlt<unknown>[] | OrMethodOpts<unknown>)[] = [];

  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      // Offsets per CST node are cheaper than walking the tree again for every AST node.
      nodeLocationTracking: "onlyOffset",
      maxLookahead: 3,
      errorMessageProvider,
      skipValidations: process.env["ZTC_VALIDATE_GRAMMAR"] !== "1",
    });
    this.performSelfAnalysis();
  }

  /** After a comma: does a selector term with an operator (or any term, in a declaration) follow? */
  private selectorContinues(declaration: boolean): boolean {
    if (this.LA(1).tokenType !== T.Comma) return false;
    const second = this.LA(2);
    if (second.tokenType === T.Bang) return true;
    if (!tokenMatcher(second, T.Name) && second.tokenType !== T.Host) return false;
    if (declaration) return true;
    let op = this.LA(3);
    if (op.tokenType === T.Slash) op = this.LA(5);
    return (
      op.tokenType === T.Equals ||
      op.tokenType === T.DoubleEquals ||
      op.tokenType === T.NotEquals ||
      op.tokenType === T.Kw.notin ||
      op.tokenType === T.Kw.in
    );
  }

  private startsClusterSuffix(): boolean {
    return this.LA(1).tokenType === T.Kw.in && (this.LA(2).tokenType === T.Kw.cluster || this.LA(2).tokenType === T.Kw.any);
  }

  /** `workload NAME =` starts a declaration, not a bare peer list. */
  private startsWorkloadDeclaration(): boolean {
    return T.isKeyword(this.LA(1), "workload") && this.LA(3).tokenType === T.Equals;
  }

  public file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.item));
  });

  public item = this.RULE("item", () => {
    this.OR((this.alts[0] ??= [
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.tenantDecl) },
      { ALT: () => this.SUBRULE(this.baselineDecl) },
      { ALT: () => this.SUBRULE(this.rulesetDecl) },
      { ALT: () => this.SUBRULE(this.expectStmt) },
      // Accepted so a rule typed outside a tenant still gets a tree; to-ast reports it.
      { ALT: () => this.SUBRULE(this.ruleStmt) },
      { ALT: () => this.SUBRULE(this.workloadDecl) },
    ]));
  });

  public importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Kw.import);
    this.CONSUME(T.StringLit, LABEL.path);
  });

  public tenantDecl = this.RULE("tenantDecl", () => {
    this.CONSUME(T.Kw.tenant);
    this.CONSUME(T.Name, LABEL.name);
    this.OR((this.alts[1] ??= [
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.tenantItem));
          this.CONSUME(T.RBrace);
        },
      },
      { ALT: () => this.SUBRULE(this.ruleStmt) },
    ]));
  });

  public tenantItem = this.RULE("tenantItem", () => {
    this.OR((this.alts[2] ??= [
      { ALT: () => this.SUBRULE(this.workloadDecl) },
      { ALT: () => this.SUBRULE(this.ruleStmt) },
      { ALT: () => this.SUBRULE(this.useStmt) },
      { ALT: () => this.SUBRULE(this.modeStmt) },
      { ALT: () => this.SUBRULE(this.dnsModeStmt) },
      { ALT: () => this.SUBRULE(this.expectStmt) },
    ]));
  });

  /**
   * `expect SOURCE -> DESTINATION[:PORT] [http ...] [dns "name"] [icmp TYPE] allowed|denied`, or
   * `expect default deny [for all tenants | for tenant NAME]`: a test `ztc test` proves.
   */
  public expectStmt = this.RULE("expectStmt", () => {
    this.CONSUME(T.Kw.expect, LABEL.expectKeyword);
    this.OR((this.alts[3] ??= [
      {
        GATE: () => T.isKeyword(this.LA(1), "default") && T.isKeyword(this.LA(2), "deny"),
        ALT: () => {
          this.CONSUME(T.Kw.default, LABEL.defaultKeyword);
          this.CONSUME(T.Kw.deny);
          this.OPTION(() => {
            this.CONSUME(T.Kw.for);
            this.OR2((this.alts[4] ??= [
              {
                ALT: () => {
                  this.CONSUME(T.Kw.all, LABEL.all);
                  this.CONSUME(T.Kw.tenants);
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Kw.tenant);
                  this.CONSUME(T.Name, LABEL.tenant);
                },
              },
            ]));
          });
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.flowEndpoint, LABEL.source);
          this.CONSUME(T.Arrow);
          this.SUBRULE2(this.flowEndpoint, LABEL.destination);
          this.OPTION2(() => {
            this.CONSUME(T.Colon);
            this.SUBRULE(this.portSpec);
          });
          this.MANY(() => this.SUBRULE(this.flowDetail));
          // `allowed` or `denied` (checked when building the AST, so a typo gets a did-you-mean).
          this.CONSUME2(T.Ident, LABEL.verdict);
        },
      },
    ]));
  });

  public flowEndpoint = this.RULE("flowEndpoint", () => {
    this.OR((this.alts[5] ??= {
      // Keywords are names too: the gates decide, so the static ambiguity check is off here.
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => tokenMatcher(this.LA(1), T.Name) && this.LA(2).tokenType === T.Slash,
          ALT: () => {
            this.CONSUME(T.Name, LABEL.tenant);
            this.CONSUME(T.Slash);
            this.CONSUME2(T.Name, LABEL.workload);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Kw.tenant);
            this.CONSUME3(T.Name, LABEL.tenant);
            this.OPTION(() => {
              this.CONSUME(T.Kw.workload);
              this.CONSUME4(T.Name, LABEL.workload);
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Kw.namespace);
            this.CONSUME5(T.Name, LABEL.namespace);
            this.OPTION2(() => {
              this.CONSUME2(T.Kw.workload);
              this.SUBRULE(this.peerSelector);
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Kw.entity);
            this.CONSUME6(T.Name, LABEL.entity);
          },
        },
        { ALT: () => this.CONSUME(T.Address, LABEL.address) },
        { ALT: () => this.CONSUME(T.Host, LABEL.host) },
        // One of the block's own workloads, inside a tenant block.
        { ALT: () => this.CONSUME(T.BareName, LABEL.own) },
      ],
    }));
  });

  public flowDetail = this.RULE("flowDetail", () => {
    this.OR((this.alts[6] ??= [
      {
        ALT: () => {
          this.CONSUME(T.Kw.http);
          this.SUBRULE(this.httpRule);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Kw.dns);
          this.CONSUME(T.StringLit, LABEL.dnsName);
        },
      },
      { ALT: () => this.SUBRULE(this.icmpClause) },
      {
        ALT: () => {
          this.CONSUME(T.Kw.port);
          this.SUBRULE(this.portSpec);
        },
      },
    ]));
  });

  /** `mode audit` / `mode enforce`: staged rollout (default deny off while auditing). */
  public modeStmt = this.RULE("modeStmt", () => {
    this.CONSUME(T.Kw.mode);
    this.CONSUME(T.Name, LABEL.value);
  });

  /** `dns strict` / `dns any`: which names the tenant's pods may look up through the DNS proxy. */
  public dnsModeStmt = this.RULE("dnsModeStmt", () => {
    this.CONSUME(T.Kw.dns);
    this.CONSUME(T.Name, LABEL.value);
  });

  /** `[export] ruleset NAME(param: type = default, ...) { rules }` */
  public rulesetDecl = this.RULE("rulesetDecl", () => {
    this.OPTION(() => this.CONSUME(T.Kw.export));
    this.CONSUME(T.Kw.ruleset);
    this.CONSUME(T.Name, LABEL.name);
    this.OPTION2(() => {
      this.CONSUME(T.LParen);
      this.OPTION3(() => {
        this.SUBRULE(this.param);
        this.MANY(() => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.param);
        });
      });
      this.CONSUME(T.RParen);
    });
    this.CONSUME(T.LBrace);
    this.MANY2(() => this.SUBRULE(this.rulesetItem));
    this.CONSUME(T.RBrace);
  });

  public param = this.RULE("param", () => {
    this.CONSUME(T.Name, LABEL.name);
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Name, LABEL.type);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.argValue);
    });
  });

  public rulesetItem = this.RULE("rulesetItem", () => {
    this.OR((this.alts[7] ??= [
      { ALT: () => this.SUBRULE(this.ruleStmt) },
      { ALT: () => this.SUBRULE(this.useStmt) },
      { ALT: () => this.SUBRULE(this.defaultDenyStmt) },
    ]));
  });

  /** `use NAME[(arg: value, ...)] [for subjects]`; NAME may be qualified by its module (`dns.dns`). */
  public useStmt = this.RULE("useStmt", () => {
    this.CONSUME(T.Kw.use);
    this.OR((this.alts[8] ??= [{ ALT: () => this.CONSUME(T.Host, LABEL.name) }, { ALT: () => this.CONSUME(T.Name, LABEL.name) }]));
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.arg);
        this.MANY(() => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.arg);
        });
      });
      this.CONSUME(T.RParen);
    });
    this.OPTION3(() => {
      this.CONSUME(T.Kw.for);
      this.SUBRULE(this.targetList);
    });
    this.OPTION4(() => this.CONSUME(T.Kw.audit));
  });

  public arg = this.RULE("arg", () => {
    this.CONSUME(T.Name, LABEL.name);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.argValue);
  });

  public argValue = this.RULE("argValue", () => {
    this.OR((this.alts[9] ??= [
      {
        ALT: () => {
          this.CONSUME(T.NumberLit, LABEL.number);
          this.OPTION(() => {
            this.CONSUME(T.Dash);
            this.CONSUME2(T.NumberLit, LABEL.end);
          });
          this.OPTION2(() => {
            this.CONSUME(T.Slash);
            this.CONSUME(T.Name, LABEL.protocol);
          });
        },
      },
      { ALT: () => this.CONSUME(T.Host, LABEL.host) },
      { ALT: () => this.CONSUME(T.Wildcard, LABEL.host) },
      { ALT: () => this.CONSUME(T.Address, LABEL.address) },
      { ALT: () => this.CONSUME(T.StringLit, LABEL.string) },
      { ALT: () => this.CONSUME2(T.Name, LABEL.word) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.variable) },
    ]));
  });

  /** `baseline NAME { applies to ...; default deny ...; rules; use ... }` (platform files only). */
  public baselineDecl = this.RULE("baselineDecl", () => {
    this.CONSUME(T.Kw.baseline);
    this.CONSUME(T.Name, LABEL.name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.baselineItem));
    this.CONSUME(T.RBrace);
  });

  public baselineItem = this.RULE("baselineItem", () => {
    this.OR((this.alts[10] ??= [
      { ALT: () => this.SUBRULE(this.appliesStmt) },
      { ALT: () => this.SUBRULE(this.defaultDenyStmt) },
      { ALT: () => this.SUBRULE(this.visibilityStmt) },
      { ALT: () => this.SUBRULE(this.modeStmt) },
      { ALT: () => this.SUBRULE(this.ruleStmt) },
      { ALT: () => this.SUBRULE(this.useStmt) },
    ]));
  });

  public appliesStmt = this.RULE("appliesStmt", () => {
    this.CONSUME(T.Kw.applies);
    this.CONSUME(T.Kw.to);
    this.OR((this.alts[11] ??= [
      {
        ALT: () => {
          this.CONSUME(T.Kw.all, LABEL.all);
          this.CONSUME(T.Kw.tenants, LABEL.allTenants);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Kw.tenants, LABEL.tenantsKeyword);
          this.OR2((this.alts[12] ??= [
            {
              ALT: () => {
                this.CONSUME(T.Kw.where);
                this.SUBRULE(this.selector);
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.Name, LABEL.tenant);
                this.MANY(() => {
                  this.CONSUME(T.Comma);
                  this.CONSUME2(T.Name, LABEL.tenant);
                });
              },
            },
          ]));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Kw.namespaces, LABEL.namespacesKeyword);
          this.CONSUME3(T.Name, LABEL.namespace);
          this.MANY2(() => {
            this.CONSUME2(T.Comma);
            this.CONSUME4(T.Name, LABEL.namespace);
          });
        },
      },
      {
        // Host firewall: the nodes (all, or those whose labels match).
        ALT: () => {
          this.CONSUME(T.Kw.nodes, LABEL.nodesKeyword);
          this.OPTION(() => {
            this.CONSUME2(T.Kw.where, LABEL.nodesWhere);
            this.SUBRULE2(this.selector, LABEL.nodeSelector);
          });
        },
      },
    ]));
  });

  public defaultDenyStmt = this.RULE("defaultDenyStmt", () => {
    this.CONSUME(T.Kw.default);
    this.CONSUME(T.Kw.deny);
    this.SUBRULE(this.directionList);
  });

  public directionList = this.RULE("directionList", () => {
    this.OR((this.alts[13] ??= [
      { ALT: () => this.CONSUME(T.Kw.ingress, LABEL.direction) },
      { ALT: () => this.CONSUME(T.Kw.egress, LABEL.direction) },
    ]));
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.OR2((this.alts[14] ??= [
        { ALT: () => this.CONSUME2(T.Kw.ingress, LABEL.direction) },
        { ALT: () => this.CONSUME2(T.Kw.egress, LABEL.direction) },
      ]));
    });
  });

  public visibilityStmt = this.RULE("visibilityStmt", () => {
    this.CONSUME(T.Kw.visibility);
    this.CONSUME(T.Kw.only);
  });

  public workloadDecl = this.RULE("workloadDecl", () => {
    this.CONSUME(T.Kw.workload);
    this.CONSUME(T.Name, LABEL.name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.selector);
    this.OPTION(() => {
      this.CONSUME(T.Kw.in);
      this.CONSUME(T.Kw.namespace);
      this.CONSUME2(T.Name, LABEL.namespace);
    });
  });

  /** Terms separated by commas; `declaration` decides how greedy the comma is (see selectorContinues). */
  private selectorBody(declaration: boolean): void {
    this.SUBRULE(this.selectorTerm);
    this.MANY({
      GATE: () => this.selectorContinues(declaration),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.selectorTerm);
      },
    });
  }

  /** A selector in a workload declaration. */
  public selector = this.RULE("selector", () => this.selectorBody(true));

  /** A selector inside a rule, where a comma may also separate peers. */
  public peerSelector = this.RULE("peerSelector", () => this.selectorBody(false));

  public selectorTerm = this.RULE("selectorTerm", () => {
    this.OR((this.alts[15] ??= [
      {
        // `serviceaccount NAME`; `serviceaccount=x` is an ordinary label called serviceaccount.
        GATE: () => this.LA(1).tokenType === T.Kw.serviceaccount && !isOperator(this.LA(2)),
        ALT: () => {
          this.CONSUME(T.Kw.serviceaccount, LABEL.serviceAccount);
          this.SUBRULE4(this.labelValue);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Bang);
          this.SUBRULE(this.labelKey);
        },
      },
      {
        ALT: () => {
          this.SUBRULE2(this.labelKey);
          this.OPTION({
            // `in namespace` after a selector ends the selector; `in (` is a set term.
            GATE: () => this.LA(1).tokenType !== T.Kw.in || this.LA(2).tokenType === T.LParen,
            DEF: () => {
              this.OR2((this.alts[16] ??= [
                {
                  ALT: () => {
                    this.OR3((this.alts[17] ??= [
                      { ALT: () => this.CONSUME(T.Equals, LABEL.op) },
                      { ALT: () => this.CONSUME(T.DoubleEquals, LABEL.op) },
                      { ALT: () => this.CONSUME(T.NotEquals, LABEL.op) },
                    ]));
                    this.SUBRULE(this.labelValue);
                  },
                },
                {
                  ALT: () => {
                    this.OR4((this.alts[18] ??= [
                      { ALT: () => this.CONSUME(T.Kw.in, LABEL.op) },
                      { ALT: () => this.CONSUME(T.Kw.notin, LABEL.op) },
                    ]));
                    this.CONSUME(T.LParen);
                    this.SUBRULE2(this.labelValue);
                    this.MANY(() => {
                      this.CONSUME(T.Comma);
                      this.SUBRULE3(this.labelValue);
                    });
                    this.CONSUME(T.RParen);
                  },
                },
              ]));
            },
          });
        },
      },
    ]));
  });

  public labelKey = this.RULE("labelKey", () => {
    this.SUBRULE(this.labelKeyPart);
    this.OPTION(() => {
      this.CONSUME(T.Slash);
      this.SUBRULE2(this.labelKeyPart);
    });
  });

  public labelKeyPart = this.RULE("labelKeyPart", () => {
    this.OR((this.alts[19] ??= [{ ALT: () => this.CONSUME(T.Host) }, { ALT: () => this.CONSUME(T.Name) }]));
  });

  public labelValue = this.RULE("labelValue", () => {
    this.OR((this.alts[20] ??= [
      { ALT: () => this.CONSUME(T.Name) },
      { ALT: () => this.CONSUME(T.Host) },
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.Address) },
      { ALT: () => this.CONSUME(T.Variable) },
    ]));
  });

  public ruleStmt = this.RULE("ruleStmt", () => {
    this.OR((this.alts[21] ??= [
      { ALT: () => this.CONSUME(T.Kw.allow, LABEL.action) },
      { ALT: () => this.CONSUME(T.Kw.deny, LABEL.action) },
    ]));
    this.OR2((this.alts[22] ??= [
      {
        ALT: () => {
          this.CONSUME(T.Kw.within);
          this.CONSUME(T.Kw.namespace);
        },
      },
      {
        ALT: () => {
          this.OR3((this.alts[23] ??= [
            { ALT: () => this.CONSUME(T.Kw.ingress, LABEL.direction) },
            { ALT: () => this.CONSUME(T.Kw.egress, LABEL.direction) },
          ]));
          this.OPTION({
            GATE: () => !this.startsWorkloadDeclaration(),
            DEF: () => this.SUBRULE(this.targetList, LABEL.bare),
          });
        },
      },
    ]));
    this.MANY(() => this.SUBRULE(this.ruleClause));
  });

  public ruleClause = this.RULE("ruleClause", () => {
    this.OR((this.alts[24] ??= [
      {
        ALT: () => {
          this.CONSUME(T.Kw.from, LABEL.keyword);
          this.SUBRULE(this.targetList);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Kw.to, LABEL.keyword);
          this.SUBRULE2(this.targetList);
        },
      },
      {
        ALT: () => {
          this.OR2((this.alts[25] ??= [
            { ALT: () => this.CONSUME(T.Kw.port, LABEL.keyword) },
            { ALT: () => this.CONSUME(T.Kw.ports, LABEL.keyword) },
          ]));
          this.SUBRULE(this.portList);
        },
      },
      { ALT: () => this.SUBRULE(this.httpClause) },
      { ALT: () => this.SUBRULE(this.dnsClause) },
      { ALT: () => this.SUBRULE(this.grpcClause) },
      { ALT: () => this.SUBRULE(this.kafkaClause) },
      { ALT: () => this.SUBRULE(this.icmpClause) },
      { ALT: () => this.CONSUME(T.Kw.authenticated, LABEL.authenticated) },
    ]));
  });

  /** `grpc "pkg.Service/Method", ...`: HTTP/2 POSTs on the method paths. */
  public grpcClause = this.RULE("grpcClause", () => {
    this.CONSUME(T.Kw.grpc);
    this.CONSUME(T.StringLit, LABEL.method);
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && tokenMatcher(this.LA(2), T.StringLit),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.CONSUME2(T.StringLit, LABEL.method);
      },
    });
  });

  /** `kafka produce "orders", consume "payments", "audit"`. */
  public kafkaClause = this.RULE("kafkaClause", () => {
    this.CONSUME(T.Kw.kafka);
    this.SUBRULE(this.kafkaRule);
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && (tokenMatcher(this.LA(2), T.StringLit) || tokenMatcher(this.LA(2), T.BareName)),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.kafkaRule);
      },
    });
  });

  public kafkaRule = this.RULE("kafkaRule", () => {
    this.OR((this.alts[26] ??= [
      {
        ALT: () => {
          this.CONSUME(T.BareName, LABEL.role);
          this.OPTION(() => this.CONSUME(T.StringLit, LABEL.topic));
        },
      },
      { ALT: () => this.CONSUME2(T.StringLit, LABEL.topic) },
    ]));
  });

  /** `icmp echo-request, 3` (IPv4) or `icmpv6 ...`. */
  public icmpClause = this.RULE("icmpClause", () => {
    this.OR((this.alts[27] ??= [
      { ALT: () => this.CONSUME(T.Kw.icmp, LABEL.keyword) },
      { ALT: () => this.CONSUME(T.Kw.icmpv6, LABEL.keyword) },
    ]));
    this.SUBRULE(this.icmpType);
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && (this.LA(2).tokenType === T.NumberLit || tokenMatcher(this.LA(2), T.BareName)),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.icmpType);
      },
    });
  });

  public icmpType = this.RULE("icmpType", () => {
    this.OR((this.alts[28] ??= [
      { ALT: () => this.CONSUME(T.NumberLit, LABEL.type) },
      { ALT: () => this.CONSUME(T.BareName, LABEL.type) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.type) },
    ]));
  });

  /** `dns "pattern", ...`: the names a DNS rule lets pods resolve (an L7 rule on the DNS port). */
  public dnsClause = this.RULE("dnsClause", () => {
    this.CONSUME(T.Kw.dns);
    this.CONSUME(T.StringLit, LABEL.pattern);
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && tokenMatcher(this.LA(2), T.StringLit),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.CONSUME2(T.StringLit, LABEL.pattern);
      },
    });
  });

  public targetList = this.RULE("targetList", () => {
    this.SUBRULE(this.target);
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Comma && matchesAny(this.LA(2), TARGET_STARTS),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.target);
      },
    });
  });

  public target = this.RULE("target", () => {
    this.OR((this.alts[29] ??= [
      { ALT: () => this.SUBRULE(this.hostTarget) },
      { ALT: () => this.SUBRULE(this.cidrTarget) },
      { ALT: () => this.SUBRULE(this.entityTarget) },
      { ALT: () => this.SUBRULE(this.tenantTarget) },
      { ALT: () => this.SUBRULE(this.namespaceTarget) },
      { ALT: () => this.SUBRULE(this.serviceTarget) },
      { ALT: () => this.SUBRULE(this.workloadTarget) },
      { ALT: () => this.SUBRULE(this.withinTarget) },
      { ALT: () => this.SUBRULE(this.cidrGroupTarget) },
      { ALT: () => this.SUBRULE(this.nodesTarget) },
      { ALT: () => this.CONSUME(T.Kw.approved, LABEL.approved) },
    ]));
  });

  /** `cidr-group NAME`: a CiliumCIDRGroup by name. */
  public cidrGroupTarget = this.RULE("cidrGroupTarget", () => {
    this.CONSUME(T.Kw["cidr-group"]);
    this.OR((this.alts[30] ??= [
      { ALT: () => this.CONSUME(T.Name, LABEL.name) },
      { ALT: () => this.CONSUME(T.Host, LABEL.name) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.name) },
    ]));
  });

  /** `nodes [where selector]`: cluster nodes by their labels (fromNodes/toNodes). */
  public nodesTarget = this.RULE("nodesTarget", () => {
    this.CONSUME(T.Kw.nodes);
    this.OPTION(() => {
      this.CONSUME(T.Kw.where);
      this.SUBRULE(this.peerSelector);
    });
  });

  /** `in cluster NAME` or `in any cluster`, after a tenant, namespace or workload peer. */
  public clusterSuffix = this.RULE("clusterSuffix", () => {
    this.CONSUME(T.Kw.in);
    this.OR((this.alts[31] ??= [
      {
        ALT: () => {
          this.CONSUME(T.Kw.cluster);
          this.OR2((this.alts[32] ??= [
            { ALT: () => this.CONSUME(T.Name, LABEL.cluster) },
            { ALT: () => this.CONSUME(T.Variable, LABEL.cluster) },
          ]));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Kw.any, LABEL.any);
          this.CONSUME2(T.Kw.cluster);
        },
      },
    ]));
  });

  public hostTarget = this.RULE("hostTarget", () => {
    this.OR((this.alts[33] ??= [
      { ALT: () => this.CONSUME(T.Host, LABEL.host) },
      { ALT: () => this.CONSUME(T.Wildcard, LABEL.host) },
      // A ruleset parameter of type host or cidr.
      { ALT: () => this.CONSUME(T.Variable, LABEL.host) },
    ]));
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.portSpec);
    });
  });

  public cidrTarget = this.RULE("cidrTarget", () => {
    this.CONSUME(T.Kw.cidr);
    this.OR((this.alts[34] ??= [
      { ALT: () => this.CONSUME(T.Address, LABEL.cidr) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.cidr) },
    ]));
    this.OPTION(() => {
      this.CONSUME(T.Kw.except);
      this.CONSUME2(T.Address, LABEL.except);
      this.MANY({
        GATE: () => this.LA(1).tokenType === T.Comma && this.LA(2).tokenType === T.Address,
        DEF: () => {
          this.CONSUME(T.Comma);
          this.CONSUME3(T.Address, LABEL.except);
        },
      });
    });
  });

  public entityTarget = this.RULE("entityTarget", () => {
    this.CONSUME(T.Kw.entity);
    this.OR((this.alts[35] ??= [
      { ALT: () => this.CONSUME(T.Name, LABEL.name) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.name) },
    ]));
  });

  public tenantTarget = this.RULE("tenantTarget", () => {
    this.CONSUME(T.Kw.tenant);
    this.OR((this.alts[36] ??= [
      { ALT: () => this.CONSUME(T.Name, LABEL.tenant) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.tenant) },
    ]));
    this.OPTION(() => {
      this.CONSUME(T.Kw.workload);
      this.CONSUME2(T.Name, LABEL.workload);
    });
    this.OPTION2({ GATE: () => this.startsClusterSuffix(), DEF: () => this.SUBRULE(this.clusterSuffix) });
  });

  public namespaceTarget = this.RULE("namespaceTarget", () => {
    this.CONSUME(T.Kw.namespace);
    this.OR((this.alts[37] ??= [
      {
        // `namespace where team=x`: namespaces by their labels.
        ALT: () => {
          this.CONSUME(T.Kw.where);
          this.SUBRULE2(this.peerSelector, LABEL.namespaceSelector);
        },
      },
      { ALT: () => this.CONSUME(T.Name, LABEL.namespace) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.namespace) },
      // `namespace *`: pods of every namespace.
      { ALT: () => this.CONSUME(T.Wildcard, LABEL.namespace) },
    ]));
    this.OPTION(() => {
      this.CONSUME(T.Kw.workload);
      this.SUBRULE(this.peerSelector);
    });
    this.OPTION2({ GATE: () => this.startsClusterSuffix(), DEF: () => this.SUBRULE(this.clusterSuffix) });
  });

  public serviceTarget = this.RULE("serviceTarget", () => {
    this.CONSUME(T.Kw.service);
    this.CONSUME(T.Name, LABEL.namespace);
    this.CONSUME(T.Slash);
    this.CONSUME2(T.Name, LABEL.name);
  });

  public workloadTarget = this.RULE("workloadTarget", () => {
    this.OR((this.alts[38] ??= [
      {
        ALT: () => {
          this.CONSUME(T.Kw.workload);
          this.CONSUME(T.Name, LABEL.name);
        },
      },
      { ALT: () => this.CONSUME(T.BareName, LABEL.name) },
    ]));
    this.OPTION({ GATE: () => this.startsClusterSuffix(), DEF: () => this.SUBRULE(this.clusterSuffix) });
  });

  public withinTarget = this.RULE("withinTarget", () => {
    this.CONSUME(T.Kw.within);
    this.CONSUME(T.Kw.namespace);
  });

  public portList = this.RULE("portList", () => {
    this.SUBRULE(this.portSpec);
    this.MANY({
      GATE: () =>
        this.LA(1).tokenType === T.Comma &&
        (this.LA(2).tokenType === T.NumberLit ||
          this.LA(2).tokenType === T.Variable ||
          this.LA(2).tokenType === T.Kw.http ||
          this.LA(2).tokenType === T.Kw.dns ||
          this.LA(2).tokenType === T.Kw.grpc ||
          this.LA(2).tokenType === T.Kw.kafka ||
          tokenMatcher(this.LA(2), T.BareName)),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.portSpec);
      },
    });
  });

  public portSpec = this.RULE("portSpec", () => {
    this.OR((this.alts[39] ??= [
      {
        ALT: () => {
          this.CONSUME(T.NumberLit, LABEL.port);
          this.OPTION(() => {
            this.CONSUME(T.Dash);
            this.CONSUME2(T.NumberLit, LABEL.end);
          });
        },
      },
      { ALT: () => this.CONSUME(T.BareName, LABEL.named) },
      // `http`, `dns`, `grpc` and `kafka` are keywords, and common port names.
      { ALT: () => this.CONSUME(T.Kw.http, LABEL.named) },
      { ALT: () => this.CONSUME(T.Kw.dns, LABEL.named) },
      { ALT: () => this.CONSUME(T.Kw.grpc, LABEL.named) },
      { ALT: () => this.CONSUME(T.Kw.kafka, LABEL.named) },
      { ALT: () => this.CONSUME(T.Variable, LABEL.variable) },
    ]));
    this.OPTION2(() => {
      this.CONSUME(T.Slash);
      this.CONSUME(T.Name, LABEL.protocol);
    });
  });

  public httpClause = this.RULE("httpClause", () => {
    this.CONSUME(T.Kw.http);
    this.SUBRULE(this.httpRule);
    this.MANY({
      GATE: () =>
        this.LA(1).tokenType === T.Comma &&
        (tokenMatcher(this.LA(2), T.BareName) || tokenMatcher(this.LA(2), T.StringLit) || this.LA(2).tokenType === T.Wildcard),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.httpRule);
      },
    });
  });

  public httpRule = this.RULE("httpRule", () => {
    this.OR((this.alts[40] ??= [
      {
        ALT: () => {
          this.OR2((this.alts[41] ??= [
            { ALT: () => this.CONSUME(T.BareName, LABEL.method) },
            { ALT: () => this.CONSUME(T.Wildcard, LABEL.method) },
          ]));
          this.OPTION(() => this.CONSUME(T.StringLit, LABEL.path));
        },
      },
      { ALT: () => this.CONSUME2(T.StringLit, LABEL.path) },
    ]));
    this.MANY(() => {
      this.OR3((this.alts[42] ??= [
        {
          ALT: () => {
            this.CONSUME(T.Kw.host, LABEL.hostKeyword);
            this.CONSUME3(T.StringLit, LABEL.host);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Kw.header, LABEL.headerKeyword);
            this.CONSUME4(T.StringLit, LABEL.header);
          },
        },
      ]));
    });
  });
}

/** The single parser instance (reset by assigning `input`). */
export const ztParser = new ZtParser();

export type { CstNode };
