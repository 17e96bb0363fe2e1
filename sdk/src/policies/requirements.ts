/**
 * What the product needs from IAM, one requirement per statement of the setup guide, each expressed as concrete
 * requests ("probes") that the role's effective policies must allow. Checking probes instead of comparing JSON is
 * what lets a policy of a different shape (e.g. `ssm:*`) pass and a narrower condition fail with its reason.
 */
import { parseUserProfileArn } from './arn.js';
import {
  APP_OWNER_KEY,
  CLIENT_POLICY_NAME,
  clientPolicy,
  REMOTE_ACCESS_ENABLE_POLICY_NAME,
  REMOTE_ACCESS_KEY,
  REMOTE_ACCESS_POLICY_NAME,
  remoteAccessEnablePolicy,
  remoteAccessNote,
  remoteAccessPolicy,
  SPACE_APP_ACTIONS,
  SPACE_DESCRIBE_ACTIONS,
  SPACE_LIST_ACTIONS,
  SPACE_OWNER_TAG_KEY,
  SAGEMAKER_SERVICE_PRINCIPAL,
  sagemakerTrustStatement,
  SERVER_POLICY_NAME,
  serverPolicy,
  SSM_SERVICE_PRINCIPAL,
  ssmTrustStatement
} from './documents.js';
import type { ILiveRole } from './live-role.js';
import { statementsOf, type IPolicyStatement } from './types.js';

/** One request the role must be allowed to make (or, for least-privilege probes, must not). */
export interface IPermissionProbe {
  action: string;
  resource: string;
  /** Context keys as IAM's simulator takes them (`aws:userid`, `ssm:resourceTag/SSHOwner`, …). */
  context: Record<string, string>;
  /** For trust-policy probes: the service that assumes the role. */
  principal?: { type: 'Service'; id: string };
}

export type RequirementGroup = 'trust' | 'server' | 'client' | 'remote-access';

export interface IRequirement {
  id: string;
  group: RequirementGroup;
  title: string;
  probes: IPermissionProbe[];
  /**
   * `required`: MISSING fails the check; `advisory`: a WARNING only (the guide does not grant it, yet a feature
   * needs it); `must-deny`: a WARNING when the role is allowed (least privilege).
   */
  kind: 'required' | 'advisory' | 'must-deny';
  /** The statement to add when it is missing, and the policy it belongs in. */
  fix?: { policyName: string; statement: IPolicyStatement };
  /** Why this requirement exists, shown when it is not OK. */
  note?: string;
  /** What is questionable about the guide's own statement here, shown whatever the status. */
  guideNote?: string;
}

/** The `policyName` of fixes that go into the role's trust policy rather than an inline policy. */
export const TRUST_POLICY = 'trust policy';

/** Values used in probes: an instance id and a session id shaped like real ones. */
export const PROBE_INSTANCE_ID = 'mi-0123456789abcdef0';
export const PROBE_SESSION_SUFFIX = '0123456789abcdef0';

/** The space the remote-access probes ask about when no --space-owner-profile names a real one. */
export const PROBE_DOMAIN_ID = 'd-0123456789ab';
export const PROBE_USER_PROFILE = 'sm-ssh-probe-user';
export const PROBE_SPACE_NAME = 'sm-ssh-probe-space';
/** Another user profile of the same domain, for the least-privilege probe. */
export const PROBE_OTHER_PROFILE = 'someone-else';

/** The `aws:userid` of a session of the role: `<RoleId>:<session name>`. */
export function userIdOf(
  role: Pick<ILiveRole, 'roleId'>,
  sessionName: string
): string {
  return `${role.roleId}:${sessionName}`;
}

export interface IProbeScope {
  region: string;
  account: string;
  partition: string;
}

function identityContext(
  role: ILiveRole,
  sessionName: string
): Record<string, string> {
  return {
    'aws:userid': userIdOf(role, sessionName),
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalAccount': role.account
  };
}

/** Requirements on the SageMaker role: trust and `SSHSageMakerServerPolicy`. */
export function serverRequirements(
  role: ILiveRole,
  scope: IProbeScope
): IRequirement[] {
  return [...trustRequirements(role), ...serverPolicyRequirements(role, scope)];
}

