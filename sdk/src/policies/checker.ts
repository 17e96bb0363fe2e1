/**
 * `sm-ssh setup check`: reads the live account and reports, per requirement of the setup guide, OK, MISSING (with
 * the statement or command that fixes it) or WARNING.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import { UsageError } from '../errors.js';
import { parseUserProfileArn, roleArnOfAssumedRole } from './arn.js';
import {
  chooseDecider,
  type EvaluatorChoice,
  type IPermissionDecider
} from './deciders.js';
import type { IDecision } from './evaluator/index.js';
import { readRole, type ILiveRole } from './live-role.js';
import {
  clientRequirements,
  remoteAccessRequirements,
  serverRequirements,
  type IPermissionProbe,
  type IRemoteAccessScope,
  type IRequirement,
  type RequirementGroup
} from './requirements.js';
import { advancedTierCommand, getActivationTier } from './tier.js';
import { ACTIVATION_TIER_SETTING_ID, ADVANCED_TIER } from './documents.js';
import type { IPolicyStatement } from './types.js';

export type CheckStatus = 'OK' | 'MISSING' | 'WARNING';

export interface ICheckItem {
  id: string;
  group: RequirementGroup | 'tier';
  title: string;
  status: CheckStatus;
  /** The role the item is about (ARN), or the region for tier items. */
  subject: string;
  /** Why it is MISSING or a WARNING: one line per failed probe. */
  reasons: string[];
  /** The statement to add, and where. */
  fix?: { policyName: string; statement: IPolicyStatement };
  /** A command that fixes it. */
  command?: string;
  /** What the guide gets questionable here, or why the item exists. */
  note?: string;
}

export interface ISetupTargets {
  sagemakerRoleArn?: string;
  userRoleArn?: string;
  /** The Studio case of the guide: the execution role is both the SageMaker role and the user role. */
  studio?: boolean;
  /** Regions whose activation tier is checked; defaults to the client's region. */
  regions?: string[];
  /** Also the user role's permissions for SageMaker remote access to Studio spaces. */
  remoteAccess?: boolean;
  /** With `remoteAccess`: the user profile (ARN) whose spaces the user role may reach from outside Studio. */
  spaceOwnerProfile?: string;
}

export interface ICheckOptions extends ISetupTargets {
  evaluator?: EvaluatorChoice;
}

export interface ICheckReport {
  ok: boolean;
  account: string;
  sagemakerRole?: string;
  userRole?: string;
  regions: string[];
  evaluator: IPermissionDecider['name'];
  evaluatorNote?: string;
  items: ICheckItem[];
  summary: { ok: number; missing: number; warnings: number };
}

/** The roles a check or an apply is about, read from IAM. */
export interface IResolvedTargets {
  sagemakerRole?: ILiveRole;
  userRole?: ILiveRole;
  regions: string[];
  account: string;
  partition: string;
  /** Set when the remote-access requirements are checked too. */
  remoteAccess?: IRemoteAccessScope;
}

async function callerRoleArn(clients: AwsClients): Promise<string> {
  let arn: string | undefined;
  try {
    arn = (await clients.sts().send(new GetCallerIdentityCommand({}))).Arn;
  } catch (error) {
    throw describeAwsError(error, 'asking STS who the caller is');
  }
  const roleArn = arn ? roleArnOfAssumedRole(arn) : undefined;
  if (!roleArn) {
    throw new UsageError(
      `the caller (${arn ?? 'unknown'}) is not an assumed role`,
      'pass --user-role ARN (and --sagemaker-role ARN) to check specific roles'
    );
  }
  return roleArn;
}

