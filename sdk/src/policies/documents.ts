/**
 * The three documents of the setup guide (reference/iam-ssm-setup-guide.md): the SageMaker role's trust policy,
 * `SSHSageMakerServerPolicy` and `SSHSageMakerClientPolicy`. Statements, their order and their keys are the
 * guide's, word for word; only the partition and the account are filled in.
 */
import {
  assertAccountId,
  assertPartition,
  parseRoleArn,
  parseUserProfileArn,
  type Partition
} from './arn.js';
import type { IPolicyDocument, IPolicyStatement } from './types.js';

/** Inline policy name the guide gives the server policy (and the original project's managed policy). */
export const SERVER_POLICY_NAME = 'SSHSageMakerServerPolicy';
/** Inline policy name the guide gives the client policy (and the original project's managed policy). */
export const CLIENT_POLICY_NAME = 'SSHSageMakerClientPolicy';
/** Inline policy (of the user role) for SageMaker remote access to Studio spaces: connect and list. */
export const REMOTE_ACCESS_POLICY_NAME = 'SSHSageMakerRemoteAccessPolicy';
/** Inline policy (of the user role) for `sm-ssh space enable-remote-access` only: UpdateSpace and the app restart. */
export const REMOTE_ACCESS_ENABLE_POLICY_NAME =
  'SSHSageMakerRemoteAccessEnablePolicy';
/** The tag that names a space's owning user profile, which AWS's documented StartSession condition reads. */
export const SPACE_OWNER_TAG_KEY =
  'sagemaker:ResourceTag/sagemaker:user-profile-arn';
/** The condition key CreateApp/DeleteApp carry for an app of a private space: its owner's user profile ARN. */
export const APP_OWNER_KEY = 'sagemaker:OwnerUserProfileArn';
/** The condition key of CreateSpace/UpdateSpace that says whether the request turns remote access on. */
export const REMOTE_ACCESS_KEY = 'sagemaker:RemoteAccess';
/** List calls have no resource-level permissions: they take `*`. */
export const SPACE_LIST_ACTIONS = [
  'sagemaker:ListSpaces',
  'sagemaker:ListApps'
];
export const SPACE_DESCRIBE_ACTIONS = [
  'sagemaker:DescribeSpace',
  'sagemaker:DescribeApp'
];
export const SPACE_APP_ACTIONS = ['sagemaker:CreateApp', 'sagemaker:DeleteApp'];
/** The SSM service setting that selects the managed-instance tier. */
export const ACTIVATION_TIER_SETTING_ID =
  '/ssm/managed-instance/activation-tier';
/** The tier the product needs: SSM sessions to managed (non-EC2) instances require the advanced tier. */
export const ADVANCED_TIER = 'advanced';
export const SSM_SERVICE_PRINCIPAL = 'ssm.amazonaws.com';
export const SAGEMAKER_SERVICE_PRINCIPAL = 'sagemaker.amazonaws.com';

export interface IDocumentOptions {
  /** The SageMaker execution role the jobs run as. */
  sagemakerRoleArn: string;
  /** Account of the managed instances and log groups; defaults to the account in the role ARN. */
  account?: string;
  /** Defaults to the partition in the role ARN. */
  partition?: Partition | string;
}

export interface ISetupDocuments {
  trustPolicy: IPolicyDocument;
  serverPolicy: IPolicyDocument;
  clientPolicy: IPolicyDocument;
}

interface IResolvedOptions {
  roleArn: string;
  account: string;
  partition: Partition;
}

function resolve(options: IDocumentOptions): IResolvedOptions {
  const role = parseRoleArn(options.sagemakerRoleArn, '--sagemaker-role-arn');
  const account =
    options.account === undefined
      ? role.account
      : assertAccountId(options.account, '--account');
  const partition =
    options.partition === undefined
      ? role.partition
      : assertPartition(options.partition);
  return { roleArn: role.arn, account, partition };
}

/** The statement the guide adds to the SageMaker role's trust policy so SSM can assume it for the activation. */
export function ssmTrustStatement(): IPolicyStatement {
  return {
    Effect: 'Allow',
    Principal: {
      Service: SSM_SERVICE_PRINCIPAL
    },
    Action: 'sts:AssumeRole'
  };
}

/** The statement that lets SageMaker run jobs as the role (every SageMaker execution role has it). */
export function sagemakerTrustStatement(): IPolicyStatement {
  return {
    Effect: 'Allow',
    Principal: {
      Service: SAGEMAKER_SERVICE_PRINCIPAL
    },
    Action: 'sts:AssumeRole'
  };
}

/** The SageMaker role's trust policy as the guide shows it: SageMaker's own statement plus SSM's. */
export function trustPolicy(): IPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [sagemakerTrustStatement(), ssmTrustStatement()]
  };
}

