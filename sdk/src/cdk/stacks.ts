/**
 * The two CloudFormation stacks of the setup guide's "Automated setup with CDK":
 * `SSH-IAM-SSM-Stack` ({@link SshIamSsmStack}) and `SSM-Advanced-Tier-Stack` ({@link SsmAdvancedTierStack}).
 *
 * The policy documents come from `../policies/documents.js`, the same functions `sm-ssh setup print` uses, and go
 * into L1 `AWS::IAM::Policy` resources unchanged, so the deployed JSON is the guide's JSON.
 */
import * as cdk from 'aws-cdk-lib';
import {
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  custom_resources as cr
} from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { UsageError } from '../errors.js';
import { parseRoleArn, type IRoleArn } from '../policies/arn.js';
import {
  ACTIVATION_TIER_SETTING_ID,
  ADVANCED_TIER,
  CLIENT_POLICY_NAME,
  SERVER_POLICY_NAME,
  clientPolicy,
  serverPolicy,
  ssmTrustStatement
} from '../policies/documents.js';
import { asList, trustHandlerCode } from './trust-handler.js';

/** The stack names the guide deploys (`cdk deploy SSH-IAM-SSM-Stack`, `cdk deploy SSM-Advanced-Tier-Stack`). */
export const IAM_STACK_NAME = 'SSH-IAM-SSM-Stack';
export const TIER_STACK_NAME = 'SSM-Advanced-Tier-Stack';
/** CDK context keys of SSH-IAM-SSM-Stack (`cdk … -c sagemaker_role=<ARN> -c user_role=<ARN>`). */
export const SAGEMAKER_ROLE_CONTEXT = 'sagemaker_role';
export const USER_ROLE_CONTEXT = 'user_role';
/** CloudFormation type of the resource that adds the SSM statement to the SageMaker role's trust policy. */
export const TRUST_RESOURCE_TYPE = 'Custom::SageMakerSsmTrust';
/** CloudFormation type of the resource that sets the activation tier. */
export const TIER_RESOURCE_TYPE = 'Custom::SsmActivationTier';
/**
 * Runtime of the trust Lambda. Node.js 24 ships the AWS SDK for JavaScript v3 (`@aws-sdk/client-iam`); Node.js 20
 * was deprecated by Lambda on 2026-04-30 and new nodejs20.x functions are refused since 2026-08-31.
 */
export const TRUST_HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * Validates a role ARN given as CDK context; throws a {@link UsageError} naming the `-c <key>=…` option.
 * @param value the context value (`undefined` when the option was not given)
 * @param key the context key, e.g. `sagemaker_role`
 */
export function roleArnFromContext(value: unknown, key: string): IRoleArn {
  const option = `-c ${key}=<role ARN>`;
  if (value === undefined || value === null || value === '') {
    throw new UsageError(
      `missing ${option}`,
      `e.g. cdk -a "npx sm-ssh-cdk iam" deploy ${IAM_STACK_NAME} -c ${SAGEMAKER_ROLE_CONTEXT}=arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000 -c ${USER_ROLE_CONTEXT}=arn:aws:iam::123456789012:role/MyUserRole`
    );
  }
  if (typeof value !== 'string') {
    throw new UsageError(
      `-c ${key}=… must be a role ARN, not ${JSON.stringify(value)}`
    );
  }
  try {
    return parseRoleArn(value.trim(), `-c ${key}=…`);
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(error.message.replace(/\s+/g, ' '), error.hint);
    }
    throw error;
  }
}

/** Props of {@link SshIamSsmStack}. */
export interface ISshIamSsmStackProps extends cdk.StackProps {
  /** The SageMaker execution role (`-c sagemaker_role=…`): gets the server policy and the SSM trust statement. */
  readonly sagemakerRoleArn: string;
  /**
   * The role the user works as (`-c user_role=…`): gets the client policy. From SageMaker Studio, pass the
   * SageMaker role again: it then gets both policies.
   */
  readonly userRoleArn: string;
}

/**
 * `SSH-IAM-SSM-Stack`: the inline policies `SSHSageMakerServerPolicy` (on the SageMaker role) and
 * `SSHSageMakerClientPolicy` (on the user role), and the `ssm.amazonaws.com` statement in the SageMaker role's trust
 * policy, added next to the existing statements by a custom resource and removed on stack deletion if it added it.
 * The roles must exist and be in the account the stack is deployed to.
 */
