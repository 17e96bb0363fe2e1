/**
 * `sm-ssh remote init|deregister`: the container side. `init` registers the container with SSM (activation with the
 * original project's tags, `amazon-ssm-agent -register`, the agent in the background) and runs until SIGTERM or
 * Ctrl-C, then stops the agent and deregisters the instance. `sdk/remote/sm-ssh-init.sh` runs it when Node is there.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import {
  clientsFor,
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';

interface IInitFlags extends ICommonOptions {
  owner?: string;
  role?: string;
  resourceName?: string;
  resourceArn?: string;
  agent?: string;
  stateDir?: string;
}

interface IDeregisterFlags extends ICommonOptions {
  stateDir?: string;
}

/** The capability, loaded when a remote command runs. */
const remoteModule = () => import('../../remote/index.js');

function registerInit(remote: Command): void {
  withCommonOptions(
    remote
      .command('init')
      .description(
        'register this container with SSM (activation, agent) and deregister it when stopped (SIGTERM, Ctrl-C)'
      )
      .addOption(
        new Option(
          '--owner <user-id>',
          "SSHOwner: the launching user's aws:userid (default: SSH_OWNER_TAG)"
        )
      )
      .addOption(
        new Option(
          '--role <name>',
          "the activation's IAM role, name with path (default: SSH_SSM_ROLE, else the container's role)"
        )
      )
      .addOption(
        new Option(
          '--resource-name <name>',
          'SSHResourceName (default: SSH_RESOURCE_NAME, else what SageMaker put in the container)'
        )
      )
      .addOption(
        new Option(
          '--resource-arn <arn>',
          'SSHResourceArn (default: SSH_RESOURCE_ARN, else what SageMaker put in the container)'
        )
      )
      .addOption(
        new Option(
          '--agent <path>',
          'the SSM agent binary (default: SM_SSH_AGENT, else amazon-ssm-agent)'
        )
      )
      .addOption(
        new Option(
          '--state-dir <dir>',
          'keep the instance id here for `remote deregister` (default: SM_SSH_STATE_DIR)'
        )
      )
  ).action(async (flags: IInitFlags) => {
    // a stop that comes while registering is kept, so that the instance is deregistered once it exists
    const stopped = new Promise<string>(resolve => {
      process.once('SIGTERM', () => resolve(''));
      process.once('SIGINT', () => resolve(''));
    });
    const { initRemote } = await remoteModule();
    const out = outputFor(flags);
    const clients = await clientsFor(flags);
    const remote = await initRemote(clients, {
      owner: flags.owner,
      role: flags.role,
      resourceName: flags.resourceName,
      resourceArn: flags.resourceArn,
      agent: flags.agent,
      stateDir: flags.stateDir,
      // under --json stdout holds one JSON document; the agent's log goes to stderr
      output: out.json ? process.stderr : process.stdout
    });
    const { registration } = remote;
    out.result(registration);
    out.line(
      `sm-ssh remote: ${registration.instanceId} registered in ${registration.region} (role ${registration.role}; resource from ${registration.resourceSource})`
    );
    out.line(
      `sm-ssh remote: tags ${Object.entries(registration.tags)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')}`
    );
    out.line(
      'sm-ssh remote: agent running; SIGTERM or Ctrl-C stops it and deregisters the instance'
    );
    const ended = await Promise.race([
      stopped,
      remote.agent.exited.then(
        ({ code, signal }) =>
          `the SSM agent exited by itself (${signal ?? `exit code ${String(code)}`})`,
        (error: Error) => error.message
      )
    ]);
    const result = await remote.stop();
    process.stderr.write(
      `sm-ssh remote: ${result.deregistered ? `deregistered ${result.instanceId}` : (result.note ?? '')}\n`
    );
    if (ended) {
      process.stderr.write(
        `sm-ssh: error: ${ended}\n  hint: see its log above; the instance was deregistered so that no one connects to a dead target\n`
      );
      process.exitCode = 1;
    }
  });
}

function registerDeregister(remote: Command): void {
  withCommonOptions(
    remote
      .command('deregister')
      .description(
        'deregister a managed instance: the one `remote init` recorded in --state-dir, or the id given'
      )
      .argument('[instance-id]', 'mi-… (default: the one recorded)')
      .addOption(
        new Option(
          '--state-dir <dir>',
          'where `remote init` kept the instance id (default: SM_SSH_STATE_DIR)'
        )
      )
  ).action(async (given: string | undefined, flags: IDeregisterFlags) => {
    const { deregisterInstance, recordedInstanceId } = await remoteModule();
    const stateDir = flags.stateDir ?? process.env.SM_SSH_STATE_DIR;
    const instanceId =
      given ?? (stateDir ? recordedInstanceId(stateDir) : undefined);
    if (!instanceId || !/^mi-[0-9a-f]{17}$/.test(instanceId)) {
      throw new UsageError(
        instanceId
          ? `"${instanceId}" is not a managed instance id`
          : 'no instance id given and none recorded',
        'pass mi-… or the --state-dir that `sm-ssh remote init` used'
      );
    }
    const out = outputFor(flags);
    const result = await deregisterInstance(
      await clientsFor(flags),
      instanceId
    );
    out.result(result);
    out.line(
      `sm-ssh remote: ${result.deregistered ? `deregistered ${instanceId}` : (result.note ?? '')}`
    );
  });
}

export function registerRemoteCommand(program: Command): void {
  const remote = program
    .command('remote')
    .description(
      'the container side: make this container an SSH target for sm-ssh connect'
    );
  registerInit(remote);
  registerDeregister(remote);
}
