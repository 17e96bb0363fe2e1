/**
 * One CloudWatch Logs Insights query over one log group: StartQuery, then GetQueryResults until it is complete,
 * polled after 100 ms and then at doubling waits up to 2 s.
 */
import type {
  CloudWatchLogsClient,
  ResultField,
  StartQueryCommandInput
} from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as delay } from 'node:timers/promises';
import { logsSdk } from './sdk.js';

export interface IInsightsWait {
  /** Give up on a query that is still running after this long. */
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * How the query ended: its rows; `no-group` when the log group does not exist (yet); `unfinished` with the status
 * it was last seen in when it failed, was cancelled or was still running at the deadline.
 */
export type InsightsOutcome =
  | { kind: 'complete'; rows: ResultField[][] }
  | { kind: 'no-group' }
  | { kind: 'unfinished'; status: string | undefined };

const RUNNING = new Set(['Running', 'Scheduled']);

/** Runs the query; AWS errors other than a missing log group are thrown as they come. */
export async function runInsightsQuery(
  logs: CloudWatchLogsClient,
  query: StartQueryCommandInput,
  options: IInsightsWait
): Promise<InsightsOutcome> {
  const { GetQueryResultsCommand, StartQueryCommand } = logsSdk();
  let queryId: string | undefined;
  try {
    ({ queryId } = await logs.send(new StartQueryCommand(query)));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      return { kind: 'no-group' };
    }
    throw error;
  }
  const sleep = options.sleep ?? delay;
  const deadline = Date.now() + options.timeoutMs;
  for (let wait = 100; ; wait = Math.min(2_000, wait * 2)) {
    const result = await logs.send(new GetQueryResultsCommand({ queryId }));
    if (result.status === 'Complete') {
      return { kind: 'complete', rows: result.results ?? [] };
    }
    if (!RUNNING.has(result.status ?? '') || Date.now() + wait > deadline) {
      return { kind: 'unfinished', status: result.status };
    }
    await sleep(wait);
  }
}
