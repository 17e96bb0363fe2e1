import { stsSdk } from '../aws/sdk.js';
import { startJsonServer, type IRunningServer } from './aws-json-server.js';
import type { ICallCounts } from './call-counter.js';
import { LogsFront, type ILogsFrontOptions } from './logs/index.js';
import { startMoto, type IMotoServer } from './moto.js';
import {
  SageMakerFront,
  type IJobRunnerOptions,
  type ISageMakerTimings
} from './sagemaker/index.js';
import { SessionManager, type ISessionManagerOptions } from './sessions.js';
import { SpaceRemoteAccess } from './spaces/index.js';
import { SsmSandboxState, ssmService } from './ssm-service.js';

export interface ISandboxOptions {
  host?: string;
  port?: number;
  /** The account the sandbox's resources belong to (moto's default). */
  account?: string;
  /** Path of a `moto_server` executable to start beside the sandbox for IAM, STS, SageMaker and S3. */
  motoServer?: string;
  /** Where a session's port lives; by default the managed instances' hosts (port 22 is the instance's sshd). */
  resolveTarget?: ISessionManagerOptions['resolveTarget'];
  /** Keep the real agent's pacing in sessions (default true); false measures our own overhead. */
  pacing?: boolean;
  /** How long SageMaker transitions take (a stop, an app starting, a deletion). */
  sagemaker?: ISageMakerTimings;
  /** How long a Logs Insights query stays Running, and the concurrency quota. */
  logs?: Pick<ILogsFrontOptions, 'latencyMs' | 'maxConcurrent'>;
  /** How created jobs run (with moto): the stop's grace time, the CLI and agent their containers get. */
  jobs?: Pick<IJobRunnerOptions, 'stopTimeoutMs' | 'tools' | 'root'>;
}

export interface ISandbox {
  /**
   * Base URL of the sandbox's own endpoint: SSM, the SageMaker and CloudWatch Logs fronts before moto, and (when it
   * started moto) the relay of STS and IAM to moto.
   */
  url: string;
  /** moto, when the sandbox started it. */
  moto?: IMotoServer;
  /** The environment that points AWS SDKs and our CLI at the sandbox's services. */
  env: Record<string, string>;
  ssm: SsmSandboxState;
  /**
   * The AWS API calls clients made to the sandbox by `<Service>.<Operation>`, relayed ones included (S3 goes to moto
   * directly and is not counted). Also served as `GET <url>/_sandbox/calls`; `DELETE` there resets.
   */
  calls: ICallCounts;
  /** Session Manager sessions and their data channels (fault injection: `sessions.faults`). */
  sessions: SessionManager;
  /**
   * SageMaker jobs and Studio apps the sandbox serves itself; `sagemaker.jobs.finish(…)` ends a job that waits (no
   * ContainerEntrypoint), `sagemaker.jobRuns` (with moto) has the jobs that run: their nodes' output and exits.
   */
  sagemaker: SageMakerFront;
  /** Logs Insights over moto's log events. */
  logs: LogsFront;
  /** Studio spaces' remote access: their roots (`spaces.space(…).home`) and per-session SSH servers. */
  spaces: SpaceRemoteAccess;
  close(): Promise<void>;
}

/** Fake credentials: the sandbox accepts any signature, and these can never reach a real account. */
export const SANDBOX_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
};

/**
 * The environment of a process that must reach only the sandbox: its endpoints, fake credentials, a region, and
 * neither the instance metadata service nor the user's AWS config files. Tests, the benchmark and the demo use it.
 */
export function sandboxEnv(
  sandbox: Pick<ISandbox, 'env'>
): Record<string, string> {
  return {
    ...SANDBOX_CREDENTIALS,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...sandbox.env
  };
}

/**
 * The UserId moto's STS gives the sandbox's fake credentials: the caller a demo fleet must belong to (`SSHOwner`)
 * for resolution's owner check to pass, as it would on AWS. Needs the sandbox to have started moto.
 */
export async function sandboxCaller(
  sandbox: Pick<ISandbox, 'env'>
): Promise<string> {
  const { STSClient, GetCallerIdentityCommand } = stsSdk();
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: sandbox.env.AWS_ENDPOINT_URL_STS,
    credentials: {
      accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
    }
  });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).UserId ?? '';
  } finally {
    sts.destroy();
  }
}

/** Starts the sandbox's services on one loopback port, and moto beside it when asked. */
export async function startSandbox(
  options: ISandboxOptions = {}
): Promise<ISandbox> {
  const ssm = new SsmSandboxState();
  const moto = options.motoServer
    ? await startMoto(options.motoServer)
    : undefined;
  let base = '';
  const sessions = new SessionManager({
    streamBase: () => base,
    resolveTarget:
      options.resolveTarget ??
      ((instanceId, portNumber, host) =>
        ssm.instances.resolveTarget(instanceId, portNumber, host)),
    pacing: options.pacing
  });
  const service = ssmService(ssm);
  service.operations = { ...service.operations, ...sessions.operations() };
  const spaces = new SpaceRemoteAccess({ sessions });
  // the containers of jobs reach the sandbox through its endpoints, known once it listens
  let endpoints: Record<string, string> = {};
  const sagemaker = new SageMakerFront({
    ...options.sagemaker,
    runJobs: moto
      ? { ...options.jobs, motoUrl: moto.url, endpoints: () => endpoints }
      : undefined,
    remoteAccess: space => spaces.start(space),
    onSpaceAppStopped: space => void spaces.end(space),
    upstream: moto?.url,
    home: { account: options.account ?? '123456789012', region: 'us-east-1' }
  });
  const logs = new LogsFront({ ...options.logs, upstream: moto?.url });
  let server: IRunningServer;
  try {
    server = await startJsonServer(
      [
        service,
        sagemaker.service(),
        logs.service(),
        ssm.instances.agentMessages.service()
      ],
      {
        ...options,
        queryUpstream: moto?.url,
        upgrade: (request, socket, head) =>
          sessions.handleUpgrade(request, socket, head)
      }
    );
    base = server.url.replace(/^http/, 'ws');
  } catch (error) {
    await spaces.close();
    await ssm.close();
    await moto?.stop();
    throw error;
  }
  // STS and IAM reach moto through the sandbox, which counts their calls; S3's REST paths would clash with ours
  const motoEnv: Record<string, string> = moto
    ? {
        AWS_ENDPOINT_URL_IAM: server.url,
        AWS_ENDPOINT_URL_STS: server.url,
        AWS_ENDPOINT_URL_S3: moto.url
      }
    : {};
  endpoints = {
    ...motoEnv,
    AWS_ENDPOINT_URL_SSM: server.url,
    AWS_ENDPOINT_URL_EC2MESSAGES: server.url,
    AWS_ENDPOINT_URL_SAGEMAKER: server.url,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: server.url
  };
  return {
    url: server.url,
    moto,
    env: { ...endpoints },
    ssm,
    calls: server.calls,
    sessions,
    sagemaker,
    logs,
    spaces,
    close: async () => {
      // first, while SSM still answers: a job's bootstrap deregisters its instance at SIGTERM
      await sagemaker.jobRuns?.close();
      sessions.closeAll();
      await spaces.close();
      await server.close();
      await ssm.close();
      await moto?.stop();
    }
  };
}
