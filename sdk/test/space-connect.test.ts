/**
 * Studio spaces through SageMaker remote access, on the sandbox's demo fleet (its remote-access SSH server, a fresh
 * host key per session, `none` auth for sagemaker-user, presigned StreamUrls, InternalFailure while an app boots):
 * the SDK's openSsh runs `hostname` with HOME/USER set and pins nothing; the space with remote access off gets the
 * fix and no session; the CLI as processes: exec's exit status and --json, connect with a command, with a shell
 * fed from a pipe and in a terminal (pty, resize), cp both ways, forward to a local HTTP server, --verbose (the Studio name's fallback, the host
 * key), StartSession retried through an app's boot delay (counted by the sandbox); and real OpenSSH and scp by
 * space name after `sm-ssh ssh-config --write`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateAppCommand,
  DeleteAppCommand,
  DescribeAppCommand
} from '@aws-sdk/client-sagemaker';
import { OperationError } from '../src/errors.js';
import type { IDemoSpace } from '../src/sandbox/sagemaker/demo-resources.js';
import { openSsh, runCommand, statePaths } from '../src/ssh/index.js';
import { CLI, runCli, runProcess, sandboxEnv } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';

let cloud: IDemoCloud;
let on: IDemoSpace;
let off: IDemoSpace;
let scratch: string;
let env: Record<string, string>;

const startSessions = () =>
  cloud.sandbox.calls.snapshot()['SageMaker.StartSession'] ?? 0;

/** Runs a process with the test's environment; `input` is its stdin. */
const spawnCollect = (command: string, args: string[], input = '') =>
  runProcess(command, args, env, input);

const sm = (args: string[], input?: string) => runCli(args, env, input);

beforeAll(async () => {
  cloud = await startDemoCloud({ pacing: false });
  const byName = (name: string) => {
    const space = cloud.fleet.spaces.find(s => s.spaceName === name);
    if (!space) {
      throw new Error(`the demo fleet has no space ${name}`);
    }
    return space;
  };
  on = byName('ssh-space-demo');
  off = byName('ssh-space-off-demo');
  scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-space-'));
  env = {
    ...sandboxEnv(cloud.sandbox),
    AWS_MAX_ATTEMPTS: '1',
    HOME: scratch,
    SM_SSH_CONFIG_DIR: join(scratch, 'config')
  };
}, 120_000);

afterAll(async () => {
  await cloud?.close();
  if (scratch) {
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe('openSsh to a space', () => {
  it('runs hostname as sagemaker-user with HOME and USER set, and pins no host key', async () => {
    const paths = statePaths(join(scratch, 'sdk-config'));
    const progress: string[] = [];
    const connection = await openSsh(cloud.clients, on.target, {
      paths,
      onProgress: line => progress.push(line)
    });
    try {
      expect(connection.resolved.via).toBe('remote-access');
      expect(connection.user).toBe('sagemaker-user');
      let out = '';
      const stdout = new PassThrough().on('data', c => (out += String(c)));
      const status = await runCommand(
        connection.client,
        'hostname; echo "$HOME $USER"; pwd',
        { stdout, stderr: new PassThrough() },
        undefined,
        connection.environment
      );
      expect(status).toBe(0);
      expect(out).toBe(
        'ssh-space-demo\n/home/sagemaker-user sagemaker-user\n/home/sagemaker-user\n'
      );
    } finally {
      await connection.close();
    }
    expect(progress).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server SSH-2\.0-Go$/),
        expect.stringMatching(
          /^host key ssh-ed25519 SHA256:\S+ \(not pinned: remote access gives the space a new host key per session/
        )
      ])
    );
    expect(existsSync(paths.knownHosts)).toBe(false);
  });

  it('refuses the space with remote access off before any session, naming the fix', async () => {
    const before = startSessions();
    const refused = openSsh(cloud.clients, off.target, {
      paths: statePaths(join(scratch, 'sdk-config'))
    });
    await expect(refused).rejects.toThrow(OperationError);
    await expect(refused).rejects.toThrow(
      `remote access is not enabled on ${off.target}`
    );
    await refused.catch((error: OperationError) =>
      expect(error.hint).toContain(
        `sm-ssh space enable-remote-access ${off.target}`
      )
    );
    expect(startSessions()).toBe(before);
  });
});

