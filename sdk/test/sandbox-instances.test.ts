/**
 * The sandbox's managed instances end to end: the real AWS SDK against the SSM sandbox, real per-instance sshd
 * hosts, key delivery over Run Command, and the real OpenSSH client proving which instance accepts which key.
 */
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  DeregisterManagedInstanceCommand,
  DescribeActivationsCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  ListTagsForResourceCommand,
  RemoveTagsFromResourceCommand,
  SendCommandCommand,
  SSMClient,
  type GetCommandInvocationCommandOutput,
  type InstanceInformation
} from '@aws-sdk/client-ssm';
import { execFile, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startJsonServer,
  type IRunningServer
} from '../src/sandbox/aws-json-server.js';
import {
  createDemoFleet,
  processesUsing,
  type IManagedInstance
} from '../src/sandbox/instances/index.js';
import { SsmSandboxState, ssmService } from '../src/sandbox/ssm-service.js';

const OWNER = 'AROAEXAMPLEOWNER:alice';
let state: SsmSandboxState;
let server: IRunningServer;
let work: string;
let a: IManagedInstance;
let b: IManagedInstance;
let firstKey: string;
let newKey: string;
const hostFiles: Record<string, Buffer | undefined> = {};
const hostPids: number[] = [];

function snapshotHostSsh(): Record<string, Buffer | undefined> {
  const files: Record<string, Buffer | undefined> = {};
  for (const file of ['sshd_config', 'authorized_keys']) {
    const path = join('/etc/ssh', file);
    files[file] = existsSync(path) ? readFileSync(path) : undefined;
  }
  files.listing = Buffer.from(
    execFileSync('ls', ['-la', '--time-style=full-iso', '/etc/ssh'])
  );
  return files;
}

function keyPair(name: string): string {
  const path = join(work, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  return path;
}

function ssm(region = 'us-east-1'): SSMClient {
  return new SSMClient({
    region,
    endpoint: server.url,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
  });
}

/** The real OpenSSH client: exit code and stdout of `echo ok` as root on the instance's sshd. */
function sshEcho(
  identityFile: string,
  port: number,
  extra: string[] = ['-o', 'StrictHostKeyChecking=no']
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      'ssh',
      [
        '-i',
        identityFile,
        '-p',
        String(port),
        ...extra,
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'ConnectTimeout=10',
        '-o',
        'LogLevel=ERROR',
        'root@127.0.0.1',
        'echo ok; hostname'
      ],
      { timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({
          code:
            error && typeof error.code === 'number'
              ? error.code
              : error
                ? 1
                : 0,
          stdout,
          stderr
        })
    );
  });
}

