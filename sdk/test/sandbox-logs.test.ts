/**
 * The sandbox's CloudWatch Logs front with the real `@aws-sdk/client-cloudwatch-logs` over HTTP and real moto
 * behind it: log groups, streams and events are moto's (relayed), Logs Insights queries are evaluated by the
 * sandbox, filters included, over the query's time window.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeQueriesCommand,
  FilterLogEventsCommand,
  GetQueryResultsCommand,
  MalformedQueryException,
  PutLogEventsCommand,
  ResourceNotFoundException,
  StartQueryCommand,
  StopQueryCommand,
  type GetQueryResultsCommandOutput
} from '@aws-sdk/client-cloudwatch-logs';
import { startSandbox, type ISandbox } from '../src/sandbox/index.js';
import { MOTO_SERVER } from './harness/cloud.js';

const GROUP = '/aws/sagemaker/Endpoints/logs-test';
const LATENCY_MS = 300;
/** The query the original project (log.py) sends, byte for byte: `|` without spaces before it. */
const ORIGINAL_QUERY =
  'fields @timestamp, @logStream, @message' +
  "| filter @logStream like 'AllTraffic/'" +
  '| filter @message like /Successfully registered the instance with AWS SSM using Managed instance-id/' +
  '| sort @timestamp desc' +
  '| limit 20';

let sandbox: ISandbox;
let logs: CloudWatchLogsClient;
const now = Date.now();
const nowSeconds = Math.floor(now / 1000);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('the call succeeded');
}

async function put(stream: string, events: [number, string][]): Promise<void> {
  await logs.send(
    new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: stream })
  );
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: GROUP,
      logStreamName: stream,
      logEvents: events.map(([timestamp, message]) => ({ timestamp, message }))
    })
  );
}

async function untilDone(
  queryId: string
): Promise<GetQueryResultsCommandOutput> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const answer = await logs.send(new GetQueryResultsCommand({ queryId }));
    if (answer.status !== 'Running' && answer.status !== 'Scheduled') {
      return answer;
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`query ${queryId} did not finish`);
}

function rows(answer: GetQueryResultsCommandOutput): Record<string, string>[] {
  return (answer.results ?? []).map(row =>
    Object.fromEntries(row.map(cell => [cell.field ?? '', cell.value ?? '']))
  );
}

beforeAll(async () => {
  sandbox = await startSandbox({
    motoServer: MOTO_SERVER,
    logs: { latencyMs: LATENCY_MS }
  });
  logs = new CloudWatchLogsClient({
    region: 'us-east-1',
    endpoint: sandbox.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
  });
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await put('AllTraffic/i-0aaaaaaaaaaaaaaaa', [
    [now - 60_000, 'Installing SSM agent'],
    [
      now - 50_000,
      'Successfully registered the instance with AWS SSM using Managed instance-id: mi-0aaaaaaaaaaaaaaa1'
    ],
    [now - 40_000, 'waiting for connections']
  ]);
  await put('AllTraffic/i-0bbbbbbbbbbbbbbbb', [
    [
      now - 30_000,
      'Successfully registered the instance with AWS SSM using Managed instance-id: mi-0bbbbbbbbbbbbbbb2'
    ],
    // after the query's end time (CloudWatch takes events up to two hours ahead)
    [
      now + 120_000,
      'Successfully registered the instance with AWS SSM using Managed instance-id: mi-0ccccccccccccccc3'
    ]
  ]);
  await put('OtherVariant/i-0dddddddddddddddd', [
    [
      now - 20_000,
      'Successfully registered the instance with AWS SSM using Managed instance-id: mi-0ddddddddddddddd4'
    ],
    [now - 10_000, '{"level":"ERROR","latencyMs":250,"path":"/invocations"}']
  ]);
});

afterAll(async () => {
  logs?.destroy();
  await sandbox?.close();
});

