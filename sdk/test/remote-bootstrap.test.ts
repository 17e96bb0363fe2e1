/**
 * The remote side for real. `sdk/remote/sm-ssh-init.sh` runs under dash as root in a sandbox container (its own
 * /etc/ssh, /tmp, hostname and PID namespace, as a SageMaker training job's container; the machine's network), with
 * the built `sm-ssh remote init` and the sandbox's stand-in for amazon-ssm-agent: its activation and registration
 * give an instance tagged as the original project tags it, which resolves by name; a key delivered by Run Command
 * lands in the container's /etc/ssh; OpenSSH through `sm-ssh proxy` reaches the script's sshd with that key, and
 * so does `sm-ssh exec <name>` with its own delivery and pinning, while nothing else gets in; at SIGTERM the instance
 * is deregistered and nothing is left running. Also `sm-ssh remote init --json` on its own, and the failures of both
 * as one line with a hint.
 */
import {
  DescribeActivationsCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient
} from '@aws-sdk/client-ssm';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient
} from '@aws-sdk/client-sts';
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AwsClients } from '../src/aws/index.js';
import { resolveTarget } from '../src/resolve/index.js';
import {
  freePort,
  processesUsing,
  SandboxContainer,
  type IContainerExit
} from '../src/sandbox/index.js';
import {
  CLI,
  proxiedSshArgs,
  REPO_ROOT,
  runCli,
  SAGEMAKER_TRUST,
  startLocalCloud,
  type ILocalCloud
} from './harness/cloud.js';
import { eventually } from './harness/eventually.js';

const SCRIPT = `${REPO_ROOT}sdk/remote/sm-ssh-init.sh`;
const AGENT = `${REPO_ROOT}sdk/dist/sandbox/agent/ssm-agent-main.js`;
const JOB = 'ssh-bootstrap-test';
const JOB_ARN = `arn:aws:sagemaker:us-east-1:123456789012:training-job/${JOB}`;
const ROLE = 'service-role/AmazonSageMaker-ExecutionRole-test';
const JOB_ENV = {
  JOB_MARKER: 'a value with  spaces',
  JOB_QUOTED: 'it\'s "quoted" \\ #not a comment'
};
/** The image's PATH, with a directory of its own first (as conda's or a framework's bin is), for the container. */
const IMAGE_PATH =
  '/opt/image-tools/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const REGISTERED =
  /Successfully registered the instance with AWS SSM using Managed instance-id: (mi-[0-9a-f]{17})/;

const run = promisify(execFile);
let cloud: ILocalCloud;
let ssm: SSMClient;
let clients: AwsClients;
let owner: string;
let container: IContainerCredentials;
let work: string;
const saved = { ...process.env };
const credentials = async () => ({
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
});

/** The container's credentials: its execution role's session, as in SageMaker (moto's IAM and STS). */
interface IContainerCredentials {
  env: Record<string, string>;
  userId: string;
}

async function executionRoleSession(): Promise<IContainerCredentials> {
  const iam = new IAMClient({ region: 'us-east-1', credentials });
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: ROLE.split('/').pop(),
      Path: '/service-role/',
      AssumeRolePolicyDocument: JSON.stringify(SAGEMAKER_TRUST)
    })
  );
  iam.destroy();
  const sts = new STSClient({ region: 'us-east-1', credentials });
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: Role?.Arn,
      RoleSessionName: 'SageMaker'
    })
  );
  sts.destroy();
  const env = {
    AWS_ACCESS_KEY_ID: Credentials?.AccessKeyId ?? '',
    AWS_SECRET_ACCESS_KEY: Credentials?.SecretAccessKey ?? '',
    AWS_SESSION_TOKEN: Credentials?.SessionToken ?? ''
  };
  const asContainer = new STSClient({
    region: 'us-east-1',
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN
    }
  });
  const { UserId } = await asContainer.send(new GetCallerIdentityCommand({}));
  asContainer.destroy();
  return { env, userId: UserId ?? '' };
}

