/**
 * Name → shell against the sandbox's demo fleet with real sshd hosts: key delivery over Run Command into
 * authorized_keys.d, pinned host keys checked by ssh2's hostVerifier, reconnects that skip the delivery, node 2 of
 * the two-node job, the endpoint found through its logs, the Studio kernel gateway, the other user's instance
 * refused, a changed host key refused until `forget`, forwards, and SFTP copies in parallel ranges.
 */
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { AwsClients } from '../src/aws/index.js';
import { OperationError } from '../src/errors.js';
import { freePort } from '../src/sandbox/index.js';
import {
  copyFile,
  HostKeyChangedError,
  KnownHosts,
  openSsh,
  openSshConnections,
  parseForward,
  runCommand,
  sftpOf,
  startForwards,
  statePaths,
  type IStatePaths,
  type ISshConnection
} from '../src/ssh/index.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';

let cloud: IDemoCloud;
let clients: AwsClients;
let caller: string;
let paths: IStatePaths;
let scratch: string;

const instanceOf = (name: string, node = 0) =>
  cloud.nodeOf(name, node).instanceId;

/** The managed instance a connection went through (none for a space's remote access). */
function instanceIdOf(connection: ISshConnection): string | undefined {
  return connection.resolved.via === 'ssm-instance'
    ? connection.resolved.instance.instanceId
    : undefined;
}

async function run(
  connection: ISshConnection,
  command: string,
  input?: Buffer
) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  let err = '';
  stdout.on('data', chunk => out.push(chunk));
  stderr.on('data', chunk => (err += String(chunk)));
  const stdin = input ? new PassThrough() : undefined;
  stdin?.end(input);
  const code = await runCommand(connection.client, command, {
    stdin,
    stdout,
    stderr
  });
  return { code, stdout: Buffer.concat(out).toString(), stderr: err };
}

