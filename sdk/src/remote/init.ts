/**
 * `sm-ssh remote init`: the container registers itself with SSM as the original project's `sm-init-ssm` does — an
 * activation with registration limit 1 and the original's tags, `amazon-ssm-agent -register`, then the agent in
 * the background — and deregisters the managed instance when it stops (which the original never did).
 * `sdk/remote/sm-ssh-init.sh` sets up sshd and hands these steps to this when Node is there.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { UsageError } from '../errors.js';
import {
  callerIdentity,
  createActivation,
  deregisterInstance,
  type IDeregistration
} from './activation.js';
import {
  DEFAULT_AGENT,
  registerAgent,
  startAgent,
  type IRunningAgent
} from './agent.js';
import { detectResource } from './resource.js';
import { activationTags, roleNameFromArn } from './tags.js';

export interface IRemoteInitOptions {
  /** SSHOwner: the launching user's aws:userid. Default: env SSH_OWNER_TAG. */
  owner?: string;
  /** The activation's IamRole (role name with path). Default: env SSH_SSM_ROLE, else the container's role. */
  role?: string;
  /** SSHResourceName / SSHResourceArn. Default: what SageMaker put in the container (resource.ts). */
  resourceName?: string;
  resourceArn?: string;
  /** The agent binary. Default: env SM_SSH_AGENT, else amazon-ssm-agent. */
  agent?: string;
  /** Where the instance id is kept for `remote deregister` (and the script's `deregister`). Default: env SM_SSH_STATE_DIR. */
  stateDir?: string;
  /** The environment the defaults come from and the agent runs with (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the agent's output goes (default stdout). */
  output?: NodeJS.WritableStream;
  /** Clock (tests). */
  now?: () => Date;
}

export interface IRemoteRegistration {
  instanceId: string;
  activationId: string;
  region: string;
  /** The activation's IamRole. */
  role: string;
  tags: Record<string, string>;
  /** Where SSHResourceName/SSHResourceArn came from. */
  resourceSource: string;
}

export interface IRemoteInstance {
  registration: IRemoteRegistration;
  /** The running agent (its `exited` resolves if it dies by itself). */
  agent: IRunningAgent;
  /** Stops the agent, then deregisters the instance. */
  stop(): Promise<IDeregistration>;
}

export const INSTANCE_ID_FILE = 'instance-id';

/** The role for the activation: given, else from the container's own credentials (their role, without its path). */
export function activationRole(
  given: string | undefined,
  callerArn: string
): string {
  if (given) {
    if (given.startsWith('arn:')) {
      const name = roleNameFromArn(given);
      if (!name) {
        throw new UsageError(
          `SSH_SSM_ROLE ${given} is not a role ARN`,
          'give the role name with its path, e.g. service-role/AmazonSageMaker-ExecutionRole-…'
        );
      }
      return name;
    }
    return given;
  }
  const name = roleNameFromArn(callerArn);
  if (!name) {
    throw new UsageError(
      `the container's credentials (${callerArn}) are not a role's, so the activation's role is unknown`,
      'set SSH_SSM_ROLE (or --role) to the role name with its path, e.g. service-role/AmazonSageMaker-ExecutionRole-…'
    );
  }
  return name;
}

/** Activation with the original's tags, registration through the agent, the agent started. */
export async function initRemote(
  clients: AwsClients,
  options: IRemoteInitOptions = {}
): Promise<IRemoteInstance> {
  const env = options.env ?? process.env;
  const owner = options.owner ?? env.SSH_OWNER_TAG;
  if (!owner) {
    throw new UsageError(
      'SSH_OWNER_TAG is not set, so the instance would have no SSHOwner',
      "pass the launching user's aws:userid (aws sts get-caller-identity --query UserId) as SSH_OWNER_TAG or --owner"
    );
  }
  const identity = await callerIdentity(clients);
  const role = activationRole(options.role ?? env.SSH_SSM_ROLE, identity.arn);
  const detected = detectResource(env);
  const resourceName = options.resourceName ?? detected.name;
  const resourceArn = options.resourceArn ?? detected.arn;
  const tags = activationTags({
    owner,
    creator: identity.userId,
    timestamp: Math.floor((options.now?.() ?? new Date()).getTime() / 1000),
    resourceName,
    resourceArn
  });
  const activation = await createActivation(clients, role, tags);
  const agentOptions = {
    agent: options.agent ?? (env.SM_SSH_AGENT || DEFAULT_AGENT),
    env,
    output: options.output ?? process.stdout
  };
  const instanceId = await registerAgent(
    activation,
    clients.region,
    agentOptions
  );
  const stateDir = options.stateDir ?? env.SM_SSH_STATE_DIR;
  if (stateDir) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(stateDir, INSTANCE_ID_FILE), `${instanceId}\n`);
  }
  const agent = startAgent(agentOptions);
  let stopping: Promise<IDeregistration> | undefined;
  return {
    registration: {
      instanceId,
      activationId: activation.activationId,
      region: clients.region,
      role,
      tags: Object.fromEntries(tags.map(tag => [tag.Key, tag.Value])),
      resourceSource:
        options.resourceName || options.resourceArn
          ? 'the command line'
          : detected.source
    },
    agent,
    stop: () => {
      stopping ??= (async () => {
        await agent.stop();
        const result = await deregisterInstance(
          clients,
          instanceId,
          identity.account
        );
        if (stateDir) {
          rmSync(join(stateDir, INSTANCE_ID_FILE), { force: true });
        }
        return result;
      })();
      return stopping;
    }
  };
}

/** The instance id `initRemote` kept in `stateDir`, if any. */
export function recordedInstanceId(stateDir: string): string | undefined {
  try {
    const id = readFileSync(join(stateDir, INSTANCE_ID_FILE), 'utf8').trim();
    return id || undefined;
  } catch {
    return undefined;
  }
}
