/**
 * `withSsh`: a CreateTrainingJob / CreateProcessingJob request changed so that its containers run
 * `sdk/remote/sm-ssh-job.sh` (SSH, the wait for a connection, then the original command), with the bundle of the two
 * scripts as an extra channel / processing input. Pure: it reads the scripts from the package but calls no AWS API;
 * everything SageMaker would refuse about the wrapped request is refused here, before anything is uploaded.
 */
import type {
  Channel,
  CreateProcessingJobRequest,
  CreateTrainingJobRequest,
  ProcessingInput
} from '@aws-sdk/client-sagemaker';
import { UsageError } from '../errors.js';
import { formatTarget } from '../names/index.js';
import { parseRoleArn } from '../policies/arn.js';
import { JOB_SCRIPT, jobBundle } from './bundle.js';
import { requireText } from './fields.js';
import {
  BUNDLE_CHANNEL,
  JOB_ENV,
  type IJobSshOptions,
  type IWrappedJob,
  type SshJobKind
} from './types.js';

/** Where the bundle is in the container. */
export const BUNDLE_PATH: Record<SshJobKind, string> = {
  training: `/opt/ml/input/data/${BUNDLE_CHANNEL}`,
  processing: `/opt/ml/processing/input/${BUNDLE_CHANNEL}`
};

export const DEFAULT_WAIT_SECONDS = 600;
export const DEFAULT_SSH_NODES = 2;
/** SageMaker's longest job (`MaxRuntimeInSeconds`: 5 days): a longer wait cannot be meant. */
export const MAX_WAIT_SECONDS = 432000;

/** What SageMaker accepts in the fields the wrap changes (CreateTrainingJob, CreateProcessingJob API references). */
export const JOB_LIMITS: Record<
  SshJobKind,
  {
    inputs: number;
    entrypointItems: number;
    argumentItems: number;
    itemLength: number;
    environmentEntries: number;
    environmentValueLength: number;
  }
> = {
  training: {
    inputs: 20,
    entrypointItems: 100,
    argumentItems: 100,
    itemLength: 256,
    environmentEntries: 100,
    environmentValueLength: 512
  },
  processing: {
    inputs: 10,
    entrypointItems: 100,
    argumentItems: 256,
    itemLength: 256,
    environmentEntries: 100,
    environmentValueLength: 256
  }
};

const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const ROLE_NAME_WITH_PATH = /^([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

type JobRequest = CreateTrainingJobRequest | CreateProcessingJobRequest;

/**
 * A deep copy of a JSON-like value: arrays and plain objects copied, anything else (strings, numbers, a Date) as it
 * is. Not structuredClone, whose objects come from Node's own realm: a caller in another (a vm context, a test
 * runner) would get objects whose prototypes differ from its own.
 */
export function clonePlain<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map(clonePlain) as T;
  }
  if (value !== null && typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, clonePlain(item)])
      ) as T;
    }
  }
  return value;
}

/** The kind a request is by its name field, or undefined when it has neither or both. */
export function jobKindOf(request: object): SshJobKind | undefined {
  const training = 'TrainingJobName' in request;
  const processing = 'ProcessingJobName' in request;
  if (training === processing) {
    return undefined;
  }
  return training ? 'training' : 'processing';
}

/** The request with SSH: see `IWrappedJob`; the caller's request is not changed. */
export function withSsh(
  request: CreateTrainingJobRequest,
  options: IJobSshOptions
): IWrappedJob<CreateTrainingJobRequest>;
export function withSsh(
  request: CreateProcessingJobRequest,
  options: IJobSshOptions
): IWrappedJob<CreateProcessingJobRequest>;
export function withSsh(
  request: JobRequest,
  options: IJobSshOptions
):
  | IWrappedJob<CreateTrainingJobRequest>
  | IWrappedJob<CreateProcessingJobRequest>;