async function withSsh<T>(
  target: string,
  work: (c: ISshConnection) => Promise<T>,
  options = {}
): Promise<T> {
  const connection = await openSsh(clients, target, {
    paths,
    timeoutMs: 0,
    ...options
  });
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

beforeAll(async () => {
  cloud = await startDemoCloud({ pacing: false });
  ({ clients, caller } = cloud);
  scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-connect-'));
  paths = statePaths(join(scratch, 'config'));
}, 120_000);

afterAll(async () => {
  await cloud?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('openSsh on the demo fleet', () => {
  it('delivers the key, pins the host keys and runs a command on node 1 of the training job', async () => {
    const instanceId = instanceOf('ssh-training-demo', 0);
    const result = await withSsh(
      'ssh-training-demo.training.sagemaker',
      async connection => {
        expect(instanceIdOf(connection)).toBe(instanceId);
        expect(connection.user).toBe('root');
        return run(
          connection,
          `cat /etc/ssh/authorized_keys.d/${caller}; echo ---; cat /etc/ssh/authorized_keys; hostname`
        );
      }
    );
    const identity = readFileSync(`${paths.identity}.pub`, 'utf8').trim();
    const [own, all] = result.stdout.split('---\n');
    expect(own.trim()).toBe(identity);
    expect(all).toContain(identity);
    expect(result.code).toBe(0);
    expect(statSync(paths.identity).mode & 0o777).toBe(0o600);
    const host = cloud.sandbox.ssm.instances.require(instanceId).host;
    const pins = KnownHosts.load(paths.knownHosts).pinsOf(instanceId);
    expect(pins.map(pin => `${pin.type} ${pin.key}`).sort()).toEqual(
      host?.hostKeys
        .map(key => key.publicKey.split(' ').slice(0, 2).join(' '))
        .sort()
    );
    expect(statSync(paths.knownHosts).mode & 0o777).toBe(0o600);
  });

  it('reconnects without a second delivery, and replaces (never appends) its key when it delivers again', async () => {
    const instanceId = instanceOf('ssh-training-demo', 0);
    const deliveries = async () =>
      (
        await clients
          .ssm()
          .send(new ListCommandsCommand({ InstanceId: instanceId }))
      ).Commands?.length ?? 0;
    const before = await deliveries();
    cloud.sandbox.calls.reset();
    const again = await withSsh('ssh-training-demo.training.sagemaker', c =>
      run(c, 'echo again')
    );
    // the caller's id comes from the cache and the key is known to be there: resolution and the session only
    expect(cloud.sandbox.calls.snapshot()).toEqual({
      'SSM.DescribeInstanceInformation': 1,
      'SSM.ListTagsForResource': 2,
      'SSM.StartSession': 1,
      'SSM.TerminateSession': 1
    });
    expect(again.stdout).toBe('again\n');
    expect(await deliveries()).toBe(before);
    const redelivered = await withSsh(
      'ssh-training-demo.training.sagemaker',
      c =>
        run(
          c,
          'ls /etc/ssh/authorized_keys.d; grep -c . /etc/ssh/authorized_keys'
        ),
      { redeliver: true }
    );
    expect(await deliveries()).toBe(before + 1);
    const [files, count] = redelivered.stdout.trim().split('\n');
    expect(files).toBe(caller);
    expect(count).toBe('1');
  });

  it('reaches node 2 of the two-node job', async () => {
    const result = await withSsh(
      'ssh-training-demo.training.sagemaker',
      c => run(c, 'hostname'),
      { node: 2 }
    );
    const host = cloud.nodeOf('ssh-training-demo', 1);
    expect(result.stdout.trim()).toBe(host?.hostname);
  });

  it('reaches the untagged endpoint through its logs, and the Studio kernel gateway', async () => {
    const endpoint = await withSsh(
      'ssh-endpoint-demo.inference.sagemaker',
      async c => {
        expect(instanceIdOf(c)).toBe(instanceOf('ssh-endpoint-demo'));
        return run(c, 'echo endpoint');
      }
    );
    expect(endpoint.stdout).toBe('endpoint\n');
    const studio = cloud.fleet.instances.find(i => i.kind === 'studio');
    const kernel = await withSsh(
      'datascience-1-0-ml-t3-medium-demo.studio.sagemaker',
      async c => {
        expect(instanceIdOf(c)).toBe(studio?.instanceId);
        return run(c, 'echo studio');
      }
    );
    expect(kernel.stdout).toBe('studio\n');
  });

  it("refuses another user's instance before any session", async () => {
    const sessions = cloud.sandbox.sessions.list().length;
    await expect(
      openSsh(clients, 'bob-training-job.training.sagemaker', {
        paths,
        timeoutMs: 0
      })
    ).rejects.toThrow(/belongs to AROAEXAMPLEOTHER:bob, not to you/);
    expect(cloud.sandbox.sessions.list()).toHaveLength(sessions);
  });

  it('refuses a changed host key, and connects again after forget', async () => {
    await withSsh('ssh-processing-demo.processing.sagemaker', c =>
      run(c, 'true')
    );
    const { etcSsh } = cloud.nodeOf('ssh-processing-demo');
    for (const type of ['ed25519', 'ecdsa']) {
      const file = join(etcSsh, `ssh_host_${type}_key`);
      rmSync(file, { force: true });
      rmSync(`${file}.pub`, { force: true });
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    }
    const refused = await openSsh(
      clients,
      'ssh-processing-demo.processing.sagemaker',
      {
        paths,
        timeoutMs: 0
      }
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HostKeyChangedError);
    expect((refused as HostKeyChangedError).message).toMatch(
      /has changed: it presents ssh-ed25519 SHA256:/
    );
    expect((refused as HostKeyChangedError).hint).toBe(
      'if the container was rebuilt on purpose, re-pin with: sm-ssh forget ssh-processing-demo.processing.sagemaker; otherwise do not connect'
    );
    const known = KnownHosts.load(paths.knownHosts);
    expect(
      known.forget('ssh-processing-demo.processing.sagemaker')
    ).toBeGreaterThan(0);
    known.save();
    const after = await withSsh('ssh-processing-demo.processing.sagemaker', c =>
      run(c, 'echo re-pinned')
    );
    expect(after.stdout).toBe('re-pinned\n');
  });

  it('forwards a local port to the container and a container port back (-L, -R)', async () => {
    const echo = createServer(socket => socket.pipe(socket));
    const echoPort = await freePort();
    await new Promise<void>(resolve =>
      echo.listen(echoPort, '127.0.0.1', resolve)
    );
    try {
      await withSsh('ssh-notebook-demo.notebook.sagemaker', async c => {
        const failures: string[] = [];
        // port 0: the listening ends take free ports (ports picked beforehand race with parallel tests)
        const forwards = await startForwards(
          c.client,
          [
            parseForward('L', `0:127.0.0.1:${echoPort}`),
            parseForward('R', `0:127.0.0.1:${echoPort}`)
          ],
          spec => failures.push(String(spec.bindPort))
        );
        expect(failures).toEqual([]);
        const [localPort, remotePort] = forwards.map(f => f.spec.bindPort);
        expect(localPort).toBeGreaterThan(0);
        expect(remotePort).toBeGreaterThan(0);
        const reply = await new Promise<string>((resolve, reject) => {
          const socket: Socket = tcpConnect(localPort, '127.0.0.1', () =>
            socket.end('through -L')
          );
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += String(chunk)));
          socket.once('close', () => resolve(text));
          socket.once('error', reject);
        });
        expect(reply).toBe('through -L');
        const back = await run(
          c,
          `bash -c "exec 3<>/dev/tcp/127.0.0.1/${remotePort}; printf 'through -R' >&3; head -c 10 <&3"`
        );
        expect(back.stdout).toBe('through -R');
        forwards.forEach(forward => forward.close());
      });
    } finally {
      echo.close();
    }
  });

  it('copies 64 MiB up and down over 4 sessions with the same SHA-256', async () => {
    const data = randomBytes(64 * 1024 * 1024);
    const local = join(scratch, 'big.bin');
    writeFileSync(local, data);
    const sha = createHash('sha256').update(data).digest('hex');
    const connections = await openSshConnections(
      clients,
      'ssh-transform-demo.transform.sagemaker',
      4,
      {
        paths,
        timeoutMs: 0
      }
    );
    try {
      const sftps = await Promise.all(connections.map(c => sftpOf(c.client)));
      const up = await copyFile({
        sftps,
        direction: 'upload',
        localPath: local,
        remotePath: '/tmp/big.bin'
      });
      expect(up.ranges).toBe(4);
      const remoteSha = await run(connections[0], 'sha256sum /tmp/big.bin');
      expect(remoteSha.stdout.split(' ')[0]).toBe(sha);
      const back = join(scratch, 'back.bin');
      const down = await copyFile({
        sftps,
        direction: 'download',
        localPath: back,
        remotePath: '/tmp/big.bin'
      });
      expect(down.bytes).toBe(data.length);
      expect(
        createHash('sha256').update(readFileSync(back)).digest('hex')
      ).toBe(sha);
    } finally {
      await Promise.all(connections.map(c => c.close()));
    }
  }, 120_000);

  it('says which node numbers exist', async () => {
    await expect(
      openSsh(clients, 'ssh-training-demo.training.sagemaker', {
        paths,
        timeoutMs: 0,
        node: 3
      })
    ).rejects.toThrow(/has 2 nodes, so there is no node 3/);
    await expect(
      openSsh(clients, 'ssh-training-demo.training.sagemaker', {
        paths,
        timeoutMs: 0,
        node: 3
      })
    ).rejects.not.toThrow(OperationError);
  });
});
