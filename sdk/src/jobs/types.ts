/**
 * The contract of job launching with SSH (issue 8): what `withSsh` takes and returns, what a launch reports, what a
 * release reports, and the state of a job's wait as `sm-ssh list` and the panel show it. The JSON of the CLI's
 * `job wrap --json`, `job start --json` and `job release --json` is these shapes: add fields, don't rename them.
 */

/** The job kinds `withSsh` wraps (transform jobs and endpoints take a wrapped model instead: `withSshModel`). */
export type SshJobKind = 'training' | 'processing';

/** What every wrap needs besides the request. */
export interface IJobSshOptions {
  /** `SSHOwner` of the job's instances: the UserId of whoever will connect (STS GetCallerIdentity `UserId`). */
  owner: string;
  /** Where the bootstrap bundle goes: `s3://<bucket>/<prefix>`; the files land under `<prefix>/<job name>/sm-ssh/`. */
  bundleUri: string;
  /** Seconds the job waits for a connection before its own command starts (default 600, the original's `connection_wait_time`); 0: no wait. */
  waitSeconds?: number;
  /** How many nodes, from the first (`algo-1`), start SSH (default 2, the original's `ssh_instance_count`); the others neither register nor wait. */
  sshNodes?: number;
  /** `SSH_SSM_ROLE`, the activation's IAM role (name with path); default the request's `RoleArn`, name with path. */
  ssmRole?: string;
  /**
   * The image's own ENTRYPOINT, for a request that gives no `ContainerEntrypoint` (SageMaker then runs
   * `<ENTRYPOINT> train` for training, `<ENTRYPOINT> <ContainerArguments>` for processing): the wrap replaces it, so
   * it must run it itself. Training without it runs `train` from the PATH, as SageMaker's contract for training
   * images says; processing without it is refused.
   */
  imageEntrypoint?: string[];
}

/** One object the wrapped job needs in S3 before it is created. */
export interface IBundleUpload {
  bucket: string;
  key: string;
  /** `s3://bucket/key`. */
  s3Uri: string;
  body: string;
  bytes: number;
  /** Hex SHA-256 of `body`. */
  sha256: string;
}

/** What `withSsh` returns: the changed request and what must be uploaded for it. */
export interface IWrappedJob<TRequest> {
  kind: SshJobKind;
  jobName: string;
  /** `<job>.training.sagemaker` / `<job>.processing.sagemaker`. */
  target: string;
  /** The request with SSH: a new object; the caller's request is not changed. */
  request: TRequest;
  /** The S3 prefix of the bundle channel / processing input (`s3://…/<job>/sm-ssh/`). */
  bundleUri: string;
  /** Where the bundle is inside the container (`/opt/ml/input/data/sm-ssh`, `/opt/ml/processing/input/sm-ssh`). */
  bundlePath: string;
  uploads: IBundleUpload[];
  /** The command the job runs after the wait: its original entry point and arguments. */
  command: string[];
  nodes: number;
  sshNodes: number;
  waitSeconds: number;
}

/** What a launch (`startJobWithSsh`, `sm-ssh job start`) tells as it goes. */
export type JobLaunchStep =
  'checking-role' | 'uploading' | 'creating' | 'waiting-for-target' | 'online';

export interface IJobLaunchProgress {
  step: JobLaunchStep;
  /** One line for a person. */
  message: string;
}

/** `job start --json`. */
export interface IStartedJob {
  kind: SshJobKind;
  jobName: string;
  jobArn: string;
  target: string;
  bundleUri: string;
  owner: string;
  nodes: number;
  sshNodes: number;
  waitSeconds: number;
  /** The managed instances of the SSH nodes, node 1 first, once Online (empty with `wait: false`). */
  instances: string[];
  /** The commands to connect and to end the wait. */
  connect: string;
  release: string;
}

/** How a node took a release. */
export type ReleaseResult =
  'released' | 'already-released' | 'not-waiting' | 'failed';

export interface INodeRelease {
  /** 1-based, as `--node`. */
  node: number;
  instanceId: string;
  result: ReleaseResult;
  /** What the node said, or why it failed. */
  detail?: string;
}

/** `job release --json`. */
export interface IReleaseReport {
  target: string;
  nodes: INodeRelease[];
}

/**
 * Where a job launched with SSH is, as `sm-ssh list --json` (`job`) and the panel show it: `starting` before its
 * wrapper has said anything, `waiting` while it waits for a connection, `running` once its own command runs,
 * `finished` when the job has ended.
 */
export type JobSshPhase = 'starting' | 'waiting' | 'running' | 'finished';

export interface IJobSshState {
  phase: JobSshPhase;
  waitSeconds: number;
  sshNodes: number;
  /** Epoch seconds at which the wait ends by itself, while `waiting`. */
  waitEndsAt?: number;
}

/** The environment variables a wrapped job carries (the first two are the original project's names). */
export const JOB_ENV = {
  owner: 'SSH_OWNER_TAG',
  ssmRole: 'SSH_SSM_ROLE',
  waitSeconds: 'SM_SSH_WAIT_SECONDS',
  sshNodes: 'SM_SSH_NODES',
  bundlePath: 'SM_SSH_BUNDLE_DIR'
} as const;

/** The channel (training) and processing input that carry the bundle. */
export const BUNDLE_CHANNEL = 'sm-ssh';

/** The wrapper's marker lines in the job's log (`/aws/sagemaker/TrainingJobs`, `…/ProcessingJobs`). */
export const JOB_LOG_PREFIX = 'sm-ssh-job:';

/** The file a release creates in the container; the wrapper's wait ends when it exists. */
export const RELEASE_FILE = '/tmp/sm-ssh-job/release';

/** What `withSshModel` needs besides the CreateModel request (endpoints and batch transform). */
export interface IModelSshOptions {
  /** `SSHOwner` of the model's instances: the UserId of whoever will connect. */
  owner: string;
  /** `SSH_SSM_ROLE`, name with path; default the request's `ExecutionRoleArn`, name with path. */
  ssmRole?: string;
}

/** A file `withSshModel` needs in a model container's code directory, beside the model's inference module. */
export interface ICodeFile {
  /** Its name in the code directory. */
  path: string;
  body: string;
  bytes: number;
  /** Hex SHA-256 of `body`. */
  sha256: string;
}

/** One container `withSshModel` changed. */
export interface IWrappedModelContainer {
  /** Where it is in the request: `PrimaryContainer` or `Containers[<i>]`. */
  field: string;
  image?: string;
  /** Its `SAGEMAKER_PROGRAM` before the wrap, now in `SM_SSH_ORIGINAL_PROGRAM`. */
  originalProgram: string;
  /**
   * Its `SAGEMAKER_SUBMIT_DIRECTORY` when set: an `s3://…/sourcedir.tar.gz` the container downloads (the files go
   * into that archive) or a directory in the container (`/opt/ml/model/code`: the model archive's `code/`).
   * Unset: the model archive's `code/` (`/opt/ml/model/code`), where the inference toolkits look.
   */
  codeDirectory?: string;
}

/**
 * What `withSshModel` returns. The request alone does not give SSH: before the model is created, the caller adds
 * `codeFiles` to every container's code (the archive or directory `codeDirectory` names, else the model archive's
 * `code/`), beside the inference module, and uploads that code again.
 */
export interface IWrappedModel<TRequest> {
  modelName: string;
  request: TRequest;
  containers: IWrappedModelContainer[];
  /** The same for every container: the shim module `SAGEMAKER_PROGRAM` now names, and `sm-ssh-init.sh`. */
  codeFiles: ICodeFile[];
}