export class SshIamSsmStack extends cdk.Stack {
  /** The parsed SageMaker role. */
  readonly sagemakerRole: IRoleArn;
  /** The parsed user role. */
  readonly userRole: IRoleArn;
  /** `AWS::IAM::Policy` SSHSageMakerServerPolicy. */
  readonly serverPolicy: iam.CfnPolicy;
  /** `AWS::IAM::Policy` SSHSageMakerClientPolicy. */
  readonly clientPolicy: iam.CfnPolicy;
  /** The Lambda that edits the trust policy. */
  readonly trustHandler: lambda.Function;
  /** The `Custom::SageMakerSsmTrust` resource. */
  readonly trustResource: cdk.CustomResource;

  constructor(scope: Construct, id: string, props: ISshIamSsmStackProps) {
    super(scope, id, {
      description:
        'SageMaker SSH: SSHSageMakerServerPolicy and SSM trust on the SageMaker role, SSHSageMakerClientPolicy on the user role',
      ...withoutRoles(props)
    });
    const sagemakerRole = roleArnFromContext(
      props.sagemakerRoleArn,
      SAGEMAKER_ROLE_CONTEXT
    );
    const userRole = roleArnFromContext(props.userRoleArn, USER_ROLE_CONTEXT);
    if (
      userRole.account !== sagemakerRole.account ||
      userRole.partition !== sagemakerRole.partition
    ) {
      throw new UsageError(
        `-c ${USER_ROLE_CONTEXT}=${userRole.arn} is not in the account of -c ${SAGEMAKER_ROLE_CONTEXT}=${sagemakerRole.arn}`,
        'one stack changes roles of one account; deploy it where the SageMaker role is and attach the client policy elsewhere with `sm-ssh setup`'
      );
    }
    this.sagemakerRole = sagemakerRole;
    this.userRole = userRole;

    new cdk.CfnRule(this, 'RolesInThisAccount', {
      assertions: [
        {
          assert: cdk.Fn.conditionAnd(
            cdk.Fn.conditionEquals(cdk.Aws.ACCOUNT_ID, sagemakerRole.account),
            cdk.Fn.conditionEquals(cdk.Aws.PARTITION, sagemakerRole.partition)
          ),
          assertDescription: `Deploy this stack to account ${sagemakerRole.account} (partition ${sagemakerRole.partition}), the account of the roles`
        }
      ]
    });

    const documentOptions = { sagemakerRoleArn: sagemakerRole.arn };
    this.serverPolicy = new iam.CfnPolicy(this, 'ServerPolicy', {
      policyName: SERVER_POLICY_NAME,
      policyDocument: serverPolicy(documentOptions),
      roles: [sagemakerRole.name]
    });
    this.clientPolicy = new iam.CfnPolicy(this, 'ClientPolicy', {
      policyName: CLIENT_POLICY_NAME,
      policyDocument: clientPolicy(documentOptions),
      roles: [userRole.name]
    });
    acknowledgeWildcards(
      this.serverPolicy,
      'SSHSageMakerServerPolicy is the setup guide policy: SSM agent messaging, activation and association APIs support no resource-level permissions (Resource "*"), and managed instance IDs (mi-*) are created at run time, so UpdateInstanceInformation is limited by the SSHOwner tag instead'
    );
    acknowledgeWildcards(
      this.clientPolicy,
      'SSHSageMakerClientPolicy is the setup guide policy: DescribeInstanceInformation, ListTagsForResource, GetCommandInvocation and GetQueryResults support no resource-level permissions, and managed instances (mi-*), sessions and the AWS-owned documents are matched by ARN pattern across regions, limited by the SSHOwner and session-id tag conditions'
    );

    const logGroup = new logs.LogGroup(this, 'TrustHandlerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY
    });
    const handlerRole = new iam.Role(this, 'TrustHandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lets the SageMaker SSH trust handler read and update the trust policy of ${sagemakerRole.name}`,
      inlinePolicies: {
        EditSageMakerRoleTrust: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['iam:GetRole', 'iam:UpdateAssumeRolePolicy'],
              resources: [sagemakerRole.arn]
            })
          ]
        }),
        WriteOwnLogs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn]
            })
          ]
        })
      }
    });
    this.trustHandler = new lambda.Function(this, 'TrustHandler', {
      description: `Adds ssm.amazonaws.com to the trust policy of ${sagemakerRole.name} (and removes it on delete)`,
      runtime: TRUST_HANDLER_RUNTIME,
      handler: 'index.handler',
      code: lambda.Code.fromInline(trustHandlerCode()),
      timeout: cdk.Duration.seconds(60),
      memorySize: 256,
      role: handlerRole,
      logGroup
    });
    this.trustResource = new cdk.CustomResource(this, 'SsmTrust', {
      resourceType: TRUST_RESOURCE_TYPE,
      serviceToken: this.trustHandler.functionArn,
      serviceTimeout: cdk.Duration.minutes(5),
      properties: {
        RoleName: sagemakerRole.name,
        Statement: JSON.stringify(ssmTrustStatement())
      }
    });
  }
}