/** Reads the roles named by the options (or the caller's own role) from IAM. */
export async function resolveTargets(
  clients: AwsClients,
  targets: ISetupTargets
): Promise<IResolvedTargets> {
  let { sagemakerRoleArn, userRoleArn } = targets;
  if (!sagemakerRoleArn && !userRoleArn) {
    const own = await callerRoleArn(clients);
    userRoleArn = own;
    sagemakerRoleArn = targets.studio ? own : undefined;
  } else if (targets.studio) {
    if (sagemakerRoleArn && userRoleArn && sagemakerRoleArn !== userRoleArn) {
      throw new UsageError(
        '--studio means one execution role for both sides, but --sagemaker-role and --user-role differ',
        'drop --studio, or pass the execution role once'
      );
    }
    sagemakerRoleArn = userRoleArn = sagemakerRoleArn ?? userRoleArn;
  }
  const iam = clients.iam();
  const sagemakerRole = sagemakerRoleArn
    ? await readRole(iam, sagemakerRoleArn, '--sagemaker-role')
    : undefined;
  const userRole = userRoleArn
    ? userRoleArn === sagemakerRoleArn
      ? sagemakerRole
      : await readRole(iam, userRoleArn, '--user-role')
    : undefined;
  const any = (sagemakerRole ?? userRole) as ILiveRole;
  if (sagemakerRole && userRole && sagemakerRole.account !== userRole.account) {
    throw new UsageError(
      `the roles are in different accounts (${sagemakerRole.account}, ${userRole.account})`,
      'pass a SageMaker role and a user role of the same account'
    );
  }
  return {
    sagemakerRole,
    userRole,
    regions: targets.regions?.length ? targets.regions : [clients.region],
    account: any.account,
    partition: any.partition,
    remoteAccess: remoteAccessScope(targets, userRole, any.account)
  };
}

/** Who calls StartSession for `--remote-access`, refusing the combinations whose check would mean nothing. */
function remoteAccessScope(
  targets: ISetupTargets,
  userRole: ILiveRole | undefined,
  account: string
): IRemoteAccessScope | undefined {
  const profile = targets.spaceOwnerProfile;
  if (!targets.remoteAccess) {
    if (profile !== undefined) {
      throw new UsageError(
        '--space-owner-profile only means something with --remote-access',
        'add --remote-access, or drop --space-owner-profile'
      );
    }
    return undefined;
  }
  if (!userRole) {
    throw new UsageError(
      '--remote-access is about the role users connect with, and no user role was given',
      'pass --user-role ARN, or --studio for an execution role that is both'
    );
  }
  const studio = targets.studio ?? false;
  if (profile === undefined && !studio) {
    throw new UsageError(
      "--remote-access for a user role outside Studio needs the user profile whose spaces it may reach: AWS's condition uses ${sagemaker:DomainId} and ${sagemaker:UserProfileName}, which only requests from Studio carry",
      'pass --space-owner-profile arn:aws:sagemaker:<region>:<account>:user-profile/<domain-id>/<name>, or --studio for a Studio execution role'
    );
  }
  if (profile !== undefined) {
    const parsed = parseUserProfileArn(profile, '--space-owner-profile');
    if (parsed.account !== account) {
      throw new UsageError(
        `--space-owner-profile is in account ${parsed.account}, the roles in ${account}`,
        "pass a user profile of the roles' account"
      );
    }
  }
  return { spaceOwnerProfile: profile, studio };
}

function describeProbe(probe: IPermissionProbe): string {
  const who = probe.principal ? ` by ${probe.principal.id}` : '';
  return `${probe.action}${who} on ${probe.resource}`;
}

/** Statement lines that only say "this statement is about other actions" explain nothing; keep the rest. */
const IRRELEVANT_STATEMENT = / does not apply: action \S+ is not in Action /;

function explain(probe: IPermissionProbe, decision: IDecision): string {
  const relevant = decision.reasons.filter(
    reason => !IRRELEVANT_STATEMENT.test(reason)
  );
  const selfDescribing = relevant[0]?.startsWith(`${probe.action} `);
  return (
    selfDescribing
      ? relevant
      : [`${describeProbe(probe)} is ${decision.result}`, ...relevant]
  ).join('; ');
}

async function evaluateRequirement(
  decider: IPermissionDecider,
  role: ILiveRole,
  requirement: IRequirement
): Promise<ICheckItem> {
  const decisions: Array<[IPermissionProbe, IDecision]> = [];
  for (const probe of requirement.probes) {
    decisions.push([probe, await decider.decide(role, probe)]);
  }
  const expectAllowed = requirement.kind !== 'must-deny';
  const failed = decisions.filter(
    ([, decision]) => (decision.result === 'Allowed') !== expectAllowed
  );
  const status: CheckStatus =
    failed.length === 0
      ? 'OK'
      : requirement.kind === 'required'
        ? 'MISSING'
        : 'WARNING';
  const reasons = failed.map(([probe, decision]) => explain(probe, decision));
  return {
    id: requirement.id,
    group: requirement.group,
    title: requirement.title,
    status,
    subject: role.arn,
    reasons,
    fix:
      status === 'OK' || requirement.kind === 'must-deny'
        ? undefined
        : requirement.fix,
    note:
      status === 'OK'
        ? requirement.guideNote
        : (requirement.guideNote ?? requirement.note)
  };
}