async function runScript(
  instanceId: string,
  commands: string[],
  parameters: Record<string, string[]> = {}
): Promise<GetCommandInvocationCommandOutput> {
  const { Command } = await ssm().send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [instanceId],
      Parameters: { commands, ...parameters },
      TimeoutSeconds: 60
    })
  );
  const commandId = Command?.CommandId as string;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const invocation = await ssm().send(
      new GetCommandInvocationCommand({
        CommandId: commandId,
        InstanceId: instanceId
      })
    );
    if (
      !['Pending', 'InProgress', 'Delayed'].includes(
        invocation.Status as string
      ) ||
      Date.now() > deadline
    ) {
      return invocation;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  Object.assign(hostFiles, snapshotHostSsh());
  work = mkdtempSync(join(tmpdir(), 'sm-ssh-instances-test-'));
  firstKey = keyPair('first');
  newKey = keyPair('new');
  state = new SsmSandboxState();
  server = await startJsonServer([ssmService(state)]);
  const tags = (name: string) => ({
    SSHOwner: OWNER,
    SSHResourceName: name,
    SSHResourceArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}`
  });
  const authorizedKeys = [readFileSync(`${firstKey}.pub`, 'utf8')];
  [a, b] = await Promise.all([
    state.instances.launch({
      name: 'job-a',
      tags: tags('job-a'),
      computerName: 'host-a',
      authorizedKeys
    }),
    state.instances.launch({
      name: 'job-b',
      tags: tags('job-b'),
      computerName: 'host-b',
      authorizedKeys
    })
  ]);
  // control-plane-only instances, enough for two pages of a tag filter
  for (let index = 0; index < 5; index += 1) {
    await state.instances.launch({
      name: `job-${index}`,
      tags: tags(`job-${index}`),
      host: false
    });
  }
  await state.instances.launch({ name: 'endpoint', host: false });
  hostPids.push(
    ...processesUsing(state.instances.root),
    a.host?.pid as number,
    b.host?.pid as number
  );
});

afterAll(async () => {
  await state?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the sandbox managed instances through the real SSM client', () => {
  it('pages through a tag filter, and filters by tag-key, ids and ping status', async () => {
    const ids: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ssm().send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'tag:SSHOwner', Values: [OWNER] }],
          MaxResults: 5,
          NextToken: nextToken
        })
      );
      pages += 1;
      expect(page.InstanceInformationList?.length).toBeLessThanOrEqual(5);
      ids.push(
        ...(page.InstanceInformationList ?? []).map(
          info => info.InstanceId as string
        )
      );
      nextToken = page.NextToken;
    } while (nextToken);
    expect(pages).toBe(2);
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    expect(ids).toEqual(expect.arrayContaining([a.instanceId, b.instanceId]));

    const all = await ssm().send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'tag-key', Values: ['SSHResourceArn'] }]
      })
    );
    expect(all.InstanceInformationList).toHaveLength(7);

    const one = await ssm().send(
      new DescribeInstanceInformationCommand({
        InstanceInformationFilterList: [
          { key: 'InstanceIds', valueSet: [a.instanceId] }
        ]
      })
    );
    const info = one.InstanceInformationList?.[0] as InstanceInformation;
    expect(info).toMatchObject({
      InstanceId: a.instanceId,
      PingStatus: 'Online',
      ResourceType: 'ManagedInstance',
      PlatformType: 'Linux',
      Name: 'job-a',
      ComputerName: 'host-a',
      IPAddress: '127.0.0.1',
      SourceType: 'AWS::SSM::ManagedInstance'
    });
    expect(info.LastPingDateTime).toBeInstanceOf(Date);
    expect(info.RegistrationDate).toBeInstanceOf(Date);
    expect(info.ActivationId).toMatch(/^[0-9a-f-]{36}$/);

    state.instances.setPingStatus(b.instanceId, 'ConnectionLost');
    try {
      const lost = await ssm().send(
        new DescribeInstanceInformationCommand({
          Filters: [
            { Key: 'PingStatus', Values: ['ConnectionLost'] },
            { Key: 'ResourceType', Values: ['ManagedInstance'] }
          ]
        })
      );
      expect(
        lost.InstanceInformationList?.map(item => item.InstanceId)
      ).toEqual([b.instanceId]);
    } finally {
      state.instances.setPingStatus(b.instanceId, 'Online');
    }
    // other regions have no instances
    expect(
      (await ssm('eu-west-1').send(new DescribeInstanceInformationCommand({})))
        .InstanceInformationList
    ).toEqual([]);
  });

  it("delivers a key to A's /etc/ssh over Run Command: A accepts it, B does not, the host is untouched", async () => {
    const port = (instance: IManagedInstance) =>
      instance.host?.sshPort as number;
    // before: neither accepts the new key, both accept the first one
    expect((await sshEcho(newKey, port(a))).code).toBe(255);
    expect(await sshEcho(firstKey, port(b))).toMatchObject({
      code: 0,
      stdout: 'ok\nhost-b\n'
    });

    const publicKey = readFileSync(`${newKey}.pub`, 'utf8').trim();
    const invocation = await runScript(a.instanceId, [
      'set -e',
      'mkdir -p /etc/ssh/authorized_keys.d',
      `echo '${publicKey}' > /etc/ssh/authorized_keys.d/sagemaker-ssh-gw`,
      'cat /etc/ssh/authorized_keys.d/* >> /etc/ssh/authorized_keys',
      'echo "delivered to $(hostname) ($AWS_SSM_INSTANCE_ID)"',
      'wc -l < /etc/ssh/authorized_keys'
    ]);
    expect(invocation).toMatchObject({
      Status: 'Success',
      StatusDetails: 'Success',
      ResponseCode: 0,
      StandardOutputContent: `delivered to host-a (${a.instanceId})\n2\n`,
      StandardErrorContent: '',
      PluginName: 'aws:runShellScript',
      DocumentName: 'AWS-RunShellScript'
    });
    expect(invocation.ExecutionElapsedTime).toMatch(/^PT[\d.]+S$/);

    expect(await sshEcho(newKey, port(a))).toMatchObject({
      code: 0,
      stdout: 'ok\nhost-a\n'
    });
    expect((await sshEcho(newKey, port(b))).code).toBe(255);
    // the key went to A's directory, not to the machine's /etc/ssh
    expect(
      readFileSync(join(a.host?.etcSsh as string, 'authorized_keys'), 'utf8')
    ).toContain(publicKey);
    expect(snapshotHostSsh()).toEqual(hostFiles);
  });

  it("serves A's own host key, and gives scripts a private /tmp", async () => {
    const knownHosts = join(work, 'known_hosts');
    writeFileSync(
      knownHosts,
      (a.host?.hostKeys ?? [])
        .map(key => `[127.0.0.1]:${a.host?.sshPort} ${key.publicKey}\n`)
        .join('')
    );
    const pinned = await sshEcho(firstKey, a.host?.sshPort as number, [
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `GlobalKnownHostsFile=${knownHosts}`
    ]);
    expect(pinned).toMatchObject({ code: 0, stdout: 'ok\nhost-a\n' });
    // B's sshd has other host keys: pinning A's keys refuses B
    const wrong = await sshEcho(firstKey, b.host?.sshPort as number, [
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `GlobalKnownHostsFile=${knownHosts}`
    ]);
    expect(wrong.code).toBe(255);

    const marker = `sm-ssh-marker-${process.pid}`;
    const write = await runScript(a.instanceId, [
      `echo a > /tmp/${marker}`,
      'ls /tmp'
    ]);
    expect(write.StandardOutputContent).toBe(`${marker}\n`);
    const read = await runScript(b.instanceId, [`ls /tmp/${marker}`]);
    expect(read.Status).toBe('Failed');
    expect(existsSync(join('/tmp', marker))).toBe(false);
  });

  it('reports failures, execution timeouts and truncated output as AWS does', async () => {
    const failed = await runScript(a.instanceId, [
      'echo out',
      'echo err >&2',
      'exit 3'
    ]);
    expect(failed).toMatchObject({
      Status: 'Failed',
      ResponseCode: 3,
      StandardOutputContent: 'out\n',
      StandardErrorContent: 'err\n'
    });

    const started = Date.now();
    const timedOut = await runScript(a.instanceId, ['echo start', 'sleep 30'], {
      executionTimeout: ['1']
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(timedOut).toMatchObject({
      Status: 'TimedOut',
      StatusDetails: 'ExecutionTimedOut',
      StandardOutputContent: 'start\n'
    });

    const large = await runScript(a.instanceId, [
      "head -c 30000 /dev/zero | tr '\\0' x",
      "head -c 9000 /dev/zero | tr '\\0' y >&2"
    ]);
    expect(large.Status).toBe('Success');
    expect(large.StandardOutputContent).toBe('x'.repeat(24_000));
    expect(large.StandardErrorContent).toBe('y'.repeat(8_000));

    const invocations = await ssm().send(
      new ListCommandInvocationsCommand({
        InstanceId: a.instanceId,
        Details: true,
        MaxResults: 2
      })
    );
    expect(invocations.CommandInvocations).toHaveLength(2);
    expect(invocations.NextToken).toBeDefined();
    const newest = invocations.CommandInvocations?.[0];
    expect(newest?.CommandId).toBe(large.CommandId);
    expect(newest?.CommandPlugins?.[0]).toMatchObject({
      Name: 'aws:runShellScript',
      Status: 'Success',
      ResponseCode: 0
    });
    expect(newest?.CommandPlugins?.[0].Output?.length).toBe(2_500);
    const commands = await ssm().send(
      new ListCommandsCommand({ CommandId: failed.CommandId })
    );
    expect(commands.Commands?.[0]).toMatchObject({
      CommandId: failed.CommandId,
      Status: 'Failed',
      TargetCount: 1,
      CompletedCount: 1,
      ErrorCount: 1
    });
  });

  it("answers errors in AWS's shape, as named exceptions", async () => {
    const send = (instanceIds: string[], document = 'AWS-RunShellScript') =>
      ssm().send(
        new SendCommandCommand({
          DocumentName: document,
          InstanceIds: instanceIds,
          Parameters: { commands: ['true'] }
        })
      );
    await expect(send(['mi-00000000000000000'])).rejects.toMatchObject({
      name: 'InvalidInstanceId',
      $metadata: { httpStatusCode: 400 }
    });
    await expect(
      send([a.instanceId], 'AWS-RunPowerShellScript')
    ).rejects.toMatchObject({ name: 'InvalidDocument' });
    state.instances.setPingStatus(b.instanceId, 'ConnectionLost');
    try {
      await expect(send([b.instanceId])).rejects.toMatchObject({
        name: 'InvalidInstanceId'
      });
      expect(state.instances.resolveTarget(b.instanceId, 22)).toBeUndefined();
    } finally {
      state.instances.setPingStatus(b.instanceId, 'Online');
    }
    expect(state.instances.resolveTarget(b.instanceId, 22)).toEqual({
      host: '127.0.0.1',
      port: b.host?.sshPort
    });
    const { Command } = await send([a.instanceId]);
    await expect(
      ssm().send(
        new GetCommandInvocationCommand({
          CommandId: Command?.CommandId,
          InstanceId: b.instanceId
        })
      )
    ).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
    await expect(
      ssm().send(
        new ListTagsForResourceCommand({
          ResourceType: 'ManagedInstance',
          ResourceId: 'mi-00000000000000000'
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidResourceId' });
    await expect(
      ssm().send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'tag-keys', Values: ['x'] }]
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidFilterKey' });
    await expect(
      ssm().send(new DescribeInstanceInformationCommand({ NextToken: 'bogus' }))
    ).rejects.toMatchObject({ name: 'InvalidNextToken' });
    await expect(
      ssm().send(new DescribeInstanceInformationCommand({ MaxResults: 51 }))
    ).rejects.toMatchObject({ name: 'ValidationException' });
    state.faults.throttleNext(1, ['DescribeInstanceInformation']);
    await expect(
      ssm().send(new DescribeInstanceInformationCommand({}))
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(
      ssm().send(new DescribeInstanceInformationCommand({}))
    ).resolves.toBeDefined();
  });

  it('keeps tags per instance, and applies activation tags to instances registered with it', async () => {
    const client = ssm();
    await client.send(
      new AddTagsToResourceCommand({
        ResourceType: 'ManagedInstance',
        ResourceId: a.instanceId,
        Tags: [{ Key: 'Team', Value: 'ml' }]
      })
    );
    await client.send(
      new RemoveTagsFromResourceCommand({
        ResourceType: 'ManagedInstance',
        ResourceId: a.instanceId,
        TagKeys: ['SSHResourceArn']
      })
    );
    const { TagList } = await client.send(
      new ListTagsForResourceCommand({
        ResourceType: 'ManagedInstance',
        ResourceId: a.instanceId
      })
    );
    expect(TagList).toEqual([
      { Key: 'SSHOwner', Value: OWNER },
      { Key: 'SSHResourceName', Value: 'job-a' },
      { Key: 'Team', Value: 'ml' }
    ]);

    const activation = await client.send(
      new CreateActivationCommand({
        IamRole: 'service-role/SageMakerRole',
        RegistrationLimit: 1,
        DefaultInstanceName: 'job-c',
        Tags: [{ Key: 'SSHOwner', Value: OWNER }]
      })
    );
    expect(activation.ActivationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(activation.ActivationCode).toHaveLength(20);
    const c = await state.instances.register({
      activationId: activation.ActivationId as string,
      activationCode: activation.ActivationCode as string,
      authorizedKeys: [readFileSync(`${firstKey}.pub`, 'utf8')]
    });
    await expect(
      state.instances.register({
        activationId: activation.ActivationId as string,
        activationCode: activation.ActivationCode as string,
        host: false
      })
    ).rejects.toMatchObject({ code: 'InvalidActivation' });
    expect(
      (
        await client.send(
          new DescribeActivationsCommand({
            Filters: [
              {
                FilterKey: 'ActivationIds',
                FilterValues: [activation.ActivationId as string]
              }
            ]
          })
        )
      ).ActivationList?.[0]
    ).toMatchObject({
      DefaultInstanceName: 'job-c',
      RegistrationsCount: 1,
      Expired: false
    });
    const info = await client.send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'InstanceIds', Values: [c.instanceId] }]
      })
    );
    expect(info.InstanceInformationList?.[0]).toMatchObject({
      Name: 'job-c',
      IamRole: 'service-role/SageMakerRole',
      ActivationId: activation.ActivationId
    });
    expect(
      (
        await client.send(
          new ListTagsForResourceCommand({
            ResourceType: 'ManagedInstance',
            ResourceId: c.instanceId
          })
        )
      ).TagList
    ).toEqual([{ Key: 'SSHOwner', Value: OWNER }]);
    const port = c.host?.sshPort as number;
    expect((await sshEcho(firstKey, port)).code).toBe(0);

    await client.send(
      new DeregisterManagedInstanceCommand({ InstanceId: c.instanceId })
    );
    await expect(
      client.send(
        new DeregisterManagedInstanceCommand({ InstanceId: c.instanceId })
      )
    ).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    const deadline = Date.now() + 10_000;
    while (c.host?.running && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    expect(c.host?.running).toBe(false);
    expect((await sshEcho(firstKey, port)).code).toBe(255);
  });

  it('creates the demo fleet, tagged as sm-init-ssm does, reachable with the demo key', async () => {
    const fleet = await createDemoFleet(state.instances);
    expect(readFileSync(fleet.identityFile, 'utf8')).toContain(
      'OPENSSH PRIVATE KEY'
    );
    expect(
      execFileSync('stat', ['-c', '%a', fleet.identityFile]).toString()
    ).toBe('600\n');
    const kinds = fleet.instances.map(item => item.kind);
    for (const kind of [
      'training',
      'processing',
      'transform',
      'notebook',
      'studio',
      'inference'
    ]) {
      expect(kinds).toContain(kind);
    }
    const training = fleet.instances.filter(
      item => item.name === 'ssh-training-demo'
    );
    expect(training.map(item => item.node).sort()).toEqual([0, 1]);
    expect(
      fleet.instances.filter(
        item => item.owner && item.owner !== 'AROAEXAMPLEOWNER:alice'
      )
    ).toHaveLength(1);
    const studio = fleet.instances.find(item => item.kind === 'studio');
    const { TagList } = await ssm().send(
      new ListTagsForResourceCommand({
        ResourceType: 'ManagedInstance',
        ResourceId: studio?.instanceId
      })
    );
    const tags = Object.fromEntries(
      (TagList ?? []).map(tag => [tag.Key, tag.Value])
    );
    expect(tags).toMatchObject({
      SSHOwner: 'AROAEXAMPLEOWNER:alice',
      SSHResourceName: studio?.name
    });
    expect(tags.SSHResourceArn).toMatch(
      /^arn:aws:sagemaker:us-east-1:123456789012:app\/d-demo00000000\/alice\/KernelGateway\//
    );
    expect(Number(tags.SSHTimestamp)).toBeGreaterThan(1_700_000_000);
    const endpoint = fleet.instances.find(item => item.kind === 'inference');
    expect(
      (
        await ssm().send(
          new ListTagsForResourceCommand({
            ResourceType: 'ManagedInstance',
            ResourceId: endpoint?.instanceId
          })
        )
      ).TagList
    ).toEqual([]);
    const results = await Promise.all(
      fleet.instances.map(item =>
        sshEcho(fleet.identityFile, item.sshPort as number)
      )
    );
    expect(results.map(result => result.code)).toEqual(
      fleet.instances.map(() => 0)
    );
  });

  it('stops every sshd and removes the instances on close, leaving the host as it was', async () => {
    const root = state.instances.root;
    const pids = [...new Set([...hostPids, ...processesUsing(root)])];
    expect(pids.length).toBeGreaterThan(2);
    await state.close();
    expect(processesUsing(root)).toEqual([]);
    const alive = pids.filter(pid => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect(existsSync(root)).toBe(false);
    expect(snapshotHostSsh()).toEqual(hostFiles);
  });
});
