/**
 * `sm-ssh forward` as a real process through the sandbox: one multiplexed session (smux) carries many parallel
 * TCP connections to a server behind the instance; Ctrl-C closes cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { parseForwardSpec } from '../src/cli/commands/forward.js';
import { startSandbox, type ISandbox } from '../src/sandbox/index.js';
import { CLI, runCli, sandboxEnv } from './harness/cloud.js';

const INSTANCE = 'mi-0123456789abcdef0';
let sandbox: ISandbox;
let echo: Server;
let echoPort = 0;
let env: Record<string, string>;

beforeAll(async () => {
  echo = createServer(socket => socket.pipe(socket));
  await new Promise<void>(resolve => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
  sandbox = await startSandbox({
    pacing: false,
    resolveTarget: (instanceId, portNumber) =>
      instanceId === INSTANCE && portNumber === echoPort
        ? { host: '127.0.0.1', port: echoPort }
        : undefined
  });
  env = sandboxEnv(sandbox);
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise(resolve => echo?.close(resolve));
});

function startForward(
  args: string[]
): Promise<{ child: ChildProcess; localPort: number; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'forward', INSTANCE, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env }
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', chunk => (stderr += String(chunk)));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', chunk => {
      stdout += String(chunk);
      const match = /Forwarding 127\.0\.0\.1:(\d+) -> /.exec(stdout);
      if (match) {
        resolve({ child, localPort: Number(match[1]), stderr: () => stderr });
      }
    });
    child.once('exit', code =>
      reject(new Error(`forward exited with ${code}: ${stderr}`))
    );
  });
}

function echoThrough(localPort: number, size: number): Promise<boolean> {
  const data = randomBytes(size);
  return new Promise((resolve, reject) => {
    const socket = connect(localPort, '127.0.0.1');
    const received: Buffer[] = [];
    let length = 0;
    socket.on('data', chunk => {
      received.push(chunk);
      length += chunk.length;
      if (length >= size) {
        socket.end();
        const same =
          createHash('sha256').update(Buffer.concat(received)).digest('hex') ===
          createHash('sha256').update(data).digest('hex');
        resolve(same);
      }
    });
    socket.once('error', reject);
    socket.write(data);
  });
}

describe('sm-ssh forward', () => {
  it('parses -L like ssh', () => {
    expect(parseForwardSpec('8888:localhost:8888')).toEqual({
      bind: '127.0.0.1',
      localPort: 8888,
      host: 'localhost',
      remotePort: 8888
    });
    expect(parseForwardSpec('0.0.0.0:0:10.0.0.5:5432')).toEqual({
      bind: '0.0.0.0',
      localPort: 0,
      host: '10.0.0.5',
      remotePort: 5432
    });
    expect(() => parseForwardSpec('8888')).toThrow(
      'is not [bind:]local:host:remote'
    );
    expect(() => parseForwardSpec('8888:localhost:0')).toThrow(
      '"0" is not a port number'
    );
    expect(() => parseForwardSpec('x:localhost:80')).toThrow(
      '"x" is not a port number'
    );
  });

  it('carries 8 parallel connections over one session and closes cleanly on Ctrl-C', async () => {
    const { child, localPort, stderr } = await startForward([
      '-L',
      `0:localhost:${echoPort}`
    ]);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => echoThrough(localPort, 512 * 1024))
    );
    expect(results).toEqual(Array(8).fill(true));
    const exited = new Promise<number | null>(resolve =>
      child.once('exit', resolve)
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr()).toContain('sm-ssh forward: closed');
  });

  it('refuses a bad -L with exit code 2', async () => {
    const result = await runCli(['forward', INSTANCE, '-L', 'nonsense'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '-L "nonsense" is not [bind:]local:host:remote'
    );
  });
});