describe('the CLI on a space', () => {
  it('exec exits with the command status; --json says via and the space ARN', async () => {
    const result = await sm(['exec', on.target, '--', 'echo $USER; exit 7']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('sagemaker-user\n');
    expect(result.code).toBe(7);
    const json = await sm(['exec', on.target, '--json', '--', 'hostname']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      target: on.target,
      via: 'remote-access',
      spaceArn: on.spaceArn,
      node: 1,
      user: 'sagemaker-user',
      command: 'hostname',
      exitCode: 0,
      stdout: 'ssh-space-demo\n'
    });
    expect(parsed).not.toHaveProperty('instanceId');
  });

  it('the space with remote access off: exit 1 with the enable command; an unknown space and --node 2: exit 2; no session', async () => {
    const before = startSessions();
    const result = await sm(['exec', off.target, '--', 'true']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `remote access is not enabled on ${off.target}`
    );
    expect(result.stderr).toContain(
      `sm-ssh space enable-remote-access ${off.target}`
    );
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    const unknown = await sm([
      'exec',
      `no-such-space.${on.domainId}.space.sagemaker`,
      '--',
      'true'
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `there is no space no-such-space in domain ${on.domainId}`
    );
    const node = await sm(['exec', on.target, '--node', '2', '--', 'true']);
    expect(node.code).toBe(2);
    expect(node.stderr).toContain('a space has one node');
    expect(startSessions()).toBe(before);
  });

  it('connect runs a command, and a login shell fed from a pipe with HOME set', async () => {
    const command = await sm(['connect', on.target, '--', 'hostname']);
    expect(command.code).toBe(0);
    expect(command.stdout).toBe('ssh-space-demo\n');
    const shell = await sm(
      ['connect', on.target],
      'echo "shell $HOME $USER $(pwd)"; exit 3\n'
    );
    expect(shell.stdout).toContain(
      'shell /home/sagemaker-user sagemaker-user /home/sagemaker-user\n'
    );
    expect(shell.code).toBe(3);
  });

  it('connect in a terminal: a pty, HOME set, the exit status, and the remote window follows a resize', async () => {
    const flag = join(scratch, 'resize-now');
    // util-linux script gives the CLI a terminal; a background stty resizes it once the test says so (SIGWINCH to
    // the CLI). A background job of a non-interactive sh has /dev/null as stdin, hence </dev/tty.
    const inner = [
      'stty rows 30 cols 100',
      `(while [ ! -e ${flag} ]; do sleep 0.1; done; stty rows 40 cols 120 </dev/tty) &`,
      `exec ${process.execPath} ${CLI} connect ${on.target}`
    ].join('\n');
    const child = spawn('script', ['-qfec', inner, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env }
    });
    let out = '';
    child.stdout.on('data', chunk => (out += String(chunk)));
    child.stderr.on('data', chunk => (out += String(chunk)));
    const closed = new Promise<number | null>(resolve =>
      child.once('close', resolve)
    );
    child.stdin.write(
      'echo "S1=$(stty size) T=$(tty) H=$HOME"; sleep 3; echo "S2=$(stty size)"; exit 5\n'
    );
    for (let i = 0; i < 300 && !/S1=\d/.test(out); i++) {
      await delay(100);
    }
    writeFileSync(flag, '');
    expect(await closed).toBe(5);
    expect(out).toMatch(/S1=30 100 T=\/dev\/pts\/\d+ H=\/home\/sagemaker-user/);
    expect(out).toContain('S2=40 120');
  });

  it('cp uploads into the home directory and downloads it back, the same bytes', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const sha = createHash('sha256').update(data).digest('hex');
    const local = join(scratch, 'up.bin');
    writeFileSync(local, data);
    const up = await sm(['cp', local, `${on.target}:up.bin`, '--json']);
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({
      direction: 'upload',
      bytes: data.length,
      via: 'remote-access',
      spaceArn: on.spaceArn
    });
    const remoteSha = await sm(['exec', on.target, '--', 'sha256sum ~/up.bin']);
    expect(remoteSha.stdout.split(' ')[0]).toBe(sha);
    const back = join(scratch, 'back.bin');
    const down = await sm([
      'cp',
      '--parallel',
      '2',
      `${on.target}:/home/sagemaker-user/up.bin`,
      back
    ]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^downloaded 3\.0 MiB from /);
    expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(
      sha
    );
  });

  it("forward reaches a port on the space's loopback through SSH", async () => {
    const server: Server = createServer((request, response) =>
      response.end(`hello from ${request.url}`)
    );
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI, 'forward', on.target, '-L', `0:localhost:${port}`, '--json'],
      { env: { PATH: process.env.PATH ?? '', ...env } }
    );
    try {
      let stdout = '';
      child.stdout?.on('data', chunk => (stdout += String(chunk)));
      for (let i = 0; i < 300 && !stdout.includes('}'); i++) {
        await delay(100);
      }
      const { forwards } = JSON.parse(stdout) as {
        forwards: Array<{ local: string; remote: string; target: string }>;
      };
      expect(forwards).toHaveLength(1);
      expect(forwards[0]).toMatchObject({
        remote: `localhost:${port}`,
        target: on.target
      });
      for (const path of ['/a', '/b']) {
        const response = await fetch(`http://${forwards[0].local}${path}`);
        expect(await response.text()).toBe(`hello from ${path}`);
      }
      const exited = new Promise<number | null>(resolve =>
        child.once('exit', code => resolve(code))
      );
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      server.close();
    }
  });

  it('--verbose: a Studio name with no managed instance falls back to its space, and the host key is shown', async () => {
    const studio = `default.${on.spaceName}.${on.domainId}.studio.sagemaker`;
    const result = await sm(['exec', studio, '--verbose', '--', 'hostname']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ssh-space-demo\n');
    expect(result.stderr).toContain(
      `sm-ssh exec: ${studio} has no registered managed instance, but its space ${on.spaceName} has remote access on: connecting through SageMaker remote access`
    );
    expect(result.stderr).toMatch(
      /sm-ssh exec: host key ssh-ed25519 SHA256:\S+ \(not pinned: remote access gives the space a new host key per session; the trust anchor is the SigV4-authenticated channel from sagemaker:StartSession\)/
    );
    expect(result.stderr).toContain('sm-ssh exec: server SSH-2.0-Go');
  });

  it('waits for a restarted app and retries StartSession through its boot delay', async () => {
    const sagemaker = cloud.clients.sagemaker();
    const app = {
      DomainId: on.domainId,
      SpaceName: on.spaceName,
      AppType: 'JupyterLab' as const,
      AppName: 'default'
    };
    await sagemaker.send(new DeleteAppCommand(app));
    for (let i = 0; i < 100; i++) {
      const described = await sagemaker
        .send(new DescribeAppCommand(app))
        .catch(() => undefined);
      if (!described || described.Status === 'Deleted') {
        break;
      }
      await delay(200);
    }
    await sagemaker.send(
      new CreateAppCommand({
        ...app,
        ResourceSpec: { InstanceType: 'ml.m5.large' }
      })
    );
    const before = startSessions();
    const result = await sm(['exec', on.target, '--verbose', '--', 'hostname']);
    expect(result.stdout).toBe('ssh-space-demo\n');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /sm-ssh exec: StartSession: InternalFailure \(the app may still be starting\), retry 1 in 0\.5 s/
    );
    expect(startSessions() - before).toBeGreaterThanOrEqual(2);
  }, 120_000);
});