export function withSsh(
  request: JobRequest,
  options: IJobSshOptions
):
  | IWrappedJob<CreateTrainingJobRequest>
  | IWrappedJob<CreateProcessingJobRequest> {
  if (typeof request !== 'object' || request === null) {
    throw new UsageError(
      'the job request is not an object',
      'pass a CreateTrainingJob or CreateProcessingJob request'
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new UsageError(
      'no options for the wrap',
      'pass at least { owner, bundleUri }'
    );
  }
  const kind = jobKindOf(request);
  if (!kind) {
    throw new UsageError(
      'the request has neither or both of TrainingJobName and ProcessingJobName, so it is no training or processing job',
      'pass a CreateTrainingJob request (TrainingJobName) or a CreateProcessingJob request (ProcessingJobName)'
    );
  }
  return kind === 'training'
    ? wrapTraining(request as CreateTrainingJobRequest, options)
    : wrapProcessing(request as CreateProcessingJobRequest, options);
}

/** What both kinds check first: the name, the role and the options. */
interface IBasics {
  jobName: string;
  ssmRole: string;
  waitSeconds: number;
  askedNodes: number;
}

function basics(
  kind: SshJobKind,
  request: JobRequest,
  jobName: string | undefined,
  options: IJobSshOptions
): IBasics {
  const nameField =
    kind === 'training' ? 'TrainingJobName' : 'ProcessingJobName';
  const name = requireText(
    jobName,
    nameField,
    `set ${nameField} to the job's name`
  );
  if (!JOB_NAME.test(name)) {
    throw new UsageError(
      `${nameField} "${name}" is not a SageMaker job name (1-63 letters, digits and hyphens, not starting with a hyphen)`,
      'rename the job'
    );
  }
  const roleArn = requireText(
    request.RoleArn,
    'RoleArn',
    "set RoleArn to the job's execution role (it needs the guide's SSHSageMakerServerPolicy: sm-ssh setup apply --sagemaker-role <arn>)"
  );
  const jobRole = roleNameWithPath(roleArn, 'RoleArn');
  const ssmRole = ssmRoleOf(
    options.ssmRole,
    () => jobRole,
    "(--ssm-role), or leave it out for the job's role"
  );
  if (typeof options.owner !== 'string' || options.owner.trim() === '') {
    throw new UsageError(
      'no owner for the job (SSH_OWNER_TAG)',
      'pass the UserId of whoever will connect (aws sts get-caller-identity --query UserId)'
    );
  }
  if (typeof options.bundleUri !== 'string') {
    throw new UsageError(
      'no bundle URI',
      'pass s3://<bucket>/<prefix> for the bootstrap scripts'
    );
  }
  const waitSeconds = options.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  if (
    !Number.isInteger(waitSeconds) ||
    waitSeconds < 0 ||
    waitSeconds > MAX_WAIT_SECONDS
  ) {
    throw new UsageError(
      `the wait of ${String(waitSeconds)} s is not a whole number of seconds from 0 to ${MAX_WAIT_SECONDS} (5 days, SageMaker's longest job)`,
      'pass the seconds the job waits for a connection before its command starts, 0 for none (--wait)'
    );
  }
  const maxRuntime = request.StoppingCondition?.MaxRuntimeInSeconds;
  if (
    maxRuntime !== undefined &&
    waitSeconds > 0 &&
    waitSeconds >= maxRuntime
  ) {
    throw new UsageError(
      `the wait of ${waitSeconds} s is not shorter than the job's StoppingCondition.MaxRuntimeInSeconds (${maxRuntime}), so SageMaker would stop the job before its command runs`,
      'pass a shorter wait (--wait), or raise MaxRuntimeInSeconds'
    );
  }
  const askedNodes = options.sshNodes ?? DEFAULT_SSH_NODES;
  if (!Number.isInteger(askedNodes) || askedNodes < 1) {
    throw new UsageError(
      `${String(askedNodes)} SSH nodes is not a whole number of at least 1`,
      'pass how many nodes, from the first, start SSH (--ssh-nodes)'
    );
  }
  return { jobName: name, ssmRole, waitSeconds, askedNodes };
}

/** The container's new command: sh runs the wrapper from the bundle, with the job's own command as its arguments. */
interface IContainerEntry {
  ContainerEntrypoint: string[];
  ContainerArguments: string[];
}

/** The wrap's Environment entries merged into a copy of the request, to which `wrap` adds the bundle's input and `entry`. */
function finish<TRequest extends { Environment?: Record<string, string> }>(
  kind: SshJobKind,
  checked: IBasics,
  request: TRequest,
  options: IJobSshOptions,
  nodes: number,
  command: string[],
  wrap: (wrapped: TRequest, bundleUri: string, entry: IContainerEntry) => void
): IWrappedJob<TRequest> {
  const sshNodes = Math.min(checked.askedNodes, nodes);
  const limits = JOB_LIMITS[kind];
  const bundlePath = BUNDLE_PATH[kind];
  const ours: Record<string, string> = {
    [JOB_ENV.owner]: options.owner,
    [JOB_ENV.ssmRole]: checked.ssmRole,
    [JOB_ENV.waitSeconds]: String(checked.waitSeconds),
    [JOB_ENV.sshNodes]: String(sshNodes),
    [JOB_ENV.bundlePath]: bundlePath
  };
  const original = request.Environment ?? {};
  for (const [key, value] of Object.entries(ours)) {
    if (key in original && original[key] !== value) {
      throw new UsageError(
        `the request's Environment sets ${key} to "${original[key]}", but the wrap sets it to "${value}"`,
        `remove ${key} from Environment (the wrap sets it), or pass the same value as an option`
      );
    }
    if (value.length > limits.environmentValueLength) {
      throw new UsageError(
        `${key} would be ${value.length} characters; a ${kind} job's Environment values are at most ${limits.environmentValueLength}`,
        `pass a shorter ${key === JOB_ENV.owner ? 'owner' : 'value'}`
      );
    }
  }
  const merged = { ...original, ...ours };
  const entries = Object.keys(merged).length;
  if (entries > limits.environmentEntries) {
    throw new UsageError(
      `the Environment would have ${entries} entries with the wrap's; a ${kind} job takes at most ${limits.environmentEntries}`,
      'remove entries from Environment'
    );
  }
  const bundle = jobBundle(options.bundleUri, checked.jobName);
  const wrapped = clonePlain(request);
  wrap(wrapped, bundle.uri, {
    ContainerEntrypoint: ['/bin/sh', `${bundlePath}/${JOB_SCRIPT}`],
    ContainerArguments: [...command]
  });
  wrapped.Environment = merged;
  return {
    kind,
    jobName: checked.jobName,
    target: formatTarget({ form: 'name', kind, name: checked.jobName }),
    request: wrapped,
    bundleUri: bundle.uri,
    bundlePath,
    uploads: bundle.uploads,
    command,
    nodes,
    sshNodes,
    waitSeconds: checked.waitSeconds
  };
}

/** A role's name with its path (`service-role/Name`), as CreateActivation's `IamRole` takes it. */
export function roleNameWithPath(roleArn: string, option: string): string {
  const role = parseRoleArn(roleArn, option);
  return `${role.path.slice(1)}${role.name}`;
}

/**
 * `SSH_SSM_ROLE`: the role given (a name with its path, or an ARN), else the fallback's. `hintTail` ends the hint
 * of a bad name (where the caller passes it from).
 */
export function ssmRoleOf(
  given: string | undefined,
  fallback: () => string,
  hintTail = ''
): string {
  if (given === undefined) {
    return fallback();
  }
  if (given.startsWith('arn:')) {
    return roleNameWithPath(given, 'the SSM role');
  }
  if (!ROLE_NAME_WITH_PATH.test(given)) {
    throw new UsageError(
      `the SSM role "${given}" is not an IAM role name with its path`,
      `pass e.g. service-role/AmazonSageMaker-ExecutionRole-20240101T000000${hintTail ? ` ${hintTail}` : ''}`
    );
  }
  return given;
}

function words(value: unknown, what: string): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value) || value.some(word => typeof word !== 'string')) {
    throw new UsageError(
      `${what} is not an array of strings`,
      `pass ${what} as ["word", …]`
    );
  }
  return value as string[];
}

