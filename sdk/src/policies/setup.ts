/**
 * `sm-ssh setup apply` and `sm-ssh setup remove`: make the account pass `check`, and take out exactly what apply
 * added. What apply added is recorded in a tag on each role (`sm-ssh:setup-added`), so remove never touches a
 * statement or policy that was there before.
 */
import {
  DeleteRolePolicyCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand
} from '@aws-sdk/client-iam';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import {
  checkTargets,
  resolveTargets,
  type ICheckItem,
  type ICheckOptions,
  type ICheckReport,
  type IResolvedTargets
} from './checker.js';
import { lineDiff, prettyJson } from './diff.js';
import {
  CLIENT_POLICY_NAME,
  clientPolicy,
  REMOTE_ACCESS_ENABLE_POLICY_NAME,
  REMOTE_ACCESS_POLICY_NAME,
  remoteAccessEnablePolicy,
  remoteAccessPolicy,
  sagemakerTrustStatement,
  SERVER_POLICY_NAME,
  serverPolicy,
  ssmTrustStatement
} from './documents.js';
import type { ILiveRole } from './live-role.js';
import { TRUST_POLICY } from './requirements.js';
import { resetActivationTier, setAdvancedTier } from './tier.js';
import {
  statementsOf,
  type IPolicyDocument,
  type IPolicyStatement
} from './types.js';

/** The role tag in which apply records what it added. */
export const SETUP_TAG_KEY = 'sm-ssh:setup-added';

export interface ISetupChange {
  kind:
    | 'trust-policy'
    | 'put-inline-policy'
    | 'delete-inline-policy'
    | 'activation-tier'
    | 'role-tag';
  /** Role ARN or region. */
  subject: string;
  summary: string;
  /** Diff lines (`+ `, `- `, `  `) of the document that changes, if any. */
  diff: string[];
}

export interface IApplyOptions extends ICheckOptions {
  dryRun?: boolean;
  /** Replace an existing inline policy of the same name whose content differs from the guide's. */
  force?: boolean;
  /**
   * With `remoteAccess`: also put `SSHSageMakerRemoteAccessEnablePolicy` (UpdateSpace, CreateApp, DeleteApp), whose
   * absence check reports as a WARNING only.
   */
  allowEnable?: boolean;
}

export interface IApplyResult {
  dryRun: boolean;
  changes: ISetupChange[];
  /** Requirements apply cannot fix (a Deny, a boundary, an SCP, or a conflicting policy without --force). */
  blocked: string[];
  before: ICheckReport;
  /** The check after the changes (not for dry runs). */
  after?: ICheckReport;
}

export interface IRemoveOptions extends ICheckOptions {
  dryRun?: boolean;
  /** Also put the activation tier of the regions back to the default (standard). */
  tier?: boolean;
}

export interface IRemoveResult {
  dryRun: boolean;
  changes: ISetupChange[];
}

interface IStep {
  change: ISetupChange;
  run: () => Promise<void>;
}

/** JSON with sorted keys, so statements compare by content whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(
      ([a], [b]) => a.localeCompare(b)
    );
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameStatement(a: IPolicyStatement, b: IPolicyStatement): boolean {
  return canonical(a) === canonical(b);
}

function recordedItems(role: ILiveRole): Set<string> {
  return new Set((role.tags[SETUP_TAG_KEY] ?? '').split(' ').filter(Boolean));
}

function tagStep(
  clients: AwsClients,
  role: ILiveRole,
  items: Set<string>
): IStep {
  const value = [...items].sort().join(' ');
  return {
    change: {
      kind: 'role-tag',
      subject: role.arn,
      summary: `tag ${role.name} with ${SETUP_TAG_KEY}="${value}" (what apply added, for remove)`,
      diff: []
    },
    run: async () => {
      await clients.iam().send(
        new TagRoleCommand({
          RoleName: role.name,
          Tags: [{ Key: SETUP_TAG_KEY, Value: value }]
        })
      );
    }
  };
}

function trustItemName(statement: IPolicyStatement): string {
  const principal = statement.Principal;
  const service =
    principal && principal !== '*' ? principal.Service : undefined;
  return `trust:${String(Array.isArray(service) ? service[0] : service).replace('.amazonaws.com', '')}`;
}

/** What planning the changes to one role needs; `recorded` and `blocked` are filled in as steps are planned. */
interface IRolePlanContext {
  clients: AwsClients;
  role: ILiveRole;
  /** The MISSING items of the check about this role. */
  missing: ICheckItem[];
  /** What apply has added to the role, for the role tag. */
  recorded: Set<string>;
  options: IApplyOptions;
  blocked: string[];
}