/** The two trust statements the SageMaker role needs. */
export function trustRequirements(role: ILiveRole): IRequirement[] {
  return [
    {
      id: 'trust.sagemaker',
      group: 'trust',
      kind: 'required',
      title: 'SageMaker can assume the role (trust policy)',
      probes: [
        {
          action: 'sts:AssumeRole',
          resource: role.arn,
          context: {},
          principal: { type: 'Service', id: SAGEMAKER_SERVICE_PRINCIPAL }
        }
      ],
      fix: { policyName: TRUST_POLICY, statement: sagemakerTrustStatement() }
    },
    {
      id: 'trust.ssm',
      group: 'trust',
      kind: 'required',
      title:
        "SSM can assume the role for the container's activation (trust policy)",
      probes: [
        {
          action: 'sts:AssumeRole',
          resource: role.arn,
          context: {},
          principal: { type: 'Service', id: SSM_SERVICE_PRINCIPAL }
        }
      ],
      fix: { policyName: TRUST_POLICY, statement: ssmTrustStatement() }
    }
  ];
}

function serverPolicyRequirements(
  role: ILiveRole,
  scope: IProbeScope
): IRequirement[] {
  const guide = statementsOf(
    serverPolicy({
      sagemakerRoleArn: role.arn,
      account: scope.account,
      partition: scope.partition
    })
  );
  const fix = (index: number) => ({
    policyName: SERVER_POLICY_NAME,
    statement: guide[index]
  });
  const identity = identityContext(role, 'SageMaker');
  const instanceArn = `arn:${scope.partition}:ssm:${scope.region}:${scope.account}:managed-instance/${PROBE_INSTANCE_ID}`;
  const registerActions = guide[2].Action as string[];
  return [
    {
      id: 'server.pass-role',
      group: 'server',
      kind: 'required',
      title: 'the role may pass itself to SSM (CreateActivation --iam-role)',
      probes: [
        {
          action: 'iam:PassRole',
          resource: role.arn,
          context: { ...identity, 'iam:PassedToService': 'ssm.amazonaws.com' }
        }
      ],
      fix: fix(0)
    },
    {
      id: 'server.add-tags',
      group: 'server',
      kind: 'advisory',
      title: 'ssm:AddTagsToResource on the role ARN, as the guide grants',
      probes: [
        {
          action: 'ssm:AddTagsToResource',
          resource: role.arn,
          context: identity
        }
      ],
      fix: fix(1),
      guideNote:
        'this statement authorizes nothing the product does: ssm:AddTagsToResource acts on SSM resources (document, managed-instance, parameter, …), never on an IAM role, and the SSH* tags are set by CreateActivation, which authorizes its Tags itself (aws:RequestTag/aws:TagKeys). Kept because the guide has it; it grants no access.'
    },
    {
      id: 'server.register',
      group: 'server',
      kind: 'required',
      title:
        'the container can create its activation, run the SSM agent and serve sessions',
      probes: registerActions.map(action => ({
        action,
        resource: '*',
        context: identity
      })),
      fix: fix(2)
    },
    {
      id: 'server.update-instance-information',
      group: 'server',
      kind: 'required',
      title: 'the agent can report on managed instances tagged with SSHOwner',
      probes: [
        {
          action: 'ssm:UpdateInstanceInformation',
          resource: instanceArn,
          context: {
            ...identity,
            'ssm:resourceTag/SSHOwner': 'AROAEXAMPLEOWNER:alice'
          }
        }
      ],
      fix: fix(3)
    }
  ];
}