describe('OpenSSH by space name after ssh-config --write', () => {
  it('ssh runs hostname, scp and rsync copy both ways, with no host key kept', async () => {
    const config = join(scratch, 'ssh_config');
    writeFileSync(config, 'Host *\n  User nobody\n');
    const written = await sm(['ssh-config', '--write', '--config', config]);
    expect(written).toMatchObject({ code: 0, stderr: '' });
    const text = readFileSync(config, 'utf8');
    expect(text.indexOf('Host *.space.sagemaker')).toBeLessThan(
      text.indexOf('Host *.sagemaker')
    );
    const ssh = (args: string[]) =>
      spawnCollect('ssh', ['-F', config, '-o', 'BatchMode=yes', ...args]);
    const result = await ssh([on.target, 'hostname']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('ssh-space-demo\n');
    expect(result.code).toBe(0);
    const data = randomBytes(512 * 1024);
    const local = join(scratch, 'scp.bin');
    writeFileSync(local, data);
    const scp = (args: string[]) =>
      spawnCollect('scp', ['-F', config, '-o', 'BatchMode=yes', ...args]);
    const up = await scp([local, `${on.target}:scp.bin`]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const back = join(scratch, 'scp-back.bin');
    const down = await scp([`${on.target}:scp.bin`, back]);
    expect(down.code).toBe(0);
    expect(readFileSync(back).equals(data)).toBe(true);
    const synced = join(scratch, 'rsync-back');
    const rsyncUp = await spawnCollect('rsync', [
      '-a',
      '-e',
      `ssh -F ${config} -o BatchMode=yes`,
      local,
      `${on.target}:rsync-dir/`
    ]);
    expect(rsyncUp.stderr).toBe('');
    expect(rsyncUp.code).toBe(0);
    const rsyncDown = await spawnCollect('rsync', [
      '-a',
      '-e',
      `ssh -F ${config} -o BatchMode=yes`,
      `${on.target}:rsync-dir/`,
      `${synced}/`
    ]);
    expect(rsyncDown.code).toBe(0);
    expect(readFileSync(join(synced, 'scp.bin')).equals(data)).toBe(true);
    expect(existsSync(join(scratch, '.ssh', 'known_hosts'))).toBe(false);
    // a Studio name falls back to the space, but OpenSSH applies the pinning block to it: the proxy says what to use
    const studio = await ssh([
      `default.${on.spaceName}.${on.domainId}.studio.sagemaker`,
      'true'
    ]);
    expect(studio.code).toBe(255);
    expect(studio.stderr).toContain(`with OpenSSH use ${on.target}`);
  });
});
