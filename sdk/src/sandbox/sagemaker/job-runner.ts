/**
 * The sandbox runs the training and processing jobs it is asked to create, when their request says what to run
 * (`ContainerEntrypoint`; the machine has no images, so the command runs on its filesystem). Per node `algo-<i>` a
 * SandboxContainer with private `/etc/ssh`, `/tmp` and `/opt/ml`: the execution role is assumed (session
 * `SageMaker`), the config files written and the S3 inputs downloaded (training: Starting → Downloading), then
 * every node's command starts (Training) with the job's environment, its output shipped to CloudWatch Logs. The job
 * is Completed when every node exits 0 (training passes Uploading), Failed when one does not (the others get
 * SIGTERM, as SageMaker ends a job when a host fails) or when it cannot be prepared; Stop* sends SIGTERM to every
 * node, kills what runs after the grace time, and the job is Stopped once all have exited. Its containers and
 * their directories go when it ends; `runs` keeps what they printed and how they exited.
 *
 * SageMaker's own calls (IAM, STS, S3, Logs) go to moto directly: they are not the user's, so the sandbox's call
 * counts do not see them.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logsSdk, s3Sdk } from '../../aws/sdk.js';
import {
  SandboxContainer,
  type IContainerExit
} from '../instances/container.js';
import { freePort } from '../moto.js';
import { containerEnv, defaultJobTools, type IJobTools } from './job-env.js';
import {
  downloadInputs,
  hostName,
  JobPreparationError,
  nodeCount,
  writeNodeFiles
} from './job-files.js';
import { JobLogs, type JobLogStream } from './job-logs.js';
import { assumeExecutionRole, SERVICE_CREDENTIALS } from './job-role.js';
import {
  containerCommand,
  JOB_KINDS,
  type IJobExecutor,
  type IJobLaunch,
  type JobOutcome,
  type JobStore,
  type RunnableKind
} from './jobs.js';
import { scopeKey, type IScope } from './shapes.js';

export interface IJobRunnerOptions {
  /** moto's URL: SageMaker's own calls (the role, the inputs, the log events) go there. */
  motoUrl: string;
  /** The sandbox's `AWS_ENDPOINT_URL_*` variables for the containers, read when a job starts. */
  endpoints: () => Record<string, string>;
  /** Where the containers' directories go (default: a temp directory of the runner's, removed at close). */
  root?: string;
  /** The built CLI and stand-in agent the containers get (default: those of this checkout's build). */
  tools?: Partial<IJobTools>;
  /** How long Stop* waits after SIGTERM before it kills a node (default 30 s, as SageMaker's stop). */
  stopTimeoutMs?: number;
  /** The account and region `get` looks in unless told otherwise. */
  home?: IScope;
}

/** One node of a run. */
export interface IJobNodeRun {
  /** 1-based: `algo-<node>`. */
  node: number;
  hostname: string;
  /** The node's sshd port on 127.0.0.1 (`SM_SSH_SSHD_PORT`; sessions for its port 22 go there). */
  sshPort: number;
  /** Its CloudWatch Logs stream, `<job>/algo-<i>-<epoch seconds>` (set when the container starts). */
  logStream?: string;
  /** The container, once started (its directory is removed when the job ends; `output` stays). */
  container?: SandboxContainer;
  /** How it exited, once it has. */
  exit?: IContainerExit;
  /** Everything it printed (stdout and stderr). */
  readonly output: string;
}

/** How the job ended (its TrainingJobStatus / ProcessingJobStatus and FailureReason). */
export interface IJobRunEnd {
  status: JobOutcome;
  failureReason?: string;
}

const TOOLS = ['/usr/bin/unshare', '/usr/bin/setpriv'];
/** How long the sandbox's close waits for a job's nodes after SIGTERM. */
const CLOSE_TIMEOUT_MS = 10_000;

