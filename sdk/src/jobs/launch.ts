/**
 * Launching a training or processing job with SSH (`startJobWithSsh`, `sm-ssh job start`): who the caller is (one
 * STS call: the owner of the job's instances, the account of the default bucket), the job role's check against the
 * guide's server policy before anything is changed, the bundle uploaded (skipped when S3 already has the same
 * bytes), the job created, then a wait until its SSH nodes are Online managed instances.
 */
import type {
  CreateProcessingJobRequest,
  CreateTrainingJobRequest
} from '@aws-sdk/client-sagemaker';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError, errorName } from '../aws/errors.js';
import { s3Sdk, sagemakerSdk, stsSdk } from '../aws/sdk.js';
import { OperationError, UsageError } from '../errors.js';
import { KIND_RESOURCE, type IResourceTarget } from '../names/index.js';
import { instancesNamed } from '../resolve/instances.js';
import {
  matchInstances,
  waitWithBackoff,
  type IResolveOptions
} from '../resolve/resolve.js';
import { resourceStatus } from '../resolve/status.js';
import { jobKindOf, withSsh } from './wrap.js';
import {
  JOB_ENV,
  type IBundleUpload,
  type IJobLaunchProgress,
  type IJobSshOptions,
  type IStartedJob,
  type IWrappedJob,
  type SshJobKind
} from './types.js';

/** Where bundles go under the bucket by default: `s3://<bucket>/sm-ssh/jobs/<job>/sm-ssh/`. */
export const DEFAULT_BUNDLE_PREFIX = 'sm-ssh/jobs';

export type SshJobRequest =
  CreateTrainingJobRequest | CreateProcessingJobRequest;

/** What a wrap needs besides the request, with the owner and the bucket found when not given. */
export interface IJobWrapOptions extends Omit<
  IJobSshOptions,
  'owner' | 'bundleUri'
> {
  /** The kind the caller expects; a request of the other kind is refused. Default: the request's. */
  kind?: SshJobKind;
  /** Default: the caller's STS UserId. */
  owner?: string;
  /** Default: SageMaker's default bucket `sagemaker-<region>-<account>` (created when missing). */
  bucket?: string;
  /** Default `sm-ssh/jobs`. */
  prefix?: string;
}

export interface IStartJobOptions extends IJobWrapOptions {
  /** Check the job role against the guide's server policy first (default true). */
  check?: boolean;
  /** Wait until the SSH nodes are Online (default true). */
  wait?: boolean;
  /** How long to wait for them (default 15 min, as resolution waits). */
  timeoutMs?: number;
  onProgress?: (progress: IJobLaunchProgress) => void;
  sleep?: IResolveOptions['sleep'];
}

/** The kind of a request (its job name member says it), which `expected` must agree with. */
export function requestKind(
  request: object,
  expected?: SshJobKind
): SshJobKind {
  const kind = jobKindOf(request);
  if (!kind) {
    throw new UsageError(
      'the request has neither or both of TrainingJobName and ProcessingJobName, so it is no training or processing job',
      'pass a CreateTrainingJob request (TrainingJobName) or a CreateProcessingJob request (ProcessingJobName)'
    );
  }
  if (expected && expected !== kind) {
    throw new UsageError(
      `--kind ${expected}, but the request is a ${kind} job's (it has ${kind === 'training' ? 'TrainingJobName' : 'ProcessingJobName'})`,
      `pass --kind ${kind}, or leave --kind out`
    );
  }
  return kind;
}

/** SageMaker's default bucket, as the SageMaker Python SDK names it. */
export function defaultBucket(region: string, account: string): string {
  return `sagemaker-${region}-${account}`;
}

