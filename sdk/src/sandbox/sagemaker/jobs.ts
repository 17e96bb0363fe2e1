/**
 * Training, processing and transform jobs: moto makes every job Completed at creation and has no Stop*, so the
 * sandbox keeps jobs itself. A job is InProgress from its creation. A training or processing job whose request has a
 * `ContainerEntrypoint` is handed to the executor (job-runner.ts), which really runs it and moves it on; Stop* makes
 * it Stopping until its containers have exited. Any other job (the host has no images to run) runs until told
 * otherwise: a Stop* call makes it Stopping and, after the clock's stop time, Stopped; the sandbox's control
 * (`advance`, `finish`) moves it through SecondaryStatus phases and to Completed or Failed.
 */
import { AwsServiceError, type ICallContext } from '../aws-json-server.js';
import { settle, type Clock, type IEvolving } from './clock.js';
import { listPage } from './listing.js';
import {
  NAME_PATTERN,
  defined,
  epoch,
  pick,
  requiredObject,
  requiredString,
  sageMakerArn,
  scopeKey,
  scopeOf,
  validation,
  type IScope
} from './shapes.js';
import { tagsOf, type TagStore } from './tags.js';

export type JobKind = 'training' | 'processing' | 'transform';
export type JobStatus =
  'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
export type JobOutcome = 'Completed' | 'Failed' | 'Stopped';

export const JOB_STATUSES: readonly JobStatus[] = [
  'InProgress',
  'Completed',
  'Failed',
  'Stopping',
  'Stopped'
];

/** SecondaryStatus values of a training job that is InProgress. */
export const RUNNING_PHASES = [
  'Starting',
  'Pending',
  'LaunchingMLInstances',
  'PreparingTrainingStack',
  'Downloading',
  'DownloadingTrainingImage',
  'Training',
  'Uploading',
  'Restarting',
  'Updating'
] as const;
export type RunningPhase = (typeof RUNNING_PHASES)[number];

/** The phases most training jobs pass through, in order. */
const USUAL_PHASES: readonly string[] = [
  'Starting',
  'Downloading',
  'Training',
  'Uploading'
];

const PHASE_MESSAGES: Record<string, string> = {
  Starting: 'Launching requested ML instances',
  Pending: 'Waiting for capacity',
  LaunchingMLInstances: 'Launching requested ML instances',
  PreparingTrainingStack: 'Preparing the instances for training',
  Downloading: 'Downloading input data',
  DownloadingTrainingImage: 'Downloading the training image',
  Training: 'Training image download completed. Training in progress.',
  Uploading: 'Uploading generated training model',
  Restarting: 'Restarting the training job',
  Updating: 'Updating the training job',
  Stopping: 'Stopping the training job',
  Stopped: 'Training job stopped',
  MaxRuntimeExceeded:
    'Training job stopped because it exceeded the maximum allowed runtime',
  Completed: 'Training job completed',
  Failed: 'Training job failed'
};

interface IKind {
  /** `Training`, `Processing`, `Transform`: the prefix of operation and member names. */
  prefix: string;
  label: string;
  arnType: string;
  /** Request members Describe answers with, as given. */
  echoed: readonly string[];
  /** Request members that must be objects. */
  objects: readonly string[];
  strings: readonly string[];
}

