/**
 * The SSM side of resolution: the managed instances that carry a resource's name, found with a server-side tag
 * filter (`DescribeInstanceInformation` with `tag:SSHResourceName`), so the number of calls does not grow with the
 * number of managed instances in the account, then their tags (one `ListTagsForResource` per match, in parallel).
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ssmSdk } from '../aws/sdk.js';

/** The tags the original project's remote side writes on its activation. */
export const SshTag = {
  Owner: 'SSHOwner',
  Creator: 'SSHCreator',
  Timestamp: 'SSHTimestamp',
  ResourceName: 'SSHResourceName',
  ResourceArn: 'SSHResourceArn'
} as const;

/** A managed instance with what resolution needs of it. */
export interface ITargetInstance {
  instanceId: string;
  /** `Online`, `ConnectionLost` or `Inactive`. */
  pingStatus: string;
  lastPingAt?: Date;
  agentVersion?: string;
  tags: Record<string, string>;
  /** SSHOwner: the `aws:userid` of whoever started the resource with SSH. */
  owner?: string;
  resourceName?: string;
  resourceArn?: string;
  /** SSHTimestamp, unix seconds. */
  timestamp?: number;
}

/** Turns DescribeInstanceInformation's entry and the instance's tags into an {@link ITargetInstance}. */
export function managedInstance(
  info: {
    InstanceId?: string;
    PingStatus?: string;
    LastPingDateTime?: Date;
    AgentVersion?: string;
  },
  tags: Record<string, string>
): ITargetInstance {
  const timestamp = Number(tags[SshTag.Timestamp]);
  return {
    instanceId: info.InstanceId ?? '',
    pingStatus: info.PingStatus ?? 'Inactive',
    lastPingAt: info.LastPingDateTime,
    agentVersion: info.AgentVersion,
    tags,
    owner: tags[SshTag.Owner] || undefined,
    resourceName: tags[SshTag.ResourceName] || undefined,
    resourceArn: tags[SshTag.ResourceArn] || undefined,
    timestamp: Number.isFinite(timestamp) ? timestamp : undefined
  };
}

/** The tags of one managed instance. */
export async function instanceTags(
  ssm: SSMClient,
  instanceId: string
): Promise<Record<string, string>> {
  const { ListTagsForResourceCommand } = ssmSdk();
  const response = await ssm.send(
    new ListTagsForResourceCommand({
      ResourceType: 'ManagedInstance',
      ResourceId: instanceId
    })
  );
  const tags: Record<string, string> = {};
  for (const tag of response.TagList ?? []) {
    if (tag.Key) {
      tags[tag.Key] = tag.Value ?? '';
    }
  }
  return tags;
}

/**
 * DescribeInstanceInformation with these filters, every page, then each instance's tags. With a tag filter on a
 * resource name this is one call plus one per instance of that resource, however many instances the account has.
 */
export async function describeInstances(
  ssm: SSMClient,
  filters: Array<{ Key: string; Values: string[] }>
): Promise<ITargetInstance[]> {
  const { DescribeInstanceInformationCommand } = ssmSdk();
  const infos = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new DescribeInstanceInformationCommand({
        Filters: filters,
        MaxResults: 50,
        NextToken: nextToken
      })
    );
    infos.push(...(page.InstanceInformationList ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return Promise.all(
    infos
      .filter(info => info.InstanceId)
      .map(async info =>
        managedInstance(
          info,
          await instanceTags(ssm, info.InstanceId as string)
        )
      )
  );
}

/** The instances whose SSHResourceName is `name` (the original project's tag), with their tags. */
export function instancesNamed(
  ssm: SSMClient,
  name: string
): Promise<ITargetInstance[]> {
  return describeInstances(ssm, [
    { Key: `tag:${SshTag.ResourceName}`, Values: [name] }
  ]);
}
