/** The policy evaluator: flows, decisions, and the readers that build flows (Hubble JSON, text). */
export * from "./model.js";
export { Evaluator, indexRules, type RuleIndex, entityMatches, fullMatch, httpRuleMatches, policyText } from "./evaluate.js";
export { lazyRule, parseRulesAnnotation, readPolicies, transientRule, type CidrGroupInfo, type EvaluatorOptions, type PolicyProblem, type ReadResult, type Rule, type ServiceInfo } from "./policy.js";
export { hubbleFlow, parseHubbleLine, type HubbleResult, type Observed } from "./hubble.js";
export { parseTextFlow, type TextEndpoint, type TextFlow, type TextFlowResult } from "./text-flow.js";
export { labelsFor, ownerOf, resolveEndpoint, resolveTextFlow, type Owner, type ProjectContext, type ResolvedFlow } from "./project.js";