export const JOB_KINDS: Record<JobKind, IKind> = {
  training: {
    prefix: 'Training',
    label: 'training job',
    arnType: 'training-job',
    echoed: [
      'HyperParameters',
      'AlgorithmSpecification',
      'RoleArn',
      'InputDataConfig',
      'OutputDataConfig',
      'ResourceConfig',
      'VpcConfig',
      'StoppingCondition',
      'CheckpointConfig',
      'DebugHookConfig',
      'DebugRuleConfigurations',
      'TensorBoardOutputConfig',
      'ExperimentConfig',
      'ProfilerConfig',
      'ProfilerRuleConfigurations',
      'Environment',
      'RetryStrategy',
      'RemoteDebugConfig',
      'InfraCheckConfig'
    ],
    objects: [
      'AlgorithmSpecification',
      'OutputDataConfig',
      'ResourceConfig',
      'StoppingCondition'
    ],
    strings: ['RoleArn']
  },
  processing: {
    prefix: 'Processing',
    label: 'processing job',
    arnType: 'processing-job',
    echoed: [
      'ProcessingInputs',
      'ProcessingOutputConfig',
      'ProcessingResources',
      'StoppingCondition',
      'AppSpecification',
      'Environment',
      'NetworkConfig',
      'RoleArn',
      'ExperimentConfig'
    ],
    objects: ['ProcessingResources', 'AppSpecification'],
    strings: ['RoleArn']
  },
  transform: {
    prefix: 'Transform',
    label: 'transform job',
    arnType: 'transform-job',
    echoed: [
      'ModelName',
      'MaxConcurrentTransforms',
      'ModelClientConfig',
      'MaxPayloadInMB',
      'BatchStrategy',
      'Environment',
      'TransformInput',
      'TransformOutput',
      'DataCaptureConfig',
      'TransformResources',
      'DataProcessing',
      'ExperimentConfig'
    ],
    objects: ['TransformInput', 'TransformOutput', 'TransformResources'],
    strings: ['ModelName']
  }
};

/** The kinds the sandbox can run for real (a transform job needs a model server). */
export type RunnableKind = 'training' | 'processing';

/** A created job the sandbox runs for real: its request has a `ContainerEntrypoint`. */
export interface IJobLaunch {
  kind: RunnableKind;
  name: string;
  arn: string;
  scope: IScope;
  /** The request's members that Describe echoes (AlgorithmSpecification, InputDataConfig, Environment, …). */
  request: Record<string, unknown>;
}

/** What runs the jobs that have a `ContainerEntrypoint` (job-runner.ts). */
export interface IJobExecutor {
  /** The job was created: run it; its status then follows the run (`advance`, `finish`). Must not throw. */
  start(job: IJobLaunch): void;
  /** Stop* on the job: it is Stopping until the executor finishes it as Stopped. */
  stop(job: IJobLaunch): void;
  /** The job has ended (whoever ended it): end what still runs of it. */
  ended(job: IJobLaunch): void;
}

/** Where a kind's request says what its containers run. */
const SPECIFICATION: Record<RunnableKind, string> = {
  training: 'AlgorithmSpecification',
  processing: 'AppSpecification'
};

function stringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(item => typeof item === 'string');
}

/**
 * The command a job's containers run when its request says it: `ContainerEntrypoint` followed by
 * `ContainerArguments`; undefined without an entry point (the image's own would run, which the sandbox lacks).
 */
export function containerCommand(
  kind: JobKind,
  request: Record<string, unknown>
): string[] | undefined {
  if (kind === 'transform') {
    return undefined;
  }
  const member = SPECIFICATION[kind];
  const spec = request[member] as Record<string, unknown> | undefined;
  const entrypoint = spec?.ContainerEntrypoint;
  const args = spec?.ContainerArguments;
  if (entrypoint === undefined) {
    return undefined;
  }
  for (const [name, value] of [
    ['ContainerEntrypoint', entrypoint],
    ['ContainerArguments', args ?? []]
  ] as const) {
    if (
      !stringList(value) ||
      (name === 'ContainerEntrypoint' && !value.length)
    ) {
      throw validation(
        `1 validation error detected: Value at '${member}.${name}' failed to satisfy constraint: Member must be a ${name === 'ContainerEntrypoint' ? 'non-empty ' : ''}list of strings`
      );
    }
  }
  return [
    ...(entrypoint as string[]),
    ...((args as string[] | undefined) ?? [])
  ];
}

interface ITransition {
  Status: string;
  StartTime: number;
  EndTime?: number;
  StatusMessage: string;
}

interface IJob extends IEvolving {
  kind: JobKind;
  name: string;
  arn: string;
  scope: IScope;
  request: Record<string, unknown>;
  status: JobStatus;
  created: number;
  modified: number;
  started?: number;
  ended?: number;
  failureReason?: string;
  /** Training only: SecondaryStatusTransitions, oldest first. */
  transitions: ITransition[];
  /** The executor runs it (its request has a ContainerEntrypoint). */
  run?: IJobLaunch;
}