/** A job the sandbox runs. */
export class JobRun {
  readonly nodes: IJobNodeRun[] = [];
  /** Resolves when the job has ended, its log events are in and its containers are gone. */
  readonly ended: Promise<IJobRunEnd>;
  /** Stop* was called (or the sandbox is closing, or the job's time is up). */
  stopping = false;
  /** Its `StoppingCondition.MaxRuntimeInSeconds` passed while it ran. */
  timedOut = false;
  /** The job's status was set by this run (not by the control's `finish`). */
  finishing = false;
  logs?: JobLogs;
  /** The timer of `MaxRuntimeInSeconds`. */
  deadline?: NodeJS.Timeout;
  private resolveEnded!: (end: IJobRunEnd) => void;
  private readonly stopListeners = new Set<() => void>();

  constructor(
    readonly job: IJobLaunch,
    /** The run's directory on the sandbox's machine: `algo-<i>/` per node. */
    readonly dir: string
  ) {
    this.ended = new Promise(resolve => (this.resolveEnded = resolve));
  }

  get kind(): RunnableKind {
    return this.job.kind;
  }

  get name(): string {
    return this.job.name;
  }

  /** `/aws/sagemaker/TrainingJobs` or `/aws/sagemaker/ProcessingJobs`. */
  get logGroup(): string {
    return `/aws/sagemaker/${JOB_KINDS[this.job.kind].prefix}Jobs`;
  }

  /** Why log events were lost, if any were. */
  get logErrors(): string[] {
    return this.logs?.errors ?? [];
  }

  /** The node's `/opt/ml` on the sandbox's machine. */
  optMl(node: number): string {
    return join(this.dir, hostName(node), 'opt', 'ml');
  }

  requestStop(): void {
    this.stopping = true;
    this.stopListeners.forEach(listener => listener());
  }

  onStop(listener: () => void): void {
    this.stopListeners.add(listener);
  }

  end(result: IJobRunEnd): void {
    this.resolveEnded(result);
  }
}

function runKey(kind: RunnableKind, name: string, scope: IScope): string {
  return `${scopeKey(scope)}/${kind}/${name}`;
}

