import { UsageError } from '../errors.js';

/** The AWS partitions this product supports, with the DNS suffix of their service principals. */
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

export interface IParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

const ARN_PATTERN =
  /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/;

/** Splits an ARN into its fields, or returns undefined when the text is not an ARN. */
export function parseArn(text: string): IParsedArn | undefined {
  const match = ARN_PATTERN.exec(text);
  if (!match) {
    return undefined;
  }
  const [, partition, service, region, account, resource] = match;
  return { partition, service, region, account, resource };
}

export function assertPartition(value: string): Partition {
  if ((PARTITIONS as readonly string[]).includes(value)) {
    return value as Partition;
  }
  throw new UsageError(
    `unknown partition "${value}"`,
    `use one of ${PARTITIONS.join(', ')}`
  );
}

export function assertAccountId(value: string, what = 'account'): string {
  if (!/^\d{12}$/.test(value)) {
    throw new UsageError(
      `${what} "${value}" is not a 12-digit AWS account ID`,
      'pass the account ID, e.g. --account 123456789012'
    );
  }
  return value;
}

/** An IAM role ARN, validated, with the parts the setup needs. */
export interface IRoleArn {
  arn: string;
  partition: Partition;
  account: string;
  /** The role name without its path, as IAM's GetRole takes it. */
  name: string;
  /** The path, `/` or e.g. `/service-role/`. */
  path: string;
}

/**
 * Parses an IAM role ARN (`arn:<partition>:iam::<account>:role/<path/>name`).
 * `option` names the flag in the error, so the user knows which argument to fix.
 */
export function parseRoleArn(text: string, option = 'role ARN'): IRoleArn {
  const parsed = parseArn(text);
  const hint =
    'pass a role ARN such as arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';
  if (!parsed) {
    throw new UsageError(`${option} "${text}" is not an ARN`, hint);
  }
  const partition = assertPartition(parsed.partition);
  if (
    parsed.service !== 'iam' ||
    parsed.region !== '' ||
    !/^\d{12}$/.test(parsed.account)
  ) {
    throw new UsageError(
      `${option} "${text}" is not an IAM ARN (arn:<partition>:iam::<account>:role/…)`,
      hint
    );
  }
  if (!parsed.resource.startsWith('role/')) {
    throw new UsageError(
      `${option} "${text}" names a ${parsed.resource.split('/')[0]}, not a role`,
      hint
    );
  }
  const segments = parsed.resource.slice('role/'.length).split('/');
  const name = segments.pop() ?? '';
  if (!/^[\w+=,.@-]{1,64}$/.test(name)) {
    throw new UsageError(
      `${option} "${text}" has an invalid role name "${name}"`,
      hint
    );
  }
  const path = segments.length > 0 ? `/${segments.join('/')}/` : '/';
  return { arn: text, partition, account: parsed.account, name, path };
}

/**
 * The role ARN behind an STS caller ARN: `arn:aws:sts::123:assumed-role/Name/session` → `arn:aws:iam::123:role/Name`
 * (without the path, which STS does not report; GetRole gives the full one).
 */
export function roleArnOfAssumedRole(callerArn: string): string | undefined {
  const parsed = parseArn(callerArn);
  if (
    !parsed ||
    parsed.service !== 'sts' ||
    !parsed.resource.startsWith('assumed-role/')
  ) {
    return undefined;
  }
  const roleName = parsed.resource.split('/')[1];
  return `arn:${parsed.partition}:iam::${parsed.account}:role/${roleName}`;
}

/** A SageMaker user profile ARN (`arn:<partition>:sagemaker:<region>:<account>:user-profile/<domain-id>/<name>`). */
export interface IUserProfileArn {
  arn: string;
  partition: Partition;
  region: string;
  account: string;
  domainId: string;
  profileName: string;
}

/** Parses a SageMaker user profile ARN; `option` names the flag in the error. */
export function parseUserProfileArn(
  text: string,
  option = 'user profile ARN'
): IUserProfileArn {
  const hint =
    'pass a user profile ARN such as arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-abcdefgh1234/alice (aws sagemaker describe-user-profile shows it)';
  const parsed = parseArn(text);
  const match =
    /^user-profile\/(d-[a-z0-9]+)\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})$/.exec(
      parsed?.resource ?? ''
    );
  if (
    !parsed ||
    parsed.service !== 'sagemaker' ||
    parsed.region === '' ||
    !/^\d{12}$/.test(parsed.account) ||
    !match
  ) {
    throw new UsageError(
      `${option} "${text}" is not a SageMaker user profile ARN`,
      hint
    );
  }
  return {
    arn: text,
    partition: assertPartition(parsed.partition),
    region: parsed.region,
    account: parsed.account,
    domainId: match[1],
    profileName: match[2]
  };
}
