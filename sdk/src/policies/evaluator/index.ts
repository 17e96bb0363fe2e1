/**
 * An offline evaluator of AWS's documented IAM policy evaluation logic, for checking policies where IAM's
 * SimulatePrincipalPolicy is not available (offline, or against local test servers).
 *
 * It follows "Policy evaluation logic", "IAM JSON policy elements: Condition operators", "IAM policy elements:
 * Variables and tags", "Single-valued vs. multivalued context keys" and the element pages of the IAM User Guide.
 * It covers identity-based policies, permissions boundaries and resource-based (trust) policies; it does not model
 * SCPs, RCPs, session policies, cross-account evaluation or service-specific authorization.
 *
 * @packageDocumentation
 */
export type {
  ContextValue,
  EvaluationResult,
  IDecision,
  IRequestContext,
  IRequestPrincipal,
  IStatementMatch,
  IStatementOutcome
} from './model.js';
export {
  evaluateIdentityPolicies,
  evaluateTrustPolicy,
  statementApplies
} from './evaluate.js';
export { CONDITION_OPERATORS } from './conditions.js';
export { matchAction, matchArn, matchGlob, matchResource } from './wildcard.js';
export { resolveVariables } from './variables.js';
