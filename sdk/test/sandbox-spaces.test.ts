/**
 * Studio spaces' remote access in the sandbox: the SageMaker calls in AWS's shapes (ListSpaces, DescribeSpace,
 * UpdateSpace, StartSession and its errors, the boot delay's InternalFailure), the presigned StreamUrl (403 when
 * altered or late), and behind the data channel the remote-access SSH server of the space: banner, `none`
 * authentication, a host key per session, the space's own root, its processes as sagemaker-user (uid 1000, gid
 * 100) and never root, env, pty, direct-tcpip and sftp. The real
 * SageMaker client over HTTP, our data-channel client, an ssh2 client, moto.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  CreateAppCommand,
  CreateSpaceCommand,
  DeleteAppCommand,
  DescribeAppCommand,
  DescribeSpaceCommand,
  ListSpacesCommand,
  ListTagsCommand,
  SageMakerClient,
  StartSessionCommand,
  UpdateSpaceCommand,
  type StartSessionCommandOutput
} from '@aws-sdk/client-sagemaker';
import { Client, type ClientChannel } from 'ssh2';
import WebSocket from 'ws';
import { DataChannelSession, sessionDuplex } from '../src/ssm/index.js';
import { processesUsing, type IDemoSpace } from '../src/sandbox/index.js';
import { spaceGroup, spacePasswd } from '../src/sandbox/spaces/space-users.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';

let cloud: IDemoCloud;
let sagemaker: SageMakerClient;
let on: IDemoSpace;
let off: IDemoSpace;
/** The space directory of `on` on this machine (the sandbox removes it when it closes), and its home in there. */
let spaceDir = '';
let spaceHome = '';
/** The machine's accounts before the sandbox started: the space's sagemaker-user must not be added to them. */
const hostPasswd = readFileSync('/etc/passwd', 'utf8');
const hostGroup = readFileSync('/etc/group', 'utf8');
const opened: Array<{ client?: Client; session: DataChannelSession }> = [];

beforeAll(async () => {
  cloud = await startDemoCloud({
    hosts: false,
    sagemaker: { readyMs: 200, deleteMs: 200 }
  });
  sagemaker = new SageMakerClient({
    region: 'us-east-1',
    endpoint: cloud.sandbox.url,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
  });
  const spaces = cloud.fleet.spaces;
  on = spaces.find(space => space.spaceName === 'ssh-space-demo') as IDemoSpace;
  off = spaces.find(
    space => space.spaceName === 'ssh-space-off-demo'
  ) as IDemoSpace;
  const root = cloud.sandbox.spaces.space({
    scope: { account: on.spaceArn.split(':')[4], region: 'us-east-1' },
    domainId: on.domainId,
    spaceName: on.spaceName
  });
  spaceDir = root.dir;
  spaceHome = root.home;
});

afterEach(async () => {
  const ending = opened.splice(0);
  ending.forEach(({ client }) => client?.end());
  await Promise.all(ending.map(({ session }) => session.close()));
});

afterAll(async () => {
  sagemaker.destroy();
  await cloud.close();
  expect(spaceDir).toBeTruthy();
  expect(processesUsing(spaceDir)).toEqual([]);
  expect(existsSync(spaceDir)).toBe(false);
});

async function failure(promise: Promise<unknown>): Promise<{
  name: string;
  message: string;
  status?: number;
}> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      message: e.message,
      status: e.$metadata?.httpStatusCode
    };
  }
  throw new Error('expected the call to fail');
}