/** The request wrapped for SSH, with the owner and the bucket resolved (one STS call when either is not given). */
export async function wrapJobRequest<TRequest extends SshJobRequest>(
  clients: AwsClients,
  request: TRequest,
  options: IJobWrapOptions = {}
): Promise<{ wrapped: IWrappedJob<TRequest>; inDefaultBucket: boolean }> {
  requestKind(request, options.kind);
  let { owner, bucket } = options;
  if (owner === undefined || bucket === undefined) {
    const { GetCallerIdentityCommand } = stsSdk();
    let identity;
    try {
      identity = await clients.sts().send(new GetCallerIdentityCommand({}));
    } catch (error) {
      throw describeAwsError(error, 'asking STS who the caller is');
    }
    owner ??= identity.UserId ?? '';
    bucket ??= defaultBucket(clients.region, identity.Account ?? '');
  }
  const prefix = (options.prefix ?? DEFAULT_BUNDLE_PREFIX).replace(
    /^\/+|\/+$/g,
    ''
  );
  const wrapped = withSsh(request as SshJobRequest, {
    owner,
    bundleUri: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
    waitSeconds: options.waitSeconds,
    sshNodes: options.sshNodes,
    ssmRole: options.ssmRole,
    imageEntrypoint: options.imageEntrypoint
  }) as IWrappedJob<TRequest>;
  return { wrapped, inDefaultBucket: options.bucket === undefined };
}

/** The job role's check: a MISSING grant of the server policy or the trust refuses the launch; the tier only warns. */
async function checkRole(
  clients: AwsClients,
  roleArn: string | undefined,
  progress: (message: string) => void
): Promise<void> {
  if (!roleArn) {
    throw new UsageError(
      'the request has no RoleArn',
      'set RoleArn to the SageMaker execution role the job runs as'
    );
  }
  progress(`checking ${roleArn} against SSHSageMakerServerPolicy`);
  const { checkSetup } = await import('../policies/checker.js');
  const report = await checkSetup(clients, {
    sagemakerRoleArn: roleArn,
    regions: [clients.region]
  });
  const missing = report.items.filter(
    item => item.status === 'MISSING' && item.group !== 'tier'
  );
  for (const item of report.items) {
    if (item.group === 'tier' && item.status !== 'OK') {
      progress(
        `warning: ${item.reasons[0] ?? item.title}${item.command ? ` (${item.command})` : ''}`
      );
    }
  }
  if (missing.length > 0) {
    throw new UsageError(
      `the job role ${roleArn} lacks what SSH needs: ${missing.map(item => item.title).join('; ')}`,
      `sm-ssh setup apply --sagemaker-role ${roleArn} grants it (sm-ssh setup check --sagemaker-role ${roleArn} shows why)`
    );
  }
}

/** HeadBucket, and CreateBucket when it is not there (what the SageMaker Python SDK does for its default bucket). */
async function ensureBucket(
  clients: AwsClients,
  bucket: string,
  progress: (message: string) => void
): Promise<void> {
  const { HeadBucketCommand, CreateBucketCommand } = s3Sdk();
  const s3 = clients.s3();
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    const name = errorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } })
      .$metadata?.httpStatusCode;
    if (name !== 'NotFound' && name !== 'NoSuchBucket' && status !== 404) {
      throw describeAwsError(error, `looking for the bucket ${bucket}`);
    }
  }
  progress(`creating the bucket ${bucket}`);
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(clients.region === 'us-east-1'
          ? {}
          : {
              CreateBucketConfiguration: {
                LocationConstraint: clients.region as 'eu-west-1'
              }
            })
      })
    );
  } catch (error) {
    // created meanwhile, by us or by the SageMaker SDK
    if (errorName(error) !== 'BucketAlreadyOwnedByYou') {
      throw describeAwsError(error, `creating the bucket ${bucket}`);
    }
  }
}

/** The metadata key holding an object's hex SHA-256, so an unchanged file is not uploaded again. */
const SHA256_METADATA = 'sha256';

export interface IUploadOptions {
  /** Create the bucket when it is missing (SageMaker's default bucket). */
  createBucket?: boolean;
  onProgress?: (message: string) => void;
}

/**
 * Uploads the bundle's files that S3 does not have yet: an object of the same key whose `sha256` metadata is the
 * file's SHA-256 is left as it is.
 */
