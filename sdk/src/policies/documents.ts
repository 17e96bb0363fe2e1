/**
 * The three documents of the setup guide (reference/iam-ssm-setup-guide.md): the SageMaker role's trust policy,
 * `SSHSageMakerServerPolicy` and `SSHSageMakerClientPolicy`. Statements, their order and their keys are the
 * guide's, word for word; only the partition and the account are filled in.
 */
import {
  assertAccountId,
  assertPartition,
  parseRoleArn,
  type Partition
} from './arn.js';
import type { IPolicyDocument, IPolicyStatement } from './types.js';

/** Inline policy name the guide gives the server policy (and the original project's managed policy). */
export const SERVER_POLICY_NAME = 'SSHSageMakerServerPolicy';
/** Inline policy name the guide gives the client policy (and the original project's managed policy). */
export const CLIENT_POLICY_NAME = 'SSHSageMakerClientPolicy';
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

/** All three documents, as `sm-ssh setup print` shows them. */
export function setupDocuments(options: IDocumentOptions): ISetupDocuments {
  return {
    trustPolicy: trustPolicy(),
    serverPolicy: serverPolicy(options),
    clientPolicy: clientPolicy(options)
  };
}
