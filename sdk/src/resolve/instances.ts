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
  /** The host name the agent reported (`algo-2` in a SageMaker job's container). */
  computerName?: string;
}

/** Turns DescribeInstanceInformation's entry and the instance's tags into an {@link ITargetInstance}. */
export function managedInstance(
  info: {
    InstanceId?: string;
    PingStatus?: string;
    LastPingDateTime?: Date;
    AgentVersion?: string;
    ComputerName?: string;
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
    timestamp: Number.isFinite(timestamp) ? timestamp : undefined,
    computerName: info.ComputerName || undefined
  };
}

/**
 * Registrations this close (seconds) belong to one start of the resource: the nodes of one job run, which start
 * together. A restart (a notebook instance, an endpoint) or an earlier run of the name is further apart than this.
 */
const ONE_RUN_SECONDS = 60;

const hostOrder = new Intl.Collator('en', { numeric: true });

/**
 * The nodes of a resource in `--node` order: newest SSHTimestamp first, and within one run (registrations less
 * than a minute apart, as a multi-node job's nodes register) by host name, so that node 2 of a SageMaker job is
 * `algo-2` however its registrations raced.
 */
export function orderNodes(nodes: ITargetInstance[]): ITargetInstance[] {
  const newestFirst = [...nodes].sort(
    (a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0)
  );
  const runs: ITargetInstance[][] = [];
  for (const node of newestFirst) {
    const run = runs[runs.length - 1];
    const runStart = run?.[0]?.timestamp ?? 0;
    if (run && runStart - (node.timestamp ?? 0) < ONE_RUN_SECONDS) {
      run.push(node);
    } else {
      runs.push([node]);
    }
  }
  return runs.flatMap(run =>
    [...run].sort((a, b) =>
      a.computerName && b.computerName
        ? hostOrder.compare(a.computerName, b.computerName)
        : (b.timestamp ?? 0) - (a.timestamp ?? 0)
    )
  );
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