/** The wrapped entry point and arguments must fit SageMaker's limits (the command moves into the arguments). */
function checkCommand(
  kind: SshJobKind,
  field: string,
  command: string[]
): void {
  const limits = JOB_LIMITS[kind];
  if (command.length > limits.argumentItems) {
    throw new UsageError(
      `the job's command (entry point and arguments) has ${command.length} words; wrapped, they are ${field}.ContainerArguments, which takes at most ${limits.argumentItems}`,
      'shorten the command, e.g. move its arguments into a script or the Environment'
    );
  }
  const long = command.findIndex(word => word.length > limits.itemLength);
  if (long >= 0) {
    throw new UsageError(
      `word ${long + 1} of the job's command is ${command[long].length} characters; ${field}.ContainerArguments takes words of at most ${limits.itemLength}`,
      'shorten it, e.g. move it into a script or the Environment'
    );
  }
}

function checkNoIsolation(isolated: boolean | undefined, field: string): void {
  if (isolated) {
    throw new UsageError(
      `${field} is true: the job's containers would have no network, and SSH goes through AWS Systems Manager`,
      `launch it without ${field} to reach it over SSH`
    );
  }
}

function wrapTraining(
  request: CreateTrainingJobRequest,
  options: IJobSshOptions
): IWrappedJob<CreateTrainingJobRequest> {
  const checked = basics('training', request, request.TrainingJobName, options);
  const spec = request.AlgorithmSpecification;
  if (!spec?.TrainingImage) {
    throw new UsageError(
      spec?.AlgorithmName
        ? `the job runs the algorithm resource ${spec.AlgorithmName}, whose entry point a request cannot replace`
        : 'the request has no AlgorithmSpecification.TrainingImage',
      'launch with SSH a job that names its TrainingImage'
    );
  }
  if (request.ServerlessJobConfig) {
    throw new UsageError(
      'the request is a serverless (model customization) job, which runs no container of the request',
      'launch with SSH a job with a TrainingImage and a ResourceConfig'
    );
  }
  checkNoIsolation(request.EnableNetworkIsolation, 'EnableNetworkIsolation');
  const channels = request.InputDataConfig ?? [];
  if (channels.some(channel => channel.ChannelName === BUNDLE_CHANNEL)) {
    throw new UsageError(
      `the request already has a channel named ${BUNDLE_CHANNEL}, the name of the wrap's bundle channel`,
      'rename that channel (is the request wrapped already?)'
    );
  }
  const limits = JOB_LIMITS.training;
  if (channels.length + 1 > limits.inputs) {
    throw new UsageError(
      `the request has ${channels.length} channels; with the bundle's it would have ${channels.length + 1}, and a training job takes at most ${limits.inputs}`,
      'merge two of its channels into one'
    );
  }
  const entrypoint = words(
    spec.ContainerEntrypoint,
    'AlgorithmSpecification.ContainerEntrypoint'
  );
  const args =
    words(
      spec.ContainerArguments,
      'AlgorithmSpecification.ContainerArguments'
    ) ?? [];
  const image = words(options.imageEntrypoint, 'imageEntrypoint');
  // without ContainerEntrypoint SageMaker runs `<image ENTRYPOINT> train`
  const command = [...(entrypoint ?? [...(image ?? []), 'train']), ...args];
  checkCommand('training', 'AlgorithmSpecification', command);

  const groups = request.ResourceConfig?.InstanceGroups;
  const nodes = groups?.length
    ? groups.reduce((sum, group) => sum + (group.InstanceCount ?? 0), 0)
    : (request.ResourceConfig?.InstanceCount ?? 1);
  return finish(
    'training',
    checked,
    request,
    options,
    Math.max(nodes, 1),
    command,
    (wrapped, bundleUri, entry) => {
      const channel: Channel = {
        ChannelName: BUNDLE_CHANNEL,
        DataSource: {
          S3DataSource: {
            S3DataType: 'S3Prefix',
            S3Uri: bundleUri,
            S3DataDistributionType: 'FullyReplicated'
          }
        },
        InputMode: 'File'
      };
      wrapped.AlgorithmSpecification = {
        ...wrapped.AlgorithmSpecification!,
        ...entry
      };
      wrapped.InputDataConfig = [...(wrapped.InputDataConfig ?? []), channel];
    }
  );
}