async function until(
  check: () => Promise<boolean>,
  timeoutMs = 15_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

function startSession(arn: string): Promise<StartSessionCommandOutput> {
  return sagemaker.send(new StartSessionCommand({ ResourceIdentifier: arn }));
}

async function openStream(
  space: IDemoSpace
): Promise<{ session: DataChannelSession; stream: Duplex }> {
  const grant = await startSession(space.spaceArn);
  const session = await DataChannelSession.open({
    sessionId: grant.SessionId as string,
    streamUrl: grant.StreamUrl as string,
    tokenValue: grant.TokenValue as string,
    region: 'us-east-1'
  });
  opened.push({ session });
  return { session, stream: sessionDuplex(session) };
}

async function login(
  space: IDemoSpace,
  username = 'sagemaker-user'
): Promise<{ client: Client; hostKey: string }> {
  const { session, stream } = await openStream(space);
  const client = new Client();
  opened.push({ client, session });
  let hostKey = '';
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({
      sock: stream,
      username,
      hostVerifier: (key: Buffer) => {
        hostKey = key.toString('base64');
        return true;
      }
    });
  });
  return { client, hostKey };
}

interface IRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

function collect(channel: ClientChannel): Promise<IRun> {
  return new Promise(resolve => {
    const run: IRun = { stdout: '', stderr: '', code: null };
    channel.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
    channel.stderr.on(
      'data',
      (chunk: Buffer) => (run.stderr += chunk.toString())
    );
    channel.on('exit', (code: number | null, signal?: string) => {
      run.code = code;
      run.signal = signal;
    });
    channel.on('close', () => resolve(run));
  });
}

function exec(
  client: Client,
  command: string,
  options: { env?: Record<string, string> } = {}
): Promise<IRun> {
  return new Promise((resolve, reject) =>
    client.exec(command, options, (error, channel) =>
      error ? reject(error) : resolve(collect(channel))
    )
  );
}