export async function uploadBundle(
  clients: AwsClients,
  uploads: readonly IBundleUpload[],
  options: IUploadOptions = {}
): Promise<{ uploaded: IBundleUpload[]; skipped: IBundleUpload[] }> {
  const progress = options.onProgress ?? (() => undefined);
  const buckets = [...new Set(uploads.map(upload => upload.bucket))];
  if (options.createBucket) {
    for (const bucket of buckets) {
      await ensureBucket(clients, bucket, progress);
    }
  }
  const { HeadObjectCommand, PutObjectCommand } = s3Sdk();
  const s3 = clients.s3();
  const uploaded: IBundleUpload[] = [];
  const skipped: IBundleUpload[] = [];
  await Promise.all(
    uploads.map(async upload => {
      const there = await s3
        .send(new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key }))
        .catch((error: unknown) => {
          const status = (error as { $metadata?: { httpStatusCode?: number } })
            .$metadata?.httpStatusCode;
          if (status === 404 || errorName(error) === 'NotFound') {
            return undefined;
          }
          throw describeAwsError(error, `looking at ${upload.s3Uri}`);
        });
      if (there?.Metadata?.[SHA256_METADATA] === upload.sha256) {
        skipped.push(upload);
        return;
      }
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: upload.bucket,
            Key: upload.key,
            Body: upload.body,
            ContentType: 'text/x-shellscript',
            ChecksumSHA256: Buffer.from(upload.sha256, 'hex').toString(
              'base64'
            ),
            Metadata: { [SHA256_METADATA]: upload.sha256 }
          })
        );
      } catch (error) {
        throw describeAwsError(error, `uploading ${upload.s3Uri}`);
      }
      uploaded.push(upload);
    })
  );
  progress(
    uploaded.length === 0
      ? `the bundle is already in ${uploads[0]?.s3Uri.replace(/[^/]*$/, '') ?? 'S3'}`
      : `uploaded ${uploaded.map(u => `${u.s3Uri} (${u.bytes} bytes)`).join(', ')}${skipped.length ? `; ${skipped.length} already there` : ''}`
  );
  return { uploaded, skipped };
}

/** CreateTrainingJob / CreateProcessingJob with the wrapped request; returns the job's ARN. */
async function createJob(
  clients: AwsClients,
  wrapped: IWrappedJob<SshJobRequest>
): Promise<string> {
  const { CreateTrainingJobCommand, CreateProcessingJobCommand } =
    sagemakerSdk();
  try {
    if (wrapped.kind === 'training') {
      return (
        (
          await clients
            .sagemaker()
            .send(
              new CreateTrainingJobCommand(
                wrapped.request as CreateTrainingJobRequest
              )
            )
        ).TrainingJobArn ?? ''
      );
    }
    return (
      (
        await clients
          .sagemaker()
          .send(
            new CreateProcessingJobCommand(
              wrapped.request as CreateProcessingJobRequest
            )
          )
      ).ProcessingJobArn ?? ''
    );
  } catch (error) {
    const name = errorName(error);
    if (name === 'ValidationException' || name === 'ResourceInUse') {
      throw new UsageError(
        `SageMaker refused the ${wrapped.kind} job ${wrapped.jobName}: ${(error as Error).message.split('\n')[0]}`,
        name === 'ResourceInUse'
          ? 'job names are unique in an account and region: pick a new name'
          : 'fix the request (sm-ssh job wrap prints what would be sent)'
      );
    }
    throw describeAwsError(
      error,
      `creating the ${wrapped.kind} job ${wrapped.jobName}`
    );
  }
}

/**
 * Waits until the job's first `count` nodes (newest first, as `--node` counts) are Online, with resolution's
 * backoff; a job that ends meanwhile is an OperationError with SageMaker's FailureReason.
 */
