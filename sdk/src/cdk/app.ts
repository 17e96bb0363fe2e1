/**
 * The CDK apps behind `sm-ssh-cdk iam` and `sm-ssh-cdk tier`: one stack each, named as in the setup guide, with no
 * environment (the CDK CLI deploys them to the account of the credentials and the region of `AWS_REGION`).
 */
import * as cdk from 'aws-cdk-lib';
import {
  IAM_STACK_NAME,
  SAGEMAKER_ROLE_CONTEXT,
  SshIamSsmStack,
  SsmAdvancedTierStack,
  TIER_STACK_NAME,
  USER_ROLE_CONTEXT,
  roleArnFromContext
} from './stacks.js';

/**
 * Options of {@link buildIamApp} and {@link buildTierApp}: those of `new App()`. Leave them out when the CDK CLI
 * runs the app: `new App()` then reads the `-c key=value` context and the output directory from the environment.
 */
export type BuildAppOptions = cdk.AppProps;

/** An app and its one stack. */
export interface IBuiltApp<TStack extends cdk.Stack> {
  app: cdk.App;
  stack: TStack;
}

/**
 * The app with `SSH-IAM-SSM-Stack`. The role ARNs come from the context `sagemaker_role` and `user_role`
 * (`cdk -c sagemaker_role=<ARN> -c user_role=<ARN>`, or `options.context`).
 * @throws UsageError when a role ARN is missing or malformed; the message names the `-c …=` option.
 */
export function buildIamApp(
  options: BuildAppOptions = {}
): IBuiltApp<SshIamSsmStack> {
  const app = new cdk.App(options);
  const sagemakerRole = roleArnFromContext(
    app.node.tryGetContext(SAGEMAKER_ROLE_CONTEXT),
    SAGEMAKER_ROLE_CONTEXT
  );
  const userRole = roleArnFromContext(
    app.node.tryGetContext(USER_ROLE_CONTEXT),
    USER_ROLE_CONTEXT
  );
  const stack = new SshIamSsmStack(app, IAM_STACK_NAME, {
    sagemakerRoleArn: sagemakerRole.arn,
    userRoleArn: userRole.arn
  });
  return { app, stack };
}

/** The app with `SSM-Advanced-Tier-Stack` (no context). */
export function buildTierApp(
  options: BuildAppOptions = {}
): IBuiltApp<SsmAdvancedTierStack> {
  const app = new cdk.App(options);
  const stack = new SsmAdvancedTierStack(app, TIER_STACK_NAME);
  return { app, stack };
}
