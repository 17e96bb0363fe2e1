/** A value of a request context key: multivalued keys (e.g. `aws:TagKeys`) are arrays. */
export type ContextValue = string | string[] | boolean | number;

/** The principal making the request, as a resource-based (trust) policy's `Principal` element names it. */
export interface IRequestPrincipal {
  type: 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';
  /** An account ID or ARN for `AWS`, a service principal such as `ssm.amazonaws.com` for `Service`, … */
  id: string;
}

/** The request a policy is evaluated against. */
export interface IRequestContext {
  /** `service:Action`, e.g. `ssm:StartSession`. */
  action: string;
  /** The resource ARN, or `*`. */
  resource: string;
  /** Needed by resource-based and trust policies, whose statements name a Principal. */
  principal?: IRequestPrincipal;
  /** Condition context keys; key names are matched case-insensitively, values as the operator says. */
  context?: Record<string, ContextValue>;
}

/** The outcome of an evaluation, in IAM's own terms. */
export type EvaluationResult = 'Allowed' | 'ImplicitDeny' | 'ExplicitDeny';

/** A statement that applied to the request. */
export interface IStatementMatch {
  /** The policy's name. */
  policy: string;
  /** Zero-based position of the statement in the policy (reasons count from 1, as people do). */
  statementIndex: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
}

/** A decision with the statements and reasons behind it. */
export interface IDecision {
  result: EvaluationResult;
  /** The statements that applied (allow and deny), including a permissions boundary's. */
  matchedStatements: IStatementMatch[];
  /**
   * One line per reason, human readable. The first line states the decision; then one line per statement, e.g.
   * `SSHSageMakerClientPolicy statement 2 does not apply: condition StringEquals ssm:resourceTag/SSHOwner:
   * "AROAX:bob" is not "AROAX:alice"`.
   */
  reasons: string[];
}

/** Outcome of checking one statement against a request. */
export interface IStatementOutcome {
  applies: boolean;
  /** Why the statement does not apply (absent when it applies). */
  reason?: string;
}
