/**
 * The environment of a job's container: what only the sandbox's machine needs (where the built `sm-ssh` and the
 * stand-in SSM agent are, the node's own sshd port on the shared network, state in the private /tmp), the request's
 * `Environment`, then what SageMaker sets and a request cannot change: the job's name and ARN (training), the
 * region, the execution role's session and the sandbox's endpoints, and no way to a real account (no instance
 * metadata, no config files).
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IRoleSession } from './job-role.js';
import type { IJobLaunch } from './jobs.js';

/** Programs of the sandbox's machine that a job's bootstrap (`sdk/remote/sm-ssh-init.sh`) runs. */
export interface IJobTools {
  /** The built `sm-ssh` (`SM_SSH_CLI`). */
  cli: string;
  /** The stand-in for amazon-ssm-agent (`SM_SSH_AGENT`). */
  agent: string;
}

// this module's CLI: in the build `dist/cli/main.js`, in the CLI bundle the bundle itself
const OWN_CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/**
 * The CLI and agent beside this module's build; when the sources run (tests), the build of the same checkout.
 * In the single-file CLI bundle the agent is absent, so a job's bootstrap there says the agent is missing.
 */
export function defaultJobTools(): IJobTools {
  const cli = existsSync(OWN_CLI)
    ? OWN_CLI
    : OWN_CLI.replace(
        `${sep}src${sep}cli${sep}main.js`,
        `${sep}dist${sep}cli${sep}main.js`
      );
  return {
    cli,
    agent: join(dirname(cli), '..', 'sandbox', 'agent', 'ssm-agent-main.js')
  };
}

export interface IJobEnvInput {
  job: IJobLaunch;
  session: IRoleSession;
  /** The sandbox's `AWS_ENDPOINT_URL_*` variables. */
  endpoints: Record<string, string>;
  tools: IJobTools;
  /** The node's sshd port on 127.0.0.1 (every container shares the machine's network). */
  sshPort: number;
}

function requestEnvironment(job: IJobLaunch): Record<string, string> {
  const env = job.request.Environment;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    return {};
  }
  return Object.fromEntries(
    Object.entries(env as Record<string, unknown>).map(([key, value]) => [
      key,
      String(value)
    ])
  );
}

export function containerEnv(input: IJobEnvInput): Record<string, string> {
  const { job, session } = input;
  return {
    PATH: [
      dirname(process.execPath),
      '/usr/local/sbin',
      '/usr/local/bin',
      '/usr/sbin',
      '/usr/bin',
      '/sbin',
      '/bin'
    ].join(':'),
    SM_SSH_CLI: input.tools.cli,
    SM_SSH_AGENT: input.tools.agent,
    SM_SSH_SSHD_PORT: String(input.sshPort),
    SM_SSH_AGENT_PORTS: `22=${input.sshPort}`,
    SM_SSH_STATE_DIR: '/tmp/sm-ssh',
    SM_SSH_AGENT_STATE_DIR: '/tmp/amazon-ssm',
    SM_SSH_HOST_KEY_TYPES: 'ed25519',
    ...requestEnvironment(job),
    ...(job.kind === 'training'
      ? { TRAINING_JOB_NAME: job.name, TRAINING_JOB_ARN: job.arn }
      : {}),
    AWS_REGION: job.scope.region,
    AWS_DEFAULT_REGION: job.scope.region,
    AWS_ACCESS_KEY_ID: session.accessKeyId,
    AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
    AWS_SESSION_TOKEN: session.sessionToken,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...input.endpoints
  };
}
