import {
  GetQueryResultsCommand,
  StartQueryCommand,
  type CloudWatchLogsClient,
  type GetQueryResultsCommandOutput
} from '@aws-sdk/client-cloudwatch-logs';

/**
 * The original project's way to find a node's managed instance: a Logs Insights query for the agent's registration
 * lines in the log streams of `group` named `streamPrefix`…, newest first, over the last `sinceS` seconds (at most
 * `limit` rows when given). Returns the query's results once it is no longer Running.
 */
export async function queryRegistrations(
  logs: CloudWatchLogsClient,
  group: string,
  streamPrefix: string,
  sinceS: number,
  limit?: number
): Promise<GetQueryResultsCommandOutput> {
  const now = Math.floor(Date.now() / 1000);
  const { queryId } = await logs.send(
    new StartQueryCommand({
      logGroupName: group,
      startTime: now - sinceS,
      endTime: now + 1,
      queryString:
        'fields @timestamp, @logStream, @message' +
        `| filter @logStream like '${streamPrefix}'` +
        '| filter @message like /Successfully registered the instance with AWS SSM using Managed instance-id/' +
        '| sort @timestamp desc' +
        (limit === undefined ? '' : `| limit ${limit}`)
    })
  );
  let answer: GetQueryResultsCommandOutput;
  do {
    await new Promise(resolve => setTimeout(resolve, 100));
    answer = await logs.send(
      new GetQueryResultsCommand({ queryId: queryId as string })
    );
  } while (answer.status === 'Running');
  return answer;
}
