/**
 * Where the jobs launched with SSH are in their wait, for `sm-ssh list` and the panel. A job launched with SSH
 * carries `SM_SSH_WAIT_SECONDS` in the `Environment` of its Describe answer (read by the listing anyway); its phase
 * comes from the wrapper's `sm-ssh-job:` lines in the job's log group: one Logs Insights query per log group for the
 * whole listing, never one per job, and none at all when no listed job is still running.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { runInsightsQuery } from '../aws/insights.js';
import type { IResourceStatus } from '../resolve/status.js';
import {
  JOB_ENV,
  JOB_LOG_PREFIX,
  type IJobSshState,
  type SshJobKind
} from './types.js';

/** A listed job and what its Describe said. */
export interface IListedJob {
  kind: SshJobKind;
  name: string;
  resource: IResourceStatus;
}

/** One `sm-ssh-job:` line of a job's log. */
export interface IMarkerLine {
  /** The log stream, `<job>/algo-<i>-<epoch seconds>`. */
  stream: string;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}

export interface IJobStateOptions {
  now?: number;
  /** Give up on a query still running after this long (default 30 s); its jobs are then `starting`. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** What had to be left out (a log group the caller may not query). */
  onWarning?: (text: string) => void;
}

export const JOB_LOG_GROUPS: Record<SshJobKind, string> = {
  training: '/aws/sagemaker/TrainingJobs',
  processing: '/aws/sagemaker/ProcessingJobs'
};

/** A query's regex for one listing stays far below Insights' 10,000 characters: at most this many jobs each. */
const JOBS_PER_QUERY = 100;
/** Before the oldest job's creation, for clocks that disagree. */
const CLOCK_SLACK_MS = 5 * 60 * 1000;
type Marker = 'waiting' | 'released' | 'running' | 'exited' | 'other';

/** What a marker line says; `waitSeconds` is the wait it announces. */
export function parseMarker(message: string): {
  marker: Marker;
  waitSeconds?: number;
} {
  const at = message.indexOf(JOB_LOG_PREFIX);
  if (at < 0) {
    return { marker: 'other' };
  }
  const text = message.slice(at + JOB_LOG_PREFIX.length).trim();
  const waiting = /^waiting up to (\d+) s\b/.exec(text);
  if (waiting) {
    return { marker: 'waiting', waitSeconds: Number(waiting[1]) };
  }
  // released, the time up, or sm-ssh-init.sh gone (no one can connect): the wait is over either way
  if (
    /^released after \d+ s\b/.test(text) ||
    /^no release within /.test(text) ||
    /: not waiting any longer$/.test(text)
  ) {
    return { marker: 'released' };
  }
  if (/ exited with -?\d+\s*$/.test(text)) {
    return { marker: 'exited' };
  }
  return text.startsWith('running ')
    ? { marker: 'running' }
    : { marker: 'other' };
}

/** Markers of one node in the order they are written, so lines of the same millisecond sort as the wrapper wrote them. */
const MARKER_ORDER: Record<Marker, number> = {
  other: 0,
  waiting: 1,
  released: 2,
  running: 3,
  exited: 4
};

/** `algo-<i>` of a job's stream, or undefined for a stream named otherwise. */
function nodeOfStream(stream: string): number | undefined {
  const match = /\/algo-(\d+)(?:-\d+)?$/.exec(stream);
  return match ? Number(match[1]) : undefined;
}

/**
 * The phase of a job that has not ended, from its marker lines: `waiting` while any SSH node's last word is the
 * wait (`waitEndsAt`: when the last of those waits ends by itself), `running` once the SSH nodes have moved on,
 * `starting` before they said anything. Nodes after `sshNodes` neither wait nor register: their lines don't count.
 */
export function phaseFromMarkers(
  lines: readonly IMarkerLine[],
  waitSeconds: number,
  sshNodes: number
): Pick<IJobSshState, 'phase' | 'waitEndsAt'> {
  const last = new Map<
    string,
    { timestamp: number; marker: Marker; waitSeconds?: number }
  >();
  for (const line of lines) {
    const node = nodeOfStream(line.stream);
    if (node !== undefined && node > sshNodes) {
      continue;
    }
    const parsed = parseMarker(line.message);
    if (parsed.marker === 'other') {
      continue;
    }
    const seen = last.get(line.stream);
    if (
      !seen ||
      line.timestamp > seen.timestamp ||
      (line.timestamp === seen.timestamp &&
        MARKER_ORDER[parsed.marker] > MARKER_ORDER[seen.marker])
    ) {
      last.set(line.stream, { timestamp: line.timestamp, ...parsed });
    }
  }
  const nodes = [...last.values()];
  const waiting = nodes.filter(node => node.marker === 'waiting');
  if (waiting.length > 0) {
    return {
      phase: 'waiting',
      waitEndsAt: Math.max(
        ...waiting.map(
          node =>
            Math.floor(node.timestamp / 1000) +
            (node.waitSeconds ?? waitSeconds)
        )
      )
    };
  }
  return { phase: nodes.length > 0 ? 'running' : 'starting' };
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** The SSH settings a job was launched with (from its Describe's Environment), or undefined for a job without SSH. */
export function jobSshSettings(
  resource: IResourceStatus
): { waitSeconds: number; sshNodes: number } | undefined {
  const environment = resource.environment ?? {};
  const waitSeconds = wholeNumber(environment[JOB_ENV.waitSeconds]);
  if (waitSeconds === undefined) {
    return undefined;
  }
  return {
    waitSeconds,
    sshNodes: wholeNumber(environment[JOB_ENV.sshNodes]) ?? 1
  };
}

/** A job name as a literal in an Insights (RE2) regex. */
function regexLiteral(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}/]/g, '\\$&');
}

