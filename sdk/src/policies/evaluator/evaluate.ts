/**
 * Statement and policy-set decisions, after "Policy evaluation logic" and "How AWS enforcement code logic
 * evaluates requests to allow or deny access": every request starts implicitly denied; an explicit Deny in any
 * applicable policy wins; otherwise an Allow is needed; a permissions boundary caps identity-based policies, so it
 * must allow the request as well.
 */
import type { INamedPolicy, IPolicyStatement } from '../types.js';
import { evaluateConditions } from './conditions.js';
import { ContextLookup } from './context.js';
import type {
  IDecision,
  IRequestContext,
  IStatementMatch,
  IStatementOutcome
} from './model.js';
import { describePrincipal, principalMatches } from './principal.js';
import { VARIABLES_VERSION, substituteVariables } from './variables.js';
import { matchAction, matchResource, parseGlob } from './wildcard.js';

/**
 * Which rules a statement is held to:
 * - `identity`: no Principal allowed, Resource or NotResource required;
 * - `resource`: Principal or NotPrincipal required, Resource optional (trust policies have none);
 * - `any`: each element is checked only when present.
 */
type PolicyKind = 'identity' | 'resource' | 'any';

interface ICheckOptions {
  kind: PolicyKind;
  variables: boolean;
}

const PRINCIPAL_TYPES = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

function notApplies(reason: string): IStatementOutcome {
  return { applies: false, reason };
}

/** A string or a list of strings, as Action, Resource and their Not forms take; undefined otherwise. */
function stringList(value: unknown): string[] | undefined {
  const list = Array.isArray(value) ? value : [value];
  return list.every((item): item is string => typeof item === 'string')
    ? list
    : undefined;
}

function checkAction(
  statement: Record<string, unknown>,
  action: string
): IStatementOutcome | undefined {
  const hasAction = statement.Action !== undefined;
  const hasNotAction = statement.NotAction !== undefined;
  if (hasAction === hasNotAction) {
    return notApplies(
      hasAction
        ? 'the statement has both Action and NotAction'
        : 'the statement has neither Action nor NotAction'
    );
  }
  const element = hasAction ? 'Action' : 'NotAction';
  const patterns = stringList(statement[element]);
  if (patterns === undefined) {
    return notApplies(`${element} must be a string or a list of strings`);
  }
  const hit = patterns.find(pattern => matchAction(pattern, action));
  if (hasAction && hit === undefined) {
    return notApplies(
      `action ${action} is not in Action ${show(statement.Action)}`
    );
  }
  if (hasNotAction && hit !== undefined) {
    return notApplies(`action ${action} is excluded by NotAction ${show(hit)}`);
  }
  return undefined;
}

function checkResource(
  statement: Record<string, unknown>,
  resource: string,
  lookup: ContextLookup,
  options: ICheckOptions
): IStatementOutcome | undefined {
  const hasResource = statement.Resource !== undefined;
  const hasNotResource = statement.NotResource !== undefined;
  if (hasResource && hasNotResource) {
    return notApplies('the statement has both Resource and NotResource');
  }
  if (!hasResource && !hasNotResource) {
    return options.kind === 'identity'
      ? notApplies('the statement has neither Resource nor NotResource')
      : undefined;
  }
  const element = hasResource ? 'Resource' : 'NotResource';
  const patterns = stringList(statement[element]);
  if (patterns === undefined) {
    return notApplies(`${element} must be a string or a list of strings`);
  }
  let hit: string | undefined;
  for (const pattern of patterns) {
    let tokens = parseGlob(pattern);
    if (options.variables) {
      const substitution = substituteVariables(
        pattern,
        name => lookup.variable(name),
        { wildcards: true }
      );
      if (substitution.unresolved.length > 0) {
        return notApplies(
          `policy variable ${substitution.unresolved.join(', ')} in ${element} has no value in the request`
        );
      }
      tokens = substitution.tokens;
    }
    if (hit === undefined && matchResource(tokens, resource)) {
      hit = pattern;
    }
  }
  if (hasResource && hit === undefined) {
    return notApplies(
      `resource ${resource} is not in Resource ${show(statement.Resource)}`
    );
  }
  if (hasNotResource && hit !== undefined) {
    return notApplies(
      `resource ${resource} is excluded by NotResource ${show(hit)}`
    );
  }
  return undefined;
}