describe('the SageMaker calls', () => {
  it('lists and describes the demo spaces with their remote access', async () => {
    const { Spaces } = await sagemaker.send(
      new ListSpacesCommand({ DomainIdEquals: on.domainId })
    );
    const byName = Object.fromEntries(
      (Spaces ?? []).map(space => [space.SpaceName, space])
    );
    expect(byName[on.spaceName]?.SpaceSettingsSummary).toMatchObject({
      AppType: 'JupyterLab',
      RemoteAccess: 'ENABLED'
    });
    expect(byName[off.spaceName]?.SpaceSettingsSummary?.RemoteAccess).toBe(
      'DISABLED'
    );
    expect(byName[on.spaceName]?.OwnershipSettingsSummary).toEqual({
      OwnerUserProfileName: 'alice'
    });
    const described = await sagemaker.send(
      new DescribeSpaceCommand({
        DomainId: on.domainId,
        SpaceName: on.spaceName
      })
    );
    expect(described).toMatchObject({
      SpaceArn: on.spaceArn,
      Status: 'InService',
      SpaceSettings: { AppType: 'JupyterLab', RemoteAccess: 'ENABLED' },
      SpaceSharingSettings: { SharingType: 'Private' }
    });
    expect(on.target).toBe(`ssh-space-demo.${on.domainId}.space.sagemaker`);
    const app = await sagemaker.send(
      new DescribeAppCommand({
        DomainId: on.domainId,
        SpaceName: on.spaceName,
        AppType: 'JupyterLab',
        AppName: 'default'
      })
    );
    expect(app.Status).toBe('InService');
    expect(app.ResourceSpec?.InstanceType).toBe('ml.m5.large');
    const { Tags } = await sagemaker.send(
      new ListTagsCommand({ ResourceArn: on.spaceArn })
    );
    expect(Tags).toContainEqual({
      Key: 'sagemaker:user-profile-arn',
      Value: `arn:aws:sagemaker:us-east-1:${on.spaceArn.split(':')[4]}:user-profile/${on.domainId}/alice`
    });
  });

  it('refuses StartSession with the reasons AWS gives', async () => {
    const disabled = await failure(startSession(off.spaceArn));
    expect(disabled.name).toBe('ValidationException');
    expect(disabled.message).toMatch(/remote access is not enabled/i);
    const unknown = await failure(
      startSession(on.spaceArn.replace('ssh-space-demo', 'no-such-space'))
    );
    expect(unknown.name).toBe('ResourceNotFound');
    for (const bad of [
      'ssh-space-demo',
      on.spaceArn.replace('us-east-1', 'eu-west-1'),
      on.spaceArn.replace(':space/', ':user-profile/')
    ]) {
      expect((await failure(startSession(bad))).name).toBe(
        'ValidationException'
      );
    }
  });

  it('UpdateSpace changes the setting; the running app keeps its own until it is created again, then boots', async () => {
    const name = `later-${randomBytes(3).toString('hex')}`;
    const { SpaceArn } = await sagemaker.send(
      new CreateSpaceCommand({
        DomainId: on.domainId,
        SpaceName: name,
        OwnershipSettings: { OwnerUserProfileName: 'alice' },
        SpaceSharingSettings: { SharingType: 'Private' },
        SpaceSettings: { AppType: 'JupyterLab' }
      })
    );
    const arn = SpaceArn as string;
    const noApp = await failure(startSession(arn));
    expect(noApp.name).toBe('ValidationException');
    expect(noApp.message).toMatch(/no running/i);
    const app = {
      DomainId: on.domainId,
      SpaceName: name,
      AppType: 'JupyterLab' as const,
      AppName: 'default'
    };
    await sagemaker.send(
      new CreateAppCommand({
        ...app,
        ResourceSpec: { InstanceType: 'ml.m5.large' }
      })
    );
    const appStatus = async () =>
      (await sagemaker.send(new DescribeAppCommand(app))).Status;
    await until(async () => (await appStatus()) === 'InService');
    expect(
      (
        await failure(
          sagemaker.send(
            new UpdateSpaceCommand({
              DomainId: on.domainId,
              SpaceName: name,
              SpaceSettings: { RemoteAccess: 'MAYBE' as 'ENABLED' }
            })
          )
        )
      ).name
    ).toBe('ValidationException');
    const updated = await sagemaker.send(
      new UpdateSpaceCommand({
        DomainId: on.domainId,
        SpaceName: name,
        SpaceSettings: { RemoteAccess: 'ENABLED' },
        SpaceDisplayName: 'Later'
      })
    );
    expect(updated.SpaceArn).toBe(arn);
    const describe = () =>
      sagemaker.send(
        new DescribeSpaceCommand({ DomainId: on.domainId, SpaceName: name })
      );
    expect((await describe()).Status).toBe('Updating');
    await until(async () => (await describe()).Status === 'InService');
    expect(await describe()).toMatchObject({
      SpaceSettings: { AppType: 'JupyterLab', RemoteAccess: 'ENABLED' },
      SpaceDisplayName: 'Later'
    });
    // the app started with remote access off
    expect((await failure(startSession(arn))).message).toMatch(
      /remote access is not enabled/i
    );
    await sagemaker.send(new DeleteAppCommand(app));
    await until(async () => (await appStatus()) === 'Deleted');
    await sagemaker.send(new CreateAppCommand(app));
    await until(async () => (await appStatus()) === 'InService');
    const booting = await failure(startSession(arn));
    expect(booting).toMatchObject({ name: 'InternalFailure', status: 500 });
    let grant: StartSessionCommandOutput | undefined;
    await until(async () => {
      grant = await startSession(arn).catch(() => undefined);
      return grant !== undefined;
    });
    expect(grant?.SessionId).toBeTruthy();
    expect(grant?.TokenValue).toBeTruthy();
  });

  it('presigns the StreamUrl: altered or late, the upgrade gets 403', async () => {
    const upgrade = (url: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.once('unexpected-response', (_request, response) => {
          resolve(response.statusCode ?? 0);
          socket.terminate();
        });
        socket.once('open', () => {
          resolve(101);
          socket.terminate();
        });
        socket.once('error', reject);
      });
    const grant = await startSession(on.spaceArn);
    const url = new URL(grant.StreamUrl as string);
    expect([...url.searchParams.keys()]).toEqual([
      'role',
      'cell-number',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature'
    ]);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    const tampered = new URL(url);
    tampered.searchParams.set('X-Amz-Expires', '3600');
    expect(await upgrade(tampered.toString())).toBe(403);
    const missing = new URL(url);
    missing.searchParams.delete('X-Amz-Signature');
    expect(await upgrade(missing.toString())).toBe(403);
    const sessions = cloud.sandbox.sessions;
    sessions.now = () => Date.now() + 61_000;
    try {
      expect(await upgrade(url.toString())).toBe(403);
    } finally {
      sessions.now = Date.now;
    }
    expect(await upgrade(url.toString())).toBe(101);
  });
});