function planTrust({
  clients,
  role,
  missing,
  recorded
}: IRolePlanContext): IStep | undefined {
  const statements = missing
    .filter(item => item.fix?.policyName === TRUST_POLICY)
    .map(item => item.fix?.statement as IPolicyStatement);
  if (statements.length === 0) {
    return undefined;
  }
  const before = role.trustPolicy;
  const after: IPolicyDocument = {
    ...before,
    Statement: [...statementsOf(before), ...statements]
  };
  if (!Array.isArray(before.Statement)) {
    recorded.add('trust:object');
  }
  statements.forEach(statement => recorded.add(trustItemName(statement)));
  return {
    change: {
      kind: 'trust-policy',
      subject: role.arn,
      summary: `add ${statements.length} statement(s) to the trust policy of ${role.name}`,
      diff: lineDiff(prettyJson(before), prettyJson(after))
    },
    run: async () => {
      await clients.iam().send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: role.name,
          PolicyDocument: JSON.stringify(after)
        })
      );
    }
  };
}

function planInlinePolicy(
  context: IRolePlanContext,
  policyName: string,
  document: IPolicyDocument
): IStep | undefined {
  const { clients, role, missing, recorded, options, blocked } = context;
  const needed = missing.filter(item => item.fix?.policyName === policyName);
  if (needed.length === 0) {
    return undefined;
  }
  const existing = role.inlinePolicies.find(
    policy => policy.name === policyName
  );
  if (existing && canonical(existing.document) === canonical(document)) {
    blocked.push(
      ...needed.map(
        item =>
          `${role.name}: ${item.id} stays denied although ${policyName} is the guide's document (${item.reasons.join('; ')}); look for a Deny statement, a permissions boundary or an SCP`
      )
    );
    return undefined;
  }
  if (existing && !options.force && !recorded.has(`policy:${policyName}`)) {
    blocked.push(
      `${role.name} already has an inline policy ${policyName} that differs from the guide's; rerun with --force to replace it (remove will then delete it)`
    );
    return undefined;
  }
  recorded.add(`policy:${policyName}`);
  return {
    change: {
      kind: 'put-inline-policy',
      subject: role.arn,
      summary: `${existing ? 'replace' : 'put'} inline policy ${policyName} on ${role.name}`,
      diff: lineDiff(prettyJson(existing?.document), prettyJson(document))
    },
    run: async () => {
      await clients.iam().send(
        new PutRolePolicyCommand({
          RoleName: role.name,
          PolicyName: policyName,
          PolicyDocument: JSON.stringify(document)
        })
      );
    }
  };
}

function planRole(
  clients: AwsClients,
  targets: IResolvedTargets,
  role: ILiveRole,
  report: ICheckReport,
  options: IApplyOptions,
  blocked: string[]
): IStep[] {
  const missing = report.items.filter(
    item =>
      item.subject === role.arn &&
      (item.status === 'MISSING' ||
        (options.allowEnable === true &&
          item.status === 'WARNING' &&
          item.fix?.policyName === REMOTE_ACCESS_ENABLE_POLICY_NAME))
  );
  const recorded = recordedItems(role);
  const before = [...recorded].sort().join(' ');
  const context: IRolePlanContext = {
    clients,
    role,
    missing,
    recorded,
    options,
    blocked
  };
  const scope = { account: targets.account, partition: targets.partition };
  const steps: Array<IStep | undefined> = [];
  if (role === targets.sagemakerRole) {
    steps.push(planTrust(context));
    const document = serverPolicy({ ...scope, sagemakerRoleArn: role.arn });
    steps.push(planInlinePolicy(context, SERVER_POLICY_NAME, document));
  }
  if (role === targets.userRole) {
    steps.push(
      planInlinePolicy(context, CLIENT_POLICY_NAME, clientPolicy(scope))
    );
    if (targets.remoteAccess) {
      const remote = {
        ...scope,
        spaceOwnerProfile: targets.remoteAccess.spaceOwnerProfile
      };
      steps.push(
        planInlinePolicy(
          context,
          REMOTE_ACCESS_POLICY_NAME,
          remoteAccessPolicy(remote)
        ),
        planInlinePolicy(
          context,
          REMOTE_ACCESS_ENABLE_POLICY_NAME,
          remoteAccessEnablePolicy(remote)
        )
      );
    }
  }
  const planned = steps.filter((step): step is IStep => step !== undefined);
  if (planned.length > 0 && [...recorded].sort().join(' ') !== before) {
    planned.push(tagStep(clients, role, recorded));
  }
  return planned;
}

function planTiers(clients: AwsClients, report: ICheckReport): IStep[] {
  return report.items
    .filter(item => item.group === 'tier' && item.status === 'MISSING')
    .map(item => ({
      change: {
        kind: 'activation-tier',
        subject: item.subject,
        summary: `set /ssm/managed-instance/activation-tier to advanced in ${item.subject}`,
        diff: ['- standard', '+ advanced']
      },
      run: () => setAdvancedTier(clients.ssm(item.subject), item.subject)
    }));
}

function distinctRoles(targets: IResolvedTargets): ILiveRole[] {
  return [targets.sagemakerRole, targets.userRole].filter(
    (role, index, all): role is ILiveRole =>
      role !== undefined && all.indexOf(role) === index
  );
}

async function runSteps(steps: IStep[]): Promise<void> {
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      throw describeAwsError(error, step.change.summary);
    }
  }
}