/** The query over one log group's marker lines of these jobs. */
export function markerQuery(jobNames: readonly string[]): string {
  const streams = jobNames.map(regexLiteral).join('|');
  return (
    'fields @timestamp, @message, @logStream' +
    ` | filter @message like /${regexLiteral(JOB_LOG_PREFIX)} /` +
    ` | filter @logStream like /^(${streams})\\//` +
    ' | sort @timestamp desc | limit 10000'
  );
}

/** The marker lines of these jobs in one log group, empty when the group does not exist yet. */
async function markerLines(
  logs: CloudWatchLogsClient,
  group: string,
  jobNames: readonly string[],
  since: number,
  options: IJobStateOptions & { now: number }
): Promise<IMarkerLine[]> {
  const outcome = await runInsightsQuery(
    logs,
    {
      logGroupName: group,
      startTime: Math.floor(since / 1000),
      endTime: Math.ceil(options.now / 1000),
      queryString: markerQuery(jobNames)
    },
    { timeoutMs: options.timeoutMs ?? 30_000, sleep: options.sleep }
  );
  if (outcome.kind === 'no-group') {
    return [];
  }
  if (outcome.kind === 'unfinished') {
    options.onWarning?.(
      `the wait state of ${jobNames.join(', ')} is not known: the query of ${group} is ${outcome.status}`
    );
    return [];
  }
  return outcome.rows.map(row => {
    const cell = (field: string) =>
      row.find(entry => entry.field === field)?.value ?? '';
    return {
      stream: cell('@logStream'),
      // Insights prints times as `2026-11-25 09:15:19.539`, in UTC
      timestamp: Date.parse(`${cell('@timestamp').replace(' ', 'T')}Z`),
      message: cell('@message')
    };
  });
}

/** Splits a list into chunks of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let at = 0; at < items.length; at += size) {
    result.push(items.slice(at, at + size));
  }
  return result;
}

/**
 * The SSH state of each listed job that was launched with SSH, by job name (per kind: `<kind>/<name>`). Ended jobs
 * are `finished` without a query.
 */
export async function jobSshStates(
  logs: CloudWatchLogsClient,
  jobs: readonly IListedJob[],
  options: IJobStateOptions = {}
): Promise<Map<string, IJobSshState>> {
  const now = options.now ?? Date.now();
  const states = new Map<string, IJobSshState>();
  const pending: Array<
    IListedJob & { settings: { waitSeconds: number; sshNodes: number } }
  > = [];
  for (const job of jobs) {
    const settings = jobSshSettings(job.resource);
    if (!settings) {
      continue;
    }
    if (job.resource.phase === 'ended') {
      states.set(jobKey(job), { phase: 'finished', ...settings });
    } else {
      pending.push({ ...job, settings });
    }
  }
  const queries: Array<Promise<void>> = [];
  for (const kind of Object.keys(JOB_LOG_GROUPS) as SshJobKind[]) {
    const ofKind = pending.filter(job => job.kind === kind);
    for (const batch of chunks(ofKind, JOBS_PER_QUERY)) {
      const since =
        Math.min(
          ...batch.map(job => job.resource.createdAt?.getTime() ?? now)
        ) - CLOCK_SLACK_MS;
      queries.push(
        markerLines(
          logs,
          JOB_LOG_GROUPS[kind],
          batch.map(job => job.name),
          since,
          { ...options, now }
        )
          .catch((error: unknown) => {
            options.onWarning?.(
              `the wait state of ${kind} jobs is not known: ${(error as Error).message.split('\n')[0]} (logs:StartQuery on ${JOB_LOG_GROUPS[kind]} is needed)`
            );
            return [] as IMarkerLine[];
          })
          .then(lines => {
            for (const job of batch) {
              const own = lines.filter(line =>
                line.stream.startsWith(`${job.name}/`)
              );
              states.set(jobKey(job), {
                ...job.settings,
                ...phaseFromMarkers(
                  own,
                  job.settings.waitSeconds,
                  job.settings.sshNodes
                )
              });
            }
          })
      );
    }
  }
  await Promise.all(queries);
  return states;
}

/** The key of a job in {@link jobSshStates}' answer. */
export function jobKey(job: { kind: SshJobKind; name: string }): string {
  return `${job.kind}/${job.name}`;
}