/** Distinct free loopback ports, one per node. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) {
      ports.push(port);
    }
  }
  return ports;
}

function exitText(node: IJobNodeRun): string {
  const code = node.exit?.code;
  return code === null || code === undefined
    ? `${node.hostname} was killed`
    : `${node.hostname} exited with exit code ${code}`;
}

export class JobRunner implements IJobExecutor {
  private readonly runs = new Map<string, JobRun>();
  private readonly tools: IJobTools;
  /** How long a stop waits after SIGTERM before it kills a node (tests may shorten it). */
  stopTimeoutMs: number;
  private rootDir?: string;
  private closed = false;

  constructor(
    private readonly store: JobStore,
    private readonly options: IJobRunnerOptions
  ) {
    this.tools = { ...defaultJobTools(), ...options.tools };
    this.stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    store.runWith(this);
  }

  /** The containers' directories: `<kind>-<job>-<account>-<region>/algo-<i>/`. */
  get root(): string {
    this.rootDir ??=
      this.options.root ?? mkdtempSync(join(tmpdir(), 'sm-ssh-jobs-'));
    return this.rootDir;
  }

  /** The run of a job (in the sandbox's home account and region unless `scope` says otherwise). */
  get(
    kind: RunnableKind,
    name: string,
    scope: IScope = this.options.home ?? {
      account: '123456789012',
      region: 'us-east-1'
    }
  ): JobRun | undefined {
    return this.runs.get(runKey(kind, name, scope));
  }

  /** Every run, oldest first. */
  list(): JobRun[] {
    return [...this.runs.values()];
  }

  start(job: IJobLaunch): void {
    const dir = join(
      this.root,
      `${job.kind}-${job.name}-${job.scope.account}-${job.scope.region}`
    );
    const run = new JobRun(job, dir);
    this.runs.set(runKey(job.kind, job.name, job.scope), run);
    if (this.closed) {
      run.requestStop();
    }
    this.execute(run).catch((error: Error) =>
      // what went wrong after the nodes (a removal, the status) must not end the sandbox
      run.end({
        status: 'Failed',
        failureReason: `InternalServerError: ${error.message}`
      })
    );
  }

  stop(job: IJobLaunch): void {
    this.runOf(job)?.requestStop();
  }

  ended(job: IJobLaunch): void {
    const run = this.runOf(job);
    if (run && !run.finishing) {
      // the control ended the job: what runs of it goes, without the grace time
      run.finishing = true;
      run.requestStop();
    }
  }

  /** Stops every running job (SIGTERM, killed after at most 10 s) and removes the containers' directories. */
  async close(): Promise<void> {
    this.closed = true;
    for (const run of this.runs.values()) {
      run.requestStop();
    }
    await Promise.all([...this.runs.values()].map(run => run.ended));
    if (this.rootDir && !this.options.root) {
      rmSync(this.rootDir, { recursive: true, force: true });
    }
  }

  private runOf(job: IJobLaunch): JobRun | undefined {
    return this.runs.get(runKey(job.kind, job.name, job.scope));
  }

  private advance(run: JobRun, phase: 'Downloading' | 'Training'): void {
    if (
      run.stopping ||
      this.store.status(run.kind, run.name, run.job.scope) !== 'InProgress'
    ) {
      return;
    }
    if (run.kind === 'training' || phase === 'Training') {
      this.store.advance(run.kind, run.name, { phase, scope: run.job.scope });
    }
  }

  private async execute(run: JobRun): Promise<void> {
    const { job } = run;
    let result: IJobRunEnd;
    try {
      result = await this.runNodes(run);
    } catch (error) {
      result = {
        status: 'Failed',
        failureReason:
          error instanceof JobPreparationError
            ? error.message
            : `InternalServerError: the sandbox could not run the job: ${(error as Error).message}`
      };
    }
    if (run.stopping) {
      // a stopped job is Stopped however its nodes exited
      result = { status: 'Stopped' };
    }
    clearTimeout(run.deadline);
    await run.logs?.flush();
    await Promise.all(
      run.nodes.map(async node => {
        await node.container?.remove();
      })
    );
    rmSync(run.dir, { recursive: true, force: true });
    const status = this.store.status(job.kind, job.name, job.scope);
    if (!run.finishing && (status === 'InProgress' || status === 'Stopping')) {
      run.finishing = true;
      this.store.finish(job.kind, job.name, result.status, {
        failureReason: result.failureReason,
        scope: job.scope,
        secondaryStatus:
          run.timedOut && result.status === 'Stopped'
            ? 'MaxRuntimeExceeded'
            : undefined
      });
    } else if (
      status === 'Completed' ||
      status === 'Failed' ||
      status === 'Stopped'
    ) {
      // the control ended it first: its word stands
      result = {
        status,
        failureReason: this.store.failureReason(job.kind, job.name, job.scope)
      };
    }
    run.end(result);
  }

  /** Prepares and runs the nodes; the outcome as the nodes decided it. */
  private async runNodes(run: JobRun): Promise<IJobRunEnd> {
    const { job } = run;
    const missing = TOOLS.filter(tool => !existsSync(tool));
    if (missing.length > 0) {
      throw new Error(
        `${missing.join(' and ')} missing on its machine (apt-get install util-linux)`
      );
    }
    const command = containerCommand(job.kind, job.request) ?? [];
    const count = nodeCount(job);
    const session = await assumeExecutionRole(this.options.motoUrl, job);
    if (run.stopping) {
      return { status: 'Stopped' };
    }
    this.advance(run, 'Downloading');
    for (let node = 1; node <= count; node++) {
      mkdirSync(run.optMl(node), { recursive: true });
      writeNodeFiles(job, node, count, run.optMl(node));
    }
    const { S3Client } = s3Sdk();
    const s3 = new S3Client({
      region: job.scope.region,
      endpoint: this.options.motoUrl,
      forcePathStyle: true,
      credentials: session,
      maxAttempts: 1
    });
    try {
      await downloadInputs(
        s3,
        job,
        count,
        node => run.optMl(node),
        () => run.stopping
      );
    } finally {
      s3.destroy();
    }
    if (run.stopping) {
      return { status: 'Stopped' };
    }
    const ports = await freePorts(count);
    const { CloudWatchLogsClient } = logsSdk();
    const client = new CloudWatchLogsClient({
      region: job.scope.region,
      endpoint: this.options.motoUrl,
      credentials: SERVICE_CREDENTIALS,
      maxAttempts: 2
    });
    run.logs = new JobLogs(client, run.logGroup);
    try {
      this.advance(run, 'Training');
      this.startDeadline(run);
      const endpoints = this.options.endpoints();
      const started = Math.floor(Date.now() / 1000);
      for (let node = 1; node <= count; node++) {
        const hostname = hostName(node);
        const stream: JobLogStream = run.logs.stream(
          `${job.name}/${hostname}-${started}`
        );
        const container = SandboxContainer.start({
          root: run.dir,
          name: hostname,
          hostname,
          command,
          env: containerEnv({
            job,
            session,
            endpoints,
            tools: this.tools,
            sshPort: ports[node - 1]
          }),
          binds: [{ source: run.optMl(node), target: '/opt/ml' }]
        });
        container.onOutput(text => stream.write(text));
        run.nodes.push({
          node,
          hostname,
          sshPort: ports[node - 1],
          logStream: stream.name,
          container,
          get output() {
            return container.output;
          }
        });
      }
      return await this.waitForNodes(run);
    } finally {
      await run.logs.flush();
      client.destroy();
    }
  }

  /** `StoppingCondition.MaxRuntimeInSeconds`, counted from the start of the nodes: the job then stops. */
  private startDeadline(run: JobRun): void {
    const seconds = Number(
      (run.job.request.StoppingCondition as { MaxRuntimeInSeconds?: unknown })
        ?.MaxRuntimeInSeconds
    );
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return;
    }
    // timers take 32-bit milliseconds; longer limits (up to 28 days) would fire at once
    run.deadline = setTimeout(
      () => {
        if (!run.stopping) {
          run.timedOut = true;
          this.store.expire(run.kind, run.name, run.job.scope);
        }
      },
      Math.min(seconds * 1000, 2 ** 31 - 1)
    );
    run.deadline.unref();
  }

  /**
   * Waits for every node to exit. The first to fail ends the job: the others get SIGTERM. A stop does the same to
   * all of them.
   */
  private async waitForNodes(run: JobRun): Promise<IJobRunEnd> {
    let failed: IJobNodeRun | undefined;
    let stopped = false;
    const stopAll = () => {
      if (stopped) {
        return;
      }
      stopped = true;
      // the control's finish ends the job at once, the sandbox's close soon; a stop gives the grace time
      const grace = run.finishing
        ? 0
        : this.closed
          ? Math.min(CLOSE_TIMEOUT_MS, this.stopTimeoutMs)
          : this.stopTimeoutMs;
      run.nodes.forEach(node => void node.container?.stop(grace));
    };
    run.onStop(stopAll);
    if (run.stopping) {
      stopAll();
    }
    await Promise.all(
      run.nodes.map(async node => {
        node.exit = await node.container?.exited;
        if (node.exit?.code !== 0 && !run.stopping && !failed) {
          failed = node;
          stopAll();
        }
      })
    );
    if (!failed) {
      return { status: 'Completed' };
    }
    return { status: 'Failed', failureReason: this.failureReason(run, failed) };
  }

  /** As SageMaker says it: the node's `/opt/ml/output/failure` when it wrote one (training), else its exit. */
  private failureReason(run: JobRun, node: IJobNodeRun): string {
    const where = `${exitText(node)}; see log stream ${node.logStream ?? ''} in ${run.logGroup}`;
    let written = '';
    if (run.kind === 'training') {
      try {
        written = readFileSync(
          join(run.optMl(node.node), 'output', 'failure'),
          'utf8'
        )
          .trim()
          .slice(0, 1024);
      } catch {
        // it wrote none
      }
    }
    return written
      ? `AlgorithmError: ${written} (${where})`
      : `AlgorithmError: ${where}`;
  }
}
