/**
 * The parts of the remote-access path that need no cloud: the banner wait over a real stream (bytes put back, lines
 * before the identification, timeout, early end), StartSession's errors turned into fixes, the session's environment
 * run through a real sh, and ssh2 against a real ssh2 server: `none` for spaces, only `publickey` for SSM targets.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { OperationError, UsageError } from '../errors.js';
import { sshConnect } from '../ssh/client.js';
import { exportPrefix, loginShellCommand, runCommand } from '../ssh/exec.js';
import { generateEd25519Pair } from '../ssh/keys.js';
import { ssh2 } from '../ssh/ssh2.js';
import { findBanner, waitForBanner } from './banner.js';
import { hostKeyNote, spaceEnvironment } from './connect.js';
import { startSessionProblem } from './session.js';

const SPACE = {
  domainId: 'd-abc123',
  spaceName: 'my-space',
  spaceArn: 'arn:aws:sagemaker:us-east-1:123456789012:space/d-abc123/my-space'
};

/** A Duplex whose readable side we feed by hand. */
function fedStream(): {
  stream: Duplex;
  feed(text: string): void;
  end(): void;
} {
  const readable = new PassThrough();
  const stream = Duplex.from({ readable, writable: new PassThrough() });
  return {
    stream,
    feed: text => readable.write(Buffer.from(text, 'latin1')),
    end: () => readable.end()
  };
}

async function readAll(stream: Duplex, bytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
  });
  stream.resume();
  while (size < bytes) {
    await new Promise(resolve => setImmediate(resolve));
  }
  return Buffer.concat(chunks).toString('latin1');
}

describe('the SSH banner wait', () => {
  it('finds the identification line after other lines, only once it is complete', () => {
    expect(findBanner(Buffer.from('SSH-2.0-G'))).toBeUndefined();
    expect(findBanner(Buffer.from('SSH-2.0-Go\r\n'))).toBe('SSH-2.0-Go');
    expect(findBanner(Buffer.from('hello\r\nSSH-2.0-Go\r\nxyz'))).toBe(
      'SSH-2.0-Go'
    );
  });

  it('resolves once the banner is in, and puts every byte read back for the SSH client', async () => {
    const { stream, feed } = fedStream();
    const waiting = waitForBanner(stream, 'my-space', 5_000);
    feed('preface\r\nSSH-2.');
    await new Promise(resolve => setImmediate(resolve));
    feed('0-Go\r\n\x00\x00\x01');
    await expect(waiting).resolves.toBe('SSH-2.0-Go');
    const text = 'preface\r\nSSH-2.0-Go\r\n\x00\x00\x01';
    feed('more');
    expect(await readAll(stream, text.length + 4)).toBe(`${text}more`);
  });

  it('names the space when the banner never comes or the stream ends first', async () => {
    const silent = fedStream();
    await expect(
      waitForBanner(silent.stream, 'quiet.d-abc123.space.sagemaker', 200)
    ).rejects.toThrow(
      'the SSH server of quiet.d-abc123.space.sagemaker did not say hello within 0 s'
    );
    const ended = fedStream();
    const waiting = waitForBanner(
      ended.stream,
      'gone.d-abc123.space.sagemaker'
    );
    ended.feed('no banner\r\n');
    ended.end();
    await expect(waiting).rejects.toThrow(
      'gone.d-abc123.space.sagemaker closed the stream before its SSH server said hello'
    );
    const noisy = fedStream();
    const flooded = waitForBanner(noisy.stream, 'noisy', 5_000);
    noisy.feed('x'.repeat(20_000));
    await expect(flooded).rejects.toThrow(
      'noisy sent 20000 bytes without an SSH identification line'
    );
  });
});

describe("StartSession's errors", () => {
  const error = (name: string, message: string) =>
    Object.assign(new Error(message), { name });

  it('retries what a starting app answers', () => {
    for (const name of [
      'InternalFailure',
      'ServiceUnavailable',
      'ThrottlingException'
    ]) {
      expect(startSessionProblem(error(name, 'x'), SPACE)).toBeUndefined();
    }
  });

  it('turns the others into one line with the fix', () => {
    const off = startSessionProblem(
      error('ValidationException', 'Remote access is not enabled for space'),
      SPACE
    );
    expect(off).toBeInstanceOf(OperationError);
    expect(off?.hint).toContain(
      'sm-ssh space enable-remote-access my-space.d-abc123.space.sagemaker'
    );
    const denied = startSessionProblem(
      error('AccessDeniedException', 'not authorized'),
      SPACE
    );
    expect(denied?.message).toContain(
      `access denied: sagemaker:StartSession on ${SPACE.spaceArn}`
    );
    expect(denied?.hint).toContain('sm-ssh setup apply --remote-access');
    const missing = startSessionProblem(
      error('ResourceNotFound', 'Space does not exist'),
      SPACE
    );
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing?.exitCode).toBe(2);
  });
});