function notFound(): AwsServiceError {
  return validation('Requested resource not found.');
}

/** The jobs of every account and region, by kind and name. */
export class JobStore {
  private readonly jobs = new Map<string, IJob>();
  private executor?: IJobExecutor;

  constructor(
    private readonly tags: TagStore,
    private readonly clock: Clock,
    /** The account and region the control methods act in unless told otherwise. */
    private readonly home: IScope
  ) {}

  /** From now on, jobs created with a `ContainerEntrypoint` are run by `executor`. */
  runWith(executor: IJobExecutor): void {
    this.executor = executor;
  }

  /** A job's FailureReason, once it has failed. */
  failureReason(
    kind: JobKind,
    name: string,
    scope: IScope = this.home
  ): string | undefined {
    return this.find(scope, kind, name)?.failureReason;
  }

  /** A job's status (undefined: no such job). */
  status(
    kind: JobKind,
    name: string,
    scope: IScope = this.home
  ): JobStatus | undefined {
    return this.find(scope, kind, name)?.status;
  }

  private static key(scope: IScope, kind: JobKind, name: string): string {
    return `${scopeKey(scope)}/${kind}/${name}`;
  }

  private find(scope: IScope, kind: JobKind, name: string): IJob | undefined {
    const job = this.jobs.get(JobStore.key(scope, kind, name));
    if (job) {
      settle(job, this.clock);
    }
    return job;
  }

  private get(scope: IScope, kind: JobKind, name: string): IJob {
    const job = this.find(scope, kind, name);
    if (!job) {
      throw new AwsServiceError(
        'ResourceNotFound',
        `Could not find ${JOB_KINDS[kind].label} "${name}".`
      );
    }
    return job;
  }

  /** Whether the ARN names a job of this store (its tags are then the sandbox's). */
  owns(arn: string, scope: IScope, type: string, name: string): boolean {
    const kind = (Object.keys(JOB_KINDS) as JobKind[]).find(
      candidate => JOB_KINDS[candidate].arnType === type
    );
    return kind !== undefined && this.find(scope, kind, name)?.arn === arn;
  }

  create(
    kind: JobKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const facts = JOB_KINDS[kind];
    const name = requiredString(input, `${facts.prefix}JobName`, NAME_PATTERN);
    facts.objects.forEach(member => requiredObject(input, member));
    facts.strings.forEach(member => requiredString(input, member));
    const command = containerCommand(kind, input);
    const tags = tagsOf(input.Tags);
    const scope = scopeOf(call);
    const arn = sageMakerArn(scope, `${facts.arnType}/${name}`);
    if (this.jobs.has(JobStore.key(scope, kind, name))) {
      throw new AwsServiceError(
        'ResourceInUse',
        `${facts.prefix} job names must be unique within an AWS account and region, and a ${facts.label} with this name already exists (${arn})`
      );
    }
    const now = this.clock.now();
    const job: IJob = {
      kind,
      name,
      arn,
      scope,
      request: pick(input, facts.echoed),
      status: 'InProgress',
      created: now,
      modified: now,
      transitions:
        kind === 'training'
          ? [
              {
                Status: 'Starting',
                StartTime: now,
                StatusMessage: PHASE_MESSAGES.Starting
              }
            ]
          : []
    };
    this.jobs.set(JobStore.key(scope, kind, name), job);
    this.tags.add(arn, tags);
    if (command && this.executor && kind !== 'transform') {
      job.run = { kind, name, arn, scope, request: job.request };
      this.executor.start(job.run);
    }
    return { [`${facts.prefix}JobArn`]: arn };
  }

  describe(
    kind: JobKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const prefix = JOB_KINDS[kind].prefix;
    const name = requiredString(input, `${prefix}JobName`);
    const job = this.find(scopeOf(call), kind, name);
    if (!job) {
      throw notFound();
    }
    return describeJob(job);
  }