/** `SSHSageMakerServerPolicy`: what the container needs to register itself with SSM and serve sessions. */
export function serverPolicy(options: IDocumentOptions): IPolicyDocument {
  const { roleArn, account, partition } = resolve(options);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Condition: {
          StringEquals: {
            'iam:PassedToService': SSM_SERVICE_PRINCIPAL
          }
        },
        Action: 'iam:PassRole',
        Resource: roleArn,
        Effect: 'Allow'
      },
      {
        Action: 'ssm:AddTagsToResource',
        Resource: roleArn,
        Effect: 'Allow'
      },
      {
        Action: [
          'ec2messages:AcknowledgeMessage',
          'ec2messages:DeleteMessage',
          'ec2messages:GetMessages',
          'ec2messages:SendReply',
          'ssm:CreateActivation',
          'ssm:ListAssociations',
          'ssm:ListInstanceAssociations',
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel'
        ],
        Resource: '*',
        Effect: 'Allow'
      },
      {
        Condition: {
          StringLike: {
            'ssm:resourceTag/SSHOwner': '*'
          }
        },
        Action: ['ssm:UpdateInstanceInformation'],
        Resource: `arn:${partition}:ssm:*:${account}:managed-instance/mi-*`,
        Effect: 'Allow'
      }
    ]
  };
}

/** `SSHSageMakerClientPolicy`: what the user needs to find their instances, deliver a key and start sessions. */
export function clientPolicy(
  options: Omit<IDocumentOptions, 'sagemakerRoleArn'> & {
    sagemakerRoleArn?: string;
  }
): IPolicyDocument {
  const { account, partition } = resolveAccount(options);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Action: [
          'logs:GetQueryResults',
          'ssm:DescribeInstanceInformation',
          'ssm:ListTagsForResource',
          'ssm:GetCommandInvocation'
        ],
        Resource: '*',
        Effect: 'Allow'
      },
      {
        Condition: {
          StringEquals: {
            'ssm:resourceTag/SSHOwner': '${aws:userid}'
          }
        },
        Action: ['ssm:SendCommand', 'ssm:StartSession'],
        Resource: `arn:${partition}:ssm:*:${account}:managed-instance/mi-*`,
        Effect: 'Allow'
      },
      {
        Condition: {
          StringLike: {
            'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}'
          }
        },
        Action: 'ssm:TerminateSession',
        Resource: `arn:${partition}:ssm:*:${account}:session/*`,
        Effect: 'Allow'
      },
      {
        Action: 'ssm:StartSession',
        Resource: `arn:${partition}:ssm:*::document/AWS-StartSSHSession`,
        Effect: 'Allow'
      },
      {
        Action: 'ssm:SendCommand',
        Resource: `arn:${partition}:ssm:*::document/AWS-RunShellScript`,
        Effect: 'Allow'
      },
      {
        Action: 'logs:StartQuery',
        Resource: `arn:${partition}:logs:*:${account}:log-group:/aws/sagemaker/*`,
        Effect: 'Allow'
      }
    ]
  };
}

function resolveAccount(options: {
  sagemakerRoleArn?: string;
  account?: string;
  partition?: string;
}): { account: string; partition: Partition } {
  if (options.sagemakerRoleArn !== undefined) {
    return resolve({ ...options, sagemakerRoleArn: options.sagemakerRoleArn });
  }
  if (options.account === undefined) {
    throw new TypeError(
      'clientPolicy needs an account or a SageMaker role ARN'
    );
  }
  return {
    account: assertAccountId(options.account, '--account'),
    partition: assertPartition(options.partition ?? 'aws')
  };
}

export interface IRemoteAccessOptions {
  account: string;
  partition?: Partition | string;
  /**
   * The user profile (ARN) whose spaces the role may reach, for a user role outside Studio. Without it, the
   * statements are AWS's Studio form, with `${sagemaker:DomainId}` and `${sagemaker:UserProfileName}`.
   */
  spaceOwnerProfile?: string;
}

export interface IRemoteAccessDocuments {
  remoteAccessPolicy: IPolicyDocument;
  remoteAccessEnablePolicy: IPolicyDocument;
  /** What the StartSession condition means for the form printed. */
  note: string;
}

/** Where the remote-access statements point: a literal domain and profile, or Studio's request variables. */
interface IRemoteAccessScope {
  partition: Partition;
  /** ARN prefix `arn:<partition>:sagemaker:<region or *>:<account>:`. */
  prefix: string;
  domain: string;
  ownerProfileArn: string;
}