describe("the session's environment", () => {
  it('is exported before a command and before the login shell, as a real sh runs them', () => {
    const env = spaceEnvironment('sagemaker-user');
    expect(env).toEqual({
      HOME: '/home/sagemaker-user',
      USER: 'sagemaker-user'
    });
    const out = execFileSync(
      'sh',
      ['-c', `${exportPrefix({ ...env, X: "it's" })}echo "$HOME $USER $X"`],
      { env: { PATH: process.env.PATH ?? '' } }
    ).toString();
    expect(out).toBe("/home/sagemaker-user sagemaker-user it's\n");
    const shell = execFileSync(
      'sh',
      ['-c', loginShellCommand({ HOME: '/tmp', USER: 'me' })],
      {
        env: { PATH: process.env.PATH ?? '', SHELL: '/bin/sh' },
        input: 'echo "$PWD $HOME $USER"\n'
      }
    ).toString();
    expect(shell.trim().split('\n').at(-1)).toBe('/tmp /tmp me');
    expect(() => exportPrefix({ 'BAD-NAME': 'x' })).toThrow(TypeError);
  });
});

/** A real ssh2 server that records the methods clients offer and accepts `none` only when told to. */
async function authServer(acceptNone: boolean): Promise<{
  port: number;
  methods: string[];
  envs: Array<Record<string, string>>;
  server: { close(): void };
}> {
  const { Server: SshServer } = ssh2();
  const hostKey = generateEd25519Pair().private;
  const methods: string[] = [];
  const envs: Array<Record<string, string>> = [];
  const ssh = new SshServer({ hostKeys: [hostKey] }, client => {
    client.on('authentication', context => {
      methods.push(context.method);
      if (context.method === 'none' && acceptNone) {
        context.accept();
      } else {
        context.reject(acceptNone ? ['none'] : ['publickey']);
      }
    });
    client.on('session', accept => {
      const session = accept();
      const env: Record<string, string> = {};
      session.on('env', (acceptEnv, _reject, info) => {
        env[info.key] = info.val;
        acceptEnv?.();
      });
      session.on('exec', (acceptExec, _reject, info) => {
        envs.push(env);
        const channel = acceptExec();
        channel.write(`${info.command}\n`);
        channel.exit(0);
        channel.end();
      });
    });
    client.on('error', () => undefined);
  });
  ssh.listen(0, '127.0.0.1');
  await once(ssh, 'listening');
  return {
    port: (ssh.address() as AddressInfo).port,
    methods,
    envs,
    server: ssh
  };
}

async function socketTo(port: number): Promise<Duplex> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('ssh2 authentication', () => {
  it('logs in with none for a space, and sends the environment with the command', async () => {
    const server = await authServer(true);
    try {
      const fingerprints: string[] = [];
      const client = await sshConnect({
        sock: await socketTo(server.port),
        username: 'sagemaker-user',
        noneAuth: true,
        verifyHostKey: async blob => {
          fingerprints.push(hostKeyNote(blob));
          return true;
        }
      });
      let out = '';
      const stdout = new PassThrough().on('data', c => (out += String(c)));
      const status = await runCommand(
        client,
        'hostname',
        { stdout, stderr: new PassThrough() },
        undefined,
        spaceEnvironment('sagemaker-user')
      );
      client.end();
      expect(status).toBe(0);
      expect(out).toBe(
        'export HOME=/home/sagemaker-user USER=sagemaker-user; hostname\n'
      );
      expect(server.envs).toEqual([
        { HOME: '/home/sagemaker-user', USER: 'sagemaker-user' }
      ]);
      expect(server.methods).toEqual(['none']);
      expect(fingerprints[0]).toMatch(
        /^host key ssh-ed25519 SHA256:\S+ \(not pinned: remote access gives the space a new host key per session/
      );
    } finally {
      server.server.close();
    }
  });

  it('offers only the key to an SSM target, never none', async () => {
    const server = await authServer(true);
    try {
      await expect(
        sshConnect({
          sock: await socketTo(server.port),
          username: 'root',
          privateKey: Buffer.from(generateEd25519Pair().private),
          verifyHostKey: async () => true
        })
      ).rejects.toThrow('the server refused the key for user root');
      expect(server.methods).toEqual(['publickey']);
      expect(() =>
        sshConnect({
          sock: new PassThrough(),
          username: 'root',
          verifyHostKey: async () => true
        })
      ).toThrow(TypeError);
    } finally {
      server.server.close();
    }
  });

  it('says when the server refuses none', async () => {
    const server = await authServer(false);
    try {
      await expect(
        sshConnect({
          sock: await socketTo(server.port),
          username: 'sagemaker-user',
          noneAuth: true,
          verifyHostKey: async () => true
        })
      ).rejects.toThrow('the server refused user sagemaker-user without a key');
    } finally {
      server.server.close();
    }
  });
});