  list(
    kind: JobKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const prefix = JOB_KINDS[kind].prefix;
    const scope = scopeKey(scopeOf(call));
    const mine = [...this.jobs.values()].filter(
      job => job.kind === kind && scopeKey(job.scope) === scope
    );
    mine.forEach(job => settle(job, this.clock));
    const page = listPage(
      mine,
      input,
      {
        nameContains: 'NameContains',
        statusEquals: { member: 'StatusEquals', values: JOB_STATUSES },
        sortBy: ['CreationTime', 'Name', 'Status']
      },
      job => ({
        name: job.name,
        status: job.status,
        created: job.created,
        modified: job.modified
      })
    );
    return defined({
      [`${prefix}JobSummaries`]: page.items.map(summarize),
      NextToken: page.nextToken
    });
  }

  /**
   * Stop*: InProgress → Stopping, and Stopped once the clock's stop time has passed, or, for a job the executor
   * runs, once its containers have exited.
   */
  stop(
    kind: JobKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const facts = JOB_KINDS[kind];
    const job = this.get(
      scopeOf(call),
      kind,
      requiredString(input, `${facts.prefix}JobName`)
    );
    if (job.status === 'Stopping') {
      return {};
    }
    if (job.status !== 'InProgress') {
      throw validation(
        `The request was rejected because the ${facts.label} is in status ${job.status}.`
      );
    }
    this.beginStop(job);
    return {};
  }

  /**
   * Control: a job the executor runs has used up its `StoppingCondition.MaxRuntimeInSeconds`: it stops as at a
   * Stop* call (the executor then finishes it as Stopped, SecondaryStatus MaxRuntimeExceeded).
   */
  expire(kind: JobKind, name: string, scope: IScope = this.home): void {
    const job = this.get(scope, kind, name);
    if (job.status === 'InProgress') {
      this.beginStop(job);
    }
  }

  private beginStop(job: IJob): void {
    const now = this.clock.now();
    this.enter(job, 'Stopping', now);
    if (job.run && this.executor) {
      this.executor.stop(job.run);
      return;
    }
    job.pending = {
      at: now + this.clock.stopMs,
      apply: at => this.end(job, 'Stopped', at)
    };
  }

  /**
   * Control: moves an InProgress job on. A training job goes through the usual SecondaryStatus phases up to
   * `phase` (default Training); a processing or transform job gets its start time.
   */
  advance(
    kind: JobKind,
    name: string,
    options: { phase?: RunningPhase; scope?: IScope } = {}
  ): void {
    const phase = options.phase ?? 'Training';
    const job = this.get(options.scope ?? this.home, kind, name);
    if (job.status !== 'InProgress') {
      throw validation(
        `the ${JOB_KINDS[kind].label} ${name} is ${job.status}, not InProgress`
      );
    }
    const now = this.clock.now();
    if (kind === 'training') {
      const current = job.transitions[job.transitions.length - 1]?.Status;
      const from = USUAL_PHASES.indexOf(current);
      const to = USUAL_PHASES.indexOf(phase);
      const steps =
        from >= 0 && to > from ? USUAL_PHASES.slice(from + 1, to + 1) : [phase];
      steps.forEach(step => this.enter(job, step, now));
      if (phase !== 'Starting' && phase !== 'Pending') {
        job.started ??= now;
      }
    } else {
      job.started ??= now;
      job.modified = now;
    }
  }

  /**
   * Control: ends an InProgress (or Stopping) job as Completed, Failed (with the reason) or Stopped; a training
   * job's last SecondaryStatus is the outcome unless `secondaryStatus` says otherwise (MaxRuntimeExceeded).
   */
  finish(
    kind: JobKind,
    name: string,
    outcome: JobOutcome,
    options: {
      failureReason?: string;
      scope?: IScope;
      secondaryStatus?: 'MaxRuntimeExceeded';
    } = {}
  ): void {
    const scope = options.scope ?? this.home;
    const job = this.get(scope, kind, name);
    if (job.status !== 'InProgress' && job.status !== 'Stopping') {
      throw validation(
        `the ${JOB_KINDS[kind].label} ${name} has already ended (${job.status})`
      );
    }
    job.pending = undefined;
    const now = this.clock.now();
    if (outcome === 'Completed' && job.status === 'InProgress') {
      this.advance(kind, name, {
        scope,
        phase: kind === 'training' ? 'Uploading' : 'Training'
      });
    }
    if (outcome === 'Failed') {
      job.failureReason =
        options.failureReason ?? 'AlgorithmError: the sandbox failed this job';
    }
    this.end(job, outcome, now, options.secondaryStatus);
  }