async function waitForNodes(
  clients: AwsClients,
  wrapped: IWrappedJob<SshJobRequest>,
  since: Date,
  options: IStartJobOptions,
  progress: (message: string) => void
): Promise<string[]> {
  const target: IResourceTarget = {
    form: 'name',
    kind: wrapped.kind,
    name: wrapped.jobName
  };
  const count = Math.min(wrapped.sshNodes, wrapped.nodes);
  const what = `${KIND_RESOURCE[wrapped.kind]} ${wrapped.jobName}`;
  return waitWithBackoff(
    wrapped.target,
    {
      timeoutMs: options.timeoutMs,
      sleep: options.sleep,
      onWait: wait => progress(wait.reason)
    },
    `check the job's log (${wrapped.kind === 'training' ? '/aws/sagemaker/TrainingJobs' : '/aws/sagemaker/ProcessingJobs'}, streams ${wrapped.jobName}/…); pass a longer --timeout to wait more`,
    async () => {
      const [status, found] = await Promise.all([
        resourceStatus(clients.sagemaker(), target),
        instancesNamed(clients.ssm(), wrapped.jobName)
      ]);
      if (status.phase === 'ended') {
        throw new OperationError(
          `the ${what} ended ${status.status} before its SSH nodes came Online${status.failureReason ? `: ${status.failureReason}` : ''}`,
          `fix what the reason names and start it again under a new name; what its nodes printed, if they ran, is in ${wrapped.kind === 'training' ? '/aws/sagemaker/TrainingJobs' : '/aws/sagemaker/ProcessingJobs'}, streams ${wrapped.jobName}/…`
        );
      }
      const nodes = matchInstances(target, found, since).slice(0, count);
      const online = nodes.filter(node => node.pingStatus === 'Online');
      if (nodes.length === count && online.length === count) {
        return { done: nodes.map(node => node.instanceId) };
      }
      return {
        waitReason: `the ${what} is ${status.status ?? 'not visible yet'}; ${online.length} of ${count} SSH node${count === 1 ? '' : 's'} Online`
      };
    }
  );
}

/**
 * Starts a training or processing job with SSH and (unless `wait: false`) waits until its SSH nodes are Online.
 *
 * @throws UsageError for a request of the wrong kind, a bad option, a job role that lacks what the server policy
 * grants (before anything is uploaded or created), a request SageMaker refuses; OperationError when the job ends
 * before its nodes come Online, or the wait times out.
 */
export async function startJobWithSsh<TRequest extends SshJobRequest>(
  clients: AwsClients,
  request: TRequest,
  options: IStartJobOptions = {}
): Promise<IStartedJob> {
  const report = (step: IJobLaunchProgress['step']) => (message: string) =>
    options.onProgress?.({ step, message });
  const since = new Date(Date.now() - 60_000);
  const { wrapped, inDefaultBucket } = await wrapJobRequest(
    clients,
    request,
    options
  );
  if (options.check ?? true) {
    await checkRole(clients, request.RoleArn, report('checking-role'));
  }
  await uploadBundle(clients, wrapped.uploads, {
    createBucket: inDefaultBucket,
    onProgress: report('uploading')
  });
  report('creating')(
    `creating the ${KIND_RESOURCE[wrapped.kind]} ${wrapped.jobName}`
  );
  const jobArn = await createJob(
    clients,
    wrapped as IWrappedJob<SshJobRequest>
  );
  let instances: string[] = [];
  if (options.wait ?? true) {
    const waiting = report('waiting-for-target');
    waiting(`waiting for ${wrapped.target} to come Online`);
    instances = await waitForNodes(
      clients,
      wrapped as IWrappedJob<SshJobRequest>,
      since,
      options,
      waiting
    );
    report('online')(`${wrapped.target} is Online (${instances.join(', ')})`);
  }
  return {
    kind: wrapped.kind,
    jobName: wrapped.jobName,
    jobArn,
    target: wrapped.target,
    bundleUri: wrapped.bundleUri,
    owner: wrapped.request.Environment?.[JOB_ENV.owner] ?? '',
    nodes: wrapped.nodes,
    sshNodes: wrapped.sshNodes,
    waitSeconds: wrapped.waitSeconds,
    instances,
    connect: `sm-ssh connect ${wrapped.target}`,
    release: `sm-ssh job release ${wrapped.target}`
  };
}
