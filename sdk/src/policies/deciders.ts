/**
 * Two ways to decide whether a role's effective policies allow a probe: IAM's own policy simulator
 * (SimulatePrincipalPolicy, which also sees what we cannot read, such as SCPs applied to the account), and our
 * offline evaluator of the documented evaluation logic over the policies we read from the role.
 */
import {
  SimulatePrincipalPolicyCommand,
  type IAMClient,
  type EvaluationResult as IamEvaluationResult
} from '@aws-sdk/client-iam';
import { errorName } from '../aws/errors.js';
import {
  evaluateIdentityPolicies,
  evaluateTrustPolicy,
  type IDecision
} from './evaluator/index.js';
import type { ILiveRole } from './live-role.js';
import type { IPermissionProbe } from './requirements.js';

export interface IPermissionDecider {
  readonly name: 'iam-simulator' | 'local';
  decide(role: ILiveRole, probe: IPermissionProbe): Promise<IDecision>;
}

/** Trust probes always go to the local evaluator: the simulator evaluates identity policies only. */
function decideTrust(role: ILiveRole, probe: IPermissionProbe): IDecision {
  return evaluateTrustPolicy(
    { name: 'trust policy', document: role.trustPolicy },
    {
      action: probe.action,
      resource: probe.resource,
      principal: probe.principal,
      context: probe.context
    }
  );
}

export class LocalDecider implements IPermissionDecider {
  readonly name = 'local' as const;

  async decide(role: ILiveRole, probe: IPermissionProbe): Promise<IDecision> {
    if (probe.principal) {
      return decideTrust(role, probe);
    }
    return evaluateIdentityPolicies(
      [...role.inlinePolicies, ...role.attachedPolicies],
      {
        action: probe.action,
        resource: probe.resource,
        context: probe.context
      },
      {
        permissionsBoundary: role.permissionsBoundary
      }
    );
  }
}

const DECISIONS: Record<string, IDecision['result']> = {
  allowed: 'Allowed',
  explicitDeny: 'ExplicitDeny',
  implicitDeny: 'ImplicitDeny'
};

function simulatorReasons(result: IamEvaluationResult): string[] {
  const reasons = (result.MatchedStatements ?? []).map(
    statement =>
      `matched ${statement.SourcePolicyId ?? 'a policy'} (${statement.SourcePolicyType ?? 'policy'})`
  );
  if (result.MissingContextValues?.length) {
    reasons.push(
      `the simulator lacked context keys: ${result.MissingContextValues.join(', ')}`
    );
  }
  if (result.OrganizationsDecisionDetail?.AllowedByOrganizations === false) {
    reasons.push('denied by an Organizations service control policy');
  }
  if (
    result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary ===
    false
  ) {
    reasons.push("denied by the role's permissions boundary");
  }
  return reasons;
}

export class IamSimulatorDecider implements IPermissionDecider {
  readonly name = 'iam-simulator' as const;

  constructor(private readonly iam: IAMClient) {}

  async decide(role: ILiveRole, probe: IPermissionProbe): Promise<IDecision> {
    if (probe.principal) {
      return decideTrust(role, probe);
    }
    const output = await this.iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: role.arn,
        ActionNames: [probe.action],
        ResourceArns: [probe.resource],
        ContextEntries: Object.entries(probe.context).map(
          ([ContextKeyName, value]) => ({
            ContextKeyName,
            ContextKeyValues: [value],
            ContextKeyType: 'string'
          })
        )
      })
    );
    const result = output.EvaluationResults?.[0];
    if (!result?.EvalDecision) {
      throw new Error('SimulatePrincipalPolicy returned no decision');
    }
    return {
      result: DECISIONS[result.EvalDecision] ?? 'ImplicitDeny',
      matchedStatements: [],
      reasons: simulatorReasons(result)
    };
  }
}

export type EvaluatorChoice = 'auto' | 'iam' | 'local';

/**
 * Picks the decider: `iam` and `local` as asked; `auto` tries the simulator once and falls back to the local
 * evaluator when the simulator is unavailable (no iam:SimulatePrincipalPolicy permission, or a server that does not
 * implement it), saying why.
 */
export async function chooseDecider(
  choice: EvaluatorChoice,
  iam: IAMClient,
  role: ILiveRole,
  probe: IPermissionProbe
): Promise<{ decider: IPermissionDecider; note?: string }> {
  if (choice === 'local') {
    return { decider: new LocalDecider() };
  }
  const simulator = new IamSimulatorDecider(iam);
  if (choice === 'iam') {
    return { decider: simulator };
  }
  try {
    await simulator.decide(role, probe);
    return { decider: simulator };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } })
      .$metadata?.httpStatusCode;
    const why = /AccessDenied/i.test(errorName(error))
      ? 'the caller may not call iam:SimulatePrincipalPolicy'
      : `IAM's simulator is unavailable (${errorName(error)}${status ? `, HTTP ${status}` : ''})`;
    return {
      decider: new LocalDecider(),
      note: `evaluated offline by sm-ssh's own evaluator because ${why}; it reads the roles' identity policies and boundaries but not Organizations SCPs or RCPs`
    };
  }
}
