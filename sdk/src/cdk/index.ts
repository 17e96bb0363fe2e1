/**
 * `sagemaker-ssh/cdk`: the CDK stacks of the setup guide, for use in your own CDK app or through the `sm-ssh-cdk`
 * app (`cdk -a "npx sm-ssh-cdk iam" deploy SSH-IAM-SSM-Stack -c sagemaker_role=<ARN> -c user_role=<ARN>`).
 * Needs the optional peer dependencies `aws-cdk-lib` and `constructs`.
 *
 * @example
 * ```ts
 * import { App } from 'aws-cdk-lib';
 * import { SshIamSsmStack, SsmAdvancedTierStack } from 'sagemaker-ssh/cdk';
 *
 * const app = new App();
 * new SshIamSsmStack(app, 'SSH-IAM-SSM-Stack', { sagemakerRoleArn, userRoleArn });
 * new SsmAdvancedTierStack(app, 'SSM-Advanced-Tier-Stack');
 * ```
 */
export {
  IAM_STACK_NAME,
  SAGEMAKER_ROLE_CONTEXT,
  SshIamSsmStack,
  SsmAdvancedTierStack,
  TIER_RESOURCE_TYPE,
  TIER_STACK_NAME,
  TRUST_HANDLER_RUNTIME,
  TRUST_RESOURCE_TYPE,
  USER_ROLE_CONTEXT,
  roleArnFromContext,
  type ISshIamSsmStackProps,
  type ISsmAdvancedTierStackProps
} from './stacks.js';
export {
  buildIamApp,
  buildTierApp,
  type BuildAppOptions,
  type IBuiltApp
} from './app.js';
export {
  handleTrustEvent,
  mergeTrustStatement,
  trustHandlerCode,
  unmergeTrustStatement,
  type ITrustEvent,
  type ITrustResult,
  type ITrustStore
} from './trust-handler.js';
