// The original project's resolution (SageMaker SSH Helper 2.3, manager.py), reimplemented as the benchmark's
// reference: every managed instance, 50 a page (DescribeInstanceInformation, ResourceType ManagedInstance), then
// one ListTagsForResource per instance, one after the other as its loop does; then its match (SSHResourceName equal,
// the ARN contains `/<name>` and the kind's `:<type>/`, SSHTimestamp ≥ not-before) and newest SSHTimestamp first.
// It does not check SSHOwner or PingStatus. Its first call sends NextToken ""; we leave NextToken out instead.
//
//   import { originalInstanceIds } from './support/original-resolve.mjs';
//   const ids = await originalInstanceIds(ssmClient, 'training-job', 'my-job'); // ['mi-…', …], newest first
import {
  DescribeInstanceInformationCommand,
  ListTagsForResourceCommand
} from '@aws-sdk/client-ssm';

/** Instance id → its tags, for every managed instance of the account and region (O(N) calls). */
async function allInstancesWithTags(ssm) {
  const result = new Map();
  let nextToken;
  do {
    const page = await ssm.send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'ResourceType', Values: ['ManagedInstance'] }],
        MaxResults: 50,
        NextToken: nextToken
      })
    );
    for (const info of page.InstanceInformationList ?? []) {
      const { TagList = [] } = await ssm.send(
        new ListTagsForResourceCommand({
          ResourceType: 'ManagedInstance',
          ResourceId: info.InstanceId
        })
      );
      result.set(
        info.InstanceId,
        Object.fromEntries(TagList.map(tag => [tag.Key, tag.Value]))
      );
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return result;
}

/** The ids of `name`'s instances of ARN resource type `type` (`training-job`, `processing-job`, …), newest first. */
export async function originalInstanceIds(ssm, type, name, notEarlierThan = 0) {
  const matches = [];
  for (const [id, tags] of await allInstancesWithTags(ssm)) {
    const arn = tags.SSHResourceArn;
    if (
      tags.SSHResourceName !== name ||
      !arn ||
      !arn.includes(`/${name}`) ||
      !arn.includes(`:${type}/`)
    ) {
      continue;
    }
    const timestamp = Number.parseInt(tags.SSHTimestamp ?? '0', 10);
    if (timestamp >= notEarlierThan) {
      matches.push({ id, timestamp });
    }
  }
  return matches
    .sort((a, b) => b.timestamp - a.timestamp)
    .map(match => match.id);
}
