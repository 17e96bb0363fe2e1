/**
 * The sandbox's CloudWatch Logs endpoint: Logs Insights (StartQuery, GetQueryResults, StopQuery, DescribeQueries)
 * evaluated here, because moto ignores `filter` and answers every query with every event; log groups, streams and
 * events stay in moto (everything else is relayed unchanged) and a query reads them back with FilterLogEvents.
 * A query is Running for the front's latency, then Complete (computed when read, nothing runs in the background).
 */
import { randomUUID } from 'node:crypto';
import {
  AwsServiceError,
  type ICallContext,
  type IJsonService,
  type JsonOperation
} from '../aws-json-server.js';
import { JsonUpstream } from '../upstream.js';
import { evaluate, type IEvaluation, type ILogEvent } from './query-eval.js';
import { MAX_LIMIT, parseQuery } from './query-parser.js';

export type QueryStatus = 'Running' | 'Complete' | 'Cancelled';

export interface ILogsFrontOptions {
  /** moto's URL: log groups, streams and events live there. */
  upstream?: string;
  /** How long a query stays Running before it is Complete (default 300 ms). */
  latencyMs?: number;
  /** Concurrent Running queries per account and region (AWS's default quota is 30). */
  maxConcurrent?: number;
  now?: () => number;
}

interface IQuery {
  id: string;
  scope: string;
  queryString: string;
  logGroupNames: string[];
  created: number;
  readyAt: number;
  cancelled: boolean;
  evaluation: IEvaluation;
}

const MAX_QUERY_LENGTH = 10_000;
const MAX_LOG_GROUPS = 50;
const KEPT_QUERIES = 1000;

function invalid(message: string): AwsServiceError {
  return new AwsServiceError('InvalidParameterException', message);
}

function seconds(input: Record<string, unknown>, member: string): number {
  const value = input[member];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(
      `1 validation error detected: Value ${value === undefined ? 'null' : `'${String(value)}'`} at '${member}' failed to satisfy constraint: Member must have value greater than or equal to 0`
    );
  }
  return Math.floor(value);
}

/** The log group names of StartQuery: exactly one of logGroupName, logGroupNames, logGroupIdentifiers. */
function logGroupsOf(input: Record<string, unknown>): string[] {
  const given = (
    ['logGroupName', 'logGroupNames', 'logGroupIdentifiers'] as const
  ).filter(member => input[member] !== undefined && input[member] !== null);
  if (given.length !== 1) {
    throw invalid(
      'Exactly one of logGroupName, logGroupNames and logGroupIdentifiers must be specified'
    );
  }
  const raw = input[given[0]];
  const names = (Array.isArray(raw) ? raw : [raw]).map(name => {
    if (typeof name !== 'string' || name.length === 0) {
      throw invalid(`${given[0]} must hold log group names`);
    }
    // identifiers may be ARNs: arn:aws:logs:<region>:<account>:log-group:<name>[:*]
    const arn = /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:(.+?)(:\*)?$/.exec(
      name
    );
    return arn ? arn[1] : name;
  });
  if (names.length === 0 || names.length > MAX_LOG_GROUPS) {
    throw invalid(`A query covers from 1 to ${MAX_LOG_GROUPS} log groups`);
  }
  return [...new Set(names)];
}

export class LogsFront {
  latencyMs: number;
  maxConcurrent: number;
  private readonly queries = new Map<string, IQuery>();
  private readonly upstream?: JsonUpstream;
  private readonly now: () => number;

  constructor(options: ILogsFrontOptions = {}) {
    this.latencyMs = options.latencyMs ?? 300;
    this.maxConcurrent = options.maxConcurrent ?? 30;
    this.now = options.now ?? Date.now;
    this.upstream = options.upstream
      ? new JsonUpstream(options.upstream)
      : undefined;
  }

  /** The JSON 1.1 face (`X-Amz-Target: Logs_20140328.<Operation>`). */
  service(): IJsonService {
    const operations: Record<string, JsonOperation> = {
      StartQuery: (input, call) => this.start(input, call),
      GetQueryResults: (input, call) => this.results(input, call),
      StopQuery: (input, call) => this.stop(input, call),
      DescribeQueries: (input, call) => this.describe(input, call)
    };
    return {
      targetPrefix: 'Logs_20140328',
      name: 'CloudWatchLogs',
      upstream: this.upstream?.url,
      operations
    };
  }

  private static scope(call: ICallContext): string {
    return `${call.account}/${call.region}`;
  }

  private status(query: IQuery): QueryStatus {
    return query.cancelled
      ? 'Cancelled'
      : this.now() >= query.readyAt
        ? 'Complete'
        : 'Running';
  }