function checkPrincipal(
  statement: Record<string, unknown>,
  request: IRequestContext,
  options: ICheckOptions
): IStatementOutcome | undefined {
  const hasPrincipal = statement.Principal !== undefined;
  const hasNotPrincipal = statement.NotPrincipal !== undefined;
  if (hasPrincipal && hasNotPrincipal) {
    return notApplies('the statement has both Principal and NotPrincipal');
  }
  if (options.kind === 'identity' && (hasPrincipal || hasNotPrincipal)) {
    return notApplies(
      'an identity-based policy cannot name a Principal or NotPrincipal'
    );
  }
  if (!hasPrincipal && !hasNotPrincipal) {
    return options.kind === 'resource'
      ? notApplies(
          'a resource-based policy statement needs a Principal or NotPrincipal'
        )
      : undefined;
  }
  if (
    hasPrincipal &&
    !principalMatches(statement.Principal, request.principal)
  ) {
    return notApplies(
      `principal ${describePrincipal(request.principal)} is not in Principal ${show(statement.Principal)}`
    );
  }
  if (hasNotPrincipal) {
    if (request.principal === undefined) {
      return notApplies(
        'the request has no principal to check against NotPrincipal'
      );
    }
    if (principalMatches(statement.NotPrincipal, request.principal)) {
      return notApplies(
        `principal ${describePrincipal(request.principal)} is excluded by NotPrincipal ${show(statement.NotPrincipal)}`
      );
    }
  }
  return undefined;
}

function checkStatement(
  statement: unknown,
  request: IRequestContext,
  lookup: ContextLookup,
  options: ICheckOptions
): IStatementOutcome {
  if (!isPlainObject(statement)) {
    return notApplies('the statement is not an object');
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    return notApplies(
      `Effect ${show(statement.Effect)} is neither "Allow" nor "Deny"`
    );
  }
  const failure =
    checkAction(statement, request.action) ??
    checkResource(statement, request.resource, lookup, options) ??
    checkPrincipal(statement, request, options);
  if (failure !== undefined) {
    return failure;
  }
  const condition = evaluateConditions(statement.Condition, lookup, {
    variables: options.variables
  });
  return condition.holds
    ? { applies: true }
    : notApplies(condition.reason ?? 'the condition does not hold');
}

function assertRequest(request: IRequestContext): void {
  if (!isPlainObject(request)) {
    throw new TypeError('request must be an object with action and resource');
  }
  if (typeof request.action !== 'string' || request.action === '') {
    throw new TypeError(
      'request.action must be a non-empty string such as "ssm:StartSession"'
    );
  }
  if (typeof request.resource !== 'string' || request.resource === '') {
    throw new TypeError('request.resource must be an ARN or "*"');
  }
  const { principal, context } = request;
  if (
    principal !== undefined &&
    (!isPlainObject(principal) ||
      !PRINCIPAL_TYPES.includes(principal.type) ||
      typeof principal.id !== 'string')
  ) {
    throw new TypeError(
      `request.principal must be { type: ${PRINCIPAL_TYPES.join(' | ')}, id: string }`
    );
  }
  if (context !== undefined && !isPlainObject(context)) {
    throw new TypeError('request.context must be an object of context keys');
  }
}

function assertPolicy(policy: INamedPolicy, what: string): void {
  if (
    !isPlainObject(policy) ||
    typeof policy.name !== 'string' ||
    !isPlainObject(policy.document)
  ) {
    throw new TypeError(
      `${what} must be { name: string, document: IPolicyDocument }`
    );
  }
}

/**
 * Whether one statement applies to the request: its Effect is valid and its Action/NotAction,
 * Resource/NotResource, Principal/NotPrincipal (each only when present) and Condition all match.
 * `policyVersion` defaults to `2012-10-17`, the version in which policy variables are replaced.
 */
export function statementApplies(
  statement: IPolicyStatement,
  request: IRequestContext,
  options: { policyVersion?: string } = {}
): IStatementOutcome {
  if (!isPlainObject(statement)) {
    throw new TypeError('statement must be an IAM policy statement object');
  }
  assertRequest(request);
  const variables =
    (options.policyVersion ?? VARIABLES_VERSION) === VARIABLES_VERSION;
  return checkStatement(
    statement,
    request,
    new ContextLookup(request.context),
    { kind: 'any', variables }
  );
}

interface IPolicySetOutcome {
  allows: IStatementMatch[];
  denies: IStatementMatch[];
  lines: string[];
}

function evaluatePolicySet(
  policies: readonly INamedPolicy[],
  request: IRequestContext,
  lookup: ContextLookup,
  kind: PolicyKind
): IPolicySetOutcome {
  const outcome: IPolicySetOutcome = { allows: [], denies: [], lines: [] };
  for (const policy of policies) {
    const { Statement, Version } = policy.document;
    const statements: unknown[] = Array.isArray(Statement)
      ? Statement
      : Statement === undefined
        ? []
        : [Statement];
    if (statements.length === 0) {
      outcome.lines.push(`${policy.name} has no statements`);
    }
    const variables = Version === VARIABLES_VERSION;
    statements.forEach((statement, statementIndex) => {
      const sid =
        isPlainObject(statement) && typeof statement.Sid === 'string'
          ? statement.Sid
          : undefined;
      const label = `${policy.name} statement ${statementIndex + 1}${sid === undefined ? '' : ` (${sid})`}`;
      const result = checkStatement(statement, request, lookup, {
        kind,
        variables
      });
      if (!result.applies) {
        outcome.lines.push(`${label} does not apply: ${result.reason ?? ''}`);
        return;
      }
      const effect = (statement as IPolicyStatement).Effect;
      const match: IStatementMatch = {
        policy: policy.name,
        statementIndex,
        effect,
        ...(sid === undefined ? {} : { sid })
      };
      (effect === 'Deny' ? outcome.denies : outcome.allows).push(match);
      outcome.lines.push(
        `${label} ${effect === 'Deny' ? 'denies' : 'allows'} ${request.action} on ${request.resource}`
      );
    });
  }
  return outcome;
}