describe("the space's accounts", () => {
  it('adds sagemaker-user as uid 1000 ahead of a machine account holding 1000, and users as gid 100', () => {
    const passwd = spacePasswd(
      'root:x:0:0:root:/root:/bin/bash\nother:x:1000:1000::/home/other:/bin/sh\nsagemaker-user:x:1234:1234::/x:/bin/sh\n'
    );
    expect(passwd).toBe(
      'root:x:0:0:root:/root:/bin/bash\nsagemaker-user:x:1000:100::/home/sagemaker-user:/bin/bash\nother:x:1000:1000::/home/other:/bin/sh\n'
    );
    expect(spaceGroup('root:x:0:\nstaff:x:50:\n')).toBe(
      'root:x:0:\nstaff:x:50:\nusers:x:100:\n'
    );
    expect(spaceGroup('root:x:0:\nusers:x:100:alice\n')).toBe(
      'root:x:0:\nusers:x:100:alice\n'
    );
    expect(spaceGroup('users:x:999:\nlocal:x:100:\n')).toBe(
      'users:x:100:\nlocal:x:100:\n'
    );
  });
});

describe('the remote-access SSH server', () => {
  it('announces a port session carrying SSH, then the banner SSH-2.0-Go', async () => {
    const { session, stream } = await openStream(on);
    expect(session.sessionType).toBe('Port');
    expect(session.properties).toEqual({ portNumber: '22' });
    const first = await new Promise<Buffer>(resolve =>
      stream.once('data', resolve)
    );
    expect(first.toString('latin1')).toMatch(/^SSH-2\.0-Go\r\n/);
    stream.destroy();
  });

  it('logs sagemaker-user in with none, refuses others, and has a new host key each session', async () => {
    const first = await login(on);
    const second = await login(on);
    expect(first.hostKey).not.toBe(second.hostKey);
    await expect(login(on, 'root')).rejects.toThrow(
      /authentication methods failed/
    );
  });

  it('runs commands in the space: hostname, home, no HOME or USER, env requests', async () => {
    const { client } = await login(on);
    const run = await exec(client, 'hostname; pwd; echo "[$HOME][$USER]"');
    expect(run).toMatchObject({
      code: 0,
      stdout: 'ssh-space-demo\n/home/sagemaker-user\n[][]\n'
    });
    const withEnv = await exec(client, 'echo "$HOME $USER $SM_TEST"', {
      env: {
        HOME: '/home/sagemaker-user',
        USER: 'sagemaker-user',
        SM_TEST: 'x y'
      }
    });
    expect(withEnv.stdout).toBe('/home/sagemaker-user sagemaker-user x y\n');
    const failed = await exec(client, 'echo oops >&2; exit 7');
    expect(failed).toMatchObject({ code: 7, stderr: 'oops\n' });
    // ssh2's client names the signal of exit-signal (RFC 4254: `TERM`) with its SIG prefix
    const killed = await exec(client, 'kill -TERM $$');
    expect(killed).toMatchObject({ code: null, signal: 'SIGTERM' });
    const interrupted = await new Promise<IRun>((resolve, reject) =>
      client.exec('echo started; exec sleep 30', (error, channel) => {
        if (error) {
          reject(error);
          return;
        }
        channel.once('data', () => channel.signal('INT'));
        resolve(collect(channel));
      })
    );
    expect(interrupted).toMatchObject({
      stdout: 'started\n',
      signal: 'SIGINT'
    });
  });

  it('runs everything as sagemaker-user (1000:100), known to getent, with no way to root', async () => {
    const { client } = await login(on);
    expect(await exec(client, 'id -un; id -u; id -g; id -G')).toMatchObject({
      code: 0,
      stdout: 'sagemaker-user\n1000\n100\n100\n'
    });
    expect(
      (await exec(client, 'getent passwd sagemaker-user; getent group 100'))
        .stdout
    ).toMatch(
      /^sagemaker-user:x:1000:100::\/home\/sagemaker-user:\/bin\/bash\nusers:x:100:.*\n$/
    );
    // real, effective, saved and filesystem ids alike; no capabilities; setuid programs cannot raise them
    const status = (await exec(client, 'cat /proc/self/status')).stdout;
    expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status).toMatch(/^Gid:\s+100\s+100\s+100\s+100$/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    const denied = await exec(
      client,
      'echo x > /etc/ssh/sm-ssh-test; echo x >> /etc/passwd; mkdir /root/sm-ssh-test'
    );
    expect(denied.code).not.toBe(0);
    expect(denied.stderr.match(/Permission denied/g)).toHaveLength(3);
    expect(existsSync('/etc/ssh/sm-ssh-test')).toBe(false);
    const su = await exec(client, 'su -c id root < /dev/null');
    expect(su.code).not.toBe(0);
    expect(su.stdout).not.toMatch(/uid=0/);
    // every process of the session, the namespace's init included
    expect((await exec(client, 'ps -o uid= -e | sort -u')).stdout.trim()).toBe(
      '1000'
    );
    // the home and /tmp are the user's to write; the machine's accounts are untouched
    expect((await exec(client, 'stat -c "%u:%g %a" . /tmp')).stdout).toMatch(
      /^1000:100 7[05]{2}\n\d+:\d+ 1777\n$/
    );
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(hostPasswd);
    expect(readFileSync('/etc/group', 'utf8')).toBe(hostGroup);
  });

  it("keeps the space's files from one session to the next, off the machine's /home", async () => {
    const marker = `marker-${randomBytes(4).toString('hex')}`;
    const first = await login(on);
    expect(
      (
        await exec(
          first.client,
          `echo kept > ${marker}; echo t > /tmp/${marker}`
        )
      ).code
    ).toBe(0);
    first.client.end();
    const second = await login(on);
    const read = await exec(
      second.client,
      `cat /home/sagemaker-user/${marker} /tmp/${marker}`
    );
    expect(read.stdout).toBe('kept\nt\n');
    expect(existsSync(`/home/sagemaker-user/${marker}`)).toBe(false);
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    expect(readFileSync(join(spaceHome, marker), 'utf8')).toBe('kept\n');
    expect(statSync(join(spaceHome, marker))).toMatchObject({
      uid: 1000,
      gid: 100
    });
  });

  it('ends what a session started when the session ends', async () => {
    const { client } = await login(on);
    const started = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec('sleep 300 & exec sleep 301', (error, channel) =>
        error ? reject(error) : resolve(channel)
      )
    );
    await until(async () => processesUsing(spaceDir).length >= 2);
    client.end();
    started.destroy();
    await until(async () => processesUsing(spaceDir).length === 0);
  });

  it('ends the sessions of a space whose app is deleted', async () => {
    const name = `gone-${randomBytes(3).toString('hex')}`;
    const { SpaceArn } = await sagemaker.send(
      new CreateSpaceCommand({
        DomainId: on.domainId,
        SpaceName: name,
        SpaceSettings: { AppType: 'JupyterLab', RemoteAccess: 'ENABLED' }
      })
    );
    const app = {
      DomainId: on.domainId,
      SpaceName: name,
      AppType: 'JupyterLab' as const,
      AppName: 'default'
    };
    await sagemaker.send(new CreateAppCommand(app));
    await until(
      async () =>
        (await sagemaker.send(new DescribeAppCommand(app))).Status ===
        'InService'
    );
    cloud.sandbox.sagemaker.studio.bootRemoteAccess();
    const space = { ...on, spaceName: name, spaceArn: SpaceArn as string };
    const { client } = await login(space);
    const session = opened[opened.length - 1].session;
    const closed = new Promise(resolve => session.once('close', resolve));
    const running = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec('echo up; exec sleep 300', (error, channel) =>
        error ? reject(error) : resolve(channel)
      )
    );
    await new Promise(resolve => running.once('data', resolve));
    await sagemaker.send(new DeleteAppCommand(app));
    await closed;
    expect(session.isOpen).toBe(false);
  });

  it('gives a pty shell of the size asked for, resized by window-change', async () => {
    const { client } = await login(on);
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.shell({ rows: 30, cols: 101, term: 'xterm' }, (error, ch) =>
        error ? reject(error) : resolve(ch)
      )
    );
    const done = collect(channel);
    let seen = '';
    channel.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    channel.write('stty size\n');
    await until(async () => /30 101/.test(seen));
    channel.setWindow(40, 120, 0, 0);
    await until(async () => {
      channel.write('stty size\n');
      await new Promise(resolve => setTimeout(resolve, 200));
      return /40 120/.test(seen);
    });
    channel.write('tty; echo "term=$TERM"; exit 3\n');
    const run = await done;
    // Debian's /etc/bash.bashrc prompt (\u@\h), the space's ~/.bashrc being absent
    expect(run.stdout).toMatch(/sagemaker-user@ssh-space-demo:/);
    expect(run.stdout).not.toMatch(/root@/);
    expect(run.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(run.stdout).toMatch(/term=xterm/);
    expect(run.code).toBe(3);
  });

  it("forwards direct-tcpip to the space's loopback", async () => {
    const http: Server = createServer((_request, response) =>
      response.end('hello from the space')
    );
    await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as AddressInfo).port;
      const { client } = await login(on);
      const stream = await new Promise<ClientChannel>((resolve, reject) =>
        client.forwardOut('127.0.0.1', 0, 'localhost', port, (error, ch) =>
          error ? reject(error) : resolve(ch)
        )
      );
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const ended = new Promise(resolve => stream.once('close', resolve));
      stream.end(
        'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
      );
      await ended;
      expect(text).toMatch(/^HTTP\/1\.1 200/);
      expect(text).toMatch(/hello from the space$/);
    } finally {
      http.close();
    }
  });

  it('serves sftp in the space', async () => {
    const { client } = await login(on);
    const sftp = await new Promise<import('ssh2').SFTPWrapper>(
      (resolve, reject) =>
        client.sftp((error, s) => (error ? reject(error) : resolve(s)))
    );
    const payload = randomBytes(256 * 1024);
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile('sftp-file.bin', payload, error =>
        error ? reject(error) : resolve()
      )
    );
    const back = await new Promise<Buffer>((resolve, reject) =>
      sftp.readFile('/home/sagemaker-user/sftp-file.bin', (error, data) =>
        error ? reject(error) : resolve(data)
      )
    );
    expect(back.equals(payload)).toBe(true);
    const listed = await exec(client, 'ls -l sftp-file.bin | wc -l');
    expect(listed.stdout.trim()).toBe('1');
    expect(statSync(join(spaceHome, 'sftp-file.bin'))).toMatchObject({
      uid: 1000,
      gid: 100
    });
    // sftp-server runs as the user too: the machine's root-only files stay out of reach
    const refused = await new Promise<Error | undefined>(resolve =>
      sftp.writeFile('/etc/ssh/sm-ssh-sftp-test', 'x', error =>
        resolve(error ?? undefined)
      )
    );
    expect(refused?.message).toMatch(/permission denied/i);
    expect(existsSync('/etc/ssh/sm-ssh-sftp-test')).toBe(false);
  });
});