async function callerUserId(): Promise<string> {
  const sts = new STSClient({ region: 'us-east-1', credentials });
  const { UserId } = await sts.send(new GetCallerIdentityCommand({}));
  sts.destroy();
  return UserId ?? '';
}

async function runCommand(instanceId: string, commands: string[]) {
  const { Command } = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [instanceId],
      Parameters: { commands }
    })
  );
  return eventually(`command on ${instanceId}`, async () => {
    const result = await ssm.send(
      new GetCommandInvocationCommand({
        CommandId: Command?.CommandId,
        InstanceId: instanceId
      })
    );
    return ['Pending', 'InProgress', 'Delayed'].includes(result.Status ?? '')
      ? undefined
      : result;
  });
}

function ssh(
  args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        ...cloud.env
      },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += String(chunk)));
    child.stderr.on('data', chunk => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', code => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6, hex as the kernel writes them). */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap(file =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map(line => line.trim().split(/\s+/))
      .filter(
        fields => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`)
      )
      .map(fields => fields[1].split(':')[0])
  );
}

/** Command lines of the processes in the container (those whose mounts involve its directory). */
function commandsIn(dir: string): string[] {
  return processesUsing(dir).flatMap(pid => {
    try {
      return [
        readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .join(' ')
          .trim()
      ];
    } catch {
      return [];
    }
  });
}

function mode(path: string): string {
  const stat = statSync(path);
  return `${(stat.mode & 0o777).toString(8)} ${stat.uid}:${stat.gid}`;
}

beforeAll(async () => {
  for (const [path, fix] of [
    [CLI, 'npm run build -w sdk'],
    [AGENT, 'npm run build -w sdk (it marks the stand-in agent executable)']
  ]) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new Error(`${path} is missing or not executable: run ${fix}`);
    }
  }
  cloud = await startLocalCloud();
  Object.assign(process.env, cloud.env);
  ssm = new SSMClient({ region: 'us-east-1', credentials });
  clients = new AwsClients('us-east-1', credentials);
  owner = await callerUserId();
  container = await executionRoleSession();
  work = mkdtempSync(join(tmpdir(), 'sm-ssh-bootstrap-test-'));
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'bootstrap-test',
    '-f',
    join(work, 'id_ed25519')
  ]);
});

afterAll(async () => {
  ssm?.destroy();
  process.env = saved;
  await cloud?.stop();
  if (work) {
    rmSync(work, { recursive: true, force: true });
  }
});

describe('sm-ssh-init.sh in a sandbox container', () => {
  let box: SandboxContainer;
  let port: number;
  let instanceId: string;
  let startedAt: number;
  let exit: IContainerExit | undefined;

  beforeAll(async () => {
    port = await freePort();
    startedAt = Math.floor(Date.now() / 1000);
    box = SandboxContainer.start({
      root: work,
      name: 'algo-1',
      hostname: 'algo-1',
      command: ['/usr/bin/dash', SCRIPT],
      env: {
        ...cloud.env,
        ...container.env,
        PATH: IMAGE_PATH,
        // what the launching side passes, as the original project's wrapper does
        SSH_OWNER_TAG: owner,
        SSH_SSM_ROLE: ROLE,
        // what SageMaker sets in a training job's container
        TRAINING_JOB_NAME: JOB,
        TRAINING_JOB_ARN: JOB_ARN,
        // a job's own Environment entries, for its SSH sessions: spaces, quotes, a backslash; one sshd cannot carry
        ...JOB_ENV,
        JOB_MULTILINE: 'one\ntwo',
        SM_SSH_CLI: CLI,
        SM_SSH_AGENT: AGENT,
        SM_SSH_SSHD_PORT: String(port),
        SM_SSH_HOST_KEY_TYPES: 'ed25519',
        SM_SSH_STATE_DIR: '/tmp/sm-ssh',
        // the stand-in's own state, and the port the container's sshd has on this shared network
        SM_SSH_AGENT_STATE_DIR: '/tmp/amazon-ssm',
        SM_SSH_AGENT_PORTS: `22=${port}`
      }
    });
    instanceId = (await box.waitForOutput(REGISTERED, 60_000))[1];
    await eventually('the instance Online', () =>
      cloud.sandbox.ssm.instances.get(instanceId)?.pingStatus === 'Online'
        ? true
        : undefined
    );
  });

  afterAll(async () => {
    if (!exit || exit.code !== 0 || exit.leftovers.length > 0) {
      // the script's own account of what went wrong
      process.stderr.write(`container output:\n${box?.output ?? ''}\n`);
    }
    await box?.remove();
  });

  it('registers an instance tagged as the original project tags it, from an activation for one registration', async () => {
    const instance = cloud.sandbox.ssm.instances.require(instanceId);
    const creator = container.userId;
    expect(creator).toMatch(/^AROA[A-Z0-9]+:SageMaker$/);
    expect(creator).not.toBe(owner);
    const tags = Object.fromEntries(instance.tags);
    expect(Object.keys(tags)).toEqual([
      'SSHOwner',
      'SSHCreator',
      'SSHTimestamp',
      'SSHResourceName',
      'SSHResourceArn'
    ]);
    expect(tags).toMatchObject({
      SSHOwner: owner,
      SSHCreator: creator,
      SSHResourceName: JOB,
      SSHResourceArn: JOB_ARN
    });
    expect(Number(tags.SSHTimestamp)).toBeGreaterThanOrEqual(startedAt);
    expect(Number(tags.SSHTimestamp)).toBeLessThanOrEqual(Date.now() / 1000);
    expect(instance.iamRole).toBe(ROLE);

    const { ActivationList } = await ssm.send(
      new DescribeActivationsCommand({
        Filters: [
          {
            FilterKey: 'ActivationIds',
            FilterValues: [instance.activationId as string]
          }
        ]
      })
    );
    expect(ActivationList?.[0]).toMatchObject({
      IamRole: ROLE,
      RegistrationLimit: 1,
      RegistrationsCount: 1,
      Description:
        'Activation for Amazon SageMaker integration with SSH and IDEs'
    });
    expect(ActivationList?.[0].Tags).toEqual(
      Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
    );
    const code = cloud.sandbox.ssm.instances.activation(
      instance.activationId as string
    )?.activationCode as string;
    expect(code).toHaveLength(20);
    expect(box.output).not.toContain(code);

    const { InstanceInformationList } = await ssm.send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'InstanceIds', Values: [instanceId] }]
      })
    );
    expect(InstanceInformationList?.[0]).toMatchObject({
      PingStatus: 'Online',
      ComputerName: 'algo-1',
      ResourceType: 'ManagedInstance'
    });
  });

  it('resolves by name, with the SSHOwner check passing for its owner', async () => {
    const resolved = await resolveTarget(clients, `${JOB}.training.sagemaker`, {
      timeoutMs: 0
    });
    expect(resolved.instance.instanceId).toBe(instanceId);
    expect(resolved.instance.owner).toBe(owner);
    expect(resolved.nodes).toHaveLength(1);
  });

  it('runs a key delivery by Run Command inside the container, in its /etc/ssh', async () => {
    const publicKey = readFileSync(join(work, 'id_ed25519.pub'), 'utf8').trim();
    const result = await runCommand(instanceId, [
      'set -e',
      'mkdir -p /etc/ssh/authorized_keys.d',
      `printf '%s\\n' '${publicKey}' > /etc/ssh/authorized_keys.d/x`,
      'cat /etc/ssh/authorized_keys.d/* > /etc/ssh/authorized_keys',
      'hostname',
      'echo "$AWS_SSM_INSTANCE_ID"'
    ]);
    expect(result.StandardErrorContent).toBe('');
    expect(result.Status).toBe('Success');
    expect(result.StandardOutputContent).toBe(`algo-1\n${instanceId}\n`);
    expect(readFileSync(join(box.etcSsh, 'authorized_keys'), 'utf8')).toBe(
      `${publicKey}\n`
    );
    expect(existsSync('/etc/ssh/authorized_keys.d/x')).toBe(false);
    expect(mode(join(box.etcSsh, 'authorized_keys'))).toBe('600 0:0');
  });

  it("reaches the script's sshd over the data channel with that key, as root", async () => {
    const result = await ssh(
      proxiedSshArgs(
        join(work, 'id_ed25519'),
        `root@${instanceId}`,
        'hostname; id -u; cat /etc/ssh/authorized_keys.d/x'
      )
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `algo-1\n0\n${readFileSync(join(work, 'id_ed25519.pub'), 'utf8')}`
    );
  });

  it("gives SSH sessions the job's environment, not the script's own settings, from a config only root reads", async () => {
    const result = await ssh(
      proxiedSshArgs(
        join(work, 'id_ed25519'),
        `root@${instanceId}`,
        'printf "%s|" "$JOB_MARKER" "$JOB_QUOTED" "$TRAINING_JOB_NAME" "$AWS_SESSION_TOKEN" "${SM_SSH_SSHD_PORT-unset}" "${SM_SSH_AGENT-unset}" "${JOB_MULTILINE-unset}" "$HOME" "$SSH_CONNECTION"'
      )
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [
      marker,
      quoted,
      job,
      token,
      sshdPort,
      agent,
      multiline,
      home,
      connection
    ] = result.stdout.split('|');
    expect([marker, quoted, job, token]).toEqual([
      JOB_ENV.JOB_MARKER,
      JOB_ENV.JOB_QUOTED,
      JOB,
      container.env.AWS_SESSION_TOKEN
    ]);
    expect([sshdPort, agent, multiline]).toEqual(['unset', 'unset', 'unset']);
    // what the session sets itself stays the session's
    expect(home).toBe('/root');
    expect(connection).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/);
    expect(mode(join(box.etcSsh, 'sm-ssh_sshd_config'))).toBe('600 0:0');
    // the one it could not carry is named, and no value is ever printed
    expect(box.output).toMatch(
      /^sm-ssh-init: not in SSH sessions, as sshd_config cannot carry their names or values: JOB_MULTILINE$/m
    );
    for (const value of [
      JOB_ENV.JOB_MARKER,
      container.env.AWS_SECRET_ACCESS_KEY,
      container.env.AWS_SESSION_TOKEN
    ]) {
      expect(box.output).not.toContain(value);
    }
  });

  it("gives a login shell the image's PATH, which /etc/profile sets again, through a profile.d file of its own", async () => {
    const file = join(box.dir, 'etc', 'profile.d', 'sm-ssh-session-path.sh');
    const result = await ssh(
      proxiedSshArgs(
        join(work, 'id_ed25519'),
        `root@${instanceId}`,
        // a login shell reads /etc/profile as `ssh <host>` without a command does; the second one without the copy
        'bash -lc \'printf "%s|%s|" "$PATH" "$JOB_MARKER"\'; env -u SM_SSH_SESSION_PATH bash -lc \'printf "%s" "$PATH"\''
      )
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [loginPath, marker, withoutCopy] = result.stdout.split('|');
    // root's own ~/.profile may put directories in front (it does on this machine), as it would on a real one
    expect(
      loginPath.endsWith(`:${IMAGE_PATH}`) || loginPath === IMAGE_PATH
    ).toBe(true);
    expect(marker).toBe(JOB_ENV.JOB_MARKER);
    // what the file is for: /etc/profile alone loses the image's own directory
    expect(withoutCopy).not.toContain('/opt/image-tools/bin');
    // the file holds no value, only where to find it; the machine's own profile.d is untouched
    expect(mode(file)).toBe('644 0:0');
    expect(readFileSync(file, 'utf8')).not.toContain('/opt/image-tools');
    expect(existsSync('/etc/profile.d/sm-ssh-session-path.sh')).toBe(false);
  });

  it('is reached by name with `sm-ssh exec`: its own key delivery into authorized_keys.d, the host key pinned', async () => {
    const configDir = join(work, 'sm-ssh-config');
    const result = await runCli(
      [
        'exec',
        `${JOB}.training.sagemaker`,
        '--config-dir',
        configDir,
        '--timeout',
        '0',
        '--',
        'hostname'
      ],
      cloud.env
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('algo-1\n');
    const hostKey = readFileSync(
      join(box.etcSsh, 'ssh_host_ed25519_key.pub'),
      'utf8'
    ).split(' ')[1];
    const pinned = readdirSync(configDir)
      .filter(name => name.startsWith('known_hosts'))
      .map(name => readFileSync(join(configDir, name), 'utf8'))
      .join('');
    expect(pinned).toContain(hostKey);
    // the key went next to x, and authorized_keys is the folder's concatenation again
    const keys = readFileSync(join(box.etcSsh, 'authorized_keys'), 'utf8');
    expect(keys.trim().split('\n')).toHaveLength(2);
  });

  it('refuses password and keyboard-interactive login, and a key it was not given', async () => {
    const args = proxiedSshArgs('/dev/null', `root@${instanceId}`, 'true');
    // options go before the destination and the command
    args.splice(
      args.length - 2,
      0,
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password,keyboard-interactive'
    );
    const withoutKey = await ssh(args);
    expect(withoutKey.code).toBe(255);
    // the server offers publickey and nothing else
    expect(withoutKey.stderr).toMatch(/Permission denied \(publickey\)/);
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      join(work, 'stranger')
    ]);
    const stranger = await ssh(
      proxiedSshArgs(join(work, 'stranger'), `root@${instanceId}`, 'true')
    );
    expect(stranger.code).toBe(255);
    expect(stranger.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('hardens sshd beyond the original: loopback only, keys only, root by key; modes of what it wrote', async () => {
    expect(listeners(port)).toEqual(['0100007F']);
    const effective = await runCommand(instanceId, [
      '/usr/sbin/sshd -T -f /etc/ssh/sm-ssh_sshd_config'
    ]);
    expect(effective.Status).toBe('Success');
    const settings = effective.StandardOutputContent ?? '';
    for (const line of [
      `listenaddress 127.0.0.1:${port}`,
      'authorizedkeysfile /etc/ssh/authorized_keys',
      'passwordauthentication no',
      'kbdinteractiveauthentication no',
      'permitemptypasswords no',
      'permitrootlogin without-password',
      'clientaliveinterval 15'
    ]) {
      expect(settings.split('\n')).toContain(line);
    }
    expect(mode(join(box.etcSsh, 'ssh_host_ed25519_key'))).toBe('600 0:0');
    expect(mode(join(box.etcSsh, 'ssh_host_ed25519_key.pub'))).toBe('644 0:0');
    expect(mode(join(box.etcSsh, 'authorized_keys.d'))).toBe('755 0:0');
  });

  it('at SIGTERM stops the agent and sshd, ends open sessions, deregisters the instance and leaves nothing running', async () => {
    const open = ssh(
      proxiedSshArgs(
        join(work, 'id_ed25519'),
        `root@${instanceId}`,
        'echo open; sleep 300'
      )
    );
    await eventually('the session running in the container', () =>
      commandsIn(box.dir).includes('sleep 300') ? true : undefined
    );
    exit = await box.stop(60_000);
    expect((await open).code).not.toBe(0);
    expect(exit).toEqual({ code: 0, leftovers: [] });
    expect(box.output).toContain(`sm-ssh remote: deregistered ${instanceId}`);
    expect(box.output).toMatch(/sm-ssh-init: stopped\n$/);
    expect(
      existsSync(join(box.dir, 'etc', 'profile.d', 'sm-ssh-session-path.sh'))
    ).toBe(false);
    expect(cloud.sandbox.ssm.instances.get(instanceId)).toBeUndefined();
    await expect(
      ssm.send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'InstanceIds', Values: [instanceId] }]
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    expect(listeners(port)).toEqual([]);
    expect(processesUsing(box.dir)).toEqual([]);
  });
});

describe('sm-ssh remote init on its own', () => {
  it('registers with --json, runs the agent, and deregisters at SIGTERM', async () => {
    const state = join(work, 'remote-init');
    const child = spawn(
      process.execPath,
      [CLI, 'remote', 'init', '--json', '--resource-name', JOB],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          ...cloud.env,
          SSH_OWNER_TAG: owner,
          SSH_SSM_ROLE: ROLE,
          SM_SSH_AGENT: AGENT,
          SM_SSH_AGENT_STATE_DIR: join(state, 'agent'),
          SM_SSH_STATE_DIR: state
        },
        stdio: ['ignore', 'pipe', 'pipe']
      }
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += String(chunk)));
    child.stderr.on('data', chunk => (stderr += String(chunk)));
    const closed = new Promise<number | null>(resolve =>
      child.once('close', code => resolve(code))
    );
    try {
      const printed = await eventually('the JSON document', () => {
        try {
          return JSON.parse(stdout) as Record<string, any>;
        } catch {
          return undefined;
        }
      });
      expect(printed).toMatchObject({
        instanceId: expect.stringMatching(/^mi-[0-9a-f]{17}$/),
        region: 'us-east-1',
        role: ROLE,
        tags: {
          SSHOwner: owner,
          SSHCreator: owner,
          SSHResourceName: JOB
        },
        resourceSource: 'the command line'
      });
      expect(Object.keys(printed)).not.toContain('activationCode');
      // the agent's registration line went to stderr, so that stdout stays one JSON document
      expect(stderr).toMatch(REGISTERED);
      expect(readFileSync(join(state, 'instance-id'), 'utf8')).toBe(
        `${printed.instanceId}\n`
      );
      await eventually('the instance Online', () =>
        cloud.sandbox.ssm.instances.get(printed.instanceId)?.pingStatus ===
        'Online'
          ? true
          : undefined
      );
      child.kill('SIGTERM');
      expect(await closed).toBe(0);
      expect(stderr).toContain(
        `sm-ssh remote: deregistered ${printed.instanceId}`
      );
      expect(
        cloud.sandbox.ssm.instances.get(printed.instanceId)
      ).toBeUndefined();
      expect(existsSync(join(state, 'instance-id'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses bad input with exit code 2, one line and a hint', async () => {
    const noOwner = await runCli(['remote', 'init'], {
      ...cloud.env,
      SM_SSH_AGENT: AGENT
    });
    expect(noOwner.code).toBe(2);
    expect(noOwner.stderr).toMatch(
      /^sm-ssh: error: SSH_OWNER_TAG is not set, so the instance would have no SSHOwner\n {2}hint: /
    );
    const badId = await runCli(
      ['remote', 'deregister', 'i-am-not-an-id'],
      cloud.env
    );
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/is not a managed instance id/);
  });
});

describe('sm-ssh-init.sh failures and portability', () => {
  async function script(
    args: string[],
    env: Record<string, string>
  ): Promise<{ code: number; stderr: string }> {
    try {
      const { stderr } = await run('/usr/bin/dash', [SCRIPT, ...args], {
        env: { PATH: process.env.PATH ?? '', ...env }
      });
      return { code: 0, stderr };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  }

  it('is POSIX sh that dash parses', async () => {
    await run('/usr/bin/dash', ['-n', SCRIPT]);
    await run('/bin/sh', ['-n', SCRIPT]);
    expect(readFileSync(SCRIPT, 'utf8').split('\n')[0]).toBe('#!/bin/sh');
  });

  it('fails with one line on stderr and a hint, before touching anything', async () => {
    const state = join(work, 'never');
    for (const [env, message, code] of [
      [{ AWS_REGION: 'us-east-1' }, /SSH_OWNER_TAG is not set/, 2],
      [{ SSH_OWNER_TAG: 'AIDAX' }, /no AWS region/, 2],
      [
        {
          SSH_OWNER_TAG: 'AIDAX',
          AWS_REGION: 'us-east-1',
          SM_SSH_SSHD_PORT: 'ssh'
        },
        /SM_SSH_SSHD_PORT "ssh" is not a port number/,
        2
      ],
      [
        {
          SSH_OWNER_TAG: 'AIDAX',
          AWS_REGION: 'us-east-1',
          SM_SSH_SESSION_ENV: 'off'
        },
        /SM_SSH_SESSION_ENV "off" is neither yes nor no/,
        2
      ]
    ] as const) {
      const result = await script(['start'], {
        ...env,
        SM_SSH_STATE_DIR: state
      });
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(
        /^sm-ssh-init: error: [^\n]+; hint: [^\n]+\n$/
      );
    }
    const unknown = await script(['restart'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "restart"; hint: /);
    expect(existsSync(state)).toBe(false);
  });

  it('on an sshd without SetEnv, says so once and runs sshd without the job environment', async () => {
    const dir = mkdtempSync(join(work, 'old-sshd-'));
    // an OpenSSH before 7.8, as far as this config goes
    const sshd = join(dir, 'sshd');
    writeFileSync(
      sshd,
      [
        '#!/bin/sh',
        'prev=; for a; do [ "$prev" = -f ] && f=$a; prev=$a; done',
        'if grep -q \'^SetEnv\' "$f"; then echo "$f line 20: Bad configuration option: SetEnv" >&2; exit 255; fi',
        'exec /usr/sbin/sshd "$@"',
        ''
      ].join('\n'),
      { mode: 0o755 }
    );
    // the registration step ends at once, so the script stops after sshd has started
    const cli = join(dir, 'sm-ssh');
    writeFileSync(cli, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    const secret = 'not-to-be-printed value';
    let output: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run('/usr/bin/dash', [SCRIPT], {
        env: {
          PATH: process.env.PATH ?? '',
          SSH_OWNER_TAG: 'AIDAX',
          AWS_REGION: 'us-east-1',
          JOB_SECRET: secret,
          SM_SSH_SSHD: sshd,
          SM_SSH_CLI: cli,
          SM_SSH_AGENT: 'true',
          SM_SSH_ETC_DIR: join(dir, 'etc'),
          SM_SSH_STATE_DIR: join(dir, 'state'),
          SM_SSH_SSHD_PORT: String(await freePort()),
          SM_SSH_HOST_KEY_TYPES: 'ed25519'
        }
      });
      output = { code: 0, stdout, stderr };
    } catch (error) {
      output = error as typeof output;
    }
    expect(output.stderr).toMatch(
      /^sm-ssh-init: error: the SSM agent stopped by itself \(exit code 3\); hint: [^\n]+\n$/
    );
    expect(output.code).toBe(1);
    const warnings = output.stdout
      .split('\n')
      .filter(line => line.includes('SetEnv'));
    expect(warnings).toEqual([
      "sm-ssh-init: warning: this sshd refuses SetEnv (OpenSSH 7.8 has it), so SSH sessions start without the job's environment"
    ]);
    expect(output.stdout).toMatch(
      /^sm-ssh-init: sshd listening on 127\.0\.0\.1:/m
    );
    expect(output.stdout + output.stderr).not.toContain(secret);
    const config = join(dir, 'etc', 'sm-ssh_sshd_config');
    expect(readFileSync(config, 'utf8')).not.toMatch(/SetEnv/i);
    expect(mode(config).split(' ')[0]).toBe('600');
  });
});