function labelOf(match: IStatementMatch): string {
  return `${match.policy} statement ${match.statementIndex + 1}${match.sid === undefined ? '' : ` (${match.sid})`}`;
}

/**
 * Decides a request against a principal's identity-based policies (inline and managed), optionally capped by a
 * permissions boundary: an explicit Deny anywhere denies; otherwise an Allow in the policies is needed, and, with a
 * boundary, an Allow in the boundary too.
 */
export function evaluateIdentityPolicies(
  policies: INamedPolicy[],
  request: IRequestContext,
  options: { permissionsBoundary?: INamedPolicy } = {}
): IDecision {
  if (!Array.isArray(policies)) {
    throw new TypeError('policies must be a list of named policies');
  }
  policies.forEach((policy, index) =>
    assertPolicy(policy, `policies[${index}]`)
  );
  const boundary = options.permissionsBoundary;
  if (boundary !== undefined) {
    assertPolicy(boundary, 'permissionsBoundary');
  }
  assertRequest(request);
  const lookup = new ContextLookup(request.context);
  const identity = evaluatePolicySet(policies, request, lookup, 'identity');
  const capped =
    boundary === undefined
      ? undefined
      : evaluatePolicySet([boundary], request, lookup, 'identity');
  const matchedStatements = [
    ...identity.denies,
    ...(capped?.denies ?? []),
    ...identity.allows,
    ...(capped?.allows ?? [])
  ];
  const lines = [...identity.lines, ...(capped?.lines ?? [])];
  const what = `${request.action} on ${request.resource}`;

  const deny = identity.denies[0] ?? capped?.denies[0];
  if (deny !== undefined) {
    return {
      result: 'ExplicitDeny',
      matchedStatements,
      reasons: [`${what} is explicitly denied by ${labelOf(deny)}`, ...lines]
    };
  }
  const allow = identity.allows[0];
  if (allow === undefined) {
    const none =
      policies.length === 0
        ? 'no identity-based policies were given'
        : 'no statement allows it';
    return {
      result: 'ImplicitDeny',
      matchedStatements,
      reasons: [`${what} is implicitly denied: ${none}`, ...lines]
    };
  }
  if (
    capped !== undefined &&
    boundary !== undefined &&
    capped.allows.length === 0
  ) {
    return {
      result: 'ImplicitDeny',
      matchedStatements,
      reasons: [
        `${what} is implicitly denied: permissions boundary ${boundary.name} does not allow it`,
        ...lines
      ]
    };
  }
  const within =
    boundary === undefined
      ? ''
      : ` within permissions boundary ${boundary.name}`;
  return {
    result: 'Allowed',
    matchedStatements,
    reasons: [`${what} is allowed by ${labelOf(allow)}${within}`, ...lines]
  };
}

/**
 * Decides a request against a resource-based policy such as a role's trust policy: statements must name the
 * request's principal (Principal / NotPrincipal); Resource, when a statement has one, must match too.
 */
export function evaluateTrustPolicy(
  policy: INamedPolicy,
  request: IRequestContext
): IDecision {
  assertPolicy(policy, 'policy');
  assertRequest(request);
  if (request.principal === undefined) {
    throw new TypeError('evaluateTrustPolicy needs request.principal');
  }
  const outcome = evaluatePolicySet(
    [policy],
    request,
    new ContextLookup(request.context),
    'resource'
  );
  const matchedStatements = [...outcome.denies, ...outcome.allows];
  const what = `${request.action} by ${describePrincipal(request.principal)}`;
  const deny = outcome.denies[0];
  if (deny !== undefined) {
    return {
      result: 'ExplicitDeny',
      matchedStatements,
      reasons: [
        `${what} is explicitly denied by ${labelOf(deny)}`,
        ...outcome.lines
      ]
    };
  }
  const allow = outcome.allows[0];
  if (allow === undefined) {
    return {
      result: 'ImplicitDeny',
      matchedStatements,
      reasons: [
        `${what} is implicitly denied: no statement of ${policy.name} allows it`,
        ...outcome.lines
      ]
    };
  }
  return {
    result: 'Allowed',
    matchedStatements,
    reasons: [`${what} is allowed by ${labelOf(allow)}`, ...outcome.lines]
  };
}
