/**
 * Jobs launched with SSH in the bridge: `POST /api/jobs/release` (the request, the SDK's releaseJob, the listings
 * after it), and the finished jobs the bridge keeps listing. A job's instances deregister when its command ends, so
 * its target leaves the listing just as it finishes; the panel should still show it finished, with SageMaker's final
 * status, so a job seen with `job` is kept for an hour after its target is gone (one Describe, then kept).
 */
import type { AwsClients } from '../aws/clients.js';
import { sagemakerSdk } from '../aws/sdk.js';
import type { IReleaseReport } from '../jobs/types.js';
import { badRequest, toHttpError } from './errors.js';
import { integerIn, requestFields, requestTarget } from './requests.js';
import type {
  IBridgeReleaseReport,
  IBridgeTarget,
  IReleaseJobRequest
} from './types.js';

/** The SDK's releaseJob (sdk/src/jobs/release.ts), or a stand-in with its shape. */
export type JobReleaser = (
  clients: AwsClients,
  target: string,
  options: { node?: number; anyOwner?: boolean }
) => Promise<IReleaseReport>;

/** A checked IReleaseJobRequest, its target in canonical form. */
export interface IJobRelease {
  target: string;
  node?: number;
  anyOwner?: boolean;
}

/** The SDK's report is the bridge's (the compiler checks that IReleaseReport fits IBridgeReleaseReport). */
export function toBridgeReleaseReport(
  report: IReleaseReport
): IBridgeReleaseReport {
  return report;
}

const MAX_NODE = 10_000;

/** Checks a POST /api/jobs/release body: a training or processing job's target (canonical), optional node and anyOwner. */
export function parseReleaseRequest(body: unknown): IJobRelease {
  const request = requestFields<IReleaseJobRequest>(
    body,
    'the release request',
    'send {"target": "my-job.training.sagemaker"} (and "node": N for one node)'
  );
  const { target, kind } = requestTarget(
    request.target,
    'pass the target of a job launched with SSH, such as my-job.training.sagemaker (GET /api/targets lists them)'
  );
  if (kind !== 'training' && kind !== 'processing') {
    throw badRequest(
      `${target} is not a training or processing job: only jobs launched with SSH wait to be released`,
      'pass <job>.training.sagemaker or <job>.processing.sagemaker'
    );
  }
  const { node, anyOwner } = request;
  if (anyOwner !== undefined && typeof anyOwner !== 'boolean') {
    throw badRequest(
      'anyOwner is not true or false',
      "send true to release another user's job"
    );
  }
  const release: IJobRelease = anyOwner ? { target, anyOwner } : { target };
  if (node === undefined) {
    return release;
  }
  return {
    ...release,
    node: integerIn(
      node,
      'node',
      1,
      MAX_NODE,
      'nodes are numbered from 1; leave node out to release every SSH node'
    )
  };
}

/** When the targets are listed again after a release: at once, and once more when the job's log has caught up. */
export const RELIST_AFTER_RELEASE_MS: readonly number[] = [0, 5000];

/** Releases jobs and lists the targets again after each release, so the job's new phase goes out as events. */
export class JobReleases {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly releaser: JobReleaser,
    private readonly relistAfterMs: readonly number[] = RELIST_AFTER_RELEASE_MS
  ) {}

  /** `relist` lists the targets of these clients again (skipping the cache). */
  async release(
    clients: AwsClients,
    request: IJobRelease,
    relist: () => Promise<unknown>
  ): Promise<IBridgeReleaseReport> {
    let report: IReleaseReport;
    try {
      report = await this.releaser(clients, request.target, {
        ...(request.node !== undefined ? { node: request.node } : {}),
        ...(request.anyOwner ? { anyOwner: true } : {})
      });
    } catch (error) {
      throw toHttpError(error, `releasing ${request.target}`);
    }
    for (const delay of this.relistAfterMs) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed) {
          relist().catch(() => undefined);
        }
      }, delay);
      timer.unref();
      this.timers.add(timer);
    }
    return toBridgeReleaseReport(report);
  }

  close(): void {
    this.closed = true;
    this.timers.forEach(timer => clearTimeout(timer));
    this.timers.clear();
  }
}

/** What SageMaker says of a job at its end. `ended` false: it has not ended yet (or SageMaker could not be asked). */
export interface IJobEnd {
  ended: boolean;
  status: string;
  failureReason?: string;
  /** Epoch seconds. */
  endedAt?: number;
}

/** Reads the end of the job behind a target (one Describe). */
export type JobEndReader = (
  clients: AwsClients,
  target: IBridgeTarget
) => Promise<IJobEnd>;

const ENDED = new Set(['Completed', 'Failed', 'Stopped']);

const isNamed = (error: unknown, pattern: RegExp) =>
  pattern.test((error as { name?: string }).name ?? '');