function wrapProcessing(
  request: CreateProcessingJobRequest,
  options: IJobSshOptions
): IWrappedJob<CreateProcessingJobRequest> {
  const checked = basics(
    'processing',
    request,
    request.ProcessingJobName,
    options
  );
  const app = request.AppSpecification;
  if (!app?.ImageUri) {
    throw new UsageError(
      'the request has no AppSpecification.ImageUri',
      'set AppSpecification.ImageUri to the processing image'
    );
  }
  checkNoIsolation(
    request.NetworkConfig?.EnableNetworkIsolation,
    'NetworkConfig.EnableNetworkIsolation'
  );
  const inputs = request.ProcessingInputs ?? [];
  const bundlePath = BUNDLE_PATH.processing;
  const clash = inputs.find(
    input =>
      input.InputName === BUNDLE_CHANNEL ||
      input.S3Input?.LocalPath?.replace(/\/+$/, '') === bundlePath
  );
  if (clash) {
    throw new UsageError(
      clash.InputName === BUNDLE_CHANNEL
        ? `the request already has a processing input named ${BUNDLE_CHANNEL}, the name of the wrap's bundle input`
        : `the request's processing input ${clash.InputName} already uses ${bundlePath}, where the wrap puts its bundle`,
      'rename that input or change its LocalPath (is the request wrapped already?)'
    );
  }
  const limits = JOB_LIMITS.processing;
  if (inputs.length + 1 > limits.inputs) {
    throw new UsageError(
      `the request has ${inputs.length} processing inputs; with the bundle's it would have ${inputs.length + 1}, and a processing job takes at most ${limits.inputs}`,
      'merge two of its inputs into one'
    );
  }
  const entrypoint =
    words(app.ContainerEntrypoint, 'AppSpecification.ContainerEntrypoint') ??
    words(options.imageEntrypoint, 'imageEntrypoint');
  if (!entrypoint?.length) {
    throw new UsageError(
      'the request has no AppSpecification.ContainerEntrypoint, so the wrap does not know what the image runs',
      'set ContainerEntrypoint, or pass the image\'s ENTRYPOINT as imageEntrypoint (--image-entrypoint \'["python3","/opt/program/process.py"]\')'
    );
  }
  const args =
    words(app.ContainerArguments, 'AppSpecification.ContainerArguments') ?? [];
  const command = [...entrypoint, ...args];
  checkCommand('processing', 'AppSpecification', command);

  const nodes = request.ProcessingResources?.ClusterConfig?.InstanceCount ?? 1;
  return finish(
    'processing',
    checked,
    request,
    options,
    Math.max(nodes, 1),
    command,
    (wrapped, bundleUri, entry) => {
      const input: ProcessingInput = {
        InputName: BUNDLE_CHANNEL,
        S3Input: {
          S3Uri: bundleUri,
          LocalPath: bundlePath,
          S3DataType: 'S3Prefix',
          S3InputMode: 'File',
          S3DataDistributionType: 'FullyReplicated'
        }
      };
      wrapped.AppSpecification = { ...wrapped.AppSpecification!, ...entry };
      wrapped.ProcessingInputs = [...(wrapped.ProcessingInputs ?? []), input];
    }
  );
}