function remoteAccessScope(options: IRemoteAccessOptions): IRemoteAccessScope {
  const account = assertAccountId(options.account, '--account');
  if (options.spaceOwnerProfile !== undefined) {
    const profile = parseUserProfileArn(
      options.spaceOwnerProfile,
      '--space-owner-profile'
    );
    return {
      partition: profile.partition,
      prefix: `arn:${profile.partition}:sagemaker:${profile.region}:${profile.account}:`,
      domain: profile.domainId,
      ownerProfileArn: profile.arn
    };
  }
  const partition = assertPartition(options.partition ?? 'aws');
  const prefix = `arn:${partition}:sagemaker:*:${account}:`;
  return {
    partition,
    prefix,
    domain: '${sagemaker:DomainId}',
    ownerProfileArn: `${prefix}user-profile/\${sagemaker:DomainId}/\${sagemaker:UserProfileName}`
  };
}

/** `sagemaker:StartSession` on the spaces of one user profile: AWS's documented statement for remote access. */
export function spaceStartSessionStatement(
  options: IRemoteAccessOptions
): IPolicyStatement {
  const { prefix, domain, ownerProfileArn } = remoteAccessScope(options);
  return {
    Sid: 'SSHRemoteAccessStartSession',
    Effect: 'Allow',
    Action: 'sagemaker:StartSession',
    Resource: `${prefix}space/${domain}/*`,
    Condition: { ArnLike: { [SPACE_OWNER_TAG_KEY]: ownerProfileArn } }
  };
}

/** `SSHSageMakerRemoteAccessPolicy`: connect to a space (StartSession) and find it (`sm-ssh list`, connect's DescribeSpace). */
export function remoteAccessPolicy(
  options: IRemoteAccessOptions
): IPolicyDocument {
  const { prefix, domain } = remoteAccessScope(options);
  return {
    Version: '2012-10-17',
    Statement: [
      spaceStartSessionStatement(options),
      {
        Sid: 'SSHRemoteAccessListSpaces',
        Effect: 'Allow',
        Action: SPACE_LIST_ACTIONS,
        Resource: '*'
      },
      {
        Sid: 'SSHRemoteAccessDescribeSpaces',
        Effect: 'Allow',
        Action: SPACE_DESCRIBE_ACTIONS,
        Resource: [`${prefix}space/${domain}/*`, `${prefix}app/${domain}/*`]
      }
    ]
  };
}

/** `SSHSageMakerRemoteAccessEnablePolicy`: turn remote access on (UpdateSpace) and restart the space's app. */
export function remoteAccessEnablePolicy(
  options: IRemoteAccessOptions
): IPolicyDocument {
  const { prefix, domain, ownerProfileArn } = remoteAccessScope(options);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SSHRemoteAccessEnableOnSpace',
        Effect: 'Allow',
        Action: 'sagemaker:UpdateSpace',
        Resource: `${prefix}space/${domain}/*`,
        Condition: {
          ArnLike: { [SPACE_OWNER_TAG_KEY]: ownerProfileArn },
          StringEquals: { [REMOTE_ACCESS_KEY]: 'ENABLED' }
        }
      },
      {
        Sid: 'SSHRemoteAccessRestartSpaceApp',
        Effect: 'Allow',
        Action: SPACE_APP_ACTIONS,
        Resource: `${prefix}app/${domain}/*`,
        Condition: { ArnLike: { [APP_OWNER_KEY]: ownerProfileArn } }
      }
    ]
  };
}

/** What the StartSession condition means for the caller, for the form the options select. */
export function remoteAccessNote(options: IRemoteAccessOptions): string {
  if (options.spaceOwnerProfile !== undefined) {
    const { domain, ownerProfileArn } = remoteAccessScope(options);
    return `sagemaker:StartSession is allowed only on spaces of domain ${domain} whose sagemaker:user-profile-arn tag is ${ownerProfileArn}. AWS's own statement writes \${sagemaker:DomainId} and \${sagemaker:UserProfileName} there, which only requests made from Studio carry; a laptop user's requests have neither, so the profile is written out.`;
  }
  return "AWS's Studio form: sagemaker:StartSession only on spaces of the caller's own domain whose sagemaker:user-profile-arn tag is the caller's own user profile. ${sagemaker:DomainId} and ${sagemaker:UserProfileName} exist only in requests made from Studio with the execution role; a laptop user's requests have neither, so for them the statement does not apply and StartSession is denied: for a user role outside Studio pass --space-owner-profile <user-profile ARN>.";
}

/** The remote-access documents, as `sm-ssh setup print --remote-access` shows them. */
export function remoteAccessDocuments(
  options: IRemoteAccessOptions
): IRemoteAccessDocuments {
  return {
    remoteAccessPolicy: remoteAccessPolicy(options),
    remoteAccessEnablePolicy: remoteAccessEnablePolicy(options),
    note: remoteAccessNote(options)
  };
}

/** All three documents, as `sm-ssh setup print` shows them. */
export function setupDocuments(options: IDocumentOptions): ISetupDocuments {
  return {
    trustPolicy: trustPolicy(),
    serverPolicy: serverPolicy(options),
    clientPolicy: clientPolicy(options)
  };
}
