/**
 * The original project's fallback for resources whose instances carry no tags (endpoints always, jobs whose
 * activation tags are missing): the container logs "Successfully registered the instance with AWS SSM using
 * Managed instance-id: mi-…" to the resource's CloudWatch log group, and a Logs Insights query over a bounded
 * window (two weeks, as the original) finds the ids, newest first.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { runInsightsQuery } from '../aws/insights.js';
import type { IResourceTarget } from '../names/index.js';

/** How far back the query looks, as the original project does. */
export const LOG_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;
const REGISTERED =
  'Successfully registered the instance with AWS SSM using Managed instance-id';
const INSTANCE_ID = /\b(mi-[0-9a-f]{17})\b/;

/** The log group (and stream prefix) where a resource's containers write, or undefined for kinds without one. */
export function logLocation(
  target: IResourceTarget
): { group: string; streamPrefix?: string } | undefined {
  switch (target.kind) {
    case 'inference':
      return { group: `/aws/sagemaker/Endpoints/${target.name}` };
    case 'training':
      return {
        group: '/aws/sagemaker/TrainingJobs',
        streamPrefix: `${target.name}/`
      };
    case 'processing':
      return {
        group: '/aws/sagemaker/ProcessingJobs',
        streamPrefix: `${target.name}/`
      };
    case 'transform':
      return {
        group: '/aws/sagemaker/TransformJobs',
        streamPrefix: `${target.name}/`
      };
    default:
      return undefined;
  }
}

/** Escapes a literal for a Logs Insights regex. */
function regexLiteral(text: string): string {
  return text.replace(/[\\/.*+?^${}()|[\]-]/g, '\\$&');
}

export interface ILogLookupOptions {
  now?: number;
  /** Give up on a query that is still running after this long (default 60 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The managed instance ids the resource's containers registered, newest first, without duplicates; empty when the
 * log group does not exist or holds no registration line.
 */
export async function instanceIdsFromLogs(
  logs: CloudWatchLogsClient,
  target: IResourceTarget,
  options: ILogLookupOptions = {}
): Promise<string[]> {
  const location = logLocation(target);
  if (!location) {
    return [];
  }
  const now = options.now ?? Date.now();
  const stream = location.streamPrefix
    ? ` | filter @logStream like /^${regexLiteral(location.streamPrefix)}/`
    : '';
  const outcome = await runInsightsQuery(
    logs,
    {
      logGroupName: location.group,
      startTime: Math.floor((now - LOG_WINDOW_MS) / 1000),
      endTime: Math.ceil(now / 1000),
      queryString: `fields @timestamp, @message | filter @message like /${regexLiteral(REGISTERED)}/${stream} | sort @timestamp desc | limit 50`
    },
    { timeoutMs: options.timeoutMs ?? 60_000, sleep: options.sleep }
  );
  if (outcome.kind !== 'complete') {
    return [];
  }
  const ids: string[] = [];
  for (const row of outcome.rows) {
    const message = row.find(cell => cell.field === '@message')?.value ?? '';
    const id = INSTANCE_ID.exec(message)?.[1];
    if (id && !ids.includes(id)) {
      ids.push(id);
    }
  }
  return ids;
}
