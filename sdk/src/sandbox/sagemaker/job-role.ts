/**
 * A job's execution role as SageMaker takes it: the role must exist and its trust policy must let
 * `sagemaker.amazonaws.com` assume it (moto's STS assumes any ARN, so the sandbox checks the trust itself, with the
 * policy evaluator), then STS AssumeRole with the session name `SageMaker` gives the containers' credentials, whose
 * caller is `AROA…:SageMaker` as in a real job.
 */
import { iamSdk, stsSdk } from '../../aws/sdk.js';
import { parseRoleArn } from '../../policies/arn.js';
import { SAGEMAKER_SERVICE_PRINCIPAL } from '../../policies/documents.js';
import { evaluateTrustPolicy } from '../../policies/evaluator/index.js';
import { parsePolicyDocument } from '../../policies/live-role.js';
import { JobPreparationError } from './job-files.js';
import type { IJobLaunch } from './jobs.js';

/** What SageMaker's own calls (to moto) sign with: moto accepts any signature. */
export const SERVICE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
};

export interface IRoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

function unassumable(arn: string): JobPreparationError {
  return new JobPreparationError(
    `ClientError: Could not assume role ${arn}. Please ensure that the role exists and allows principal '${SAGEMAKER_SERVICE_PRINCIPAL}' to assume the role.`
  );
}

/** The role's session for the job's containers; a role SageMaker could not assume is a JobPreparationError. */
export async function assumeExecutionRole(
  endpoint: string,
  job: IJobLaunch
): Promise<IRoleSession> {
  const arn = String(job.request.RoleArn ?? '');
  let name: string;
  try {
    name = parseRoleArn(arn).name;
  } catch {
    throw unassumable(arn);
  }
  const config = {
    region: job.scope.region,
    endpoint,
    credentials: SERVICE_CREDENTIALS,
    maxAttempts: 1
  };
  const { IAMClient, GetRoleCommand } = iamSdk();
  const iam = new IAMClient(config);
  try {
    const { Role } = await iam
      .send(new GetRoleCommand({ RoleName: name }))
      .catch((error: Error) => {
        if (
          error.name === 'NoSuchEntity' ||
          error.name === 'NoSuchEntityException'
        ) {
          throw unassumable(arn);
        }
        throw error;
      });
    if (Role?.Arn !== arn) {
      throw unassumable(arn);
    }
    const decision = evaluateTrustPolicy(
      {
        name: `the trust policy of ${name}`,
        document: parsePolicyDocument(Role.AssumeRolePolicyDocument ?? '{}')
      },
      {
        action: 'sts:AssumeRole',
        resource: arn,
        principal: { type: 'Service', id: SAGEMAKER_SERVICE_PRINCIPAL },
        context: {}
      }
    );
    if (decision.result !== 'Allowed') {
      throw unassumable(arn);
    }
  } finally {
    iam.destroy();
  }
  const { STSClient, AssumeRoleCommand } = stsSdk();
  const sts = new STSClient(config);
  try {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'SageMaker' })
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) {
      throw unassumable(arn);
    }
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken ?? ''
    };
  } finally {
    sts.destroy();
  }
}