async function tierItem(
  clients: AwsClients,
  region: string
): Promise<ICheckItem> {
  const tier = await getActivationTier(clients.ssm(region), region);
  const item = {
    id: `tier.${region}`,
    group: 'tier' as const,
    title: `SSM advanced-instances tier in ${region}`,
    subject: region
  };
  if (tier === undefined) {
    return {
      ...item,
      status: 'WARNING',
      reasons: [
        `the caller may not read ${ACTIVATION_TIER_SETTING_ID} (ssm:GetServiceSetting); an administrator can check it`
      ],
      command: `aws ssm get-service-setting --setting-id ${ACTIVATION_TIER_SETTING_ID} --region ${region}`
    };
  }
  const ok = tier === ADVANCED_TIER;
  return {
    ...item,
    status: ok ? 'OK' : 'MISSING',
    reasons: ok
      ? []
      : [
          `${region} is on the ${tier} tier; SageMaker containers register as managed instances, and sessions to them need the advanced tier`
        ],
    command: ok ? undefined : advancedTierCommand(region)
  };
}

function summarize(items: ICheckItem[]): ICheckReport['summary'] {
  return {
    ok: items.filter(item => item.status === 'OK').length,
    missing: items.filter(item => item.status === 'MISSING').length,
    warnings: items.filter(item => item.status === 'WARNING').length
  };
}

/** Requirements per role of the resolved targets, in report order. */
export function requirementsOf(
  targets: IResolvedTargets
): Array<{ role: ILiveRole; requirement: IRequirement }> {
  const scope = {
    region: targets.regions[0],
    account: targets.account,
    partition: targets.partition
  };
  const list: Array<{ role: ILiveRole; requirement: IRequirement }> = [];
  if (targets.sagemakerRole) {
    const role = targets.sagemakerRole;
    list.push(
      ...serverRequirements(role, scope).map(requirement => ({
        role,
        requirement
      }))
    );
  }
  if (targets.userRole) {
    const role = targets.userRole;
    list.push(
      ...clientRequirements(role, scope).map(requirement => ({
        role,
        requirement
      }))
    );
    if (targets.remoteAccess) {
      list.push(
        ...remoteAccessRequirements(role, scope, targets.remoteAccess).map(
          requirement => ({ role, requirement })
        )
      );
    }
  }
  return list;
}

/** Checks already-resolved targets (apply uses this to re-check after reading the roles once). */
export async function checkTargets(
  clients: AwsClients,
  targets: IResolvedTargets,
  evaluator: EvaluatorChoice = 'auto'
): Promise<ICheckReport> {
  const requirements = requirementsOf(targets);
  const first = requirements.find(entry =>
    entry.requirement.probes.some(probe => !probe.principal)
  );
  const firstProbe = first?.requirement.probes.find(probe => !probe.principal);
  const { decider, note } =
    first && firstProbe
      ? await chooseDecider(evaluator, clients.iam(), first.role, firstProbe)
      : { decider: undefined, note: undefined };
  const items: ICheckItem[] = [];
  for (const { role, requirement } of requirements) {
    if (!decider) {
      break;
    }
    try {
      items.push(await evaluateRequirement(decider, role, requirement));
    } catch (error) {
      throw describeAwsError(
        error,
        `simulating ${requirement.id} for ${role.name}`
      );
    }
  }
  for (const region of targets.regions) {
    items.push(await tierItem(clients, region));
  }
  const summary = summarize(items);
  return {
    ok: summary.missing === 0,
    account: targets.account,
    sagemakerRole: targets.sagemakerRole?.arn,
    userRole: targets.userRole?.arn,
    regions: targets.regions,
    evaluator: decider?.name ?? 'local',
    evaluatorNote: note,
    items,
    summary
  };
}

/** Reads the account and checks every requirement of the guide for the roles given (or the caller's own role). */
export async function checkSetup(
  clients: AwsClients,
  options: ICheckOptions = {}
): Promise<ICheckReport> {
  const targets = await resolveTargets(clients, options);
  return checkTargets(clients, targets, options.evaluator ?? 'auto');
}