  /** Applies every pending stop now. */
  settleAll(): void {
    this.jobs.forEach(job => settle(job, this.clock, true));
  }

  private enter(job: IJob, status: string, at: number): void {
    if (status === 'Stopping') {
      job.status = 'Stopping';
    }
    job.modified = at;
    if (job.kind !== 'training') {
      return;
    }
    const last = job.transitions[job.transitions.length - 1];
    if (last && last.EndTime === undefined) {
      last.EndTime = at;
    }
    job.transitions.push({
      Status: status,
      StartTime: at,
      StatusMessage: PHASE_MESSAGES[status] ?? status
    });
  }

  private end(
    job: IJob,
    outcome: JobOutcome,
    at: number,
    secondary?: string
  ): void {
    this.enter(job, secondary ?? outcome, at);
    const last = job.transitions[job.transitions.length - 1];
    if (last) {
      last.EndTime = at;
    }
    job.status = outcome;
    job.ended = at;
    if (job.run) {
      this.executor?.ended(job.run);
    }
  }
}

function describeJob(job: IJob): Record<string, unknown> {
  const prefix = JOB_KINDS[job.kind].prefix;
  const times = {
    CreationTime: epoch(job.created),
    [`${prefix}StartTime`]:
      job.started === undefined ? undefined : epoch(job.started),
    [`${prefix}EndTime`]: job.ended === undefined ? undefined : epoch(job.ended)
  };
  const common = {
    [`${prefix}JobName`]: job.name,
    [`${prefix}JobArn`]: job.arn,
    [`${prefix}JobStatus`]: job.status,
    FailureReason: job.failureReason
  };
  if (job.kind === 'transform') {
    return defined({ ...common, ...job.request, ...times });
  }
  if (job.kind === 'processing') {
    return defined({
      ...job.request,
      ...common,
      ...times,
      LastModifiedTime: epoch(job.modified)
    });
  }
  const seconds =
    job.started !== undefined && job.ended !== undefined
      ? Math.max(0, Math.round((job.ended - job.started) / 1000))
      : undefined;
  const output = job.request.OutputDataConfig as
    { S3OutputPath?: unknown } | undefined;
  return defined({
    ...common,
    ModelArtifacts:
      job.status === 'Completed'
        ? {
            S3ModelArtifacts: `${String(output?.S3OutputPath ?? '').replace(/\/$/, '')}/${job.name}/output/model.tar.gz`
          }
        : undefined,
    SecondaryStatus: job.transitions[job.transitions.length - 1]?.Status,
    EnableNetworkIsolation: false,
    EnableInterContainerTrafficEncryption: false,
    EnableManagedSpotTraining: false,
    ...job.request,
    ...times,
    LastModifiedTime: epoch(job.modified),
    SecondaryStatusTransitions: job.transitions.map(transition =>
      defined({
        ...transition,
        StartTime: epoch(transition.StartTime),
        EndTime:
          transition.EndTime === undefined
            ? undefined
            : epoch(transition.EndTime)
      })
    ),
    TrainingTimeInSeconds: seconds,
    BillableTimeInSeconds: seconds
  });
}

function summarize(job: IJob): Record<string, unknown> {
  const prefix = JOB_KINDS[job.kind].prefix;
  return defined({
    [`${prefix}JobName`]: job.name,
    [`${prefix}JobArn`]: job.arn,
    CreationTime: epoch(job.created),
    [`${prefix}EndTime`]:
      job.ended === undefined ? undefined : epoch(job.ended),
    LastModifiedTime: epoch(job.modified),
    [`${prefix}JobStatus`]: job.status,
    SecondaryStatus:
      job.kind === 'training'
        ? job.transitions[job.transitions.length - 1]?.Status
        : undefined,
    FailureReason: job.kind === 'training' ? undefined : job.failureReason
  });
}