  private find(input: Record<string, unknown>, call: ICallContext): IQuery {
    const id = input.queryId;
    const query = typeof id === 'string' ? this.queries.get(id) : undefined;
    if (!query || query.scope !== LogsFront.scope(call)) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        'The specified query does not exist.'
      );
    }
    return query;
  }

  private async start(
    input: Record<string, unknown>,
    call: ICallContext
  ): Promise<Record<string, unknown>> {
    const language = input.queryLanguage ?? 'CWLI';
    if (language !== 'CWLI') {
      throw invalid(
        `The sandbox evaluates Logs Insights (CWLI) queries, not ${String(language)}`
      );
    }
    const queryString = input.queryString;
    if (
      typeof queryString !== 'string' ||
      queryString.length > MAX_QUERY_LENGTH
    ) {
      throw invalid(
        `queryString must be a string of at most ${MAX_QUERY_LENGTH} characters`
      );
    }
    const startTime = seconds(input, 'startTime');
    const endTime = seconds(input, 'endTime');
    if (endTime < startTime) {
      throw invalid('End time should not be before the start time');
    }
    const limit = input.limit ?? MAX_LIMIT;
    if (
      typeof limit !== 'number' ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > MAX_LIMIT
    ) {
      throw invalid(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    }
    const groups = logGroupsOf(input);
    const commands = parseQuery(queryString);
    const scope = LogsFront.scope(call);
    const running = [...this.queries.values()].filter(
      query => query.scope === scope && this.status(query) === 'Running'
    ).length;
    if (running >= this.maxConcurrent) {
      throw new AwsServiceError(
        'LimitExceededException',
        `Account maximum query concurrency limit of [${this.maxConcurrent}] reached.`
      );
    }
    const events: ILogEvent[] = [];
    for (const group of groups) {
      events.push(
        ...(await this.read(
          group,
          startTime * 1000,
          endTime * 1000 + 999,
          call
        ))
      );
    }
    const now = this.now();
    const query: IQuery = {
      id: randomUUID(),
      scope,
      queryString,
      logGroupNames: groups,
      created: now,
      readyAt: now + this.latencyMs,
      cancelled: false,
      evaluation: evaluate(commands, events, { account: call.account, limit })
    };
    this.queries.set(query.id, query);
    if (this.queries.size > KEPT_QUERIES) {
      this.queries.delete(this.queries.keys().next().value as string);
    }
    return { queryId: query.id };
  }

  /** Every event of `group` in [from, to] (epoch ms), read from moto page by page. */
  private async read(
    group: string,
    from: number,
    to: number,
    call: ICallContext
  ): Promise<ILogEvent[]> {
    if (!this.upstream) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Log group '${group}' does not exist: the sandbox keeps log events in moto, which it did not start.`
      );
    }
    const events: ILogEvent[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await this.upstream.call(
        'Logs_20140328.FilterLogEvents',
        {
          logGroupName: group,
          startTime: from,
          endTime: to,
          limit: 10_000,
          ...(token ? { nextToken: token } : {})
        },
        call
      );
      for (const event of (page.events ?? []) as Record<string, unknown>[]) {
        const timestamp = Number(event.timestamp);
        if (timestamp >= from && timestamp <= to) {
          events.push({
            logGroupName: group,
            logStreamName: String(event.logStreamName ?? ''),
            timestamp,
            ingestionTime: Number(event.ingestionTime ?? timestamp),
            message: String(event.message ?? ''),
            eventId: String(event.eventId ?? events.length)
          });
        }
      }
      const next =
        typeof page.nextToken === 'string' ? page.nextToken : undefined;
      if (!next || next === token) {
        return events;
      }
      token = next;
    }
  }

  private results(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const query = this.find(input, call);
    const status = this.status(query);
    const done = status === 'Complete';
    const evaluation = query.evaluation;
    return {
      queryLanguage: 'CWLI',
      results: done ? evaluation.rows : [],
      statistics: {
        recordsMatched: done ? evaluation.recordsMatched : 0,
        recordsScanned: done ? evaluation.recordsScanned : 0,
        estimatedRecordsSkipped: 0,
        bytesScanned: done ? evaluation.bytesScanned : 0,
        estimatedBytesSkipped: 0,
        logGroupsScanned: done ? query.logGroupNames.length : 0
      },
      status
    };
  }

  private stop(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const query = this.find(input, call);
    const status = this.status(query);
    if (status !== 'Running') {
      throw invalid(`Query ${query.id} is not running (it is ${status}).`);
    }
    query.cancelled = true;
    return { success: true };
  }

  private describe(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const scope = LogsFront.scope(call);
    const max = input.maxResults ?? 1000;
    if (
      typeof max !== 'number' ||
      !Number.isInteger(max) ||
      max < 1 ||
      max > 1000
    ) {
      throw invalid('maxResults must be a whole number from 1 to 1000');
    }
    const offset =
      typeof input.nextToken === 'string' && /^\d+$/.test(input.nextToken)
        ? Number(input.nextToken)
        : 0;
    const matching = [...this.queries.values()]
      .filter(
        query =>
          query.scope === scope &&
          (input.logGroupName === undefined ||
            query.logGroupNames.includes(String(input.logGroupName))) &&
          (input.status === undefined || this.status(query) === input.status)
      )
      .reverse();
    const page = matching.slice(offset, offset + max);
    return {
      queries: page.map(query => ({
        queryLanguage: 'CWLI',
        queryId: query.id,
        queryString: query.queryString,
        status: this.status(query),
        createTime: query.created,
        logGroupName: query.logGroupNames[0]
      })),
      ...(offset + max < matching.length
        ? { nextToken: String(offset + max) }
        : {})
    };
  }
}