/** Props of {@link SsmAdvancedTierStack}. */
export type ISsmAdvancedTierStackProps = cdk.StackProps;

/**
 * `SSM-Advanced-Tier-Stack`: sets the SSM service setting `/ssm/managed-instance/activation-tier` to `advanced` in
 * the stack's region (`ssm:UpdateServiceSetting`, allowed on that one setting only). Deleting the stack leaves the
 * tier as it is: going back to standard fails while advanced-tier instances are registered, and costs nothing to
 * keep when none are.
 */
export class SsmAdvancedTierStack extends cdk.Stack {
  /** The `Custom::SsmActivationTier` resource. */
  readonly tierResource: cr.AwsCustomResource;
  /** `arn:<partition>:ssm:<region>:<account>:servicesetting/ssm/managed-instance/activation-tier`. */
  readonly settingArn: string;

  constructor(
    scope: Construct,
    id: string,
    props: ISsmAdvancedTierStackProps = {}
  ) {
    super(scope, id, {
      description:
        'SageMaker SSH: SSM advanced instances tier (/ssm/managed-instance/activation-tier = advanced) in this region',
      ...props
    });
    this.settingArn = `arn:${cdk.Aws.PARTITION}:ssm:${cdk.Aws.REGION}:${cdk.Aws.ACCOUNT_ID}:servicesetting${ACTIVATION_TIER_SETTING_ID}`;
    const logGroup = new logs.LogGroup(this, 'TierHandlerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY
    });
    const role = new iam.Role(this, 'TierHandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'Lets the SageMaker SSH tier handler write its logs (UpdateServiceSetting is granted by its own policy)',
      inlinePolicies: {
        WriteOwnLogs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn]
            })
          ]
        })
      }
    });
    const call: cr.AwsSdkCall = {
      service: 'SSM',
      action: 'updateServiceSetting',
      parameters: {
        SettingId: ACTIVATION_TIER_SETTING_ID,
        SettingValue: ADVANCED_TIER
      },
      physicalResourceId: cr.PhysicalResourceId.of(ACTIVATION_TIER_SETTING_ID)
    };
    this.tierResource = new cr.AwsCustomResource(this, 'AdvancedTier', {
      resourceType: TIER_RESOURCE_TYPE,
      onCreate: call,
      onUpdate: call,
      // No onDelete: the tier stays advanced (see the class comment).
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['ssm:UpdateServiceSetting'],
          resources: [this.settingArn]
        })
      ]),
      role,
      logGroup,
      installLatestAwsSdk: false,
      timeout: cdk.Duration.minutes(2)
    });
  }
}

/** The props a plain Stack takes. */
function withoutRoles(props: ISshIamSsmStackProps): cdk.StackProps {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { sagemakerRoleArn, userRoleArn, ...stackProps } = props;
  return stackProps;
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for each wildcard resource of an L1 policy, one by one, so a
 * new wildcard (not in the guide) would still be reported.
 */
function acknowledgeWildcards(policy: iam.CfnPolicy, reason: string): void {
  const document = policy.policyDocument as {
    Statement: Array<{
      Resource?: string | string[];
      Action?: string | string[];
    }>;
  };
  const findings = new Set<string>();
  for (const statement of document.Statement) {
    for (const resource of asList(statement.Resource)) {
      if (resource.includes('*')) {
        findings.add(`Resource::${resource}`);
      }
    }
    for (const action of asList(statement.Action)) {
      if (action.includes('*')) {
        findings.add(`Action::${action}`);
      }
    }
  }
  for (const finding of findings) {
    acknowledge(policy, `AwsSolutions-IAM5[${finding}]`, reason);
  }
}

/** Records a cdk-nag acknowledgment through CDK's own Validations API (the stacks do not depend on cdk-nag). */
function acknowledge(scope: IConstruct, id: string, reason: string): void {
  cdk.Validations.of(scope).acknowledge({ id, reason });
}