describe('Logs Insights in the sandbox', () => {
  it('log events are moto’s: written and read back through the sandbox', async () => {
    const { events } = await logs.send(
      new FilterLogEventsCommand({ logGroupName: GROUP })
    );
    expect(events).toHaveLength(7);
  });

  it('evaluates the original project’s query: only matching lines of matching streams, in the window, newest first', async () => {
    const { queryId } = await logs.send(
      new StartQueryCommand({
        logGroupName: GROUP,
        startTime: nowSeconds - 14 * 86_400,
        endTime: nowSeconds,
        queryString: ORIGINAL_QUERY
      })
    );
    const first = await logs.send(
      new GetQueryResultsCommand({ queryId: queryId as string })
    );
    expect(first.status).toBe('Running');
    expect(first.results).toEqual([]);
    const done = await untilDone(queryId as string);
    expect(done.status).toBe('Complete');
    expect(
      rows(done).map(row => /instance-id: (mi-.+)/.exec(row['@message'])?.[1])
    ).toEqual(['mi-0bbbbbbbbbbbbbbb2', 'mi-0aaaaaaaaaaaaaaa1']);
    // the original reads line[2]['value'] as the message: fields in the order asked, @ptr last
    expect(done.results?.[0]?.map(cell => cell.field)).toEqual([
      '@timestamp',
      '@logStream',
      '@message',
      '@ptr'
    ]);
    expect(done.results?.[0]?.[0]?.value).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/
    );
    expect(done.statistics).toMatchObject({
      recordsScanned: 6,
      recordsMatched: 2,
      logGroupsScanned: 1
    });
    expect(done.statistics?.bytesScanned).toBeGreaterThan(0);
  });

  it('narrows by the time window, JSON fields, not like, limit', async () => {
    const windowed = await logs.send(
      new StartQueryCommand({
        logGroupNames: [GROUP],
        startTime: Math.floor((now - 35_000) / 1000),
        endTime: nowSeconds,
        queryString: 'fields @message | filter @message like /instance-id/'
      })
    );
    expect(
      rows(await untilDone(windowed.queryId as string)).map(row =>
        row['@message'].slice(-20)
      )
    ).toEqual(['mi-0ddddddddddddddd4', 'mi-0bbbbbbbbbbbbbbb2']);

    const json = await logs.send(
      new StartQueryCommand({
        logGroupIdentifiers: [
          `arn:aws:logs:us-east-1:123456789012:log-group:${GROUP}:*`
        ],
        startTime: nowSeconds - 3600,
        endTime: nowSeconds,
        queryString:
          "fields level, latencyMs as latency | filter level = 'ERROR' and latencyMs > 100"
      })
    );
    expect(rows(await untilDone(json.queryId as string))).toEqual([
      { level: 'ERROR', latency: '250', '@ptr': expect.any(String) }
    ]);

    const negative = await logs.send(
      new StartQueryCommand({
        logGroupName: GROUP,
        startTime: nowSeconds - 3600,
        endTime: nowSeconds,
        queryString:
          "fields @logStream | filter @logStream not like 'AllTraffic' | sort @timestamp asc | limit 1"
      })
    );
    const limited = await untilDone(negative.queryId as string);
    expect(rows(limited)).toEqual([
      {
        '@logStream': 'OtherVariant/i-0dddddddddddddddd',
        '@ptr': expect.any(String)
      }
    ]);
    expect(limited.statistics?.recordsMatched).toBe(2);
  });

  it('stops a running query, and refuses what it cannot do in AWS’s shapes', async () => {
    const { queryId } = await logs.send(
      new StartQueryCommand({
        logGroupName: GROUP,
        startTime: nowSeconds - 3600,
        endTime: nowSeconds,
        queryString: 'fields @message'
      })
    );
    expect(
      (await logs.send(new StopQueryCommand({ queryId: queryId as string })))
        .success
    ).toBe(true);
    expect(
      (
        await logs.send(
          new GetQueryResultsCommand({ queryId: queryId as string })
        )
      ).status
    ).toBe('Cancelled');
    const stopAgain = await rejection(
      logs.send(new StopQueryCommand({ queryId: queryId as string }))
    );
    expect(stopAgain.name).toBe('InvalidParameterException');

    const described = await logs.send(
      new DescribeQueriesCommand({ logGroupName: GROUP, status: 'Cancelled' })
    );
    expect(described.queries).toEqual([
      expect.objectContaining({
        queryId,
        queryString: 'fields @message',
        status: 'Cancelled',
        logGroupName: GROUP
      })
    ]);

    const unknown = await rejection(
      logs.send(
        new GetQueryResultsCommand({
          queryId: '00000000-0000-0000-0000-000000000000'
        })
      )
    );
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);

    const malformed = await rejection(
      logs.send(
        new StartQueryCommand({
          logGroupName: GROUP,
          startTime: nowSeconds - 60,
          endTime: nowSeconds,
          queryString: 'fields @message | stats count(*) by @logStream'
        })
      )
    );
    expect(malformed).toBeInstanceOf(MalformedQueryException);
    expect((malformed as MalformedQueryException).queryCompileError).toEqual({
      location: { startCharOffset: 18, endCharOffset: 23 },
      message: expect.stringContaining("'stats'")
    });

    const noGroup = await rejection(
      logs.send(
        new StartQueryCommand({
          logGroupName: '/aws/sagemaker/Endpoints/absent',
          startTime: nowSeconds - 60,
          endTime: nowSeconds,
          queryString: 'fields @message'
        })
      )
    );
    expect(noGroup).toBeInstanceOf(ResourceNotFoundException);

    const backwards = await rejection(
      logs.send(
        new StartQueryCommand({
          logGroupName: GROUP,
          startTime: nowSeconds,
          endTime: nowSeconds - 60,
          queryString: 'fields @message'
        })
      )
    );
    expect(backwards.name).toBe('InvalidParameterException');
  });
});