/**
 * Makes the account pass `check`: trust statement, the two inline policies (with `remoteAccess` the remote-access
 * policy too, and with `allowEnable` the enable policy), the advanced tier per region.
 */
export async function applySetup(
  clients: AwsClients,
  options: IApplyOptions = {}
): Promise<IApplyResult> {
  const targets = await resolveTargets(clients, options);
  const before = await checkTargets(clients, targets, options.evaluator);
  const blocked: string[] = [];
  const steps = [
    ...distinctRoles(targets).flatMap(role =>
      planRole(clients, targets, role, before, options, blocked)
    ),
    ...planTiers(clients, before)
  ];
  const dryRun = options.dryRun ?? false;
  if (dryRun || steps.length === 0) {
    return { dryRun, changes: steps.map(step => step.change), blocked, before };
  }
  await runSteps(steps);
  const after = await checkSetup(clients, options);
  return {
    dryRun,
    changes: steps.map(step => step.change),
    blocked,
    before,
    after
  };
}

async function checkSetup(
  clients: AwsClients,
  options: ICheckOptions
): Promise<ICheckReport> {
  return checkTargets(
    clients,
    await resolveTargets(clients, options),
    options.evaluator
  );
}

function planRemoveTrust(
  clients: AwsClients,
  role: ILiveRole,
  recorded: Set<string>
): IStep | undefined {
  const added = [...recorded].filter(
    item => item.startsWith('trust:') && item !== 'trust:object'
  );
  if (added.length === 0) {
    return undefined;
  }
  const remaining = [...statementsOf(role.trustPolicy)];
  const addedStatements: Record<string, IPolicyStatement> = {
    'trust:ssm': ssmTrustStatement(),
    'trust:sagemaker': sagemakerTrustStatement()
  };
  for (const item of added) {
    const expected = addedStatements[item];
    const index = expected
      ? remaining
          .map(statement => sameStatement(statement, expected))
          .lastIndexOf(true)
      : -1;
    if (index >= 0) {
      remaining.splice(index, 1);
    }
  }
  const after: IPolicyDocument = {
    ...role.trustPolicy,
    Statement:
      recorded.has('trust:object') && remaining.length === 1
        ? remaining[0]
        : remaining
  };
  return {
    change: {
      kind: 'trust-policy',
      subject: role.arn,
      summary: `remove the statement(s) apply added to the trust policy of ${role.name}`,
      diff: lineDiff(prettyJson(role.trustPolicy), prettyJson(after))
    },
    run: async () => {
      await clients.iam().send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: role.name,
          PolicyDocument: JSON.stringify(after)
        })
      );
    }
  };
}

function planRemoveRole(clients: AwsClients, role: ILiveRole): IStep[] {
  const recorded = recordedItems(role);
  if (recorded.size === 0) {
    return [];
  }
  const steps: IStep[] = [];
  const trust = planRemoveTrust(clients, role, recorded);
  if (trust) {
    steps.push(trust);
  }
  for (const item of recorded) {
    const policyName = item.startsWith('policy:')
      ? item.slice('policy:'.length)
      : undefined;
    const existing = role.inlinePolicies.find(
      policy => policy.name === policyName
    );
    if (policyName && existing) {
      steps.push({
        change: {
          kind: 'delete-inline-policy',
          subject: role.arn,
          summary: `delete inline policy ${policyName} from ${role.name}`,
          diff: lineDiff(prettyJson(existing.document), '')
        },
        run: async () => {
          await clients.iam().send(
            new DeleteRolePolicyCommand({
              RoleName: role.name,
              PolicyName: policyName
            })
          );
        }
      });
    }
  }
  steps.push({
    change: {
      kind: 'role-tag',
      subject: role.arn,
      summary: `remove tag ${SETUP_TAG_KEY} from ${role.name}`,
      diff: []
    },
    run: async () => {
      await clients.iam().send(
        new UntagRoleCommand({
          RoleName: role.name,
          TagKeys: [SETUP_TAG_KEY]
        })
      );
    }
  });
  return steps;
}

/** Takes out exactly what apply added (per the role tags); the tier only with `tier: true`. */
export async function removeSetup(
  clients: AwsClients,
  options: IRemoveOptions = {}
): Promise<IRemoveResult> {
  const targets = await resolveTargets(clients, options);
  const steps = distinctRoles(targets).flatMap(role =>
    planRemoveRole(clients, role)
  );
  if (options.tier) {
    for (const region of targets.regions) {
      steps.push({
        change: {
          kind: 'activation-tier',
          subject: region,
          summary: `reset /ssm/managed-instance/activation-tier to the default (standard) in ${region}`,
          diff: ['- advanced', '+ standard']
        },
        run: () => resetActivationTier(clients.ssm(region), region)
      });
    }
  }
  const dryRun = options.dryRun ?? false;
  if (!dryRun) {
    await runSteps(steps);
  }
  return { dryRun, changes: steps.map(step => step.change) };
}
