/**
 * The tags a container writes on its SSM activation, as the original project's `sm-init-ssm` does, so that
 * instances registered by either project resolve the same way: SSHOwner (the launching user's `aws:userid`),
 * SSHCreator (the container's own), SSHTimestamp (unix seconds), SSHResourceName, SSHResourceArn. Pure functions.
 */
import { UsageError } from '../errors.js';
import { SshTag } from '../resolve/instances.js';

export interface IActivationTagInput {
  /** The launching user's STS UserId (env SSH_OWNER_TAG). */
  owner: string;
  /** The container's own STS UserId. */
  creator: string;
  /** Unix seconds. */
  timestamp: number;
  /** The SageMaker resource the container runs in; left out when unknown (endpoints are found through their logs). */
  resourceName?: string;
  resourceArn?: string;
}

export interface IActivationTag {
  Key: string;
  Value: string;
}

/** What SSM accepts as a tag value: up to 256 of letters, digits, spaces and `_.:/=+-@`. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

function checked(key: string, value: string, from: string): IActivationTag {
  if (!TAG_VALUE.test(value)) {
    throw new UsageError(
      `${from} "${value}" cannot be the value of the ${key} tag`,
      'SSM tag values are up to 256 letters, digits, spaces and _.:/=+-@'
    );
  }
  return { Key: key, Value: value };
}

/** The activation's tags, in the original project's order. */
export function activationTags(input: IActivationTagInput): IActivationTag[] {
  if (!input.owner) {
    throw new UsageError(
      'the SSHOwner tag is empty',
      "pass the launching user's aws:userid (aws sts get-caller-identity --query UserId) as SSH_OWNER_TAG or --owner"
    );
  }
  if (!Number.isInteger(input.timestamp) || input.timestamp <= 0) {
    throw new UsageError(`SSHTimestamp ${input.timestamp} is not unix seconds`);
  }
  return [
    checked(SshTag.Owner, input.owner, 'the owner'),
    checked(SshTag.Creator, input.creator, "the container's user id"),
    checked(SshTag.Timestamp, String(input.timestamp), 'the timestamp'),
    ...(input.resourceName
      ? [checked(SshTag.ResourceName, input.resourceName, 'the resource name')]
      : []),
    ...(input.resourceArn
      ? [checked(SshTag.ResourceArn, input.resourceArn, 'the resource ARN')]
      : [])
  ];
}

/**
 * The role name with its path, as CreateActivation's `IamRole` wants it, from a role ARN
 * (`arn:aws:iam::123456789012:role/service-role/Name` → `service-role/Name`) or the caller's assumed-role ARN
 * (`arn:aws:sts::123456789012:assumed-role/Name/session` → `Name`: STS drops the path, so a role with a path
 * must be given as SSH_SSM_ROLE). Undefined for anything else (a user, a federated session).
 */
export function roleNameFromArn(arn: string): string | undefined {
  const role = /^arn:[\w-]+:iam::\d{12}:role\/(.+)$/.exec(arn);
  if (role) {
    return role[1];
  }
  const assumed = /^arn:[\w-]+:sts::\d{12}:assumed-role\/([^/]+)\/[^/]+$/.exec(
    arn
  );
  return assumed?.[1];
}