/** DescribeTrainingJob / DescribeProcessingJob: the status, FailureReason and end time. */
export const describeJobEnd: JobEndReader = async (clients, target) => {
  const name = target.target.slice(0, target.target.indexOf('.'));
  const sdk = sagemakerSdk();
  try {
    const job =
      target.kind === 'processing'
        ? await clients
            .sagemaker()
            .send(
              new sdk.DescribeProcessingJobCommand({ ProcessingJobName: name })
            )
            .then(answer => ({
              status: answer.ProcessingJobStatus,
              failureReason: answer.FailureReason,
              end: answer.ProcessingEndTime
            }))
        : await clients
            .sagemaker()
            .send(new sdk.DescribeTrainingJobCommand({ TrainingJobName: name }))
            .then(answer => ({
              status: answer.TrainingJobStatus,
              failureReason: answer.FailureReason,
              end: answer.TrainingEndTime
            }));
    const status = job.status ?? 'unknown';
    return {
      ended: ENDED.has(status),
      status,
      ...(job.failureReason
        ? { failureReason: job.failureReason.split('\n')[0] }
        : {}),
      ...(job.end ? { endedAt: Math.round(job.end.getTime() / 1000) } : {})
    };
  } catch (error) {
    if (isNamed(error, /AccessDenied|NotAuthorized/i)) {
      // the guide's client policy grants no sagemaker:Describe*: the job's instances are gone, so it has ended
      return { ended: true, status: 'unknown' };
    }
    if (
      isNamed(error, /^(ResourceNotFound|ValidationException)$/) &&
      /not found|does not exist|could not find/i.test(
        (error as Error).message ?? ''
      )
    ) {
      return { ended: true, status: 'NotFound' };
    }
    // throttled or unreachable: asked again with the next listing
    return { ended: false, status: target.status };
  }
};

/** How long a finished job stays listed after its target left the listing. */
export const FINISHED_KEEP_MS = 60 * 60 * 1000;

interface IKept {
  record: IBridgeTarget;
  /** Epoch milliseconds at which it is dropped. */
  until: number;
  /** Whether SageMaker's final status is known (no more Describes). */
  final: boolean;
}

export interface IFinishedJobsOptions {
  readEnd?: JobEndReader;
  keepMs?: number;
  now?: () => number;
}

const byKindThenName = (a: IBridgeTarget, b: IBridgeTarget) =>
  a.kind.localeCompare(b.kind) || a.target.localeCompare(b.target);

/** The finished jobs kept per AWS clients (the key TargetsCache uses), for FINISHED_KEEP_MS after they left. */
export class FinishedJobs {
  private readonly kept = new Map<string, Map<string, IKept>>();
  private readonly readEnd: JobEndReader;
  private readonly keepMs: number;
  private readonly now: () => number;

  constructor(options: IFinishedJobsOptions = {}) {
    this.readEnd = options.readEnd ?? describeJobEnd;
    this.keepMs = options.keepMs ?? FINISHED_KEEP_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * The new listing with the finished jobs kept: a target of `before` that had `job` and is not in `listed` is kept
   * (SageMaker asked once for its final status; again with later listings only while it says the job has not ended
   * yet: its instances deregister a moment before the job ends), until its time is up or it is listed again.
   */
  async merge(
    key: string,
    clients: AwsClients,
    before: readonly IBridgeTarget[] | undefined,
    listed: IBridgeTarget[]
  ): Promise<IBridgeTarget[]> {
    const now = this.now();
    const names = new Set(listed.map(target => target.target));
    const kept = this.kept.get(key) ?? new Map<string, IKept>();
    // `before` holds the kept records too: one whose time is up now must not be taken for a job that just left
    const dropped = new Set<string>();
    for (const [name, entry] of kept) {
      if (names.has(name) || entry.until <= now) {
        kept.delete(name);
        dropped.add(name);
      }
    }
    for (const target of before ?? []) {
      if (
        target.job &&
        !names.has(target.target) &&
        !kept.has(target.target) &&
        !dropped.has(target.target)
      ) {
        kept.set(target.target, {
          record: target,
          until: now + this.keepMs,
          final: false
        });
      }
    }
    await Promise.all(
      [...kept.values()]
        .filter(entry => !entry.final)
        .map(async entry => {
          const end = await this.readEnd(clients, entry.record).catch(
            (): IJobEnd => ({ ended: false, status: entry.record.status })
          );
          entry.final = end.ended;
          entry.record = gone(entry.record, end);
        })
    );
    if (kept.size > 0) {
      this.kept.set(key, kept);
    } else {
      this.kept.delete(key);
    }
    return kept.size === 0
      ? listed
      : [...listed, ...[...kept.values()].map(entry => entry.record)].sort(
          byKindThenName
        );
  }
}

/** A job whose target has left the listing: no instances, and finished once SageMaker says it has ended. */
function gone(record: IBridgeTarget, end: IJobEnd): IBridgeTarget {
  const job = record.job as NonNullable<IBridgeTarget['job']>;
  // its registration's age means nothing once the instances are gone
  const rest = { ...record };
  delete rest.ageSeconds;
  return {
    ...rest,
    status: end.status,
    ping: 'NotFound',
    instances: [],
    job: end.ended
      ? {
          phase: 'finished',
          waitSeconds: job.waitSeconds,
          sshNodes: job.sshNodes,
          ...(end.failureReason ? { failureReason: end.failureReason } : {}),
          ...(end.endedAt !== undefined ? { endedAt: end.endedAt } : {})
        }
      : job
  };
}