/** Requirements on the user role: `SSHSageMakerClientPolicy`, plus advisories and least-privilege probes. */
export function clientRequirements(
  role: ILiveRole,
  scope: IProbeScope
): IRequirement[] {
  const guide = statementsOf(
    clientPolicy({ account: scope.account, partition: scope.partition })
  );
  const fix = (index: number) => ({
    policyName: CLIENT_POLICY_NAME,
    statement: guide[index]
  });
  const userId = userIdOf(role, 'sm-ssh');
  const identity = identityContext(role, 'sm-ssh');
  const arn = (service: string, account: string, resource: string) =>
    `arn:${scope.partition}:${service}:${scope.region}:${account}:${resource}`;
  const instanceArn = arn(
    'ssm',
    scope.account,
    `managed-instance/${PROBE_INSTANCE_ID}`
  );
  const own = { ...identity, 'ssm:resourceTag/SSHOwner': userId };
  const sessionArn = arn(
    'ssm',
    scope.account,
    `session/sm-ssh-${PROBE_SESSION_SUFFIX}`
  );
  const sessionContext = {
    ...identity,
    'ssm:resourceTag/aws:ssmmessages:session-id': userId
  };
  const read = [
    'logs:GetQueryResults',
    'ssm:DescribeInstanceInformation',
    'ssm:ListTagsForResource',
    'ssm:GetCommandInvocation'
  ];
  const sagemakerReads = [
    'sagemaker:ListTrainingJobs',
    'sagemaker:DescribeTrainingJob',
    'sagemaker:ListProcessingJobs',
    'sagemaker:DescribeProcessingJob',
    'sagemaker:ListTransformJobs',
    'sagemaker:DescribeTransformJob',
    'sagemaker:ListEndpoints',
    'sagemaker:DescribeEndpoint',
    'sagemaker:ListNotebookInstances',
    'sagemaker:DescribeNotebookInstance',
    'sagemaker:ListApps'
  ];
  return [
    {
      id: 'client.read',
      group: 'client',
      kind: 'required',
      title: 'find managed instances and read command results',
      probes: read.map(action => ({
        action,
        resource: '*',
        context: identity
      })),
      fix: fix(0)
    },
    {
      id: 'client.own-instances',
      group: 'client',
      kind: 'required',
      title:
        'send commands to and start sessions on instances whose SSHOwner is the caller',
      probes: ['ssm:SendCommand', 'ssm:StartSession'].map(action => ({
        action,
        resource: instanceArn,
        context: own
      })),
      fix: fix(1)
    },
    {
      id: 'client.terminate-session',
      group: 'client',
      kind: 'required',
      title: "terminate the caller's own sessions",
      probes: [
        {
          action: 'ssm:TerminateSession',
          resource: sessionArn,
          context: sessionContext
        }
      ],
      fix: fix(2)
    },
    {
      id: 'client.ssh-document',
      group: 'client',
      kind: 'required',
      title: 'start sessions with the AWS-StartSSHSession document',
      probes: [
        {
          action: 'ssm:StartSession',
          resource: arn('ssm', '', 'document/AWS-StartSSHSession'),
          context: identity
        }
      ],
      fix: fix(3)
    },
    {
      id: 'client.run-shell-document',
      group: 'client',
      kind: 'required',
      title: 'deliver keys with the AWS-RunShellScript document',
      probes: [
        {
          action: 'ssm:SendCommand',
          resource: arn('ssm', '', 'document/AWS-RunShellScript'),
          context: identity
        }
      ],
      fix: fix(4)
    },
    {
      id: 'client.logs-query',
      group: 'client',
      kind: 'required',
      title: 'find endpoint instances through CloudWatch Logs Insights',
      probes: [
        {
          action: 'logs:StartQuery',
          resource: arn(
            'logs',
            scope.account,
            'log-group:/aws/sagemaker/Endpoints/example'
          ),
          context: identity
        }
      ],
      fix: fix(5)
    },
    {
      id: 'client.others-instances',
      group: 'client',
      kind: 'must-deny',
      title: 'no sessions on instances owned by other users',
      probes: ['ssm:StartSession', 'ssm:SendCommand'].map(action => ({
        action,
        resource: instanceArn,
        context: {
          ...identity,
          'ssm:resourceTag/SSHOwner': 'AROAEXAMPLEOTHER:someone-else'
        }
      })),
      note: 'the role can reach instances that belong to other users: the guide scopes ssm:StartSession and ssm:SendCommand on managed instances with "ssm:resourceTag/SSHOwner": "${aws:userid}"'
    },
    {
      id: 'client.sagemaker-read',
      group: 'client',
      kind: 'advisory',
      title:
        'read SageMaker job, endpoint, notebook and app status (sm-ssh list)',
      probes: sagemakerReads.map(action => ({
        action,
        resource: '*',
        context: identity
      })),
      fix: {
        policyName: CLIENT_POLICY_NAME,
        statement: { Action: sagemakerReads, Resource: '*', Effect: 'Allow' }
      },
      note: 'the guide\'s client policy has no SageMaker List*/Describe* calls; without them `sm-ssh list` cannot tell "job finished" from "not registered". sts:GetCallerIdentity, used for the SSHOwner check, needs no permission.'
    },
    {
      id: 'client.resume-session',
      group: 'client',
      kind: 'advisory',
      title: "resume the caller's own sessions after a network drop",
      probes: [
        {
          action: 'ssm:ResumeSession',
          resource: sessionArn,
          context: sessionContext
        }
      ],
      fix: {
        policyName: CLIENT_POLICY_NAME,
        statement: {
          Condition: {
            StringLike: {
              'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}'
            }
          },
          Action: 'ssm:ResumeSession',
          Resource: `arn:${scope.partition}:ssm:*:${scope.account}:session/*`,
          Effect: 'Allow'
        }
      },
      note: 'the guide grants no ssm:ResumeSession; without it a dropped connection cannot be resumed and sm-ssh reconnects with a new session instead.'
    },
    {
      id: 'client.port-forwarding-documents',
      group: 'client',
      kind: 'advisory',
      title:
        'forward ports with AWS-StartPortForwardingSession(ToRemoteHost) (sm-ssh forward)',
      probes: [
        'AWS-StartPortForwardingSession',
        'AWS-StartPortForwardingSessionToRemoteHost'
      ].map(document => ({
        action: 'ssm:StartSession',
        resource: arn('ssm', '', `document/${document}`),
        context: identity
      })),
      fix: {
        policyName: CLIENT_POLICY_NAME,
        statement: {
          Action: 'ssm:StartSession',
          Resource: [
            `arn:${scope.partition}:ssm:*::document/AWS-StartPortForwardingSession`,
            `arn:${scope.partition}:ssm:*::document/AWS-StartPortForwardingSessionToRemoteHost`
          ],
          Effect: 'Allow'
        }
      },
      note: 'the guide allows only the AWS-StartSSHSession document; SSH port forwards (-L/-R) work without these, direct SSM port sessions do not.'
    }
  ];
}

/** Who calls StartSession, which decides the form of the statements and the context of the probes. */
export interface IRemoteAccessScope {
  /** The user profile (ARN) whose spaces a user role outside Studio may reach (`--space-owner-profile`). */
  spaceOwnerProfile?: string;
  /** The caller is a Studio execution role: its requests carry `sagemaker:DomainId` and `sagemaker:UserProfileName`. */
  studio: boolean;
}

/**
 * Requirements on the user role for SageMaker remote access to Studio spaces (`--remote-access`): StartSession on
 * the caller's own spaces and the reads `list` and connect make are required; UpdateSpace and the app restart of
 * `sm-ssh space enable-remote-access` are advisory; StartSession on another profile's space must be denied.
 */
export function remoteAccessRequirements(
  role: ILiveRole,
  scope: IProbeScope,
  remote: IRemoteAccessScope
): IRequirement[] {
  const options = {
    account: scope.account,
    partition: scope.partition,
    spaceOwnerProfile: remote.spaceOwnerProfile
  };
  const policy = statementsOf(remoteAccessPolicy(options));
  const enable = statementsOf(remoteAccessEnablePolicy(options));
  const fix = (policyName: string, statement: IPolicyStatement) => ({
    policyName,
    statement
  });
  const profile =
    remote.spaceOwnerProfile === undefined
      ? undefined
      : parseUserProfileArn(remote.spaceOwnerProfile, '--space-owner-profile');
  const region = profile?.region ?? scope.region;
  const domain = profile?.domainId ?? PROBE_DOMAIN_ID;
  const profileName = profile?.profileName ?? PROBE_USER_PROFILE;
  const prefix = `arn:${scope.partition}:sagemaker:${region}:${scope.account}:`;
  const spaceArn = `${prefix}space/${domain}/${PROBE_SPACE_NAME}`;
  const appArn = `${prefix}app/${domain}/${PROBE_SPACE_NAME}/JupyterLab/default`;
  const ownerArn = `${prefix}user-profile/${domain}/${profileName}`;
  const otherArn = `${prefix}user-profile/${domain}/${PROBE_OTHER_PROFILE}`;
  const caller: Record<string, string> = {
    ...identityContext(role, 'sm-ssh'),
    ...(remote.studio
      ? {
          'sagemaker:DomainId': domain,
          'sagemaker:UserProfileName': profileName
        }
      : {})
  };
  const ownSpace = { ...caller, [SPACE_OWNER_TAG_KEY]: ownerArn };
  const enableNote = `sm-ssh space enable-remote-access needs these (UpdateSpace with RemoteAccess=ENABLED, then DeleteApp and CreateApp of the space's app); connecting does not. An administrator can forbid turning remote access on with a Deny on sagemaker:CreateSpace/UpdateSpace conditioned on "${REMOTE_ACCESS_KEY}": "ENABLED"; then this stays denied whatever the role allows.`;
  return [
    {
      id: 'remote-access.start-session',
      group: 'remote-access',
      kind: 'required',
      title:
        "start remote-access sessions on the caller's own spaces (sagemaker:StartSession)",
      probes: [
        {
          action: 'sagemaker:StartSession',
          resource: spaceArn,
          context: ownSpace
        }
      ],
      fix: fix(REMOTE_ACCESS_POLICY_NAME, policy[0]),
      note: remoteAccessNote(options)
    },
    {
      id: 'remote-access.list-spaces',
      group: 'remote-access',
      kind: 'required',
      title: 'list spaces and their apps (sm-ssh list, connect)',
      probes: SPACE_LIST_ACTIONS.map(action => ({
        action,
        resource: '*',
        context: caller
      })),
      fix: fix(REMOTE_ACCESS_POLICY_NAME, policy[1])
    },
    {
      id: 'remote-access.describe-spaces',
      group: 'remote-access',
      kind: 'required',
      title: 'describe a space and its app (status, remote access, owner)',
      probes: SPACE_DESCRIBE_ACTIONS.map((action, index) => ({
        action,
        resource: index === 0 ? spaceArn : appArn,
        context: caller
      })),
      fix: fix(REMOTE_ACCESS_POLICY_NAME, policy[2]),
      note: 'sm-ssh calls no sagemaker:DescribeDomain; the reference lists it among the calls that manage spaces, so it is not granted here.'
    },
    {
      id: 'remote-access.others-spaces',
      group: 'remote-access',
      kind: 'must-deny',
      title: 'no remote-access sessions on spaces of other user profiles',
      probes: [
        {
          action: 'sagemaker:StartSession',
          resource: spaceArn,
          context: { ...caller, [SPACE_OWNER_TAG_KEY]: otherArn }
        }
      ],
      note: `the role can start sessions on spaces owned by other user profiles: AWS's documented statement conditions sagemaker:StartSession with ArnLike "${SPACE_OWNER_TAG_KEY}" = the caller's own user profile ARN`
    },
    {
      id: 'remote-access.update-space',
      group: 'remote-access',
      kind: 'advisory',
      title:
        "turn remote access on for the caller's own spaces (sm-ssh space enable-remote-access)",
      probes: [
        {
          action: 'sagemaker:UpdateSpace',
          resource: spaceArn,
          context: { ...ownSpace, [REMOTE_ACCESS_KEY]: 'ENABLED' }
        }
      ],
      fix: fix(REMOTE_ACCESS_ENABLE_POLICY_NAME, enable[0]),
      note: enableNote
    },
    {
      id: 'remote-access.restart-app',
      group: 'remote-access',
      kind: 'advisory',
      title:
        "restart the app of the caller's own spaces (sm-ssh space enable-remote-access)",
      probes: SPACE_APP_ACTIONS.map(action => ({
        action,
        resource: appArn,
        context: { ...caller, [APP_OWNER_KEY]: ownerArn }
      })),
      fix: fix(REMOTE_ACCESS_ENABLE_POLICY_NAME, enable[1]),
      note: enableNote
    }
  ];
}
